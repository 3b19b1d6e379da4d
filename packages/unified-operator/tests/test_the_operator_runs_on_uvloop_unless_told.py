"""`training-operator run` runs on uvloop where it is installed (a dependency on Linux and macOS); the flag
`--event-loop asyncio` keeps the standard loop; a wrong value is refused by the flag parser; the garbage
collector is settled once everything is loaded."""

import argparse
import asyncio
import sys

import pytest

from training_operator.unified import eventloop, settings


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not a dependency on Windows")
def test_auto_runs_on_uvloop():
    assert eventloop.run(_loop_module()).startswith("uvloop")


def test_asyncio_keeps_the_standard_loop():
    assert eventloop.run(_loop_module(), choice="asyncio").startswith("asyncio")


def _parse(*words: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    settings.add_flags(parser, plugins=[])
    return parser.parse_args(list(words))


def test_the_flag_reaches_the_settings_and_defaults_to_auto():
    assert settings.from_args(_parse(), environ={}).event_loop == "auto"
    assert settings.from_args(_parse("--event-loop", "asyncio"), environ={}).event_loop == "asyncio"


def test_an_unknown_loop_is_refused(capsys):
    with pytest.raises(SystemExit):
        _parse("--event-loop", "trio")
    assert "--event-loop: invalid choice: 'trio'" in capsys.readouterr().err


def test_the_collector_is_settled_once_the_operator_has_loaded():
    import gc

    from training_operator.unified import collector

    threshold = gc.get_threshold()
    try:
        collector.settle()
        assert gc.get_freeze_count() > 0  # what was loaded is out of the collector's sight
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
