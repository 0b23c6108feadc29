r"""Numpy twin of :mod:`fastq.kernels.learners`: the definition the kernels are checked against.

:func:`learner` returns, for a :class:`fastq._interface.Variant`, a function with the kernel's
arguments and the same update and bootstrap rules (see the kernels' module docstring).  The
computation is vectorised across agents: one Python loop over time steps, in which every agent
that still has episodes to run takes one step (agents whose episode ended start their next one).
It draws the same random numbers, performs the same floating-point operations in the same order,
and so gives bit-identical results (softmax and reward noise use ``exp``, ``log`` and ``cos``:
equal to the last bit where numpy and the compiled code call the same math library, within the
tolerance of docs/semantics.md otherwise).  The variant's lanes, prefetch and unrolled sizes
change how fast a kernel runs, never what it computes: the reference ignores them.

Float32 tables (``train(dtype="float32")``: ``q``, ``q_ab``, ``model_reward``) need no code of
their own, because numpy promotes as the compiled code does: every float64 operand an update
meets (``r``, ``gamma``, ``alpha``) is an array, and a float32 array with a float64 array
computes in float64 (a Python float would not promote under NEP 50: none appears in an update);
assigning the float64 result into a table rounds it to float32.  Maxima, ties and argmax compare
the float32 values.  Two computations stay in float32 on both backends: Double Q's
``q_a + q_b`` (of the stored values) and the softmax difference ``q - max``
(:func:`fastq.reference.policy._weights`).
"""

from __future__ import annotations

import numpy as np

from .._interface import DOUBLE_Q, DYNA_Q, EXPECTED_SARSA, SARSA
from ..rng import SLOT_LEARNER, SLOT_NOISE, SLOT_PLANNING, SLOT_POLICY, SLOT_RESET, SLOT_TRANSITION
from .multistep import learn_agent
from .policy import act, expected_value, gaussian, greedy, max_q, outcome, sample_start
from .rng import bounded, draw, draw_index, uniform


def schedule_value(table, row, e):
    """``table[row, min(e, width - 1)]`` per agent."""
    return table[row, np.minimum(e, table.shape[1] - 1)]


def step_size(alpha, power, counts, i, s, a, visits):
    """Per-agent step sizes; counts this update of ``(s, a)`` when ``visits``."""
    if not visits:
        return alpha
    counts[i, s, a] += 1
    n = counts[i, s, a].astype(np.float64)
    return np.where(power == 1.0, 1.0 / n, np.where(power == 0.5, 1.0 / np.sqrt(n), n ** -power))


def plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s, a, s2, r,
         gamma, alpha, power, visits, planning_steps, planning_key):
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
        p_alpha = step_size(alpha, power, counts, i, ps, pa, visits)
        q_sa = q[i, ps, pa]
        q[i, ps, pa] = q_sa + p_alpha * (target - q_sa)


def learn(variant, model, hyper, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
    """Run ``variant``'s learner for agents ``[agent_start, agent_stop)`` over episodes
    ``[episode_start, episode_stop)``; see the kernel.  The learners with more than one step
    run agent by agent (:func:`fastq.reference.multistep.learn_agent`)."""
    algo, softmax, tie_random, visits, noisy = variant[:5]
    if algo > DYNA_Q:
        for i in range(agent_start, agent_stop):
            learn_agent(variant, model, hyper, keys[i], i, episode_start, episode_stop, state, out)
        return
    record_loss = variant.loss
    loss_sum = np.zeros(len(keys))
    q, q_ab, counts, model_next, model_reward, seen, n_seen = state[:7]
    q_a, q_b = q_ab[0::2], q_ab[1::2]  # Double Q's tables A and B: views, updated in place
    returns, lengths, successes = out[:3]
    n = q.shape[0]
    if episode_stop <= episode_start or agent_stop <= agent_start:
        return
    episode = np.full(n, episode_start, dtype=np.int64)
    t = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    s = np.zeros(n, dtype=np.int64)
    a = np.zeros(n, dtype=np.int64)  # SARSA's carried action

    def policy(i, states, step):
        e = episode[i]
        x = draw(keys[i], draw_index(e, step, SLOT_POLICY))
        return act(q, i, states, x, schedule_value(hyper.epsilon_table, hyper.epsilon_row[i], e),
                   schedule_value(hyper.temperature_table, hyper.temperature_row[i], e), softmax, tie_random,
                   model.n_allowed, model.allowed_actions)

    def start(i):
        u = uniform(draw(keys[i], draw_index(episode[i], 0, SLOT_RESET)))
        s[i] = sample_start(model.start_cum, u)
        if algo == SARSA:
            a[i] = policy(i, s[i], 0)

    running = np.arange(agent_start, agent_stop)
    start(running)
    while running.size:
        i = running
        s_i = s[i]
        e = episode[i]

        def slot(j, step=t[i]):
            return draw(keys[i], draw_index(e, step, j))

        a_i = a[i] if algo == SARSA else policy(i, s_i, t[i])
        k = outcome(model.threshold, s_i, a_i, slot(SLOT_TRANSITION))
        s2 = model.next_state[s_i, a_i, k]
        r = model.reward[s_i, a_i, k]
        if noisy:
            r = r + model.reward_std[s_i, a_i] * gaussian(slot(SLOT_NOISE))
        ends = model.terminal[s2]
        g = hyper.gamma[i]
        alpha_e = schedule_value(hyper.alpha_table, hyper.alpha_row[i], e)
        alpha = step_size(alpha_e, hyper.alpha_power[i], counts, i, s_i, a_i, visits)
        if algo == DOUBLE_Q:
            x = slot(SLOT_LEARNER)
            first = (x >> np.uint64(63)) == 1  # table A is updated
            for upd, other, pick in ((q_a, q_b, first), (q_b, q_a, ~first)):
                j, sj, aj, s2j = i[pick], s_i[pick], a_i[pick], s2[pick]
                best = greedy(upd, j, s2j, x[pick], tie_random)
                target = np.where(ends[pick], r[pick], r[pick] + g[pick] * other[j, s2j, best])
                u_sa = upd[j, sj, aj]
                upd[j, sj, aj] = u_sa + alpha[pick] * (target - u_sa)
                if record_loss:
                    loss_sum[j] += (target - u_sa) * (target - u_sa)
            q[i, s_i, a_i] = q_a[i, s_i, a_i] + q_b[i, s_i, a_i]
        else:
            if algo == SARSA:
                a2 = policy(i, s2, t[i] + 1)
                value = q[i, s2, a2]
                a[i] = a2
            elif algo == EXPECTED_SARSA:
                value = expected_value(q, i, s2, schedule_value(hyper.epsilon_table, hyper.epsilon_row[i], e),
                                       schedule_value(hyper.temperature_table, hyper.temperature_row[i], e),
                                       softmax, model.n_allowed)
            else:
                value = max_q(q, i, s2)
            # Terminal: no bootstrap.  Truncation still bootstraps from the real next state.
            target = np.where(ends, r, r + g * value)
            q_sa = q[i, s_i, a_i]
            q[i, s_i, a_i] = q_sa + alpha * (target - q_sa)  # float64, rounded to q's dtype
            if record_loss:
                loss_sum[i] += (target - q_sa) * (target - q_sa)
            if algo == DYNA_Q and hyper.planning_steps > 0:
                plan(q, counts, model_next, model_reward, seen, n_seen, model.terminal, i, s_i, a_i, s2, r,
                     g, alpha_e, hyper.alpha_power[i], visits, hyper.planning_steps, slot(SLOT_PLANNING))
        total[i] += r
        t[i] += 1
        s[i] = s2
        done = ends | (t[i] >= model.max_steps)
        if done.any():
            d = i[done]
            e = episode[d]
            returns[d, e] = total[d]
            if record_loss:  # one update per step
                out.loss[d, e] = loss_sum[d] / t[d]
                loss_sum[d] = 0.0
            successes[d, e] = model.goal[s2[done]]
            lengths[d, e] = t[d]  # last: a length > 0 marks the episode complete (see train)
            episode[d] += 1
            total[d] = 0.0
            t[d] = 0
            again = d[episode[d] < episode_stop]
            start(again)
            running = np.concatenate([i[~done], again])


def learner(variant):
    """The reference twin of :func:`fastq.kernels.learners.learner`: ``run(model, hyper, keys,
    episode_start, episode_stop, state, out, agent_start, agent_stop)`` for ``variant``."""

    def run(model, hyper, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
        learn(variant, model, hyper, keys, episode_start, episode_stop, state, out, agent_start, agent_stop)

    run.__name__ = run.__qualname__ = "learner"
    return run


__all__ = ["learn", "learner"]
