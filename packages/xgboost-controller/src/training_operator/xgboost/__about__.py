"""Version of the training-operator-xgboost package, read by hatch, and the core contract it targets."""

__version__ = "0.2.3"

#: the `training_operator.core.contract` version this plug-in is built for (read before it is imported)
CORE_CONTRACT = 2
