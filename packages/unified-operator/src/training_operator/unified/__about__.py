"""Version of the training-operator package, read by hatch."""

__version__ = "0.2.0"
