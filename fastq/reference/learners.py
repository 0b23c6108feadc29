r"""Numpy twin of :mod:`fastq.kernels.learners`: the definition the kernels are checked against.

Same function names and signatures.  The computation is vectorised across agents: one Python
loop over time steps, in which every agent that still has episodes to run takes one step (agents
whose episode ended start their next one).  It draws the same random numbers, performs the same
floating-point operations in the same order, and so gives bit-identical results.

Q-learning::

    Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a))
    target  =  r                               if s' is terminal
               r + gamma * max_a' Q(s', a')    otherwise (also on truncation)
"""

from __future__ import annotations

import numpy as np

from ..rng import SLOT_RESET, SLOT_TRANSITION
from .policy import epsilon_greedy, max_q, sample_outcome, sample_start
from .rng import draw_index

_SLOT_TRANSITION = np.uint64(SLOT_TRANSITION)


def q_learning(
    next_state, cum_prob, reward, terminal, goal, start_cum, max_steps,
    alpha, gamma, epsilon, tie_random,
    keys, episode_start, episode_stop,
    q, returns, lengths, successes,
):
    """Q-learning over episodes ``[episode_start, episode_stop)``; see the numba kernel."""
    n = q.shape[0]
    if episode_stop <= episode_start:
        return
    episode = np.full(n, episode_start, dtype=np.int64)
    t = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    s = sample_start(start_cum, keys, draw_index(episode, 0, SLOT_RESET))
    running = np.arange(n)
    while running.size:
        i = running
        s_i = s[i]
        base = draw_index(episode[i], t[i], 0)
        a = epsilon_greedy(q, i, s_i, epsilon[i], tie_random, keys[i], base)
        k = sample_outcome(cum_prob, s_i, a, keys[i], base | _SLOT_TRANSITION)
        s2 = next_state[s_i, a, k]
        r = reward[s_i, a, k]
        ends = terminal[s2]
        # Terminal: no bootstrap.  Truncation still bootstraps from the real next state.
        target = np.where(ends, r, r + gamma[i] * max_q(q, i, s2))
        q_sa = q[i, s_i, a]
        q[i, s_i, a] = q_sa + alpha[i] * (target - q_sa)
        total[i] += r
        t[i] += 1
        s[i] = s2
        done = ends | (t[i] >= max_steps)
        if done.any():
            d = i[done]
            e = episode[d]
            returns[d, e] = total[d]
            successes[d, e] = goal[s2[done]]
            lengths[d, e] = t[d]  # last: a length > 0 marks the episode complete (see train)
            episode[d] += 1
            total[d] = 0.0
            t[d] = 0
            again = d[episode[d] < episode_stop]
            s[again] = sample_start(start_cum, keys[again], draw_index(episode[again], 0, SLOT_RESET))
            running = np.concatenate([i[~done], again])
