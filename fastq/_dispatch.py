"""Choosing, compiling and running the kernel of a request: its variant, its backend, its threads.

:func:`variant` fixes what a learner kernel is compiled for (:class:`fastq._interface.Variant`):
the learner, the options that change the code of a step, and the speed choices that do not
change any number -- how many agents a thread steps in turn (:data:`LANES`), and whether to
prefetch the model (:data:`PREFETCH_BYTES`).  :func:`learner` returns the numba kernel of that
variant or its numpy twin, run over the agents on several threads (:mod:`fastq._parallel`);
:func:`compile` compiles a kernel for one argument layout ahead of the timed work.
"""

from __future__ import annotations

import time

import numpy as np

from ._interface import DOUBLE_Q, DYNA_Q, EXPECTED_SARSA, MC_CONTROL, Q_LEARNING, SARSA, TABLE_ACTIONS, TD, Variant
from ._parallel import over_agents

#: Agents each thread steps in turn, per learner (the default of :func:`variant`).  Their steps
#: are independent, so the processor overlaps them.  Three for the one-step learners: 0.84 of
#: the yardstick for Q-learning on one thread where four give 0.87 and two 0.73, and each lane
#: costs about 0.7 s of compilation (docs/performance.md); Dyna-Q's planning updates dominate its
#: step, and the learners with more than one step spend theirs in a call, so one.
LANES = {Q_LEARNING: 3, SARSA: 3, EXPECTED_SARSA: 3, DOUBLE_Q: 3, DYNA_Q: 1, TD: 2,
         **dict.fromkeys(range(TD + 1, MC_CONTROL + 1), 1)}
#: Models whose outcome blocks exceed this many bytes prefetch them (they leave the core's cache).
PREFETCH_BYTES = 1 << 19


def variant(code: int, mdp, *, softmax: bool, tie_random: bool, visits: bool, lanes: int | None = None,
            trace: int = 0, first_visit: bool = False, loss: bool = False) -> Variant:
    """The :class:`Variant` of learner ``code`` on ``mdp`` with these options.

    Examples
    --------
    >>> import fastq
    >>> from fastq._dispatch import variant
    >>> variant(0, fastq.make("FrozenLake-8x8").mdp, softmax=False, tie_random=True, visits=False)
    Variant(algo=0, softmax=False, tie_random=True, visits=False, noisy=False, masked=False, actions=4, outcomes=3, lanes=3, prefetch=False, trace=0, first_visit=False, loss=False)
    """
    S, A, K = mdp.shape
    return Variant(
        algo=code, softmax=bool(softmax), tie_random=bool(tie_random), visits=bool(visits),
        noisy=bool((mdp.reward_std > 0).any()), masked=not mdp.all_allowed,
        actions=TABLE_ACTIONS if A == TABLE_ACTIONS else 0, outcomes=K if K in (1, 3) else 0,
        lanes=LANES[code] if lanes is None else int(lanes),
        prefetch=S * A * (3 * K - 1) * 8 > PREFETCH_BYTES,
        trace=int(trace), first_visit=bool(first_visit), loss=bool(loss),
    )


def learner(v: Variant, backend: str):
    """``run(model, hyper, keys, episode_start, episode_stop, state, out, threads=None)``: the
    learner of ``v`` on ``backend`` over every agent (``len(keys)``), on ``threads`` threads
    (the numpy reference: one).  ``run.kernel`` is the per-agent-range function."""
    if backend == "numba":
        from .kernels.learners import learner as build
    else:
        from .reference.learners import learner as build
    return over_agents(build(v), parallel=backend == "numba")


#: (kernel, argument layout) pairs already compiled in this process (see :func:`compile`).
_COMPILED: set = set()


def _layout(value):
    """What numba's type of an argument depends on, cheaply: for an array its dtype, number of
    dimensions, contiguity, writeability and alignment; tuples element by element; else the
    Python type."""
    if isinstance(value, tuple):
        return tuple(_layout(v) for v in value)
    if isinstance(value, np.ndarray):
        flags = value.flags
        return value.dtype.str, value.ndim, flags.c_contiguous, flags.writeable, flags.aligned
    return type(value)


def compile(dispatcher, args: tuple) -> float:
    """Compile a numba kernel for these argument types (or load it from the cache), if it is not
    yet; the seconds it took.

    Compiling apart from the first block keeps compilation out of ``meta["wall_time"]``.  Asking
    numba for the types (``numba.typeof`` of 30 arrays) takes about half a millisecond, as much
    as a small job's training, so the answer is remembered per argument layout.
    """
    import numba

    if not isinstance(dispatcher, numba.core.dispatcher.Dispatcher):  # NUMBA_DISABLE_JIT
        return 0.0
    key = (dispatcher, _layout(args))
    if key in _COMPILED:
        return 0.0
    signature = tuple(numba.typeof(a) for a in args)
    started = time.perf_counter()
    compiling = signature not in dispatcher.overloads
    if compiling:
        dispatcher.compile(signature)
    _COMPILED.add(key)
    return time.perf_counter() - started if compiling else 0.0
