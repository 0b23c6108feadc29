r"""The pieces of the learners that update more than one value per step, in numba: n-step and
Monte Carlo returns over an episode's buffer, eligibility traces over a list of active entries,
a fixed policy's actions, and the RMS error of a value table.

Returns.  An episode's steps are kept in a buffer of ``(state, action, reward)``, position ``j``
holding ``(S_j, A_j, R_{j+1})`` (a ring of ``capacity`` steps, position ``j % capacity``).  The
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
from .._interface import DUTCH, MC_CONTROL, MC_PREDICTION, N_STEP_SARSA, PREDICTION, Q_LAMBDA, REPLACING, SARSA_LAMBDA, TD_LAMBDA, TRACES
from ._llvm import as_bits, as_float

_u = np.uint64
_S11 = np.uint64(11)


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
def n_step_return(steps, i, tau, last, capacity, gamma, bootstrap):
    """The return of step ``tau`` over the rewards of steps ``tau .. last`` and the value
    ``bootstrap`` of the state after ``last`` (see the module docstring)."""
    g = as_float(steps[_u(i), _u(last % capacity), 2]) + gamma * bootstrap
    for j in range(last - 1, tau - 1, -1):
        g = as_float(steps[_u(i), _u(j % capacity), 2]) + gamma * g
    return g


@njit(**KERNEL)
def update(table, counts, index, target, alpha, power, visits):
    """``table[index] += alpha * (target - table[index])``, ``alpha`` from the visit count when
    ``visits`` (:func:`fastq.kernels.learners.step_size`); the squared error ``(target - old)**2``."""
    if visits:
        n = counts[_u(index)] + 1
        counts[_u(index)] = n
        if power == 1.0:
            alpha = 1.0 / n
        elif power == 0.5:
            alpha = 1.0 / np.sqrt(np.float64(n))
        else:
            alpha = np.float64(n) ** -power
    old = table[_u(index)]
    error = target - old
    table[_u(index)] = old + alpha * error
    return error * error


@njit(**KERNEL)
def flush(table, counts, first, steps, i, lo, T, capacity, base, A, with_action, gamma, terminated, bootstrap,
          alpha, power, visits, first_visit, stamp, loss, updates):
    """The updates of steps ``lo .. T - 1`` at the end of an episode of ``T`` steps (terminated,
    or truncated with ``bootstrap`` the value of the state it was cut in): the returns backwards,
    then the updates forwards, of the first visit of an entry only when ``first_visit``.  Returns
    ``loss`` and ``updates`` with each update's squared error and count added."""
    g = bootstrap
    for j in range(T - 1, lo - 1, -1):
        r = as_float(steps[_u(i), _u(j % capacity), 2])
        g = r if terminated and j == T - 1 else r + gamma * g
        steps[_u(i), _u(j % capacity), 2] = as_bits(g)
    for j in range(lo, T):
        local = steps[_u(i), _u(j % capacity), 0]
        if with_action:
            local = local * A + steps[_u(i), _u(j % capacity), 1]
        if first_visit:
            if first[_u(i), _u(local)] == stamp:
                continue
            first[_u(i), _u(local)] = stamp
        loss += update(table, counts, base + local, as_float(steps[_u(i), _u(j % capacity), 2]), alpha, power, visits)
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


@njit(**KERNEL)
def learn_step(algo, trace_kind, first_visit, table, counts, trace, active, n_active, first, steps, i, base, s, a,
               r, s2, a2, ends, cut, position, capacity, A, gamma, alpha, power, visits, decay, n, stamp, old_value,
               cut_value, loss, updates):
    """One step of a learner of this module (``algo``, a code of :mod:`fastq._interface`) for
    agent ``i``, whose table (V, or Q with ``A`` actions) starts at ``table[base]``: after the
    transition ``(s, a, r, s2)`` (``ends``: terminated; ``cut``: the episode ends here, terminated
    or truncated; ``a2``: the next action of the learners that choose it before the update;
    ``cut_value``: Monte Carlo control's value of the state a truncated episode was cut in).
    Returns ``(loss, updates, old_value)``, the running sum of squared TD errors and its count and
    true online TD(lambda)'s previous value.

    A call, compiled once for every variant that uses it: the learners with more than one step
    spend their time in its loops, not in the call.
    """
    with_action = algo not in PREDICTION
    if with_action:
        here = s * A + a
        next_value = table[_u(base + s2 * A + a2)] if algo in (SARSA_LAMBDA, N_STEP_SARSA) else 0.0
        if algo == Q_LAMBDA:
            best = table[_u(base + s2 * A)]
            for b in range(1, A):
                w = table[_u(base + s2 * A + b)]
                best = w if w > best else best
            next_value = best
    else:
        here = s
        next_value = table[_u(base + s2)]
    if algo in TRACES:
        value = 0.0 if ends and algo == TD_LAMBDA else next_value
        bootstrap = r + gamma * value
        target = r if ends else bootstrap
        current = table[_u(base + here)]
        delta = target - current
        if trace_kind == DUTCH:
            dutch_step(table, trace, active, n_active, first, i, base, here, stamp, alpha, delta, current,
                       old_value, decay)
            old_value = value
        else:
            trace_step(table, trace, active, n_active, first, i, base, here, stamp, alpha * delta, decay,
                       trace_kind == REPLACING)
        return loss + delta * delta, updates + 1, old_value
    # Buffered: n-step and Monte Carlo learners.
    record(steps, i, position % capacity, s, a, r)
    tau = position - n + 1
    if algo not in (MC_PREDICTION, MC_CONTROL) and not cut and tau >= 0:
        entry = steps[_u(i), _u(tau % capacity), 0]
        if with_action:
            entry = entry * A + steps[_u(i), _u(tau % capacity), 1]
        target = n_step_return(steps, i, tau, position, capacity, gamma, next_value)
        loss += update(table, counts, base + entry, target, alpha, power, visits)
        updates += 1
    if cut:  # the updates of the episode's last steps (Monte Carlo: of all of them)
        bootstrap = 0.0
        if not ends:  # truncated: the value of the state the episode was cut in
            bootstrap = cut_value if algo == MC_CONTROL else next_value
        lo = 0 if algo in (MC_PREDICTION, MC_CONTROL) else max(0, position + 1 - n)
        loss, updates = flush(table, counts, first, steps, i, lo, position + 1, capacity, base, A, with_action, gamma,
                              ends, bootstrap, alpha, power, visits, first_visit, stamp, loss, updates)
    return loss, updates, old_value
