"""The two LLVM instructions of fastq.kernels._llvm: a prefetch is a hint, a bit cast is exact."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from fastq.kernels._llvm import as_float, prefetch


@njit
def _prefetch_everything_then_sum(arr):
    total = 0.0
    for i in range(arr.size):
        prefetch(arr, i)
        prefetch(arr, arr.size + 1000)  # past the end: a hint never faults
        total += arr[i]
    return total


def test_prefetch_reads_nothing_into_a_result_and_writes_nothing():
    arr = np.random.default_rng(0).normal(size=97)
    before = arr.copy()
    total = 0.0
    for v in before.tolist():  # in order, as the kernel adds
        total += v
    assert _prefetch_everything_then_sum(arr) == total
    np.testing.assert_array_equal(arr, before)


@njit
def _as_float(bits):
    return as_float(bits)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False))
def test_as_float_is_the_bits_read_as_float64(x):
    bits = np.array([x]).view(np.int64)[0]
    assert _as_float(bits) == x and np.signbit(_as_float(bits)) == np.signbit(x)
