"""Version of the training-operator-mxnet package, read by hatch."""

__version__ = "0.1.0"
