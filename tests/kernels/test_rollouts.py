"""The batched primitives of fastq.kernels.rollouts against their numpy twins, bit for bit, on a
model that takes every path: masks, reward noise, several outcomes, a shared table."""

import numpy as np
import pytest

import fastq
from fastq import rng
from fastq.kernels import rollouts as kr
from fastq.reference import rollouts as rr


def model():
    """A slippery 4-action grid with a cliff, restricted actions and reward noise on some."""
    env = fastq.GridWorld(["S..#", ".C.G", "...."], slip=0.3, cliff_reward=-5.0, max_steps=6)
    mdp = env.mdp
    rs = np.random.default_rng(0)
    allowed = rs.random((mdp.n_states, mdp.n_actions)) < 0.75
    allowed[:, 0] = True
    std = np.where(rs.random((mdp.n_states, mdp.n_actions)) < 0.3, 0.5, 0.0)
    return mdp.replace(allowed=allowed, reward_std=std)


def streams(n, seed=3):
    state = np.empty((n, 3), dtype=np.uint64)
    state[:, rng.KEY] = rng.agent_keys(seed, n)
    state[:, rng.EPISODE] = 0
    state[:, rng.STEP] = rng.NOT_STARTED
    return state


@pytest.mark.parametrize("shared", [False, True])
def test_an_episode_of_primitives_agrees_bit_for_bit(shared):
    mdp, n = model(), 40
    rs = np.random.default_rng(1)
    q = rs.choice([0.0, 1.0, -1.0], size=(1 if shared else n, mdp.n_states, mdp.n_actions))
    eps, alpha, gamma = rs.random(n), np.full(n, 0.5), np.full(n, 0.9)
    runs = {}
    for name, mod in (("numba", kr), ("numpy", rr)):
        state, table = streams(n), q.copy()
        s = np.zeros(n, np.int64)
        mod.reset_batch(mdp.start_cum, state, np.ones(n, bool), s)
        trace = []
        for _ in range(4):
            a = np.zeros(n, np.int64)
            mod.epsilon_greedy_batch(mdp.allowed, mdp.n_allowed, mdp.allowed_actions, mdp.all_allowed, table, s,
                                     eps, True, state, a)
            s2, r = np.zeros(n, np.int64), np.zeros(n)
            term, trunc = np.zeros(n, bool), np.zeros(n, bool)
            mod.step_batch(mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal, mdp.max_steps,
                           s, a, state, s2, r, term, trunc)
            mod.q_update_batch(mdp.allowed, mdp.all_allowed, table, s, a, r, s2, term, alpha, gamma)
            trace.append((a.copy(), s2.copy(), r.copy(), term.copy(), trunc.copy()))
            s = np.where(term | trunc, 0, s2)
        runs[name] = (trace, table, state)
    (t1, q1, st1), (t2, q2, st2) = runs["numba"], runs["numpy"]
    for step1, step2 in zip(t1, t2):
        for x, y in zip(step1, step2):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)  # noise: log, cos, sqrt
    for step1, step2 in zip(t1, t2):  # every decision identical
        np.testing.assert_array_equal(step1[0], step2[0])
        np.testing.assert_array_equal(step1[1], step2[1])
    np.testing.assert_allclose(q1, q2, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(st1, st2)


def test_random_actions_are_allowed_ones():
    mdp, n = model(), 2000
    state, s = streams(n), np.zeros(n, np.int64)
    kr.reset_batch(mdp.start_cum, state, np.ones(n, bool), s)
    a = np.zeros(n, np.int64)
    q = np.zeros((n, mdp.n_states, mdp.n_actions))
    kr.epsilon_greedy_batch(mdp.allowed, mdp.n_allowed, mdp.allowed_actions, False, q, s, np.ones(n), True, state, a)
    assert mdp.allowed[s, a].all()
    counts = np.bincount(a[s == 0], minlength=mdp.n_actions)[mdp.allowed[0]]
    assert counts.min() > 0  # every allowed action of the start state is explored
