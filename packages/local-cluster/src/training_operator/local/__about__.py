"""Version of the training-operator-local package, read by hatch."""

__version__ = "0.2.0"
