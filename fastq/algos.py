"""Algorithm names, and schedules of hyperparameters turned into plain kernel arrays.

Every algorithm name is the name of a function in :mod:`fastq.kernels` (numba) and of its twin in
:mod:`fastq.reference` (numpy).  Hyperparameters reach the kernels as plain arrays (see
:func:`fastq.train`): a number or a per-agent array becomes one value per agent, a schedule a
table of per-episode values computed here, in numpy, once -- so both backends read the same
numbers and a sweep over hyperparameters never recompiles.

Schedules (values by episode ``e = 0, 1, ...`` of the run):

``linear(start, end, episodes)``      ``start + (end - start) * min(e, episodes) / episodes``
``exponential(start, end, rate)``     ``end + (start - end) * exp(-rate * e)``
``visits(power)`` (``alpha`` only)    ``1 / n(s, a) ** power``, ``n`` counting the updates of
                                      ``(s, a)`` by each agent, this one included
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _validate

#: Algorithms :func:`fastq.train` accepts, in the order of their kernel codes.
ALGORITHMS = ("q_learning", "sarsa", "expected_sarsa", "double_q", "dyna_q")
#: Backends: compiled kernels or the numpy reference.
BACKENDS = ("numba", "numpy")
#: Exploration rules of the behaviour policy.
EXPLORATIONS = ("epsilon_greedy", "softmax")


def kernel(algo: str, backend: str, plain: bool = False):
    """The function that runs ``algo`` on ``backend`` for a whole population of agents.

    ``run(model, hyper, options, keys, episode_start, episode_stop, state, out)``: the kernel of
    :mod:`fastq.kernels.learners` (or its numpy twin) over every agent, on the threads of
    :func:`fastq._config.threads` (:func:`fastq._parallel.over_agents`); ``run.kernel`` is the
    kernel itself.  ``plain`` (epsilon-greedy, no ``visits``, no reward noise, every action
    allowed) selects the specialised numba kernel of Q-learning, which gives the same numbers
    faster.
    """
    from ._parallel import over_agents

    _validate.choice("algo", algo, ALGORITHMS)
    _validate.choice("backend", backend, BACKENDS)
    if backend == "numba":
        from .kernels import learners as module

        if plain and algo == "q_learning":
            return over_agents(module.q_learning_plain)
    else:
        from .reference import learners as module
    return over_agents(getattr(module, algo))


class Schedule:
    """A hyperparameter that changes from episode to episode (see :func:`linear`,
    :func:`exponential`)."""

    def values(self, episodes: int) -> np.ndarray:
        """The values of episodes ``0 .. episodes - 1``, shape ``(episodes,)`` float64."""
        raise NotImplementedError

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value the schedule takes."""
        raise NotImplementedError


def _finite(name: str, value) -> float:
    return _validate.real(name, value)


@dataclass(frozen=True)
class linear(Schedule):
    """From ``start`` to ``end`` in a straight line over ``episodes`` episodes, then ``end``.

    Examples
    --------
    >>> import fastq
    >>> fastq.linear(1.0, 0.1, episodes=3).values(5)
    array([1. , 0.7, 0.4, 0.1, 0.1])
    """

    start: float
    end: float
    episodes: int

    def __post_init__(self):
        object.__setattr__(self, "start", _finite("linear start", self.start))
        object.__setattr__(self, "end", _finite("linear end", self.end))
        object.__setattr__(self, "episodes", _validate.integer("linear episodes", self.episodes, low=1))

    def values(self, episodes: int) -> np.ndarray:
        e = np.minimum(np.arange(episodes), self.episodes)
        return self.start + (self.end - self.start) * (e / self.episodes)

    def bounds(self) -> tuple[float, float]:
        return min(self.start, self.end), max(self.start, self.end)


@dataclass(frozen=True)
class exponential(Schedule):
    """From ``start`` towards ``end``, the gap shrinking by ``exp(-rate)`` each episode.

    Examples
    --------
    >>> import math
    >>> import fastq
    >>> fastq.exponential(1.0, 0.0, rate=math.log(2)).values(4)
    array([1.   , 0.5  , 0.25 , 0.125])
    """

    start: float
    end: float
    rate: float

    def __post_init__(self):
        object.__setattr__(self, "start", _finite("exponential start", self.start))
        object.__setattr__(self, "end", _finite("exponential end", self.end))
        object.__setattr__(self, "rate", _validate.real("exponential rate", self.rate, low=0.0, low_closed=False))

    def values(self, episodes: int) -> np.ndarray:
        return self.end + (self.start - self.end) * np.exp(-self.rate * np.arange(episodes))

    def bounds(self) -> tuple[float, float]:
        return min(self.start, self.end), max(self.start, self.end)


@dataclass(frozen=True)
class visits:
    """Step size ``1 / n(s, a) ** power``, ``n`` counting each agent's updates of ``(s, a)``
    (this one included); ``0 < power <= 1``.  For ``alpha`` only.

    Powers in ``(1/2, 1]`` satisfy the Robbins-Monro conditions.  Powers 1 and 1/2 are computed
    with a division and a square root, bit-identical across backends; others use ``pow``.

    Examples
    --------
    >>> import fastq
    >>> fastq.visits(1.0)
    visits(power=1.0)
    """

    power: float

    def __post_init__(self):
        object.__setattr__(self, "power", _validate.real("visits power", self.power, low=0.0, high=1.0, low_closed=False))


def schedule_table(
    name: str,
    value,
    agents: int,
    episodes: int,
    *,
    low: float | None = None,
    high: float | None = None,
    low_closed: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Turn a hyperparameter into the kernel's ``(table, row)`` pair.

    ``value`` is a number, a 1-D array of ``agents`` numbers, a :class:`Schedule`, or a sequence
    of ``agents`` numbers and schedules.  Returns ``table`` (rows, width) float64, ``row``
    (agents,) int64 -- agent ``i`` uses ``table[row[i], min(e, width - 1)]`` in episode ``e`` --
    and a description of each row.  Every value must lie in the interval.
    """
    if isinstance(value, Schedule):
        value = [value]
        rows = np.zeros(agents, dtype=np.int64)
    elif isinstance(value, (list, tuple)) and any(isinstance(v, Schedule) for v in value):
        if len(value) != agents:
            raise ValueError(f"{name} must be a number, a schedule, or a sequence of length agents={agents}, got length {len(value)}")
        for j, v in enumerate(value):
            if not isinstance(v, Schedule) and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                raise TypeError(f"{name} entries must be numbers or schedules, got {v!r} (entry {j})")
        distinct = list(dict.fromkeys(value))
        rows = np.array([distinct.index(v) for v in value], dtype=np.int64)
        value = distinct
    else:
        per_agent = _validate.per_agent(name, value, agents, low=low, high=high, low_closed=low_closed)
        distinct, rows = np.unique(per_agent, return_inverse=True)
        table = np.ascontiguousarray(distinct[:, None])
        return table, rows.astype(np.int64).reshape(agents), [repr(float(v)) for v in distinct]
    width = episodes
    table = np.empty((len(value), width))
    for j, v in enumerate(value):
        if isinstance(v, Schedule):
            lo, hi = v.bounds()
            for bound in (lo, hi):
                _validate.real(f"{name} schedule value", bound, low=low, high=high, low_closed=low_closed)
            table[j] = v.values(width)
        else:
            table[j] = _validate.real(name, v, low=low, high=high, low_closed=low_closed)
    return table, rows, [repr(v) for v in value]


__all__ = ["ALGORITHMS", "BACKENDS", "EXPLORATIONS", "Schedule", "exponential", "kernel", "linear", "visits"]
