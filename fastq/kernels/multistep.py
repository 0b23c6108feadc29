r"""The pieces of the learners that update more than one value per step, in numba: n-step and
Monte Carlo returns over an episode's buffer, eligibility traces over a list of active entries,
a fixed policy's actions, and the RMS error of a value table.

Returns.  An episode's steps are kept in a buffer of ``(state, action, reward)``, position ``j``
holding ``(S_j, A_j, R_{j+1})`` (a ring of ``capacity`` steps, position ``j % capacity``, computed
as ``j & ring`` with ``ring = ring_mask(capacity)``: an n-step learner's capacity is a power of
two, a Monte Carlo buffer holds a whole episode and never wraps -- no division on a step).  The
n-step return of step ``tau`` with horizon ``h = min(tau + n, T)`` is folded from its end::

    G = R_h                               if the episode terminated at h = T
        R_h + gamma * B                   otherwise (B: the value of S_h -- V(S_h), Q(S_h, A_h)
                                          or the policy's expectation; at a truncation, read once
                                          when the episode is cut)
    G = R_k + gamma * G                   for k = h - 1 down to tau + 1

so that ``n = 1`` is the one-step target ``r + gamma * B`` to the last bit, and ``n >= T`` is the
Monte Carlo return.  At the end of an episode the returns of its remaining steps are computed
backwards in one pass (into the buffer's reward slots), then the updates applied in the order
of the steps -- the order an n-step learner applies them, which is why n-step TD with
``n >= T`` equals every-visit Monte Carlo bit for bit.

Traces.  A learner's traces are zero between episodes; the entries that got one in the current
episode are listed in ``active`` (in order of their first trace), so a step costs the number of
entries visited so far, not the size of the table; ``first`` marks an entry listed in this
episode with the episode's stamp.  The same stamps mark first visits for first-visit Monte Carlo.

Every function has its twin in :mod:`fastq.reference.multistep`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._config import KERNEL
from ._llvm import as_bits, as_float

_u = np.uint64
_S11 = np.uint64(11)


@njit(**KERNEL)
def ring_mask(capacity):
    """``2**k - 1`` for the least ``2**k >= capacity``: ``j & ring_mask(capacity)`` is
    ``j % capacity`` when the capacity is a power of two, and ``j`` for every ``j < capacity``."""
    mask = 0
    while mask + 1 < capacity:
        mask = 2 * mask + 1
    return mask


@njit(**KERNEL)
def sample_policy(threshold, base, x, A):
    """The action of a fixed policy in the state whose row of cumulative-probability thresholds
    starts at ``threshold[base]``: the number of thresholds ``<= x >> 11`` (``uniform(x) >=`` the
    cumulative probability, compared on integers, as an outcome is)."""
    u = np.int64(x >> _S11)
    a = 0
    for k in range(A - 1):
        a += u >= threshold[_u(base + k)]
    return a


@njit(**KERNEL)
def record(steps, i, position, s, a, r):
    """Keep step ``(s, a, r)`` of agent ``i`` at ``position`` of its buffer."""
    steps[_u(i), _u(position), 0] = s
    steps[_u(i), _u(position), 1] = a
    steps[_u(i), _u(position), 2] = as_bits(r)


@njit(**KERNEL)
def n_step_return(steps, i, tau, last, ring, gamma, bootstrap):
    """The return of step ``tau`` over the rewards of steps ``tau .. last`` and the value
    ``bootstrap`` of the state after ``last`` (see the module docstring)."""
    g = as_float(steps[_u(i), _u(last & ring), 2]) + gamma * bootstrap
    for j in range(last - 1, tau - 1, -1):
        g = as_float(steps[_u(i), _u(j & ring), 2]) + gamma * g
    return g


@njit(**KERNEL)
def step_size(alpha, power, counts, index, VISITS):
    """``alpha``, or ``1 / n ** power`` after counting this update of the pair at ``counts[index]``.

    Powers 1 and 1/2 use a division and a square root (exact in IEEE arithmetic), so the
    reference agrees bit for bit; other powers go through ``pow``.
    """
    if not VISITS:
        return alpha
    n = counts[_u(index)] + 1
    counts[_u(index)] = n
    if power == 1.0:
        return 1.0 / n
    if power == 0.5:
        return 1.0 / np.sqrt(np.float64(n))
    return np.float64(n) ** -power


@njit(**KERNEL)
def update(table, counts, index, target, alpha, power, visits):
    """``table[index] += alpha * (target - table[index])``, ``alpha`` from the visit count when
    ``visits`` (:func:`step_size`); the squared error ``(target - old)**2``."""
    alpha = step_size(alpha, power, counts, index, visits)
    old = table[_u(index)]
    error = target - old
    table[_u(index)] = old + alpha * error
    return error * error


@njit(**KERNEL)
def flush(table, counts, first, steps, i, lo, T, ring, base, A, with_action, gamma, terminated, bootstrap,
          alpha, power, visits, first_visit, stamp, loss, updates):
    """The updates of steps ``lo .. T - 1`` at the end of an episode of ``T`` steps (terminated,
    or truncated with ``bootstrap`` the value of the state it was cut in): the returns backwards,
    then the updates forwards, of the first visit of an entry only when ``first_visit``.  Returns
    ``loss`` and ``updates`` with each update's squared error and count added."""
    g = bootstrap
    for j in range(T - 1, lo - 1, -1):
        r = as_float(steps[_u(i), _u(j & ring), 2])
        g = r if terminated and j == T - 1 else r + gamma * g
        steps[_u(i), _u(j & ring), 2] = as_bits(g)
    for j in range(lo, T):
        local = steps[_u(i), _u(j & ring), 0]
        if with_action:
            local = local * A + steps[_u(i), _u(j & ring), 1]
        if first_visit:
            if first[_u(i), _u(local)] == stamp:
                continue
            first[_u(i), _u(local)] = stamp
        loss += update(table, counts, base + local, as_float(steps[_u(i), _u(j & ring), 2]), alpha, power, visits)
        updates += 1
    return loss, updates


@njit(**KERNEL)
def enlist(trace, active, n_active, first, i, local, stamp):
    """List entry ``local`` of agent ``i`` among this episode's traced entries, if it is not yet."""
    if first[_u(i), _u(local)] != stamp:
        first[_u(i), _u(local)] = stamp
        active[_u(i), _u(n_active[i])] = local
        n_active[i] += 1


@njit(**KERNEL)
def trace_step(table, trace, active, n_active, first, i, base, local, stamp, coefficient, decay, replacing):
    """Accumulating (``z += 1``) or replacing (``z = 1``) trace of entry ``local``, then every
    traced entry ``j`` moves by ``coefficient * z_j`` (``alpha * delta``) and its trace decays
    (``z_j *= gamma * lambda``)."""
    enlist(trace, active, n_active, first, i, local, stamp)
    index = base + local
    if replacing:
        trace[_u(index)] = 1.0
    else:
        trace[_u(index)] += 1.0
    for k in range(n_active[i]):
        j = base + active[_u(i), _u(k)]
        z = trace[_u(j)]
        if z != 0.0:  # entries whose trace was cut (Watkins) or that decayed to 0
            table[_u(j)] = table[_u(j)] + coefficient * z
            trace[_u(j)] = decay * z


@njit(**KERNEL)
def dutch_step(table, trace, active, n_active, first, i, base, local, stamp, alpha, delta, value, old_value, decay):
    """True online TD(lambda) (van Seijen et al. 2016; Sutton & Barto section 12.5) on a table:
    ``z = gamma lambda z + (1 - alpha gamma lambda z_s) x_s``, then
    ``V += alpha (delta + V_s - V_old) z - alpha (V_s - V_old) x_s``."""
    enlist(trace, active, n_active, first, i, local, stamp)
    index = base + local
    z_s = trace[_u(index)]
    for k in range(n_active[i]):
        j = base + active[_u(i), _u(k)]
        trace[_u(j)] = decay * trace[_u(j)]
    trace[_u(index)] += 1.0 - alpha * decay * z_s
    coefficient = alpha * (delta + value - old_value)
    for k in range(n_active[i]):
        j = base + active[_u(i), _u(k)]
        z = trace[_u(j)]
        if z != 0.0:
            table[_u(j)] = table[_u(j)] + coefficient * z
    table[_u(index)] = table[_u(index)] - alpha * (value - old_value)


@njit(**KERNEL)
def cut_traces(trace, active, n_active, i, base, forget):
    """Set every trace of agent ``i`` to 0; ``forget`` also empties its list (an episode's end)."""
    for k in range(n_active[i]):
        trace[_u(base + active[_u(i), _u(k)])] = 0.0
    if forget:
        n_active[i] = 0


@njit(**KERNEL)
def rms_error(v, base, true_values, row, terminal):
    """The root mean square of ``v[base + s] - true_values[row, s]`` over the non-terminal
    states, summed in state order."""
    total = 0.0
    count = 0
    for s in range(terminal.shape[0]):
        if not terminal[s]:
            d = v[_u(base + s)] - true_values[_u(row), _u(s)]
            total += d * d
            count += 1
    return math.sqrt(total / count)
