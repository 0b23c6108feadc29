"""Action selection and sampling in numba: epsilon-greedy with tie rules, outcome and start draws.

Functions take one agent ``i`` in one state ``s``; their numpy twins in
:mod:`fastq.reference.policy` take arrays of agents and states, with the same names and argument
order.  ``index`` / ``base`` arguments are draw indices of :mod:`fastq.rng`; ``base`` is the
index of slot 0 of the current step, so ``base | SLOT`` selects a slot.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT
from ..rng import SLOT_ACTION, SLOT_EXPLORE
from .rng import bounded, draw, uniform

_SLOT_EXPLORE = np.uint64(SLOT_EXPLORE)
_SLOT_ACTION = np.uint64(SLOT_ACTION)


@njit(inline="always", **JIT)
def max_q(q, i, s):
    """``max_a q[i, s, a]``."""
    best = q[i, s, 0]
    for a in range(1, q.shape[2]):
        if q[i, s, a] > best:
            best = q[i, s, a]
    return best


@njit(inline="always", **JIT)
def greedy_action(q, i, s, tie_random, key, index):
    """An action maximising ``q[i, s]``.

    Ties: the first maximiser when ``tie_random`` is False; otherwise the ``j``-th maximiser
    with ``j = bounded(draw(key, index), number of maximisers)``, drawn only when there is a tie.
    """
    A = q.shape[2]
    best = q[i, s, 0]
    first = 0
    count = 1
    for a in range(1, A):
        v = q[i, s, a]
        if v > best:
            best = v
            first = a
            count = 1
        elif v == best:
            count += 1
    if count == 1 or not tie_random:
        return first
    j = bounded(draw(key, index), count)
    for a in range(first, A):
        if q[i, s, a] == best:
            if j == 0:
                return a
            j -= 1
    return first  # unreachable: j < count


@njit(inline="always", **JIT)
def epsilon_greedy(q, i, s, epsilon, tie_random, key, base):
    """With probability ``epsilon`` a uniformly random action, else :func:`greedy_action`.

    Draws: slot EXPLORE decides (skipped when epsilon is 0); slot ACTION gives the random
    action or breaks the tie.
    """
    if epsilon > 0.0 and uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon:
        return bounded(draw(key, base | _SLOT_ACTION), q.shape[2])
    return greedy_action(q, i, s, tie_random, key, base | _SLOT_ACTION)


@njit(inline="always", **JIT)
def sample_outcome(cum_prob, s, a, key, index):
    """Outcome ``k`` of taking ``a`` in ``s``: the first ``k`` with ``u < cum_prob[s, a, k]``."""
    K = cum_prob.shape[2]
    if K == 1:
        return 0
    u = uniform(draw(key, index))
    k = 0
    while k < K - 1 and u >= cum_prob[s, a, k]:
        k += 1
    return k


@njit(inline="always", **JIT)
def sample_start(start_cum, key, index):
    """A start state: the first ``s`` with ``u < start_cum[s]``."""
    return np.searchsorted(start_cum, uniform(draw(key, index)), side="right")
