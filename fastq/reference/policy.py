"""Numpy twin of :mod:`fastq.kernels.policy`: the same functions over arrays of agents.

Where a kernel takes one agent ``i`` in state ``s`` (scalars), these take equal-length arrays
``i`` and ``s`` (and per-agent ``epsilon``, ``key``, ``base``) and return one result per agent,
drawing exactly the numbers the kernel draws.
"""

from __future__ import annotations

import numpy as np

from ..rng import SLOT_ACTION, SLOT_EXPLORE
from .rng import bounded, draw, uniform

_SLOT_EXPLORE = np.uint64(SLOT_EXPLORE)
_SLOT_ACTION = np.uint64(SLOT_ACTION)


def max_q(q, i, s):
    """``max_a q[i, s, a]`` for arrays ``i``, ``s``."""
    return q[i, s].max(axis=1)


def greedy_action(q, i, s, tie_random, key, index):
    """First maximiser, or the ``bounded(draw(key, index), ties)``-th one when ``tie_random``."""
    q_s = q[i, s]
    ties = q_s == q_s.max(axis=1)[:, None]
    if not tie_random:
        return np.argmax(ties, axis=1)
    j = bounded(draw(key, index), ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > j[:, None], axis=1)


def epsilon_greedy(q, i, s, epsilon, tie_random, all_allowed, n_allowed, allowed_actions, key, base):
    """Epsilon-greedy actions of agents ``i`` in states ``s`` (random actions among allowed ones)."""
    explore = uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon
    greedy = greedy_action(q, i, s, tie_random, key, base | _SLOT_ACTION)
    x = draw(key, base | _SLOT_ACTION)
    if all_allowed:
        random = bounded(x, q.shape[2])
    else:
        random = allowed_actions[s, bounded(x, n_allowed[s])]
    return np.where(explore, random, greedy)


def _weights(q, i, s, temperature):
    """Softmax weights ``exp((q - max) / temperature)`` per agent, shape (n, A); 0 for ``-inf``.

    ``q - max`` is taken in q's dtype (float32 for float32 tables, as in the kernel), the
    division by the float64 temperature and ``exp`` in float64.
    """
    q_s = q[i, s]
    return np.exp((q_s - q_s.max(axis=1)[:, None]) / np.reshape(temperature, (-1, 1)))


def softmax_action(q, i, s, temperature, key, base):
    """Boltzmann actions: the first allowed action whose running weight exceeds ``u * total``."""
    w = _weights(q, i, s, temperature)
    total = np.zeros(w.shape[0])
    for a in range(w.shape[1]):  # sums in action order, as the kernel adds them
        total = total + w[:, a]
    target = uniform(draw(key, base | _SLOT_ACTION)) * total
    running = np.zeros(w.shape[0])
    chosen = np.full(w.shape[0], -1)
    last = np.zeros(w.shape[0], dtype=np.int64)
    for a in range(w.shape[1]):
        running = running + w[:, a]
        live = w[:, a] > 0.0
        last[live] = a
        chosen[live & (chosen < 0) & (running > target)] = a
    return np.where(chosen >= 0, chosen, last)


def act(q, i, s, softmax, epsilon, temperature, tie_random, all_allowed, n_allowed, allowed_actions, key, base):
    """The behaviour policy: Boltzmann when ``softmax``, else epsilon-greedy."""
    if softmax:
        return softmax_action(q, i, s, temperature, key, base)
    return epsilon_greedy(q, i, s, epsilon, tie_random, all_allowed, n_allowed, allowed_actions, key, base)


def expected_q(q, i, s, softmax, epsilon, temperature, n_allowed):
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


def sample_outcome(cum_prob, s, a, key, index):
    """Outcome index per agent: the number of ``cum_prob[s, a, :K-1]`` entries ``<= u``."""
    K = cum_prob.shape[2]
    if K == 1:
        return np.zeros(np.shape(s), dtype=np.int64)
    u = uniform(draw(key, index))
    return (u[:, None] >= cum_prob[s, a, : K - 1]).sum(axis=1)


def sample_start(start_cum, key, index):
    """Start state per agent: ``searchsorted(start_cum, u, side="right")``."""
    return np.searchsorted(start_cum, uniform(draw(key, index)), side="right")
