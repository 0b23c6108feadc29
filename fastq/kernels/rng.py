"""The counter-based generator in numba (see :mod:`fastq.rng` for the contract).

All arithmetic is on uint64 with uint64 constants: mixing a signed integer into uint64
arithmetic would make numba promote to float64 and silently lose bits.

The learner kernels do not call :func:`draw` with an index: they keep, per agent, the running
value ``counter = key + ((e << 32) + (t << 3)) * G`` (modulo ``2**64``), which advances by
``COUNTER_STEP = 8 * G`` per step, and draw slot ``j`` of the current step as
``mix64(counter + SLOT_OFFSET[j])`` with ``SLOT_OFFSET[j] = (j + 1) * G``: the same number as
``draw(key, draw_index(e, t, j))``, for one addition instead of three operations.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import KERNEL as KERNEL_JIT
from ..rng import GOLDEN, LOW32, MASK, MIX1, MIX2, SLOT_BITS

_G = np.uint64(GOLDEN)
_M1 = np.uint64(MIX1)
_M2 = np.uint64(MIX2)
_ONE = np.uint64(1)
_SB = np.uint64(SLOT_BITS)
_LOW32 = np.uint64(LOW32)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
#: How far the counter of a step moves to the next step: ``8 * G`` (``t`` is shifted by 3).
COUNTER_STEP = np.uint64((GOLDEN << SLOT_BITS) & MASK)
#: ``(e << 32) * G``'s factor: the counter of episode ``e``, step 0, is ``key + e * COUNTER_EPISODE``.
COUNTER_EPISODE = np.uint64((GOLDEN << 32) & MASK)


def slot_offset(slot: int) -> np.uint64:
    """``(slot + 1) * G`` modulo ``2**64``: what a slot adds to the counter of its step."""
    return np.uint64(((slot + 1) * GOLDEN) & MASK)


@njit(**KERNEL_JIT)
def mix64(z):
    """SplitMix64's finaliser."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(**KERNEL_JIT)
def draw(key, index):
    """``mix64(key + (index + 1) * G)``; ``key`` and ``index`` are uint64."""
    return mix64(key + (index + _ONE) * _G)


@njit(**KERNEL_JIT)
def draw_index(episode, step, slot):
    """``(episode << 32) | (step << 3) | slot`` as uint64."""
    return (np.uint64(episode) << _S32) | (np.uint64(step) << _SB) | np.uint64(slot)


@njit(**KERNEL_JIT)
def counter(key, episode):
    """The counter of step 0 of ``episode``: ``key + (episode << 32) * G``."""
    return key + np.uint64(episode) * COUNTER_EPISODE


@njit(**KERNEL_JIT)
def uniform(x):
    """``(x >> 11) * 2**-53``: float64 in [0, 1).

    ``x >> 11 < 2**53`` converts exactly through int64, which is one instruction; converting a
    uint64 takes several.
    """
    return np.float64(np.int64(x >> _S11)) * 1.1102230246251565e-16


@njit(**KERNEL_JIT)
def bounded(x, n):
    """``((x >> 32) * n) >> 32``: int64 in ``[0, n)`` for ``0 < n < 2**32``."""
    return np.int64(((x >> _S32) * np.uint64(n)) >> _S32)


@njit(**KERNEL_JIT)
def pick(x, n):
    """``((x & 0xFFFFFFFF) * n) >> 32``: int64 in ``[0, n)`` for ``0 < n < 2**32``."""
    return np.int64(((x & _LOW32) * np.uint64(n)) >> _S32)


@njit(**KERNEL_JIT)
def explore_threshold(epsilon):
    """``ceil(epsilon * 2**32)`` as uint64: the policy explores when ``x >> 32`` is below it."""
    return np.uint64(np.int64(np.ceil(epsilon * 4294967296.0)))


@njit(**KERNEL_JIT)
def explores(x, threshold):
    """Whether the policy draw ``x`` explores: ``(x >> 32) < threshold``."""
    return (x >> _S32) < threshold
