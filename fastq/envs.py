"""The registry of built-in environments: ``make(name, **overrides)`` and ``list_envs()``.

Built-ins with a Gymnasium counterpart have exactly Gymnasium's transition tables (action order,
slip probabilities, rewards, terminal states, start distribution) and time limit:

==================  ==============================  ======================================
name                Gymnasium                       max_steps
==================  ==============================  ======================================
FrozenLake-4x4      ``FrozenLake-v1`` (4x4 map)     100 (Gymnasium's TimeLimit)
FrozenLake-8x8      ``FrozenLake8x8-v1``            200 (Gymnasium's TimeLimit)
CliffWalking        ``CliffWalking-v1``             10,000 (Gymnasium has none; this cap
                                                    never binds in the textbook experiments)
==================  ==============================  ======================================

Overrides are GridWorld options (``slip``, ``step_reward``, ``goal_reward``, ``hole_reward``,
``cliff_reward``, ``max_steps``), e.g. ``make("FrozenLake-8x8", slip=0.0)`` for the
deterministic lake.
"""

from __future__ import annotations

from dataclasses import fields
from fractions import Fraction

from .grid import GridWorld

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

#: FrozenLake's ``is_slippery=True``: the intended move with probability 1/3.
FROZEN_LAKE_SLIP = Fraction(2, 3)

_REGISTRY: dict[str, dict] = {
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
        max_steps=10_000, actions="URDL",
    ),
}

_OVERRIDABLE = tuple(f.name for f in fields(GridWorld) if f.init and f.name not in ("rows", "actions", "name"))


def list_envs() -> list[str]:
    """Names of the built-in environments, sorted.

    Examples
    --------
    >>> import fastq
    >>> fastq.list_envs()
    ['CliffWalking', 'FrozenLake-4x4', 'FrozenLake-8x8']
    """
    return sorted(_REGISTRY)


def make(name: str, **overrides) -> GridWorld:
    """A built-in environment by name, with optional option overrides.

    Parameters
    ----------
    name : str
        One of :func:`list_envs`.
    **overrides
        GridWorld options to change: ``slip``, ``step_reward``, ``goal_reward``,
        ``hole_reward``, ``cliff_reward``, ``max_steps``.

    Returns
    -------
    GridWorld

    Examples
    --------
    >>> import fastq
    >>> env = fastq.make("FrozenLake-8x8", slip=0.0, max_steps=50)
    >>> env.mdp.shape, env.max_steps
    ((64, 4, 1), 50)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(f"unknown environment {name!r}; known environments: {', '.join(list_envs())}")
    unknown = sorted(set(overrides) - set(_OVERRIDABLE))
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r} for make({name!r}); allowed options: {', '.join(_OVERRIDABLE)}"
        )
    return GridWorld(**{**_REGISTRY[name], "name": name, **overrides})
