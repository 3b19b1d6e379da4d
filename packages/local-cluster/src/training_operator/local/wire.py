"""JSON on the wire and on disk, through orjson: encoding and decoding were the largest share of the API
server's CPU per write after the HTTP stack itself.

An integer beyond 64 bits (which a fuzzed custom resource may carry) goes through the standard library
instead, both ways: orjson would refuse to write it and read it back as a rounded float, and validation must
see the number the client sent.
"""

import json
import re
from typing import Any

import orjson

#: 19 digits in a row: maybe an integer orjson would read as a float (a string with such a run goes too)
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def encode(body: Any) -> bytes:
    """`body` as compact JSON bytes, as the API server writes it."""
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(body, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> Any:
    """A JSON document (ValueError when it is not one); beyond-64-bit integers keep every digit."""
    data = raw.encode() if isinstance(raw, str) else raw
    if _LONG_NUMBER.search(data):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # orjson's refusals that json accepts (NaN); else json's own error
