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
    with ``j = bounded(draw(key, index), number of maximisers)`` (with no tie, ``j = 0``).
    Written without data-dependent branches: early in training most rows are all ties, and a
    mispredicted branch per action would cost more than the whole update.
    """
    A = q.shape[2]
    best = q[i, s, 0]
    for a in range(1, A):
        v = q[i, s, a]
        best = v if v > best else best
    count = 0
    for a in range(A):
        count += q[i, s, a] == best
    j = bounded(draw(key, index), count) if tie_random else 0
    chosen = 0
    seen = 0
    for a in range(A):
        tie = q[i, s, a] == best
        chosen = a if tie & (seen == j) else chosen
        seen += tie
    return chosen


@njit(inline="always", **JIT)
def epsilon_greedy(q, i, s, epsilon, tie_random, key, base):
    """With probability ``epsilon`` a uniformly random action, else :func:`greedy_action`.

    Draws: slot EXPLORE decides; slot ACTION gives the random action or breaks the tie.  Both
    choices are computed and one is selected, which is cheaper than a branch taken at random.
    """
    explore = uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon
    greedy = greedy_action(q, i, s, tie_random, key, base | _SLOT_ACTION)
    return bounded(draw(key, base | _SLOT_ACTION), q.shape[2]) if explore else greedy


@njit(inline="always", **JIT)
def sample_outcome(cum_prob, s, a, key, index):
    """Outcome ``k`` of taking ``a`` in ``s``: the number of ``cum_prob[s, a, :K-1]`` entries
    ``<= u`` (the first ``k`` with ``u < cum_prob[s, a, k]``, counted without branches)."""
    K = cum_prob.shape[2]
    if K == 1:
        return 0
    u = uniform(draw(key, index))
    k = 0
    for c in range(K - 1):
        k += u >= cum_prob[s, a, c]
    return k


@njit(inline="always", **JIT)
def sample_start(start_cum, key, index):
    """A start state: the first ``s`` with ``u < start_cum[s]``."""
    return np.searchsorted(start_cum, uniform(draw(key, index)), side="right")
