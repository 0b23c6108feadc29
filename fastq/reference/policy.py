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


def epsilon_greedy(q, i, s, epsilon, tie_random, key, base):
    """Epsilon-greedy actions of agents ``i`` in states ``s``."""
    explore = uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon
    greedy = greedy_action(q, i, s, tie_random, key, base | _SLOT_ACTION)
    random = bounded(draw(key, base | _SLOT_ACTION), q.shape[2])
    return np.where(explore, random, greedy)


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
