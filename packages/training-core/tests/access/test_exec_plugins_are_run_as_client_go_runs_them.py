"""Exec credential plug-ins: v1 and v1beta1, KUBERNETES_EXEC_INFO, renewal before expiry and after a 401,
relative commands, and clear errors (missing plug-in with its install hint, wrong apiVersion, no token).
"""

import datetime
import json
import stat
import sys
from pathlib import Path

import pytest
import yaml

from training_operator.core import access
from training_operator.core.errors import AccessError

V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"


def plugin(folder: Path, *, lifetime: float | None, answer_version: str | None = None) -> Path:
    """A plug-in that counts its runs in `runs` and hands out token-<n>, expiring after `lifetime`."""
    script = folder / "bin" / "plugin.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"""#!{sys.executable}
import datetime, json, os, pathlib
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
runs = pathlib.Path({str(folder / "runs")!r})
count = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(count))
status = {{"token": f"token-{{count}}-{{os.environ.get('EXTRA', '')}}"}}
lifetime = {lifetime!r}
if lifetime is not None:
    at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lifetime)
    status["expirationTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({{"apiVersion": {answer_version!r} or info["apiVersion"], "kind": "ExecCredential",
                  "status": status}}))
"""
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def exec_kubeconfig(folder: Path, api_version: str, command: str = "./bin/plugin.py") -> Path:
    path = folder / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "c", "cluster": {"server": "https://c"}}],
                "users": [
                    {
                        "name": "u",
                        "user": {
                            "exec": {
                                "apiVersion": api_version,
                                "command": command,
                                "env": [{"name": "EXTRA", "value": "x"}],
                                "installHint": "brew install the-plugin",
                            }
                        },
                    }
                ],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return path


def runs(folder: Path) -> int:
    return int((folder / "runs").read_text())


@pytest.mark.parametrize("api_version", [pytest.param(V1, id="v1"), pytest.param(V1BETA1, id="v1beta1")])
def test_token_is_cached_until_a_401(tmp_path, api_version):
    plugin(tmp_path, lifetime=None)
    found = access.load(exec_kubeconfig(tmp_path, api_version))

    first = found.headers()
    assert first == {"Authorization": "Bearer token-1-x"}
    assert found.headers() == first
    assert runs(tmp_path) == 1

    found.invalidate(first)
    found.invalidate(first)  # a second request that failed with the same token: still one new run
    assert found.headers() == {"Authorization": "Bearer token-2-x"}
    assert runs(tmp_path) == 2


def test_renewed_before_expiration(tmp_path):
    plugin(tmp_path, lifetime=0)  # expires as it is handed out: renewal is due at once
    found = access.load(exec_kubeconfig(tmp_path, V1))
    assert found.headers() == {"Authorization": "Bearer token-1-x"}
    assert found.auth.due()
    assert found.headers() == {"Authorization": "Bearer token-2-x"}


def test_renewal_comes_a_fifth_of_the_lifetime_early_at_most_30s(tmp_path):
    plugin(tmp_path, lifetime=3600)
    found = access.load(exec_kubeconfig(tmp_path, V1))
    found.headers()
    renew_at = found.auth.expires()
    assert renew_at is not None
    left = renew_at - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(seconds=3500) < left < datetime.timedelta(seconds=3571)
    assert not found.auth.due()
    assert found.headers() == {"Authorization": "Bearer token-1-x"}


def test_missing_plugin_shows_the_install_hint(tmp_path):
    found = access.load(exec_kubeconfig(tmp_path, V1, command="no-such-plugin-anywhere"))
    with pytest.raises(AccessError, match="not installed: brew install the-plugin"):
        found.headers()


def test_answer_in_another_version_is_refused(tmp_path):
    plugin(tmp_path, lifetime=None, answer_version=V1BETA1)
    found = access.load(exec_kubeconfig(tmp_path, V1))
    with pytest.raises(AccessError, match=r"asked for 'client\.authentication\.k8s\.io/v1'"):
        found.headers()


def test_v1alpha1_is_refused_by_name(tmp_path):
    found = access.load(exec_kubeconfig(tmp_path, "client.authentication.k8s.io/v1alpha1"))
    with pytest.raises(AccessError, match="v1alpha1' is not supported"):
        found.headers()


def test_plugin_without_credentials_is_refused(tmp_path):
    script = tmp_path / "bin" / "plugin.py"
    script.parent.mkdir()
    empty = json.dumps({"apiVersion": V1, "kind": "ExecCredential", "status": {}})
    script.write_text(f"#!{sys.executable}\nprint({json.dumps(empty)})\n")
    script.chmod(0o755)
    found = access.load(exec_kubeconfig(tmp_path, V1))
    with pytest.raises(AccessError, match="neither a token nor a client certificate"):
        found.headers()
