"""fastq._format: how numbers look in every report (doctests cover each helper; these the edges)."""

import math
from fractions import Fraction

import pytest

from fastq import _format as f


@pytest.mark.parametrize("value, text", [
    (0.0, "0.0"), (999.94, "999.9"), (1_000.0, "1.0 k"), (-2.5e6, "-2.5 M"), (3e12, "3.0 T"),
    (math.inf, "n/a"), (math.nan, "n/a"),
])
def test_format_rate(value, text):
    assert f.format_rate(value) == text


def test_seconds_numbers_values_slips_ratios():
    assert f.format_seconds(0.9994) == "999.4 ms" and f.format_seconds(1.0) == "1.00 s"
    assert f.format_number(-0.5, "+.1f", " x") == "-0.5 x" and f.format_number(math.nan, ".1f") == "n/a"
    assert f.format_value(1e-7) == "1e-07" and f.format_value(True) == "True"
    assert f.format_slip(Fraction(1, 3)) == "1/3" and f.format_slip(0) == "0"
    assert f.format_ratio(9.999) == "10.0" and f.format_ratio(0.009) == "0.009"


def test_fixed_spec_keeps_about_four_significant_digits():
    assert f"{123.456:{f.fixed_spec([123.456])}}" == "123.5"
    assert f"{0.0123456:{f.fixed_spec([0.0123456])}}" == "0.01235"
    assert f.fixed_spec([1e-9]) == ".6f" and f.fixed_spec([]) == ".2f"


def test_rows_and_tables_align():
    assert f.row("label", "v") == "label" + " " * (f.LABEL_WIDTH - 5) + "v"
    assert f.table([("a", "bb", ""), ("ccc", "d", "")]) == ["a    bb", "ccc  d"]
    assert f.table([]) == []


def test_a_number_that_rounds_to_zero_prints_without_a_sign():
    assert f.format_number(-0.00004, ".4f") == "0.0000"
    assert f.format_number(-0.0, ".2f", " %") == "0.00 %"
    assert f.format_number(-0.00006, ".4f") == "-0.0001"
    assert f.format_number(-1e-9, ".2e") == "-1.00e-09"
