"""Algorithm names, each learner's tables, and schedules of hyperparameters turned into plain
kernel arrays.

Every learner has one :class:`Learner` description here: its kernel code and the tables it keeps
beside ``Q`` -- what :func:`fastq.train` allocates, what the memory estimate counts and what the
result reports.  Hyperparameters reach the kernels as plain arrays (:mod:`fastq._interface`): a
number or a per-agent array becomes one value per agent, a schedule a table of per-episode values
computed here, in numpy, once -- so both backends read the same numbers and a sweep over
hyperparameters never recompiles.

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
from ._interface import DOUBLE_Q, DYNA_Q, EXPECTED_SARSA, Q_LEARNING, SARSA, State
from .rng import EPISODES_LIMIT

#: Algorithms :func:`fastq.train` accepts, in the order of their kernel codes.
ALGORITHMS = ("q_learning", "sarsa", "expected_sarsa", "double_q", "dyna_q")
#: Backends: compiled kernels or the numpy reference.
BACKENDS = ("numba", "numpy")
#: Exploration rules of the behaviour policy.
EXPLORATIONS = ("epsilon_greedy", "softmax")
#: How the greedy action is chosen among equal values.
TIE_BREAKS = ("random", "first")


@dataclass(frozen=True)
class Learner:
    """What :func:`fastq.train` needs to know about one learner besides its kernel.

    ``double_tables``: Double Q's two tables, rows ``2i`` (A) and ``2i + 1`` (B) of one
    ``(2 * agents, S, A)`` array, the policy acting on their sum.  ``model``: Dyna-Q's model of
    last observed ``(r, s')`` per pair (a table of next states, one of rewards) and its list of
    seen pairs.
    """

    name: str
    code: int
    double_tables: bool = False
    model: bool = False

    def table_bytes(self, S: int, A: int, itemsize: int, visits: bool) -> int:
        """Bytes of one agent's tables: Q, and the learner's own (:class:`fastq._interface.State`)."""
        float_tables = 1 + 2 * self.double_tables + self.model
        int_tables = visits + 2 * self.model  # visit counts; Dyna-Q's next states and seen pairs
        return (float_tables * itemsize + int_tables * 8) * S * A + 8 * 8

    def allocate(self, mdp, q_init: np.ndarray, dtype: np.dtype, visits: bool) -> State:
        """The learner's tables for ``len(q_init)`` agents, at their initial values.

        Q holds ``q_init`` (per agent, rounded to ``dtype``) on every allowed action of every
        non-terminal state, 0 on terminal states and ``-inf`` on disallowed actions (never
        chosen, never the max).  Filled in place from broadcast views: no temporary as large as
        a table, which are most of a large run's memory.
        """
        agents = len(q_init)
        S, A, _ = mdp.shape
        free = ~mdp.terminal[:, None] & mdp.allowed
        fixed = np.where(mdp.terminal[:, None], 0.0, -np.inf).astype(dtype)
        init = q_init.astype(dtype)[:, None, None]

        def initial(rows: int) -> np.ndarray:
            out = np.empty((agents, rows, S, A), dtype=dtype)
            np.copyto(out, fixed)
            np.copyto(out, init[:, None], where=free)
            return out.reshape(agents * rows, S, A)

        def placeholder(shape, dtype) -> np.ndarray:
            return np.zeros(shape, dtype=dtype)

        if self.double_tables:
            q_ab = initial(2)
            q = np.add(q_ab[0::2], q_ab[1::2])
        else:
            q_ab = placeholder((1, 1, 1), dtype)
            q = initial(1)
        counts = np.zeros((agents, S, A), dtype=np.int64) if visits else placeholder((1, 1, 1), np.int64)
        if self.model:
            return State(q, q_ab, counts, np.full((agents, S, A), -1, dtype=np.int64),
                         np.zeros((agents, S, A), dtype=dtype), np.zeros((agents, S * A), dtype=np.int64),
                         np.zeros(agents, dtype=np.int64))
        return State(q, q_ab, counts, placeholder((1, 1, 1), np.int64), placeholder((1, 1, 1), dtype),
                     placeholder((1, 1), np.int64), placeholder(1, np.int64))

    def finish(self, state: State) -> tuple[np.ndarray, dict]:
        """``Result.q`` and the learner's extra arrays from its final tables."""
        if self.double_tables:
            q_a, q_b = state.q_ab[0::2], state.q_ab[1::2]
            # exact, and of q's dtype: the same argmax and ties as the sum it acted on; computed
            # in the policy's table (no longer needed), so no table is allocated at the end
            q = np.divide(np.add(q_a, q_b, out=state.q), 2.0, out=state.q)
            return q, {"q_a": q_a, "q_b": q_b}
        return state.q, {}


#: The learners, by name.
LEARNERS = {
    "q_learning": Learner("q_learning", Q_LEARNING),
    "sarsa": Learner("sarsa", SARSA),
    "expected_sarsa": Learner("expected_sarsa", EXPECTED_SARSA),
    "double_q": Learner("double_q", DOUBLE_Q, double_tables=True),
    "dyna_q": Learner("dyna_q", DYNA_Q, model=True),
}
assert tuple(LEARNERS) == ALGORITHMS and all(LEARNERS[n].code == c for c, n in enumerate(ALGORITHMS))


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
        object.__setattr__(self, "episodes", _validate.integer("linear episodes", self.episodes, low=1,
                                                               high=EPISODES_LIMIT - 1))

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
            raise _validate.ArgumentError(
                name, f"{name} must be a number, a schedule, or a sequence of length agents={agents}, got length {len(value)}")
        for j, v in enumerate(value):
            if not isinstance(v, Schedule) and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                raise _validate.ArgumentTypeError(name, f"{name} entries must be numbers or schedules, got {v!r} (entry {j})")
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
                try:
                    _validate.real(f"{name} schedule value", bound, low=low, high=high, low_closed=low_closed)
                except _validate.ArgumentError as exc:  # about the argument, as every other refusal
                    raise _validate.ArgumentError(name, str(exc)) from None
            table[j] = v.values(width)
        else:
            table[j] = _validate.real(name, v, low=low, high=high, low_closed=low_closed)
    return table, rows, [repr(v) for v in value]


__all__ = ["ALGORITHMS", "BACKENDS", "EXPLORATIONS", "LEARNERS", "TIE_BREAKS", "Learner", "Schedule",
           "exponential", "linear", "visits"]
