"""Numpy twin of :mod:`fastq.kernels.rng`: the counter-based generator on uint64 arrays.

Same names as the kernels; each function works element-wise on arrays (numpy's uint64
arithmetic wraps modulo 2**64, which is the definition).  See :mod:`fastq.rng`.
"""

from __future__ import annotations

import numpy as np

from ..rng import GOLDEN, LOW32, SLOT_BITS, mix64_array

_G = np.uint64(GOLDEN)
_ONE = np.uint64(1)
_LOW32 = np.uint64(LOW32)
_S32 = np.uint64(32)

mix64 = mix64_array


def draw(key: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``mix64(key + (index + 1) * G)`` for uint64 arrays (or an array and a uint64)."""
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        z = np.asarray(key, dtype=np.uint64) + (np.asarray(index, dtype=np.uint64) + _ONE) * _G
    return mix64(z)


def draw_index(episode, step, slot) -> np.ndarray:
    """``(episode << 32) | (step << 3) | slot`` as uint64."""
    e = np.asarray(episode, dtype=np.uint64)
    t = np.asarray(step, dtype=np.uint64)
    return (e << _S32) | (t << np.uint64(SLOT_BITS)) | np.uint64(slot)


def uniform(x: np.ndarray) -> np.ndarray:
    """``(x >> 11) * 2**-53``: float64 in [0, 1)."""
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def bounded(x: np.ndarray, n) -> np.ndarray:
    """``((x >> 32) * n) >> 32``: int64 in ``[0, n)``."""
    n = np.asarray(n).astype(np.uint64)
    return (((x >> _S32) * n) >> _S32).astype(np.int64)


def pick(x: np.ndarray, n) -> np.ndarray:
    """``((x & 0xFFFFFFFF) * n) >> 32``: int64 in ``[0, n)``."""
    n = np.asarray(n).astype(np.uint64)
    return (((x & _LOW32) * n) >> _S32).astype(np.int64)


def explore_threshold(epsilon) -> np.ndarray:
    """``ceil(epsilon * 2**32)`` as uint64 (exact: a power-of-two scaling of a float64)."""
    return np.ceil(np.asarray(epsilon, dtype=np.float64) * 4294967296.0).astype(np.uint64)


def explores(x: np.ndarray, epsilon) -> np.ndarray:
    """``(x >> 32) < ceil(epsilon * 2**32)``: whether each policy draw explores."""
    return (x >> _S32) < explore_threshold(epsilon)
