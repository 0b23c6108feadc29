r"""Tabular learners for a population of agents, in numba: one step per learner, written once.

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
                    chosen before the update with the policy draw of the next step; it is then
                    the action taken there (section 6.4).  On truncation ``a'`` is still chosen
                    in the real next state, and the episode ends.
``expected_sarsa``  ``sum_a' pi(a' | s') Q(s', a')`` under the behaviour policy (section 6.6):
                    ``(1 - epsilon) max + epsilon mean`` for epsilon-greedy.
``double_q``        Two tables; a fair coin picks the one updated, ``Q_1``, and
                    ``B = Q_2(s', argmax_a' Q_1(s', a'))`` (van Hasselt 2010; section 6.7).  The
                    behaviour policy acts on ``Q_1 + Q_2``.
``dyna_q``          Q-learning, plus ``planning_steps`` updates per real step on pairs drawn
                    uniformly from those seen so far, from a model that remembers the last
                    observed ``(r, s')`` of each pair (Tabular Dyna-Q, section 8.2).

Learners with more than one step (chapters 5, 7 and 12), their returns and traces in
:mod:`fastq.kernels.multistep`:

``n_step_sarsa``    ``Q(S_tau, A_tau)`` moves towards the n-step return
                    ``R_{tau+1} + ... + gamma^(n-1) R_{tau+n} + gamma^n Q(S_{tau+n}, A_{tau+n})``
                    (section 7.2); ``n = 1`` is ``sarsa``.
``sarsa_lambda``    ``delta = r + gamma Q(s', a') - Q(s, a)``; every traced pair moves by
                    ``alpha delta z``, traces decay by ``gamma lambda`` (accumulating ``z += 1``
                    or replacing ``z = 1``; section 12.7); ``lambda = 0`` is ``sarsa``.
``q_lambda``        Watkins's Q(lambda): ``delta`` with ``max_a' Q(s', a')``, and the traces cut
                    after an exploratory action (section 12.10); ``lambda = 0`` is ``q_learning``.
``mc_control``      on-policy first-visit Monte Carlo control with an epsilon-soft policy
                    (section 5.4): at the end of an episode each pair's first visit moves towards
                    its return (constant alpha, or sample averages with ``visits(1)``).

Prediction learners learn ``V`` of a fixed policy ``pi`` (an action drawn from ``pi(. | s)``
with the step's policy draw), with the same bootstraps: ``td`` (TD(0), section 6.1),
``n_step_td`` (section 7.1; ``n = 1`` is ``td``, ``n`` at least the episode's length is
every-visit ``mc_prediction``), ``td_lambda`` (accumulating or replacing traces, section 12.2,
or true online TD(lambda), section 12.5; ``lambda = 0`` is ``td`` for the first two) and
``mc_prediction`` (constant-alpha Monte Carlo, every visit or first visit, section 5.1).  On a
truncation, a Monte Carlo or n-step return bootstraps from the value of the state it was cut in.

The behaviour policy is epsilon-greedy (ties broken at random or by the first maximiser) or
softmax with a temperature (:mod:`fastq.kernels.policy`).  The step size ``alpha`` is the
agent's value for the episode, or ``1 / n(s, a) ** power`` with ``n`` the number of updates of
``(s, a)`` so far, this one included (``visits``).  ``Q`` of terminal states is never written
and never read as a bootstrap; ``Q`` of disallowed actions is ``-inf`` and never written.

How the kernels are made
------------------------
:func:`learner` builds one kernel per :class:`fastq._interface.Variant` -- the learner and every
option that changes the code of a step (exploration, tie rule, visit counts, reward noise,
action masks, 4 actions and 1 or 3 outcomes as constants, the number of lanes, prefetching) --
and keeps it for the process (and on disk, :mod:`fastq._config`).  The step is written once,
in :func:`step`; the options reach it as constants, and numba removes the code of the options a
variant leaves out, so each variant compiles only what it runs.

A step is a short chain of dependent operations: Q row of ``s`` -> max and mask of maximisers
-> action -> one block of the model (sampling thresholds, next state with its terminal flag,
reward: :class:`fastq._interface.Model`) -> Q row of ``s'``.  The random numbers (two draws per
step: the policy's and the transition's, :mod:`fastq.rng`), the exploration decision and the
step counter do not depend on the state, so the processor computes them while it waits for the
loads of the chain.  *Lanes*: a thread steps ``lanes`` agents in turn, each with its own
variables; their chains are independent, so they overlap.  An episode end is a rare branch per
lane; when a lane's agent has run all its episodes, the lane takes the next agent of the range,
and when none is left the remaining lanes finish one at a time.

Agent ``i`` reads the shared, read-only model and writes only its own rows: disjoint agent
ranges can run on different threads at once (:mod:`fastq._parallel`), and the results do not
depend on the number of threads, of lanes, or on which other agents run.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .. import _config
from .._config import KERNEL
from .._interface import (DOUBLE_Q, DUTCH, DYNA_Q, EXPECTED_SARSA, MC_CONTROL, MC_PREDICTION, N_STEP_SARSA, PREDICTION,
                          Q_LAMBDA, REPLACING, SARSA, SARSA_LAMBDA, TD, TRACES, Variant)
from ..rng import SLOT_LEARNER, SLOT_NOISE, SLOT_PLANNING, SLOT_POLICY, SLOT_RESET, SLOT_TRANSITION
from ._llvm import prefetch
from .multistep import (cut_traces, dutch_step, flush, n_step_return, record, ring_mask, rms_error, sample_policy,
                        step_size, trace_step, update)
from .policy import (epsilon_greedy, epsilon_greedy_table, expected_value, gaussian, greedy, greedy_table, outcome,
                     q_max, sample_start, softmax_action)
from .rng import COUNTER_STEP, bounded, counter, draw, explore_threshold, mix64, slot_offset, uniform

_u = np.uint64  # unsigned indices: no negative-index wraparound code
_RESET = slot_offset(SLOT_RESET)
_POLICY = slot_offset(SLOT_POLICY)
_TRANSITION = slot_offset(SLOT_TRANSITION)
_NOISE = slot_offset(SLOT_NOISE)
_LEARNER = slot_offset(SLOT_LEARNER)
_PLANNING = slot_offset(SLOT_PLANNING)
_NEXT_POLICY = _u((int(COUNTER_STEP) + int(_POLICY)) % 2**64)  # the policy draw of the next step
_S63 = _u(63)
_LOW32 = np.int64(0xFFFFFFFF)
#: Most lanes a kernel can have.
MAX_LANES = 4

#: One agent between two steps: its place in the run (``table``: the offset of its table in the
#: flat tables; ``policy``: of its fixed policy's thresholds), the episode's hyperparameters
#: (``decay``: gamma lambda), the action already chosen in ``state`` (the learners that choose
#: it before the step), true online TD(lambda)'s previous value, and the sum of the episode's
#: squared TD errors and their number.  numba keeps it in registers.
Lane = namedtuple("Lane", ["agent", "table", "policy", "episode", "t", "state", "counter", "total", "alpha",
                           "gamma", "threshold", "epsilon", "temperature", "power", "decay", "n", "action",
                           "old_value", "loss", "updates", "live"])


@njit(**KERNEL)
def schedule_value(table, row, e):
    """``table[row, min(e, width - 1)]``: a per-episode value (a constant has width 1)."""
    return table[_u(row), _u(min(e, table.shape[1] - 1))]


@njit(**KERNEL)
def plan(q, counts, model_next, model_reward, seen, n_seen, terminal, i, s, a, s2, r,
         gamma, alpha, power, visits, planning_steps, planning_key, S, A):
    """Dyna-Q: record ``(s, a) -> (r, s2)`` in agent ``i``'s model, then ``planning_steps``
    Q-learning updates on pairs drawn uniformly from those seen
    (``bounded(draw(planning_key, j), seen)``).  A call, not inlined: its loop dominates it."""
    pair = (i * S + s) * A + a
    if model_next[_u(pair)] < 0:
        seen[_u(i), _u(n_seen[i])] = s * A + a
        n_seen[i] += 1
    model_next[_u(pair)] = s2
    model_reward[_u(pair)] = r
    for j in range(planning_steps):
        sa = seen[_u(i), _u(bounded(draw(planning_key, _u(j)), n_seen[i]))]
        index = i * S * A + sa
        ps2 = model_next[_u(index)]
        pr = model_reward[_u(index)]
        bootstrap = pr + gamma * q_max(q, (i * S + ps2) * A, A)
        target = pr if terminal[_u(ps2)] else bootstrap
        p_alpha = step_size(alpha, power, counts, index, visits)
        q_sa = q[_u(index)]
        q[_u(index)] = q_sa + p_alpha * (target - q_sa)


@njit(**KERNEL)
def begin(i, e, model, hyper, keys, S, A, rows):
    """Agent ``i`` at the start of episode ``e``: its start state and the episode's
    hyperparameters (``rows``: the rows of an agent's table, ``S`` or ``S * A``).  Once per
    episode: a call, compiled once for every variant.  (An action chosen before the step, as
    SARSA's, is chosen at the episode's first step, with the policy draw of step 0.)"""
    c = counter(keys[i], e)
    s = sample_start(model.start_cum, uniform(mix64(c + _RESET)))
    epsilon = schedule_value(hyper.epsilon_table, hyper.epsilon_row[i], e)
    gamma = hyper.gamma[i]
    return Lane(i, i * rows, hyper.policy_row[i] * S * A, e, 0, s, c, 0.0,
                schedule_value(hyper.alpha_table, hyper.alpha_row[i], e), gamma, explore_threshold(epsilon),
                epsilon, schedule_value(hyper.temperature_table, hyper.temperature_row[i], e), hyper.alpha_power[i],
                gamma * hyper.lam[i], hyper.n[i], 0, 0.0, 0.0, 0, True)


@njit(**KERNEL)
def retired(lane):
    """A lane with no agent left to run."""
    return Lane(lane.agent, lane.table, lane.policy, lane.episode, 0, 0, lane.counter, 0.0, lane.alpha, lane.gamma,
                lane.threshold, lane.epsilon, lane.temperature, lane.power, lane.decay, lane.n, 0, 0.0, 0.0, 0, False)


def _build(variant: Variant):
    """The kernel of one variant (see :func:`learner`).

    A lane's step, ``advance``, is a function of its own, built here with the variant's options
    as constants: numba removes the code they rule out when it compiles ``advance``, before it
    inlines the pruned step into each lane of the kernel -- so a variant compiles only its own
    code, once per lane.
    """
    ALGO, SOFTMAX, TIE, VISITS, NOISY, MASKED, ACTIONS, OUTCOMES, LANES, PREFETCH, TRACE, FIRST_VISIT, LOSS = variant
    if not 1 <= LANES <= MAX_LANES:  # the kernel below writes out at most MAX_LANES lanes
        raise ValueError(f"a kernel has 1 to {MAX_LANES} lanes, got {LANES}")
    PREDICT = ALGO in PREDICTION  # learns V(s) of a fixed policy
    TRACED = ALGO in TRACES
    AHEAD = ALGO in (SARSA, N_STEP_SARSA, SARSA_LAMBDA, Q_LAMBDA)  # the action is chosen a step ahead

    @njit(inline="always", **KERNEL)
    def choose(q, row, s, x, lane, model, A):
        """The behaviour policy's action in ``s`` (Q row at ``row``) with the policy draw ``x``:
        Boltzmann, or epsilon-greedy (from the tie table with 4 actions)."""
        if SOFTMAX:
            return softmax_action(q, row, A + 0, lane.temperature, x)
        if ACTIONS:
            return epsilon_greedy_table(q, row, s, x, lane.threshold, TIE != 0, MASKED != 0, model.allowed_mask,
                                        model.tie_table)
        return epsilon_greedy(q, row, s, x, lane.threshold, A + 0, TIE != 0, MASKED != 0, model.n_allowed,
                              model.allowed_actions)

    @njit(inline="always", **KERNEL)
    def argmax(table, row, x, model, A):
        """A greedy action of ``table[row:row + A]``, ties broken by the tie rule with ``x``."""
        if ACTIONS:
            return greedy_table(table, row, x, TIE != 0, model.tie_table)
        return greedy(table, row, x, A + 0, TIE != 0)

    @njit(inline="always", **KERNEL)
    def one_step(lane, c, s, a, r, s2, ends, row, row2, q, q_ab, counts, model_next, model_reward, model, hyper, state,
                 S, A, loss):
        """The update of the one-step learners; the running loss, and SARSA's next action."""
        a_, softmax_, visits_ = A + 0, SOFTMAX != 0, VISITS != 0
        g = lane.gamma
        a2 = 0
        alpha = step_size(lane.alpha, lane.power, counts, row + a, visits_)
        if ALGO == DOUBLE_Q:
            # A fair coin picks the table to update; the other one evaluates its argmax.  The
            # tables are rows 2i (A) and 2i + 1 (B) of one array, so the coin picks a row
            # number instead of taking a branch that would be mispredicted half the time.
            x = mix64(c + _LEARNER)
            coin = np.int64(x >> _S63)  # 1: table A is updated
            upd_table = 2 * lane.table + (1 - coin) * S * A
            other_table = 2 * lane.table + coin * S * A
            upd, other = upd_table + s * A + a, other_table + s * A + a
            best = argmax(q_ab, upd_table + s2 * A, x, model, A)
            bootstrap = r + g * q_ab[_u(other_table + s2 * A + best)]
            target = r if ends else bootstrap
            old = q_ab[_u(upd)]
            q_ab[_u(upd)] = old + alpha * (target - old)
            # Q_A + Q_B of the stored values (float32 tables: the sum of the rounded values)
            q[_u(row + a)] = q_ab[_u(upd)] + q_ab[_u(other)]
        else:
            if ALGO == SARSA:
                a2 = choose(q, row2, s2, mix64(c + _NEXT_POLICY), lane, model, A)
                value = q[_u(row2 + a2)]
            elif ALGO == EXPECTED_SARSA:
                value = expected_value(q, row2, s2, lane.epsilon, lane.temperature, a_, softmax_, model.n_allowed)
            else:
                value = q_max(q, row2, a_)
            # Both targets are computed and one selected (no bootstrap on termination).
            bootstrap = r + g * value
            target = r if ends else bootstrap
            old = q[_u(row + a)]
            q[_u(row + a)] = old + alpha * (target - old)
            if ALGO == DYNA_Q:
                plan(q, counts, model_next, model_reward, state.seen, state.n_seen, model.terminal, lane.agent, s, a,
                     s2, r, g, lane.alpha, lane.power, visits_, hyper.planning_steps, mix64(c + _PLANNING), S, a_)
        if LOSS:
            loss += (target - old) * (target - old)
        return loss, a2

    @njit(inline="always", **KERNEL)
    def multi_step(lane, c, s, a, r, s2, ends, cut, position, stamp, row, row2, q, v, counts, trace, model, state, A,
                   ring, loss):
        """The step of the learners with more than one step and the actions chosen around it;
        ``(loss, updates, old_value, next action)``.  The per-step part (the target, a buffered
        step's n-step update) is written here, where the variant's constants prune it; the loops
        (traces, the end of an episode) are calls into :mod:`fastq.kernels.multistep`."""
        a_, softmax_, visits_ = A + 0, SOFTMAX != 0, VISITS != 0
        i, base, gamma = lane.agent, lane.table, lane.gamma
        updates, old_value = lane.updates, lane.old_value
        a2 = 0
        if ALGO in (SARSA_LAMBDA, N_STEP_SARSA):  # chosen before the update
            a2 = choose(q, row2, s2, mix64(c + _NEXT_POLICY), lane, model, A)
        if PREDICT:
            values, here, next_value = v, s, v[_u(base + s2)]
        elif ALGO == Q_LAMBDA:
            values, here, next_value = q, s * A + a, q_max(q, row2, a_)
        elif ALGO in (SARSA_LAMBDA, N_STEP_SARSA):
            values, here, next_value = q, s * A + a, q[_u(row2 + a2)]
        else:  # Monte Carlo control: no bootstrap but a truncated episode's
            values, here, next_value = q, s * A + a, 0.0
        if TRACED:
            value = 0.0 if ends and PREDICT else next_value
            bootstrap = r + gamma * value
            target = r if ends else bootstrap
            current = values[_u(base + here)]
            delta = target - current
            if TRACE == DUTCH:
                dutch_step(values, trace, state.active, state.n_active, state.first, i, base, here, stamp, lane.alpha,
                           delta, current, old_value, lane.decay)
                old_value = value
            else:
                trace_step(values, trace, state.active, state.n_active, state.first, i, base, here, stamp,
                           lane.alpha * delta, lane.decay, TRACE == REPLACING)
            loss += delta * delta
            updates += 1
        else:  # buffered: the n-step and Monte Carlo learners
            steps = state.steps
            record(steps, i, position & ring, s, a, r)
            if ALGO not in (MC_PREDICTION, MC_CONTROL):
                tau = position - lane.n + 1
                if not cut and tau >= 0:
                    entry = steps[_u(i), _u(tau & ring), 0]
                    if not PREDICT:
                        entry = entry * A + steps[_u(i), _u(tau & ring), 1]
                    target = n_step_return(steps, i, tau, position, ring, gamma, next_value)
                    loss += update(values, counts, base + entry, target, lane.alpha, lane.power, visits_)
                    updates += 1
            if cut:  # the updates of the episode's last steps (Monte Carlo: of all of them)
                bootstrap = 0.0
                if not ends:  # truncated: the value of the state the episode was cut in
                    bootstrap = next_value
                    if ALGO == MC_CONTROL:
                        bootstrap = expected_value(q, row2, s2, lane.epsilon, lane.temperature, a_, softmax_,
                                                   model.n_allowed)
                lo = 0 if ALGO in (MC_PREDICTION, MC_CONTROL) else max(0, position + 1 - lane.n)
                loss, updates = flush(values, counts, state.first, steps, i, lo, position + 1, ring, base, a_,
                                      not PREDICT, gamma, ends, bootstrap, lane.alpha, lane.power, visits_,
                                      FIRST_VISIT != 0, stamp, loss, updates)
        if ALGO == Q_LAMBDA and not cut:
            # The next action, from the updated values with the next step's draw (as Q-learning
            # chooses it); an exploratory one cuts the traces.
            a2 = choose(q, row2, s2, mix64(c + _NEXT_POLICY), lane, model, A)
            if q[_u(row2 + a2)] != q_max(q, row2, a_):
                cut_traces(trace, state.active, state.n_active, i, base, False)
        return loss, updates, old_value, a2

    @njit(inline="always", **KERNEL)
    def advance(lane, nxt, model, hyper, keys, state, out, tables, sizes, episode_start, episode_stop, agent_stop):
        """One step of a lane: act, sample the outcome, update (and plan, for Dyna-Q).  At the
        end of an episode (terminated or truncated), finish its updates, write its results
        and start the lane's next episode, or its next agent (``nxt``), or retire the lane.
        ``tables``: the flat views of the learner's tables; ``sizes``: S, A, K and their kin."""
        q, q_ab, v, counts, model_next, model_reward, trace, policy_threshold = tables
        S, actions, outcomes_, rows, ring = sizes
        if ACTIONS:  # the sizes as constants where the variant fixes them
            A = ACTIONS
        else:
            A = actions
        if OUTCOMES:
            K = OUTCOMES
        else:
            K = outcomes_
        block = 3 * K - 1
        # The options as plain values for the helpers called here: they are compiled once for
        # every variant (LLVM inlines them and folds the constants) instead of once per
        # combination of constants.
        a_, visits_ = A + 0, VISITS != 0
        outcomes, max_steps = model.outcomes, model.max_steps

        i = lane.agent
        s = lane.state
        c = lane.counter
        position = lane.t  # this step, counted from 0 in the episode
        row = lane.table + s * A  # Q(s, .) (prediction: V(s) is at lane.table + s)
        base = s * A * block
        stamp = lane.episode + 1  # marks entries listed in this episode (traces, first visits)
        if PREFETCH:  # the outcome blocks of s, while the Q row is read and the action chosen
            for p in range(0, A * block, 8):
                prefetch(outcomes, base + p)
        if PREDICT:
            a = sample_policy(policy_threshold, lane.policy + s * A, mix64(c + _POLICY), a_)
        elif AHEAD:  # chosen in the previous step, or now at an episode's start
            a = lane.action
            if position == 0:
                a = choose(q, row, s, mix64(c + _POLICY), lane, model, A)
        else:
            a = choose(q, row, s, mix64(c + _POLICY), lane, model, A)
        packed, r = outcome(outcomes, base + a * block, mix64(c + _TRANSITION), K + 0)
        s2 = packed & _LOW32
        ends = (packed >> 32) != 0
        if NOISY:
            r += model.reward_std[_u(s), _u(a)] * gaussian(mix64(c + _NOISE))
        t = position + 1
        cut = ends or t >= max_steps  # the episode ends with this step
        row2 = lane.table + s2 * A
        g = lane.gamma
        a2 = 0
        loss = lane.loss
        updates = lane.updates + 1
        old_value = lane.old_value
        if ALGO <= DYNA_Q:
            loss, a2 = one_step(lane, c, s, a, r, s2, ends, row, row2, q, q_ab, counts, model_next, model_reward,
                                model, hyper, state, S, A, loss)
        elif ALGO == TD:
            bootstrap = r + g * v[_u(lane.table + s2)]
            target = r if ends else bootstrap
            loss += update(v, counts, lane.table + s, target, lane.alpha, lane.power, visits_)
        else:  # the learners with more than one step (fastq.kernels.multistep)
            loss, updates, old_value, a2 = multi_step(lane, c, s, a, r, s2, ends, cut, position, stamp, row, row2, q,
                                                      v, counts, trace, model, state, A, ring, loss)
        lane = Lane(i, lane.table, lane.policy, lane.episode, t, s2, c + COUNTER_STEP, lane.total + r, lane.alpha,
                    g, lane.threshold, lane.epsilon, lane.temperature, lane.power, lane.decay, lane.n, a2,
                    old_value, loss, updates, True)
        if cut:
            i, e = lane.agent, lane.episode
            if TRACED:
                cut_traces(trace, state.active, state.n_active, i, lane.table, True)
            if LOSS:
                out.loss[i, e] = lane.loss / lane.updates if lane.updates else np.nan
            if PREDICT:
                out.rms_error[i, e + 1] = rms_error(v, lane.table, hyper.true_values, hyper.true_row[i],
                                                    model.terminal)
            out.returns[i, e] = lane.total
            out.successes[i, e] = model.goal[_u(lane.state)]
            out.lengths[i, e] = lane.t  # last: a length > 0 marks the episode complete (see train)
            e += 1
            if e == episode_stop and nxt < agent_stop:
                i, e = nxt, episode_start
                nxt += 1
            if e < episode_stop:
                lane = begin(i, e, model, hyper, keys, S, a_, rows)
            else:
                lane = retired(lane)
        return lane, nxt


    def kernel(model, hyper, keys, episode_start, episode_stop, state, out, agent_start, agent_stop):
        if agent_start >= agent_stop or episode_start >= episode_stop:
            return
        S, A = model.n_states, model.n_actions
        q = state.q.reshape(state.q.size)
        q_ab = state.q_ab.reshape(state.q_ab.size)
        v = state.v.reshape(state.v.size)
        counts = state.counts.reshape(state.counts.size)
        model_next = state.model_next.reshape(state.model_next.size)
        model_reward = state.model_reward.reshape(state.model_reward.size)
        trace = state.trace.reshape(state.trace.size)
        policy_threshold = hyper.policy_threshold.reshape(hyper.policy_threshold.size)
        rows = S if PREDICT else S * A  # the size of an agent's table
        tables = (q, q_ab, v, counts, model_next, model_reward, trace, policy_threshold)
        sizes = (S, A, model.n_outcomes, rows, ring_mask(state.steps.shape[1]))

        # Every lane steps in turn; a lane whose agent is done takes the next agent of the
        # range, and retires when none is left.  Lanes beyond the range's agents never start.
        lane0 = begin(agent_start, episode_start, model, hyper, keys, S, A, rows)
        lane1 = lane2 = lane3 = lane0
        if LANES >= 2:
            lane1 = begin(min(agent_start + 1, agent_stop - 1), episode_start, model, hyper, keys, S, A, rows)
            lane1 = lane1 if agent_start + 1 < agent_stop else retired(lane1)
        if LANES >= 3:
            lane2 = begin(min(agent_start + 2, agent_stop - 1), episode_start, model, hyper, keys, S, A, rows)
            lane2 = lane2 if agent_start + 2 < agent_stop else retired(lane2)
        if LANES >= 4:
            lane3 = begin(min(agent_start + 3, agent_stop - 1), episode_start, model, hyper, keys, S, A, rows)
            lane3 = lane3 if agent_start + 3 < agent_stop else retired(lane3)
        nxt = min(agent_start + LANES, agent_stop)
        running = True
        while running:
            if lane0.live:
                lane0, nxt = advance(lane0, nxt, model, hyper, keys, state, out, tables, sizes, episode_start,
                                          episode_stop, agent_stop)
            running = lane0.live
            if LANES >= 2:
                if lane1.live:
                    lane1, nxt = advance(lane1, nxt, model, hyper, keys, state, out, tables, sizes, episode_start,
                                          episode_stop, agent_stop)
                running = running or lane1.live
            if LANES >= 3:
                if lane2.live:
                    lane2, nxt = advance(lane2, nxt, model, hyper, keys, state, out, tables, sizes, episode_start,
                                          episode_stop, agent_stop)
                running = running or lane2.live
            if LANES >= 4:
                if lane3.live:
                    lane3, nxt = advance(lane3, nxt, model, hyper, keys, state, out, tables, sizes, episode_start,
                                          episode_stop, agent_stop)
                running = running or lane3.live

    kernel.__name__ = kernel.__qualname__ = "learner"
    kernel.__fastq_key__ = str(tuple(variant))  # its on-disk cache key, with the fingerprint (fastq._config)
    return _config.jit(kernel)


_KERNELS: dict = {}


def learner(variant: Variant):
    """The compiled learner kernel of ``variant``, built once per process.

    ``kernel(model, hyper, keys, episode_start, episode_stop, state, out, agent_start,
    agent_stop)`` runs the episodes ``[episode_start, episode_stop)`` of the agents
    ``[agent_start, agent_stop)`` (arguments: :mod:`fastq._interface`).  It is compiled on its
    first call, or loaded from the on-disk cache (:mod:`fastq._config`).

    Examples
    --------
    >>> from fastq._interface import Q_LEARNING, Variant
    >>> from fastq.kernels.learners import learner
    >>> v = Variant(Q_LEARNING, softmax=False, tie_random=True, visits=False, noisy=False,
    ...             masked=False, actions=4, outcomes=3, lanes=2, prefetch=False)
    >>> learner(v) is learner(v)
    True
    """
    kernel = _KERNELS.get(variant)
    if kernel is None:
        kernel = _KERNELS[variant] = _build(variant)
    return kernel
