"""Framework discovery: every installed plug-in is found, `--enable-scheme` limits the set case-insensitively,
an unknown scheme names what is installed and the pip extra to add, and a broken entry point names itself."""

from importlib.metadata import EntryPoint

import pytest

from training_operator.core import discovery
from training_operator.core.errors import FrameworkLoadError, UnknownScheme


def test_installed_frameworks_are_all_discovered():
    found = discovery.discover()
    assert set(found) == set(discovery.installed())
    for scheme, framework in found.items():
        assert framework.kind.scheme == scheme


def test_enable_scheme_limits_and_ignores_case():
    scheme = sorted(discovery.installed())[0]
    assert list(discovery.discover([scheme.upper()])) == [scheme]


def test_unknown_scheme_names_installed_and_the_extra():
    with pytest.raises(UnknownScheme) as error:
        discovery.discover(["paddlejob", "mxjob-typo"])
    message = str(error.value)
    assert "scheme mxjob-typo, paddlejob is not supported" in message
    for scheme in discovery.installed():
        assert scheme in message
    assert "pip install 'training-operator[" in message


def test_broken_entry_points_name_themselves(monkeypatch):
    bogus = EntryPoint(name="tfjob", value="json:dumps", group=discovery.FRAMEWORKS_GROUP)
    missing = EntryPoint(name="tfjob", value="no_such_module:X", group=discovery.FRAMEWORKS_GROUP)
    for entry, text in [(bogus, "is a function, not a Framework"), (missing, "failed to load")]:
        monkeypatch.setattr(discovery, "installed", lambda entry=entry: {"tfjob": entry})
        with pytest.raises(FrameworkLoadError, match=text):
            discovery.discover()
