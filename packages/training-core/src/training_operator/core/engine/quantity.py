"""Kubernetes resource quantities as exact numbers: parse `2Gi`/`500m`/`1e3`, add them, print them back.

PodGroup `minResources` (common.md §14.3, mpi.md §15) sums container requests "with Kubernetes quantity
semantics"; floats would print `2147483648.0` where Kubernetes prints `2Gi`, so values are `Fraction`s and the
printed form follows apimachinery's canonical rule: the format (binary suffix, decimal suffix or `e` exponent)
of the first non-zero term, the largest suffix or exponent that keeps the number whole; a value is rounded up
(away from zero) to whole nano-units when parsed, as `ParseQuantity` does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_DECIMAL_SUFFIXES = {power: suffix for suffix, power in _DECIMAL.items()}
_PATTERN = re.compile(r"^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")


@dataclass(frozen=True, slots=True)
class Quantity:
    """An exact amount and the format it prints in (apimachinery's BinarySI, DecimalSI or DecimalExponent)."""

    value: Fraction
    binary: bool = False
    exponent: bool = False

    def __add__(self, other: Quantity) -> Quantity:
        first = other if self.value == 0 else self  # apimachinery's Add: a zero takes the other's format
        return Quantity(self.value + other.value, first.binary, first.exponent)

    def __mul__(self, factor: int) -> Quantity:
        return Quantity(self.value * factor, self.binary, self.exponent)

    def __str__(self) -> str:
        if self.binary and self.value.denominator == 1 and abs(self.value) >= 1024:
            return _binary_text(int(self.value))
        return _decimal_text(self.value, self.exponent)


def parse(text: Any) -> Quantity:
    """A quantity from its wire form (a string, or a bare number as YAML sometimes gives)."""
    raw = str(text).strip()
    match = _PATTERN.match(raw)
    if match is None:
        raise ValueError(f"quantities must match the regular expression {_PATTERN.pattern!r}: {raw!r}")
    number, suffix = Fraction(match.group(1)), match.group(2) or ""
    if suffix in _BINARY:
        return Quantity(_nano_up(number * 1024 ** _BINARY[suffix]), binary=True)
    if suffix in _DECIMAL:
        return Quantity(_nano_up(number * Fraction(1000) ** _DECIMAL[suffix]))
    return Quantity(_nano_up(number * Fraction(10) ** int(suffix[1:])), exponent=True)


def _nano_up(value: Fraction) -> Fraction:
    """Rounded away from zero to whole nano-units: `0.1n` is `1n` ("if you want some, you get some")."""
    nanos = value * 10**9
    whole = math.ceil(abs(nanos))
    return Fraction(whole if nanos >= 0 else -whole, 10**9)


def _binary_text(value: int) -> str:
    for suffix, power in sorted(_BINARY.items(), key=lambda item: -item[1]):
        if value % 1024**power == 0:
            return f"{value // 1024**power}{suffix}"
    return str(value)


def _decimal_text(value: Fraction, exponent: bool) -> str:
    """Mantissa × 10^e with every factor of ten moved into e, then e lowered to a multiple of three."""
    if value == 0:
        return "0"
    mantissa, power = int(value * 10**9), -9  # whole: parse rounds to nano-units
    while mantissa % 10 == 0:
        mantissa, power = mantissa // 10, power + 1
    while power % 3:
        mantissa, power = mantissa * 10, power - 1
    if exponent:
        return f"{mantissa}e{power}" if power else str(mantissa)
    suffix = _DECIMAL_SUFFIXES.get(power // 3)
    return f"{mantissa}{suffix}" if suffix is not None else f"{mantissa}e{power}"


def add_lists(total: dict[str, Quantity], extra: Mapping[str, Any], *, times: int = 1) -> None:
    """Add `times` × a ResourceList (`{cpu: "1", memory: 2Gi}`) into `total`, in place."""
    for name, amount in extra.items():
        term = parse(amount) * times
        total[name] = total[name] + term if name in total else term


def render(total: Mapping[str, Quantity]) -> dict[str, str]:
    """A ResourceList as the API server prints it."""
    return {name: str(amount) for name, amount in total.items()}


def sum_lists(lists: Iterable[tuple[Mapping[str, Any], int]]) -> dict[str, str]:
    """Σ count × ResourceList, rendered."""
    total: dict[str, Quantity] = {}
    for resources, count in lists:
        add_lists(total, resources, times=count)
    return render(total)
