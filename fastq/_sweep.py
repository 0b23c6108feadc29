"""sweep(): a hyperparameter grid x seeds, flattened into agent populations, run in chunks.

**Cells.**  The axes of a sweep are the environments (``env`` given as a list), the algorithms
(``algo`` given as a list) and the ``grid`` entries, in that order; the cells are their Cartesian
product, the last axis varying fastest (``itertools.product`` order).  Any keyword argument of
:func:`fastq.train` can be an axis or a fixed setting, and so can any option of a
:class:`fastq.GridWorld` (``slip``, ``step_reward``, ``max_steps``, ...): the environment of a
cell is the base environment with those options replaced.

**Seeds.**  ``seeds=n`` runs seed indices ``0 .. n-1`` of the root ``seed``; ``seeds=[s0, s1,
...]`` runs the given root seeds.  The pair (cell, seed index ``i``) always uses the random
stream that ``fastq.train(cell's env, cell's algo, agents=n, seed=seed, ...)`` gives its agent
``i`` (with a list: agent 0 of ``train(..., seed=seeds[i])``).  So every cell sees the same
random streams (common random numbers), and the numbers are those of the single runs, whatever
the chunking, the executor or the number of workers.

**Groups and chunks.**  Cells that share the environment, the algorithm and every argument that
:func:`fastq.train` cannot take per agent form a group; the arguments it can take per agent
(numbers, and schedules where ``train`` accepts a sequence of them) become per-agent arrays, so a
group is one population: cells x seeds agents, cell-major.  A group is cut into chunks of at most
``chunk_agents`` agents (by default about a million agent-episodes, within a memory budget;
with an executor, also about four chunks per worker); each chunk is one ``train`` call, and chunks are the unit of progress,
persistence, resumption and distribution.

**Persistence.**  With ``out=DIR``, the manifest (``sweep.json``) is written first and every
finished chunk then goes to ``DIR/chunks/chunk-NNNNNN.npz``, each file written under a temporary
name and renamed.  Running the same sweep with the same ``out`` skips the chunks already there;
a different sweep pointed at an existing ``out`` is refused.  A resumed sweep keeps the chunk
layout it started with.

**Interrupts.**  Ctrl-C (SIGINT in the main thread) lets the running chunks finish, keeps them,
and returns what has finished (``meta["interrupted"]``, ``done``); a second Ctrl-C stops at once,
keeping the chunks already finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import glob
import hashlib
import inspect
import itertools
import json
import math
import numbers
import os
import re
import signal
import socket
import sys
import threading
import time
import warnings
from fractions import Fraction

import numpy as np

from . import _config, _validate
from .algos import ALGORITHMS, BACKENDS, Schedule
from .envs import make
from .grid import GridWorld
from .mdp import TabularMDP
from .results import (MANIFEST, SWEEP_FORMAT, SWEEP_VERSION, Result, SweepResult, _read_chunk,
                      _read_manifest, _write_chunk, _write_manifest)
from .rng import EPISODES_LIMIT, SEED_LIMIT

#: Default memory budget of one chunk (bytes): its learner tables and per-episode outputs.
CHUNK_BYTES = 256 * 2**20
#: Default size of a chunk in agent-episodes (progress, Ctrl-C and resumption work chunk by chunk),
#: but never fewer agents than 4 per numba thread (enough to keep every core busy).
CHUNK_AGENT_EPISODES = 2**20
#: With an executor, the default chunk size aims at this many chunks per worker.
CHUNKS_PER_WORKER = 4
#: train() arguments a sweep sets itself (``episodes``, ``seed`` and ``threads`` are arguments of
#: sweep()); they cannot be axes or fixed settings.
RESERVED = ("agents", "episodes", "seed", "agent_ids", "threads", "progress")
#: GridWorld options that are not environment settings.
_NOT_OPTIONS = ("rows", "actions", "name")

# One train() at a time per process: chunks submitted to a thread pool (or to the threads of a
# Dask worker) each run numba's parallel kernel on all of the process's numba threads.
_TRAIN_LOCK = threading.Lock()


def sweep(
    env,
    algo="q_learning",
    *,
    grid: dict | None = None,
    seeds=10,
    episodes: int = 1000,
    seed: int | None = None,
    out=None,
    executor=None,
    workers: int | None = None,
    chunk_agents: int | None = None,
    memory: int = CHUNK_BYTES,
    threads: int | None = None,
    progress: bool | None = None,
    **params,
) -> SweepResult:
    """Train every cell of a hyperparameter grid with many seeds.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP, or a list of them
        The environment; a list makes ``env`` an axis.
    algo : str or list of str
        The algorithm (one of ``fastq.ALGORITHMS``); a list makes ``algo`` an axis.
    grid : dict of str -> sequence, optional
        The axes: any keyword argument of :func:`fastq.train` (``alpha``, ``epsilon``,
        ``tie_break``, ...) or option of the environment (``slip``, ``max_steps``, ...) mapped
        to the values to try.  Values are numbers, strings, booleans or fastq schedules.
    seeds : int >= 1, or sequence of int
        The number of seeds (indices ``0 .. seeds-1`` of the root ``seed``), or explicit,
        distinct root seeds ``0 <= s < 2**64``.
    episodes : int, >= 1
        Episodes per agent.
    seed : int, 0 <= seed < 2**64, optional
        Root seed when ``seeds`` is a count (default 0).
    out : str or path, optional
        Directory to keep the sweep in (created if missing); an existing sweep there with the
        same configuration is resumed, one with another configuration refused.
    executor : None, "processes", concurrent.futures.Executor or dask.distributed.Client
        Where chunks run: in this process on every core (``None``), a local pool of ``workers``
        spawned processes with one numba thread each (``"processes"``), or submitted as tasks.
    workers : int, >= 1, optional
        Processes of ``executor="processes"`` (default: every core).
    chunk_agents : int, >= 1, optional
        Agents per chunk.  Default: about ``2**20 / episodes`` (but at least 4 per numba
        thread), at most what fits ``memory``; with an executor, also at most a quarter of the
        sweep's agents per worker.
    memory : int, bytes
        Memory budget of one chunk, used when ``chunk_agents`` is not given.
    threads : int, >= 1, optional
        Numba threads per chunk (default: every core in-process, 1 per process with
        ``"processes"``, the worker's own setting with other executors).
    progress : bool, optional
        A progress bar over chunks with agent-steps per second (needs tqdm).  Default: shown
        when stderr is a terminal.
    **params
        Fixed settings, like the grid keys: ``gamma=1.0``, ``slip=0.0``, ``backend="numpy"``.

    Returns
    -------
    SweepResult
        ``returns``, ``lengths``, ``successes`` (cells, seeds, episodes), ``q`` (cells, seeds,
        S, A), ``cells``, ``summary()``, ``best()``, ``to_pandas()``, ``result(cell)``.  After
        Ctrl-C, the chunks that finished (``done``, ``meta["interrupted"]``).

    Examples
    --------
    >>> import fastq
    >>> sw = fastq.sweep("CliffWalking", grid={"alpha": [0.1, 0.5], "epsilon": [0.05, 0.1]},
    ...                  gamma=1.0, seeds=8, episodes=30, progress=False)
    >>> sw.returns.shape                      # (cells, seeds, episodes)
    (4, 8, 30)
    >>> sw.cells[1]
    {'alpha': 0.1, 'epsilon': 0.1}
    >>> single = fastq.train("CliffWalking", agents=8, episodes=30, alpha=0.1, epsilon=0.1, gamma=1.0)
    >>> bool((sw.returns[1] == single.returns).all())
    True
    """
    started = time.perf_counter()
    episodes = _validate.integer("episodes", episodes, low=1, high=EPISODES_LIMIT - 1)
    roots, ids, seeds_spec = _streams(seeds, seed)
    memory = _validate.integer("memory", memory, low=1)
    if chunk_agents is not None:
        chunk_agents = _validate.integer("chunk_agents", chunk_agents, low=1)
    kind = _executor_kind(executor)
    if workers is not None:
        if kind != "processes":
            raise ValueError(f"workers applies to executor='processes' only, got executor={executor!r}")
        workers = _validate.integer("workers", workers, low=1)
    if threads is not None:
        high = _config.max_threads() if kind == "local" else None
        threads = _validate.integer("threads", threads, low=1, high=high)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    show = _want_progress(progress)
    if out is not None:
        if not isinstance(out, (str, os.PathLike)):
            raise TypeError(f"out must be a directory path, got {type(out).__name__}")
        out = os.fspath(out)

    plan = _Plan(env, algo, grid, params, episodes, roots, ids, seeds_spec)
    _validate.memory(f"sweep of {plan.n_cells} cells x {len(roots)} seeds x {episodes} episodes",
                     plan.result_bytes())
    n_workers = _n_workers(kind, executor, workers)
    if chunk_agents is None:
        size = max(1, min(memory // plan.agent_bytes(),
                          max(4 * _config.max_threads(), CHUNK_AGENT_EPISODES // episodes)))
        if kind != "local":
            size = min(size, max(1, math.ceil(plan.n_agents / (CHUNKS_PER_WORKER * n_workers))))
    else:
        size = chunk_agents
    manifest = plan.manifest(size)
    if out is not None:
        manifest = _open_out(out, manifest, chunk_agents)
    plan.check_layout(manifest)

    sw = SweepResult(manifest)
    if out is not None:
        for chunk in range(len(manifest["chunks"])):
            payload = _read_chunk(out, chunk)
            if payload is not None and payload["meta"].get("range") == manifest["chunks"][chunk]:
                sw._put_chunk(chunk, payload)
    pending = [k for k, meta in enumerate(sw.chunk_meta) if meta is None]

    chunk_threads = (threads or 1) if kind == "processes" else threads
    run = _Run(plan, sw, out, chunk_threads, show, len(manifest["chunks"]), local=kind == "local")
    try:
        if pending and kind == "local":
            run.local(pending)
        elif pending:
            run.distributed(pending, kind, executor, n_workers)
    finally:
        run.close()
    wall = time.perf_counter() - started

    done = [m for m in sw.chunk_meta if m is not None]
    from ._train import versions

    sw.meta.update({
        "wall_time": wall,
        "agent_steps": int(sum(m["agent_steps"] for m in done)),
        "agent_steps_run": run.agent_steps,
        "steps_per_second": run.rate(),
        "compile_time": run.compile_time,
        "interrupted": run.interrupted,
        "chunks": len(sw.chunk_meta), "chunks_done": len(done), "chunks_run": run.chunks_run,
        "executor": kind, "workers": n_workers, "out": out, "versions": versions(),
    })
    if run.interrupted:
        kept = f"kept in {out!r}; run the same sweep again to resume" if out else "see sw.done"
        warnings.warn(f"sweep() interrupted: {len(done)} of {len(sw.chunk_meta)} chunks finished ({kept})",
                      RuntimeWarning, stacklevel=2)
    return sw


# ---------------------------------------------------------------------- arguments
def _streams(seeds, seed):
    """Root seed and stream id of every seed index, and the seeds' JSON description."""
    if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, (bool, np.bool_)):
        n = _validate.integer("seeds", seeds, low=1)
        root = 0 if seed is None else _validate.integer("seed", seed, low=0, high=SEED_LIMIT)
        return (np.full(n, root, dtype=np.uint64), np.arange(n, dtype=np.uint64),
                {"count": n, "seed": root})
    if isinstance(seeds, (str, bytes, bool, np.bool_, numbers.Real)) or not hasattr(seeds, "__len__"):
        raise TypeError(f"seeds must be a count or a sequence of root seeds, got {seeds!r}")
    if seed is not None:
        raise ValueError("seed applies when seeds is a count; with a list of seeds, leave seed out")
    values = list(seeds)
    if not values:
        raise ValueError("seeds must hold at least one seed, got an empty sequence")
    for j, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
            raise TypeError(f"seeds must hold integers, got {v!r} (entry {j})")
        if not 0 <= int(v) <= SEED_LIMIT:
            raise ValueError(f"seeds must hold integers in the range 0 <= value <= {SEED_LIMIT}, got {v} (entry {j})")
    values = [int(v) for v in values]
    if len(set(values)) != len(values):
        raise ValueError(f"seeds must be distinct, got {values}")
    return (np.array(values, dtype=np.uint64), np.zeros(len(values), dtype=np.uint64), {"list": values})


def _executor_kind(executor) -> str:
    if executor is None:
        return "local"
    if isinstance(executor, str):
        if executor == "processes":
            return "processes"
        raise ValueError(f"executor must be None, 'processes', a concurrent.futures.Executor or a "
                         f"dask.distributed.Client, got {executor!r}")
    if _is_dask_client(executor):
        return "dask"
    if isinstance(executor, cf.Executor):
        return "executor"
    raise TypeError(f"executor must be None, 'processes', a concurrent.futures.Executor or a "
                    f"dask.distributed.Client, got {type(executor).__name__}")


def _is_dask_client(obj) -> bool:
    module = type(obj).__module__ or ""
    return module.startswith("distributed") and hasattr(obj, "get_executor") and hasattr(obj, "nthreads")


def _n_workers(kind: str, executor, workers) -> int:
    if kind == "local":
        return 1
    if kind == "processes":
        return workers or os.cpu_count() or 1
    if kind == "dask":
        return max(1, sum(executor.nthreads().values()))
    return max(1, int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1))


def _want_progress(progress) -> bool:
    import importlib.util

    has_tqdm = importlib.util.find_spec("tqdm") is not None
    if progress is None:
        return has_tqdm and _isatty(sys.stderr)
    if progress and not has_tqdm:
        raise ImportError("progress=True needs tqdm: pip install 'fastq-rl[progress]'")
    return bool(progress)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def train_arguments() -> tuple[list[str], set[str], set[str]]:
    """What :func:`fastq.train` accepts, read from its signature and
    :data:`fastq._train.PER_AGENT_ARGUMENTS` / :data:`~fastq._train.SCHEDULE_ARGUMENTS`.

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
    >>> from fastq._sweep import train_arguments
    >>> names, per_agent, schedules = train_arguments()
    >>> "alpha" in per_agent and "gamma" in per_agent and "tie_break" not in per_agent
    True
    """
    from . import _train as train_module

    signature = inspect.signature(train_module.train)
    names = [n for n, p in signature.parameters.items()
             if p.kind is p.KEYWORD_ONLY and n not in RESERVED]
    per_agent = set(train_module.PER_AGENT_ARGUMENTS) & set(names)
    return names, per_agent, set(train_module.SCHEDULE_ARGUMENTS) & per_agent


def _json(value, where: str):
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
        return [_json(v, where) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value)
    raise TypeError(f"{where}: {value!r} ({type(value).__name__}) cannot be part of a sweep; use "
                    "numbers, strings, booleans or fastq schedules")


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _per_agent_value(values: list):
    """One value per agent, as train() takes it: an array of numbers, or a list with schedules."""
    if all(_is_number(v) for v in values):
        return np.asarray(values)
    return list(values)


# ---------------------------------------------------------------------- environments
def _accepts(env, key: str, value) -> bool:
    """Whether ``key`` is an option of the environment: a GridWorld option, or an override that
    ``make(name, ...)`` takes (GridWorld options, or a model's own such as MaxBias's)."""
    if isinstance(env, GridWorld):
        return key in set(env.options()) - set(_NOT_OPTIONS)
    if isinstance(env, str):
        try:
            make(env, **{key: value})
        except ValueError as exc:
            return not str(exc).startswith("unknown option")
        except TypeError:
            return True  # an option, with a value of the wrong type: reported with its cell
        return True
    return False


def _env_spec(env) -> dict:
    if isinstance(env, str):
        return {"name": env}
    if isinstance(env, GridWorld):
        return {"grid": env.options()}
    if isinstance(env, TabularMDP):
        digest = hashlib.sha256()
        for name, value in sorted(_mdp_arguments(env).items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value).tobytes() if isinstance(value, np.ndarray)
                          else repr(value).encode())
        return {"mdp": env.name, "sha256": digest.hexdigest()}
    raise TypeError(f"env must be an environment name (see fastq.list_envs()), a GridWorld or a "
                    f"TabularMDP, or a list of them, got {type(env).__name__}")


def _mdp_arguments(mdp: TabularMDP) -> dict:
    """The constructor arguments that rebuild ``mdp`` (as a worker process does)."""
    names = [n for n in inspect.signature(TabularMDP.__init__).parameters if n != "self"]
    return {n: getattr(mdp, n) for n in names if hasattr(mdp, n)}


def _env_payload(env):
    """What a task carries to rebuild ``env`` in another process.  Pickled models would arrive
    writeable, with another numba signature: rebuilt ones are read-only, as at home."""
    if isinstance(env, GridWorld):
        return ("grid", env.options())
    return ("mdp", _mdp_arguments(env))


def _env_from_payload(payload):
    if isinstance(payload, (GridWorld, TabularMDP)):
        return payload
    kind, arguments = payload
    return GridWorld(**arguments) if kind == "grid" else TabularMDP(**arguments)


_PROBE_MDP = None


def _probe_mdp() -> TabularMDP:
    """Two states, two actions, one step to the goal: train() checks its arguments on it."""
    global _PROBE_MDP
    if _PROBE_MDP is None:
        one = [[[1], [1]], [[1], [1]]]
        _PROBE_MDP = TabularMDP(one, [[[1.0], [1.0]], [[1.0], [1.0]]], np.zeros((2, 2, 1)),
                                [False, True], [1.0, 0.0], goal=[False, True], max_steps=1,
                                name="probe")
    return _PROBE_MDP


# ---------------------------------------------------------------------- the plan
class _Group:
    def __init__(self, env, algo, shared, per_agent_names):
        self.env, self.algo, self.shared = env, algo, shared
        self.per_agent = {name: [] for name in per_agent_names}
        self.cells: list[int] = []
        self.agent_extras: list[str] = []


class _Plan:
    """Cells, groups and the manifest of a sweep; every argument checked."""

    def __init__(self, env, algo, grid, params, episodes, roots, ids, seeds_spec):
        self.episodes, self.roots, self.ids, self.seeds_spec = episodes, roots, ids, seeds_spec
        envs = list(env) if isinstance(env, (list, tuple)) else [env]
        if not envs:
            raise ValueError("env must name at least one environment, got an empty list")
        self.envs = [make(e) if isinstance(e, str) else e for e in envs]
        env_specs = [_env_spec(e) for e in envs]  # also checks the types
        self.env_labels = [e.name for e in self.envs]
        if len(set(map(json.dumps, env_specs))) != len(env_specs):
            raise ValueError("env must not list the same environment twice")
        if len(set(self.env_labels)) != len(self.env_labels):
            raise ValueError(f"env: the environments of an env axis need different names (GridWorld(..., "
                             f"name=...)), got {self.env_labels}")
        algos = list(algo) if isinstance(algo, (list, tuple)) else [algo]
        if not algos:
            raise ValueError("algo must name at least one algorithm, got an empty list")
        for a in algos:
            _validate.choice("algo", a, ALGORITHMS)
        if len(set(algos)) != len(algos):
            raise ValueError(f"algo must not list an algorithm twice, got {algos}")

        train_names, per_agent, schedule_names = train_arguments()
        self.env_inputs = envs
        grid_options = set.intersection(*[
            set(e.options()) - set(_NOT_OPTIONS) if isinstance(e, GridWorld) else set() for e in self.envs])

        def kind_of(key, value, where):
            if not isinstance(key, str):
                raise TypeError(f"{where} keys must be strings, got {key!r}")
            if key in ("env", "algo"):
                raise ValueError(f"{where}: pass the {key} axis as {key}=[...], not inside {where}")
            if key in RESERVED:
                raise ValueError(f"{where}: {key!r} is set by the sweep itself and cannot be given "
                                 f"(use sweep's seeds/seed/episodes/threads arguments)")
            if key in train_names:
                return "train"
            if all(_accepts(e, key, value) for e in envs):
                return "env"
            options = f"the environment's options ({', '.join(sorted(grid_options))})" if grid_options \
                else "the options fastq.make takes for the environment"
            raise ValueError(f"{where}: unknown setting {key!r}; a sweep takes the arguments of fastq.train "
                             f"({', '.join(train_names)}) and {options}")

        grid = {} if grid is None else grid
        if not isinstance(grid, dict):
            raise TypeError(f"grid must be a dict of setting -> list of values, got {type(grid).__name__}")
        self.kinds = {}
        axes = []  # (name, values, JSON values)
        if isinstance(env, (list, tuple)):
            axes.append(("env", self.envs, self.env_labels))
        if isinstance(algo, (list, tuple)):
            axes.append(("algo", algos, algos))
        for key, values in grid.items():
            if isinstance(values, np.ndarray):
                if values.ndim != 1:
                    raise ValueError(f"grid[{key!r}] must be a 1-D sequence of values, got shape {values.shape}")
                values = values.tolist()
            if isinstance(values, (str, bytes, dict)) or not isinstance(values, (list, tuple)):
                raise TypeError(f"grid[{key!r}] must be a list of values, got {values!r}")
            if not values:
                raise ValueError(f"grid[{key!r}] must hold at least one value, got an empty list")
            self.kinds[key] = kind_of(key, values[0], "grid")
            described = [_json(v, f"grid[{key!r}]") for v in values]
            if len(set(map(json.dumps, described))) != len(described):
                raise ValueError(f"grid[{key!r}] must not repeat a value, got {described}")
            axes.append((key, list(values), described))
        for key, value in params.items():
            self.kinds[key] = kind_of(key, value, "sweep()")
            if key in grid:
                raise ValueError(f"{key!r} is both a grid axis and a fixed setting")
        if "backend" in params:
            _validate.choice("backend", params["backend"], BACKENDS)
        fixed_json = {k: _json(v, k) for k, v in params.items()}
        self.axes = axes
        self.config = {
            "env": env_specs if isinstance(env, (list, tuple)) else env_specs[0],
            "algo": algos if isinstance(algo, (list, tuple)) else algos[0],
            "grid": [[name, described] for name, _, described in axes if name not in ("env", "algo")],
            "params": fixed_json, "seeds": seeds_spec, "episodes": episodes,
        }

        # Cells, their environments, their train() arguments, and the groups.
        built: dict = {}
        self.cells, self.cell_args, groups = [], [], {}
        for c, combo in enumerate(itertools.product(*[range(len(values)) for _, values, _ in axes])):
            cell = {name: described[i] for (name, _, described), i in zip(axes, combo)}
            chosen = {name: values[i] for (name, values, _), i in zip(axes, combo)}
            e_index = combo[0] if isinstance(env, (list, tuple)) else 0  # env is the first axis
            e = self.envs[e_index]
            a = chosen.get("algo", algos[0])
            settings = {**params, **{k: v for k, v in chosen.items() if k not in ("env", "algo")}}
            env_opts = {k: v for k, v in settings.items() if self.kinds[k] == "env"}
            kwargs = {k: v for k, v in settings.items() if self.kinds[k] == "train"}
            key = (e_index, json.dumps({k: _json(v, k) for k, v in env_opts.items()}, sort_keys=True))
            if key not in built:
                try:
                    if not env_opts:
                        built[key] = e
                    elif isinstance(self.env_inputs[e_index], str):
                        built[key] = make(self.env_inputs[e_index], **env_opts)
                    else:
                        built[key] = e.replace(**env_opts)
                except (ValueError, TypeError) as exc:
                    raise _cell_error(exc, c, cell, env_opts) from None
            cell_env = built[key]
            shared = {k: v for k, v in kwargs.items()
                      if not (k in per_agent and (_is_number(v) or (k in schedule_names and isinstance(v, Schedule))))}
            per = sorted(set(kwargs) - set(shared))
            group_key = (id(cell_env), a, json.dumps({k: _json(v, k) for k, v in shared.items()}, sort_keys=True), tuple(per))
            if group_key not in groups:
                groups[group_key] = _Group(cell_env, a, shared, per)
            group = groups[group_key]
            group.cells.append(c)
            for name in per:
                group.per_agent[name].append(kwargs[name])
            self.cells.append(cell)
            self.cell_args.append({k: _json(v, k) for k, v in kwargs.items()})
        self.groups = list(groups.values())
        self.n_cells = len(self.cells)
        self.n_agents = self.n_cells * len(roots)
        for group in self.groups:
            self._probe(group)

    # Arguments are checked by train() itself, on a two-state model with the numpy reference:
    # nothing is compiled, and whatever train() accepts, a sweep accepts.
    def _probe(self, group: _Group) -> None:
        from ._train import train

        def attempt(positions, episodes):
            kwargs = {**group.shared, "backend": "numpy"}
            kwargs.update({name: _per_agent_value([values[p] for p in positions])
                           for name, values in group.per_agent.items()})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return train(_probe_mdp(), group.algo, agents=len(positions), episodes=episodes, seed=0, **kwargs)

        everyone = list(range(len(group.cells)))
        result, first = None, None
        for episodes in (1, self.episodes):  # one episode may be too few (a checkpoint interval)
            try:
                result = attempt(everyone, episodes)
                break
            except (ValueError, TypeError) as exc:
                first = first or exc
        if result is None:
            for p in everyone:
                try:
                    attempt([p], self.episodes)
                except (ValueError, TypeError) as exc:
                    c = group.cells[p]
                    raise _cell_error(exc, c, self.cells[c], self.cell_args[c]) from None
            raise first
        # Which of train()'s extra arrays are per agent: those whose first axis follows the
        # number of agents (others, such as the episodes of evaluation checkpoints, are per run).
        more = attempt(everyone + everyone[:1], episodes)
        n = len(everyone)
        group.agent_extras = sorted(
            name for name, value in result.extra.items()
            if np.shape(value)[:1] == (n,) and np.shape(more.extra.get(name))[:1] == (n + 1,))

    def result_bytes(self) -> int:
        sa = max(e.mdp.n_states * e.mdp.n_actions for e in (g.env for g in self.groups))
        return self.n_agents * (self.episodes * 13 + sa * 8)

    def agent_bytes(self) -> int:
        """Memory of one agent in a chunk: learner tables (up to four (S, A) tables, as Dyna-Q
        and Double Q-learning use) and per-episode outputs, counted twice (the chunk's result
        and its copy into the sweep)."""
        sa = max(g.env.mdp.n_states * g.env.mdp.n_actions for g in self.groups)
        return 4 * sa * 8 + 2 * self.episodes * 13 + 256

    def manifest(self, chunk_agents: int) -> dict:
        from ._train import versions

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
                "q_shape": [group.env.mdp.n_states, group.env.mdp.n_actions],
                "shared": {k: _json(v, k) for k, v in group.shared.items()},
                "per_agent": sorted(group.per_agent),
            } for group in self.groups],
            "chunk_agents": chunk_agents, "chunks": chunks,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": versions(),
        }

    def check_layout(self, manifest: dict) -> None:
        stored = [(g["cells"], g["algo"], g["per_agent"]) for g in manifest["groups"]]
        mine = [(g.cells, g.algo, sorted(g.per_agent)) for g in self.groups]
        if stored != mine:
            raise ValueError("the sweep directory groups its cells differently from this version of "
                             "fastq (it was written by another version); use a new out directory")

    def task(self, manifest: dict, chunk: int, threads, remote: bool) -> dict:
        g, start, stop = manifest["chunks"][chunk]
        group = self.groups[g]
        agents = np.arange(start, stop)
        n = len(self.roots)
        position, index = agents // n, agents % n
        return {
            "chunk": chunk, "range": [g, start, stop],
            "env": _env_payload(group.env) if remote else group.env,
            "algo": group.algo, "episodes": self.episodes, "shared": group.shared,
            "per_agent": {name: _per_agent_value([values[p] for p in position])
                          for name, values in group.per_agent.items()},
            "seed": self.roots[index], "agent_ids": self.ids[index], "threads": threads,
            "agent_extras": group.agent_extras,
        }


def _cell_error(exc: Exception, cell: int, values: dict, settings: dict) -> Exception:
    """``exc`` with the cell in its message; ``.key`` names the setting it is about, if known."""
    label = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "the only cell"
    error = (TypeError if isinstance(exc, TypeError) else ValueError)(f"sweep cell {cell} ({label}): {exc}")
    name = getattr(exc, "argument", None)
    if name is None:
        match = re.match(r"(\w+)", str(exc))
        name = match.group(1) if match else None
    error.key = name if name in values or name in settings else None
    return error


def _open_out(out: str, manifest: dict, chunk_agents) -> dict:
    """Create ``out`` with this manifest, or check that it holds this sweep and adopt its layout."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out {out!r} exists and is not a directory")
    if os.path.isfile(os.path.join(out, MANIFEST)):
        stored = _read_manifest(out)
        if stored["config"] != manifest["config"]:
            raise ValueError(f"out {out!r} holds a different sweep: {_difference(stored['config'], manifest['config'])}. "
                             "Use another out directory, or delete this one to start over")
        if chunk_agents is not None and chunk_agents != stored["chunk_agents"]:
            raise ValueError(f"chunk_agents={chunk_agents} differs from the {stored['chunk_agents']} the "
                             f"sweep in {out!r} started with; leave chunk_agents out to resume it")
        for tmp in glob.glob(os.path.join(glob.escape(out), "chunks", "chunk-*.npz.*.tmp")):
            with contextlib.suppress(OSError):  # left by a killed run
                os.remove(tmp)
        return stored
    if os.path.isdir(out) and os.listdir(out):
        raise ValueError(f"out {out!r} exists and is not a fastq sweep directory (no {MANIFEST}); "
                         "choose a new or empty directory")
    os.makedirs(os.path.join(out, "chunks"), exist_ok=True)
    _write_manifest(out, manifest)
    return manifest


def _difference(stored: dict, new: dict) -> str:
    """The first setting that differs between two sweep configurations, in words."""
    for key in ("env", "algo", "episodes", "seeds"):
        if stored.get(key) != new.get(key):
            return f"{key} is {stored.get(key)!r} there, {new.get(key)!r} here"
    old_grid, new_grid = dict(map(tuple, stored["grid"])), dict(map(tuple, new["grid"]))
    for key in list(old_grid) + [k for k in new_grid if k not in old_grid]:
        if old_grid.get(key) != new_grid.get(key):
            return f"grid[{key!r}] is {old_grid.get(key)!r} there, {new_grid.get(key)!r} here"
    if list(old_grid) != list(new_grid):
        return f"the grid axes are {list(old_grid)} there, {list(new_grid)} here"
    for key in sorted(set(stored["params"]) | set(new["params"])):
        if stored["params"].get(key) != new["params"].get(key):
            return f"{key} is {stored['params'].get(key)!r} there, {new['params'].get(key)!r} here"
    return "the configurations differ"


# ---------------------------------------------------------------------- running chunks
def _run_chunk(task: dict) -> dict:
    """Run one chunk (one train() call) and return its arrays and meta.  Runs in workers too."""
    from ._train import train

    env = _env_from_payload(task["env"])
    n = len(task["seed"])
    with _TRAIN_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"train\(\) interrupted", category=RuntimeWarning)
        res = train(env, task["algo"], agents=n, episodes=task["episodes"], seed=task["seed"],
                    agent_ids=task["agent_ids"], threads=task["threads"], progress=False,
                    **task["shared"], **task["per_agent"])
    arrays = {}
    for f in dataclasses.fields(Result):
        value = getattr(res, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
            arrays[f.name] = value
    for name, value in res.extra.items():  # per agent, or per run (the same in every chunk)
        if name in task["agent_extras"]:
            arrays[f"extra.{name}"] = np.asarray(value)
        else:
            arrays[f"shared.{name}"] = np.asarray(value)
    meta = {
        "chunk": task["chunk"], "range": task["range"], "agent_steps": res.agent_steps,
        "wall_time": res.meta["wall_time"], "compile_time": res.meta["compile_time"],
        "threads": res.meta["threads"], "interrupted": bool(res.meta["interrupted"]),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    return {"arrays": arrays, "meta": meta}


def _worker_init() -> None:
    """Pool workers leave Ctrl-C to the parent, which lets running chunks finish."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Stop:
    """Ctrl-C while a sweep runs: the first asks to stop after the running chunks, the second
    raises KeyboardInterrupt as usual."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nfastq sweep: Ctrl-C, stopping after the running chunks (again to stop now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class _Run:
    """Runs chunks, writes each one as it finishes, fills the SweepResult, shows progress."""

    def __init__(self, plan: _Plan, sw: SweepResult, out, threads, show: bool, total: int, local: bool):
        self.plan, self.sw, self.out, self.threads, self.is_local = plan, sw, out, threads, local
        self.agent_steps, self.compile_time, self.chunks_run = 0, 0.0, 0
        self.interrupted = False
        self.started = time.perf_counter()
        self.bar = None
        if show:
            from tqdm.auto import tqdm

            n_done = sum(m is not None for m in sw.chunk_meta)
            # mininterval=0: a chunk is the unit, every one is worth a refresh.
            self.bar = tqdm(total=total, initial=n_done, unit="chunk", file=sys.stderr, leave=False,
                            mininterval=0, desc=f"sweep {plan.n_cells} cells x {len(plan.roots)} seeds")

    def finish(self, chunk: int, payload: dict) -> bool:
        """Keep a finished chunk; False (and nothing kept) if it was cut short by Ctrl-C."""
        meta = payload["meta"]
        if meta["interrupted"]:
            self.interrupted = True
            return False
        if self.out is not None:
            _write_chunk(self.out, chunk, payload)
        self.sw._put_chunk(chunk, payload)
        self.agent_steps += meta["agent_steps"]
        self.compile_time += meta["compile_time"]
        self.chunks_run += 1
        if self.bar is not None:
            from .cli import format_rate

            self.bar.set_postfix_str(f"{format_rate(self.rate())} agent-steps/s", refresh=False)
            self.bar.update(1)
        return True

    def rate(self) -> float:
        """Agent-steps per second of this call so far: wall time, less the compile time of
        in-process chunks (workers compile in parallel with each other, so theirs stays in)."""
        elapsed = time.perf_counter() - self.started - (self.compile_time if self.is_local else 0.0)
        return self.agent_steps / elapsed if elapsed > 0 and self.agent_steps else float("nan")

    def local(self, pending: list[int]) -> None:
        with _Stop() as stop:
            try:
                for chunk in pending:
                    if stop.requested:
                        self.interrupted = True
                        break
                    payload = _run_chunk(self.plan.task(self.sw.manifest, chunk, self.threads, remote=False))
                    if not self.finish(chunk, payload):
                        break
            except KeyboardInterrupt:
                self.interrupted = True

    def distributed(self, pending: list[int], kind: str, executor, n_workers: int) -> None:
        owned = None
        if kind == "processes":
            import multiprocessing

            owned = executor = cf.ProcessPoolExecutor(
                n_workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)
        elif kind == "dask":
            executor = executor.get_executor(pure=False)
        queue = iter(pending)
        running: dict = {}

        def submit() -> None:
            chunk = next(queue, None)
            if chunk is not None:
                task = self.plan.task(self.sw.manifest, chunk, self.threads, remote=True)
                running[executor.submit(_run_chunk, task)] = chunk

        try:
            with _Stop() as stop:
                try:
                    for _ in range(2 * n_workers):
                        submit()
                    while running:
                        finished, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                        for future in finished:
                            chunk = running.pop(future)
                            if not self.finish(chunk, future.result()):
                                stop.requested = True
                            elif not stop.requested:
                                submit()
                        if stop.requested:
                            self.interrupted = True
                            # Chunks not started are dropped, running ones finish.  A Dask future
                            # cannot tell the two apart (cancel would drop running tasks too): with
                            # at most two chunks per worker in flight, all of them finish.
                            if kind != "dask":
                                for future in list(running):
                                    if future.cancel():
                                        del running[future]
                except KeyboardInterrupt:
                    self.interrupted = True
                    for future in running:
                        future.cancel()
                except BaseException:  # a chunk failed: the finished ones are kept, the rest dropped
                    for future in running:
                        future.cancel()
                    raise
        finally:
            if owned is not None:
                owned.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


__all__ = ["sweep", "train_arguments"]
