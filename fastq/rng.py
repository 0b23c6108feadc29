"""The random-number contract.

Every random draw an agent makes is a pure function of ``(seed, agent, draw index)``:

.. code-block:: text

    mix64(z)    = SplitMix64's finaliser (Steele, Lea & Flood 2014; Vigna's splitmix64.c):
                  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                  z ^ (z >> 31)                       (all arithmetic modulo 2**64)
    key(seed, agent)   = mix64(mix64(seed + G) + (agent + 1) * G),   G = 0x9E3779B97F4A7C15
    draw(key, index)   = mix64(key + (index + 1) * G)

``draw`` is SplitMix64 whose state is the agent's key advanced ``index + 1`` times: a
counter-based generator.  Nothing is shared between agents or threads, so results do not depend
on the thread count, and agent ``i`` of an ``N``-agent run is agent ``i`` of any larger run.

The draw index says what a number is for: episode ``e``, step ``t`` of that episode (``t``
counts from 0) and a slot::

    index = (e << 32) | (t << 3) | slot
    slot  0 RESET       the start state of episode e (drawn at t = 0)
          1 POLICY      every decision of the behaviour policy at this step, from one draw x:
                        explore or not: the high 32 bits,  explores(x, epsilon);
                        the random action, or the pick among tied greedy actions: the low 32
                        bits,  pick(x, n);  the softmax sample: uniform(x)
          2 TRANSITION  the outcome of the transition: the number of cumulative probabilities
                        c = cum_prob[s, a, k] (k < K - 1) with  uniform(x) >= c
          3 NOISE       the reward noise (Gaussian, where the model has reward_std > 0)
          4 LEARNER     Double Q-learning: which table is updated (the top bit) and the pick
                        among tied maximisers of that table in s' (the low 32 bits)
          5 PLANNING    Dyna-Q: the key of the planning draws of this step; planning update j
                        draws draw(draw(key, index), j) and uses bounded(., seen pairs)

The values a draw ``x`` stands for::

    uniform(x)        = (x >> 11) * 2**-53                   float64 in [0, 1), exact
    explores(x, eps)  = (x >> 32) < ceil(eps * 2**32)        i.e. (x >> 32) * 2**-32 < eps:
                                                             epsilon quantised to 2**-32
    pick(x, n)        = ((x & 0xFFFFFFFF) * n) >> 32         an integer in [0, n), n < 2**32
    bounded(x, n)     = ((x >> 32) * n) >> 32                the same on the high 32 bits

The policy's decisions of one step share one draw: the explore field and the action field are
disjoint, and the random action and the tie pick are never both used (an agent either explores
or acts greedily).  The transition keeps a draw of its own at full precision: its outcome is
``uniform(x) >= c`` counted over the cumulative probabilities, which the kernels evaluate
exactly as the integer comparison ``x >> 11 >= ceil(c * 2**53)``.

A draw that is not used (the transition slot of a deterministic model, the noise slot without
noise) may be computed or skipped: either way it changes no other number.  Because the index has
a fixed layout, runs that differ only in ``max_steps`` or ``episodes`` share their random
numbers (common random numbers); ``max_steps`` is limited to ``2**29`` steps and ``episodes`` to
fewer than ``2**32``.

This module holds the plain-Python definition with arbitrary-precision integers, which the tests
use as a third, independent implementation beside the numba kernels (:mod:`fastq.kernels.rng`)
and the numpy reference (:mod:`fastq.reference.rng`), the constants they share, and
:func:`stream_keys`, which turns seeds into the per-agent keys the kernels take.  It imports
nothing from fastq.  Changing the stream is a deliberate break: the golden values in
``tests/test_rng.py`` pin it (docs/reproducibility.md).
"""

from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK = (1 << 64) - 1
LOW32 = (1 << 32) - 1

#: Slots of the draw index (see the module docstring).
SLOT_RESET, SLOT_POLICY, SLOT_TRANSITION, SLOT_NOISE, SLOT_LEARNER, SLOT_PLANNING = 0, 1, 2, 3, 4, 5
#: Bits of the draw index that hold the slot.
SLOT_BITS = 3
#: Largest ``max_steps`` the draw-index layout allows.
MAX_STEPS_LIMIT = 1 << 29
#: Largest number of episodes the draw-index layout allows.
EPISODES_LIMIT = 1 << 32
#: Largest seed (seeds are unsigned 64-bit integers).
SEED_LIMIT = MASK
#: Columns of the ``rng_state`` array of :mod:`fastq.core`: one row per stream, its key, the
#: episode it is in and the steps taken in that episode (``NOT_STARTED`` before its first reset).
KEY, EPISODE, STEP = 0, 1, 2
NOT_STARTED = np.uint64(MASK)


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
    >>> x = rng.draw(seed=0, agent=3, index=rng.draw_index(episode=0, step=0, slot=rng.SLOT_POLICY))
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
    """An integer in ``[0, n)`` from the high 32 bits of a draw: ``((x >> 32) * n) >> 32``."""
    return ((x >> 32) * n) >> 32


def pick(x: int, n: int) -> int:
    """An integer in ``[0, n)`` from the low 32 bits of a draw: ``((x & 0xFFFFFFFF) * n) >> 32``.

    Each value has probability ``floor(2**32 / n)`` or ``ceil(2**32 / n)`` out of ``2**32``.

    Examples
    --------
    >>> from fastq import rng
    >>> rng.pick(0xFFFFFFFF, 4), rng.pick(0, 4), rng.pick(1 << 31, 3)
    (3, 0, 1)
    """
    return ((x & LOW32) * n) >> 32


def explore_threshold(epsilon: float) -> int:
    """``ceil(epsilon * 2**32)``: the policy explores when the high 32 bits of its draw are below.

    Exact in float64 (a power-of-two scaling), so ``(x >> 32) < explore_threshold(eps)`` is the
    same comparison as ``(x >> 32) * 2**-32 < eps``: epsilon quantised to ``2**-32``, 1 always
    explores, 0 never.
    """
    return math.ceil(epsilon * 4294967296.0)


def explores(x: int, epsilon: float) -> bool:
    """Whether a policy draw ``x`` explores under ``epsilon``: ``(x >> 32) < ceil(eps * 2**32)``."""
    return (x >> 32) < explore_threshold(epsilon)


def outcome_threshold(cum: float) -> int:
    """``ceil(cum * 2**53)``: ``uniform(x) >= cum`` exactly when ``x >> 11 >= outcome_threshold(cum)``."""
    return math.ceil(cum * 9007199254740992.0)


def mix64_array(z) -> np.ndarray:
    """:func:`mix64` element-wise on a uint64 array (numpy's uint64 arithmetic wraps modulo 2**64)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def agent_keys(seed: int, agents: int, first: int = 0) -> np.ndarray:
    """Stream keys of agents ``first .. first + agents - 1``, shape ``(agents,)``, uint64.

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

    Agent ``agent_ids[j]`` of a run with root seed ``seeds[j]``: this is what :func:`fastq.train`
    passes to a kernel (one key per agent), and how :func:`fastq.sweep` gives each (cell, seed)
    pair exactly the stream it has in a single :func:`fastq.train` run.

    Examples
    --------
    >>> from fastq import rng
    >>> keys = rng.stream_keys([7, 7, 8], [2, 0, 0])
    >>> [int(k) for k in keys] == [rng.key(7, 2), rng.key(7, 0), rng.key(8, 0)]
    True
    """
    g = np.uint64(GOLDEN)
    seeds = np.asarray(seeds, dtype=np.uint64)
    ids = np.asarray(agent_ids, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the definition
        keys = mix64_array(mix64_array(seeds + g) + (ids + np.uint64(1)) * g)
    return np.ascontiguousarray(keys)
