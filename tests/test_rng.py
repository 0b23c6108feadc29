"""The random-number contract: definition, golden values, and agreement of the three backends."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from fastq import rng
from fastq.kernels import rng as krng
from fastq.reference import rng as rrng

# Frozen values of the stream: a change here is a deliberate, visible break of reproducibility.
GOLDEN = [
    # (seed, agent, index, key, draw)
    (0, 0, 0, 0xA706DD2F4D197E6F, 0x238275BC38FCBE91),
    (0, 1, 0, 0xB382A305F4414F5E, 0x2F101FE21496EA20),
    (1, 0, 0, 0x5E41AB087439611E, 0xB18A02F46D8D86C3),
    (42, 7, rng.draw_index(3, 5, 1), 0xBC16A3D4CC48678E, 0x3DBA38ADA75CE54D),
    (2**64 - 1, 123456, 2**64 - 1, 0x528E4C043F0C0F3B, 0xB7FAAF95B1E6ED37),
]


def test_mix64_is_splitmix64():
    # Vigna's splitmix64.c with state 0: the first two outputs.
    assert rng.mix64(rng.GOLDEN) == 0xE220A8397B1DCDAF
    assert rng.mix64(2 * rng.GOLDEN) == 0x6E789E6AA1B965F4


@pytest.mark.parametrize("seed, agent, index, key, value", GOLDEN)
def test_golden_values_python(seed, agent, index, key, value):
    assert rng.key(seed, agent) == key
    assert rng.draw(seed, agent, index) == value


@njit
def _kernel_draw(key, index):
    return krng.draw(key, index)


@pytest.mark.parametrize("seed, agent, index, key, value", GOLDEN)
def test_golden_values_every_backend(seed, agent, index, key, value):
    keys = rng.agent_keys(seed, agent + 1)
    assert int(keys[agent]) == key
    assert int(_kernel_draw(np.uint64(key), np.uint64(index))) == value
    assert int(rrng.draw(np.array([key], np.uint64), np.array([index], np.uint64))[0]) == value


def test_draw_index_layout():
    assert rng.draw_index(0, 0, 0) == 0
    assert rng.draw_index(1, 0, 0) == 1 << 32
    assert rng.draw_index(2, 3, 1) == (2 << 32) + 24 + 1
    assert int(rrng.draw_index(np.array([2]), np.array([3]), 1)[0]) == rng.draw_index(2, 3, 1)


@njit
def _kernel_index(e, t, slot):
    return krng.draw_index(e, t, slot)


def test_draw_index_kernel():
    assert int(_kernel_index(2, 3, 1)) == rng.draw_index(2, 3, 1)
    assert int(_kernel_index(2**32 - 1, 2**30 - 1, 3)) == rng.draw_index(2**32 - 1, 2**30 - 1, 3)


@njit
def _kernel_uniform_bounded(x, n):
    return krng.uniform(x), krng.bounded(x, n)


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 2**64 - 1), n=st.integers(1, 2**31))
def test_uniform_and_bounded_agree(x, n):
    u, b = _kernel_uniform_bounded(np.uint64(x), n)
    assert u == rng.uniform(x) == rrng.uniform(np.array([x], np.uint64))[0]
    assert b == rng.bounded(x, n) == rrng.bounded(np.array([x], np.uint64), n)[0]
    assert 0.0 <= u < 1.0
    assert 0 <= b < n


def test_uniform_extremes():
    assert rng.uniform(0) == 0.0
    assert rng.uniform(2**64 - 1) == 1.0 - 2.0**-53
    assert rng.bounded(2**64 - 1, 4) == 3


def test_agent_keys_prefix_and_offset():
    assert np.array_equal(rng.agent_keys(5, 100)[:37], rng.agent_keys(5, 37))
    assert np.array_equal(rng.agent_keys(5, 10, first=90), rng.agent_keys(5, 100)[90:])
    assert len(set(rng.agent_keys(5, 10_000).tolist())) == 10_000


def test_stream_statistics():
    """Uniforms of one agent's stream: mean 1/2, variance 1/12 (n = 200,000; tolerance 5 sigma)."""
    n = 200_000
    u = rrng.uniform(rrng.draw(np.uint64(rng.key(0, 0)), np.arange(n, dtype=np.uint64)))
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    # Neighbouring agents are uncorrelated: first draw of agents i and i + 1, 200,000 agents.
    keys = rng.agent_keys(0, n + 1)
    first = rrng.uniform(rrng.draw(keys, np.uint64(0)))
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < 5 / np.sqrt(n)
    # ... and consecutive draws of one agent too.
    second = rrng.uniform(rrng.draw(keys, np.uint64(1)))
    assert abs(np.corrcoef(first, second)[0, 1]) < 5 / np.sqrt(n)
    # bounded() is uniform over 4 actions: chi-square with 3 degrees of freedom, 0.1% level.
    counts = np.bincount(rrng.bounded(rrng.draw(keys, np.uint64(2)), 4), minlength=4)
    chi2 = ((counts - n / 4) ** 2 / (n / 4)).sum()
    assert chi2 < 16.27
