"""fastq._dispatch: which kernel variant a request gets, on which backend, compiled once."""

import numpy as np
import pytest

import fastq
from fastq import _dispatch
from fastq._interface import DYNA_Q, Q_LEARNING, SARSA


def variant(env, code=Q_LEARNING, **options):
    return _dispatch.variant(code, fastq.make(env).mdp if isinstance(env, str) else env.mdp,
                             **{"softmax": False, "tie_random": True, "visits": False, **options})


def test_the_variant_follows_the_model():
    lake = variant("FrozenLake-8x8")
    assert (lake.actions, lake.outcomes, lake.masked, lake.noisy, lake.prefetch) == (4, 3, False, False, False)
    cliff = variant("CliffWalking")
    assert (cliff.actions, cliff.outcomes) == (4, 1)
    kings = variant("WindyGridworld-Kings")
    assert (kings.actions, kings.outcomes) == (0, 1)  # 8 actions: the general path
    assert variant("MaxBias").noisy and variant("MaxBias").masked
    big = variant(fastq.GridWorld(["S" + "." * 99] + ["." * 100] * 98 + ["." * 99 + "G"]))
    assert big.prefetch  # 10,000 states: the outcome blocks leave the cache


def test_the_variant_follows_the_options_and_the_lanes():
    v = variant("FrozenLake-8x8", SARSA, softmax=True, tie_random=False, visits=True)
    assert (v.algo, v.softmax, v.tie_random, v.visits) == (SARSA, True, False, True)
    assert v.lanes == _dispatch.LANES[SARSA] and variant("FrozenLake-8x8", DYNA_Q).lanes == _dispatch.LANES[DYNA_Q]
    assert variant("FrozenLake-8x8", lanes=3).lanes == 3


def test_one_kernel_per_variant_and_backend():
    v = variant("FrozenLake-4x4")
    fast, ref = _dispatch.learner(v, "numba"), _dispatch.learner(v, "numpy")
    assert fast.kernel is _dispatch.learner(v, "numba").kernel  # built once, kept
    assert type(fast.kernel).__name__ == "CPUDispatcher" and callable(ref.kernel)
    assert ref.kernel.__module__ == "fastq.reference.learners"


def test_compile_remembers_what_it_compiled():
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=1)
    assert res.meta["backend"] == "numba"
    again = fastq.train("FrozenLake-4x4", agents=3, episodes=2, alpha=[0.1, 0.2, 0.3])
    assert again.meta["compile_time"] == 0.0  # same variant, same argument layout


@pytest.mark.parametrize("value, kind", [(np.zeros(3), ("<f8", 1, True, True, True)), (1, int), ((1.0,), (float,))])
def test_layout_is_what_numba_types_depend_on(value, kind):
    assert _dispatch._layout(value) == kind
