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
import math

from ..rng import SLOT_ACTION, SLOT_EXPLORE
from .rng import bounded, draw, uniform

_SLOT_EXPLORE = np.uint64(SLOT_EXPLORE)
_SLOT_ACTION = np.uint64(SLOT_ACTION)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
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
def epsilon_greedy(q, i, s, epsilon, tie_random, all_allowed, n_allowed, allowed_actions, key, base):
    """With probability ``epsilon`` a uniformly random allowed action, else :func:`greedy_action`.

    Draws: slot EXPLORE decides; slot ACTION gives the random action or breaks the tie.  Both
    choices are computed and one is selected, which is cheaper than a branch taken at random.
    Disallowed actions hold ``-inf`` in ``q`` (see :func:`fastq.train`), so the greedy choice
    never picks one; the random one is ``allowed_actions[s, j]``, ``j < n_allowed[s]``, which is
    ``j`` itself when every action is allowed.
    """
    explore = uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon
    greedy = greedy_action(q, i, s, tie_random, key, base | _SLOT_ACTION)
    x = draw(key, base | _SLOT_ACTION)
    if all_allowed:
        random = bounded(x, q.shape[2])
    else:
        random = allowed_actions[_u(s), _u(bounded(x, n_allowed[_u(s)]))]
    return random if explore else greedy


@njit(**JIT)
def softmax_action(q, i, s, temperature, key, base):
    """An action drawn with probability proportional to ``exp((q[i, s, a] - max) / temperature)``.

    The first action whose running sum of weights exceeds ``uniform(x) * total`` (slot ACTION);
    disallowed actions (``-inf``) have weight 0 and are never drawn.
    """
    m = max_q(q, i, s)
    total = 0.0
    for a in range(q.shape[2]):
        total += math.exp((q[_u(i), _u(s), _u(a)] - m) / temperature)
    target = uniform(draw(key, base | _SLOT_ACTION)) * total
    running = 0.0
    chosen = -1
    last = 0
    for a in range(q.shape[2]):
        w = math.exp((q[_u(i), _u(s), _u(a)] - m) / temperature)
        running += w
        if w > 0.0:
            last = a
            if chosen < 0 and running > target:
                chosen = a
    return chosen if chosen >= 0 else last  # u * total may round up to total


@njit(inline="always", **JIT)
def act(q, i, s, softmax, epsilon, temperature, tie_random, all_allowed, n_allowed, allowed_actions, key, base):
    """The behaviour policy: Boltzmann when ``softmax``, else epsilon-greedy."""
    if softmax:
        return softmax_action(q, i, s, temperature, key, base)
    return epsilon_greedy(q, i, s, epsilon, tie_random, all_allowed, n_allowed, allowed_actions, key, base)


#: :func:`act` as a call rather than inlined, for a path taken once per episode (SARSA's first
#: action): numba's inlining copies the whole body, and compile time grows with each copy.
act_call = njit(**JIT)(act.py_func)


@njit(**JIT)
def softmax_expectation(q, i, s, temperature):
    """``sum_a w_a q[i, s, a] / sum_a w_a`` with softmax weights (a call: it is off the hot path)."""
    m = max_q(q, i, s)
    total = 0.0
    weighted = 0.0
    for a in range(q.shape[2]):
        v = q[_u(i), _u(s), _u(a)]
        w = math.exp((v - m) / temperature)
        total += w
        weighted += w * v if w > 0.0 else 0.0
    return weighted / total


@njit(inline="always", **JIT)
def expected_q(q, i, s, softmax, epsilon, temperature, n_allowed):
    """``sum_a pi(a | s) q[i, s, a]`` under the behaviour policy.

    Epsilon-greedy: ``(1 - epsilon) * max + epsilon * mean`` over allowed actions (the greedy
    mass goes to maximisers, which all hold the max, whatever the tie rule), computed as
    ``(1 - epsilon) * max + (epsilon / n_allowed) * sum``: the division does not wait for the
    Q values, which takes it off the chain of dependent operations of a step (about 1.5x faster
    Expected SARSA).  Softmax:
    ``sum_a w_a q_a / sum_a w_a``.  Sums run in action order.
    """
    if softmax:
        return softmax_expectation(q, i, s, temperature)
    acc = 0.0
    for a in range(q.shape[2]):
        v = q[_u(i), _u(s), _u(a)]
        acc += v if v > -math.inf else 0.0
    return (1.0 - epsilon) * max_q(q, i, s) + (epsilon / n_allowed[_u(s)]) * acc


@njit(**JIT)
def gaussian(x):
    """A standard normal number from one draw: Box-Muller on its two 32-bit halves."""
    u1 = (np.float64(np.int64(x >> _S32)) + 0.5) * 2.3283064365386963e-10
    u2 = np.float64(np.int64(x & _LOW32)) * 2.3283064365386963e-10
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


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
    """A start state: the first ``s`` with ``u < start_cum[s]``.

    ``np.searchsorted(start_cum, u, side="right")``, written out as a binary search: numba's
    ``searchsorted`` adds about a second to the compile time of every kernel.
    """
    u = uniform(draw(key, index))
    low, high = 0, start_cum.shape[0]
    while low < high:
        middle = (low + high) >> 1
        if start_cum[_u(middle)] <= u:
            low = middle + 1
        else:
            high = middle
    return low
