"""Action selection and sampling in numba: greedy choice with ties, epsilon-greedy, softmax, the
expected value under the policy, the outcome of a transition and the start state.

Functions take one agent's Q row: ``q`` is the agent population's table as a flat array and
``row`` the offset of ``Q(s, 0)``.  ``x`` is the step's policy draw (:mod:`fastq.rng`, slot
POLICY): explore when ``x >> 32 < threshold``; the random action, or the pick among tied greedy
actions, is ``pick(x, n)``.  Their numpy twins in :mod:`fastq.reference.policy` take arrays of
agents and give the same numbers.

Arguments in capitals (``A``, ``TIE``, ``MASKED``...) are the options of the learner kernel
that calls these functions (:mod:`fastq.kernels.learners`): they are compiled once for every
kernel, and LLVM folds the kernel's constants into them where it inlines them.  With 4 actions
(``TABLE_ACTIONS``, the compass grids) the kernels call the ``_table`` functions: the mask of
greedy actions indexes :data:`fastq._interface.TIE_TABLE` with ``pick(x, 12)``, which is the
random tie and, with the mask of allowed actions, the random action -- one load and no count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._config import KERNEL
from .._interface import TABLE_ACTIONS, TIE_WIDTH
from ._llvm import as_float, row4
from .rng import explores, pick, uniform

_u = np.uint64  # unsigned indices: numba then emits no negative-index wraparound code
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_ALL4 = (1 << TABLE_ACTIONS) - 1


@njit(**KERNEL)
def q_max(q, row, A):
    """``max_a q[row + a]``."""
    if A == TABLE_ACTIONS:
        return row4(q, row)[0]
    best = q[_u(row)]
    for a in range(1, A):
        v = q[_u(row + a)]
        best = v if v > best else best
    return best


@njit(**KERNEL)
def greedy_mask(q, row):
    """For 4 actions: the bit mask of the maximisers of ``q[row:row + 4]``."""
    return row4(q, row)[1]


@njit(**KERNEL)
def greedy_table(q, row, x, TIE, tie_table):
    """For 4 actions: an action maximising ``q[row:row + 4]``, the ``pick(x, ties)``-th maximiser
    when ``TIE`` (one lookup in the tie table), else the first."""
    r = pick(x, TIE_WIDTH) if TIE else 0
    return tie_table[_u(greedy_mask(q, row) * TIE_WIDTH + r)]


@njit(**KERNEL)
def greedy(q, row, x, A, TIE):
    """An action maximising ``q[row:row + A]``: the ``pick(x, ties)``-th maximiser when ``TIE``
    (ties broken at random), else the first."""
    best = q_max(q, row, A)
    j = 0
    if TIE:
        count = 0
        for a in range(A):
            count += q[_u(row + a)] == best
        j = pick(x, count)
    chosen = 0
    seen = 0
    for a in range(A):  # the j-th maximiser, without a data-dependent branch
        tie = q[_u(row + a)] == best
        chosen = a if tie & (seen == j) else chosen
        seen += tie
    return chosen


@njit(**KERNEL)
def epsilon_greedy_table(q, row, s, x, threshold, TIE, MASKED, allowed_mask, tie_table):
    """For 4 actions, :func:`epsilon_greedy` from one table: the mask of the greedy actions, or
    when exploring that of the allowed ones, picks the table's row; ``pick(x, 12)`` the entry
    (see :data:`fastq._interface.TIE_TABLE`).  The row is chosen by a conditional move on two
    indices and read once, so the load is not on a branch taken at random."""
    explore = explores(x, threshold)
    r = pick(x, TIE_WIDTH)
    mask = greedy_mask(q, row)
    allowed = allowed_mask[_u(s)] if MASKED else _ALL4
    row_of_table = allowed if explore else mask
    pick_in_row = r if TIE or explore else 0
    return tie_table[_u(row_of_table * TIE_WIDTH + pick_in_row)]


@njit(**KERNEL)
def epsilon_greedy(q, row, s, x, threshold, A, TIE, MASKED, n_allowed, allowed_actions):
    """Explore (``x >> 32 < threshold``): a uniformly random allowed action,
    ``allowed_actions[s, pick(x, n_allowed[s])]``, which is ``pick(x, A)`` when every action is
    allowed; else :func:`greedy`.  Disallowed actions hold ``-inf`` in ``q``, so the greedy
    choice never takes one.  (4 actions: :func:`epsilon_greedy_table`, the same choices.)"""
    explore = explores(x, threshold)
    if MASKED:
        random = allowed_actions[_u(s), _u(pick(x, n_allowed[_u(s)]))]
    else:
        random = pick(x, A)
    best = greedy(q, row, x, A, TIE)
    return random if explore else best


@njit(**KERNEL)
def softmax_action(q, row, A, temperature, x):
    """An action drawn with probability proportional to ``exp((q[row + a] - max) / temperature)``:
    the first whose running sum of weights exceeds ``uniform(x) * total``; disallowed actions
    (``-inf``) have weight 0 and are never drawn.  A call, not inlined: ``exp`` dominates it."""
    m = q_max(q, row, A)
    total = 0.0
    for a in range(A):
        total += math.exp((q[_u(row + a)] - m) / temperature)
    target = uniform(x) * total
    running = 0.0
    chosen = -1
    last = 0
    for a in range(A):
        w = math.exp((q[_u(row + a)] - m) / temperature)
        running += w
        if w > 0.0:
            last = a
            if chosen < 0 and running > target:
                chosen = a
    return chosen if chosen >= 0 else last  # u * total may round up to total


@njit(**KERNEL)
def softmax_expectation(q, row, A, temperature):
    """``sum_a w_a q[row + a] / sum_a w_a`` with softmax weights (a call: ``exp`` dominates it)."""
    m = q_max(q, row, A)
    total = 0.0
    weighted = 0.0
    for a in range(A):
        v = q[_u(row + a)]
        w = math.exp((v - m) / temperature)
        total += w
        weighted += w * v if w > 0.0 else 0.0
    return weighted / total


@njit(**KERNEL)
def expected_value(q, row, s, epsilon, temperature, A, SOFTMAX, n_allowed):
    """``sum_a pi(a | s) q[row + a]`` under the behaviour policy.

    Epsilon-greedy: ``(1 - epsilon) * max + (epsilon / n_allowed[s]) * sum`` over allowed
    actions (the greedy mass goes to maximisers, which all hold the max, whatever the tie rule);
    the division does not wait for the Q values, which keeps it off the step's chain of
    dependent operations.  Softmax: ``sum_a w_a q_a / sum_a w_a``.  Sums run in action order.
    """
    if SOFTMAX:
        return softmax_expectation(q, row, A, temperature)
    acc = 0.0
    for a in range(A):
        v = q[_u(row + a)]
        acc += v if v > -math.inf else 0.0
    return (1.0 - epsilon) * q_max(q, row, A) + (epsilon / n_allowed[_u(s)]) * acc


@njit(**KERNEL)
def gaussian(x):
    """A standard normal number from one draw: Box-Muller on its two 32-bit halves."""
    u1 = (np.float64(np.int64(x >> _S32)) + 0.5) * 2.3283064365386963e-10
    u2 = np.float64(np.int64(x & _LOW32)) * 2.3283064365386963e-10
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


@njit(**KERNEL)
def outcome(outcomes, base, z, K):
    """The outcome of a transition whose block starts at ``outcomes[base]`` (see
    :class:`fastq._interface.Model`): ``(next state | terminal << 32, reward)``.

    Outcome ``k`` is the number of thresholds ``<= z >> 11`` -- the number of cumulative
    probabilities ``<= uniform(z)``, compared exactly on integers, without branches.  With one
    outcome ``z`` is not read (the transition draw is not needed).
    """
    k = 0
    if K == 3:
        u = np.int64(z >> np.uint64(11))
        k = np.int64(u >= outcomes[_u(base)]) + np.int64(u >= outcomes[_u(base + 1)])
    elif K != 1:
        u = np.int64(z >> np.uint64(11))
        for c in range(K - 1):
            k += u >= outcomes[_u(base + c)]
    return outcomes[_u(base + K - 1 + k)], as_float(outcomes[_u(base + 2 * K - 1 + k)])


@njit(**KERNEL)
def sample_start(start_cum, u):
    """A start state: the first ``s`` with ``u < start_cum[s]``.

    ``np.searchsorted(start_cum, u, side="right")``, written out as a binary search: numba's
    ``searchsorted`` adds about a second to the compile time of every kernel.
    """
    low, high = 0, start_cum.shape[0]
    while low < high:
        middle = (low + high) >> 1
        if start_cum[_u(middle)] <= u:
            low = middle + 1
        else:
            high = middle
    return low
