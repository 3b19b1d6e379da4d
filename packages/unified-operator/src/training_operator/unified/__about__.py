"""Version of the training-operator package, read by hatch."""

__version__ = "0.3.6"
