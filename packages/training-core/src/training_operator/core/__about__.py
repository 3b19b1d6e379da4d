"""Version of the training-operator-core package, read by hatch."""

__version__ = "0.3.6"
