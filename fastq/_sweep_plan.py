"""A sweep's plan: every argument checked, the cells, their groups and the manifest.

:func:`fastq.sweep` hands its arguments to :class:`Plan` and runs what it plans
(:mod:`fastq._sweep`).  Nothing here trains, compiles or writes.

1. **Environments and algorithms** (:meth:`Plan._environments`, :meth:`Plan._algorithms`): the
   ``env`` and ``algo`` axes, each environment described by a JSON spec (a name, a grid's
   options, or a model's sha256).
2. **Settings** (:meth:`Plan._kinds`): each grid key and fixed setting is a :func:`fastq.train`
   argument (:func:`train_arguments`) or an option of every environment
   (:func:`fastq.envs.options`); anything else is refused.
3. **Axes and cells** (:meth:`Plan._axes`, :meth:`Plan._cells`): the Cartesian product, the last
   axis fastest; each cell's environment is built once per distinct set of options.
4. **Groups** (:meth:`Plan._group`): cells that share the environment, the algorithm and every
   setting ``train`` cannot take per agent run as one population, cells x seeds agents,
   cell-major; each group's settings are checked by train()'s own checks
   (:func:`fastq._train.check_arguments`), before anything runs.

Every error names what it is about in ``.argument`` (a :class:`fastq._validate.ArgumentError`
or :class:`~fastq._validate.ArgumentTypeError`): the setting, or ``env``, ``algo``, ``grid``,
``seeds``.  The configuration reader (:mod:`fastq.config`) turns it into a TOML key and line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import itertools
import json
import numbers
import time
from fractions import Fraction

import numpy as np

from . import _request, _train, _validate, algos, envs
from ._platform import versions
from ._store import SWEEP_FORMAT, SWEEP_VERSION, chunk_agents
from ._validate import ArgumentError, ArgumentTypeError
from .grid import GridWorld
from .mdp import TabularMDP
from .rng import SEED_LIMIT

#: train() arguments a sweep sets itself (``episodes``, ``seed`` and ``threads`` are arguments of
#: sweep()); they cannot be axes or fixed settings.
RESERVED = ("agents", "episodes", "seed", "agent_ids", "threads", "progress")


# ---------------------------------------------------------------------- train's arguments
def train_arguments() -> tuple[list[str], set[str], set[str]]:
    """What :func:`fastq.train` accepts, read from its signature and
    ``fastq._request.PER_AGENT_ARGUMENTS`` / ``SCHEDULE_ARGUMENTS``.

    Returns
    -------
    names : list of str
        Its keyword arguments, less :data:`RESERVED`: what a sweep axis or setting may name.
    per_agent : set of str
        Those it takes as ``(agents,)`` arrays: a sweep passes them per agent.
    schedules : set of str
        Those among ``per_agent`` that also take a sequence of schedules.

    Examples
    --------
    >>> from fastq._sweep_plan import train_arguments
    >>> names, per_agent, schedules = train_arguments()
    >>> "alpha" in per_agent and "gamma" in per_agent and "tie_break" not in per_agent
    True
    """
    signature = inspect.signature(_train.train)
    names = [n for n, p in signature.parameters.items()
             if p.kind is p.KEYWORD_ONLY and n not in RESERVED]
    per_agent = set(_request.PER_AGENT_ARGUMENTS) & set(names)
    return names, per_agent, set(_request.SCHEDULE_ARGUMENTS) & per_agent


def _about(exc: Exception, argument: str, message: str | None = None) -> Exception:
    """``exc`` as an ArgumentError / ArgumentTypeError about ``argument``."""
    kind = ArgumentTypeError if isinstance(exc, TypeError) else ArgumentError
    return kind(argument, str(exc) if message is None else message)


# ---------------------------------------------------------------------- values
#: Memory of one seed index besides its results: its root seed and stream id, and its entry in
#: the manifest (a JSON pair, as Python lists and as text).
SEED_BYTES = 256


def streams(seeds, seed):
    """Root seed and stream id of every seed index, and the seeds' JSON description.

    ``seeds=n`` gives seed indices ``0 .. n-1`` of the root ``seed`` (agent ``i`` of a run
    with root ``seed``); a list gives its root seeds (agent 0 of each).  A count whose streams
    alone would not fit in memory is refused before anything is allocated.
    """
    if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, (bool, np.bool_)):
        n = _validate.integer("seeds", seeds, low=1)
        _validate.memory(f"sweep(seeds={n})", n * SEED_BYTES, argument="seeds", advice="use fewer seeds")
        root = 0 if seed is None else _validate.integer("seed", seed, low=0, high=SEED_LIMIT)
        return (np.full(n, root, dtype=np.uint64), np.arange(n, dtype=np.uint64),
                {"count": n, "seed": root})
    values = _validate.distinct_integers("seeds", seeds, high=SEED_LIMIT)
    if seed is not None:
        raise ArgumentError("seed", "seed applies when seeds is a count; with a list of seeds, leave seed out")
    return (np.array(values, dtype=np.uint64), np.zeros(len(values), dtype=np.uint64), {"list": values})


def to_json(value, where: str):
    """The JSON form of a setting (numbers, strings, booleans, None, lists; schedules and other
    frozen dataclasses as their repr; fractions as strings)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json(v, where) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value)
    raise ArgumentTypeError(where, f"{where}: {value!r} ({type(value).__name__}) cannot be part of a sweep; use "
                                   "numbers, strings, booleans or fastq schedules")


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def per_agent_value(values: list):
    """One value per agent, as train() takes it: an array of numbers, or a list with schedules."""
    if all(_is_number(v) for v in values):
        return np.asarray(values)
    return list(values)


# ---------------------------------------------------------------------- environments
def env_spec(env) -> dict:
    """The JSON description of an environment in the manifest."""
    if isinstance(env, str):
        return {"name": env}
    if isinstance(env, GridWorld):
        return {"grid": env.options()}
    if isinstance(env, TabularMDP):
        digest = hashlib.sha256()
        for name, value in sorted(env.arguments().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value).tobytes() if isinstance(value, np.ndarray)
                          else repr(value).encode())
        return {"mdp": env.name, "sha256": digest.hexdigest()}
    raise ArgumentTypeError("env", f"env must be an environment name (see fastq.list_envs()), a GridWorld or a "
                                   f"TabularMDP, or a list of them, got {type(env).__name__}")


def env_payload(env):
    """What a task carries to rebuild ``env`` in another process.  Pickled models would arrive
    writeable, with another numba signature: rebuilt ones are read-only, as at home."""
    if isinstance(env, GridWorld):
        return ("grid", env.options())
    return ("mdp", env.arguments())


def env_from_payload(payload):
    if isinstance(payload, (GridWorld, TabularMDP)):
        return payload
    kind, arguments = payload
    return GridWorld(**arguments) if kind == "grid" else TabularMDP(**arguments)


# ---------------------------------------------------------------------- the plan
class Group:
    """Cells run as one population: one environment, one algorithm, shared settings."""

    def __init__(self, env, algo, shared, per_agent_names):
        self.env, self.algo, self.shared = env, algo, shared
        self.per_agent = {name: [] for name in per_agent_names}
        self.sizes: dict = {}  # what sizes its train() calls' memory (set by Plan._check)
        self.cells: list[int] = []


class Plan:
    """Cells, groups and the manifest of a sweep; every argument checked."""

    def __init__(self, env, algo, grid, params, episodes, roots, ids, seeds_spec):
        self.episodes, self.roots, self.ids, self.seeds_spec = episodes, roots, ids, seeds_spec
        env_axis, algo_axis = isinstance(env, (list, tuple)), isinstance(algo, (list, tuple))
        self.env_inputs, self.envs, env_specs = self._environments(env)
        algos_ = self._algorithms(algo)
        self.kinds = self._kinds(grid, params)
        self.axes = self._axes(grid, algos_ if algo_axis else None, env_axis)
        if "backend" in params:
            _validate.choice("backend", params["backend"], algos.BACKENDS)
        self.config = {
            "env": env_specs if env_axis else env_specs[0],
            "algo": algos_ if algo_axis else algos_[0],
            "grid": [[name, described] for name, _, described in self.axes if name not in ("env", "algo")],
            "params": {k: to_json(v, k) for k, v in params.items()}, "seeds": seeds_spec, "episodes": episodes,
        }
        self.groups = self._cells(params, algos_[0], env_axis)
        self.n_cells = len(self.cells)
        self.n_agents = self.n_cells * len(roots)
        for group in self.groups:
            self._check(group)

    # -- 1. environments and algorithms
    @staticmethod
    def _environments(env):
        inputs = list(env) if isinstance(env, (list, tuple)) else [env]
        if not inputs:
            raise ArgumentError("env", "env must name at least one environment, got an empty list")
        specs = [env_spec(e) for e in inputs]  # also checks the types
        try:
            built = [envs.make(e) if isinstance(e, str) else e for e in inputs]
        except (ValueError, TypeError) as exc:
            raise _about(exc, "env") from None
        labels = [e.name for e in built]
        if len(set(map(json.dumps, specs))) != len(specs):
            raise ArgumentError("env", "env must not list the same environment twice")
        if len(set(labels)) != len(labels):
            raise ArgumentError("env", f"env: the environments of an env axis need different names (GridWorld(..., "
                                       f"name=...)), got {labels}")
        return inputs, built, specs

    @staticmethod
    def _algorithms(algo) -> list[str]:
        chosen = list(algo) if isinstance(algo, (list, tuple)) else [algo]
        if not chosen:
            raise ArgumentError("algo", "algo must name at least one algorithm, got an empty list")
        for a in chosen:
            _validate.choice("algo", a, algos.ALGORITHMS)
        if len(set(chosen)) != len(chosen):
            raise ArgumentError("algo", f"algo must not list an algorithm twice, got {chosen}")
        return chosen

    @property
    def env_labels(self) -> list[str]:
        return [e.name for e in self.envs]

    # -- 2. what each setting is
    def _kinds(self, grid, params) -> dict:
        """``"train"`` or ``"env"`` for every grid key and fixed setting."""
        train_names = train_arguments()[0]
        env_options = [set(envs.options(e)) for e in self.env_inputs]
        shared_options = set.intersection(*env_options)

        def kind_of(key, where):
            if not isinstance(key, str):
                raise ArgumentTypeError(where, f"{where} keys must be strings, got {key!r}")
            if key in ("env", "algo"):
                raise ArgumentError(key, f"{where}: pass the {key} axis as {key}=[...], not inside {where}")
            if key in RESERVED:
                raise ArgumentError(key, f"{where}: {key!r} is set by the sweep itself and cannot be given "
                                         f"(use sweep's seeds/seed/episodes/threads arguments)")
            if key in train_names:
                return "train"
            if key in shared_options:
                return "env"
            options = (f"the environment's options ({', '.join(sorted(shared_options))})" if shared_options
                       else "the options fastq.make takes for the environment")
            raise ArgumentError(key, f"{where}: unknown setting {key!r}; a sweep takes the arguments of fastq.train "
                                     f"({', '.join(train_names)}) and {options}")

        if grid is not None and not isinstance(grid, dict):
            raise ArgumentTypeError("grid", f"grid must be a dict of setting -> list of values, got {type(grid).__name__}")
        kinds = {key: kind_of(key, "grid") for key in (grid or {})}
        for key in params:
            kinds[key] = kind_of(key, "sweep()")
            if key in (grid or {}):
                raise ArgumentError(key, f"{key!r} is both a grid axis and a fixed setting")
        return kinds

    # -- 3. axes and cells
    def _axes(self, grid, algo_axis, env_axis) -> list[tuple[str, list, list]]:
        """(name, values, JSON values) of every axis: env, algo, then the grid keys."""
        axes = []
        if env_axis:
            axes.append(("env", self.envs, self.env_labels))
        if algo_axis is not None:
            axes.append(("algo", algo_axis, algo_axis))
        for key, values in (grid or {}).items():
            if isinstance(values, np.ndarray):
                if values.ndim != 1:
                    raise ArgumentError(key, f"grid[{key!r}] must be a 1-D sequence of values, got shape {values.shape}")
                values = values.tolist()
            if isinstance(values, (str, bytes, dict)) or not isinstance(values, (list, tuple)):
                raise ArgumentTypeError(key, f"grid[{key!r}] must be a list of values, got {values!r}")
            if not values:
                raise ArgumentError(key, f"grid[{key!r}] must hold at least one value, got an empty list")
            described = [to_json(v, key) for v in values]
            if len(set(map(json.dumps, described))) != len(described):
                raise ArgumentError(key, f"grid[{key!r}] must not repeat a value, got {described}")
            axes.append((key, list(values), described))
        return axes

    def _cells(self, params, algo, env_axis) -> list[Group]:
        """The cells in ``itertools.product`` order, their environments and train() arguments,
        and the groups they fall into."""
        _, per_agent, schedule_names = train_arguments()
        built: dict = {}
        groups: dict = {}
        self.cells, self.cell_args = [], []
        for c, combo in enumerate(itertools.product(*[range(len(values)) for _, values, _ in self.axes])):
            cell = {name: described[i] for (name, _, described), i in zip(self.axes, combo)}
            chosen = {name: values[i] for (name, values, _), i in zip(self.axes, combo)}
            e_index = combo[0] if env_axis else 0  # env is the first axis
            settings = {**params, **{k: v for k, v in chosen.items() if k not in ("env", "algo")}}
            env_opts = {k: v for k, v in settings.items() if self.kinds[k] == "env"}
            kwargs = {k: v for k, v in settings.items() if self.kinds[k] == "train"}
            key = (e_index, json.dumps({k: to_json(v, k) for k, v in env_opts.items()}, sort_keys=True))
            if key not in built:
                try:
                    built[key] = self._environment(e_index, env_opts)
                except (ValueError, TypeError) as exc:
                    raise _cell_error(exc, c, cell, getattr(exc, "argument", None) or "env") from None
            shared = {k: v for k, v in kwargs.items()
                      if not (k in per_agent and (_is_number(v) or (k in schedule_names and isinstance(v, algos.Schedule))))}
            group = self._group(groups, built[key], chosen.get("algo", algo), shared, sorted(set(kwargs) - set(shared)))
            group.cells.append(c)
            for name in group.per_agent:
                group.per_agent[name].append(kwargs[name])
            self.cells.append(cell)
            self.cell_args.append({k: to_json(v, k) for k, v in kwargs.items()})
        return list(groups.values())

    def _environment(self, e_index: int, options: dict):
        """Environment ``e_index`` with these options (``make`` for a name, else ``replace``)."""
        if not options:
            return self.envs[e_index]
        if isinstance(self.env_inputs[e_index], str):
            return envs.make(self.env_inputs[e_index], **options)
        return self.envs[e_index].replace(**options)

    # -- 4. groups
    @staticmethod
    def _group(groups: dict, env, algo: str, shared: dict, per_agent_names: list) -> Group:
        key = (id(env), algo, json.dumps({k: to_json(v, k) for k, v in shared.items()}, sort_keys=True),
               tuple(per_agent_names))
        if key not in groups:
            groups[key] = Group(env, algo, shared, per_agent_names)
        return groups[key]

    def _check(self, group: Group) -> None:
        """Check a group's settings as train() would; a bad value is reported with its cell."""
        def settings(positions):
            return {**group.shared, **{name: per_agent_value([values[p] for p in positions])
                                       for name, values in group.per_agent.items()}}

        everyone = range(len(group.cells))
        try:
            request = _train.check_arguments(group.env, group.algo, len(everyone), self.episodes, settings(everyone))
            # What sizes its memory (the arguments of fastq._request.memory_bytes), as train() has them.
            group.sizes = {"learner": request.learner, "mdp": request.mdp, "dtype": request.dtype,
                           "visits": request.visits, "eval_every": request.eval_every, "backend": request.backend,
                           "buffer": request.buffer, "record_loss": request.record_loss,
                           "policy_rows": len(request.hyper.true_values) if request.learner.predicts else 0}
        except (ValueError, TypeError):
            for p in everyone:  # the first cell at fault
                try:
                    _train.check_arguments(group.env, group.algo, 1, self.episodes, settings([p]))
                except (ValueError, TypeError) as one:
                    c = group.cells[p]
                    raise _cell_error(one, c, self.cells[c], one.argument) from None
            raise  # a setting shared by the whole group

    # -- sizes, manifest, tasks
    def result_bytes(self) -> int:
        """Memory of the :class:`fastq.SweepResult`: per (cell, seed) the per-episode outputs
        (the loss and the RMS error of V too, where recorded), ``q`` (float64) or ``v``, the
        learner's extra tables (Double Q's two) and the evaluations; plus the manifest's entry of
        each seed."""
        total = len(self.roots) * SEED_BYTES
        for group in self.groups:
            settings = group.sizes
            S, A, _ = settings["mdp"].shape
            learner, every = settings["learner"], settings["eval_every"]
            extra = 2 * settings["dtype"].itemsize if learner.double_tables else 0
            table = 8 * S + 8 * (self.episodes + 1) if learner.predicts else S * A * (8 + extra)  # v and rms_error, or q
            per_agent = self.episodes * 13 + table + (self.episodes // every * 16 if every else 0)
            per_agent += 8 * self.episodes * settings["record_loss"]
            total += len(group.cells) * len(self.roots) * per_agent
        return total

    def agent_bytes(self) -> int:
        """Memory of one agent in a chunk: what its train() call holds
        (:func:`fastq._request.memory_bytes`), at most over the groups."""
        return max(_request.memory_bytes(agents=1, episodes=self.episodes, **group.sizes) for group in self.groups)

    def manifest(self, chunk_agents: int) -> dict:
        n = len(self.roots)
        chunks = []
        for g, group in enumerate(self.groups):
            total = len(group.cells) * n
            chunks += [[g, start, min(start + chunk_agents, total)] for start in range(0, total, chunk_agents)]
        labels = sorted(set(self.env_labels))
        return {
            "format": SWEEP_FORMAT, "version": SWEEP_VERSION,
            "config": self.config,
            "env_label": labels[0] if len(labels) == 1 else "+".join(labels),
            "axes": [[name, described] for name, _, described in self.axes],
            "cells": self.cells, "cell_args": self.cell_args,
            "seeds": self.seeds_spec, "streams": [[int(r), int(i)] for r, i in zip(self.roots, self.ids)],
            "episodes": self.episodes,
            "groups": [{
                "cells": group.cells, "algo": group.algo, "env": group.env.name,
                "env_options": group.env.options() if isinstance(group.env, GridWorld) else None,
                "q_shape": [group.env.mdp.n_states,
                            0 if group.algo in algos.PREDICTION_ALGORITHMS else group.env.mdp.n_actions],
                "shared": {k: to_json(v, k) for k, v in group.shared.items()},
                "per_agent": sorted(group.per_agent),
            } for group in self.groups],
            "chunk_agents": chunk_agents, "chunks": chunks,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": versions(),
        }

    def check_layout(self, manifest: dict) -> None:
        stored = [(g["cells"], g["algo"], g["per_agent"]) for g in manifest["groups"]]
        mine = [(g.cells, g.algo, sorted(g.per_agent)) for g in self.groups]
        if stored != mine:
            raise ArgumentError("out", "the sweep directory groups its cells differently from this version of "
                                       "fastq (it was written by another version); use a new out directory")

    def task(self, manifest: dict, chunk: int, threads, remote: bool) -> dict:
        """What one chunk's train() call needs (its agents are cell-major:
        :func:`fastq._store.chunk_agents`)."""
        g, start, stop = manifest["chunks"][chunk]
        group = self.groups[g]
        position, index = chunk_agents(manifest, chunk)
        return {
            "chunk": chunk, "range": [g, start, stop],
            "env": env_payload(group.env) if remote else group.env,
            "algo": group.algo, "episodes": self.episodes, "shared": group.shared,
            "per_agent": {name: per_agent_value([values[p] for p in position])
                          for name, values in group.per_agent.items()},
            "seed": self.roots[index], "agent_ids": self.ids[index], "threads": threads,
        }


def _cell_error(exc: Exception, cell: int, values: dict, argument: str) -> Exception:
    """``exc`` with the cell in its message, about ``argument``."""
    label = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "the only cell"
    return _about(exc, argument, f"sweep cell {cell} ({label}): {exc}")
