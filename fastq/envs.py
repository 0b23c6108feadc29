"""The registry of built-in environments: ``make(name, **overrides)`` and ``list_envs()``
(random FrozenLake maps: :mod:`fastq.random_maps`).

Built-ins with a Gymnasium counterpart have exactly Gymnasium's transition tables (action order,
slip probabilities, rewards, terminal states, start distribution) and time limit; the others
are the examples of Sutton and Barto's *Reinforcement Learning: An Introduction* (2nd ed., 2018)
and the rooms of Sutton, Precup and Singh (1999).  Every built-in has a finite ``max_steps``:
Gymnasium's limit where Gymnasium has one, otherwise a cap that never binds in the textbook
experiments (``docs/environments.md`` gives the measurements).

========================== ============================== =========== ===============================
name                       what                           type        max_steps
========================== ============================== =========== ===============================
FrozenLake-4x4             ``FrozenLake-v1`` (4x4 map)    GridWorld   100 (Gymnasium's TimeLimit)
FrozenLake-8x8             ``FrozenLake8x8-v1``           GridWorld   200 (Gymnasium's TimeLimit)
CliffWalking               ``CliffWalking-v1``; Ex. 6.6   GridWorld   10,000 (cap)
WindyGridworld             S&B Example 6.5                GridWorld   10,000 (cap)
WindyGridworld-Kings       S&B Exercise 6.9 (8 moves)     GridWorld   10,000 (cap)
WindyGridworld-Stochastic  S&B Exercise 6.10              GridWorld   10,000 (cap)
MaxBias                    S&B Example 6.7                TabularMDP  10 (episodes last 1 or 2 steps)
DynaMaze                   S&B Example 8.1                GridWorld   100,000 (cap)
Gridworld-4x4              S&B Example 4.1                GridWorld   1,000 (cap)
Gridworld-5x5              S&B Examples 3.5 and 3.8       TabularMDP  200 (a continuing task)
FourRooms                  Sutton, Precup & Singh 1999    GridWorld   100,000 (cap)
RandomWalk-5               S&B Example 6.2                GridWorld   10,000 (cap)
RandomWalk-19              S&B Example 7.1                GridWorld   10,000 (cap)
========================== ============================== =========== ===============================

Overrides of a GridWorld built-in are GridWorld options (all but ``rows``, ``actions`` and
``name``), e.g. ``make("FrozenLake-8x8", slip=0.0)`` for the deterministic lake or
``make("CliffWalking", cliff="terminate")``.  The TabularMDP built-ins take their own options:
``MaxBias`` ``n_actions_b`` and ``max_steps``, ``Gridworld-5x5`` ``max_steps``.

The random walks are Markov reward processes written as one-row grids with two actions, left and
right: the walk itself is the equiprobable policy, ``make(name).uniform_policy()``, whose exact
values ``policy_evaluation`` gives (``RandomWalk-5``: 1/6 .. 5/6; ``RandomWalk-19``:
-0.9 .. 0.9, with gamma 1).  They are the examples of the prediction learners (``td``,
``n_step_td``, ``td_lambda``, ``mc_prediction``).
"""

from __future__ import annotations

import functools

from dataclasses import fields
from fractions import Fraction

import numpy as np

from . import _validate
from ._validate import ArgumentError, ArgumentTypeError
from .grid import GridWorld
from .mdp import TabularMDP

FROZEN_LAKE_4x4 = ("SFFF", "FHFH", "FFFH", "HFFG")
FROZEN_LAKE_8x8 = (
    "SFFFFFFF",
    "FFFFFFFF",
    "FFFHFFFF",
    "FFFFFHFF",
    "FFFHFFFF",
    "FHHFFFHF",
    "FHFFHFHF",
    "FFFHFFFG",
)
CLIFF_WALKING = (
    "............",
    "............",
    "............",
    "SCCCCCCCCCCG",
)
#: Sutton & Barto, Example 6.5: start (3, 0), goal (3, 7), wind per column below.
WINDY_GRIDWORLD = (
    "..........",
    "..........",
    "..........",
    "S......G..",
    "..........",
    "..........",
    "..........",
)
WINDY_GRIDWORLD_WIND = (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)
#: Sutton & Barto, Example 8.1 (Figure 8.2): start (2, 0), goal (0, 8), seven walls.
DYNA_MAZE = (
    ".......#G",
    "..#....#.",
    "S.#....#.",
    "..#......",
    ".....#...",
    ".........",
)
#: Sutton & Barto, Example 4.1: terminal corners, every other cell a start cell.
GRIDWORLD_4x4 = ("GSSS", "SSSS", "SSSS", "SSSG")
#: Sutton, Precup and Singh (1999), Figure 2: four rooms of an 11 x 11 grid joined by four
#: hallways (the map's edge is the outer wall); start in the north-west corner, goal in the
#: hallway between the two eastern rooms.
FOUR_ROOMS = (
    "S....#.....",
    ".....#.....",
    "...........",
    ".....#.....",
    ".....#.....",
    "#.####.....",
    ".....###G##",
    ".....#.....",
    ".....#.....",
    "...........",
    ".....#.....",
)

#: FrozenLake's ``is_slippery=True``: the intended move with probability 1/3.
FROZEN_LAKE_SLIP = Fraction(2, 3)

#: Sutton & Barto's action order for their grids: CliffWalking's (Gymnasium), then for king's
#: moves the diagonals clockwise from up-right, so that actions 0-3 mean the same in both.
SB_COMPASS = "URDL"
SB_KINGS = "URDLECZQ"

#: Sutton & Barto's random walks (Examples 6.2 and 7.1): start in the middle, terminate at either
#: end; RandomWalk-5 pays 1 on the right exit and 0 on the left, RandomWalk-19 +1 and -1.
RANDOM_WALK_5 = ("HFFSFFG",)
RANDOM_WALK_19 = ("H" + "F" * 9 + "S" + "F" * 9 + "G",)

_GRIDS: dict[str, dict] = {
    "FrozenLake-4x4": dict(
        rows=FROZEN_LAKE_4x4, slip=FROZEN_LAKE_SLIP, step_reward=0.0, goal_reward=1.0,
        hole_reward=0.0, max_steps=100, actions="LDRU",
    ),
    "FrozenLake-8x8": dict(
        rows=FROZEN_LAKE_8x8, slip=FROZEN_LAKE_SLIP, step_reward=0.0, goal_reward=1.0,
        hole_reward=0.0, max_steps=200, actions="LDRU",
    ),
    "CliffWalking": dict(
        rows=CLIFF_WALKING, slip=0.0, step_reward=-1.0, goal_reward=-1.0, cliff_reward=-100.0,
        max_steps=10_000, actions=SB_COMPASS,
    ),
    "WindyGridworld": dict(
        rows=WINDY_GRIDWORLD, wind=WINDY_GRIDWORLD_WIND, step_reward=-1.0, goal_reward=-1.0,
        max_steps=10_000, actions=SB_COMPASS,
    ),
    "WindyGridworld-Kings": dict(
        rows=WINDY_GRIDWORLD, wind=WINDY_GRIDWORLD_WIND, step_reward=-1.0, goal_reward=-1.0,
        max_steps=10_000, actions=SB_KINGS,
    ),
    "WindyGridworld-Stochastic": dict(
        rows=WINDY_GRIDWORLD, wind=WINDY_GRIDWORLD_WIND, stochastic_wind=True, step_reward=-1.0,
        goal_reward=-1.0, max_steps=10_000, actions=SB_KINGS,
    ),
    "DynaMaze": dict(
        rows=DYNA_MAZE, step_reward=0.0, goal_reward=1.0, max_steps=100_000, actions=SB_COMPASS,
    ),
    "Gridworld-4x4": dict(
        rows=GRIDWORLD_4x4, step_reward=-1.0, goal_reward=-1.0, max_steps=1_000, actions=SB_COMPASS,
    ),
    "FourRooms": dict(
        rows=FOUR_ROOMS, slip=0.0, slip_mode="uniform", step_reward=0.0, goal_reward=1.0,
        max_steps=100_000, actions=SB_COMPASS,
    ),
    "RandomWalk-5": dict(
        rows=RANDOM_WALK_5, step_reward=0.0, goal_reward=1.0, hole_reward=0.0, max_steps=10_000, actions="LR",
    ),
    "RandomWalk-19": dict(
        rows=RANDOM_WALK_19, step_reward=0.0, goal_reward=1.0, hole_reward=-1.0, max_steps=10_000, actions="LR",
    ),
}

_OVERRIDABLE = tuple(f.name for f in fields(GridWorld) if f.init and f.name not in ("rows", "actions", "name"))

#: MaxBias's states.
MAX_BIAS_A, MAX_BIAS_B, MAX_BIAS_END = 0, 1, 2
#: MaxBias's actions in state A (B's actions are 0 .. n_actions_b - 1).
MAX_BIAS_RIGHT, MAX_BIAS_LEFT = 0, 1


def max_bias(n_actions_b: int = 10, max_steps: int = 10) -> TabularMDP:
    """The maximization-bias MDP of Sutton & Barto, Example 6.7 (Figure 6.5).

    Episodes start in A (state 0).  In A, "right" (action 0) ends the episode with reward 0 and
    "left" (action 1) moves to B (state 1) with reward 0.  B offers ``n_actions_b`` actions
    (0, 1, ...), each ending the episode with a reward drawn from a normal distribution of mean
    -0.1 and standard deviation 1.  State 2 is the terminal state.  The model has
    ``A = max(2, n_actions_b)`` action slots; ``allowed`` permits 2 of them in A and
    ``n_actions_b`` in B, and ``reward_std`` holds B's noise.

    Parameters
    ----------
    n_actions_b : int, 1 <= n_actions_b <= 1_000_000
        Number of actions in B (the book uses 10).
    max_steps : int, default 10
        Truncation limit; never binds (episodes last 1 or 2 steps).

    Returns
    -------
    TabularMDP
        Shape ``(3, max(2, n_actions_b), 1)``; ``action_names`` say what each index means in
        A and in B (``"right/B0"``, ``"left/B1"``, ``"B2"``, ...).

    Examples
    --------
    >>> import fastq
    >>> mdp = fastq.make("MaxBias")
    >>> mdp.shape, mdp.n_allowed.tolist()
    ((3, 10, 1), [2, 10, 10])
    >>> mdp.action_names[:3]
    ('right/B0', 'left/B1', 'B2')
    >>> float(mdp.reward[1, 4, 0]), float(mdp.reward_std[1, 4])
    (-0.1, 1.0)
    """
    n = _validate.integer("n_actions_b", n_actions_b, low=1, high=1_000_000)
    A = max(2, n)
    end = MAX_BIAS_END
    next_state = np.full((3, A, 1), end, dtype=np.int64)
    next_state[MAX_BIAS_A, MAX_BIAS_LEFT, 0] = MAX_BIAS_B
    reward = np.zeros((3, A, 1))
    reward[MAX_BIAS_B, :n, 0] = -0.1
    reward_std = np.zeros((3, A))
    reward_std[MAX_BIAS_B, :n] = 1.0
    allowed = np.ones((3, A), dtype=bool)
    allowed[MAX_BIAS_A, 2:] = False
    allowed[MAX_BIAS_B, n:] = False
    names = []
    for a in range(A):
        parts = [("right", "left")[a]] if a < 2 else []
        parts += [f"B{a}"] if a < n else []
        names.append("/".join(parts))
    return TabularMDP(
        next_state, np.ones((3, A, 1)), reward, terminal=[False, False, True], start=[1.0, 0.0, 0.0],
        max_steps=max_steps, name="MaxBias", action_names=names, allowed=allowed, reward_std=reward_std,
    )


#: Gridworld-5x5: the special cells (row, col) -> (landing cell, reward) of Example 3.5.
GRIDWORLD_5x5_JUMPS = {(0, 1): ((4, 1), 10.0), (0, 3): ((2, 3), 5.0)}
#: How Gridworld-5x5 is drawn in the docs: A -> A' (+10), B -> B' (+5).
GRIDWORLD_5x5_PICTURE = (".A.B.", ".....", "...b.", ".....", ".a...")


def gridworld_5x5(max_steps: int = 200) -> TabularMDP:
    """The 5 x 5 grid of Sutton & Barto, Example 3.5 (Figures 3.2 and 3.5).

    State ``s`` is the cell ``(s // 5, s % 5)``; the actions are 0 up, 1 right, 2 down, 3 left.
    Every action taken in A = (0, 1) moves the agent to A' = (4, 1) with reward +10, every
    action in B = (0, 3) to B' = (2, 3) with reward +5.  Elsewhere a move off the grid leaves
    the agent in place with reward -1, and every other move has reward 0.

    The book's task is continuing: there is no terminal state, and the book's values are the
    infinite discounted sums (gamma = 0.9), which :func:`fastq.value_iteration` and
    :func:`fastq.policy_evaluation` compute exactly on this model.  For learning, episodes
    start in a cell drawn uniformly from all 25 and are truncated after ``max_steps`` steps; the
    learners bootstrap on truncation, so they target the same values, and the discounted
    return of a truncated episode misses at most ``0.9**200 * 10 / (1 - 0.9) < 1e-7`` of the
    infinite one.

    Parameters
    ----------
    max_steps : int, default 200
        Truncation limit (1 <= max_steps <= 2**29).

    Returns
    -------
    TabularMDP
        Shape ``(25, 4, 1)``, no terminal state, uniform start.

    Examples
    --------
    >>> import fastq
    >>> mdp = fastq.make("Gridworld-5x5")
    >>> int(mdp.next_state[1, 0, 0]), float(mdp.reward[1, 0, 0])   # A, any action -> A'
    (21, 10.0)
    >>> int(mdp.next_state[0, 0, 0]), float(mdp.reward[0, 0, 0])   # up, off the grid
    (0, -1.0)
    """
    moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left
    next_state = np.zeros((25, 4, 1), dtype=np.int64)
    reward = np.zeros((25, 4, 1))
    for s in range(25):
        r, c = divmod(s, 5)
        for a, (dr, dc) in enumerate(moves):
            if (r, c) in GRIDWORLD_5x5_JUMPS:
                (r2, c2), rew = GRIDWORLD_5x5_JUMPS[r, c]
            elif 0 <= r + dr < 5 and 0 <= c + dc < 5:
                (r2, c2), rew = (r + dr, c + dc), 0.0
            else:
                (r2, c2), rew = (r, c), -1.0
            next_state[s, a, 0] = 5 * r2 + c2
            reward[s, a, 0] = rew
    return TabularMDP(
        next_state, np.ones((25, 4, 1)), reward, terminal=np.zeros(25, dtype=bool),
        start=np.full(25, 1 / 25), max_steps=max_steps, name="Gridworld-5x5",
        action_names=("up", "right", "down", "left"),
    )


#: The built-ins that are TabularMDPs: builder and its options (with their defaults).
_MODELS = {
    "MaxBias": (max_bias, ("n_actions_b", "max_steps")),
    "Gridworld-5x5": (gridworld_5x5, ("max_steps",)),
}


def list_envs() -> list[str]:
    """Names of the built-in environments, sorted.

    Examples
    --------
    >>> import fastq
    >>> fastq.list_envs()[:4]
    ['CliffWalking', 'DynaMaze', 'FourRooms', 'FrozenLake-4x4']
    >>> len(fastq.list_envs())
    13
    """
    return sorted([*_GRIDS, *_MODELS])


def make(name: str, **overrides) -> GridWorld | TabularMDP:
    """A built-in environment by name, with optional option overrides.

    Parameters
    ----------
    name : str
        One of :func:`list_envs`.
    **overrides
        For a GridWorld built-in, GridWorld options to change: ``slip``, ``step_reward``,
        ``goal_reward``, ``hole_reward``, ``cliff_reward``, ``max_steps``, ``wind``,
        ``stochastic_wind``, ``cliff``, ``slip_mode``.  For ``MaxBias``: ``n_actions_b``,
        ``max_steps``; for ``Gridworld-5x5``: ``max_steps``.

    Returns
    -------
    GridWorld or TabularMDP
        ``MaxBias`` and ``Gridworld-5x5`` are TabularMDPs (no grid of cells expresses them);
        the others are GridWorlds.  Both are accepted wherever an environment is.

    Examples
    --------
    >>> import fastq
    >>> env = fastq.make("FrozenLake-8x8", slip=0.0, max_steps=50)
    >>> env.mdp.shape, env.max_steps
    ((64, 4, 1), 50)
    >>> fastq.make("MaxBias", n_actions_b=4).shape
    (3, 4, 1)
    """
    if not isinstance(name, str):
        raise ArgumentTypeError("name", f"name must be a str, got {type(name).__name__}")
    if name not in _GRIDS and name not in _MODELS:
        raise ArgumentError("name", f"unknown environment {name!r}; known environments: {', '.join(list_envs())}")
    allowed = options(name)
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ArgumentError(
            unknown[0], f"unknown option {unknown[0]!r} for make({name!r}); allowed options: {', '.join(allowed)}"
        )
    return _build(name, **overrides) if overrides else _default(name)


def options(env) -> tuple[str, ...]:
    """The options an environment takes: the overrides of ``make(name, ...)``, or what
    ``GridWorld.replace`` may change.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        A built-in name, a grid world (its options less ``rows``, ``actions`` and ``name``), or
        a model (none: a model is changed with :meth:`TabularMDP.replace`).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> import fastq
    >>> fastq.envs.options("MaxBias")
    ('n_actions_b', 'max_steps')
    >>> "slip" in fastq.envs.options("FrozenLake-8x8")
    True
    """
    if isinstance(env, str):
        if env in _GRIDS:
            return _OVERRIDABLE
        if env in _MODELS:
            return _MODELS[env][1]
        raise ArgumentError("env", f"unknown environment {env!r}; known environments: {', '.join(list_envs())}")
    if isinstance(env, GridWorld):
        return _OVERRIDABLE
    if isinstance(env, TabularMDP):
        return ()
    raise ArgumentTypeError("env", f"env must be an environment name, a GridWorld or a TabularMDP, "
                                   f"got {type(env).__name__}")


def as_env(env):
    """``env`` as a GridWorld or TabularMDP: a registered name is built by :func:`make` (an
    unknown name is an error about ``env``, the argument of the caller); others are returned.

    Examples
    --------
    >>> from fastq.envs import as_env
    >>> as_env("FrozenLake-4x4").shape
    (4, 4)
    """
    if not isinstance(env, str):
        return env
    options(env)  # an unknown name: an error about env
    return make(env)


def as_mdp(env) -> TabularMDP:
    """The :class:`TabularMDP` behind ``env``: a registered name, a GridWorld or a TabularMDP.

    Every function that takes an environment resolves it here, so a name, a grid world and a
    model are accepted alike.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP

    Returns
    -------
    TabularMDP

    Examples
    --------
    >>> from fastq.envs import as_mdp
    >>> as_mdp("FrozenLake-4x4").shape
    (16, 4, 3)
    """
    if isinstance(env, str):
        return as_env(env).mdp
    mdp = getattr(env, "mdp", None)
    if isinstance(mdp, TabularMDP):
        return mdp
    raise ArgumentTypeError(
        "env", "env must be an environment name (see fastq.list_envs()), a GridWorld or a TabularMDP, "
        f"got {type(env).__name__}"
    )


def _build(name: str, **overrides) -> GridWorld | TabularMDP:
    """The built-in environment ``name`` with these (checked) overrides, built now."""
    if name in _MODELS:
        return _MODELS[name][0](**overrides)
    return GridWorld(**{**_GRIDS[name], "name": name, **overrides})


@functools.lru_cache(maxsize=None)
def _default(name: str) -> GridWorld | TabularMDP:
    """A built-in environment with its default options, built once per process.

    Sharing it is safe: GridWorld is a frozen dataclass and TabularMDP's arrays are read-only.
    Building FrozenLake-8x8 and its model takes about 15 ms, more than a small training job.
    """
    return _build(name)
