"""JSON to and from the API server, through orjson (several times faster than the standard library at both).

Kubernetes never sends an integer beyond 64 bits (its unstructured decoder turns a larger one into a float,
as orjson does); a body we send with one is encoded by the standard library instead, so nothing is refused
that `json` accepted before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def encode(body: Any) -> bytes:
    """`body` as compact JSON bytes."""
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer beyond 64 bits, or a type orjson does not know
        return json.dumps(body, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> Any:
    """A JSON document (raises ValueError when it is not one)."""
    return orjson.loads(raw)
