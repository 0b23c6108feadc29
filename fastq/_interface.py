"""The kernel interface: the named structures a learner kernel and its numpy twin take.

:func:`fastq.train` hands every learner -- the numba kernel of :mod:`fastq.kernels.learners`
and its twin in :mod:`fastq.reference.learners` -- the same arguments, in a fixed order::

    run(model, hyper, keys, episode_start, episode_stop, state, out, agent_start, agent_stop)

- ``model`` (:class:`Model`): the environment, read-only, built once per :class:`TabularMDP`
  (:func:`kernel_model`);
- ``hyper`` (:class:`Hyper`): per-agent hyperparameters and schedule tables;
- ``keys``: one stream key per agent (:func:`fastq.rng.stream_keys`);
- ``episode_start, episode_stop``: the episodes to run; they address the random stream and the
  output columns;
- ``state`` (:class:`State`): the learner's tables, updated in place;
- ``out`` (:class:`Outputs`): per-episode results, written in place;
- ``agent_start, agent_stop``: the agents to run.  Agent ``i`` reads the shared model and writes
  only its own rows, so disjoint ranges can run at once on different threads
  (:mod:`fastq._parallel`).

What is fixed when a kernel is compiled is a :class:`Variant`: the learner and every option that
changes the code of a step.  This module imports neither numba nor the kernels, so the numpy
reference depends on it and not on :mod:`fastq.kernels`.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

#: Algorithm codes, in the order of :data:`fastq.algos.ALGORITHMS`: control with one step ...
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q, DYNA_Q = 0, 1, 2, 3, 4
#: ... prediction of a fixed policy's values ...
TD, N_STEP_TD, TD_LAMBDA, MC_PREDICTION = 5, 6, 7, 8
#: ... and control with more than one step.
N_STEP_SARSA, SARSA_LAMBDA, Q_LAMBDA, MC_CONTROL = 9, 10, 11, 12
#: The prediction learners: they learn V of a given policy instead of Q.
PREDICTION = (TD, N_STEP_TD, TD_LAMBDA, MC_PREDICTION)
#: The learners with eligibility traces, and those that keep the steps of an episode in a buffer.
TRACES = (TD_LAMBDA, SARSA_LAMBDA, Q_LAMBDA)
BUFFERED = (N_STEP_TD, MC_PREDICTION, N_STEP_SARSA, MC_CONTROL)
#: Kinds of eligibility trace (:attr:`Variant.trace`).
ACCUMULATING, REPLACING, DUTCH = 0, 1, 2

#: Actions of the models whose greedy choice takes the table path (compass grids).
TABLE_ACTIONS = 4
#: Width of a row of :data:`TIE_TABLE`: a multiple of every tie count 1..4 (see below).
TIE_WIDTH = 12


def _tie_table() -> np.ndarray:
    """``TIE_TABLE[m * 12 + r]``: action ``bits(m)[r * popcount(m) // 12]`` of the 4-bit mask ``m``.

    With ``r = pick(x, 12)``, ``r * c // 12 == pick(x, c)`` for every ``c`` dividing 12 (so for
    ``c`` in 1..4): one lookup gives the ``pick(x, c)``-th set bit of ``m`` -- the random tie
    among ``c`` greedy actions (``m`` their mask), or the random action among the ``c`` allowed
    ones (``m`` the mask of allowed actions) -- without computing ``c``.  Row 0 is never read.
    """
    table = np.zeros(16 * TIE_WIDTH, dtype=np.int64)
    for m in range(1, 16):
        bits = [b for b in range(TABLE_ACTIONS) if m >> b & 1]
        for r in range(TIE_WIDTH):
            table[m * TIE_WIDTH + r] = bits[r * len(bits) // TIE_WIDTH]
    table.flags.writeable = False
    return table


TIE_TABLE = _tie_table()


class Variant(NamedTuple):
    """What a compiled learner kernel is specialised for; each field is a compile-time constant.

    Two calls with the same variant (and table dtype) share one compiled kernel; numba removes
    the code of every option a variant leaves out.
    """

    #: Algorithm code (:data:`Q_LEARNING` ...).
    algo: int
    #: Boltzmann exploration instead of epsilon-greedy.
    softmax: bool
    #: Ties among greedy actions broken at random (else the first maximiser).
    tie_random: bool
    #: Count-based step sizes ``1 / n(s, a) ** power``.
    visits: bool
    #: Gaussian reward noise somewhere in the model.
    noisy: bool
    #: Some action is disallowed somewhere.
    masked: bool
    #: ``TABLE_ACTIONS`` when the model has exactly 4 actions (unrolled code), 0 for any number.
    actions: int
    #: 1 (deterministic) or 3 outcomes as constants (unrolled code), 0 for any number.
    outcomes: int
    #: Agents stepped in turn by one thread (their steps overlap in the processor).
    lanes: int
    #: Prefetch the outcome blocks of each state (large models, see :mod:`fastq.kernels._llvm`).
    prefetch: bool
    #: The kind of eligibility trace of the trace learners (:data:`ACCUMULATING`,
    #: :data:`REPLACING`, :data:`DUTCH`: true online TD(lambda)); 0 for the others.
    trace: int = ACCUMULATING
    #: Monte Carlo updates only the first visit of a state (pair) in an episode.
    first_visit: bool = False
    #: Record the mean squared TD error of each episode's updates (``Outputs.loss``).
    loss: bool = False


class Model(NamedTuple):
    """A :class:`fastq.TabularMDP` as the kernels read it (read-only arrays; see :func:`kernel_model`).

    ``outcomes`` is the kernels' layout: per ``(s, a)`` a block of ``block = 3K - 1`` int64 words
    at ``(s * A + a) * block``: the ``K - 1`` sampling thresholds ``ceil(cum_prob * 2**53)``,
    then each outcome's next state with ``terminal[next] << 32``, then the bits of each
    outcome's float64 reward -- what a step reads once it knows its action, in one or two cache
    lines (one exactly when ``K = 3``: 64 bytes, aligned).  The other arrays are those of the
    model (the reference reads ``next_state``, ``reward`` and ``threshold``).
    """

    outcomes: np.ndarray        # (S * A * block,) int64
    threshold: np.ndarray       # (S, A, K) int64: ceil(cum_prob * 2**53)
    next_state: np.ndarray      # (S, A, K) int64
    reward: np.ndarray          # (S, A, K) float64
    reward_std: np.ndarray      # (S, A) float64
    terminal: np.ndarray        # (S,) bool
    goal: np.ndarray            # (S,) bool
    start_cum: np.ndarray       # (S,) float64
    allowed_mask: np.ndarray    # (S,) int64: bit a set when action a is allowed (A <= 62)
    n_allowed: np.ndarray       # (S,) int64
    allowed_actions: np.ndarray  # (S, A) int64
    tie_table: np.ndarray       # (16 * TIE_WIDTH,) int64
    n_states: int
    n_actions: int
    n_outcomes: int
    block: int
    max_steps: int


class Hyper(NamedTuple):
    """Per-agent hyperparameters.  A schedule is a ``(rows, width)`` float64 table and an
    ``(agents,)`` int64 row per agent: agent ``i``'s value in episode ``e`` is
    ``table[row[i], min(e, width - 1)]`` (a constant has width 1)."""

    gamma: np.ndarray              # (agents,) float64
    alpha_table: np.ndarray
    alpha_row: np.ndarray
    alpha_power: np.ndarray        # (agents,) float64, used with Variant.visits
    epsilon_table: np.ndarray
    epsilon_row: np.ndarray
    temperature_table: np.ndarray
    temperature_row: np.ndarray
    planning_steps: int            # Dyna-Q's planning updates per real step
    lam: np.ndarray                # (agents,) float64: the trace decay lambda
    n: np.ndarray                  # (agents,) int64: the steps of n-step returns
    policy_threshold: np.ndarray   # (rows, S, A) int64: a fixed policy's ceil(cumulative * 2**53)
    policy_row: np.ndarray         # (agents,) int64: each agent's row of policy_threshold
    true_values: np.ndarray        # (rows, S) float64: the policy's exact values (prediction)
    true_row: np.ndarray           # (agents,) int64: each agent's row of true_values


class State(NamedTuple):
    """The learner's tables, updated in place.  ``q``, ``q_ab``, ``model_reward``, ``v`` and
    ``trace`` are all float64 or all float32 (``train(dtype=...)``; updates are computed in
    float64 either way).  Arrays a learner does not use may have any shape (the caller passes
    small placeholders)."""

    q: np.ndarray             # (agents, S, A): the values the policy acts on
    q_ab: np.ndarray          # (2 * agents, S, A): Double Q's tables A (row 2i) and B (row 2i + 1)
    counts: np.ndarray        # (agents, S, A) int64: updates of each pair (visits)
    model_next: np.ndarray    # (agents, S, A) int64: Dyna-Q's model, -1 for pairs never seen
    model_reward: np.ndarray  # (agents, S, A): Dyna-Q's model rewards
    seen: np.ndarray          # (agents, S * A) int64: Dyna-Q's seen pairs s * A + a, in order
    n_seen: np.ndarray        # (agents,) int64
    v: np.ndarray             # (agents, S): the prediction learners' state values
    trace: np.ndarray         # (agents, S) or (agents, S, A): eligibility traces, 0 between episodes
    active: np.ndarray        # (agents, S or S * A) int64: the entries with a trace, in order
    n_active: np.ndarray      # (agents,) int64
    steps: np.ndarray         # (agents, B, 3) int64: an episode's buffer of (state, action, reward bits)
    first: np.ndarray         # (agents, S or S * A) int64: last episode (+ 1) each entry was updated in


class Outputs(NamedTuple):
    """Per-episode results, (agents, episodes): undiscounted return, steps, goal entered; the
    mean squared TD error of the episode's updates (``Variant.loss``; else a placeholder); and
    for prediction, (agents, episodes + 1), the RMS error of V over the non-terminal states
    after each episode (column 0, before any learning, is filled by the caller)."""

    returns: np.ndarray    # float64
    lengths: np.ndarray    # int32; a length > 0 marks a finished episode
    successes: np.ndarray  # bool
    loss: np.ndarray       # float64
    rms_error: np.ndarray  # float64


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _aligned(n: int, dtype, alignment: int = 64) -> np.ndarray:
    """A zeroed 1-D array of ``n`` elements whose data starts on an ``alignment``-byte boundary."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(n + alignment // itemsize, dtype=dtype)
    skip = (-raw.ctypes.data % alignment) // itemsize
    return raw[skip: skip + n]


def outcome_blocks(mdp) -> np.ndarray:
    """The packed ``outcomes`` array of :class:`Model` for ``mdp`` (see there)."""
    S, A, K = mdp.shape
    block = 3 * K - 1
    words = _aligned(S * A * block, np.int64)
    blocks = words.reshape(S, A, block)
    blocks[:, :, : K - 1] = np.ceil(mdp.cum_prob[:, :, : K - 1] * 2.0**53).astype(np.int64)
    blocks[:, :, K - 1: 2 * K - 1] = mdp.next_state + (mdp.terminal[mdp.next_state].astype(np.int64) << 32)
    blocks[:, :, 2 * K - 1:] = mdp.reward.view(np.int64)
    return _frozen(words)


_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def kernel_model(mdp) -> Model:
    """The :class:`Model` of a :class:`fastq.TabularMDP`, built once per model object.

    Examples
    --------
    >>> import fastq
    >>> from fastq._interface import kernel_model
    >>> m = kernel_model(fastq.make("FrozenLake-4x4").mdp)
    >>> m.block, m.outcomes.shape, int(m.outcomes[2] & 0xFFFFFFFF)  # (s, a) = (0, 0): next of outcome 0
    (8, (512,), 0)
    """
    cached = _MODELS.get(mdp)
    if cached is not None:
        return cached
    S, A, K = mdp.shape
    threshold = np.ceil(mdp.cum_prob * 2.0**53).astype(np.int64)  # exact: see fastq.rng.outcome_threshold
    bits = np.int64(1) << np.arange(min(A, 62), dtype=np.int64)
    allowed_mask = (mdp.allowed[:, : bits.size] * bits).sum(axis=1) if A <= 62 else np.zeros(S, np.int64)
    model = Model(
        outcomes=outcome_blocks(mdp), threshold=_frozen(threshold), next_state=mdp.next_state,
        reward=mdp.reward, reward_std=mdp.reward_std, terminal=mdp.terminal, goal=mdp.goal,
        start_cum=mdp.start_cum, allowed_mask=_frozen(np.ascontiguousarray(allowed_mask, dtype=np.int64)),
        n_allowed=mdp.n_allowed, allowed_actions=mdp.allowed_actions, tie_table=TIE_TABLE,
        n_states=S, n_actions=A, n_outcomes=K, block=3 * K - 1, max_steps=mdp.max_steps,
    )
    _MODELS[mdp] = model
    return model
