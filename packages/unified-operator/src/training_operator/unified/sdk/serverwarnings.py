"""Warnings the API server sends with an answer, reported the way client-go does.

The API server adds a `Warning: 299 - "<text>"` header for each warning of a request: an admission webhook's
(a PyTorchJob's deprecated `elasticPolicy.nProcPerNode`) or a deprecated API's. client-go's default handler
logs each one and kubectl prints `Warning: <text>` on stderr; both clients here log each one as a WARNING
record on `WARNING_LOG`. A program that configures no logging still sees them on stderr (Python's last-resort
handler); the CLI prints them as kubectl does (docs/sdk.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: one WARNING record per server warning, its message the warning's text
WARNING_LOG = logging.getLogger("training_operator.unified.sdk.warnings")
#: the only warn-code the API server uses, "Miscellaneous persistent warning"; client-go ignores others
WARN_CODE = "299"
# warn-code, warn-agent, quoted warn-text (an optional quoted date may follow); several may share one header
_WARNING = re.compile(r'(\d{3})\s+\S+\s+"((?:[^"\\]|\\.)*)"')
_ESCAPED = re.compile(r"\\(.)")


def texts(headers: Iterable[str]) -> list[str]:
    """The warning texts of an answer's `Warning` header values, in order; malformed values are skipped."""
    return [
        _ESCAPED.sub(r"\1", match.group(2))
        for header in headers
        for match in _WARNING.finditer(header)
        if match.group(1) == WARN_CODE
    ]


def report(headers: Iterable[str]) -> None:
    """Log every warning an answer carries."""
    for text in texts(headers):
        WARNING_LOG.warning("%s", text)
