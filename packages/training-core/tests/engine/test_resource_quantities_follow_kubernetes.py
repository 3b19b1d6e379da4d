"""PodGroup minResources are summed and printed as Kubernetes' apimachinery does (common.md §14.3,
mpi.md §15).

Each expected text is what `resource.MustParse(in).String()` (or a sum with `Quantity.Add`) gives in Go: the
canonical form keeps the parsed format (binary suffix, decimal suffix or `e` exponent), moves every factor it
can into the largest suffix without losing precision, prints binary values under 1024 in decimal, and rounds
what is finer than a nano-unit up (away from zero).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from training_operator.core.engine import quantity

CANONICAL = [
    # decimal SI: the largest suffix that keeps the mantissa whole
    ("0", "0"),
    ("1", "1"),
    ("999", "999"),
    ("1000", "1k"),
    ("1500", "1500"),
    ("2000000", "2M"),
    ("3000000000", "3G"),
    ("4T", "4T"),
    ("5P", "5P"),
    ("1E", "1E"),
    ("7000P", "7E"),
    ("0.5", "500m"),
    ("1.5", "1500m"),
    ("1000m", "1"),
    ("1500m", "1500m"),
    ("500m", "500m"),
    ("0.001", "1m"),
    ("1000u", "1m"),
    ("1000n", "1u"),
    ("100n", "100n"),
    ("1200k", "1200k"),
    ("1.2M", "1200k"),
    (".5", "500m"),
    ("5.", "5"),
    ("+3", "3"),
    ("-1500m", "-1500m"),
    ("-2k", "-2k"),
    # binary SI: kept binary when whole and at least 1024 in magnitude
    ("1Ki", "1Ki"),
    ("1023Ki", "1023Ki"),
    ("1025Ki", "1025Ki"),
    ("1024Ki", "1Mi"),
    ("1024Mi", "1Gi"),
    ("1536Mi", "1536Mi"),
    ("2Gi", "2Gi"),
    ("1.5Gi", "1536Mi"),
    ("0.5Gi", "512Mi"),
    ("3Ti", "3Ti"),
    ("2Pi", "2Pi"),
    ("1024Pi", "1Ei"),
    ("1Ei", "1Ei"),
    ("1.5Ki", "1536"),
    ("0.5Ki", "512"),
    ("0.0001Ki", "102400u"),
    ("0Gi", "0"),
    ("-2Gi", "-2Gi"),
    ("-1Ki", "-1Ki"),
    ("-0.5Ki", "-512"),
    # decimal exponent: remembered, printed with an exponent that is a multiple of three
    ("1e3", "1e3"),
    ("1E3", "1e3"),
    ("1e+3", "1e3"),
    ("1e6", "1e6"),
    ("1.5e3", "1500"),
    ("12e2", "1200"),
    ("1e0", "1"),
    ("1e-3", "1e-3"),
    ("5e-1", "500e-3"),
    ("25e-10", "3e-9"),
    # finer than a nano-unit: rounded up, away from zero
    ("0.1n", "1n"),
    ("1.5n", "2n"),
    ("-0.1n", "-1n"),
    ("0.0000000001", "1n"),
]


@pytest.mark.parametrize(("text", "printed"), CANONICAL)
def test_a_quantity_prints_in_the_canonical_form_kubernetes_gives(text: str, printed: str) -> None:
    assert str(quantity.parse(text)) == printed


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1Ki", 1024),
        ("1Mi", 1024**2),
        ("1Gi", 1024**3),
        ("1Ti", 1024**4),
        ("1Pi", 1024**5),
        ("1Ei", 1024**6),
        ("1n", Fraction(1, 10**9)),
        ("1u", Fraction(1, 10**6)),
        ("1m", Fraction(1, 1000)),
        ("1k", 1000),
        ("1M", 10**6),
        ("1G", 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),
        ("2e2", 200),
        ("2e-2", Fraction(2, 100)),
    ],
)
def test_each_suffix_scales_by_its_power(text: str, value: Fraction) -> None:
    assert quantity.parse(text).value == value


def test_bare_numbers_from_yaml_are_quantities_too() -> None:
    assert str(quantity.parse(2)) == "2"
    assert str(quantity.parse(0.5)) == "500m"


@pytest.mark.parametrize("text", ["", "Gi", "1K", "1ki", "1GB", "1 Gi", "x1", "1Gix", "1e", "1e1.5", "abc"])
def test_what_kubernetes_refuses_is_an_error_quoting_the_text(text: str) -> None:
    with pytest.raises(ValueError, match=f"quantities must match .*: '{text}'"):
        quantity.parse(text)


@pytest.mark.parametrize("text", ["1.2.3", ".", "1..2Gi"])
def test_a_number_with_stray_dots_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="Invalid literal for Fraction"):
        quantity.parse(text)


def test_a_sum_prints_in_the_first_terms_format() -> None:
    assert quantity.sum_lists([({"memory": "1Gi"}, 1), ({"memory": "1000"}, 1)]) == {"memory": "1073742824"}
    assert quantity.sum_lists([({"memory": "1Gi"}, 1), ({"memory": "1Gi"}, 1)]) == {"memory": "2Gi"}
    assert quantity.sum_lists([({"memory": "1G"}, 1), ({"memory": "1Gi"}, 1)]) == {"memory": "2073741824"}
    assert quantity.sum_lists([({"cpu": "1e3"}, 1), ({"cpu": "1k"}, 1)]) == {"cpu": "2e3"}
    assert quantity.sum_lists([({"cpu": "1k"}, 1), ({"cpu": "1e3"}, 1)]) == {"cpu": "2k"}


def test_a_binary_sum_with_a_fraction_prints_in_decimal() -> None:
    assert quantity.sum_lists([({"memory": "1Gi"}, 1), ({"memory": "500m"}, 1)]) == {
        "memory": "1073741824500m"
    }


def test_only_a_zero_first_term_gives_up_its_format() -> None:
    assert quantity.sum_lists([({"memory": "-1024"}, 1), ({"memory": "2Ki"}, 1)]) == {"memory": "1024"}


def test_a_zero_first_term_takes_the_format_of_what_is_added() -> None:
    """apimachinery's `Add`: a zero amount adopts the other quantity's format."""
    assert quantity.sum_lists([({"memory": "0"}, 1), ({"memory": "1Gi"}, 2)]) == {"memory": "2Gi"}
    assert quantity.sum_lists([({"cpu": "0"}, 1), ({"cpu": "2e3"}, 1)]) == {"cpu": "2e3"}
    assert quantity.sum_lists([({"memory": "1Gi"}, 0), ({"memory": "1000"}, 1)]) == {"memory": "1k"}


def test_counts_multiply_and_resources_sum_by_name() -> None:
    total = quantity.sum_lists(
        [
            ({"cpu": "500m", "memory": "1Gi"}, 3),
            ({"cpu": "1", "nvidia.com/gpu": "1"}, 2),
        ]
    )
    assert total == {"cpu": "3500m", "memory": "3Gi", "nvidia.com/gpu": "2"}


def test_add_lists_adds_in_place_and_render_keeps_the_names() -> None:
    total: dict[str, quantity.Quantity] = {"cpu": quantity.parse("1")}
    quantity.add_lists(total, {"cpu": "250m", "memory": "512Mi"}, times=2)
    quantity.add_lists(total, {"memory": "512Mi"})
    assert quantity.render(total) == {"cpu": "1500m", "memory": "1536Mi"}
    assert quantity.sum_lists([]) == {}
