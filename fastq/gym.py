r"""Gymnasium in both directions: tabular Gymnasium environments as fastq models, fastq models
as Gymnasium environments (one and vectorised), and Gymnasium ids for the built-ins.

Needs the optional extra ``fastq-rl[gym]``; ``import fastq`` never imports Gymnasium (this
module does).

**Gymnasium -> fastq.**  :func:`from_gymnasium` reads ``env.unwrapped.P`` -- ``P[s][a]`` is a
list of ``(probability, next_state, reward, terminated)`` -- into a :class:`fastq.TabularMDP`,
outcome by outcome and in the same order (``K`` is the longest list), so fastq's sampler maps a
uniform number to the same outcome as Gymnasium's ``categorical_sample``.  fastq ends an episode
by the state entered, Gymnasium by the transition, so:

- a state is *terminal* when some transition with positive probability enters it with
  ``terminated=True``; every transition from a state reachable from the start distribution must
  then agree (enter terminal states with ``terminated=True`` and no other), else the import is
  refused, naming the transition.  Rows of terminal states are replaced by an absorbing
  self-loop with reward 0 (fastq never reads them);
- *goals* are the terminal states, except on maps with a ``desc`` (FrozenLake), where they are
  the ``G`` cells;
- the start distribution is ``initial_state_distrib`` (Taxi's included);
- ``max_steps`` is the registered spec's ``max_episode_steps`` (FrozenLake 100 / 200, Taxi 200),
  or :data:`DEFAULT_MAX_STEPS` where the spec has none (CliffWalking), as in
  :func:`fastq.make`.

Supported and tested with Gymnasium 1.4: ``FrozenLake-v1`` and ``FrozenLake8x8-v1`` with any
``desc`` / ``map_name``, ``is_slippery``, ``success_rate`` and ``reward_schedule``;
``CliffWalking-v1`` and ``CliffWalkingSlippery-v1`` (``is_slippery=True``); ``Taxi-v4`` with
``is_rainy`` and ``rainy_probability`` (``Taxi-v3`` is not registered in Gymnasium 1.4).
Taxi's ``fickle_passenger`` is refused: its destination change happens in ``step()``, outside
``P``.  Environments without ``P`` or without Discrete spaces are refused with a message.

**fastq -> Gymnasium.**  :class:`TabularEnv` is a ``gymnasium.Env`` over any fastq environment;
:class:`TabularVectorEnv` is a ``gymnasium.vector.VectorEnv`` that steps all its
sub-environments in one compiled call (:func:`fastq.kernels.rollouts.step_autoreset_batch`).
Both draw every random number from fastq's counter-based stream (:mod:`fastq.core`):
``TabularEnv`` seeded with ``seed`` uses stream ``key(seed, 0)``, and sub-environment ``i`` of a
``TabularVectorEnv`` reset with ``seed`` uses ``key(seed + i, 0)`` (Gymnasium's ``seed + i``
rule), so it behaves exactly as a ``TabularEnv`` seeded with ``seed + i``: its ``k``-th episode
is a pure function of ``(seed + i, k)`` and the actions.

**Registration.**  ``fastq/<name>-v0`` for every :func:`fastq.list_envs` name
(``fastq/FrozenLake-8x8-v0``, ...), with ``TabularEnv`` as entry point and ``TabularVectorEnv``
as vector entry point (``gymnasium.make_vec`` uses it).  The ids are registered when this
module is imported, which happens on ``import fastq`` if Gymnasium is already imported, and
otherwise as soon as Gymnasium is imported after fastq; ``gymnasium.make("fastq.gym:fastq/...")``
works in any case.
"""

from __future__ import annotations

import math
import numbers

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import _validate
from .core import make_rng_state
from .envs import list_envs, make
from .grid import GridWorld
from .kernels import rollouts as _kernels
from .mdp import SUM_TOL, TabularMDP, as_mdp
from .rng import EPISODES_LIMIT, MAX_STEPS_LIMIT, SEED_LIMIT

__all__ = [
    "DEFAULT_MAX_STEPS", "TabularEnv", "TabularVectorEnv", "from_gymnasium", "gym_id", "register_envs",
]

#: ``max_steps`` of an imported environment whose spec sets no time limit (fastq's CliffWalking cap).
DEFAULT_MAX_STEPS = 10_000
#: Gymnasium namespace of fastq's environments.
NAMESPACE = "fastq"

# Action names of the Gymnasium environments fastq knows (by class name).
_ACTION_NAMES = {
    "FrozenLakeEnv": ("left", "down", "right", "up"),
    "CliffWalkingEnv": ("up", "right", "down", "left"),
    "TaxiEnv": ("south", "north", "east", "west", "pickup", "dropoff"),
}


# ================================================================ Gymnasium -> fastq
def from_gymnasium(env_or_id, **make_kwargs) -> TabularMDP:
    """The :class:`fastq.TabularMDP` of a tabular Gymnasium environment.

    Parameters
    ----------
    env_or_id : str or gymnasium.Env
        A registered id (``"FrozenLake-v1"``, ``"Taxi-v4"``, ...), made with
        ``gymnasium.make(env_or_id, **make_kwargs)``, or an environment (wrapped or not) whose
        ``unwrapped`` has a transition table ``P``.
    **make_kwargs
        Passed to ``gymnasium.make`` (``is_slippery``, ``desc``, ``success_rate``,
        ``is_rainy``, ``max_episode_steps``, ...); only with an id.

    Returns
    -------
    TabularMDP
        Outcome form of ``P`` (same outcomes, same order), start distribution, terminal and goal
        states, ``max_steps`` from the spec's time limit (see the module docstring), the id as
        ``name`` and the action names where fastq knows them.

    Raises
    ------
    ValueError
        The environment has no ``P``, no Discrete spaces or no start distribution, its ``P`` is
        malformed, or its termination is not a property of the state entered.

    Examples
    --------
    >>> import fastq
    >>> taxi = fastq.from_gymnasium("Taxi-v4")
    >>> taxi.shape, taxi.max_steps, int(taxi.terminal.sum()), int((taxi.start > 0).sum())
    ((500, 6, 1), 200, 4, 300)
    >>> lake = fastq.from_gymnasium("FrozenLake-v1", is_slippery=True, success_rate=0.5)
    >>> [float(p) for p in lake.prob[0, 1]]            # down from the start: 1/4, 1/2, 1/4
    [0.25, 0.5, 0.25]
    """
    if isinstance(env_or_id, str):
        env = gymnasium.make(env_or_id, **make_kwargs)
        try:
            return _from_env(env)
        finally:
            env.close()
    if not isinstance(env_or_id, gymnasium.Env):
        raise TypeError(
            f"env_or_id must be a Gymnasium id (str) or a gymnasium.Env, got {type(env_or_id).__name__}"
        )
    if make_kwargs:
        raise TypeError(
            f"from_gymnasium() takes keyword arguments ({', '.join(sorted(make_kwargs))}) only with an "
            "environment id: they are passed to gymnasium.make"
        )
    return _from_env(env_or_id)


def _from_env(env) -> TabularMDP:
    unwrapped = env.unwrapped
    spec = env.spec if env.spec is not None else unwrapped.spec
    label = spec.id if spec is not None else type(unwrapped).__name__
    P = getattr(unwrapped, "P", None)
    if P is None:
        raise ValueError(
            f"{label} has no transition table: fastq imports environments whose env.unwrapped.P "
            "lists P[s][a] = [(probability, next_state, reward, terminated), ...] (FrozenLake, "
            "CliffWalking, Taxi)"
        )
    for what in ("observation_space", "action_space"):
        space = getattr(unwrapped, what)
        if not isinstance(space, spaces.Discrete) or int(space.start) != 0:
            raise ValueError(f"{label}: the {what} must be Discrete(n) starting at 0, got {space}")
    if getattr(unwrapped, "fickle_passenger", False):
        raise ValueError(
            f"{label}: fickle_passenger=True changes the destination inside step(), not in P; "
            "fastq can import only the dynamics that P describes (use fickle_passenger=False)"
        )
    S, A = int(unwrapped.observation_space.n), int(unwrapped.action_space.n)
    start = getattr(unwrapped, "initial_state_distrib", getattr(unwrapped, "isd", None))
    if start is None:
        raise ValueError(f"{label} has no start distribution (env.unwrapped.initial_state_distrib)")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (S,):
        raise ValueError(f"{label}: initial_state_distrib must have shape ({S},), got {start.shape}")

    rows = [[_outcomes(P, s, a, S, label) for a in range(A)] for s in range(S)]
    terminal = np.zeros(S, dtype=bool)
    for row in rows:
        for outs in row:
            for p, nxt, _, ends in outs:
                if ends and p > 0:
                    terminal[nxt] = True
    _check_termination(rows, terminal, start, label)

    K = max(len(outs) for row in rows for outs in row)
    next_state = np.zeros((S, A, K), dtype=np.int64)
    prob = np.zeros((S, A, K))
    reward = np.zeros((S, A, K))
    for s, row in enumerate(rows):
        for a, outs in enumerate(row):
            if terminal[s]:
                outs = [(1.0, s, 0.0, True)]  # absorbing; never read
            for k, (p, nxt, r, _) in enumerate(outs):
                next_state[s, a, k], prob[s, a, k], reward[s, a, k] = nxt, p, r
            next_state[s, a, len(outs):] = outs[-1][1]  # padding: probability 0, valid index

    desc = getattr(unwrapped, "desc", None)
    goal = terminal.copy()
    if desc is not None and np.size(desc) == S and np.asarray(desc).dtype.kind == "S":
        goal = terminal & (np.asarray(desc).ravel() == b"G")
    max_steps = DEFAULT_MAX_STEPS
    if spec is not None and spec.max_episode_steps is not None:
        max_steps = _validate.integer("max_episode_steps", spec.max_episode_steps, low=1, high=MAX_STEPS_LIMIT)
    names = _ACTION_NAMES.get(type(unwrapped).__name__)
    return TabularMDP(
        next_state, prob, reward, terminal, start,
        goal=goal, max_steps=max_steps, name=label,
        action_names=names if names is not None and len(names) == A else None,
    )


def _outcomes(P, s: int, a: int, S: int, label: str) -> list[tuple[float, int, float, bool]]:
    """``P[s][a]`` checked and converted to ``(p, next, r, terminated)`` with Python types."""
    try:
        outs = list(P[s][a])
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"{label}: P[{s}][{a}] is missing; P must list the outcomes of every state and action"
        ) from None
    if not outs:
        raise ValueError(f"{label}: P[{s}][{a}] is empty; every action needs at least one outcome")
    checked = []
    for j, item in enumerate(outs):
        if not isinstance(item, (tuple, list)) or len(item) != 4:
            raise ValueError(
                f"{label}: P[{s}][{a}][{j}] must be (probability, next_state, reward, terminated), got {item!r}"
            )
        p, nxt, r, ends = item
        if not isinstance(nxt, numbers.Integral) or not 0 <= nxt < S:
            raise ValueError(f"{label}: P[{s}][{a}][{j}] has next_state {nxt!r}, outside [0, {S})")
        p, r = float(p), float(r)
        if not (math.isfinite(p) and p >= 0) or not math.isfinite(r):
            raise ValueError(f"{label}: P[{s}][{a}][{j}] needs a probability >= 0 and a finite reward, got {item!r}")
        checked.append((p, int(nxt), r, bool(ends)))
    total = math.fsum(p for p, *_ in checked)
    if abs(total - 1.0) > SUM_TOL:
        raise ValueError(f"{label}: the probabilities of P[{s}][{a}] sum to {total!r}, not 1 (within {SUM_TOL})")
    return checked


def _check_termination(rows, terminal: np.ndarray, start: np.ndarray, label: str) -> None:
    """Termination must be a property of the state entered, on every reachable transition."""
    first = np.flatnonzero((start > 0) & terminal)
    if first.size:
        raise ValueError(
            f"{label}: state {first[0]} is a start state and is also entered by a terminating "
            "transition; fastq ends episodes by the state entered, so it cannot be both"
        )
    seen = start > 0
    queue = list(np.flatnonzero(seen))
    while queue:
        s = queue.pop()
        for a, outs in enumerate(rows[s]):
            for p, nxt, _, ends in outs:
                if p <= 0:
                    continue
                if ends != terminal[nxt]:
                    raise ValueError(
                        f"{label}: the transition from state {s} with action {a} to state {nxt} has "
                        f"terminated={ends}, but other transitions into state {nxt} have "
                        f"terminated={not ends}; fastq ends episodes by the state entered, so "
                        "termination must be the same for every transition into a state"
                    )
                if not ends and not seen[nxt]:
                    seen[nxt] = True
                    queue.append(nxt)


# ================================================================ fastq -> Gymnasium
def _resolve(env, max_episode_steps, options) -> tuple[TabularMDP, GridWorld | None]:
    """The model (and the grid world, if any) of ``env`` with ``options`` and the time limit."""
    if isinstance(env, str):
        env = make(env, **options)
    elif options:
        if not isinstance(env, GridWorld):
            raise TypeError(
                f"options ({', '.join(sorted(options))}) apply to an environment name or a GridWorld, "
                f"not to a {type(env).__name__}"
            )
        env = env.replace(**options)
    if max_episode_steps is not None:
        max_episode_steps = _validate.integer("max_episode_steps", max_episode_steps, low=1, high=MAX_STEPS_LIMIT)
        if isinstance(env, GridWorld):
            env = env.replace(max_steps=max_episode_steps)
    grid = env if isinstance(env, GridWorld) else None
    mdp = as_mdp(env)
    if max_episode_steps is not None and mdp.max_steps != max_episode_steps:
        mdp = TabularMDP(
            mdp.next_state, mdp.prob, mdp.reward, mdp.terminal, mdp.start, goal=mdp.goal,
            max_steps=max_episode_steps, name=mdp.name, action_names=mdp.action_names,
            allowed=mdp.allowed, reward_std=mdp.reward_std,
        )
    return mdp, grid


def _check_render_mode(render_mode, modes) -> None:
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode must be None or one of {', '.join(map(repr, modes))}, got {render_mode!r}")


def _check_episodes(rng_state: np.ndarray, mask: np.ndarray) -> None:
    """A stream may start at most EPISODES_LIMIT episodes (the draw index has 32 bits for them)."""
    last = mask & (rng_state[:, _kernels.EPISODE] >= np.uint64(EPISODES_LIMIT - 1))
    if last.any():
        raise RuntimeError(f"sub-environment {int(np.flatnonzero(last)[0])} has run {EPISODES_LIMIT} episodes, "
                           "the most one random stream allows: reset it with a new seed")


def _seed(name: str, value) -> int:
    return _validate.integer(name, value, low=0, high=SEED_LIMIT)


class TabularEnv(gymnasium.Env):
    """A fastq environment as a ``gymnasium.Env``.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        A built-in name (:func:`fastq.list_envs`), a grid world or any model, e.g. one from
        :func:`from_gymnasium`.
    render_mode : {None, "ansi", "rgb_array"}
        ``"ansi"``: the map (or the state number) with the agent as ``@`` and a status line;
        ``"rgb_array"``: an (H, W, 3) uint8 image, 32 pixels per cell (a model without a map is
        drawn as a grid of its states).
    max_episode_steps : int, optional
        Replace the model's ``max_steps``.
    **options
        Grid-world options (``slip``, ``step_reward``, ...) applied to a name or a GridWorld.

    Notes
    -----
    Observations are state indices (``Discrete(S)``), actions ``Discrete(A)``.  ``terminated``
    when a terminal state is entered, ``truncated`` after ``max_steps`` steps (the episode
    ends; call ``reset``).  ``reset(seed=s)`` starts the random stream ``fastq.rng.key(s, 0)``
    at episode 0; each later ``reset()`` starts the next episode of that stream.  Where the
    model restricts actions, ``info["action_mask"]`` (int8, like Taxi's) marks the allowed ones
    and other actions are refused.

    Examples
    --------
    >>> from fastq.gym import TabularEnv
    >>> env = TabularEnv("FrozenLake-4x4", slip=0.0, render_mode="ansi")
    >>> env.reset(seed=0)
    (0, {})
    >>> obs, reward, terminated, truncated, info = env.step(2)
    >>> print(env.render())
    S@FF
    FHFH
    FFFH
    HFFG
    state 1 (row 0, column 1), step 1, last action: right
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, env, render_mode: str | None = None, max_episode_steps: int | None = None, **options):
        _check_render_mode(render_mode, self.metadata["render_modes"])
        self.mdp, self.grid = _resolve(env, max_episode_steps, options)
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(self.mdp.n_states)
        self.action_space = spaces.Discrete(self.mdp.n_actions)
        self._rng_state: np.ndarray | None = None
        self._state = np.zeros(1, dtype=np.int64)
        self._action = np.zeros(1, dtype=np.int64)
        self._next = np.zeros(1, dtype=np.int64)
        self._reward = np.zeros(1)
        self._terminated = np.zeros(1, dtype=np.bool_)
        self._truncated = np.zeros(1, dtype=np.bool_)
        self._always = np.ones(1, dtype=np.bool_)
        self._done = True
        self._last_action: int | None = None

    @property
    def state(self) -> int:
        """The current state index."""
        return int(self._state[0])

    @property
    def rng_state(self) -> np.ndarray | None:
        """The stream row ``(key, episode, step)`` (:mod:`fastq.core`), a (1, 3) uint64 copy."""
        return None if self._rng_state is None else self._rng_state.copy()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode: the first of stream ``key(seed, 0)`` with a seed, else the next one."""
        if seed is not None:
            seed = _seed("seed", seed)
        super().reset(seed=seed)
        if seed is not None:
            self._rng_state = make_rng_state(seed, 1)
        elif self._rng_state is None:  # Gymnasium's rule: unseeded means seeded from entropy
            self._rng_state = make_rng_state(int(self.np_random.integers(0, 2**63)), 1)
        _check_episodes(self._rng_state, self._always)
        _kernels.reset_batch(self.mdp.start_cum, self._rng_state, self._always, self._state)
        self._done = False
        self._last_action = None
        return self.state, self._info(self.state)

    def step(self, action):
        """Take ``action``: ``(observation, reward, terminated, truncated, info)``."""
        if self._done:
            raise ResetNeeded(
                "the episode has ended (or not started): call reset() before step()"
                if self._rng_state is not None else "call reset() before step()"
            )
        a = _action(action, self.mdp.n_actions)
        s = self.state
        if not self.mdp.all_allowed and not self.mdp.allowed[s, a]:
            raise ValueError(f"action {a} is not allowed in state {s} (see info['action_mask'])")
        self._action[0] = a
        mdp = self.mdp
        _kernels.step_batch(
            mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal, mdp.max_steps,
            self._state, self._action, self._rng_state,
            self._next, self._reward, self._terminated, self._truncated,
        )
        self._state[0] = self._next[0]
        terminated, truncated = bool(self._terminated[0]), bool(self._truncated[0])
        self._done = terminated or truncated
        self._last_action = a
        return self.state, float(self._reward[0]), terminated, truncated, self._info(self.state)

    def _info(self, s: int) -> dict:
        if self.mdp.all_allowed:
            return {}
        return {"action_mask": self.mdp.allowed[s].astype(np.int8)}

    def render(self):
        """The current frame: text (``"ansi"``) or an (H, W, 3) uint8 image (``"rgb_array"``)."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode: pass render_mode='ansi' or 'rgb_array'")
            return None
        step = None if self._rng_state is None else int(self._rng_state[0, 2])
        if self.render_mode == "ansi":
            return _render_text(self.mdp, self.grid, self.state, step, self._last_action)
        return _render_rgb(self.mdp, self.grid, self.state)


def _action(action, A: int) -> int:
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, numbers.Integral):
        raise TypeError(f"action must be an integer in [0, {A}), got {action!r}")
    if not 0 <= action < A:
        raise ValueError(f"action must be an integer in [0, {A}), got {action}")
    return int(action)


class TabularVectorEnv(VectorEnv):
    """``num_envs`` copies of a fastq environment as a ``gymnasium.vector.VectorEnv``.

    One compiled call steps every sub-environment, resets included
    (:func:`fastq.kernels.rollouts.step_autoreset_batch`).

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        As in :class:`TabularEnv`.
    num_envs : int, >= 1
    render_mode : {None, "ansi", "rgb_array"}
        ``render()`` returns one frame per sub-environment.
    autoreset_mode : gymnasium.vector.AutoresetMode or str, default NEXT_STEP
        Gymnasium's autoreset modes, declared in ``metadata["autoreset_mode"]``: ``NEXT_STEP``
        (a sub-environment whose episode ended is reset by the next ``step``, which ignores its
        action and returns reward 0), ``SAME_STEP`` (reset at once; the last observation is in
        ``info["final_obs"]``) or ``DISABLED`` (reset it yourself with
        ``reset(options={"reset_mask": mask})``).
    max_episode_steps : int, optional
        Replace the model's ``max_steps``.
    **options
        Grid-world options, as in :class:`TabularEnv`.

    Notes
    -----
    ``reset(seed=s)`` gives sub-environment ``i`` the stream ``key(s + i, 0)`` (a list gives
    each its own seed): it then behaves exactly as ``TabularEnv(env).reset(seed=s + i)`` and
    the same actions, so ``TabularVectorEnv`` and ``gymnasium.vector.SyncVectorEnv`` over
    ``TabularEnv`` return identical arrays in every autoreset mode.

    Examples
    --------
    >>> import numpy as np
    >>> from fastq.gym import TabularVectorEnv
    >>> envs = TabularVectorEnv("CliffWalking", num_envs=3)
    >>> obs, info = envs.reset(seed=0)
    >>> obs
    array([36, 36, 36])
    >>> obs, rewards, terminated, truncated, info = envs.step(np.array([0, 1, 0]))
    >>> obs, rewards
    (array([24, 36, 24]), array([  -1., -100.,   -1.]))
    >>> envs.metadata["autoreset_mode"]
    <AutoresetMode.NEXT_STEP: 'NextStep'>
    """

    def __init__(self, env, num_envs: int, render_mode: str | None = None,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **options):
        self.num_envs = _validate.integer("num_envs", num_envs, low=1)
        modes = TabularEnv.metadata["render_modes"]
        _check_render_mode(render_mode, modes)
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in AutoresetMode)
            raise ValueError(
                f"autoreset_mode must be an AutoresetMode or one of {allowed}, got {autoreset_mode!r}"
            ) from None
        self.mdp, self.grid = _resolve(env, max_episode_steps, options)
        self.render_mode = render_mode
        self.metadata = {"render_modes": list(modes), "render_fps": 4, "autoreset_mode": self.autoreset_mode}
        self.single_observation_space = spaces.Discrete(self.mdp.n_states)
        self.single_action_space = spaces.Discrete(self.mdp.n_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        n = self.num_envs
        self._rng_state = np.zeros((n, 3), dtype=np.uint64)
        self._rng_state[:, _kernels.STEP] = _kernels.NOT_STARTED
        self._has_stream = np.zeros(n, dtype=np.bool_)
        self._states = np.zeros(n, dtype=np.int64)
        self._next = np.zeros(n, dtype=np.int64)
        self._final = np.zeros(n, dtype=np.int64)
        self._rewards = np.zeros(n)
        self._terminated = np.zeros(n, dtype=np.bool_)
        self._truncated = np.zeros(n, dtype=np.bool_)
        self._autoreset = np.zeros(n, dtype=np.bool_)  # episode ended at the last step
        self._no_reset = np.zeros(n, dtype=np.bool_)
        self._running = np.zeros(n, dtype=np.bool_)  # reset at least once
        self._all_running = False
        self._last_actions = np.full(n, -1, dtype=np.int64)

    @property
    def rng_state(self) -> np.ndarray:
        """The stream rows ``(key, episode, step)`` of the sub-environments, a (num_envs, 3) copy."""
        return self._rng_state.copy()

    def reset(self, *, seed: int | list | None = None, options: dict | None = None):
        """Reset every sub-environment, or those in ``options["reset_mask"]``.

        ``seed``: an int ``s`` (sub-environment ``i`` gets ``s + i``), a list of ``num_envs``
        ints or Nones, or None (sub-environments never seeded are seeded from entropy; the
        others start their next episode).
        """
        n = self.num_envs
        mask = np.ones(n, dtype=np.bool_)
        if options is not None and "reset_mask" in options:
            mask = options["reset_mask"]
            if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (n,):
                raise TypeError(f"options['reset_mask'] must be a bool numpy array of shape ({n},), got {mask!r}")
            if not mask.any():
                raise ValueError("options['reset_mask'] must select at least one sub-environment")
            mask = mask.copy()
        seeds: list = [None] * n
        if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            first = _seed("seed", seed)
            _seed("seed + num_envs - 1", first + n - 1)
            seeds = [first + i for i in range(n)]
            super().reset(seed=first)
        elif seed is not None:
            if not isinstance(seed, (list, tuple)) or len(seed) != n:
                raise ValueError(f"seed must be None, an int or a list of {n} ints or Nones, got {seed!r}")
            seeds = [None if v is None else _seed(f"seed[{i}]", v) for i, v in enumerate(seed)]
        fresh = [i for i in range(n) if mask[i] and (seeds[i] is not None or not self._has_stream[i])]
        if fresh:
            values = [seeds[i] if seeds[i] is not None else int(self.np_random.integers(0, 2**63)) for i in fresh]
            self._rng_state[fresh] = make_rng_state(values, len(fresh), agent_ids=np.zeros(len(fresh), dtype=np.int64))
            self._has_stream[fresh] = True
        _check_episodes(self._rng_state, mask)
        _kernels.reset_batch(self.mdp.start_cum, self._rng_state, mask, self._states)
        self._autoreset[mask] = False
        self._running[mask] = True
        self._all_running = bool(self._running.all())
        self._last_actions[mask] = -1
        return self._states.copy(), self._infos(self._states, mask)

    def step(self, actions):
        """Step every sub-environment: ``(observations, rewards, terminations, truncations, infos)``."""
        n = self.num_envs
        if not self._all_running:
            i = int(np.flatnonzero(~self._running)[0])
            raise ResetNeeded(f"sub-environment {i} was never reset: call reset() first")
        acts = np.asarray(actions)
        if acts.dtype.kind not in "iu":
            raise TypeError(f"actions must be an array of integers, got dtype {acts.dtype}")
        if acts.shape != (n,):
            raise ValueError(f"actions must have shape ({n},) (one per sub-environment), got {acts.shape}")
        A = self.mdp.n_actions
        if acts.min() < 0 or acts.max() >= A:
            i = int(np.flatnonzero((acts < 0) | (acts >= A))[0])
            raise ValueError(f"actions must hold integers in [0, {A}), got {acts[i].item()} at index {i}")
        acts = np.require(acts, np.int64, ["C", "W"])
        mode = self.autoreset_mode
        if mode is AutoresetMode.DISABLED and self._autoreset.any():
            i = int(np.flatnonzero(self._autoreset)[0])
            raise ResetNeeded(
                f"sub-environment {i} has ended its episode and autoreset is disabled: "
                "call reset(options={'reset_mask': mask}) for it first"
            )
        reset_mask = self._autoreset if mode is AutoresetMode.NEXT_STEP else self._no_reset
        if not self.mdp.all_allowed:
            barred = ~reset_mask & ~self.mdp.allowed[self._states, acts]
            if barred.any():
                i = int(np.flatnonzero(barred)[0])
                raise ValueError(
                    f"actions[{i}] = {acts[i]} is not allowed in state {self._states[i]} (see info['action_mask'])"
                )
        if self.render_mode == "ansi":  # the last action is shown; -1: none (a reset)
            self._last_actions[:] = np.where(reset_mask, -1, acts)
        mdp = self.mdp
        same_step = mode is AutoresetMode.SAME_STEP
        _kernels.step_autoreset_batch(
            mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal, mdp.start_cum,
            mdp.max_steps, same_step, reset_mask,
            self._states, acts, self._rng_state,
            self._next, self._rewards, self._terminated, self._truncated, self._final,
        )
        self._states[:] = self._next
        infos = self._infos(self._states, None)
        if same_step:
            ended = self._terminated | self._truncated
            if ended.any():
                self._last_actions[ended] = -1
                final_obs = np.full(n, None, dtype=object)
                final_obs[ended] = self._final[ended].tolist()
                infos["final_obs"], infos["_final_obs"] = final_obs, ended.copy()
                infos["final_info"] = self._infos(self._final, ended)
                infos["_final_info"] = ended.copy()
        else:  # these sub-environments start their next episode at the next step (or by hand)
            np.logical_or(self._terminated, self._truncated, out=self._autoreset)
        return (self._states.copy(), self._rewards.copy(), self._terminated.copy(),
                self._truncated.copy(), infos)

    def _infos(self, states: np.ndarray, mask: np.ndarray | None) -> dict:
        """Gymnasium's batched info: ``action_mask`` (and its ``_action_mask``) where the model
        has one, for the sub-environments in ``mask`` (None: all)."""
        if self.mdp.all_allowed:
            return {}
        if mask is None:
            mask = np.ones(self.num_envs, dtype=np.bool_)
        masks = np.zeros((self.num_envs, self.mdp.n_actions), dtype=np.int8)
        masks[mask] = self.mdp.allowed[states[mask]]
        return {"action_mask": masks, "_action_mask": mask.copy()}

    def render(self):
        """One frame per sub-environment (a tuple), as ``SyncVectorEnv`` returns them."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode: pass render_mode='ansi' or 'rgb_array'")
            return None
        frames = []
        for i, s in enumerate(self._states.tolist()):
            if self.render_mode == "ansi":
                step = None if not self._running[i] else int(self._rng_state[i, _kernels.STEP])
                action = int(self._last_actions[i])
                frames.append(_render_text(self.mdp, self.grid, s, step, action if action >= 0 else None))
            else:
                frames.append(_render_rgb(self.mdp, self.grid, s))
        return tuple(frames)


# ================================================================ rendering
CELL_PIXELS = 32
_COLOURS = {
    "S": (180, 210, 240), "F": (220, 236, 250), ".": (235, 235, 235), "G": (90, 190, 110),
    "H": (40, 70, 140), "C": (150, 70, 50), "#": (70, 70, 70),
}
_AGENT = (220, 40, 40)
_OTHER = (200, 200, 200)


def _render_text(mdp: TabularMDP, grid: GridWorld | None, s: int, step, action) -> str:
    status = f"state {s}"
    lines = []
    if grid is not None:
        row, col = grid.cell(s)
        cells = [list(r) for r in grid.rows]
        cells[row][col] = "@"
        lines = ["".join(r) for r in cells]
        status += f" (row {row}, column {col})"
    else:
        status += f" of {mdp.n_states}" + (" (terminal)" if mdp.terminal[s] else "")
    if step is not None:
        status += f", step {step}"
    if action is not None:
        status += f", last action: {mdp.action_names[action]}"
    return "\n".join(lines + [status])


def _render_rgb(mdp: TabularMDP, grid: GridWorld | None, s: int) -> np.ndarray:
    if grid is not None:
        nrow, ncol = grid.shape
        colours = [_COLOURS.get(ch, _OTHER) for r in grid.rows for ch in r]
    else:  # no map: the states in rows, start states blue, goals green, other terminals dark
        ncol = math.ceil(math.sqrt(mdp.n_states))
        nrow = math.ceil(mdp.n_states / ncol)
        colours = []
        for t in range(mdp.n_states):
            if mdp.goal[t]:
                colours.append(_COLOURS["G"])
            elif mdp.terminal[t]:
                colours.append(_COLOURS["H"])
            elif mdp.start[t] > 0:
                colours.append(_COLOURS["S"])
            else:
                colours.append(_COLOURS["."])
        colours += [(255, 255, 255)] * (nrow * ncol - mdp.n_states)
    c = CELL_PIXELS
    tiles = np.asarray(colours, dtype=np.uint8).reshape(nrow, ncol, 3)
    image = np.repeat(np.repeat(tiles, c, axis=0), c, axis=1)
    image[::c, :, :] = 0  # grid lines
    image[:, ::c, :] = 0
    row, col = divmod(s, ncol)
    pad = c // 4
    image[row * c + pad:(row + 1) * c - pad + 1, col * c + pad:(col + 1) * c - pad + 1] = _AGENT
    return image


# ================================================================ registration
def gym_id(name: str) -> str:
    """The Gymnasium id of a built-in environment: ``"fastq/<name>-v0"``.

    Examples
    --------
    >>> from fastq.gym import gym_id
    >>> gym_id("FrozenLake-8x8")
    'fastq/FrozenLake-8x8-v0'
    """
    return f"{NAMESPACE}/{name}-v0"


def register_envs() -> list[str]:
    """Register ``fastq/<name>-v0`` for every built-in (already registered ids are kept).

    Called when this module is imported.  Returns the ids.

    Examples
    --------
    >>> import gymnasium
    >>> from fastq.gym import register_envs
    >>> "fastq/FrozenLake-8x8-v0" in register_envs()
    True
    >>> env = gymnasium.make("fastq/FrozenLake-8x8-v0")
    >>> env.spec.max_episode_steps, env.observation_space
    (200, Discrete(64))
    """
    ids = []
    for name in list_envs():
        env_id = gym_id(name)
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point="fastq.gym:TabularEnv",
                vector_entry_point="fastq.gym:TabularVectorEnv",
                kwargs={"env": name},
                max_episode_steps=make(name).max_steps,
            )
        ids.append(env_id)
    return ids


register_envs()
