"""Logging: `--json-logs` gives one JSON object per line with level, logger and message; zap's numeric
verbosity maps to debug."""

import json
import logging

from training_operator.unified import logconfig


def test_json_lines_carry_level_logger_and_message():
    record = logging.LogRecord(
        "training_operator.x", logging.WARNING, __file__, 1, "job %s failed", ("a",), None
    )
    line = json.loads(logconfig.JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["msg"]) == ("warning", "training_operator.x", "job a failed")
    assert line["ts"].endswith("+00:00")


def test_zap_levels_map_to_python_levels():
    assert logconfig._level("debug") == logging.DEBUG
    assert logconfig._level("2") == logging.DEBUG
    assert logconfig._level("error") == logging.ERROR
    assert logconfig._level("nonsense") == logging.INFO
