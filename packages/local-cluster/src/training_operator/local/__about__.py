"""Version of the training-operator-local package, read by hatch."""

__version__ = "0.1.2"
