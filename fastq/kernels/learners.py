r"""Tabular learners for a population of agents, in numba.

After taking action ``a`` in state ``s`` and observing reward ``r`` and next state ``s'``, every
learner moves one action value towards a target::

    Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a))
    target   = r                       if s' is terminal  (termination: no bootstrap)
               r + gamma * B(s')       otherwise, also when the step limit truncates the episode
                                       (the time limit is not part of the MDP: the real next
                                       state still has value)

The bootstrap ``B(s')`` is what tells the algorithms apart (Sutton & Barto 2018, chapter 6):

``q_learning``      ``max_a' Q(s', a')`` (Watkins 1989; section 6.5).
``sarsa``           ``Q(s', a')`` with ``a'`` the action the behaviour policy takes in ``s'``,
                    chosen before the update with the draws of the next step; it is then the
                    action taken there (section 6.4).  On truncation ``a'`` is still chosen in
                    the real next state, and the episode ends.
``expected_sarsa``  ``sum_a' pi(a' | s') Q(s', a')`` under the behaviour policy (section 6.6):
                    ``(1 - epsilon) max + epsilon mean`` for epsilon-greedy.
``double_q``        Two tables; a fair coin picks the one updated, ``Q_1``, and
                    ``B = Q_2(s', argmax_a' Q_1(s', a'))`` (van Hasselt 2010; section 6.7).  The
                    behaviour policy acts on ``Q_1 + Q_2``.
``dyna_q``          Q-learning, plus ``planning_steps`` updates per real step on pairs drawn
                    uniformly from those seen so far, from a model that remembers the last
                    observed ``(r, s')`` of each pair (Tabular Dyna-Q, section 8.2).

The behaviour policy is epsilon-greedy (ties broken at random or by the first maximiser) or
softmax with a temperature (:mod:`fastq.kernels.policy`).  The step size ``alpha`` is the
agent's value for the episode, or ``1 / n(s, a) ** power`` with ``n`` the number of updates of
``(s, a)`` so far, this one included (``visits``).  ``Q`` of terminal states is never written
and never read as a bootstrap; ``Q`` of disallowed actions is ``-inf`` and never written.

Every kernel takes its arguments in one fixed order -- the model, the hyperparameters, the
options, the seed (one stream key per agent), the episodes to run, the learner's state, the
outputs and the agents to run -- and runs the episodes ``[episode_start, episode_stop)`` of the
agents ``[agent_start, agent_stop)``, writing into arrays the caller allocated (see
:func:`q_learning` for the contents of each tuple).  Agent ``i`` reads the shared, read-only model and writes
only its own rows: that is why disjoint agent ranges can run on different threads at once
(:mod:`fastq._parallel`) and why results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._config import JIT
from ..rng import (SLOT_BOOTSTRAP_TIE, SLOT_COIN, SLOT_NOISE, SLOT_PLANNING, SLOT_RESET,
                   SLOT_TRANSITION)
from .policy import (act, act_call, epsilon_greedy, expected_q, gaussian, greedy_action, max_q, sample_outcome,
                     sample_start)
from .prefetch import prefetch_model
from .rng import bounded, draw, draw_index

#: Algorithm codes (the ``algo`` entry of ``options``), in the order of :data:`fastq.algos.ALGORITHMS`.
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q, DYNA_Q = 0, 1, 2, 3, 4

_SLOT_TRANSITION = np.uint64(SLOT_TRANSITION)
_SLOT_NOISE = np.uint64(SLOT_NOISE)
_SLOT_COIN = np.uint64(SLOT_COIN)
_SLOT_BOOTSTRAP_TIE = np.uint64(SLOT_BOOTSTRAP_TIE)
_SLOT_PLANNING = np.uint64(SLOT_PLANNING)
_S63 = np.uint64(63)
_u = np.uint64  # unsigned indices: no negative-index wraparound code


@njit(inline="always", **JIT)
def step_size(alpha, visits, counts, i, s, a, power):
    """``alpha``, or ``1 / n ** power`` after counting this update of ``(s, a)`` when ``visits``.

    Powers 1 and 1/2 use a division and a square root (exact in IEEE arithmetic), so the
    reference agrees bit for bit; other powers go through ``pow``.
    """
    if not visits:
        return alpha
    n = counts[_u(i), _u(s), _u(a)] + 1
    counts[_u(i), _u(s), _u(a)] = n
    if power == 1.0:
        return 1.0 / n
    if power == 0.5:
        return 1.0 / np.sqrt(np.float64(n))
    return np.float64(n) ** -power


@njit(inline="always", **JIT)
def schedule_value(table, row, e):
    """``table[row, min(e, width - 1)]``: a per-episode value (a constant has width 1)."""
    return table[_u(row), _u(min(e, table.shape[1] - 1))]


@njit(**JIT)
def plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s, a, s2, r,
         gamma, alpha, visits, power, planning_steps, planning_key):
    """Dyna-Q: record ``(s, a) -> (r, s2)`` in the model, then ``planning_steps`` Q-learning
    updates on pairs drawn uniformly from those seen (``bounded(draw(planning_key, j), seen)``)."""
    A = q.shape[2]
    if model_next[_u(i), _u(s), _u(a)] < 0:
        seen[_u(i), _u(n_seen[i])] = s * A + a
        n_seen[i] += 1
    model_next[_u(i), _u(s), _u(a)] = s2
    model_reward[_u(i), _u(s), _u(a)] = r
    for j in range(planning_steps):
        pair = seen[_u(i), _u(bounded(draw(planning_key, _u(j)), n_seen[i]))]
        ps = pair // A
        pa = pair - ps * A
        ps2 = model_next[_u(i), _u(ps), _u(pa)]
        pr = model_reward[_u(i), _u(ps), _u(pa)]
        bootstrap = pr + gamma * max_q(q, i, ps2)
        target = pr if terminal[_u(ps2)] else bootstrap
        p_alpha = step_size(alpha, visits, counts, i, ps, pa, power)
        q_sa = q[_u(i), _u(ps), _u(pa)]
        q[_u(i), _u(ps), _u(pa)] = q_sa + p_alpha * (target - q_sa)


@njit(inline="always", **JIT)
def run_agent(algo, i, model, hyper, options, key, episode_start, episode_stop, state, out):
    """Agent ``i``'s episodes ``[episode_start, episode_stop)`` under learner ``algo``.

    Inlined into one small function per algorithm with ``algo`` a constant, so that the
    compiled code of each algorithm holds its own branches only.
    """
    next_state, cum_prob, reward, reward_std, terminal, goal, start_cum, n_allowed, allowed_actions, max_steps = model
    gamma, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row = hyper
    softmax, tie_random, visits, noisy, all_allowed, planning_steps = options
    q, q_ab, counts, model_next, model_reward, seen, n_seen = state
    returns, lengths, successes = out
    g = gamma[i]
    power = alpha_power[i]
    for e in range(episode_start, episode_stop):
        alpha_e = schedule_value(alpha_table, alpha_row[i], e)
        eps = schedule_value(eps_table, eps_row[i], e)
        temp = schedule_value(temp_table, temp_row[i], e)
        s = sample_start(start_cum, key, draw_index(e, 0, SLOT_RESET))
        a = 0
        if algo == SARSA:  # SARSA carries its action from step to step
            a = act_call(q, i, s, softmax, eps, temp, tie_random, all_allowed, n_allowed, allowed_actions,
                         key, draw_index(e, 0, 0))
        total = 0.0
        t = 0
        while True:
            base = draw_index(e, t, 0)
            prefetch_model(next_state, cum_prob, reward, s)
            if algo != SARSA:
                a = act(q, i, s, softmax, eps, temp, tie_random, all_allowed, n_allowed, allowed_actions,
                        key, base)
            k = sample_outcome(cum_prob, s, a, key, base | _SLOT_TRANSITION)
            s2 = next_state[_u(s), _u(a), _u(k)]
            r = reward[_u(s), _u(a), _u(k)]
            if noisy:
                r += reward_std[_u(s), _u(a)] * gaussian(draw(key, base | _SLOT_NOISE))
            ends = terminal[_u(s2)]
            alpha = step_size(alpha_e, visits, counts, i, s, a, power)
            if algo == DOUBLE_Q:
                # A fair coin picks the table to update; the other one evaluates its argmax.  The
                # tables are rows 2i (A) and 2i + 1 (B) of one array, so the coin picks a row
                # number instead of taking a branch that would be mispredicted half the time.
                coin = np.int64(draw(key, base | _SLOT_COIN) >> _S63)  # 1: table A is updated
                upd = 2 * i + 1 - coin
                other = 2 * i + coin
                best = greedy_action(q_ab, upd, s2, tie_random, key, base | _SLOT_BOOTSTRAP_TIE)
                bootstrap = r + g * q_ab[_u(other), _u(s2), _u(best)]
                target = r if ends else bootstrap
                u_sa = q_ab[_u(upd), _u(s), _u(a)]
                new = u_sa + alpha * (target - u_sa)
                q_ab[_u(upd), _u(s), _u(a)] = new
                # Q_A + Q_B, from the new value rather than from memory (IEEE addition commutes)
                q[_u(i), _u(s), _u(a)] = new + q_ab[_u(other), _u(s), _u(a)]
            else:
                a2 = 0
                if algo == SARSA:
                    a2 = act(q, i, s2, softmax, eps, temp, tie_random, all_allowed, n_allowed,
                             allowed_actions, key, draw_index(e, t + 1, 0))
                    value = q[_u(i), _u(s2), _u(a2)]
                elif algo == EXPECTED_SARSA:
                    value = expected_q(q, i, s2, softmax, eps, temp, n_allowed)
                else:
                    value = max_q(q, i, s2)
                # Both targets are computed and one selected (no bootstrap on termination).
                bootstrap = r + g * value
                target = r if ends else bootstrap
                q_sa = q[_u(i), _u(s), _u(a)]
                q[_u(i), _u(s), _u(a)] = q_sa + alpha * (target - q_sa)
                if algo == DYNA_Q and planning_steps > 0:
                    plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s, a, s2, r,
                         g, alpha_e, visits, power, planning_steps, draw(key, base | _SLOT_PLANNING))
                a = a2
            total += r
            t += 1
            s = s2
            if ends or t >= max_steps:
                break
        returns[i, e] = total
        lengths[i, e] = t
        successes[i, e] = goal[_u(s)]


# One kernel per algorithm: a loop over the agents ``[agent_start, agent_stop)`` whose body is
# ``run_agent`` with the algorithm a constant.  The kernels are serial and release the GIL:
# :mod:`fastq._parallel` runs them on several threads, each over its own share of the agents.
# (A numba ``prange`` loop compiled two to three times slower, for no faster loop.)

@njit(**JIT)
def q_learning(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Q-learning for agents ``[agent_start, agent_stop)`` over episodes ``[episode_start, episode_stop)``.

    Parameters
    ----------
    model : tuple
        ``(next_state, cum_prob, reward, reward_std, terminal, goal, start_cum, n_allowed,
        allowed_actions, max_steps)``: the arrays of :class:`fastq.TabularMDP` -- (S, A, K)
        int64 / float64 / float64, (S, A) float64, (S,) bool, (S,) bool, (S,) float64,
        (S,) int64, (S, A) int64 -- and the truncation limit.
    hyper : tuple
        ``(gamma, alpha_table, alpha_row, alpha_power, epsilon_table, epsilon_row,
        temperature_table, temperature_row)``: per-agent ``gamma`` and ``alpha_power`` (agents,)
        float64; a schedule is a (rows, width) float64 table and an (agents,) int64 row per
        agent, its value in episode ``e`` being ``table[row[i], min(e, width - 1)]``.
    options : tuple of 6 int64
        ``(softmax, tie_random, visits, noisy, all_allowed, planning_steps)``.
    keys : (agents,) uint64
        Per-agent stream keys (:func:`fastq.rng.stream_keys`).
    episode_start, episode_stop : int
        Episodes to run; their indices address the random stream and the output columns.
    state : tuple, updated in place
        ``(q, q_ab, counts, model_next, model_reward, seen, n_seen)``: ``q`` (agents, S, A),
        the values the policy acts on; Double Q's two tables, (2 * agents, S, A), agent ``i``'s
        table A in row ``2 * i`` and table B in row ``2 * i + 1``; visit counts (agents, S, A)
        int64; Dyna-Q's model (agents, S, A) int64 / table dtype (``model_next < 0``: never
        seen); the tables ``q``, ``q_ab`` and ``model_reward`` are all float64 or all float32
        (``train(dtype=...)``), updates being computed in float64 either way; its seen pairs ``s * A + a`` (agents, S * A) int64 in
        order of first visit and their number (agents,) int64.  Arrays an algorithm does not use
        may have any shape (the caller passes (1, 1, 1) / (1, 1) / (1,) placeholders).
    out : tuple
        ``(returns, lengths, successes)``, (agents, episodes) float64, int32, bool: undiscounted
        return, number of steps, and whether a goal was entered, per episode.
    agent_start, agent_stop : int
        The agents to run, ``0 <= agent_start <= agent_stop <= agents``; the others are not
        touched, so disjoint ranges may run at the same time on different threads.
    """
    for i in range(agent_start, agent_stop):
        run_agent(Q_LEARNING, i, model, hyper, options, keys[i], episode_start, episode_stop, state, out)


@njit(**JIT)
def sarsa(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """SARSA for agents ``[agent_start, agent_stop)``; arguments as :func:`q_learning`."""
    for i in range(agent_start, agent_stop):
        run_agent(SARSA, i, model, hyper, options, keys[i], episode_start, episode_stop, state, out)


@njit(**JIT)
def expected_sarsa(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Expected SARSA for agents ``[agent_start, agent_stop)``; arguments as :func:`q_learning`."""
    for i in range(agent_start, agent_stop):
        run_agent(EXPECTED_SARSA, i, model, hyper, options, keys[i], episode_start, episode_stop, state, out)


@njit(**JIT)
def double_q(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Double Q-learning for agents ``[agent_start, agent_stop)``; arguments as :func:`q_learning`."""
    for i in range(agent_start, agent_stop):
        run_agent(DOUBLE_Q, i, model, hyper, options, keys[i], episode_start, episode_stop, state, out)


@njit(**JIT)
def dyna_q(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Tabular Dyna-Q for agents ``[agent_start, agent_stop)``; arguments as :func:`q_learning`."""
    for i in range(agent_start, agent_stop):
        run_agent(DYNA_Q, i, model, hyper, options, keys[i], episode_start, episode_stop, state, out)


@njit(**JIT)
def q_learning_plain(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """:func:`q_learning` for the plain case, which gives the same numbers faster.

    Plain: epsilon-greedy exploration, step sizes that are numbers or schedules (not
    ``visits``), no reward noise and every action allowed -- the flags of ``options`` that
    :func:`fastq.train` checks before choosing this kernel.  Written as one loop with no branch
    for the features it leaves out; the general kernel pays about 12-30% for them on
    FrozenLake-8x8 (docs/performance.md).  Same arguments as :func:`q_learning`.
    """
    next_state, cum_prob, reward, reward_std, terminal, goal, start_cum, n_allowed, allowed_actions, max_steps = model
    gamma, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row = hyper
    tie_random = options[1]
    q = state[0]
    returns, lengths, successes = out
    for i in range(agent_start, agent_stop):
        key = keys[i]
        g = gamma[i]
        for e in range(episode_start, episode_stop):
            alpha = schedule_value(alpha_table, alpha_row[i], e)
            eps = schedule_value(eps_table, eps_row[i], e)
            s = sample_start(start_cum, key, draw_index(e, 0, SLOT_RESET))
            total = 0.0
            t = 0
            while True:
                base = draw_index(e, t, 0)
                prefetch_model(next_state, cum_prob, reward, s)
                a = epsilon_greedy(q, i, s, eps, tie_random, True, n_allowed, allowed_actions, key, base)
                k = sample_outcome(cum_prob, s, a, key, base | _SLOT_TRANSITION)
                s2 = next_state[_u(s), _u(a), _u(k)]
                r = reward[_u(s), _u(a), _u(k)]
                bootstrap = r + g * max_q(q, i, s2)
                target = r if terminal[_u(s2)] else bootstrap
                q_sa = q[_u(i), _u(s), _u(a)]
                q[_u(i), _u(s), _u(a)] = q_sa + alpha * (target - q_sa)
                total += r
                t += 1
                s = s2
                if terminal[_u(s2)] or t >= max_steps:
                    break
            returns[i, e] = total
            lengths[i, e] = t
            successes[i, e] = goal[_u(s)]
