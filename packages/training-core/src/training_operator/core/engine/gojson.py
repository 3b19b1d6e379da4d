"""JSON exactly as Go's `encoding/json` writes it, for config env values (TF_CONFIG, MX_CONFIG).

Go's encoder is compact and escapes `<`, `>`, `&`, U+2028 and U+2029 while leaving other non-ASCII text raw;
matching it byte for byte keeps pod specs identical to Kubeflow's (frameworks.md §0.6). Map keys must already
be in sorted order (as Go sorts them); fixed structures keep their declared field order.
"""

from __future__ import annotations

import json
from typing import Any

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_GO_ESCAPES)


def dumps(value: Any) -> str:
    """Compact JSON with Go's HTML-safe escaping; dict order is kept as given."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_TABLE)
