r"""Batched environment primitives in numba: reset, step, epsilon-greedy, Q update.

These are the building blocks of :mod:`fastq.core` (which validates their inputs) and of
:class:`fastq.gym.TabularVectorEnv`.  Each works on ``n`` independent *streams*: stream ``i`` is
one running environment with its own random stream, described by one row of ``rng_state``::

    rng_state : (n, 3) uint64, C-contiguous, updated in place
        rng_state[i, 0]  key       the stream key (fastq.rng.key(seed, agent))
        rng_state[i, 1]  episode   the episode the stream is in (counted from 0)
        rng_state[i, 2]  step      steps taken in that episode, or NOT_STARTED before the
                                   stream's first reset

Every draw follows the contract of :mod:`fastq.rng`, ``index = draw_index(episode, step, slot)``,
exactly as the training kernels draw it:

- :func:`reset_batch` starts the next episode: ``episode += 1`` unless the stream has never been
  reset (``step == NOT_STARTED``), ``step = 0``, and the start state is drawn from slot RESET of
  ``(episode, 0)``.  The ``k``-th reset of a stream (from 0) starts episode ``k``.
- :func:`epsilon_greedy_batch` draws the policy slot of ``(episode, step)``;
  it does not advance the stream.
- :func:`step_batch` draws the transition slot of ``(episode, step)``, then ``step += 1``.
  ``terminated`` when the state entered is terminal; ``truncated`` when ``step`` reaches
  ``max_steps`` without termination (termination wins).

So a loop reset / epsilon-greedy / step / Q update over streams ``key(seed, i)`` draws exactly
the numbers :func:`fastq.train` draws for agent ``i``, and gives the same Q-tables bit for bit.

Reward noise (``reward_std[s, a] > 0``): the reward is ``reward[s, a, k] + reward_std[s, a] * z``
with ``z = gaussian(draw(key, index of slot NOISE))``, as the learners draw it
(:func:`fastq.kernels.policy.gaussian`).

Loops are sequential over streams (no ``prange``): stream ``i`` reads the read-only model and
writes only row ``i`` of the outputs and of ``rng_state`` -- and of ``q`` when every stream has
its own table.  With one shared table (``q.shape[0] == 1``) the updates are applied in stream
order, each seeing the previous ones.  :mod:`fastq.reference.rollouts` holds the numpy twins,
same names and signatures, bit-identical (within 1e-12 only where reward noise is drawn: it
calls ``log`` and ``cos``).  Disallowed actions (``TabularMDP.allowed``) are skipped by the
greedy choice and the max whatever ``q`` holds there; :func:`fastq.train` keeps ``-inf`` there,
and with that convention the choices and maxima equal the learners'.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _config
from .._config import JIT
from ..rng import EPISODE, KEY, NOT_STARTED, SLOT_NOISE, SLOT_POLICY, SLOT_RESET, SLOT_TRANSITION, STEP
from .policy import gaussian, greedy, q_max, sample_start
from .rng import draw, draw_index, explores, explore_threshold, pick, uniform

__all__ = [
    "EPISODE", "KEY", "NOT_STARTED", "STEP",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch",
]

_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_SLOT_POLICY = np.uint64(SLOT_POLICY)
_SLOT_TRANSITION = np.uint64(SLOT_TRANSITION)
_SLOT_NOISE = np.uint64(SLOT_NOISE)
_u = np.uint64  # unsigned indices: no negative-index wraparound code


# ---------------------------------------------------------------------------- one stream
@njit(inline="always", **JIT)
def _reset_one(start_cum, rng_state, i):
    """Start the next episode of stream ``i``; its start state."""
    episode = rng_state[i, EPISODE]
    if rng_state[i, STEP] != NOT_STARTED:
        episode += _ONE
        rng_state[i, EPISODE] = episode
    rng_state[i, STEP] = _ZERO
    return sample_start(start_cum, uniform(draw(rng_state[i, KEY], draw_index(episode, _ZERO, SLOT_RESET))))


@njit(inline="always", **JIT)
def _outcome(cum_prob, s, a, z):
    """Outcome ``k``: the number of ``cum_prob[s, a, :K-1]`` entries ``<= uniform(z)`` (the
    learners compare the same numbers on integers, :func:`fastq.kernels.policy.outcome`)."""
    u = uniform(z)
    k = 0
    for c in range(cum_prob.shape[2] - 1):
        k += u >= cum_prob[s, a, _u(c)]
    return k


@njit(inline="always", **JIT)
def _step_one(next_state, cum_prob, reward, reward_std, terminal, max_steps, rng_state, i, s, a):
    """Stream ``i`` takes action ``a`` in state ``s``: ``(next state, reward, terminated,
    truncated)``; its step count advances."""
    key = rng_state[i, KEY]
    step = rng_state[i, STEP]
    base = draw_index(rng_state[i, EPISODE], step, _ZERO)
    k = _outcome(cum_prob, s, a, draw(key, base | _SLOT_TRANSITION)) if cum_prob.shape[2] > 1 else 0
    s2 = next_state[s, a, _u(k)]
    r = reward[s, a, _u(k)]
    std = reward_std[s, a]
    if std > 0.0:
        r += std * gaussian(draw(key, base | _SLOT_NOISE))
    step += _ONE
    rng_state[i, STEP] = step
    ends = terminal[_u(s2)]
    return s2, r, ends, (not ends) and np.int64(step) >= max_steps


@njit(inline="always", **JIT)
def _masked_greedy(q, row, s, allowed, tie_random, x):
    """:func:`fastq.kernels.policy.greedy` over the allowed actions of ``s`` only, whatever ``q``
    holds at the others."""
    A = allowed.shape[1]
    best = -np.inf
    for a in range(A):
        v = q[_u(row + a)]
        best = v if allowed[_u(s), _u(a)] and v > best else best
    count = 0
    for a in range(A):
        count += allowed[_u(s), _u(a)] and q[_u(row + a)] == best
    j = pick(x, count) if tie_random else 0
    chosen = 0
    seen = 0
    for a in range(A):
        tie = allowed[_u(s), _u(a)] and q[_u(row + a)] == best
        chosen = a if tie and seen == j else chosen
        seen += tie
    return chosen


@njit(inline="always", **JIT)
def _masked_max(q, row, s, allowed):
    best = -np.inf
    for a in range(allowed.shape[1]):
        v = q[_u(row + a)]
        best = v if allowed[_u(s), _u(a)] and v > best else best
    return best


# ---------------------------------------------------------------------------- batches
@_config.jit
def reset_batch(start_cum, rng_state, mask, states):
    """Start the next episode of every stream ``i`` with ``mask[i]``.

    Parameters
    ----------
    start_cum : (S,) float64
        Sampling table of the start distribution (``TabularMDP.start_cum``).
    rng_state : (n, 3) uint64
        Stream states (see the module docstring), updated in place.
    mask : (n,) bool
        Streams to reset; the others are left alone.
    states : (n,) int64
        Output: ``states[i]`` is set to the start state of each reset stream.
    """
    for i in range(states.shape[0]):
        if mask[i]:
            states[i] = _reset_one(start_cum, rng_state, i)


@_config.jit
def step_batch(
    next_state, cum_prob, reward, reward_std, terminal, max_steps,
    states, actions, rng_state,
    next_states, rewards, terminated, truncated,
):
    """One step of every stream: action ``actions[i]`` in state ``states[i]``.

    Parameters
    ----------
    next_state, cum_prob, reward : (S, A, K) int64, float64, float64
        The model (``TabularMDP``); ``cum_prob`` is its sampling table.
    reward_std : (S, A) float64
        Standard deviation of the reward noise (0: none).
    terminal : (S,) bool
    max_steps : int
        Truncation limit.
    states, actions : (n,) int64
        Current states (non-terminal) and actions.
    rng_state : (n, 3) uint64
        Stream states, updated in place (``step += 1``); every stream must have been reset and
        have ``step < max_steps``.
    next_states, rewards, terminated, truncated : (n,) int64, float64, bool, bool
        Outputs.
    """
    for i in range(states.shape[0]):
        s2, r, ends, cut = _step_one(next_state, cum_prob, reward, reward_std, terminal, max_steps, rng_state, i,
                                     _u(states[i]), _u(actions[i]))
        next_states[i] = s2
        rewards[i] = r
        terminated[i] = ends
        truncated[i] = cut


@_config.jit
def epsilon_greedy_batch(
    allowed, n_allowed, allowed_actions, all_allowed,
    q, states, epsilon, tie_random, rng_state,
    actions,
):
    """Epsilon-greedy actions for every stream, from the policy draw of its current step.

    The draw ``x`` (slot POLICY of ``(episode, step)``) explores when ``x >> 32 <
    ceil(epsilon[i] * 2**32)``: a uniformly random allowed action
    (``allowed_actions[s, pick(x, n_allowed[s])]``, which is ``pick(x, A)`` when every action is
    allowed); otherwise a greedy one, ties broken by ``pick(x, ties)`` (``tie_random``) or by the
    first maximiser -- the learners' epsilon-greedy (:mod:`fastq.kernels.policy`), restricted to
    the allowed actions.  ``rng_state`` is not changed.

    Parameters
    ----------
    allowed : (S, A) bool
    n_allowed, allowed_actions : (S,), (S, A) int64
        Exploration tables of the model (``TabularMDP.n_allowed``, ``allowed_actions``).
    all_allowed : bool
        Every action is allowed everywhere (the mask is then skipped).
    q : (n, S, A) or (1, S, A) float64
        One table per stream, or one table shared by all.
    states : (n,) int64
    epsilon : (n,) float64
    tie_random : bool
    rng_state : (n, 3) uint64
        Every stream must have been reset.
    actions : (n,) int64
        Output.
    """
    shared = q.shape[0] == 1
    S, A = q.shape[1], q.shape[2]
    flat = q.reshape(q.size)
    for i in range(states.shape[0]):
        s = states[i]
        row = ((0 if shared else i) * S + s) * A
        x = draw(rng_state[i, KEY], draw_index(rng_state[i, EPISODE], rng_state[i, STEP], _ZERO) | _SLOT_POLICY)
        if all_allowed:
            best = greedy(flat, row, x, A, tie_random)
        else:
            best = _masked_greedy(flat, row, s, allowed, tie_random, x)
        random = allowed_actions[_u(s), _u(pick(x, n_allowed[_u(s)]))]
        actions[i] = random if explores(x, explore_threshold(epsilon[i])) else best


@_config.jit
def q_update_batch(
    allowed, all_allowed,
    q, states, actions, rewards, next_states, terminated, alpha, gamma,
):
    """The Q-learning update of every stream's transition, in place.

    ``q[row, s, a] += alpha[i] * (target - q[row, s, a])`` with ``target = r`` when the
    transition terminated and ``r + gamma[i] * max_a' q[row, s', a']`` (over allowed ``a'``)
    otherwise -- also when it was truncated: the time limit is not part of the MDP.  The same
    floating-point operations as the training kernel.

    Parameters
    ----------
    allowed : (S, A) bool
    all_allowed : bool
    q : (n, S, A) or (1, S, A) float64
        Updated in place.  With one shared table the updates are applied in stream order.
    states, actions, next_states : (n,) int64
    rewards : (n,) float64
    terminated : (n,) bool
    alpha, gamma : (n,) float64
    """
    shared = q.shape[0] == 1
    S, A = q.shape[1], q.shape[2]
    flat = q.reshape(q.size)
    for i in range(states.shape[0]):
        row = 0 if shared else i
        s, a, s2, r = states[i], actions[i], next_states[i], rewards[i]
        row2 = (row * S + s2) * A
        if all_allowed:
            best = q_max(flat, row2, A)
        else:
            best = _masked_max(flat, row2, s2, allowed)
        bootstrap = r + gamma[i] * best
        target = r if terminated[i] else bootstrap
        index = (row * S + s) * A + a
        q_sa = flat[_u(index)]
        flat[_u(index)] = q_sa + alpha[i] * (target - q_sa)


@_config.jit
def step_autoreset_batch(
    next_state, cum_prob, reward, reward_std, terminal, start_cum, max_steps,
    same_step, reset_mask,
    states, actions, rng_state,
    next_states, rewards, terminated, truncated, final_states,
):
    """One vector-environment step, resets included, in one call (Gymnasium's autoreset modes).

    ``same_step=False`` (next-step and disabled modes): streams with ``reset_mask[i]`` start their
    next episode instead of stepping (reward 0, not terminated, not truncated; the action is
    ignored); the others step.  ``same_step=True``: every stream steps, and a stream whose episode
    ends starts the next one at once: ``final_states[i]`` is the state it ended in and
    ``next_states[i]`` the new start state.  ``final_states[i]`` is -1 where no episode ended
    in this call.  Arguments as in :func:`step_batch` and :func:`reset_batch`.
    """
    for i in range(states.shape[0]):
        final_states[i] = -1
        if reset_mask[i] and not same_step:
            next_states[i] = _reset_one(start_cum, rng_state, i)
            rewards[i] = 0.0
            terminated[i] = False
            truncated[i] = False
            continue
        s2, r, ends, cut = _step_one(next_state, cum_prob, reward, reward_std, terminal, max_steps, rng_state, i,
                                     _u(states[i]), _u(actions[i]))
        rewards[i] = r
        terminated[i] = ends
        truncated[i] = cut
        if same_step and (ends or cut):
            final_states[i] = s2
            s2 = _reset_one(start_cum, rng_state, i)
        next_states[i] = s2
