"""Numpy twin of :mod:`fastq.kernels.rollouts`: the same primitives, vectorised over streams.

Same function names, signatures and in-place outputs as the kernels, the same draws and the same
floating-point operations in the same order, so the results are bit-identical (reward noise,
which calls ``log`` and ``cos``, agrees within 1e-12).  The one sequential case is a Q update on
one table shared by several streams: each update sees the previous ones, so it runs stream by
stream.
"""

from __future__ import annotations

import numpy as np

from ..rng import EPISODE, KEY, NOT_STARTED, SLOT_NOISE, SLOT_POLICY, SLOT_RESET, SLOT_TRANSITION, STEP
from .policy import gaussian, max_q, sample_start
from .rng import draw, draw_index, explores, pick, uniform

__all__ = [
    "EPISODE", "KEY", "NOT_STARTED", "STEP",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_batch",
    "step_autoreset_batch",
]

_SLOT_POLICY = np.uint64(SLOT_POLICY)
_SLOT_TRANSITION = np.uint64(SLOT_TRANSITION)
_SLOT_NOISE = np.uint64(SLOT_NOISE)


def _reset(start_cum, rng_state, idx):
    """Start the next episode of streams ``idx``; their start states."""
    started = rng_state[idx, STEP] != NOT_STARTED
    rng_state[idx[started], EPISODE] += np.uint64(1)
    rng_state[idx, STEP] = 0
    index = draw_index(rng_state[idx, EPISODE], 0, SLOT_RESET)
    return sample_start(start_cum, uniform(draw(rng_state[idx, KEY], index)))


def _step(next_state, cum_prob, reward, reward_std, terminal, max_steps, s, a, rng_state, idx):
    key = rng_state[idx, KEY]
    step = rng_state[idx, STEP]
    base = draw_index(rng_state[idx, EPISODE], step, 0)
    K = cum_prob.shape[2]
    u = uniform(draw(key, base | _SLOT_TRANSITION))
    k = (u[:, None] >= cum_prob[s, a, : K - 1]).sum(axis=1)
    s2 = next_state[s, a, k]
    r = reward[s, a, k]
    std = reward_std[s, a]
    noisy = std > 0.0
    if noisy.any():
        r = r.copy()
        r[noisy] = r[noisy] + std[noisy] * gaussian(draw(key[noisy], base[noisy] | _SLOT_NOISE))
    step = step + np.uint64(1)
    rng_state[idx, STEP] = step
    ends = terminal[s2]
    return s2, r, ends, ~ends & (step.astype(np.int64) >= max_steps)


def reset_batch(start_cum, rng_state, mask, states):
    """Start the next episode of every stream with ``mask[i]``; see the kernel."""
    idx = np.flatnonzero(mask)
    if idx.size:
        states[idx] = _reset(start_cum, rng_state, idx)


def step_batch(
    next_state, cum_prob, reward, reward_std, terminal, max_steps,
    states, actions, rng_state,
    next_states, rewards, terminated, truncated,
):
    """One step of every stream; see the kernel."""
    idx = np.arange(states.shape[0])
    s2, r, ends, cut = _step(next_state, cum_prob, reward, reward_std, terminal, max_steps,
                             states, actions, rng_state, idx)
    next_states[:] = s2
    rewards[:] = r
    terminated[:] = ends
    truncated[:] = cut


def _masked_greedy(q, rows, s, allowed, tie_random, x):
    q_s = q[rows, s]
    ok = allowed[s]
    best = np.where(ok, q_s, -np.inf).max(axis=1)
    ties = ok & (q_s == best[:, None])
    if not tie_random:
        return np.argmax(ties, axis=1)
    j = pick(x, ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > j[:, None], axis=1)


def epsilon_greedy_batch(
    allowed, n_allowed, allowed_actions, all_allowed,
    q, states, epsilon, tie_random, rng_state,
    actions,
):
    """Epsilon-greedy actions of every stream; see the kernel."""
    n = states.shape[0]
    rows = np.zeros(n, dtype=np.int64) if q.shape[0] == 1 else np.arange(n)
    x = draw(rng_state[:, KEY], draw_index(rng_state[:, EPISODE], rng_state[:, STEP], 0) | _SLOT_POLICY)
    greedy = _masked_greedy(q, rows, states, allowed, tie_random, x)
    random = allowed_actions[states, pick(x, n_allowed[states])]
    actions[:] = np.where(explores(x, epsilon), random, greedy)


def _max_next(q, rows, s2, allowed, all_allowed):
    if all_allowed:
        return max_q(q, rows, s2)
    return np.where(allowed[s2], q[rows, s2], -np.inf).max(axis=1)


def q_update_batch(
    allowed, all_allowed,
    q, states, actions, rewards, next_states, terminated, alpha, gamma,
):
    """The Q-learning update of every stream's transition, in place; see the kernel."""
    n = states.shape[0]
    if q.shape[0] == 1 and n > 1:
        # One shared table: update i may read what update i - 1 wrote, so go in stream order.
        for i in range(n):
            sl = slice(i, i + 1)
            q_update_batch(allowed, all_allowed, q, states[sl], actions[sl], rewards[sl],
                           next_states[sl], terminated[sl], alpha[sl], gamma[sl])
        return
    rows = np.zeros(n, dtype=np.int64) if q.shape[0] == 1 else np.arange(n)
    best = _max_next(q, rows, next_states, allowed, all_allowed)
    # Termination: no bootstrap.  Truncation still bootstraps from the real next state.
    target = np.where(terminated, rewards, rewards + gamma * best)
    q_sa = q[rows, states, actions]
    q[rows, states, actions] = q_sa + alpha * (target - q_sa)


def step_autoreset_batch(
    next_state, cum_prob, reward, reward_std, terminal, start_cum, max_steps,
    same_step, reset_mask,
    states, actions, rng_state,
    next_states, rewards, terminated, truncated, final_states,
):
    """One vector-environment step with Gymnasium's autoreset; see the kernel."""
    final_states[:] = -1
    resetting = reset_mask & (not same_step)
    stepping = np.flatnonzero(~resetting)
    if stepping.size:
        s2, r, ends, cut = _step(next_state, cum_prob, reward, reward_std, terminal, max_steps,
                                 states[stepping], actions[stepping], rng_state, stepping)
        next_states[stepping] = s2
        rewards[stepping] = r
        terminated[stepping] = ends
        truncated[stepping] = cut
        if same_step:
            over = stepping[ends | cut]
            if over.size:
                final_states[over] = next_states[over]
                next_states[over] = _reset(start_cum, rng_state, over)
    again = np.flatnonzero(resetting)
    if again.size:
        next_states[again] = _reset(start_cum, rng_state, again)
        rewards[again] = 0.0
        terminated[again] = False
        truncated[again] = False
