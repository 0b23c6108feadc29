"""Tests of fastq.solve: value_iteration and policy_evaluation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fastq
from fastq import solve
from fastq.mdp import TabularMDP

LEFT, DOWN, RIGHT, UP = range(4)  # FrozenLake / GridWorld "LDRU"
CW_UP, CW_RIGHT, CW_DOWN, CW_LEFT = range(4)  # CliffWalking "URDL"


@pytest.fixture(params=["dense", "iterative"])
def path(request, monkeypatch):
    """Run a policy_evaluation test on both the linear-solve and the iterative path."""
    if request.param == "iterative":
        monkeypatch.setattr(solve, "DENSE_MAX_STATES", 0)
    return request.param


def dense_optimal_values(mdp: TabularMDP, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Independent value iteration on the dense form (P, R), terminal values 0."""
    P, R = mdp.to_dense()
    r = (P * R).sum(axis=2)
    v = np.zeros(mdp.n_states)
    for _ in range(100_000):
        q = r + gamma * P @ v
        q[mdp.terminal] = 0.0
        new = q.max(axis=1)
        if np.abs(new - v).max() < 1e-15:
            break
        v = new
    return q, new


def dense_policy_residual(mdp: TabularMDP, policies: np.ndarray, values: np.ndarray, gamma: float) -> float:
    """max |v - (r_pi + gamma P_pi v)| over non-terminal states, from the dense form."""
    P, R = mdp.to_dense()
    r = (P * R).sum(axis=2)
    states = np.arange(mdp.n_states)
    worst = 0.0
    for pi, v in zip(np.atleast_2d(policies), np.atleast_2d(values)):
        bellman = r[states, pi] + gamma * P[states, pi] @ v
        worst = max(worst, float(np.abs(v - bellman)[~mdp.terminal].max()))
    return worst


def one_action_mdp(outcomes, terminal) -> TabularMDP:
    """A Markov reward process: ``outcomes[s]`` is a list of ``(next_state, prob, reward)``."""
    S = len(outcomes)
    K = max(len(o) for o in outcomes)
    next_state = np.zeros((S, 1, K), dtype=np.int64)
    prob = np.zeros((S, 1, K))
    reward = np.zeros((S, 1, K))
    for s, outs in enumerate(outcomes):
        for k, (t, p, r) in enumerate(outs):
            next_state[s, 0, k], prob[s, 0, k], reward[s, 0, k] = t, p, r
    start = np.zeros(S)
    start[0] = 1.0
    return TabularMDP(next_state, prob, reward, terminal, start)


# ------------------------------------------------------------------------- value_iteration


def test_value_iteration_matches_dense_bellman_iteration_on_frozen_lake():
    mdp = fastq.make("FrozenLake-4x4").mdp
    sol = fastq.value_iteration(mdp, gamma=0.99)
    q_star, v_star = dense_optimal_values(mdp, 0.99)
    assert sol.converged
    assert np.abs(sol.v - v_star).max() < 1e-8
    assert np.abs(sol.q - q_star).max() < 1e-8
    assert (sol.v[mdp.terminal] == 0).all() and (sol.q[mdp.terminal] == 0).all()
    assert 0.5 < sol.v[0] < 0.6  # the optimal success probability from the start, discounted


def test_value_iteration_corridor_closed_form():
    env = fastq.GridWorld(["S....G"], step_reward=-1.0, goal_reward=10.0)
    sol = fastq.value_iteration(env, gamma=0.9)
    assert sol.converged
    for cell in range(5):
        d = 5 - cell  # distance to the goal
        expected = -(1 - 0.9 ** (d - 1)) / (1 - 0.9) + 10 * 0.9 ** (d - 1)
        assert sol.v[cell] == pytest.approx(expected, abs=1e-9)
    assert sol.v[5] == 0.0
    assert sol.policy.tolist() == [RIGHT] * 5 + [0]


def test_value_iteration_greedy_policy_is_consistent():
    env = fastq.make("FrozenLake-4x4")
    sol = fastq.value_iteration(env, gamma=0.99)
    assert np.array_equal(sol.v, sol.q.max(axis=1))
    assert np.array_equal(sol.policy, np.argmax(sol.q, axis=1))
    v_pi = fastq.policy_evaluation(env, sol.policy, gamma=0.99)
    assert np.abs(v_pi - sol.v).max() < 1e-8
    assert v_pi[0] == pytest.approx(sol.v[0], abs=1e-8)  # the start state


def test_value_iteration_stopping_rule_gives_tol_optimal_policy():
    env = fastq.make("FrozenLake-8x8")
    tol = 1e-3
    loose = fastq.value_iteration(env, gamma=0.99, tol=tol)
    exact = fastq.value_iteration(env, gamma=0.99, tol=1e-12)
    assert loose.converged and loose.iterations < exact.iterations
    assert loose.residual < tol * (1 - 0.99) / (2 * 0.99)
    assert np.abs(loose.v - exact.v).max() < tol / 2
    v_pi = fastq.policy_evaluation(env, loose.policy, gamma=0.99)
    assert (v_pi >= exact.v - tol).all()


def test_value_iteration_undiscounted_cliff_walking():
    sol = fastq.value_iteration("CliffWalking", gamma=1.0)
    assert sol.converged
    assert sol.v[36] == -13.0  # 13 steps of -1 along the cliff edge
    assert sol.v[47] == 0.0


def test_value_iteration_gamma_zero_is_one_step():
    mdp = fastq.make("FrozenLake-4x4").mdp
    sol = fastq.value_iteration(mdp, gamma=0.0)
    expected = np.where(mdp.terminal[:, None], 0.0, mdp.expected_reward)
    assert sol.iterations == 1 and sol.converged
    assert np.array_equal(sol.q, expected)


def test_terminal_rows_are_never_read():
    # State 1 is terminal, but its row (never to be used) would pay 5 and lead back to state 0.
    mdp = TabularMDP(
        next_state=[[[1], [0]], [[0], [0]]],
        prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
        reward=[[[1.0], [0.5]], [[5.0], [5.0]]],
        terminal=[False, True], start=[1.0, 0.0],
    )
    sol = fastq.value_iteration(mdp, gamma=0.9)
    # Action 0 ends the episode with 1; action 1 stays, paying 0.5 forever: 0.5 / (1 - 0.9) = 5.
    np.testing.assert_allclose(sol.q, [[1.0, 5.0], [0.0, 0.0]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(sol.v, [5.0, 0.0], rtol=0, atol=1e-9)
    assert sol.policy.tolist() == [1, 0]
    for gamma in (0.9, 1.0):
        v = fastq.policy_evaluation(mdp, np.array([[0, 0], [0, 1]]), gamma=gamma)
        np.testing.assert_allclose(v, [[1.0, 0.0], [1.0, 0.0]], rtol=0, atol=1e-12)


def test_value_iteration_accepts_name_gridworld_and_mdp():
    env = fastq.make("FrozenLake-4x4")
    a = fastq.value_iteration("FrozenLake-4x4")
    b = fastq.value_iteration(env)
    c = fastq.value_iteration(env.mdp)
    assert np.array_equal(a.q, b.q) and np.array_equal(a.q, c.q)


def test_solution_is_frozen_and_read_only():
    sol = fastq.value_iteration("FrozenLake-4x4")
    assert sol.q.shape == (16, 4) and sol.v.shape == (16,) and sol.policy.shape == (16,)
    assert sol.q.dtype == np.float64 and sol.v.dtype == np.float64 and sol.policy.dtype == np.int64
    assert sol.gamma == 0.99
    with pytest.raises(dataclasses.FrozenInstanceError):
        sol.gamma = 0.5
    with pytest.raises(ValueError, match="read-only"):
        sol.v[0] = 1.0


def test_value_iteration_warns_when_not_converged():
    with pytest.warns(RuntimeWarning, match=r"did not converge in max_iter=1 iterations"):
        sol = fastq.value_iteration("FrozenLake-4x4", gamma=0.99, max_iter=1)
    assert sol.converged is False
    assert sol.iterations == 1
    assert sol.residual == pytest.approx(1 / 3)  # the first update: one step from the goal


# ------------------------------------------------------------------------- policy_evaluation


def test_policy_evaluation_batch_rows_equal_single(path):
    env = fastq.make("FrozenLake-8x8")
    policies = np.random.default_rng(0).integers(0, 4, size=(5, 64))
    batch = fastq.policy_evaluation(env, policies, gamma=0.95)
    assert batch.shape == (5, 64) and batch.dtype == np.float64
    for pi, row in zip(policies, batch):
        single = fastq.policy_evaluation(env, pi, gamma=0.95)
        assert single.shape == (64,)
        np.testing.assert_allclose(single, row, rtol=0, atol=1e-12)


def test_policy_evaluation_solves_the_bellman_equation(path):
    mdp = fastq.make("FrozenLake-8x8").mdp
    policies = np.random.default_rng(1).integers(0, 4, size=(4, 64))
    values = fastq.policy_evaluation(mdp, policies, gamma=0.9)
    tol = 1e-10 if path == "dense" else 1e-9
    assert dense_policy_residual(mdp, policies, values, 0.9) < tol
    assert (values[:, mdp.terminal] == 0).all()
    assert (values > 0).any()  # some random policy reaches the goal


def test_policy_evaluation_paths_agree():
    env = fastq.make("FrozenLake-8x8")
    policies = np.random.default_rng(2).integers(0, 4, size=(6, 64))
    dense = fastq.policy_evaluation(env, policies, gamma=0.99)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solve, "DENSE_MAX_STATES", 0)
        iterative = fastq.policy_evaluation(env, policies, gamma=0.99)
    np.testing.assert_allclose(iterative, dense, rtol=0, atol=1e-8)


def test_policy_evaluation_large_model_uses_iterative_path():
    # 2001 states: above DENSE_MAX_STATES, so evaluated by iteration.
    env = fastq.GridWorld(["S" + "." * 1999 + "G"], step_reward=-1.0, goal_reward=10.0)
    assert env.mdp.n_states > solve.DENSE_MAX_STATES
    v = fastq.policy_evaluation(env, np.full(2001, RIGHT), gamma=0.9)
    d = 2000 - np.arange(2000)
    expected = -(1 - 0.9 ** (d - 1)) / (1 - 0.9) + 10 * 0.9 ** (d - 1)
    np.testing.assert_allclose(v[:2000], expected, rtol=0, atol=1e-9)
    assert v[2000] == 0.0


def test_policy_evaluation_iterative_cap_warns(monkeypatch):
    monkeypatch.setattr(solve, "DENSE_MAX_STATES", 0)
    monkeypatch.setattr(solve, "ITERATIVE_MAX_SWEEPS", 2)
    with pytest.warns(RuntimeWarning, match=r"did not reach a relative change of 1e-12 in 2 sweeps"):
        v = fastq.policy_evaluation("FrozenLake-4x4", np.full(16, DOWN), gamma=0.99)
    assert v.shape == (16,)


def test_policy_evaluation_chunks_agents(monkeypatch):
    env = fastq.make("FrozenLake-4x4")
    policies = np.random.default_rng(3).integers(0, 4, size=(7, 16))
    whole = fastq.policy_evaluation(env, policies, gamma=0.99)
    monkeypatch.setattr(solve, "CHUNK_BYTES", 1)  # one agent per chunk
    np.testing.assert_allclose(fastq.policy_evaluation(env, policies, gamma=0.99), whole, rtol=0, atol=1e-13)


def _cliff_path_policy() -> np.ndarray:
    """Up from the start, right along row 2 (and rows 0, 1, and the cliff), down in column 11."""
    policy = np.full((4, 12), CW_RIGHT, dtype=np.int64)
    policy[:, 11] = CW_DOWN
    policy[3, 0] = CW_UP
    return policy.ravel()


def test_policy_evaluation_undiscounted_cliff_path(path):
    v = fastq.policy_evaluation("CliffWalking", _cliff_path_policy(), gamma=1.0)
    assert v[36] == pytest.approx(-13.0, abs=1e-10)
    for col in range(12):
        assert v[24 + col] == pytest.approx(-(12 - col), abs=1e-10)  # row 2: right, then down
        assert v[col] == pytest.approx(-(14 - col), abs=1e-10)  # row 0
    # A cliff cell moving right enters the cliff (-100, back to the start) or, last, the goal.
    assert v[37:46] == pytest.approx(np.full(9, -113.0), abs=1e-10)
    assert v[46] == pytest.approx(-1.0, abs=1e-10)
    assert v[47] == 0.0


def test_policy_evaluation_undiscounted_never_ending_is_minus_inf(path):
    v = fastq.policy_evaluation("CliffWalking", np.full(48, CW_UP, dtype=np.int64), gamma=1.0)
    assert np.isneginf(v[:47]).all()  # up forever against the top edge, -1 per step
    assert v[47] == 0.0


def test_policy_evaluation_undiscounted_zero_reward_loop_is_zero(path):
    env = fastq.make("FrozenLake-4x4")
    policy = np.full(16, UP, dtype=np.int64)  # slips along the top row forever
    v = fastq.policy_evaluation(env, policy, gamma=1.0)
    assert (v[:4] == 0.0).all()
    assert np.isfinite(v).all()
    assert v[14] > 0  # up from next to the goal can slip right into it
    assert dense_policy_residual(env.mdp, policy, v, 1.0) < 1e-10


@pytest.mark.parametrize(
    "outcomes, terminal, expected",
    [
        # a -1 step, then a zero-reward loop: finite (the reward is collected once)
        ([[(1, 1.0, -1.0)], [(1, 1.0, 0.0)], [(2, 1.0, 0.0)]], [False, False, True], [-1.0, 0.0, 0.0]),
        # a -1 self-loop left with probability 1/2 each step: finite
        ([[(0, 0.5, -1.0), (1, 0.5, 0.0)], [(1, 1.0, 0.0)]], [False, True], [-1.0, 0.0]),
        # a positive loop entered with probability 1/2: +inf from the start too
        (
            [[(1, 0.5, 0.0), (3, 0.5, 5.0)], [(2, 1.0, 1.0)], [(1, 1.0, 0.0)], [(3, 1.0, 0.0)]],
            [False, False, False, True],
            [np.inf, np.inf, np.inf, 0.0],
        ),
        # a loop with rewards of both signs: not determined by the signs
        ([[(1, 1.0, 1.0)], [(0, 1.0, -2.0)], [(2, 1.0, 0.0)]], [False, False, True], [np.nan, np.nan, 0.0]),
        # a branch into a +inf loop and a -inf loop
        (
            [[(1, 0.5, 0.0), (2, 0.5, 0.0)], [(1, 1.0, 1.0)], [(2, 1.0, -1.0)], [(3, 1.0, 0.0)]],
            [False, False, False, True],
            [np.nan, np.inf, -np.inf, 0.0],
        ),
    ],
    ids=["transient-then-zero", "escapable-loop", "plus-inf", "mixed-loop", "plus-and-minus"],
)
def test_policy_evaluation_undiscounted_rules(path, outcomes, terminal, expected):
    mdp = one_action_mdp(outcomes, terminal)
    v = fastq.policy_evaluation(mdp, np.zeros(mdp.n_states, dtype=np.int64), gamma=1.0)
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-10)  # nan == nan, inf == inf


def test_policy_evaluation_discounted_loop_is_finite():
    mdp = one_action_mdp([[(1, 1.0, 1.0)], [(0, 1.0, -2.0)], [(2, 1.0, 0.0)]], [False, False, True])
    v = fastq.policy_evaluation(mdp, np.zeros(3, dtype=np.int64), gamma=0.5)
    # v0 = 1 + 0.5 v1, v1 = -2 + 0.5 v0
    np.testing.assert_allclose(v, [0.0, -2.0, 0.0], rtol=0, atol=1e-12)


def test_policy_evaluation_accepts_lists_and_unsigned():
    env = fastq.make("FrozenLake-4x4")
    a = fastq.policy_evaluation(env, [2] * 16)
    b = fastq.policy_evaluation(env, np.full(16, 2, dtype=np.uint8))
    assert np.array_equal(a, b)


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("gamma", [1.5, -0.1, float("nan")])
def test_gamma_out_of_range(gamma):
    with pytest.raises(ValueError, match=r"gamma must be finite and in the range 0.0 <= value <= 1.0"):
        fastq.value_iteration("FrozenLake-4x4", gamma=gamma)
    with pytest.raises(ValueError, match=r"gamma must be finite and in the range 0.0 <= value <= 1.0"):
        fastq.policy_evaluation("FrozenLake-4x4", np.zeros(16, dtype=np.int64), gamma=gamma)


def test_gamma_not_a_number():
    with pytest.raises(TypeError, match=r"gamma must be a real number, got '0.9' \(str\)"):
        fastq.value_iteration("FrozenLake-4x4", gamma="0.9")


@pytest.mark.parametrize("tol", [0.0, -1e-6])
def test_tol_not_positive(tol):
    with pytest.raises(ValueError, match=rf"tol must be finite and > 0.0, got {tol!r}"):
        fastq.value_iteration("FrozenLake-4x4", tol=tol)


@pytest.mark.parametrize("max_iter", [10.0, True, "10"])
def test_max_iter_not_an_integer(max_iter):
    with pytest.raises(TypeError, match=r"max_iter must be an integer, got"):
        fastq.value_iteration("FrozenLake-4x4", max_iter=max_iter)


def test_max_iter_below_one():
    with pytest.raises(ValueError, match=r"max_iter must be >= 1, got 0"):
        fastq.value_iteration("FrozenLake-4x4", max_iter=0)


@pytest.mark.parametrize("shape", [(15,), (17,), (2, 3, 16), (16, 2)])
def test_policy_wrong_shape(shape):
    with pytest.raises(ValueError, match=r"policy must have shape \(16,\) or \(agents, 16\), got shape"):
        fastq.policy_evaluation("FrozenLake-4x4", np.zeros(shape, dtype=np.int64))


@pytest.mark.parametrize("policy", [np.zeros(16), np.zeros(16, dtype=bool), ["0"] * 16])
def test_policy_not_integer(policy):
    with pytest.raises(TypeError, match=r"policy must be an array of integer actions, got dtype"):
        fastq.policy_evaluation("FrozenLake-4x4", policy)


def test_policy_action_out_of_range():
    policy = np.zeros(16, dtype=np.int64)
    policy[5] = 4
    with pytest.raises(ValueError, match=r"policy must hold actions in \[0, 4\), got 4 at index 5"):
        fastq.policy_evaluation("FrozenLake-4x4", policy)
    batch = np.zeros((3, 16), dtype=np.int64)
    batch[1, 3] = -1
    with pytest.raises(ValueError, match=r"policy must hold actions in \[0, 4\), got -1 at index \(1, 3\)"):
        fastq.policy_evaluation("FrozenLake-4x4", batch)


@pytest.mark.parametrize("env", [42, None, np.zeros((16, 4, 1))])
def test_env_wrong_type(env):
    with pytest.raises(TypeError, match=r"env must be an environment name"):
        fastq.value_iteration(env)
    with pytest.raises(TypeError, match=r"env must be an environment name"):
        fastq.policy_evaluation(env, np.zeros(16, dtype=np.int64))


def test_env_unknown_name():
    with pytest.raises(ValueError, match=r"unknown environment 'FrozenLake-5x5'"):
        fastq.value_iteration("FrozenLake-5x5")


# ------------------------------------------------------------------------- stochastic policies


def one_hot(policies: np.ndarray, A: int) -> np.ndarray:
    return np.eye(A)[policies]


def test_stochastic_one_hot_equals_deterministic(path):
    env = fastq.make("FrozenLake-8x8")
    policies = np.random.default_rng(4).integers(0, 4, size=(3, 64))
    det = fastq.policy_evaluation(env, policies, gamma=0.95)
    sto = fastq.policy_evaluation(env, one_hot(policies, 4), gamma=0.95)
    assert sto.shape == (3, 64)
    np.testing.assert_allclose(sto, det, rtol=0, atol=1e-12)
    single = fastq.policy_evaluation(env, one_hot(policies[1], 4), gamma=0.95)
    assert single.shape == (64,)
    np.testing.assert_allclose(single, det[1], rtol=0, atol=1e-12)


def test_stochastic_policy_solves_the_mixed_bellman_equation(path):
    mdp = fastq.make("FrozenLake-8x8").mdp
    probs = np.random.default_rng(5).dirichlet(np.ones(4), size=(2, 64))
    values = fastq.policy_evaluation(mdp, probs, gamma=0.9)
    P, R = mdp.to_dense()
    r = (P * R).sum(axis=2)
    for pi, v in zip(probs, values):
        bellman = (pi * r).sum(axis=1) + 0.9 * np.einsum("sa,sat,t->s", pi, P, v)
        tol = 1e-10 if path == "dense" else 1e-9
        assert np.abs(v - bellman)[~mdp.terminal].max() < tol
    assert (values[:, mdp.terminal] == 0).all()


def test_stochastic_gamma_zero_is_the_expected_reward():
    # at gamma = 0, v_pi(s) = r_pi(s) = sum_a pi(a | s) r(s, a)
    mdp = fastq.make("CliffWalking").mdp
    pi = np.full((48, 4), 0.25)
    v = fastq.policy_evaluation(mdp, pi, gamma=0.0)
    np.testing.assert_allclose(v[~mdp.terminal], mdp.expected_reward[~mdp.terminal].mean(axis=1), rtol=0, atol=1e-15)


def test_stochastic_undiscounted_rules(path):
    # "up" with probability 1 never ends an episode on CliffWalking: -inf, as the int policy
    up = np.zeros((48, 4))
    up[:, CW_UP] = 1.0
    v = fastq.policy_evaluation("CliffWalking", up, gamma=1.0)
    assert np.isneginf(v[:47]).all() and v[47] == 0.0
    # the equiprobable policy ends every episode: finite everywhere (S&B Figure 4.1)
    v = fastq.policy_evaluation("Gridworld-4x4", np.full((16, 4), 0.25), gamma=1.0)
    assert np.isfinite(v).all() and v[1] == pytest.approx(-14.0, abs=1e-9) and v[3] == pytest.approx(-22.0, abs=1e-9)
    # a zero-reward loop entered with probability 1/2 is 0, the other branch pays -1 then ends
    mdp = TabularMDP(
        next_state=[[[1], [2]], [[1], [1]], [[2], [2]]], prob=np.ones((3, 2, 1)),
        reward=[[[0.0], [-1.0]], [[0.0], [0.0]], [[0.0], [0.0]]],
        terminal=[False, False, True], start=[1.0, 0.0, 0.0],
    )
    v = fastq.policy_evaluation(mdp, [[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]], gamma=1.0)
    np.testing.assert_allclose(v, [-0.5, 0.0, 0.0], rtol=0, atol=1e-12)


def test_stochastic_terminal_rows_are_ignored():
    env = fastq.make("FrozenLake-4x4")
    pi = np.full((16, 4), 0.25)
    odd = pi.copy()
    odd[env.mdp.terminal] = [7.0, 0.0, 0.0, 0.0]  # not a distribution, but never used
    np.testing.assert_array_equal(fastq.policy_evaluation(env, odd), fastq.policy_evaluation(env, pi))
    assert odd[5, 0] == 7.0  # the caller's array is not modified


def test_stochastic_policies_in_chunks(monkeypatch):
    env = fastq.make("FrozenLake-4x4")
    probs = np.random.default_rng(6).dirichlet(np.ones(4), size=(5, 16))
    whole = fastq.policy_evaluation(env, probs, gamma=0.99)
    monkeypatch.setattr(solve, "CHUNK_BYTES", 1)
    np.testing.assert_allclose(fastq.policy_evaluation(env, probs, gamma=0.99), whole, rtol=0, atol=1e-13)


def test_stochastic_policy_on_a_masked_model():
    mdp = fastq.make("MaxBias", n_actions_b=4)
    pi = mdp.allowed / mdp.n_allowed[:, None]  # uniform over the allowed actions
    v = fastq.policy_evaluation(mdp, pi, gamma=1.0)
    np.testing.assert_allclose(v, [0.5 * 0.0 + 0.5 * -0.1, -0.1, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(fastq.policy_evaluation(mdp, np.array([[0, 0, 0], [1, 3, 0]]), gamma=1.0),
                               [[0.0, -0.1, 0.0], [-0.1, -0.1, 0.0]], rtol=0, atol=1e-15)


def test_policy_may_not_use_disallowed_actions():
    mdp = fastq.make("MaxBias", n_actions_b=4)
    with pytest.raises(ValueError, match=r"policy takes action 3 in state 0 \(policy 0\), which the model does "
                                         r"not allow there; allowed actions: \[0, 1\]"):
        fastq.policy_evaluation(mdp, np.array([3, 0, 0]))
    pi = mdp.allowed / mdp.n_allowed[:, None]
    pi[0] = [0.5, 0.25, 0.25, 0.0]
    with pytest.raises(ValueError, match=r"policy gives probability 0.25 to action 2 in state 0 \(index \(0, 2\)\), "
                                         r"which the model does not allow there; allowed actions: \[0, 1\]"):
        fastq.policy_evaluation(mdp, pi)
    with pytest.raises(ValueError, match=r"index \(1, 0, 2\)"):
        fastq.policy_evaluation(mdp, np.stack([mdp.allowed / mdp.n_allowed[:, None], pi]))
    # actions in the terminal state are ignored
    assert fastq.policy_evaluation(mdp, np.array([0, 0, 3]))[0] == 0.0


@pytest.mark.parametrize(
    "edit, message",
    [
        ((3, 1, -0.25), r"policy must hold probabilities \(finite, >= 0\), got -0.25 at index \(3, 1\)"),
        ((3, 1, np.nan), r"policy must hold probabilities \(finite, >= 0\), got nan at index \(3, 1\)"),
        ((3, 1, 0.5), r"policy: the action probabilities of every non-terminal state must sum to 1 within 1e-09, "
                      r"got 1.25 for state 3"),
    ],
)
def test_stochastic_policy_bad_values(edit, message):
    pi = np.full((16, 4), 0.25)
    s, a, value = edit
    pi[s, a] = value
    with pytest.raises(ValueError, match=message):
        fastq.policy_evaluation("FrozenLake-4x4", pi)


def test_stochastic_policy_batch_errors_name_the_agent():
    pi = np.full((2, 16, 4), 0.25)
    pi[1, 6] = [0.0, 0.0, 0.0, 0.5]
    with pytest.raises(ValueError, match=r"sum to 1 within 1e-09, got 0.5 for state \(1, 6\)"):
        fastq.policy_evaluation("FrozenLake-4x4", pi)


def test_stochastic_policy_sum_tolerance():
    pi = np.full((16, 4), 0.25)
    pi[0, 0] += 5e-10
    fastq.policy_evaluation("FrozenLake-4x4", pi)  # within 1e-9
    pi[0, 0] += 1e-9
    with pytest.raises(ValueError, match="must sum to 1 within 1e-09"):
        fastq.policy_evaluation("FrozenLake-4x4", pi)


@pytest.mark.parametrize("shape", [(16,), (16, 3), (4, 16), (2, 16, 5), (1, 2, 16, 4)])
def test_float_policy_of_the_wrong_shape(shape):
    with pytest.raises(TypeError, match=rf"policy must be an array of integer actions, got dtype float64 with shape "
                                        rf"\({', '.join(map(str, shape))},?\); action probabilities need shape "
                                        r"\(16, 4\) or \(agents, 16, 4\)"):
        fastq.policy_evaluation("FrozenLake-4x4", np.zeros(shape))


def test_stochastic_float32_policies_are_accepted_within_their_precision():
    # 0.1, 0.2, 0.3, 0.4 in float32 sum to 1 + 2.2e-8 in float64: refused before for 2e-8
    env = fastq.make("FrozenLake-4x4")
    probs = np.tile(np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32), (16, 1))
    assert abs(probs.astype(np.float64).sum(axis=1)[0] - 1.0) > 1e-9
    v32 = fastq.policy_evaluation(env, probs, gamma=0.9)
    exact = probs.astype(np.float64) / probs.astype(np.float64).sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(v32, fastq.policy_evaluation(env, exact, gamma=0.9))
    bad = probs.copy()
    bad[3, 0] = 0.09  # a real error, far beyond float32's precision
    with pytest.raises(ValueError, match=r"within 4.77e-07 \(the precision of its dtype float32\), got 0.99.* for state 3"):
        fastq.policy_evaluation(env, bad, gamma=0.9)
