r"""Numpy twin of :mod:`fastq.kernels.learners`: the definition the kernels are checked against.

Same function names and signatures, same update and bootstrap rules (see the kernels' module
docstring).  The computation is vectorised across agents: one Python loop over time steps, in
which every agent that still has episodes to run takes one step (agents whose episode ended start
their next one).  It draws the same random numbers, performs the same floating-point operations
in the same order, and so gives bit-identical results (softmax and reward noise use ``exp``,
``log`` and ``cos``: equal to the last bit where numpy and the compiled code call the same math
library, within the tolerance of :doc:`docs/semantics` otherwise).

Float32 tables (``train(dtype="float32")``: ``q``, ``q_a``, ``q_b``, ``model_reward``) need no
code of their own, because numpy promotes as the compiled code does: every float64 operand an
update meets (``r``, ``gamma``, ``alpha``) is an array, and a float32 array with a float64 array
computes in float64 (a Python float would not promote under NEP 50: none appears in an update);
assigning the float64 result into a table rounds it to float32.  Maxima, ties and argmax compare
the float32 values.  Two computations stay in float32 on both backends: Double Q's
``q_a + q_b`` (correctly rounded, so equal to the float64 sum rounded) and the softmax
difference ``q - max`` (:func:`fastq.reference.policy._weights`).
"""

from __future__ import annotations

import numpy as np

from ..kernels.learners import DOUBLE_Q, DYNA_Q, EXPECTED_SARSA, Q_LEARNING, SARSA
from ..rng import SLOT_BOOTSTRAP_TIE, SLOT_COIN, SLOT_NOISE, SLOT_PLANNING, SLOT_RESET, SLOT_TRANSITION
from .policy import act, expected_q, gaussian, greedy_action, max_q, sample_outcome, sample_start
from .rng import bounded, draw, draw_index


def step_size(alpha, visits, counts, i, s, a, power):
    """Per-agent step sizes; counts this update of ``(s, a)`` when ``visits``."""
    if not visits:
        return alpha
    counts[i, s, a] += 1
    n = counts[i, s, a].astype(np.float64)
    return np.where(power == 1.0, 1.0 / n, np.where(power == 0.5, 1.0 / np.sqrt(n), n ** -power))


def schedule_value(table, row, e):
    """``table[row, min(e, width - 1)]`` per agent."""
    return table[row, np.minimum(e, table.shape[1] - 1)]


def plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s, a, s2, r,
         gamma, alpha, visits, power, planning_steps, planning_key):
    """Dyna-Q model update and planning for agents ``i`` (see the kernel)."""
    A = q.shape[2]
    new = model_next[i, s, a] < 0
    seen[i[new], n_seen[i[new]]] = s[new] * A + a[new]
    n_seen[i[new]] += 1
    model_next[i, s, a] = s2
    model_reward[i, s, a] = r
    for j in range(planning_steps):
        pair = seen[i, bounded(draw(planning_key, np.uint64(j)), n_seen[i])]
        ps, pa = pair // A, pair % A
        ps2 = model_next[i, ps, pa]
        pr = model_reward[i, ps, pa]
        target = np.where(terminal[ps2], pr, pr + gamma * max_q(q, i, ps2))
        p_alpha = step_size(alpha, visits, counts, i, ps, pa, power)
        q_sa = q[i, ps, pa]
        q[i, ps, pa] = q_sa + p_alpha * (target - q_sa)


def learn(algo, model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Run learner ``algo`` for agents ``[agent_start, agent_stop)`` over episodes
    ``[episode_start, episode_stop)``; see the kernel."""
    next_state, cum_prob, reward, reward_std, terminal, goal, start_cum, n_allowed, allowed_actions, max_steps = model
    gamma, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row = hyper
    softmax, tie_random, visits, noisy, all_allowed, planning_steps = options
    q, q_ab, counts, model_next, model_reward, seen, n_seen = state
    q_a, q_b = q_ab[0::2], q_ab[1::2]  # Double Q's tables A and B: views, updated in place
    returns, lengths, successes = out
    n = q.shape[0]
    if episode_stop <= episode_start:
        return
    episode = np.full(n, episode_start, dtype=np.int64)
    t = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    s = np.zeros(n, dtype=np.int64)
    a = np.zeros(n, dtype=np.int64)  # SARSA's carried action

    def policy(i, states, step):
        e = episode[i]
        return act(q, i, states, softmax, schedule_value(eps_table, eps_row[i], e),
                   schedule_value(temp_table, temp_row[i], e), tie_random, all_allowed, n_allowed,
                   allowed_actions, keys[i], draw_index(e, step, 0))

    def start(i):
        s[i] = sample_start(start_cum, keys[i], draw_index(episode[i], 0, SLOT_RESET))
        if algo == SARSA:
            a[i] = policy(i, s[i], 0)

    running = np.arange(agent_start, agent_stop)
    start(running)
    while running.size:
        i = running
        s_i = s[i]
        e = episode[i]
        base = draw_index(e, t[i], 0)
        a_i = a[i] if algo == SARSA else policy(i, s_i, t[i])
        k = sample_outcome(cum_prob, s_i, a_i, keys[i], base | np.uint64(SLOT_TRANSITION))
        s2 = next_state[s_i, a_i, k]
        r = reward[s_i, a_i, k]
        if noisy:
            r = r + reward_std[s_i, a_i] * gaussian(draw(keys[i], base | np.uint64(SLOT_NOISE)))
        ends = terminal[s2]
        g = gamma[i]
        alpha_e = schedule_value(alpha_table, alpha_row[i], e)
        alpha = step_size(alpha_e, visits, counts, i, s_i, a_i, alpha_power[i])
        if algo == DOUBLE_Q:
            first = (draw(keys[i], base | np.uint64(SLOT_COIN)) >> np.uint64(63)) == 1
            for upd, other, pick in ((q_a, q_b, first), (q_b, q_a, ~first)):
                j, sj, aj, s2j = i[pick], s_i[pick], a_i[pick], s2[pick]
                best = greedy_action(upd, j, s2j, tie_random, keys[j], base[pick] | np.uint64(SLOT_BOOTSTRAP_TIE))
                target = np.where(ends[pick], r[pick], r[pick] + g[pick] * other[j, s2j, best])
                u_sa = upd[j, sj, aj]
                upd[j, sj, aj] = u_sa + alpha[pick] * (target - u_sa)
            q[i, s_i, a_i] = q_a[i, s_i, a_i] + q_b[i, s_i, a_i]
        else:
            if algo == SARSA:
                a2 = policy(i, s2, t[i] + 1)
                value = q[i, s2, a2]
                a[i] = a2
            elif algo == EXPECTED_SARSA:
                value = expected_q(q, i, s2, softmax, schedule_value(eps_table, eps_row[i], e),
                                   schedule_value(temp_table, temp_row[i], e), n_allowed)
            else:
                value = max_q(q, i, s2)
            # Terminal: no bootstrap.  Truncation still bootstraps from the real next state.
            target = np.where(ends, r, r + g * value)
            q_sa = q[i, s_i, a_i]
            q[i, s_i, a_i] = q_sa + alpha * (target - q_sa)  # float64, rounded to q's dtype
            if algo == DYNA_Q and planning_steps > 0:
                plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s_i, a_i, s2, r,
                     g, alpha_e, visits, alpha_power[i], planning_steps,
                     draw(keys[i], base | np.uint64(SLOT_PLANNING)))
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
            start(again)
            running = np.concatenate([i[~done], again])


def _entry(code: int, name: str, what: str):
    def run(model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
        learn(code, model, hyper, options, keys, episode_start, episode_stop, state, out, agent_start, agent_stop)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"""{what}: :func:`learn` with ``algo = {name.upper()}``; same arguments, minus ``algo``."""
    return run


q_learning = _entry(Q_LEARNING, "q_learning", "Q-learning")
sarsa = _entry(SARSA, "sarsa", "SARSA")
expected_sarsa = _entry(EXPECTED_SARSA, "expected_sarsa", "Expected SARSA")
double_q = _entry(DOUBLE_Q, "double_q", "Double Q-learning")
dyna_q = _entry(DYNA_Q, "dyna_q", "Tabular Dyna-Q")
