"""Version of the training-operator-pytorch package, read by hatch."""

__version__ = "0.1.0"
