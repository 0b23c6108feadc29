"""The policy helpers of fastq.kernels.policy against their numpy twins: the greedy choice and its
ties, epsilon-greedy with and without action masks (the 4-action table and the general path),
the expected value, the outcome of a transition and the start state."""

import numpy as np
import pytest
from numba import njit

import fastq
from fastq import rng
from fastq._interface import TIE_TABLE, kernel_model
from fastq.kernels import policy as kp
from fastq.reference import policy as rp
from fastq.reference import rng as rrng

N = 3000


@njit
def _choices(q, S, A, agents, states, xs, thresholds, epsilons, tie, masked, allowed_mask, n_allowed,
             allowed_actions, tie_table, out):
    for j in range(states.shape[0]):
        row = (agents[j] * S + states[j]) * A
        if A == 4:  # the table path, as the learner kernels take it
            out[j, 0] = kp.greedy_table(q, row, xs[j], tie, tie_table)
            out[j, 1] = kp.epsilon_greedy_table(q, row, states[j], xs[j], thresholds[j], tie, masked,
                                                allowed_mask, tie_table)
        else:
            out[j, 0] = kp.greedy(q, row, xs[j], A, tie)
            out[j, 1] = kp.epsilon_greedy(q, row, states[j], xs[j], thresholds[j], A, tie, masked, n_allowed,
                                          allowed_actions)


@njit
def _values(q, S, A, agents, states, epsilons, n_allowed, out):
    for j in range(states.shape[0]):
        row = (agents[j] * S + states[j]) * A
        out[j, 0] = kp.q_max(q, row, A)
        out[j, 1] = kp.expected_value(q, row, states[j], epsilons[j], 1.0, A, False, n_allowed)


def population(A, masked, seed):
    """Q-tables full of ties (values from a small set), ``-inf`` on disallowed actions."""
    rs = np.random.default_rng(seed)
    S, agents = 6, 5
    allowed = rs.random((S, A)) < 0.7 if masked else np.ones((S, A), bool)
    allowed[np.arange(S), rs.integers(0, A, S)] = True
    mdp = fastq.TabularMDP(next_state=np.zeros((S, A, 1), int), prob=np.ones((S, A, 1)),
                           reward=np.zeros((S, A, 1)), terminal=np.zeros(S, bool), start=np.eye(S)[0],
                           allowed=allowed)
    q = rs.choice([0.0, 0.5, 1.0], size=(agents, S, A))
    q[:, ~allowed] = -np.inf
    i, s = rs.integers(0, agents, N), rs.integers(0, S, N)
    x = rrng.draw(np.uint64(rs.integers(0, 2**63)), np.arange(N, dtype=np.uint64))
    eps = rs.choice([0.0, 0.3, 1.0, rs.random()], N)
    return mdp, q, i, s, x, eps


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("A", [4, 5])
def test_choices_agree_with_the_reference(A, tie, masked):
    mdp, q, i, s, x, eps = population(A, masked, seed=A * 4 + 2 * tie + masked)
    model = kernel_model(mdp)
    out = np.empty((N, 2), np.int64)
    thresholds = rrng.explore_threshold(eps)
    _choices(q.ravel(), mdp.n_states, A, i, s, x, thresholds, eps, tie, masked, model.allowed_mask, model.n_allowed,
             model.allowed_actions, TIE_TABLE, out)
    np.testing.assert_array_equal(out[:, 0], rp.greedy(q, i, s, x, tie))
    np.testing.assert_array_equal(out[:, 1], rp.epsilon_greedy(q, i, s, x, eps, tie, model.n_allowed,
                                                               model.allowed_actions))
    assert mdp.allowed[s, out[:, 1]].all()  # never a disallowed action
    # Exploration happened where the contract says, with every allowed action possible.
    explored = rng.explores(int(x[0]), float(eps[0]))
    assert explored == bool(rrng.explores(x[:1], eps[:1])[0])


@pytest.mark.parametrize("A", [4, 5])
def test_values_agree_with_the_reference(A):
    mdp, q, i, s, x, eps = population(A, True, seed=11)
    out = np.empty((N, 2))
    _values(q.ravel(), mdp.n_states, A, i, s, eps, mdp.n_allowed, out)
    np.testing.assert_array_equal(out[:, 0], rp.max_q(q, i, s))
    np.testing.assert_array_equal(out[:, 1], rp.expected_value(q, i, s, eps, 1.0, False, mdp.n_allowed))


@njit
def _outcomes(outcomes, block, K, bases, zs, out):
    for j in range(bases.shape[0]):
        packed, r = kp.outcome(outcomes, bases[j], zs[j], K)
        out[j, 0] = packed & 0xFFFFFFFF
        out[j, 1] = r


@pytest.mark.parametrize("name", ["FrozenLake-8x8", "CliffWalking", "WindyGridworld-Stochastic"])
def test_outcomes_agree_with_the_reference(name):
    mdp = fastq.make(name).mdp
    model = kernel_model(mdp)
    rs = np.random.default_rng(3)
    s, a = rs.integers(0, mdp.n_states, N), rs.integers(0, mdp.n_actions, N)
    z = rrng.draw(np.uint64(7), np.arange(N, dtype=np.uint64))
    out = np.empty((N, 2))
    _outcomes(model.outcomes, model.block, mdp.n_outcomes, (s * mdp.n_actions + a) * model.block, z, out)
    k = rp.outcome(model.threshold, s, a, z)
    np.testing.assert_array_equal(out[:, 0], mdp.next_state[s, a, k])
    np.testing.assert_array_equal(out[:, 1], mdp.reward[s, a, k])
    # The integer thresholds are the float comparison of the contract.
    u = rrng.uniform(z)
    np.testing.assert_array_equal(k, (u[:, None] >= mdp.cum_prob[s, a, : mdp.n_outcomes - 1]).sum(axis=1))


@njit
def _starts(start_cum, us, out):
    for j in range(us.shape[0]):
        out[j] = kp.sample_start(start_cum, us[j])


def test_start_states_are_searchsorted():
    start_cum = np.cumsum(np.array([0.0, 0.25, 0.0, 0.5, 0.25]))
    us = np.concatenate([np.linspace(0, 1, 101, endpoint=False), [0.25, 0.75, 1 - 2**-53]])
    out = np.empty(us.size, np.int64)
    _starts(start_cum, us, out)
    np.testing.assert_array_equal(out, rp.sample_start(start_cum, us))
    assert set(out) == {1, 3, 4}  # states without start probability are never drawn
