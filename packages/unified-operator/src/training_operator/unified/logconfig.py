"""Process logging: plain lines for people, one JSON object per line for log pipelines (`--json-logs`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...}`: the shape zap's JSON encoder gives upstream's operator."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(*, json_logs: bool, level: str) -> None:
    """Set up the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_level(level))
    logging.getLogger("kopf").setLevel(max(_level(level), logging.INFO))
    # kopf logs every handled event at INFO ("Handler 'tfjob-events' succeeded"): noise at our event rates
    logging.getLogger("kopf.objects").setLevel(max(_level(level), logging.WARNING))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _level(text: str) -> int:
    """zap levels: names, or numbers where higher verbosity is more negative (`--zap-log-level=2` = debug)."""
    if text.lstrip("-").isdigit():
        return logging.DEBUG if int(text) > 0 else logging.INFO
    return _LEVELS.get(text.lower(), logging.INFO)
