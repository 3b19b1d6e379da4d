"""The package's public surface: `__all__` is sorted, complete and importable (STYLE.md §8)."""

import training_operator.core as core


def test_all_is_sorted_and_importable():
    assert core.__all__ == sorted(core.__all__)
    for name in core.__all__:
        assert hasattr(core, name), name


def test_all_is_complete():
    modules = {name for name, value in vars(core).items() if type(value).__name__ == "module"}
    public = {name for name in vars(core) if not name.startswith("_")} - modules
    assert public <= set(core.__all__)
