"""The version of the plug-in contract this core speaks: what a framework package may rely on.

A framework package declares the contract it was built for under the `training_operator.contracts`
entry-point group, in a module that imports nothing of core (its `__about__`), so discovery reads it before
importing the plug-in: one built for another contract is refused with both numbers named, instead of failing
somewhere inside its imports. The number changes only when a change to `Framework`, `KindInfo`,
`EngineOptions`, the engine's building blocks or the models would break an existing plug-in; core's own
version changes far more often.
"""

from typing import Final

#: bumped on every change that breaks a plug-in built for the previous number
CONTRACT: Final = 2
