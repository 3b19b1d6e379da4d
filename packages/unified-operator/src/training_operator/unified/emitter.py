"""YAML for JSON-shaped data (what `render` prints): PyYAML's block style, about ten times faster.

PyYAML represents every node in Python even with libyaml's emitter: 1.2 s for the 2,000 objects of a
1,000-replica job. Here mappings and lists are laid out directly in the layout `yaml.safe_dump(sort_keys=
False)` uses (two spaces, lists under a key not indented). A scalar that is plainly a string (letters,
digits, `_./-`, not a YAML 1.1 boolean or null) is written as is; any other scalar is quoted by PyYAML
itself, once per distinct value, and kept on one line (a JSON string, which YAML reads alike, when PyYAML
would break it over lines).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
#: YAML 1.1 booleans and nulls: strings spelled so must be quoted
_RESERVED = frozenset(
    {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}
    | {"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~"}
)


def dump_all(documents: Iterable[Any]) -> str:
    """The documents separated by `---` lines."""
    parts = ["\n".join(_lines(document, 0)) + "\n" for document in documents]
    return "---\n".join(parts)


def _lines(value: Any, indent: int) -> Iterator[str]:
    """`value` as a block node whose lines start at column `indent`."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, dict) and item:
                yield head
                yield from _lines(item, indent + 2)
            elif isinstance(item, list) and item:
                yield head
                yield from _lines(item, indent)  # PyYAML does not indent a list under its key
            else:
                yield f"{head} {_scalar(item)}"
    elif isinstance(value, list) and value:
        for item in value:
            if (isinstance(item, dict | list)) and item:
                inner = _lines(item, indent + 2)
                yield f"{pad}- {next(inner)[indent + 2 :]}"
                yield from inner
            else:
                yield f"{pad}- {_scalar(item)}"
    else:
        yield pad + _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value if _PLAIN.fullmatch(value) and value not in _RESERVED else _quoted(value)
    if value is True or value is False:
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return _quoted(value)


@functools.lru_cache(maxsize=8192)
def _quoted(value: Any) -> str:
    text = yaml.safe_dump(value, width=10**9).removesuffix("\n").removesuffix("\n...")
    return json.dumps(value, ensure_ascii=False) if "\n" in text else text
