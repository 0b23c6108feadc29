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
- :func:`epsilon_greedy_batch` draws the explore and action/tie slots of ``(episode, step)``;
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

from .._config import JIT
from ..rng import SLOT_ACTION, SLOT_EXPLORE, SLOT_NOISE, SLOT_RESET, SLOT_TRANSITION
from .policy import epsilon_greedy, gaussian, max_q, sample_outcome, sample_start
from .rng import bounded, draw, draw_index, uniform

#: Columns of ``rng_state``.
KEY, EPISODE, STEP = 0, 1, 2
#: ``rng_state[i, STEP]`` of a stream that has never been reset.
NOT_STARTED = np.uint64(2**64 - 1)

_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_SLOT_EXPLORE = np.uint64(SLOT_EXPLORE)
_SLOT_ACTION = np.uint64(SLOT_ACTION)
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
    return sample_start(start_cum, rng_state[i, KEY], draw_index(episode, _ZERO, SLOT_RESET))


@njit(inline="always", **JIT)
def _masked_greedy(q, row, s, allowed, tie_random, key, index):
    """:func:`fastq.kernels.policy.greedy_action` over the allowed actions of ``s`` only."""
    A = q.shape[2]
    best = -np.inf
    for a in range(A):
        v = q[_u(row), _u(s), _u(a)]
        best = v if allowed[_u(s), _u(a)] and v > best else best
    count = 0
    for a in range(A):
        count += allowed[_u(s), _u(a)] and q[_u(row), _u(s), _u(a)] == best
    j = bounded(draw(key, index), count) if tie_random else 0
    chosen = 0
    seen = 0
    for a in range(A):
        tie = allowed[_u(s), _u(a)] and q[_u(row), _u(s), _u(a)] == best
        chosen = a if tie and seen == j else chosen
        seen += tie
    return chosen


@njit(inline="always", **JIT)
def _masked_max(q, row, s, allowed):
    best = -np.inf
    for a in range(q.shape[2]):
        v = q[_u(row), _u(s), _u(a)]
        best = v if allowed[_u(s), _u(a)] and v > best else best
    return best


# ---------------------------------------------------------------------------- batches
@njit(**JIT)
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


@njit(**JIT)
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
        # The step, written out here and in step_autoreset_batch: behind an inlined helper
        # numba's code ran 5 times slower (40 ns instead of 8 per stream).
        s, a = _u(states[i]), _u(actions[i])
        key = rng_state[i, KEY]
        step = rng_state[i, STEP]
        base = draw_index(rng_state[i, EPISODE], step, _ZERO)
        k = sample_outcome(cum_prob, s, a, key, base | _SLOT_TRANSITION)
        s2 = next_state[s, a, _u(k)]
        r = reward[s, a, _u(k)]
        std = reward_std[s, a]
        if std > 0.0:
            r += std * gaussian(draw(key, base | _SLOT_NOISE))
        step += _ONE
        rng_state[i, STEP] = step
        ends = terminal[_u(s2)]
        next_states[i] = s2
        rewards[i] = r
        terminated[i] = ends
        truncated[i] = (not ends) and np.int64(step) >= max_steps


@njit(**JIT)
def epsilon_greedy_batch(
    allowed, n_allowed, allowed_actions, all_allowed,
    q, states, epsilon, tie_random, rng_state,
    actions,
):
    """Epsilon-greedy actions for every stream, from the draws of its current step.

    With probability ``epsilon[i]`` a uniformly random allowed action
    (``allowed_actions[s, bounded(x, n_allowed[s])]``, which is ``bounded(x, A)`` when every
    action is allowed), otherwise a greedy one, ties broken at random (``tie_random``) or by the
    first maximiser -- :func:`fastq.kernels.policy.epsilon_greedy`, restricted to the allowed
    actions.  Draws: slots EXPLORE and ACTION of ``(episode, step)``; ``rng_state`` is not
    changed.

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
    for i in range(states.shape[0]):
        row = 0 if shared else i
        s = states[i]
        key = rng_state[i, KEY]
        base = draw_index(rng_state[i, EPISODE], rng_state[i, STEP], _ZERO)
        if all_allowed:
            actions[i] = epsilon_greedy(q, row, s, epsilon[i], tie_random, True, n_allowed,
                                        allowed_actions, key, base)
        else:
            explore = uniform(draw(key, base | _SLOT_EXPLORE)) < epsilon[i]
            greedy = _masked_greedy(q, row, s, allowed, tie_random, key, base | _SLOT_ACTION)
            j = bounded(draw(key, base | _SLOT_ACTION), n_allowed[_u(s)])
            actions[i] = allowed_actions[_u(s), _u(j)] if explore else greedy


@njit(**JIT)
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
    for i in range(states.shape[0]):
        row = 0 if shared else i
        s, a, s2, r = states[i], actions[i], next_states[i], rewards[i]
        if all_allowed:
            best = max_q(q, row, s2)
        else:
            best = _masked_max(q, row, s2, allowed)
        bootstrap = r + gamma[i] * best
        target = r if terminated[i] else bootstrap
        q_sa = q[_u(row), _u(s), _u(a)]
        q[_u(row), _u(s), _u(a)] = q_sa + alpha[i] * (target - q_sa)


@njit(**JIT)
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
        s, a = _u(states[i]), _u(actions[i])  # the step of step_batch
        key = rng_state[i, KEY]
        step = rng_state[i, STEP]
        base = draw_index(rng_state[i, EPISODE], step, _ZERO)
        k = sample_outcome(cum_prob, s, a, key, base | _SLOT_TRANSITION)
        s2 = next_state[s, a, _u(k)]
        r = reward[s, a, _u(k)]
        std = reward_std[s, a]
        if std > 0.0:
            r += std * gaussian(draw(key, base | _SLOT_NOISE))
        step += _ONE
        rng_state[i, STEP] = step
        ends = terminal[_u(s2)]
        cut = (not ends) and np.int64(step) >= max_steps
        rewards[i] = r
        terminated[i] = ends
        truncated[i] = cut
        if same_step and (ends or cut):
            final_states[i] = s2
            s2 = _reset_one(start_cum, rng_state, i)
        next_states[i] = s2
