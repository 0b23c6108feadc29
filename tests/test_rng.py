"""The random-number contract: definition, golden values, the agreement of the three
implementations, and one learner written in plain Python from the contract alone."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

import fastq
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
# Frozen uses of the stream by the policy and the transition (seed 0, agent 0, episode 0):
# (step, policy draw, explores at epsilon 0.1, pick of 4, pick of 3, transition draw)
GOLDEN_DECISIONS = [
    (0, 0xF89A2566B5822C54, False, 2, 2, 0x47200E1D9780FA44),
    (1, 0xA52E631175AB8128, False, 1, 1, 0xAB76A0C8F52247EE),
    (2, 0x44A9B6293CCBEF84, False, 0, 0, 0xA065875D11958EF2),
]
# Frozen episode lengths of fastq.train("FrozenLake-4x4", agents=2, episodes=5, seed=0).
GOLDEN_LENGTHS = [[5, 4, 4, 2, 9], [5, 4, 3, 13, 14]]


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


@njit
def _counter_draw(key, episode, step, offset):
    c = krng.counter(key, episode)
    for _ in range(step):
        c += krng.COUNTER_STEP
    return krng.mix64(c + offset)


def _kernel_counter_draw(key, episode, step, slot):
    """The learners' way to a draw: the step's running counter plus the slot's offset."""
    return _counter_draw(key, episode, step, krng.slot_offset(slot))


@pytest.mark.parametrize("seed, agent, index, key, value", GOLDEN)
def test_golden_values_every_backend(seed, agent, index, key, value):
    keys = rng.agent_keys(seed, agent + 1)
    assert int(keys[agent]) == key
    assert int(_kernel_draw(np.uint64(key), np.uint64(index))) == value
    assert int(rrng.draw(np.array([key], np.uint64), np.array([index], np.uint64))[0]) == value


@pytest.mark.parametrize("step, x, explores, pick4, pick3, z", GOLDEN_DECISIONS)
def test_golden_decisions(step, x, explores, pick4, pick3, z):
    assert rng.draw(0, 0, rng.draw_index(0, step, rng.SLOT_POLICY)) == x
    assert rng.draw(0, 0, rng.draw_index(0, step, rng.SLOT_TRANSITION)) == z
    assert rng.explores(x, 0.1) is explores
    assert (rng.pick(x, 4), rng.pick(x, 3)) == (pick4, pick3)
    key = np.uint64(rng.key(0, 0))
    assert int(_kernel_counter_draw(key, 0, step, rng.SLOT_POLICY)) == x
    assert int(_kernel_counter_draw(key, 0, step, rng.SLOT_TRANSITION)) == z


@settings(max_examples=100, deadline=None)
@given(key=st.integers(0, 2**64 - 1), episode=st.integers(0, 2**32 - 1), step=st.integers(0, 40),
       slot=st.integers(0, 7))
def test_counter_draw_is_the_indexed_draw(key, episode, step, slot):
    assert int(_kernel_counter_draw(np.uint64(key), episode, step, slot)) == int(
        _kernel_draw(np.uint64(key), np.uint64(rng.draw_index(episode, step, slot))))


def test_golden_training_run():
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=5, seed=0)
    assert res.lengths.tolist() == GOLDEN_LENGTHS


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
    assert int(_kernel_index(2**32 - 1, 2**29 - 1, 5)) == rng.draw_index(2**32 - 1, 2**29 - 1, 5)


@njit
def _kernel_values(x, n, epsilon):
    return (krng.uniform(x), krng.bounded(x, n), krng.pick(x, n),
            krng.explores(x, krng.explore_threshold(epsilon)))


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 2**64 - 1), n=st.integers(1, 2**31), epsilon=st.floats(0.0, 1.0))
def test_the_values_of_a_draw_agree(x, n, epsilon):
    u, b, p, e = _kernel_values(np.uint64(x), n, epsilon)
    arr = np.array([x], np.uint64)
    assert u == rng.uniform(x) == rrng.uniform(arr)[0]
    assert b == rng.bounded(x, n) == rrng.bounded(arr, n)[0]
    assert p == rng.pick(x, n) == rrng.pick(arr, n)[0]
    assert e == rng.explores(x, epsilon) == rrng.explores(arr, epsilon)[0]
    assert 0.0 <= u < 1.0 and 0 <= b < n and 0 <= p < n
    # Exploring is comparing the explore field, as a multiple of 2**-32, with epsilon.
    assert e == ((x >> 32) * 2.0**-32 < epsilon)


def test_explore_threshold_extremes():
    assert rng.explore_threshold(0.0) == 0 and not rng.explores(0, 0.0)
    assert rng.explore_threshold(1.0) == 2**32 and rng.explores(2**64 - 1, 1.0)
    assert rng.explore_threshold(2.0**-32) == 1 and rng.explore_threshold(2.0**-33) == 1


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 2**64 - 1), cum=st.floats(0.0, 1.0))
def test_outcome_threshold_is_the_uniform_comparison(x, cum):
    # The kernels compare x >> 11 with ceil(cum * 2**53) instead of uniform(x) with cum: exact.
    assert ((x >> 11) >= rng.outcome_threshold(cum)) == (rng.uniform(x) >= cum)
    assert rng.outcome_threshold(cum) == math.ceil(cum * 2**53)


@settings(max_examples=200, deadline=None)
@given(x=st.integers(0, 2**64 - 1), mask=st.integers(1, 15))
def test_tie_table_picks_what_pick_picks(x, mask):
    # One lookup in TIE_TABLE with pick(x, 12) is the pick(x, count)-th set bit of the mask.
    from fastq._interface import TIE_TABLE, TIE_WIDTH

    bits = [b for b in range(4) if mask >> b & 1]
    assert TIE_TABLE[mask * TIE_WIDTH + rng.pick(x, TIE_WIDTH)] == bits[rng.pick(x, len(bits))]


def test_uniform_extremes():
    assert rng.uniform(0) == 0.0
    assert rng.uniform(2**64 - 1) == 1.0 - 2.0**-53
    assert rng.bounded(2**64 - 1, 4) == 3
    assert rng.pick(2**32 - 1, 4) == 3 and rng.pick(2**64 - 2**32, 4) == 0


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
    # pick() is uniform over 4 actions: chi-square with 3 degrees of freedom, 0.1% level.
    policy = rrng.draw(keys, np.uint64(rng.SLOT_POLICY))
    counts = np.bincount(rrng.pick(policy, 4), minlength=4)
    assert ((counts - n / 4) ** 2 / (n / 4)).sum() < 16.27
    # The explore field and the action field of one draw are independent: the 2 x 4 table of
    # (explores at epsilon 1/2, pick of 4), chi-square with 3 degrees of freedom, 0.1% level.
    table = np.zeros((2, 4))
    np.add.at(table, (rrng.explores(policy, 0.5).astype(int), rrng.pick(policy, 4)), 1)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    assert ((table - expected) ** 2 / expected).sum() < 16.27


# ----------------------------------------------------------------- the contract, in plain Python
def spec_q_learning(mdp, seed, agent, episodes, alpha, gamma, epsilon):
    """One Q-learning agent written from the contract of fastq.rng alone (Python integers and
    floats): the third implementation the kernels and the numpy reference are checked against."""
    S, A, K = mdp.shape
    q = np.where(mdp.terminal[:, None], 0.0, np.zeros((S, A)))
    lengths = []
    for e in range(episodes):
        u = rng.uniform(rng.draw(seed, agent, rng.draw_index(e, 0, rng.SLOT_RESET)))
        s = int(np.searchsorted(mdp.start_cum, u, side="right"))
        t = 0
        while True:
            x = rng.draw(seed, agent, rng.draw_index(e, t, rng.SLOT_POLICY))
            if rng.explores(x, epsilon):
                a = rng.pick(x, A)
            else:
                best = max(q[s])
                ties = [b for b in range(A) if q[s, b] == best]
                a = ties[rng.pick(x, len(ties))]
            z = rng.draw(seed, agent, rng.draw_index(e, t, rng.SLOT_TRANSITION))
            k = sum(rng.uniform(z) >= c for c in mdp.cum_prob[s, a, : K - 1])
            s2, r = int(mdp.next_state[s, a, k]), float(mdp.reward[s, a, k])
            target = r if mdp.terminal[s2] else r + gamma * max(q[s2])
            q[s, a] = q[s, a] + alpha * (target - q[s, a])
            t += 1
            s = s2
            if mdp.terminal[s2] or t >= mdp.max_steps:
                break
        lengths.append(t)
    return q, lengths


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_train_follows_the_contract(backend):
    env = fastq.make("FrozenLake-8x8")
    res = fastq.train(env, agents=3, episodes=6, seed=11, alpha=0.5, gamma=0.9, epsilon=0.3, backend=backend)
    for agent in range(3):
        q, lengths = spec_q_learning(env.mdp, 11, agent, 6, 0.5, 0.9, 0.3)
        assert res.lengths[agent].tolist() == lengths
        np.testing.assert_array_equal(res.q[agent], q)
