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
_u = np.uint64  # indices cast to unsigned: numba then emits no negative-index wraparound code

# Compass grid worlds have 4 actions and, when slippery, 3 outcomes.  For those sizes the
# functions below take straight-line paths (balanced trees instead of loop-carried chains); the
# general loops give the same numbers for every size.  The branch on the size is taken the same
# way on every step, so it costs nothing.


@njit(inline="always", **JIT)
def max_q(q, i, s):
    """``max_a q[i, s, a]``."""
    i, s = _u(i), _u(s)
    if q.shape[2] == 4:
        v0, v1, v2, v3 = q[i, s, _u(0)], q[i, s, _u(1)], q[i, s, _u(2)], q[i, s, _u(3)]
        m01 = v0 if v0 > v1 else v1
        m23 = v2 if v2 > v3 else v3
        return m01 if m01 > m23 else m23
    best = q[i, s, _u(0)]
    for a in range(1, q.shape[2]):
        v = q[i, s, _u(a)]
        best = v if v > best else best
    return best


@njit(inline="always", **JIT)
def greedy_action(q, i, s, tie_random, key, index):
    """An action maximising ``q[i, s]``.

    Ties: the first maximiser when ``tie_random`` is False; otherwise the ``j``-th maximiser
    with ``j = bounded(draw(key, index), number of maximisers)`` (with no tie, ``j = 0``).
    Written without data-dependent branches: early in training most rows are all ties, and a
    mispredicted branch per action would cost more than the whole update.
    """
    best = max_q(q, i, s)
    i, s = _u(i), _u(s)
    A = q.shape[2]
    if A == 4:
        t0 = np.int64(q[i, s, _u(0)] == best)
        t1 = np.int64(q[i, s, _u(1)] == best)
        t2 = np.int64(q[i, s, _u(2)] == best)
        t3 = np.int64(q[i, s, _u(3)] == best)
        before2 = t0 + t1  # maximisers before action 2
        j = bounded(draw(key, index), before2 + t2 + t3) if tie_random else 0
        # The j-th maximiser is action a where t[a] is set and j maximisers come before it.
        return ((t1 & np.int64(t0 == j)) + 2 * (t2 & np.int64(before2 == j))
                + 3 * (t3 & np.int64(before2 + t2 == j)))
    count = 0
    for a in range(A):
        count += q[i, s, _u(a)] == best
    j = bounded(draw(key, index), count) if tie_random else 0
    chosen = 0
    seen = 0
    for a in range(A):
        tie = q[i, s, _u(a)] == best
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
    s, a = _u(s), _u(a)
    u = uniform(draw(key, index))
    if K == 3:
        return np.int64(u >= cum_prob[s, a, _u(0)]) + np.int64(u >= cum_prob[s, a, _u(1)])
    k = 0
    for c in range(K - 1):
        k += u >= cum_prob[s, a, _u(c)]
    return k


@njit(inline="always", **JIT)
def sample_start(start_cum, key, index):
    """A start state: the first ``s`` with ``u < start_cum[s]``."""
    return np.searchsorted(start_cum, uniform(draw(key, index)), side="right")
