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
module is imported, the way Gymnasium 1.x expects of a package of environments (it has no
plugin entry point)::

    import gymnasium
    import fastq.gym

    gymnasium.register_envs(fastq.gym)          # a no-op that tells linters the import is used
    env = gymnasium.make("fastq/FrozenLake-8x8-v0")

or, in a fresh interpreter and without importing fastq first, the module-qualified id
``gymnasium.make("fastq.gym:fastq/FrozenLake-8x8-v0")``, which imports this module.  ``import
fastq`` alone registers nothing and never imports Gymnasium.

**Layout.**  :mod:`fastq.gym._import` (Gymnasium -> fastq), :mod:`fastq.gym._env` (the
environments); the frames are drawn by :mod:`fastq.render`.
"""

from __future__ import annotations

import gymnasium

from ..envs import list_envs, make
from ._env import TabularEnv, TabularVectorEnv
from ._import import DEFAULT_MAX_STEPS, from_gymnasium

__all__ = [
    "DEFAULT_MAX_STEPS", "TabularEnv", "TabularVectorEnv", "from_gymnasium", "gym_id", "register_envs",
]

#: Gymnasium namespace of fastq's environments.
NAMESPACE = "fastq"


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
