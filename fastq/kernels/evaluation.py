"""Exact evaluation of many deterministic policies at once, in numba (for ``eval_every``).

For each policy ``pi`` (one per agent) it solves, on the non-terminal states,

    v = r_pi + gamma P_pi v          the expected discounted return (gamma < 1)
    x = b_pi + P_pi x                the probability of ever entering a goal state, on the
                                     states that can reach one (0 elsewhere)

by Gaussian elimination without pivoting: both matrices ``I - gamma P`` are M-matrices
(diagonally dominant by rows, with a path out of every row to a state of known value), for
which elimination without pivoting is stable and every pivot is positive.  Agents run in
parallel; each builds its own dense system (n x n, n the number of non-terminal states).
:func:`fastq.solve.greedy_metrics` checks the results against :func:`fastq.policy_evaluation`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import _config
from .._config import JIT


@njit(**JIT)
def _solve_in_place(m, rhs):
    """Solve ``m x = rhs`` (n x n, n) by elimination without pivoting; ``rhs`` becomes ``x``."""
    n = rhs.shape[0]
    for p in range(n):
        pivot = m[p, p]
        for r in range(p + 1, n):
            f = m[r, p] / pivot
            if f != 0.0:
                for c in range(p + 1, n):
                    m[r, c] -= f * m[p, c]
                rhs[r] -= f * rhs[p]
    for p in range(n - 1, -1, -1):
        acc = rhs[p]
        for c in range(p + 1, n):
            acc -= m[p, c] * rhs[c]
        rhs[p] = acc / m[p, p]


@njit(**JIT)
def _evaluate_one(next_state, prob, reward, terminal, goal, start, index, unknowns, policy, gamma, want_value):
    n = unknowns.shape[0]
    K = prob.shape[2]
    value = np.nan
    if want_value:
        m = np.eye(n)
        rhs = np.zeros(n)
        for row in range(n):
            s = unknowns[row]
            a = policy[s]
            for k in range(K):
                p = prob[s, a, k]
                if p > 0.0:
                    rhs[row] += p * reward[s, a, k]
                    col = index[next_state[s, a, k]]
                    if col >= 0:
                        m[row, col] -= gamma * p
        _solve_in_place(m, rhs)
        value = 0.0
        for row in range(n):
            value += start[unknowns[row]] * rhs[row]
    # Success: states that can reach a goal (backward search over the policy's edges).
    S = terminal.shape[0]
    reach = goal.copy()
    changed = True
    while changed:
        changed = False
        for row in range(n):
            s = unknowns[row]
            if reach[s]:
                continue
            a = policy[s]
            for k in range(K):
                if prob[s, a, k] > 0.0 and reach[next_state[s, a, k]]:
                    reach[s] = True
                    changed = True
                    break
    sub = np.full(S, -1)
    count = 0
    for row in range(n):
        if reach[unknowns[row]]:
            sub[unknowns[row]] = count
            count += 1
    m = np.eye(count)
    rhs = np.zeros(count)
    for row in range(n):
        s = unknowns[row]
        r = sub[s]
        if r < 0:
            continue
        a = policy[s]
        for k in range(K):
            p = prob[s, a, k]
            if p > 0.0:
                s2 = next_state[s, a, k]
                if goal[s2]:
                    rhs[r] += p
                elif sub[s2] >= 0:
                    m[r, sub[s2]] -= p
    _solve_in_place(m, rhs)
    success = 0.0
    for s in range(S):
        if sub[s] >= 0:
            success += start[s] * rhs[sub[s]]
    return value, success


@_config.jit(nrt=True, parallel=True)
def greedy_evaluation(next_state, prob, reward, terminal, goal, start, policies, gamma, value, success):
    """Fill ``value`` and ``success`` (agents,) for the deterministic ``policies`` (agents, S).

    ``gamma`` (agents,): agents with ``gamma >= 1`` get ``nan`` in ``value`` (the caller
    evaluates them with the undiscounted rules of :func:`fastq.policy_evaluation`).
    """
    S = terminal.shape[0]
    index = np.full(S, -1)
    n = 0
    for s in range(S):
        if not terminal[s]:
            index[s] = n
            n += 1
    unknowns = np.empty(n, dtype=np.int64)
    for s in range(S):
        if index[s] >= 0:
            unknowns[index[s]] = s
    for i in prange(policies.shape[0]):
        v, p = _evaluate_one(next_state, prob, reward, terminal, goal, start, index, unknowns,
                             policies[i], gamma[i], gamma[i] < 1.0)
        value[i] = v
        success[i] = p
