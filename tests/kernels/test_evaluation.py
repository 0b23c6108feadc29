"""Exact evaluation of greedy policies (fastq.kernels.evaluation) and its numpy twin: both equal
policy_evaluation's values, to rounding, and the numpy backend compiles nothing for it."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastq
from fastq.solve import greedy_metrics


def random_policies(mdp, n, seed):
    return np.random.default_rng(seed).integers(0, mdp.n_actions, size=(n, mdp.n_states))


@pytest.mark.parametrize("name", ["FrozenLake-4x4", "FrozenLake-8x8", "CliffWalking"])
def test_both_backends_equal_policy_evaluation(name):
    env = fastq.make(name)
    mdp = env.mdp
    policies = random_policies(mdp, 12, seed=5)
    q = np.eye(mdp.n_actions)[policies]  # greedy policy = the random one
    gamma = np.array([0.9, 0.99, 0.5] * 4)
    exact = np.array([fastq.policy_evaluation(env, pi, gamma=g)[mdp.start > 0] @ mdp.start[mdp.start > 0]
                      for pi, g in zip(policies, gamma)])
    fast = greedy_metrics(env, q, gamma=gamma, backend="numba")
    ref = greedy_metrics(env, q, gamma=gamma, backend="numpy")
    np.testing.assert_allclose(fast[0], exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ref[0], exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast[1], ref[1], rtol=1e-9, atol=1e-12)
    if mdp.goal.any():
        assert ((fast[1] >= 0) & (fast[1] <= 1 + 1e-12)).all()
    else:
        assert np.isnan(fast[1]).all() and np.isnan(ref[1]).all()


def test_success_probability_by_hand():
    # Deterministic FrozenLake-4x4: the path down, down, right, down, right, right reaches the
    # goal with probability 1; always going left never does.
    env = fastq.make("FrozenLake-4x4", slip=0.0)
    right, down, left = 2, 1, 0
    path = np.full(16, left)
    path[[0, 4, 8, 9, 13, 14]] = [down, down, right, down, right, right]
    q = np.eye(4)[np.stack([path, np.full(16, left)])]
    for backend in ("numba", "numpy"):
        value, success = greedy_metrics(env, q, gamma=0.9, backend=backend)
        np.testing.assert_allclose(success, [1.0, 0.0], atol=1e-12)
        np.testing.assert_allclose(value, [0.9**5, 0.0], atol=1e-12)


@pytest.mark.subprocess
def test_the_numpy_backend_compiles_nothing_with_eval_every():
    script = (
        "import numba, sys, fastq\n"
        "res = fastq.train('FrozenLake-4x4', agents=3, episodes=4, eval_every=2, backend='numpy')\n"
        "assert res.extra['eval_value'].shape == (3, 2)\n"
        "compiled = [n for n, m in sys.modules.items() if n.startswith('fastq') for o in vars(m).values()\n"
        "            if isinstance(o, numba.core.dispatcher.Dispatcher) and o.signatures]\n"
        "print(compiled)\n"
    )
    env = {**os.environ, "FASTQ_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
