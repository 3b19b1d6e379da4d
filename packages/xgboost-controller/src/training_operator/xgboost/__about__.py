"""Version of the training-operator-xgboost package, read by hatch."""

__version__ = "0.1.0"
