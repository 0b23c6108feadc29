"""SweepResult: every (cell, seed) pair of a sweep, its statistics, and its directory on disk.

What :func:`fastq.sweep` returns and :func:`fastq.load` reads back.  The arrays are
``(cells, seeds, episodes)`` (``q``: ``(cells, seeds, S, A)``); a cell's seeds are the agents of
a :class:`fastq.Result` (:meth:`SweepResult.result`).  The summaries reduce every seed to its
mean over the last ``last`` episodes of a ``metric`` and then use :mod:`fastq.stats` across
seeds.  The files are written and read by :mod:`fastq._store`.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from . import _deprecation, _validate
from ._store import chunk_pairs, chunk_path, open_out, read_chunk, read_manifest, write_chunk
from ._validate import ArgumentError
from .results import METRICS, SUMMARY_FRACTION, Result, missing_metric
from .stats import BOOTSTRAP_RESAMPLES, bootstrap_ci, interquartile_mean

#: Per-episode arrays every chunk holds, with their dtypes.
_EPISODE_ARRAYS = {"returns": np.float64, "lengths": np.int32, "successes": np.bool_}


def _fill_value(dtype: np.dtype):
    kind = np.dtype(dtype).kind
    return np.nan if kind in "fc" else (False if kind == "b" else 0)


class SweepResult:
    """What :func:`fastq.sweep` returns and :func:`fastq.load` reads back: every (cell, seed)
    pair of a hyperparameter sweep.

    Cells are the Cartesian product of the sweep's axes (:attr:`axes`: ``env`` first when it is a
    list, then ``algo`` when it is a list, then the ``grid`` keys in the order given), the last
    axis varying fastest:
    ``returns.reshape(*sw.shape, seeds, episodes)`` indexes by axis values.

    Attributes
    ----------
    axes : dict of str -> list
        The values of every axis (JSON forms: numbers, strings; schedules as their repr; an
        environment axis as environment names).
    cells : list of dict
        The axis values of every cell.
    seeds, seed_ids : (seeds,) uint64
        Seed index ``i`` is agent ``seed_ids[i]`` of a :func:`fastq.train` run with root seed
        ``seeds[i]``: every cell with seed index ``i`` uses the same random stream.
    episodes : int
    done : (cells, seeds) bool
        Which pairs have finished (all, unless the sweep was interrupted).
    meta : dict
        Of the call that produced it: ``wall_time`` (s), ``compile_time`` (s, summed over
        chunks), ``agent_steps`` (all finished chunks) and ``agent_steps_run`` (this call),
        ``steps_per_second`` (this call's agent-steps over its wall time, less in-process compile
        time), ``interrupted``, ``chunks``, ``chunks_done``, ``chunks_run``, ``executor``,
        ``workers``, ``out``, ``versions``.
    manifest : dict
        The manifest written to ``sweep.json``.

    Examples
    --------
    >>> import fastq
    >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
    >>> sw.returns.shape, sw.cells
    ((2, 4, 20), [{'alpha': 0.1}, {'alpha': 0.5}])
    """

    def __init__(self, manifest: dict, meta: dict | None = None):
        self.manifest = manifest
        self.axes = {name: list(values) for name, values in manifest["axes"]}
        self.cells = [dict(cell) for cell in manifest["cells"]]
        self.episodes = int(manifest["episodes"])
        streams = np.array(manifest["streams"], dtype=np.uint64).reshape(-1, 2)
        self.seeds, self.seed_ids = streams[:, 0].copy(), streams[:, 1].copy()
        C, N = len(self.cells), len(self.seeds)
        self.done = np.zeros((C, N), dtype=bool)
        self.chunk_meta: list = [None] * len(manifest["chunks"])
        self.meta = dict(meta or {})
        self._data: dict = {}
        self._shared: dict = {}  # group -> per-run arrays of Result.extra (not per agent)
        self._cell_group = np.empty(C, dtype=np.int64)
        for g, group in enumerate(manifest["groups"]):
            self._cell_group[group["cells"]] = g
        for name, dtype in _EPISODE_ARRAYS.items():
            self._data[name] = np.full((C, N, self.episodes), _fill_value(dtype), dtype=dtype)
        shapes = [tuple(manifest["groups"][g]["q_shape"]) for g in self._cell_group]
        if len(set(shapes)) <= 1:
            self._data["q"] = np.full((C, N, *(shapes[0] if shapes else (0, 0))), np.nan)
        else:
            self._data["q"] = [np.full((N, *shape), np.nan) for shape in shapes]

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values of every axis (``()`` for a single cell)."""
        return tuple(len(v) for v in self.axes.values())

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    @property
    def complete(self) -> bool:
        """Whether every (cell, seed) pair has finished."""
        return bool(self.done.all())

    def index(self, **values) -> int:
        """The cell with these axis values (every axis named), e.g. ``sw.index(alpha=0.1)``.

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=2, episodes=5)
        >>> sw.index(alpha=0.5)
        1
        """
        if set(values) != set(self.axes):
            raise ArgumentError("values", f"index() needs a value for every axis {list(self.axes)}, got {sorted(values)}")
        for c, cell in enumerate(self.cells):
            if all(not isinstance(v, np.ndarray) and cell[k] == v for k, v in values.items()):
                return c
        raise ArgumentError(next(iter(values), "values"), f"no cell has the values {values}; axes: {self.axes}")

    # ------------------------------------------------------------------ arrays
    def _put(self, name: str, cells: np.ndarray, seeds: np.ndarray, values: np.ndarray) -> None:
        values = np.asarray(values)
        trailing = values.shape[1:]
        current = self._data.get(name)
        if current is None:
            current = np.full((self.n_cells, self.n_seeds, *trailing), _fill_value(values.dtype), dtype=values.dtype)
            self._data[name] = current
        if isinstance(current, np.ndarray) and current.shape[2:] != trailing:
            current = self._data[name] = [current[c] for c in range(self.n_cells)]
        if isinstance(current, list):
            for c in np.unique(cells):
                rows = cells == c
                if current[c].shape[1:] != trailing:  # this cell's shape (another environment)
                    current[c] = np.full((self.n_seeds, *trailing), _fill_value(values.dtype), dtype=values.dtype)
                current[c][seeds[rows]] = values[rows]
        else:
            current[cells, seeds] = values

    def _pairs(self, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """(cell, seed index) of every agent of a chunk, in the chunk's agent order."""
        return chunk_pairs(self.manifest, chunk)

    def _put_chunk(self, chunk: int, payload: dict) -> None:
        cells, seeds = self._pairs(chunk)
        group = self.manifest["chunks"][chunk][0]
        expected = {name: (cells.size, self.episodes) for name in _EPISODE_ARRAYS}
        expected["q"] = (cells.size, *self.manifest["groups"][group]["q_shape"])
        for name, shape in expected.items():  # checked before anything is kept
            got = np.shape(payload["arrays"].get(name))
            if got != shape:
                raise ValueError(f"chunk {chunk}: array {name!r} has shape {got}, expected {shape}")
        for name, values in payload["arrays"].items():
            if name.startswith("shared."):
                self._shared.setdefault(self.manifest["chunks"][chunk][0], {})[name[7:]] = np.asarray(values)
                continue
            if np.shape(values)[:1] != (cells.size,):
                raise ValueError(f"chunk {chunk}: array {name!r} has shape {np.shape(values)}, "
                                 f"expected {cells.size} agents first")
            self._put(name, cells, seeds, values)
        self.done[cells, seeds] = True
        self.chunk_meta[chunk] = payload["meta"]

    def _chunk_payload(self, chunk: int) -> dict:
        cells, seeds = self._pairs(chunk)
        arrays = {}
        for name, current in self._data.items():
            if isinstance(current, list):
                arrays[name] = np.stack([current[c][s] for c, s in zip(cells, seeds)])
            else:
                arrays[name] = current[cells, seeds]
        group = self.manifest["chunks"][chunk][0]
        arrays.update({f"shared.{k}": v for k, v in self._shared.get(group, {}).items()})
        return {"arrays": arrays, "meta": self.chunk_meta[chunk]}

    def _stacked(self, name: str) -> np.ndarray:
        current = self._data[name]
        if isinstance(current, list):
            shapes = sorted({tuple(a.shape[1:]) for a in current})
            raise ValueError(
                f"{name}: the cells have different shapes {shapes} (different environments); "
                f"use sw.result(cell).{name.removeprefix('extra.')} for one cell")
        return current

    @property
    def returns(self) -> np.ndarray:
        """(cells, seeds, episodes) float64: undiscounted return of every episode (NaN where not run)."""
        return self._stacked("returns")

    @property
    def lengths(self) -> np.ndarray:
        """(cells, seeds, episodes) int32: steps of every episode (0 where not run)."""
        return self._stacked("lengths")

    @property
    def successes(self) -> np.ndarray:
        """(cells, seeds, episodes) bool: whether the episode ended in a goal."""
        return self._stacked("successes")

    @property
    def q(self) -> np.ndarray:
        """(cells, seeds, S, A) float64: final action values (every cell must have the same
        environment size; otherwise use ``sw.result(cell).q``); ``A`` is 0 for prediction."""
        return self._stacked("q")

    @property
    def v(self) -> np.ndarray | None:
        """(cells, seeds, S): the state values of the prediction learners (NaN where not run),
        None for control."""
        return self._stacked("v") if "v" in self._data else None

    def per_episode(self, metric: str = "return"):
        """The per-episode values of a metric of :data:`fastq.results.METRICS`:
        ``(cells, seeds, episodes)`` (``rms_error``: ``episodes + 1`` columns, the first before
        any learning), or a list of per-cell ``(seeds, ...)`` arrays where cells differ.

        Examples
        --------
        >>> import fastq
        >>> walk = fastq.make("RandomWalk-5")
        >>> sw = fastq.sweep(walk, "td", grid={"alpha": [0.05, 0.1]}, seeds=3, episodes=10,
        ...                  policy=walk.uniform_policy())
        >>> sw.per_episode("rms_error").shape
        (2, 3, 11)
        """
        _validate.choice("metric", metric, tuple(METRICS))
        name = METRICS[metric][0]
        if name in self._data:
            return self._data[name]
        if self.done.any():  # a chunk finished without it: this sweep does not record it
            raise missing_metric(metric)
        return np.full((self.n_cells, self.n_seeds, self.episodes + (metric == "rms_error")), np.nan)

    @property
    def metrics(self) -> list[str]:
        """The metrics of :data:`fastq.results.METRICS` this sweep records."""
        return [m for m, (name, _) in METRICS.items() if name in self._data or not name.startswith("extra.")]

    @property
    def extra(self) -> dict:
        """Algorithm-specific per-agent arrays (``Result.extra``: Double Q-learning's tables,
        ``eval_every``'s evaluations) as ``(cells, seeds, ...)`` arrays, or lists of per-cell
        ``(seeds, ...)`` arrays where cells differ in shape.  Per-run arrays (the episodes of the
        evaluations) are in ``sw.result(cell).extra``."""
        return {k.removeprefix("extra."): v for k, v in self._data.items() if k.startswith("extra.")}

    def result(self, cell: int) -> Result:
        """The :class:`Result` of one cell, its seeds as agents.

        Its arrays equal those of ``fastq.train(cell's env, cell's algo, agents=seeds,
        seed=root seed, **cell's hyperparameters)`` (with explicit ``seeds``, agent ``i`` equals
        agent 0 of the run with ``seed=seeds[i]``).

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=3, episodes=10)
        >>> sw.result(1).returns.shape
        (3, 10)
        """
        cell = _validate.integer("cell", cell, low=0, high=self.n_cells - 1)
        if not self.done[cell].all():
            raise ValueError(f"cell {cell} has not finished ({int(self.done[cell].sum())} of "
                             f"{self.n_seeds} seeds done); run the sweep again with the same out to finish it")

        def get(name):
            current = self._data[name]
            return np.array(current[cell])

        group = self.manifest["groups"][int(self._cell_group[cell])]
        args = dict(self.manifest["cell_args"][cell])
        params = {k: np.full(self.n_seeds, v) for k, v in args.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)}
        params["seed"], params["agent_ids"] = self.seeds.copy(), self.seed_ids.copy()
        seeds = self.manifest["seeds"]
        meta = {
            "algo": group["algo"], "env": group["env"], "env_options": group["env_options"],
            "seed": seeds.get("seed") if "count" in seeds else None,
            "agents": self.n_seeds, "episodes": self.episodes, "episodes_requested": self.episodes,
            "interrupted": False, "wall_time": float("nan"), "compile_time": 0.0,
            "sweep_cell": cell, "cell": dict(self.cells[cell]), "train_args": args,
            "versions": self.manifest.get("versions", {}),
        }
        extra = {k.removeprefix("extra."): get(k) for k in self._data if k.startswith("extra.")}
        extra.update({k: v.copy() for k, v in self._shared.get(int(self._cell_group[cell]), {}).items()})
        return Result(get("q"), get("returns"), get("lengths"), get("successes"),
                      params=params, meta=meta, extra=extra, v=get("v") if "v" in self._data else None)

    # ------------------------------------------------------------------ statistics
    def _window(self, last: int | None) -> int:
        if last is None:
            return max(1, int(round(self.episodes * SUMMARY_FRACTION)))
        return _validate.integer("last", last, low=1, high=self.episodes)

    def final(self, metric: str = "return", last: int | None = None) -> np.ndarray:
        """Per (cell, seed): the mean of ``metric`` over the last ``last`` episodes.

        Parameters
        ----------
        metric : {"return", "length", "success", "loss", "rms_error"}
        last : int, 1 <= last <= episodes, optional
            Window (default: the last 10 % of the episodes, at least 1).

        Returns
        -------
        (cells, seeds) float64, NaN for pairs that have not finished.

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", seeds=3, episodes=10)
        >>> sw.final("success", last=5).shape
        (1, 3)
        """
        current = self.per_episode(metric)
        last = self._window(last)
        out = np.full((self.n_cells, self.n_seeds), np.nan)
        for c in range(self.n_cells):
            values = current[c][:, current[c].shape[1] - last:]
            out[c] = values.mean(axis=1, dtype=np.float64)
        out[~self.done] = np.nan
        return out

    def summary(self, metric: str = "return", last: int | None = None, *,
                resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = 0.95, seed: int = 0) -> list[dict]:
        """Per cell: mean, IQM and bootstrap confidence interval of the mean of ``metric`` over
        the last ``last`` episodes, across seeds.

        Each seed contributes one number, its mean over the window (:meth:`final`); unfinished
        seeds are left out.  The interval is a percentile bootstrap of the mean over seeds
        (:func:`bootstrap_ci`), ``resamples`` resamples seeded with ``(seed, cell)``, so a cell's
        interval does not depend on the other cells.

        Parameters
        ----------
        metric : {"return", "length", "success", "loss", "rms_error"}
        last : int, optional
            Window (default: the last 10 % of the episodes).
        resamples : int, default 10000
        confidence : float, default 0.95
        seed : int, default 0

        Returns
        -------
        list of dict
            One per cell: ``cell`` (index), the cell's axis values, ``seeds`` (finished),
            ``mean``, ``iqm``, ``ci_low``, ``ci_high``.

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
        >>> row = sw.summary("return", last=10)[1]
        >>> sorted(row)
        ['alpha', 'cell', 'ci_high', 'ci_low', 'iqm', 'mean', 'seeds']
        """
        if not isinstance(metric, str) and isinstance(metric, (numbers.Integral, type(None))) \
                and (isinstance(last, str) or last is None):
            # The old order, summary(last, metric): (metric, last) is the order of final() and best().
            _deprecation.warn("SweepResult.summary(last, metric) with the window first",
                              "summary(metric, last) or keywords")
            metric, last = ("return" if last is None else last), metric
        values = self.final(metric, last)
        rows = []
        for c in range(self.n_cells):
            x = values[c][self.done[c]]
            low, high = bootstrap_ci(x, resamples=resamples, confidence=confidence, seed=[seed, c])
            rows.append({
                "cell": c, **self.cells[c], "seeds": int(x.size),
                "mean": float(x.mean()) if x.size else float("nan"),
                "iqm": interquartile_mean(x), "ci_low": low, "ci_high": high,
            })
        return rows

    def best(self, metric: str = "return", last: int | None = None) -> dict:
        """The summary row (see :meth:`summary`) of the cell with the best mean ``metric``:
        highest return or success rate, lowest episode length.  Ties go to the first cell.

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
        >>> sw.best("return", last=10)["cell"] in (0, 1)
        True
        """
        rows = self.summary(metric, last, resamples=BOOTSTRAP_RESAMPLES)
        if metric not in METRICS:  # the old order best(last, metric), which summary() accepted
            metric = "return" if last is None else last
        means = np.array([row["mean"] for row in rows])
        if np.isnan(means).all():
            raise ValueError("best(): no cell has finished seeds")
        sign = 1.0 if METRICS[metric][1] else -1.0
        return rows[int(np.nanargmax(sign * means))]

    def to_pandas(self, last: int | None = None):
        """A tidy table: one row per finished (cell, seed) pair.

        Columns: ``cell``, one per axis, ``seed`` (the seed index), and the means of ``return``,
        ``length`` and ``success`` over the last ``last`` episodes (default 10 %; the window is in
        ``df.attrs["last"]``).  Needs pandas (``pip install 'fastq-rl[pandas]'``).

        Examples
        --------
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=3, episodes=10)
        >>> list(sw.to_pandas().columns)
        ['cell', 'alpha', 'seed', 'return', 'length', 'success']
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is part of the test extras
            raise ImportError("to_pandas() needs pandas: pip install 'fastq-rl[pandas]'") from None
        window = self._window(last)
        finals = {metric: self.final(metric, window) for metric in self.metrics}
        cells, seeds = np.nonzero(self.done)
        columns = {"cell": cells}
        for axis in self.axes:
            columns[axis] = [self.cells[c][axis] for c in cells]
        columns["seed"] = seeds
        for metric, values in finals.items():
            columns[metric] = values[cells, seeds]
        df = pd.DataFrame(columns)
        df.attrs["last"] = window
        return df

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | os.PathLike) -> None:
        """Write the sweep to a directory (manifest plus one npz per finished chunk), as
        ``sweep(..., out=folder)`` does; :func:`fastq.load` reads it back.

        A directory that holds a different sweep (or this one cut into other chunks), or that a
        running sweep writes, is refused.  Every file is written atomically
        (:func:`fastq._store.atomic_write`).

        Examples
        --------
        >>> import os, tempfile
        >>> import fastq
        >>> sw = fastq.sweep("FrozenLake-4x4", seeds=2, episodes=5)
        >>> folder = os.path.join(tempfile.mkdtemp(), "copy")
        >>> sw.save(folder)
        >>> bool((fastq.load(folder).returns == sw.returns).all())
        True
        """
        folder = os.fspath(folder)
        stored, owner = open_out(folder, self.manifest, None, argument="folder")  # owned while written
        with owner:
            if stored["chunks"] != self.manifest["chunks"]:
                raise ArgumentError("folder", f"folder {folder!r} holds this sweep cut into other chunks "
                                              f"(chunk_agents={stored['chunk_agents']}); choose another folder")
            for chunk in range(len(self.chunk_meta)):
                cells, seeds = self._pairs(chunk)
                if self.chunk_meta[chunk] is not None and self.done[cells, seeds].all():
                    write_chunk(folder, chunk, self._chunk_payload(chunk))

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "SweepResult":
        """Read a sweep directory; chunks that have not finished stay NaN / 0 and ``done`` False."""
        folder = os.fspath(folder)
        manifest = read_manifest(folder)
        sw = cls(manifest, meta={"out": folder})
        for chunk, (g, start, stop) in enumerate(manifest["chunks"]):
            payload = read_chunk(folder, chunk)
            if payload is None:
                continue
            where = payload["meta"].get("range")
            if where != [g, start, stop]:
                raise ValueError(f"{chunk_path(folder, chunk)!r} holds agents {where}, but the "
                                 f"manifest puts chunk {chunk} at {[g, start, stop]}")
            sw._put_chunk(chunk, payload)
        done = [m for m in sw.chunk_meta if m is not None]
        sw.meta.update({
            "chunks": len(sw.chunk_meta), "chunks_done": len(done),
            "agent_steps": int(sum(m.get("agent_steps", 0) for m in done)),
            "interrupted": False, "versions": manifest.get("versions", {}),
        })
        return sw

    def __repr__(self) -> str:
        axes = " x ".join(f"{k} {len(v)}" for k, v in self.axes.items()) or "1"
        return (f"SweepResult({self.manifest['env_label']}, cells={self.n_cells} ({axes}), "
                f"seeds={self.n_seeds}, episodes={self.episodes}, done={self.done.mean():.0%})")


__all__ = ["METRICS", "SweepResult"]  # METRICS: fastq.results', re-exported
