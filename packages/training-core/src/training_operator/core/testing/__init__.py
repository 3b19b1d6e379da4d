"""Public helpers for every package's tests: builders, a demo kind, plan application."""
