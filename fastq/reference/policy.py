"""Numpy twin of :mod:`fastq.kernels.policy`: the same choices over arrays of agents.

Where a kernel takes one agent's Q row, these take the table ``q`` (agents, S, A) and equal-length
arrays of agent rows ``i`` and states ``s`` (and per-agent draws and hyperparameters), and
return one result per agent, computing exactly what the kernel computes.  The kernels' fast
paths (the tie table for 4 actions, the packed outcome blocks) give the same numbers as the
plain definitions written here.
"""

from __future__ import annotations

import numpy as np

from .rng import explores, pick, uniform

_S11 = np.uint64(11)


def max_q(q, i, s):
    """``max_a q[i, s, a]`` for arrays ``i``, ``s``."""
    return q[i, s].max(axis=1)


def greedy(q, i, s, x, tie_random):
    """The first maximiser, or the ``pick(x, ties)``-th one when ``tie_random``."""
    q_s = q[i, s]
    ties = q_s == q_s.max(axis=1)[:, None]
    if not tie_random:
        return np.argmax(ties, axis=1)
    j = pick(x, ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > j[:, None], axis=1)


def epsilon_greedy(q, i, s, x, epsilon, tie_random, n_allowed, allowed_actions):
    """Explore when ``x >> 32 < ceil(epsilon * 2**32)``: the allowed action
    ``allowed_actions[s, pick(x, n_allowed[s])]``; else :func:`greedy`."""
    random = allowed_actions[s, pick(x, n_allowed[s])]
    return np.where(explores(x, epsilon), random, greedy(q, i, s, x, tie_random))


def _weights(q, i, s, temperature):
    """Softmax weights ``exp((q - max) / temperature)`` per agent, shape (n, A); 0 for ``-inf``.

    ``q - max`` is taken in q's dtype (float32 for float32 tables, as in the kernel), the
    division by the float64 temperature and ``exp`` in float64.
    """
    q_s = q[i, s]
    return np.exp((q_s - q_s.max(axis=1)[:, None]) / np.reshape(temperature, (-1, 1)))


def softmax_action(q, i, s, x, temperature):
    """Boltzmann actions: the first allowed action whose running weight exceeds ``uniform(x) * total``."""
    w = _weights(q, i, s, temperature)
    total = np.zeros(w.shape[0])
    for a in range(w.shape[1]):  # sums in action order, as the kernel adds them
        total = total + w[:, a]
    target = uniform(x) * total
    running = np.zeros(w.shape[0])
    chosen = np.full(w.shape[0], -1)
    last = np.zeros(w.shape[0], dtype=np.int64)
    for a in range(w.shape[1]):
        running = running + w[:, a]
        live = w[:, a] > 0.0
        last[live] = a
        chosen[live & (chosen < 0) & (running > target)] = a
    return np.where(chosen >= 0, chosen, last)


def act(q, i, s, x, epsilon, temperature, softmax, tie_random, n_allowed, allowed_actions):
    """The behaviour policy: Boltzmann when ``softmax``, else epsilon-greedy."""
    if softmax:
        return softmax_action(q, i, s, x, temperature)
    return epsilon_greedy(q, i, s, x, epsilon, tie_random, n_allowed, allowed_actions)


def expected_value(q, i, s, epsilon, temperature, softmax, n_allowed):
    """``sum_a pi(a | s) q[i, s, a]`` per agent (see the kernel); sums in action order."""
    q_s = q[i, s]
    if softmax:
        w = _weights(q, i, s, temperature)
        total = np.zeros(len(i))
        weighted = np.zeros(len(i))
        for a in range(q.shape[2]):
            total = total + w[:, a]
            live = w[:, a] > 0.0
            weighted = weighted + np.where(live, w[:, a] * np.where(live, q_s[:, a], 0.0), 0.0)
        return weighted / total
    acc = np.zeros(len(i))
    for a in range(q.shape[2]):
        acc = acc + np.where(q_s[:, a] > -np.inf, q_s[:, a], 0.0)
    return (1.0 - epsilon) * q_s.max(axis=1) + (epsilon / n_allowed[s]) * acc


def gaussian(x):
    """Standard normal numbers from draws: Box-Muller on the two 32-bit halves of each."""
    u1 = ((x >> np.uint64(32)).astype(np.float64) + 0.5) * 2.3283064365386963e-10
    u2 = (x & np.uint64(0xFFFFFFFF)).astype(np.float64) * 2.3283064365386963e-10
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)


def outcome(threshold, s, a, z):
    """Outcome index per agent: the number of thresholds ``ceil(cum_prob[s, a, :K-1] * 2**53)``
    at or below ``z >> 11`` (``uniform(z) >= cum_prob``, compared on integers)."""
    K = threshold.shape[2]
    if K == 1:
        return np.zeros(np.shape(s), dtype=np.int64)
    u = (z >> _S11).astype(np.int64)
    return (u[:, None] >= threshold[s, a, : K - 1]).sum(axis=1)


def sample_start(start_cum, u):
    """Start state per agent: ``searchsorted(start_cum, u, side="right")``."""
    return np.searchsorted(start_cum, u, side="right")
