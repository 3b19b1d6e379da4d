"""Framework discovery: every installed plug-in is found, `--enable-scheme` limits the set case-insensitively,
an unknown scheme names what is installed and the pip extra to add, a broken entry point names itself, and a
plug-in built for another core contract (or declaring none) is refused before its code is imported, with both
versions named; the contract declarations are read once per discovery. Plug-ins here are real distributions
on sys.path, as pip would install them."""

import sys

import pytest

from training_operator.core import __version__ as core_version
from training_operator.core import discovery
from training_operator.core.contract import CONTRACT
from training_operator.core.errors import FrameworkLoadError, UnknownScheme, install_hint
from training_operator.core.testing.plugins import install_plugin


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("fake_paddle_")]:
        del sys.modules[name]


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
        discovery.discover(["sparkjob", "mxjob-typo"])
    message = str(error.value)
    assert "scheme mxjob-typo, sparkjob is not supported" in message
    for scheme in discovery.installed():
        assert scheme in message
    assert "pip install 'training-operator[" in message


@pytest.mark.parametrize(
    ("schemes", "extras"),
    [
        pytest.param(["tfjob", "MXJob"], "mxnet,tf", id="built-in-and-the-mxnet-exception"),
        pytest.param(["jaxjob", "xgboostjob"], "jax,xgboost", id="a-new-kind-needs-no-entry"),
        pytest.param(["all"], "all", id="all"),
    ],
)
def test_install_hint_names_our_extra(schemes, extras):
    assert install_hint(schemes) == f"pip install 'training-operator[{extras}]'"


@pytest.mark.parametrize(
    ("plugin", "text"),
    [
        pytest.param("from json import dumps as FRAMEWORK\n", "is a function, not a Framework", id="not-one"),
        pytest.param("import no_such_module\n", "failed to load: No module named", id="import-error"),
    ],
)
def test_broken_entry_points_name_themselves(site, plugin, text):
    install_plugin(site, plugin=plugin, contract=CONTRACT)

    with pytest.raises(FrameworkLoadError, match=text) as error:
        discovery.discover(["sparkjob"])
    assert "'sparkjob'" in str(error.value)


@pytest.mark.parametrize(
    ("contract", "built_for"),
    [
        pytest.param(CONTRACT + 1, f"is built for core contract {CONTRACT + 1}", id="newer"),
        pytest.param(CONTRACT - 1, f"is built for core contract {CONTRACT - 1}", id="older"),
        pytest.param(None, "declares no core contract", id="undeclared"),
    ],
)
def test_a_plugin_for_another_contract_is_refused_naming_both_versions(site, contract, built_for):
    # what an old plug-in meets after core changed: a name it imports is gone
    package = install_plugin(
        site, plugin="from training_operator.core.gone import Framework\n", contract=contract
    )

    with pytest.raises(FrameworkLoadError) as error:
        discovery.discover(["sparkjob"])

    assert str(error.value) == (
        f"framework 'sparkjob' (fake-spark 9.0) {built_for}"
        + (" (entry point group 'training_operator.contracts')" if contract is None else "")
        + f", but the installed training-operator-core {core_version} speaks contract {CONTRACT}: "
        f"install a release of fake-spark built for contract {CONTRACT}"
    )
    assert f"{package}.plugin" not in sys.modules  # refused before its code ran


def test_every_installed_framework_declares_this_cores_contract():
    declared = {entry.name: entry.load() for entry in discovery.declared_contracts()}
    assert set(discovery.installed()) <= set(declared)
    assert set(declared.values()) == {CONTRACT}


def test_contract_declarations_are_read_once_per_discovery(monkeypatch):
    # each read scans every installed distribution's metadata: once per plug-in made starts slow
    reads = []
    declared = discovery.declared_contracts

    def counted():
        reads.append(1)
        return declared()

    monkeypatch.setattr(discovery, "declared_contracts", counted)
    found = discovery.discover()
    assert len(found) == len(discovery.installed()) > 1
    assert len(reads) == 1
    discovery.loadable()
    assert len(reads) == 2
