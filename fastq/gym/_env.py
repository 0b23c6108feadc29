"""fastq -> Gymnasium: :class:`TabularEnv` (a ``gymnasium.Env``) and :class:`TabularVectorEnv`
(a ``gymnasium.vector.VectorEnv`` stepped in one compiled call).

Both draw every random number from fastq's counter-based streams (:mod:`fastq.core`), so
sub-environment ``i`` of a vector env reset with ``seed`` is exactly a ``TabularEnv`` reset with
``seed + i``.  See :mod:`fastq.gym`.
"""

from __future__ import annotations

import numbers

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .. import _validate, render
from .._validate import ArgumentError, ArgumentTypeError
from ..core import make_rng_state
from ..envs import as_mdp, make
from ..grid import GridWorld
from ..kernels import rollouts as _kernels
from ..mdp import TabularMDP
from ..rng import EPISODES_LIMIT, MAX_STEPS_LIMIT, SEED_LIMIT

#: Memory of one sub-environment of :class:`TabularVectorEnv`: its stream, its state, and the
#: per-step arrays and spaces it holds (checked before they are allocated).
ENV_BYTES = 256


def _resolve(env, max_episode_steps, options) -> tuple[TabularMDP, GridWorld | None]:
    """The model (and the grid world, if any) of ``env`` with ``options`` and the time limit."""
    if isinstance(env, str):
        env = make(env, **options)
    elif options:
        if not isinstance(env, GridWorld):
            raise ArgumentTypeError(
                sorted(options)[0],
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
        mdp = mdp.replace(max_steps=max_episode_steps)
    return mdp, grid


def _check_render_mode(render_mode, modes) -> None:
    if render_mode is not None:
        _validate.choice("render_mode", render_mode, modes, none=True)


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
            raise ArgumentError("action", f"action {a} is not allowed in state {s} (see info['action_mask'])")
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
            return render.text_frame(self.mdp, self.grid, self.state, step, self._last_action)
        return render.rgb_frame(self.mdp, self.grid, self.state)


def _action(action, A: int) -> int:
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, numbers.Integral):
        raise ArgumentTypeError("action", f"action must be an integer in [0, {A}), got {action!r}")
    if not 0 <= action < A:
        raise ArgumentError("action", f"action must be an integer in [0, {A}), got {action}")
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
        _validate.memory(f"TabularVectorEnv(num_envs={self.num_envs})", self.num_envs * ENV_BYTES,
                         argument="num_envs", advice="use fewer sub-environments")
        modes = TabularEnv.metadata["render_modes"]
        _check_render_mode(render_mode, modes)
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in AutoresetMode)
            raise ArgumentError(
                "autoreset_mode",
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
        # Placeholder streams, each replaced by a seeded one at its first reset.
        self._rng_state = make_rng_state(0, n)
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
                raise ArgumentTypeError("options", f"options['reset_mask'] must be a bool numpy array of shape ({n},), got {mask!r}")
            if not mask.any():
                raise ArgumentError("options", "options['reset_mask'] must select at least one sub-environment")
            mask = mask.copy()
        seeds: list = [None] * n
        if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            first = _seed("seed", seed)
            _seed("seed + num_envs - 1", first + n - 1)
            seeds = [first + i for i in range(n)]
            super().reset(seed=first)
        elif seed is not None:
            if not isinstance(seed, (list, tuple)) or len(seed) != n:
                raise ArgumentError("seed", f"seed must be None, an int or a list of {n} ints or Nones, got {seed!r}")
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
            raise ArgumentTypeError("actions", f"actions must be an array of integers, got dtype {acts.dtype}")
        if acts.shape != (n,):
            raise ArgumentError("actions", f"actions must have shape ({n},) (one per sub-environment), got {acts.shape}")
        A = self.mdp.n_actions
        if acts.min() < 0 or acts.max() >= A:
            i = int(np.flatnonzero((acts < 0) | (acts >= A))[0])
            raise ArgumentError("actions", f"actions must hold integers in [0, {A}), got {acts[i].item()} at index {i}")
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
                raise ArgumentError(
                    "actions", f"actions[{i}] = {acts[i]} is not allowed in state {self._states[i]} (see info['action_mask'])"
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
                frames.append(render.text_frame(self.mdp, self.grid, s, step, action if action >= 0 else None))
            else:
                frames.append(render.rgb_frame(self.mdp, self.grid, s))
        return tuple(frames)
