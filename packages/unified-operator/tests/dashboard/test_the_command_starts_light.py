"""`training-operator dashboard` is registered on every CLI start, so registering it must import nothing
heavy (no aiohttp, kubernetes or event loop machinery): that waits until the command runs. Its help names
the loopback default and the token."""

import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).parent / "training-operator")


def test_registering_the_command_imports_nothing_heavy():
    code = (
        "import sys, argparse\n"
        "from training_operator.unified.dashboard import command\n"
        "command.register(argparse.ArgumentParser().add_subparsers())\n"
        "print(sorted(m for m in ('aiohttp', 'asyncio', 'kubernetes', 'kopf', 'yaml') if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_the_help_says_where_it_listens():
    shown = subprocess.run([CLI, "dashboard", "--help"], capture_output=True, text=True, check=True)
    assert "127.0.0.1" in shown.stdout
    assert "token" in shown.stdout
    assert "--address" in shown.stdout


def test_a_missing_kubeconfig_is_one_line(tmp_path):
    missing = tmp_path / "nope"
    shown = subprocess.run(
        [CLI, "dashboard", "--kubeconfig", str(missing)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 2
    assert shown.stderr.startswith("error: ")
    assert "cannot find the cluster" in shown.stderr
    assert "Traceback" not in shown.stderr
