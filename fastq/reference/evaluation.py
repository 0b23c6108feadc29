"""Numpy twin of :mod:`fastq.kernels.evaluation`: the exact value and success probability of many
deterministic policies, with numpy's linear algebra.

The same two linear systems per policy, on the non-terminal states (see the kernel)::

    v = r_pi + gamma P_pi v          the expected discounted return (gamma < 1)
    x = b_pi + P_pi x                the probability of ever entering a goal state, on the
                                     states that can reach one (0 elsewhere)

built for a batch of policies at once and solved by ``numpy.linalg.solve`` (LU with partial
pivoting) where the kernel eliminates without pivoting: the results agree to rounding (a few
units in the last place), not bit for bit -- which the learners do, and which the evaluation,
a measurement of the tables the learners produced, does not need.  Policies are taken in
batches of at most :data:`BATCH_BYTES` of matrices.
"""

from __future__ import annotations

import numpy as np

#: Largest size of one batch of dense systems, in bytes.
BATCH_BYTES = 1 << 26


def greedy_evaluation(next_state, prob, reward, terminal, goal, start, policies, gamma, value, success):
    """Fill ``value`` and ``success`` (agents,) for the deterministic ``policies`` (agents, S).

    ``gamma`` (agents,): agents with ``gamma >= 1`` get ``nan`` in ``value``, as from the kernel.
    """
    unknowns = np.flatnonzero(~terminal)
    n = unknowns.size
    index = np.full(terminal.size, -1)
    index[unknowns] = np.arange(n)
    batch = max(1, BATCH_BYTES // (8 * max(n * n, 1)))
    for lo in range(0, policies.shape[0], batch):
        pol = policies[lo: lo + batch]
        value[lo: lo + batch], success[lo: lo + batch] = _evaluate(
            next_state, prob, reward, goal, start, unknowns, index, pol, gamma[lo: lo + batch])


def _evaluate(next_state, prob, reward, goal, start, unknowns, index, policies, gamma):
    c, n = policies.shape[0], unknowns.size
    actions = policies[:, unknowns]                       # (c, n)
    p = prob[unknowns[None, :], actions]                  # (c, n, K)
    nxt = next_state[unknowns[None, :], actions]          # (c, n, K)
    col = index[nxt]                                      # (c, n, K), -1 for terminal states
    rows = np.broadcast_to(np.arange(n)[None, :, None], p.shape)
    agents = np.broadcast_to(np.arange(c)[:, None, None], p.shape)
    inner = (p > 0) & (col >= 0)

    def system(weight):
        m = np.broadcast_to(np.eye(n), (c, n, n)).copy()
        np.add.at(m, (agents[inner], rows[inner], col[inner]), -weight[inner])
        return m

    value = np.full(c, np.nan)
    discounted = gamma < 1.0
    if discounted.any() and n:
        r = (p * reward[unknowns[None, :], actions]).sum(axis=2)
        m = system(gamma[:, None, None] * p)[discounted]
        v = np.linalg.solve(m, r[discounted][..., None])[..., 0]
        value[discounted] = v @ start[unknowns]
    # Success: the states that can reach a goal (a closure over the policy's edges), then
    # x = b + P x on them; the other rows are identity rows with x = 0.
    reach = np.broadcast_to(goal, (c, goal.size)).copy()
    while True:
        grown = reach.copy()
        grown[:, unknowns] |= ((p > 0) & np.take_along_axis(reach, nxt.reshape(c, -1), 1).reshape(p.shape)).any(axis=2)
        if np.array_equal(grown, reach):
            break
        reach = grown
    live = reach[:, unknowns] & ~goal[unknowns][None, :]    # (c, n): rows with an equation
    b = np.where(live, (p * goal[nxt]).sum(axis=2), 0.0)
    m = system(np.where(live[..., None] & ~goal[nxt], p, 0.0))
    x = np.linalg.solve(m, b[..., None])[..., 0] if n else np.zeros((c, 0))
    return value, x @ start[unknowns]
