"""The counter-based generator in numba (see :mod:`fastq.rng` for the contract).

All arithmetic is on uint64 with uint64 constants: mixing a signed integer into uint64
arithmetic would make numba promote to float64 and silently lose bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT
from ..rng import GOLDEN, MIX1, MIX2, SLOT_BITS

_G = np.uint64(GOLDEN)
_M1 = np.uint64(MIX1)
_M2 = np.uint64(MIX2)
_ONE = np.uint64(1)
_SB = np.uint64(SLOT_BITS)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)


@njit(inline="always", **JIT)
def mix64(z):
    """SplitMix64's finaliser."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always", **JIT)
def draw(key, index):
    """``mix64(key + (index + 1) * G)``; ``key`` and ``index`` are uint64."""
    return mix64(key + (index + _ONE) * _G)


@njit(inline="always", **JIT)
def draw_index(episode, step, slot):
    """``(episode << 32) | (step << 3) | slot`` as uint64."""
    return (np.uint64(episode) << _S32) | (np.uint64(step) << _SB) | np.uint64(slot)


@njit(inline="always", **JIT)
def uniform(x):
    """``(x >> 11) * 2**-53``: float64 in [0, 1).

    ``x >> 11 < 2**53`` converts exactly through int64, which is one instruction; converting a
    uint64 takes several.
    """
    return np.float64(np.int64(x >> _S11)) * 1.1102230246251565e-16


@njit(inline="always", **JIT)
def bounded(x, n):
    """``((x >> 32) * n) >> 32``: int64 in ``[0, n)`` for ``0 < n < 2**32``."""
    return np.int64(((x >> _S32) * np.uint64(n)) >> _S32)
