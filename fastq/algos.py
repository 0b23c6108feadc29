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
from ._interface import (BUFFERED, DOUBLE_Q, DYNA_Q, EXPECTED_SARSA, MC_CONTROL, MC_PREDICTION, N_STEP_SARSA,
                         N_STEP_TD, PREDICTION, Q_LAMBDA, Q_LEARNING, SARSA, SARSA_LAMBDA, TD, TD_LAMBDA, TRACES,
                         State)
from .rng import EPISODES_LIMIT

#: Algorithms :func:`fastq.train` accepts, in the order of their kernel codes.
ALGORITHMS = ("q_learning", "sarsa", "expected_sarsa", "double_q", "dyna_q",
              "td", "n_step_td", "td_lambda", "mc_prediction",
              "n_step_sarsa", "sarsa_lambda", "q_lambda", "mc_control")
#: Those that learn the values of a given policy (``train(..., policy=...)``): prediction.
PREDICTION_ALGORITHMS = tuple(ALGORITHMS[code] for code in PREDICTION)
#: Those that learn to act: control.
CONTROL_ALGORITHMS = tuple(a for a in ALGORITHMS if a not in PREDICTION_ALGORITHMS)
#: The control learners that update one value per step (Sutton & Barto chapters 6 and 8).
ONE_STEP_ALGORITHMS = ALGORITHMS[: DYNA_Q + 1]
#: The arguments a learner needs beyond the common ones, in a default run (fastq bench, warmup,
#: the command line): ``n`` of the n-step learners and ``lam`` of the trace learners (the
#: prediction learners also need a policy: :func:`default_arguments`).
DEFAULT_N, DEFAULT_LAM = 4, 0.9


def default_arguments(algo: str) -> dict:
    """The arguments ``algo`` needs beyond the common ones, for a default run (fastq bench,
    warmup, the command line): the equiprobable policy for prediction, ``n`` for the n-step
    learners, ``lam`` for the traces.

    Examples
    --------
    >>> from fastq.algos import default_arguments
    >>> default_arguments("td_lambda")
    {'policy': 'uniform', 'lam': 0.9}
    >>> default_arguments("q_learning")
    {}
    """
    _validate.choice("algo", algo, ALGORITHMS)
    out = {}
    if algo in PREDICTION_ALGORITHMS:
        out["policy"] = "uniform"
    if algo in ("n_step_td", "n_step_sarsa"):
        out["n"] = DEFAULT_N
    if LEARNERS[algo].traces:
        out["lam"] = DEFAULT_LAM
    return out


#: Backends: compiled kernels or the numpy reference.
BACKENDS = ("numba", "numpy")
#: Exploration rules of the behaviour policy.
EXPLORATIONS = ("epsilon_greedy", "softmax")
#: How the greedy action is chosen among equal values.
TIE_BREAKS = ("random", "first")
#: Kinds of eligibility trace (``train(..., trace=...)``), in the order of their kernel codes:
#: ``"dutch"`` is true online TD(lambda) (``td_lambda`` only).
TRACE_KINDS = ("accumulating", "replacing", "dutch")


@dataclass(frozen=True)
class Learner:
    """What :func:`fastq.train` needs to know about one learner besides its kernel.

    ``double_tables``: Double Q's two tables, rows ``2i`` (A) and ``2i + 1`` (B) of one
    ``(2 * agents, S, A)`` array, the policy acting on their sum.  ``model``: Dyna-Q's model of
    last observed ``(r, s')`` per pair (a table of next states, one of rewards) and its list of
    seen pairs.  The learners with more than one step keep traces (one table per agent, the list
    of traced entries and their marks) or an episode's steps (``buffer`` steps per agent); the
    prediction learners a table of state values instead of Q.
    """

    name: str
    code: int
    double_tables: bool = False
    model: bool = False

    @property
    def predicts(self) -> bool:
        """Learns V of a fixed policy (prediction) rather than Q."""
        return self.code in PREDICTION

    @property
    def traces(self) -> bool:
        return self.code in TRACES

    @property
    def buffers(self) -> bool:
        return self.code in BUFFERED

    def table_bytes(self, S: int, A: int, itemsize: int, visits: bool, buffer: int = 0) -> int:
        """Bytes of one agent's tables: Q (or V), and the learner's own
        (:class:`fastq._interface.State`; ``buffer``: the steps an episode buffer holds)."""
        rows = S if self.predicts else S * A
        float_tables = 1 + 2 * self.double_tables + self.model
        int_tables = visits + 2 * self.model  # visit counts; Dyna-Q's next states and seen pairs
        own = (float_tables * itemsize + int_tables * 8) * rows
        if self.traces:  # the traces (float64), the list of traced entries, their marks
            own += 3 * 8 * rows
        if self.buffers:  # the steps (state, action, reward) and the marks of first visits
            own += 3 * 8 * buffer + 8 * rows
        return own + 8 * 8

    def allocate(self, mdp, init: np.ndarray, dtype: np.dtype, visits: bool, buffer: int = 0) -> State:
        """The learner's tables for ``len(init)`` agents, at their initial values.

        Q holds ``init`` (``q_init``, per agent, rounded to ``dtype``) on every allowed action of
        every non-terminal state, 0 on terminal states and ``-inf`` on disallowed actions (never
        chosen, never the max); V (prediction) holds ``init`` (``v_init``) on the non-terminal
        states and 0 on the terminal ones.  Filled in place from broadcast views: no temporary as
        large as a table, which are most of a large run's memory.
        """
        agents = len(init)
        S, A, _ = mdp.shape
        rows = S if self.predicts else S * A

        def placeholder(shape, dtype) -> np.ndarray:
            return np.zeros(shape, dtype=dtype)

        def initial(copies: int) -> np.ndarray:
            # One broadcast pass, then the few exceptions: 4x faster than a masked copy, which
            # was 5 % of a short Q-learning call on 4096 agents.
            out = np.empty((agents, copies, S, A), dtype=dtype)
            out[...] = init.astype(dtype)[:, None, None, None]
            if not mdp.all_allowed:
                out[:, :, ~mdp.allowed] = -np.inf
            out[:, :, np.flatnonzero(mdp.terminal), :] = 0.0
            return out.reshape(agents * copies, S, A)

        v = placeholder((1, 1), dtype)
        q_ab = placeholder((1, 1, 1), dtype)
        if self.predicts:
            v = np.zeros((agents, S), dtype=dtype)
            np.copyto(v, init.astype(dtype)[:, None], where=~mdp.terminal)
            q = placeholder((1, 1, 1), dtype)
        elif self.double_tables:
            q_ab = initial(2)
            q = np.add(q_ab[0::2], q_ab[1::2])
        else:
            q = initial(1)
        counts = np.zeros((agents, rows), dtype=np.int64) if visits else placeholder((1, 1), np.int64)
        if self.model:
            model = (np.full((agents, S, A), -1, dtype=np.int64), np.zeros((agents, S, A), dtype=dtype),
                     np.zeros((agents, S * A), dtype=np.int64), np.zeros(agents, dtype=np.int64))
        else:
            model = (placeholder((1, 1, 1), np.int64), placeholder((1, 1, 1), dtype), placeholder((1, 1), np.int64),
                     placeholder(1, np.int64))
        marked = self.traces or self.buffers
        return State(
            q, q_ab, counts.reshape((agents, S, A) if visits and not self.predicts else counts.shape), *model, v,
            np.zeros((agents, rows)) if self.traces else placeholder((1, 1), np.float64),
            np.zeros((agents, rows), dtype=np.int64) if self.traces else placeholder((1, 1), np.int64),
            np.zeros(agents, dtype=np.int64) if self.traces else placeholder(1, np.int64),
            np.zeros((agents, max(buffer, 1), 3), dtype=np.int64) if self.buffers else placeholder((1, 1, 3), np.int64),
            np.zeros((agents, rows), dtype=np.int64) if marked else placeholder((1, 1), np.int64),
        )

    def finish(self, state: State) -> tuple[np.ndarray, dict]:
        """``Result.q`` (prediction: ``Result.v``) and the learner's extra arrays from its final tables."""
        if self.predicts:
            return state.v, {}
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
    "td": Learner("td", TD),
    "n_step_td": Learner("n_step_td", N_STEP_TD),
    "td_lambda": Learner("td_lambda", TD_LAMBDA),
    "mc_prediction": Learner("mc_prediction", MC_PREDICTION),
    "n_step_sarsa": Learner("n_step_sarsa", N_STEP_SARSA),
    "sarsa_lambda": Learner("sarsa_lambda", SARSA_LAMBDA),
    "q_lambda": Learner("q_lambda", Q_LAMBDA),
    "mc_control": Learner("mc_control", MC_CONTROL),
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
                except (ValueError, TypeError) as exc:  # about the argument, in the schedule's words
                    raise type(exc)(name, str(exc)) from None
            table[j] = v.values(width)
        else:
            table[j] = _validate.real(name, v, low=low, high=high, low_closed=low_closed)
    return table, rows, [repr(v) for v in value]


__all__ = ["ALGORITHMS", "BACKENDS", "CONTROL_ALGORITHMS", "EXPLORATIONS", "LEARNERS", "ONE_STEP_ALGORITHMS",
           "PREDICTION_ALGORITHMS", "default_arguments",
           "TIE_BREAKS", "TRACE_KINDS", "Learner", "Schedule",
           "exponential", "linear", "visits"]
