"""The random-number contract.

Every random draw an agent makes is a pure function of ``(seed, agent, draw index)``:

.. code-block:: text

    mix64(z)    = SplitMix64's finaliser (Steele, Lea & Flood 2014; Vigna's splitmix64.c):
                  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                  z ^ (z >> 31)                       (all arithmetic modulo 2**64)
    key(seed, agent)   = mix64(mix64(seed + G) + (agent + 1) * G),   G = 0x9E3779B97F4A7C15
    draw(key, index)   = mix64(key + (index + 1) * G)
    uniform(x)  = (x >> 11) * 2**-53                  a float64 in [0, 1), exact
    bounded(x, n) = ((x >> 32) * n) >> 32             an integer in [0, n), for n < 2**32

``draw`` is SplitMix64 whose state is the agent's key advanced ``index + 1`` times: a
counter-based generator.  Nothing is shared between agents or threads, so results do not depend
on the thread count, and agent ``i`` of an ``N``-agent run is agent ``i`` of any larger run.

The draw index says what a number is for: episode ``e``, step ``t`` of that episode (``t``
counts from 0) and a slot::

    index = (e << 32) | (t << 3) | slot
    slot  0: the start state of episode e (drawn at t = 0)
          1: explore or not (epsilon-greedy)
          2: the action: uniform over allowed actions when exploring, the tie among greedy
             actions, or the softmax sample
          3: the outcome of the transition
          4: the reward noise (Gaussian, where the model has reward_std > 0)
          5: Double Q-learning: which table is updated (the top bit)
          6: Double Q-learning: the tie in the argmax of the bootstrap
          7: Dyna-Q: the key of the planning draws of this step; planning update j draws
             draw(draw(key, index), j)

A draw that is not used (the action slot when there is no tie and no exploration, the
transition slot of a deterministic model) may be computed or skipped: either way it changes no
other number, so the kernels compute whatever is cheapest.  Because the index has a fixed layout,
runs that differ only in ``max_steps`` or ``episodes`` share their random numbers (common random
numbers), and ``max_steps`` is limited to ``2**29`` steps, ``episodes`` to fewer than ``2**32``.

The numba kernels (:mod:`fastq.kernels.rng`) and the numpy reference
(:mod:`fastq.reference.rng`) implement the same functions.  This module holds the plain-Python
definition with arbitrary-precision integers, which the tests use as a third, independent
implementation, and the golden values that pin the stream: changing it is a deliberate break.
"""

from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK = (1 << 64) - 1

#: Slots of the draw index (see the module docstring).
SLOT_RESET, SLOT_EXPLORE, SLOT_ACTION, SLOT_TRANSITION = 0, 1, 2, 3
SLOT_NOISE, SLOT_COIN, SLOT_BOOTSTRAP_TIE, SLOT_PLANNING = 4, 5, 6, 7
#: Bits of the draw index that hold the slot.
SLOT_BITS = 3
#: Largest ``max_steps`` the draw-index layout allows.
MAX_STEPS_LIMIT = 1 << 29
#: Largest number of episodes the draw-index layout allows.
EPISODES_LIMIT = 1 << 32
#: Largest seed (seeds are unsigned 64-bit integers).
SEED_LIMIT = MASK

def mix64(z: int) -> int:
    """SplitMix64's finaliser on a Python int (modulo 2**64)."""
    z &= MASK
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def key(seed: int, agent: int) -> int:
    """The stream key of one agent: ``mix64(mix64(seed + G) + (agent + 1) * G)``."""
    return mix64(mix64(seed + GOLDEN) + (agent + 1) * GOLDEN)


def draw(seed: int, agent: int, index: int) -> int:
    """Draw number ``index`` of agent ``agent`` under ``seed``, as a 64-bit unsigned int.

    Examples
    --------
    >>> from fastq import rng
    >>> x = rng.draw(seed=0, agent=3, index=rng.draw_index(episode=0, step=0, slot=1))
    >>> 0 <= rng.uniform(x) < 1
    True
    """
    return mix64(key(seed, agent) + (index + 1) * GOLDEN)


def draw_index(episode: int, step: int, slot: int) -> int:
    """The draw index of ``slot`` at step ``step`` of episode ``episode``."""
    return (episode << 32) | (step << SLOT_BITS) | slot


def uniform(x: int) -> float:
    """The float64 in [0, 1) that a draw stands for: ``(x >> 11) * 2**-53``."""
    return (x >> 11) * 2.0**-53


def bounded(x: int, n: int) -> int:
    """The integer in ``[0, n)`` that a draw stands for: ``((x >> 32) * n) >> 32``."""
    return ((x >> 32) * n) >> 32


def agent_keys(seed: int, agents: int, first: int = 0) -> np.ndarray:
    """Stream keys of agents ``first .. first + agents - 1``, shape ``(agents,)``, uint64.

    This is what :func:`fastq.train` passes to a kernel as the seed: one key per agent.

    Examples
    --------
    >>> from fastq import rng
    >>> keys = rng.agent_keys(seed=7, agents=3)
    >>> int(keys[2]) == rng.key(7, 2)
    True
    """
    return stream_keys(np.full(agents, seed, dtype=np.uint64), np.arange(first, first + agents, dtype=np.uint64))


def stream_keys(seeds, agent_ids) -> np.ndarray:
    """``key(seeds[j], agent_ids[j])`` for every ``j``: shape ``(n,)``, uint64.

    Agent ``agent_ids[j]`` of a run with root seed ``seeds[j]``: this is how a sweep gives each
    (cell, seed) pair exactly the stream it has in a single :func:`fastq.train` run.

    Examples
    --------
    >>> from fastq import rng
    >>> keys = rng.stream_keys([7, 7, 8], [2, 0, 0])
    >>> [int(k) for k in keys] == [rng.key(7, 2), rng.key(7, 0), rng.key(8, 0)]
    True
    """
    from .reference.rng import mix64 as mix64_array

    g = np.uint64(GOLDEN)
    seeds = np.asarray(seeds, dtype=np.uint64)
    ids = np.asarray(agent_ids, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        keys = mix64_array(mix64_array(seeds + g) + (ids + np.uint64(1)) * g)
    return np.ascontiguousarray(keys)
