r"""The low-level batched API: fastq's compiled models and stepping, for other packages.

Four primitives run ``n`` independent *streams* (environments, agents) one step at a time::

    rng_state              = make_rng_state(seed, agents=n)
    states                 = reset_batch(env, rng_state, mask=None, states=None)
    actions                = epsilon_greedy_batch(env, rng_state, q, states, epsilon, tie_break="random")
    next, r, term, trunc   = step_batch(env, rng_state, states, actions)
    q_update_batch(env, q, states, actions, r, next, term, alpha=alpha, gamma=gamma)   # q in place

The vocabulary is :func:`fastq.train`'s: ``env`` is a name, a GridWorld or a TabularMDP; the
stream state ``rng_state`` comes right after it (as the key in gymnax); hyperparameters are
keywords.  (Before 0.2, ``env`` was ``mdp``, ``rng_state`` came last, ``make_rng_state`` took
``n``: those spellings still work, with a ``DeprecationWarning``.)

Array contracts (``n`` streams, ``S`` states, ``A`` actions):

==============  ==================  =======  ===============================================
argument        shape               dtype    owner / lifetime
==============  ==================  =======  ===============================================
``rng_state``   (n, 3)              uint64   caller; updated in place (C-contiguous, writeable)
``states``      (n,)                integer  caller; read (``reset_batch``: written in place
                                             if passed)
``actions``     (n,)                integer  caller; read
``q``           (n, S, A)/(1, S, A) float64  caller; read, or updated in place by
                                             ``q_update_batch`` (C-contiguous, writeable)
``epsilon``,    scalar or (n,)      float    caller; read
``alpha``,
``gamma``
returned        (n,)                int64 /  new arrays owned by the caller
arrays                              float64
                                    / bool
==============  ==================  =======  ===============================================

``rng_state`` rows are ``(key, episode, step)`` (columns :data:`KEY`, :data:`EPISODE`,
:data:`STEP`); :func:`make_rng_state` builds them.  Every random number follows
:mod:`fastq.rng`: ``reset_batch`` starts the stream's next episode (the ``k``-th reset starts
episode ``k``), ``epsilon_greedy_batch`` uses the explore and action slots of the current
``(episode, step)``, ``step_batch`` its transition slot and then advances ``step``.  A loop of
these four over streams ``make_rng_state(seed, n)`` reproduces :func:`fastq.train`'s Q-learning
bit for bit (see ``docs/backend.md``).

Each function validates its arguments (a ``ValueError`` or ``TypeError`` naming the argument)
and then calls one compiled kernel, or its numpy twin with ``backend="numpy"`` (bit-identical).
The kernels themselves are numba-callable from other ``@njit`` code, unvalidated:
:data:`reset_batch_jit`, :data:`step_batch_jit`, :data:`epsilon_greedy_batch_jit`,
:data:`q_update_batch_jit` (signatures in :mod:`fastq.kernels.rollouts`).

Examples
--------
>>> import numpy as np
>>> import fastq
>>> from fastq import core
>>> mdp = fastq.make("FrozenLake-4x4").mdp
>>> rng_state = core.make_rng_state(seed=0, agents=3)
>>> states = core.reset_batch(mdp, rng_state)
>>> states.tolist()
[0, 0, 0]
>>> q = np.zeros((3, mdp.n_states, mdp.n_actions))
>>> actions = core.epsilon_greedy_batch(mdp, rng_state, q, states, 0.1)
>>> nxt, rewards, terminated, truncated = core.step_batch(mdp, rng_state, states, actions)
>>> core.q_update_batch(mdp, q, states, actions, rewards, nxt, terminated, alpha=0.1, gamma=0.99)
>>> rng_state[:, core.STEP].tolist()
[1, 1, 1]
"""

from __future__ import annotations

import numpy as np

from . import _deprecation, _validate
from .algos import TIE_BREAKS
from ._validate import ArgumentError, ArgumentTypeError
from .algos import BACKENDS
from .envs import as_mdp
from .kernels import rollouts as _kernels
from .mdp import TabularMDP
from .rng import EPISODES_LIMIT, MAX_STEPS_LIMIT, SEED_LIMIT, stream_keys

#: Columns of ``rng_state``: the stream key, the episode, the step within the episode.
KEY, EPISODE, STEP = _kernels.KEY, _kernels.EPISODE, _kernels.STEP
#: ``rng_state[i, STEP]`` before the stream's first reset.
NOT_STARTED = _kernels.NOT_STARTED
#: Memory of one stream made by :func:`make_rng_state`: its row, and its seed, id and key while
#: they are computed.
STREAM_BYTES = 64

#: The numba kernels, callable from other ``@njit`` functions (no validation: see
#: :mod:`fastq.kernels.rollouts` for their array arguments).
reset_batch_jit = _kernels.reset_batch
step_batch_jit = _kernels.step_batch
epsilon_greedy_batch_jit = _kernels.epsilon_greedy_batch
q_update_batch_jit = _kernels.q_update_batch

__all__ = [
    "EPISODE", "KEY", "NOT_STARTED", "STEP",
    "epsilon_greedy_batch", "epsilon_greedy_batch_jit", "make_rng_state", "q_update_batch",
    "q_update_batch_jit", "reset_batch", "reset_batch_jit", "step_batch", "step_batch_jit",
]


@_deprecation.renamed(n="agents")
def make_rng_state(seed, agents: int, *, agent_ids=None) -> np.ndarray:
    """Fresh stream states: stream ``i`` gets the random stream of agent ``agent_ids[i]`` under
    root seed ``seed[i]``, exactly as :func:`fastq.train` does, and has not been reset yet.

    Parameters
    ----------
    seed : int or (agents,) array of int, 0 <= seed < 2**64
        Root seed(s).
    agents : int, >= 1
        Number of streams (``n=`` is its deprecated name).
    agent_ids : (agents,) array of int, optional
        Agent index of each stream (default ``0 .. agents-1``).  Gymnasium's rule for vector
        environments (sub-environment ``i`` seeded with ``seed + i``) is
        ``make_rng_state(seed + np.arange(n), n, agent_ids=np.zeros(n, int))``.

    Returns
    -------
    (n, 3) uint64 array
        Rows ``(key, episode, step)`` = ``(fastq.rng.key(seed[i], agent_ids[i]), 0,
        NOT_STARTED)``.

    Examples
    --------
    >>> from fastq import core, rng
    >>> state = core.make_rng_state(7, 2)
    >>> int(state[1, core.KEY]) == rng.key(7, 1), int(state[1, core.EPISODE])
    (True, 0)
    """
    n = _validate.integer("agents", agents, low=1)
    _validate.memory(f"make_rng_state(agents={n})", n * STREAM_BYTES, advice="use fewer streams")
    seeds = _validate.per_agent_int("seed", seed, n, high=SEED_LIMIT)
    ids = (np.arange(n, dtype=np.uint64) if agent_ids is None
           else _validate.per_agent_int("agent_ids", agent_ids, n, high=2**63 - 1))
    state = np.zeros((n, 3), dtype=np.uint64)
    state[:, KEY] = stream_keys(seeds, ids)
    state[:, STEP] = NOT_STARTED
    return state


# ---------------------------------------------------------------------------- validation
def _module(backend: str):
    _validate.choice("backend", backend, BACKENDS)
    if backend == "numba":
        return _kernels
    from .reference import rollouts

    return rollouts


def _model(env) -> TabularMDP:
    return env if isinstance(env, TabularMDP) else as_mdp(env)


def _is_rng_state(value) -> bool:
    """What tells ``rng_state`` apart from the other arguments: a 2-D uint64 array."""
    return isinstance(value, np.ndarray) and value.dtype == np.uint64 and value.ndim == 2


def _running(rng_state: np.ndarray, mdp: TabularMDP, what: str, last: int = 0) -> None:
    """Every stream has been reset and is at most ``last`` steps past the end of its episode
    (0: it can take another step; 1: it may also have just been truncated)."""
    step = rng_state[:, STEP]
    fresh = step == NOT_STARTED
    if fresh.any():
        i = int(np.flatnonzero(fresh)[0])
        raise ArgumentError("rng_state", f"{what}: stream {i} has not been reset yet; call reset_batch first")
    over = step >= np.uint64(min(mdp.max_steps + last, MAX_STEPS_LIMIT))
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise ArgumentError(
            "rng_state", f"{what}: the episode of stream {i} is over (it reached max_steps={mdp.max_steps}); "
            "call reset_batch for it first"
        )


# ---------------------------------------------------------------------------- primitives
@_deprecation.renamed(mdp="env")
def reset_batch(env, rng_state, mask=None, states=None, *, backend: str = "numba") -> np.ndarray:
    """Start the next episode of every stream (or of the streams in ``mask``).

    Stream ``i``'s ``k``-th reset starts episode ``k``: ``rng_state[i, EPISODE]`` becomes ``k``
    (it stays 0 on the first reset), ``rng_state[i, STEP]`` becomes 0, and the start state is
    drawn from the start distribution with the reset slot of ``(episode, 0)``.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment, as :func:`fastq.train` takes it.
    rng_state : (n, 3) uint64
        Stream states (:func:`make_rng_state`), updated in place.
    mask : (n,) bool, optional
        Reset only these streams (default: all).
    states : (n,) int64, optional
        Written in place at the reset streams and returned (must be C-contiguous and
        writeable); default: a new array, holding -1 for streams not reset.
    backend : {"numba", "numpy"}

    Returns
    -------
    (n,) int64
        ``states``: the start states of the reset streams.

    Examples
    --------
    >>> import fastq
    >>> from fastq import core
    >>> rng_state = core.make_rng_state(0, 2)
    >>> core.reset_batch("CliffWalking", rng_state).tolist()
    [36, 36]
    >>> _ = core.reset_batch("CliffWalking", rng_state, mask=np.array([False, True]))
    >>> rng_state[:, core.EPISODE].tolist()
    [0, 1]
    """
    mdp = _model(env)
    n = _validate.rng_state("rng_state", rng_state)
    module = _module(backend)
    mask = np.ones(n, dtype=np.bool_) if mask is None else _validate.mask("mask", mask, n)
    if states is None:
        states = np.full(n, -1, dtype=np.int64)
    elif (not isinstance(states, np.ndarray) or states.dtype != np.int64 or states.shape != (n,)
          or not states.flags.c_contiguous or not states.flags.writeable):
        raise ArgumentTypeError(
            "states", f"states must be a writeable C-contiguous int64 array of shape ({n},) (it is written in place)")
    step, episode = rng_state[:, STEP], rng_state[:, EPISODE]
    last = mask & (step != NOT_STARTED) & (episode >= np.uint64(EPISODES_LIMIT - 1))
    if last.any():
        i = int(np.flatnonzero(last)[0])
        raise ArgumentError(
            "rng_state", f"reset_batch: stream {i} has run {EPISODES_LIMIT} episodes, the most the random stream allows"
        )
    module.reset_batch(mdp.start_cum, rng_state, mask, states)
    return states


@_deprecation.renamed(mdp="env")
@_deprecation.reordered(("env", "states", "actions", "rng_state"), "rng_state", _is_rng_state)
def step_batch(env, rng_state, states, actions, *, backend: str = "numba"):
    """Take ``actions[i]`` in ``states[i]`` for every stream: one step of each episode.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
    rng_state : (n, 3) uint64
        Updated in place: ``step += 1``.  Every stream must have been reset, and its episode
        must not have ended (a terminal state or ``max_steps`` steps).
    states : (n,) int
        Current states, none terminal.
    actions : (n,) int
        Actions in ``[0, A)``, allowed in their state (``mdp.allowed``).
    backend : {"numba", "numpy"}

    Returns
    -------
    next_states : (n,) int64
    rewards : (n,) float64
        ``reward[s, a, k]`` of the sampled outcome, plus Gaussian noise where
        ``mdp.reward_std[s, a] > 0``.
    terminated : (n,) bool
        The state entered is terminal.
    truncated : (n,) bool
        This step reached ``mdp.max_steps`` and did not terminate.

    Examples
    --------
    >>> import numpy as np
    >>> import fastq
    >>> from fastq import core
    >>> mdp = fastq.make("CliffWalking").mdp
    >>> rng_state = core.make_rng_state(0, 2)
    >>> s = core.reset_batch(mdp, rng_state)
    >>> nxt, r, term, trunc = core.step_batch(mdp, rng_state, s, np.array([0, 1]))  # up, right
    >>> nxt.tolist(), r.tolist()
    ([24, 36], [-1.0, -100.0])
    """
    mdp = _model(env)
    n = _validate.rng_state("rng_state", rng_state)
    module = _module(backend)
    states = _validate.indices("states", states, n, mdp.n_states)
    actions = _validate.indices("actions", actions, n, mdp.n_actions)
    _running(rng_state, mdp, "step_batch")
    ended = mdp.terminal[states]
    if ended.any():
        i = int(np.flatnonzero(ended)[0])
        raise ArgumentError(
            "states", f"states must not be terminal, got state {states[i]} (terminal) at index {i}; "
            "its episode has ended: call reset_batch for it"
        )
    if not mdp.all_allowed:
        barred = ~mdp.allowed[states, actions]
        if barred.any():
            i = int(np.flatnonzero(barred)[0])
            raise ArgumentError("actions", f"actions[{i}] = {actions[i]} is not allowed in state {states[i]} (see mdp.allowed)")
    next_states = np.empty(n, dtype=np.int64)
    rewards = np.empty(n, dtype=np.float64)
    terminated = np.empty(n, dtype=np.bool_)
    truncated = np.empty(n, dtype=np.bool_)
    module.step_batch(
        mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal, mdp.max_steps,
        states, actions, rng_state,
        next_states, rewards, terminated, truncated,
    )
    return next_states, rewards, terminated, truncated


@_deprecation.renamed(mdp="env")
@_deprecation.reordered(("env", "q", "states", "epsilon", "rng_state"), "rng_state", _is_rng_state)
def epsilon_greedy_batch(env, rng_state, q, states, epsilon, *, tie_break: str = "random",
                         backend: str = "numba") -> np.ndarray:
    """Epsilon-greedy actions with respect to ``q``, one per stream, from its current step's draws.

    With probability ``epsilon[i]`` a uniformly random allowed action, otherwise a greedy one
    (ties: uniformly at random, or the first maximiser with ``tie_break="first"``).  The draws
    are those :func:`fastq.train` makes at the same ``(episode, step)``; ``rng_state`` is not
    changed (:func:`step_batch` advances it).

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        Supplies the allowed actions (``mdp.allowed``).
    rng_state : (n, 3) uint64
        Every stream must have been reset.  A stream just truncated (``step == max_steps``)
        may still choose, with the draws of step ``max_steps``: SARSA's bootstrap action.
    q : (n, S, A) or (1, S, A) float64
        One table per stream, or one shared table.
    states : (n,) int
    epsilon : float or (n,) array, 0 <= epsilon <= 1
    tie_break : {"random", "first"}
    backend : {"numba", "numpy"}

    Returns
    -------
    (n,) int64

    Examples
    --------
    >>> import numpy as np
    >>> import fastq
    >>> from fastq import core
    >>> mdp = fastq.make("FrozenLake-4x4").mdp
    >>> rng_state = core.make_rng_state(0, 4)
    >>> s = core.reset_batch(mdp, rng_state)
    >>> q = np.zeros((1, 16, 4)); q[0, 0, 2] = 1.0                 # one shared table
    >>> core.epsilon_greedy_batch(mdp, rng_state, q, s, 0.0).tolist()
    [2, 2, 2, 2]
    """
    mdp = _model(env)
    n = _validate.rng_state("rng_state", rng_state)
    module = _module(backend)
    q = _validate.q_table("q", q, n, mdp.n_states, mdp.n_actions, writable=False)
    states = _validate.indices("states", states, n, mdp.n_states)
    epsilon = _validate.per_agent("epsilon", epsilon, n, **_validate.HYPERPARAMETERS["epsilon"])
    _validate.choice("tie_break", tie_break, TIE_BREAKS)
    _running(rng_state, mdp, "epsilon_greedy_batch", last=1)
    actions = np.empty(n, dtype=np.int64)
    module.epsilon_greedy_batch(
        mdp.allowed, mdp.n_allowed, mdp.allowed_actions, mdp.all_allowed,
        q, states, epsilon, tie_break == "random", rng_state,
        actions,
    )
    return actions


@_deprecation.renamed(mdp="env")
@_deprecation.keyword_only("alpha", "gamma")
def q_update_batch(env, q, states, actions, rewards, next_states, terminated, *, alpha, gamma,
                   backend: str = "numba") -> None:
    """Apply the Q-learning update of each stream's transition to ``q``, in place.

    ``q[i, s, a] += alpha[i] * (target - q[i, s, a])``, ``target = r`` if ``terminated[i]``,
    else ``r + gamma[i] * max_{a' allowed} q[i, s', a']`` (also on truncation: the time limit is
    not part of the MDP).  With a shared table (``q.shape[0] == 1``) the updates are applied in
    stream order.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
    q : (n, S, A) or (1, S, A) float64, C-contiguous, writeable
    states, actions, next_states : (n,) int
    rewards : (n,) float
    terminated : (n,) bool
    alpha : float or (n,) array, 0 < alpha <= 1
        Keyword-only, as in :func:`fastq.train` (by position: deprecated).
    gamma : float or (n,) array, 0 <= gamma <= 1
    backend : {"numba", "numpy"}

    Examples
    --------
    >>> import numpy as np
    >>> import fastq
    >>> from fastq import core
    >>> mdp = fastq.make("CliffWalking").mdp
    >>> q = np.zeros((1, 48, 4))
    >>> core.q_update_batch(mdp, q, [36], [1], [-100.0], [36], [False], alpha=0.5, gamma=1.0)
    >>> float(q[0, 36, 1])
    -50.0
    """
    mdp = _model(env)
    module = _module(backend)
    states_arr = np.asarray(states)
    if states_arr.ndim != 1 or states_arr.shape[0] < 1:
        raise ArgumentError("states", f"states must be a 1-D array with one entry per stream, got shape {states_arr.shape}")
    n = states_arr.shape[0]
    q = _validate.q_table("q", q, n, mdp.n_states, mdp.n_actions, writable=True)
    states = _validate.indices("states", states_arr, n, mdp.n_states)
    actions = _validate.indices("actions", actions, n, mdp.n_actions)
    next_states = _validate.indices("next_states", next_states, n, mdp.n_states)
    rewards = _validate.reals("rewards", rewards, n)
    terminated = _validate.mask("terminated", terminated, n)
    alpha = _validate.per_agent("alpha", alpha, n, **_validate.HYPERPARAMETERS["alpha"])
    gamma = _validate.per_agent("gamma", gamma, n, **_validate.HYPERPARAMETERS["gamma"])
    module.q_update_batch(
        mdp.allowed, mdp.all_allowed,
        q, states, actions, rewards, next_states, terminated, alpha, gamma,
    )
