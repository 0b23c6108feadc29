r"""Numpy twin of :mod:`fastq.kernels.multistep` and the learners that use it: n-step and Monte
Carlo returns, eligibility traces, and the prediction of a fixed policy's values.

The learners with more than one step are written here agent by agent, one Python loop over the
steps of an episode, in the plainest form of their textbook definition (see the kernels' module
docstring and :mod:`fastq.kernels.multistep` for the returns and traces); they draw the same
random numbers and perform the same floating-point operations in the same order as the kernels,
so the two agree bit for bit (softmax and reward noise: within the tolerance of
docs/semantics.md).  Slow -- a Python step per agent-step -- and meant to be read.
"""

from __future__ import annotations

import math

import numpy as np

from .._interface import (BUFFERED, DUTCH, MC_CONTROL, MC_PREDICTION, N_STEP_SARSA, PREDICTION, Q_LAMBDA, REPLACING,
                          SARSA_LAMBDA, TD, TRACES)
from ..rng import SLOT_NOISE, SLOT_POLICY, SLOT_RESET, SLOT_TRANSITION
from .policy import act, expected_value, gaussian, outcome, sample_start
from .rng import draw, draw_index, uniform

_S11 = np.uint64(11)


def sample_policy(threshold, row, s, x):
    """A fixed policy's action: the number of thresholds ``threshold[row, s, :A-1] <= x >> 11``."""
    u = int(x >> _S11)
    return int(sum(u >= int(c) for c in threshold[row, s, :-1]))


def _step_size(alpha, power, counts, index, visits):
    if not visits:
        return alpha
    counts[index] += 1
    n = counts[index]
    return 1.0 / n if power == 1.0 else 1.0 / math.sqrt(n) if power == 0.5 else float(n) ** -power


def update(table, counts, index, target, alpha, power, visits):
    """``table[index] += alpha * (target - table[index])``; the squared error (see the kernel)."""
    alpha = _step_size(alpha, power, counts, index, visits)
    old = np.float64(table[index])
    error = np.float64(target) - old
    table[index] = old + np.float64(alpha) * error
    return error * error


def rms_error(v, true_values, terminal):
    """RMS of ``v - true_values`` over the non-terminal states, summed in state order."""
    total, count = 0.0, 0
    for s in range(terminal.shape[0]):
        if not terminal[s]:
            d = np.float64(v[s]) - true_values[s]
            total += d * d
            count += 1
    return math.sqrt(total / count)


def learn_agent(variant, model, hyper, key, i, episode_start, episode_stop, state, out):
    """Agent ``i``'s episodes ``[episode_start, episode_stop)`` under one of the learners of this
    module (``variant.algo``)."""
    algo, softmax, tie_random, visits = variant[:4]
    trace_kind, first_visit, record_loss = variant.trace, variant.first_visit, variant.loss
    predict = algo in PREDICTION
    A = model.n_actions
    table = state.v[i] if predict else state.q[i]          # (S,) or (S, A), updated in place
    counts = state.counts[i] if visits else None
    trace = state.trace[i] if algo in TRACES else None
    gamma, lam = np.float64(hyper.gamma[i]), np.float64(hyper.lam[i])
    decay = gamma * lam
    n = int(hyper.n[i])
    power = hyper.alpha_power[i]

    def entry(s, a):
        return (s,) if predict else (s, a)

    def flat(here):
        return here[0] if predict else here[0] * A + here[1]

    for e in range(episode_start, episode_stop):
        alpha = hyper.alpha_table[hyper.alpha_row[i], min(e, hyper.alpha_table.shape[1] - 1)]
        epsilon = hyper.epsilon_table[hyper.epsilon_row[i], min(e, hyper.epsilon_table.shape[1] - 1)]
        temperature = hyper.temperature_table[hyper.temperature_row[i], min(e, hyper.temperature_table.shape[1] - 1)]
        s = int(sample_start(model.start_cum, uniform(draw(key, draw_index(e, 0, SLOT_RESET)))))
        first = set()          # the entries listed (traces) or updated (first visit) this episode
        active = []            # the traced entries, in order of their first trace
        steps = []             # the episode's (state, action, reward)
        total, loss, updates, old_value = 0.0, 0.0, 0, 0.0
        a = None

        def policy(state_, t):
            x = draw(key, draw_index(e, t, SLOT_POLICY))
            if predict:
                return sample_policy(hyper.policy_threshold, hyper.policy_row[i], state_, x)
            q = state.q[i][None]  # the reference's policy functions take a population
            return int(act(q, np.array([0]), np.array([state_]), np.array([x]), epsilon, temperature, softmax,
                           tie_random, model.n_allowed, model.allowed_actions)[0])

        t = 0
        while True:
            if a is None or algo not in (N_STEP_SARSA, SARSA_LAMBDA, Q_LAMBDA):
                a = policy(s, t)
            k = int(outcome(model.threshold, np.array([s]), np.array([a]),
                            np.array([draw(key, draw_index(e, t, SLOT_TRANSITION))]))[0])
            s2, r = int(model.next_state[s, a, k]), np.float64(model.reward[s, a, k])
            if variant.noisy:
                r = r + model.reward_std[s, a] * gaussian(np.array([draw(key, draw_index(e, t, SLOT_NOISE))]))[0]
            ends = bool(model.terminal[s2])
            cut = ends or t + 1 >= model.max_steps
            a2 = None
            if algo in (N_STEP_SARSA, SARSA_LAMBDA):
                a2 = policy(s2, t + 1)  # chosen before the update, with the next step's draw
            if algo == TD:
                target = r if ends else r + gamma * np.float64(table[s2])
                loss += update(table, counts, (s,), target, alpha, power, visits)
                updates += 1
            elif algo in TRACES:
                if predict:
                    value = 0.0 if ends else np.float64(table[s2])
                elif algo == SARSA_LAMBDA:
                    value = np.float64(table[s2, a2])
                else:
                    value = np.float64(table[s2].max())
                target = r if ends else r + gamma * value
                here = entry(s, a)
                delta = target - np.float64(table[here])
                if here not in first:
                    first.add(here)
                    active.append(here)
                if trace_kind == DUTCH:
                    v_s = np.float64(table[here])
                    z_s = trace[flat(here)]
                    for j in active:
                        trace[flat(j)] = decay * trace[flat(j)]
                    trace[flat(here)] += 1.0 - alpha * decay * z_s
                    coefficient = alpha * (delta + v_s - old_value)
                    for j in active:
                        if trace[flat(j)] != 0.0:
                            table[j] = np.float64(table[j]) + coefficient * trace[flat(j)]
                    table[here] = np.float64(table[here]) - alpha * (v_s - old_value)
                    old_value = value
                else:
                    trace[flat(here)] = 1.0 if trace_kind == REPLACING else trace[flat(here)] + 1.0
                    coefficient = alpha * delta
                    for j in active:
                        z = trace[flat(j)]
                        if z != 0.0:
                            table[j] = np.float64(table[j]) + coefficient * z
                            trace[flat(j)] = decay * z
                if algo == Q_LAMBDA and not cut:
                    a2 = policy(s2, t + 1)  # from the updated values; exploratory: cut the traces
                    if table[s2, a2] != table[s2].max():
                        for j in active:
                            trace[flat(j)] = 0.0
                loss += delta * delta
                updates += 1
            elif algo in BUFFERED:
                steps.append((s, a, r))
                tau = t - n + 1
                if algo not in (MC_PREDICTION, MC_CONTROL) and not cut and tau >= 0:
                    bootstrap = np.float64(table[s2]) if predict else np.float64(table[s2, a2])
                    g = steps[t][2] + gamma * bootstrap
                    for j in range(t - 1, tau - 1, -1):
                        g = steps[j][2] + gamma * g
                    loss += update(table, counts, entry(*steps[tau][:2]), g, alpha, power, visits)
                    updates += 1
                if cut:
                    bootstrap = 0.0
                    if not ends:  # truncated: the value of the state the episode was cut in
                        if predict:
                            bootstrap = np.float64(table[s2])
                        elif algo == N_STEP_SARSA:
                            bootstrap = np.float64(table[s2, a2])
                        else:
                            bootstrap = expected_value(state.q[i][None], np.array([0]), np.array([s2]), epsilon,
                                                       temperature, softmax, model.n_allowed)[0]
                    T = t + 1
                    lo = 0 if algo in (MC_PREDICTION, MC_CONTROL) else max(0, T - n)
                    returns = {}
                    g = bootstrap
                    for j in range(T - 1, lo - 1, -1):  # the returns backwards ...
                        g = steps[j][2] if ends and j == T - 1 else steps[j][2] + gamma * g
                        returns[j] = g
                    for j in range(lo, T):  # ... the updates forwards
                        here = entry(*steps[j][:2])
                        if first_visit:
                            if here in first:
                                continue
                            first.add(here)
                        loss += update(table, counts, here, returns[j], alpha, power, visits)
                        updates += 1
            total += r
            t += 1
            s = s2
            a = a2
            if cut:
                break
        if trace is not None:
            for j in active:
                trace[flat(j)] = 0.0
        if record_loss:
            out.loss[i, e] = loss / updates if updates else np.nan
        if predict:
            out.rms_error[i, e + 1] = rms_error(table, hyper.true_values[hyper.true_row[i]], model.terminal)
        out.returns[i, e] = total
        out.successes[i, e] = model.goal[s]
        out.lengths[i, e] = t


__all__ = ["learn_agent", "rms_error", "sample_policy", "update"]
