"""Version of the training-operator-tf package, read by hatch."""

__version__ = "0.1.0"
