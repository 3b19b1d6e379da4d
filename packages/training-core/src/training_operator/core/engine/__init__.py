"""The pure reconcile engine: no I/O, no clock, no globals (STYLE.md §6)."""
