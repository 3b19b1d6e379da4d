"""The API JSON codec never changes a number on its way through the operator, even one beyond 64 bits that
orjson alone would round to a float; ordinary bodies go through orjson."""

from __future__ import annotations

import pytest

from training_operator.core.kube import codec


@pytest.mark.parametrize(
    "number",
    [2**64 + 1, -(2**63) - 1, 10**30, 2**63 - 1, 1234567890123456789],
)
def test_integers_of_any_size_come_back_exactly(number: int) -> None:
    raw = codec.encode({"spec": {"replicas": number}, "metadata": {"name": "a-1"}})

    decoded = codec.decode(raw)

    assert decoded["spec"]["replicas"] == number
    assert isinstance(decoded["spec"]["replicas"], int)


def test_digit_runs_inside_strings_and_short_numbers_decode_alike() -> None:
    body = {"metadata": {"uid": "0123456789012345678901", "resourceVersion": "42"}, "n": 7, "f": 0.5}

    assert codec.decode(codec.encode(body)) == body
    assert codec.decode(codec.encode(body).decode()) == body
