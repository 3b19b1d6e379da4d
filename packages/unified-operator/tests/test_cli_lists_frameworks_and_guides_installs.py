"""The console script: help lists installed frameworks; `version` prints each plug-in's distribution;
`local` without the local extra says which extra to install; an unknown scheme names the extra."""

import builtins

import pytest

from training_operator.core import discovery
from training_operator.unified import cli


def test_help_lists_the_installed_frameworks(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for scheme in discovery.installed():
        assert scheme in out
    for command in ("run", "version", "local"):
        assert command in out


def test_version_names_each_framework(capsys):
    assert cli.main(["version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("training-operator ")
    for scheme in discovery.installed():
        assert scheme in out


def test_local_without_the_extra_says_what_to_install(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_local(name, *args, **kwargs):
        if name.startswith("training_operator.local"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_local)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["local", "down"])
    assert exit_.value.code == 3
    assert "pip install 'training-operator[local]'" in capsys.readouterr().err


def test_an_unknown_scheme_fails_with_the_extra_to_install(capsys):
    from training_operator.unified import composition, settings

    # the extra is the scheme less `job`, whichever kind it is
    with pytest.raises(Exception, match=r"pip install 'training-operator\[foo\]'"):
        composition.compose(settings.parse(["--enable-scheme=FooJob"], environ={}))


def test_flags_inserted_before_the_subcommand_still_run_the_operator(capsys):
    assert cli._flags_first(["--leader-elect", "run", "--namespace=x"]) == [
        "run",
        "--leader-elect",
        "--namespace=x",
    ]
    assert cli._flags_first(["--leader-elect"]) == ["run", "--leader-elect"]
    assert cli._flags_first(["version"]) == ["version"]


def test_run_without_cluster_access_fails_clearly(tmp_path, capsys):
    assert cli.main(["run", "--kubeconfig", str(tmp_path / "missing")]) == 2
    assert "cannot find the cluster" in capsys.readouterr().err


def test_a_plugin_for_another_core_contract_stops_run_with_one_line(tmp_path, monkeypatch, capsys):
    from training_operator.core.contract import CONTRACT
    from training_operator.core.testing.plugins import install_plugin

    monkeypatch.syspath_prepend(str(tmp_path))
    install_plugin(tmp_path, plugin="raise RuntimeError('never imported')\n", contract=CONTRACT + 1)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )

    code = cli.main(["run", "--kubeconfig", str(kubeconfig), "--enable-scheme", "sparkjob"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1  # one line, no traceback
    assert f"is built for core contract {CONTRACT + 1}" in err
    assert f"speaks contract {CONTRACT}" in err
