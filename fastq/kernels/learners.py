r"""Tabular learners for a population of agents, in numba.

Q-learning (Watkins 1989; Sutton & Barto 2018, section 6.5).  After taking action ``a`` in state
``s`` and observing reward ``r`` and next state ``s'``::

    Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a))
    target  =  r                                   if s' is terminal   (termination: no bootstrap)
               r + gamma * max_a' Q(s', a')        otherwise, also when the step limit truncates
                                                   the episode (truncation is not termination)

Actions are epsilon-greedy with respect to Q; greedy ties are broken uniformly at random or by
the first maximiser (:mod:`fastq.kernels.policy`).  ``Q`` of terminal states is never written
and never read as a bootstrap.

Every kernel takes its arguments in one fixed order -- the model arrays, the per-agent
parameters, the seed (one stream key per agent), the outputs -- and runs the episodes
``[episode_start, episode_stop)`` of every agent, writing into arrays the caller allocated.
Agents run in parallel (``prange``); agent ``i`` reads the shared, read-only model and writes only
``q[i]``, ``returns[i]``, ``lengths[i]`` and ``successes[i]``: that is why the loop is race-free
and why results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._config import JIT
from ..rng import SLOT_RESET, SLOT_TRANSITION
from .policy import epsilon_greedy, max_q, sample_outcome, sample_start
from .rng import draw_index

_SLOT_TRANSITION = np.uint64(SLOT_TRANSITION)
_u = np.uint64  # unsigned indices: no negative-index wraparound code


@njit(parallel=True, **JIT)
def q_learning(
    next_state, cum_prob, reward, terminal, goal, start_cum, max_steps,
    alpha, gamma, epsilon, tie_random,
    keys, episode_start, episode_stop,
    q, returns, lengths, successes,
):
    """Q-learning for every agent over episodes ``[episode_start, episode_stop)``.

    Parameters
    ----------
    next_state, cum_prob, reward : (S, A, K) int64, float64, float64
        The model (:class:`fastq.TabularMDP`); ``cum_prob`` is its sampling table.
    terminal, goal : (S,) bool
    start_cum : (S,) float64
        Sampling table of the start distribution.
    max_steps : int
        Truncation limit.
    alpha, gamma, epsilon : (agents,) float64
        Per-agent step size, discount and exploration rate.
    tie_random : bool
        Break greedy ties at random (True) or by the first maximiser (False).
    keys : (agents,) uint64
        Per-agent stream keys (:func:`fastq.rng.agent_keys`).
    episode_start, episode_stop : int
        Episodes to run; their indices address the random stream and the output columns.
    q : (agents, S, A) float64, updated in place
    returns, lengths, successes : (agents, episodes) float64, int32, bool
        Undiscounted return, number of steps, and whether a goal was entered, per episode.
    """
    for i in prange(q.shape[0]):
        key = keys[i]
        for e in range(episode_start, episode_stop):
            s = sample_start(start_cum, key, draw_index(e, 0, SLOT_RESET))
            total = 0.0
            t = 0
            while True:
                base = draw_index(e, t, 0)
                a = epsilon_greedy(q, i, s, epsilon[i], tie_random, key, base)
                k = sample_outcome(cum_prob, s, a, key, base | _SLOT_TRANSITION)
                s2 = next_state[_u(s), _u(a), _u(k)]
                r = reward[_u(s), _u(a), _u(k)]
                # Bootstrap also when this step truncates the episode: the time limit is not
                # part of the MDP, the real next state still has value.  Entering a terminal
                # state ends it: no bootstrap.  (Both are computed and one is selected.)
                bootstrap = r + gamma[i] * max_q(q, i, s2)
                target = r if terminal[_u(s2)] else bootstrap
                q_sa = q[_u(i), _u(s), _u(a)]
                q[_u(i), _u(s), _u(a)] = q_sa + alpha[i] * (target - q_sa)
                total += r
                t += 1
                s = s2
                if terminal[_u(s2)] or t >= max_steps:
                    break
            returns[i, e] = total
            lengths[i, e] = t
            successes[i, e] = goal[_u(s)]
