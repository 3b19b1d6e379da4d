"""Version of the training-operator-mpi package, read by hatch."""

__version__ = "0.1.0"
