"""Result: the arrays and metadata of one training run; save / load as npz without pickle.

Axis order, kept everywhere: ``q`` is ``(agents, S, A)``, per-episode arrays are
``(agents, episodes)``, per-agent hyperparameters ``(agents,)``.  A sweep's results are
:class:`fastq.SweepResult` (:mod:`fastq.sweep_result`); :func:`fastq.load` reads either.
"""

from __future__ import annotations

import json
import numbers
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from . import _deprecation, _validate
from ._store import atomic_write

_ARRAYS = ("q", "returns", "lengths", "successes")
#: Hyperparameters that take a schedule: each has ``params[name + "_schedule"]``.
SCHEDULED = ("alpha", "epsilon", "temperature")
#: Default summary window: the last (and first) 10 % of the episodes, at least one.
SUMMARY_FRACTION = 0.1
#: Arrays of ``Result.extra`` that describe the run, not each agent (their first axis is not
#: the agents): the episodes of the ``eval_every`` checkpoints.  Every other extra array is per
#: agent, ``(agents, ...)``; a sweep splits chunks' extras by this list.
RUN_EXTRAS = ("eval_episodes",)
#: Per-episode metrics: where each is kept (an attribute, or ``extra.<key>``) and whether larger
#: is better.  ``loss`` is kept with ``train(record_loss=True)``; ``rms_error`` by the prediction
#: learners, with one more column than episodes (the first before any learning).
METRICS = {"return": ("returns", True), "length": ("lengths", False), "success": ("successes", True),
           "loss": ("extra.loss", False), "rms_error": ("extra.rms_error", False)}
_RECORDED_BY = {"loss": "train(..., record_loss=True)",
                "rms_error": "the prediction learners (td, n_step_td, td_lambda, mc_prediction)"}


def missing_metric(metric: str) -> _validate.ArgumentError:
    """The error for a metric a result does not hold."""
    return _validate.ArgumentError("metric", f"metric {metric!r} is not recorded here: it is kept by "
                                             f"{_RECORDED_BY[metric]}")


class Params(dict):
    """:attr:`Result.params`: a dict whose keys have one shape whatever the input.

    Built by :meth:`of` from what :func:`fastq.train` records.  For each of :data:`SCHEDULED`
    it adds ``<name>_schedule``, ``(agents,)`` str: the repr of the schedule each agent follows,
    ``""`` where it used a number.  The table form of a scheduled hyperparameter --
    ``params[name]`` as the ``(rows, episodes)`` table, ``params[name + "_row"]`` and
    ``params["alpha_power"]`` -- is kept for this release and warns when read.

    Examples
    --------
    >>> import fastq
    >>> res = fastq.train("FrozenLake-4x4", agents=3, episodes=5, epsilon=[0.1, fastq.linear(1, 0, 4), 0.2])
    >>> res.params["epsilon_schedule"].tolist()
    ['', 'linear(start=1.0, end=0.0, episodes=4)', '']
    >>> res.params["gamma"].shape, res.params["alpha_schedule"].tolist()
    ((3,), ['', '', ''])
    """

    def __init__(self, *args, deprecated=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._deprecated = dict(deprecated or {})

    @classmethod
    def of(cls, params: dict, schedules: dict, agents: int) -> "Params":
        """The stable form of ``params`` (idempotent; also reads results saved before 0.2)."""
        if isinstance(params, Params):
            return params
        out = {k: v for k, v in params.items()}
        deprecated = {}
        for name in SCHEDULED:
            if name not in out or f"{name}_schedule" in out:
                continue
            row = out.get(f"{name}_row")
            if row is None:  # one number per agent
                out[f"{name}_schedule"] = np.full(agents, "")
                continue
            described = list(schedules.get(name, []))
            rows = np.asarray(row, dtype=np.int64)
            labels = [d if not _is_number(d) else "" for d in described]
            out[f"{name}_schedule"] = np.array([labels[r] for r in rows] if labels else [""] * agents)
            shape = "the (rows, episodes) table of the values" if np.ndim(out[name]) == 2 else "a table"
            deprecated[name] = (f"params[{name!r}] of a run with a schedule ({shape})",
                                f"params[{name + '_schedule'!r}]; from fastq {_deprecation.REMOVED_IN} "
                                f"params[{name!r}] is (agents,), NaN where an agent follows a schedule")
            deprecated[f"{name}_row"] = (f"params[{name + '_row'!r}]", f"params[{name + '_schedule'!r}]")
        if "alpha_power" in out:
            deprecated["alpha_power"] = ("params['alpha_power']", "params['alpha_schedule'] ('visits(power=...)')")
        return cls(out, deprecated=deprecated)

    def __getitem__(self, key):
        if key in self._deprecated:
            _deprecation.warn(*self._deprecated[key])
        return super().__getitem__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(eq=False)
class Result:
    """What :func:`fastq.train` returns.

    Attributes
    ----------
    q : (agents, S, A) float64, or float32 for ``train(dtype="float32")``
        Final action values of every agent.
    returns : (agents, episodes) float64
        Undiscounted sum of rewards of each episode.
    lengths : (agents, episodes) int32
        Number of steps of each episode (terminated or truncated).
    successes : (agents, episodes) bool
        Whether the episode ended by entering a goal state.
    params : dict of str -> (agents,) array
        The per-agent hyperparameters actually used, one shape per key whatever the input:
        ``gamma``, ``q_init``, and ``alpha``, ``epsilon``, ``temperature`` as numbers, each with
        ``<name>_schedule``, the repr of the schedule an agent follows (``""`` for a number,
        e.g. ``"linear(start=1.0, end=0.1, episodes=100)"`` or ``"visits(power=1.0)"``); ``seed``
        and ``agent_ids`` when they were arrays.  Deprecated: when a schedule was given,
        ``params[name]`` is still the ``(rows, episodes)`` table of this release, with
        ``<name>_row`` (and ``alpha_power``); reading them warns (see :class:`Params`).
    meta : dict
        ``algo``, ``env``, ``seed``, ``backend``, ``threads``, ``tie_break``, ``agents``,
        ``episodes`` (completed), ``episodes_requested``, ``interrupted``, ``wall_time`` (s,
        training only), ``compile_time`` (s spent compiling the kernel in this call, 0 if it was
        compiled already), ``versions``, and ``env_options`` (the map and options of a grid
        world, so the environment can be rebuilt); ``exploration``, ``planning_steps`` and
        ``schedules`` (the description of each table row of a scheduled hyperparameter).
    extra : dict of str -> array
        Algorithm-specific arrays: Double Q-learning's two tables ``q_a``, ``q_b``
        (agents, S, A) (``q`` is their mean); the exact evaluations of ``eval_every``
        (``eval_value``, ``eval_success`` (agents, checkpoints), and ``eval_episodes``
        (checkpoints,), the one array per run, :data:`RUN_EXTRAS`); ``loss`` (agents,
        episodes), the mean squared TD error of each episode's updates, with
        ``record_loss=True``; ``rms_error`` (agents, episodes + 1) of the prediction learners,
        the RMS error of V over the non-terminal states against the policy's exact values
        before any learning and after every episode.
    v : (agents, S) array or None
        The state values the prediction learners (``td``, ``n_step_td``, ``td_lambda``,
        ``mc_prediction``) learn; ``q`` is then ``(agents, S, 0)``.  None for control.

    Examples
    --------
    >>> import fastq
    >>> res = fastq.train("FrozenLake-4x4", agents=8, episodes=50, seed=1)
    >>> res.returns.shape, res.greedy_policy().shape
    ((8, 50), (8, 16))
    """

    q: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    successes: np.ndarray
    params: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    v: np.ndarray | None = None

    def __post_init__(self):
        self.params = Params.of(self.params, self.meta.get("schedules") or {}, self.q.shape[0])

    @property
    def agents(self) -> int:
        return self.q.shape[0]

    @property
    def episodes(self) -> int:
        """Number of completed episodes per agent."""
        return self.returns.shape[1]

    @property
    def agent_steps(self) -> int:
        """Environment steps taken by all agents together."""
        return int(self.lengths.sum(dtype=np.int64))

    @property
    def steps_per_second(self) -> float:
        """Agent-steps per second of wall time."""
        wall = self.meta.get("wall_time", 0.0)
        return self.agent_steps / wall if wall > 0 else float("nan")

    def per_episode(self, metric: str = "return") -> np.ndarray:
        """The per-episode values of a metric of :data:`METRICS`, ``(agents, episodes)``
        (``rms_error``: ``(agents, episodes + 1)``, the first column before any learning).

        Examples
        --------
        >>> import fastq
        >>> res = fastq.train("FrozenLake-4x4", agents=2, episodes=5, record_loss=True)
        >>> res.per_episode("loss").shape, res.per_episode("success").dtype
        ((2, 5), dtype('bool'))
        """
        _validate.choice("metric", metric, tuple(METRICS))
        where = METRICS[metric][0]
        if where.startswith("extra."):
            if where[6:] not in self.extra:
                raise missing_metric(metric)
            return self.extra[where[6:]]
        return getattr(self, where)

    def greedy_policy(self) -> np.ndarray:
        """Greedy action of every agent in every state, ``(agents, S)`` int64.

        Ties go to the first maximising action (``argmax``), so the result is deterministic.
        A prediction result (``v``, no action values) has none: it followed the given policy.
        """
        if self.q.shape[2] == 0:
            raise ValueError("greedy_policy(): this result learned state values (v) of a given policy, "
                             "not action values; it has no greedy policy")
        return np.argmax(self.q, axis=2)

    def summary(self, last: int | None = None, *, fraction: float | None = None) -> dict:
        """Headline numbers: mean return over the first and the last ``last`` episodes, success
        rate over the last ``last``, wall time and agent-steps per second.

        Parameters
        ----------
        last : int, 1 <= last <= episodes, optional
            The window in episodes (default: 10 % of the episodes, at least 1), as
            :meth:`fastq.SweepResult.summary`'s ``last``.
        fraction : float, 0 < fraction <= 1, optional
            Deprecated: the window as a share of the episodes; use ``last``.

        Returns
        -------
        dict
            ``agents``, ``episodes``, ``return_first``, ``return_last``, ``success_last`` (NaN
            without episodes), ``wall_time``, ``agent_steps``, ``steps_per_second``.

        Examples
        --------
        >>> import fastq
        >>> s = fastq.train("FrozenLake-4x4", agents=4, episodes=20).summary()
        >>> sorted(s)
        ['agent_steps', 'agents', 'episodes', 'return_first', 'return_last', 'steps_per_second', 'success_last', 'wall_time']
        """
        if isinstance(last, numbers.Real) and not isinstance(last, numbers.Integral) and fraction is None:
            fraction, last = last, None  # the old positional summary(0.1)
            _deprecation.warn("Result.summary(fraction)", "summary(last=episodes)")
        elif fraction is not None:
            _deprecation.warn("Result.summary(fraction=...)", "summary(last=episodes)")
        if fraction is not None:
            if last is not None:
                raise ValueError("give last or fraction, not both")
            fraction = _validate.real("fraction", fraction, low=0.0, high=1.0, low_closed=False)
            n = max(1, int(round(self.episodes * fraction))) if self.episodes else 0
        elif last is None:
            n = max(1, int(round(self.episodes * SUMMARY_FRACTION))) if self.episodes else 0
        else:
            n = _validate.integer("last", last, low=1, high=max(1, self.episodes)) if self.episodes else 0
        head, tail = self.returns[:, :n], self.returns[:, self.episodes - n:]
        nan = float("nan")
        return {
            "agents": self.agents,
            "episodes": self.episodes,
            "return_first": float(head.mean()) if n else nan,
            "return_last": float(tail.mean()) if n else nan,
            "success_last": float(self.successes[:, self.episodes - n:].mean()) if n else nan,
            "wall_time": float(self.meta.get("wall_time", nan)),
            "agent_steps": self.agent_steps,
            "steps_per_second": self.steps_per_second,
        }

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the result to ``path`` (an ``.npz`` file: arrays plus JSON metadata, no pickle).

        The file is written as a sweep's chunks are (:func:`fastq._store.atomic_write`): to a
        temporary file of its own, flushed to disk and renamed, so a crash or a concurrent
        save never leaves a half-written result behind.  Everything is checked before anything
        is written: arrays of Python objects (which only pickle could store) and metadata that
        JSON cannot hold are refused, naming their key.

        Parameters
        ----------
        path : str or path
            The file; ``.npz`` is appended if missing (:func:`fastq.load` finds it either way).
            Not a folder.

        Examples
        --------
        >>> import os, tempfile
        >>> import fastq
        >>> res = fastq.train("FrozenLake-4x4", agents=2, episodes=5)
        >>> path = os.path.join(tempfile.mkdtemp(), "run")
        >>> res.save(path)
        >>> fastq.load(path).returns.shape
        (2, 5)
        """
        path = npz_path(path)
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        if self.v is not None:
            arrays["v"] = self.v
        arrays.update({f"params.{k}": v for k, v in dict.items(self.params)})
        arrays.update({f"extra.{k}": v for k, v in self.extra.items()})
        for key, value in arrays.items():
            arrays[key] = _storable(key, value)
        try:
            meta = json.dumps(self.meta, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise _validate.ArgumentTypeError(
                "meta", f"Result.meta must hold JSON types only (str, numbers, bools, None, lists, dicts) "
                        f"to be saved: {exc}") from None
        arrays["meta"] = np.array(meta)
        atomic_write(path, lambda fh: np.savez(fh, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Result":
        """Read a result written by :meth:`save` (``path`` with or without ``.npz``).

        Raises
        ------
        FileNotFoundError
            Neither ``path`` nor ``path + ".npz"`` exists.
        ValueError
            The file is not one :meth:`save` wrote (another ``.npz``, an ``.npy``, text, a
            damaged file), with what was expected.

        Examples
        --------
        >>> import os, tempfile
        >>> import fastq
        >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
        >>> fastq.train("FrozenLake-4x4", agents=2, episodes=5).save(path)
        >>> fastq.Result.load(path).q.shape
        (2, 16, 4)
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.isfile(path + ".npz"):
            path += ".npz"  # as save() named it
        expected = "a result file written by Result.save (an .npz with q, returns, lengths, successes and meta)"
        try:
            data = np.load(path, allow_pickle=False)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path!r} is not {expected}: numpy cannot read it ({exc})") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{path!r} is not {expected}: it holds a single array (an .npy file)")
        with data:
            missing = [k for k in (*_ARRAYS, "meta") if k not in data.files]
            if missing:
                raise ValueError(f"{path!r} is not {expected}: it has no {missing[0]!r}")
            try:
                params = {k.split(".", 1)[1]: data[k] for k in data.files if k.startswith("params.")}
                extra = {k.split(".", 1)[1]: data[k] for k in data.files if k.startswith("extra.")}
                meta = json.loads(str(data["meta"]))
                arrays = [data[name] for name in _ARRAYS]
                v = data["v"] if "v" in data.files else None
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(f"{path!r} is damaged or is not {expected}: {exc}") from None
        if not isinstance(meta, dict):
            raise ValueError(f"{path!r} is not {expected}: its meta is not a JSON object")
        if "range" in meta and "chunk" in meta and "algo" not in meta:
            raise ValueError(f"{path!r} is a sweep chunk, not {expected}: load the sweep's folder")
        q, returns, lengths, successes = arrays
        if (q.ndim != 3 or returns.ndim != 2 or lengths.shape != returns.shape or successes.shape != returns.shape
                or returns.shape[0] != q.shape[0]):
            raise ValueError(f"{path!r} is damaged or is not {expected}: q has shape {q.shape}, returns "
                             f"{returns.shape}, lengths {lengths.shape}, successes {successes.shape}")
        if v is not None and v.shape != q.shape[:2]:
            raise ValueError(f"{path!r} is damaged or is not {expected}: v has shape {v.shape}, q {q.shape}")
        return cls(*arrays, params=params, meta=meta, extra=extra, v=v)


def npz_path(path) -> str:
    """The file :meth:`Result.save` writes for ``path``: ``.npz`` appended if missing; a folder
    (an existing one, or a path ending with a separator) is refused.

    Examples
    --------
    >>> npz_path("runs/lake"), npz_path("runs/lake.npz")
    ('runs/lake.npz', 'runs/lake.npz')
    """
    if not isinstance(path, (str, os.PathLike)):
        raise _validate.ArgumentTypeError("path", f"path must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise _validate.ArgumentError("path", f"path must name a file, got the folder {path!r} "
                                              "(give a file name, e.g. run.npz)")
    return path if path.endswith(".npz") else path + ".npz"


def _storable(key: str, value) -> np.ndarray:
    """``value`` as an array ``np.savez`` stores without pickle; refused, naming ``key``, if it
    would need pickle (Python objects, ragged lists)."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise _validate.ArgumentTypeError(key, f"Result cannot save {key!r}: {exc}") from None
    if arr.dtype.hasobject:
        raise _validate.ArgumentTypeError(
            key, f"Result cannot save {key!r}: it is an array of Python objects (dtype object), which only pickle "
                 "could store; convert it to numbers, bools or strings")
    return arr


__all__ = ["METRICS", "Params", "RUN_EXTRAS", "Result", "SCHEDULED", "SUMMARY_FRACTION"]
