"""Numpy twin of :mod:`fastq.kernels.rng`: the counter-based generator on uint64 arrays.

Same names and signatures as the kernels; each function works element-wise on arrays (numpy's
uint64 arithmetic wraps modulo 2**64, which is the definition).  See :mod:`fastq.rng`.
"""

from __future__ import annotations

import numpy as np

from ..rng import GOLDEN, MIX1, MIX2, SLOT_BITS

_G = np.uint64(GOLDEN)
_M1 = np.uint64(MIX1)
_M2 = np.uint64(MIX2)
_ONE = np.uint64(1)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise on a uint64 array."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def draw(key: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``mix64(key + (index + 1) * G)`` for uint64 arrays (or an array and a uint64)."""
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        z = np.asarray(key, dtype=np.uint64) + (np.asarray(index, dtype=np.uint64) + _ONE) * _G
    return mix64(z)


def draw_index(episode, step, slot) -> np.ndarray:
    """``(episode << 32) | (step << 3) | slot`` as uint64."""
    e = np.asarray(episode, dtype=np.uint64)
    t = np.asarray(step, dtype=np.uint64)
    return (e << np.uint64(32)) | (t << np.uint64(SLOT_BITS)) | np.uint64(slot)


def uniform(x: np.ndarray) -> np.ndarray:
    """``(x >> 11) * 2**-53``: float64 in [0, 1)."""
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def bounded(x: np.ndarray, n) -> np.ndarray:
    """``((x >> 32) * n) >> 32``: int64 in ``[0, n)``."""
    n = np.asarray(n).astype(np.uint64)
    return (((x >> np.uint64(32)) * n) >> np.uint64(32)).astype(np.int64)
