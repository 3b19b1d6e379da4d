"""The JSONPath subset CRD printer columns use: `.a.b`, `[n]`, `[-1:]`, `[*]`, `[?(@.k=="v")]`.

Pure; an unsupported expression yields no value (an empty cell), as a real server renders a path that
matches nothing.
"""

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z0-9_\-/]+)|\[([^\]]*)\]")
_FILTER = re.compile(r"^\?\(@\.([A-Za-z0-9_.\-]+)\s*(==|!=)\s*['\"]?([^'\"]*)['\"]?\)$")


def _step(values: list[Any], field: str | None, index: str | None) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if field is not None:
            if isinstance(value, dict) and field in value:
                out.append(value[field])
            continue
        if not isinstance(value, list) or index is None:
            continue
        if index == "*":
            out.extend(value)
        elif filt := _FILTER.match(index):
            path, op, wanted = filt.groups()
            for item in value:
                got = evaluate(item, "." + path)
                hit = bool(got) and str(got[0]) == wanted
                if hit == (op == "=="):
                    out.append(item)
        elif ":" in index:
            start, _, stop = index.partition(":")
            out.extend(value[int(start) if start else None : int(stop) if stop else None])
        else:
            try:
                out.append(value[int(index)])
            except (ValueError, IndexError):
                continue
    return out


def evaluate(obj: Any, expression: str) -> list[Any]:
    """All values the expression selects from `obj`."""
    expression = expression.strip()
    if expression.startswith("{") and expression.endswith("}"):
        expression = expression[1:-1]
    values = [obj]
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            return []
        values = _step(values, match.group(1), match.group(2))
        position = match.end()
    return values
