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
name, flushed and renamed (:mod:`fastq._store`).  Running the same sweep with the same ``out`` skips the chunks already there;
a different sweep pointed at an existing ``out`` is refused, and so is a second sweep on an
``out`` that a running one owns (:class:`fastq._store.Owner`).  A resumed sweep keeps the chunk
layout it started with.

**Where things are.**  The plan -- checking every argument, cells, groups, the manifest -- is
:mod:`fastq._sweep_plan`; the files are :mod:`fastq._store`; the result is
:class:`fastq.SweepResult`.  This module runs the chunks: in this process, in a pool of
processes, or on an executor or a Dask cluster.

**Interrupts.**  Ctrl-C (SIGINT in the main thread) lets the running chunks finish, keeps them,
and returns what has finished (``meta["interrupted"]``, ``done``); a second Ctrl-C stops at once,
keeping the chunks already finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
import os
import signal
import socket
import sys
import threading
import time
import warnings

import numpy as np

from . import _config, _validate
from ._format import format_rate
from ._platform import versions
from ._store import open_out, read_chunk, write_chunk
from ._sweep_plan import Plan, env_from_payload, streams, train_arguments
from ._terminal import want_progress
from ._validate import ArgumentError, ArgumentTypeError
from .results import RUN_EXTRAS, Result
from .rng import EPISODES_LIMIT
from .sweep_result import SweepResult

#: Default memory budget of one chunk (bytes): its learner tables and per-episode outputs.
CHUNK_BYTES = 256 * 2**20
#: Default size of a chunk in agent-episodes (progress, Ctrl-C and resumption work chunk by chunk),
#: but never fewer agents than 4 per numba thread (enough to keep every core busy).
CHUNK_AGENT_EPISODES = 2**20
#: With an executor, the default chunk size aims at this many chunks per worker.
CHUNKS_PER_WORKER = 4

# One train() at a time per process: chunks submitted to a thread pool (or to the threads of a
# Dask worker) would otherwise share the process's numba threads between several train() calls.
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
        Spawned workers import the calling script again: in a script, call ``sweep`` under
        ``if __name__ == "__main__":`` (docs/sweeps.md).
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
    roots, ids, seeds_spec = streams(seeds, seed)
    memory = _validate.integer("memory", memory, low=1)
    if chunk_agents is not None:
        chunk_agents = _validate.integer("chunk_agents", chunk_agents, low=1)
    kind = _executor_kind(executor)
    if workers is not None:
        if kind != "processes":
            raise ArgumentError("workers", f"workers applies to executor='processes' only, got executor={executor!r}")
        workers = _validate.integer("workers", workers, low=1)
    if threads is not None:
        high = _config.max_threads() if kind == "local" else None
        threads = _validate.integer("threads", threads, low=1, high=high)
    show = want_progress(_validate.flag("progress", progress, none=True))
    if out is not None:
        if not isinstance(out, (str, os.PathLike)):
            raise ArgumentTypeError("out", f"out must be a directory path, got {type(out).__name__}")
        out = os.fspath(out)

    plan = Plan(env, algo, grid, params, episodes, roots, ids, seeds_spec)
    _validate.memory(f"sweep of {plan.n_cells} cells x {len(roots)} seeds x {episodes} episodes",
                     plan.result_bytes(), argument="seeds", advice="use fewer cells, seeds or episodes")
    n_workers = _n_workers(kind, executor, workers)
    if chunk_agents is None:
        size = max(1, min(memory // plan.agent_bytes(),
                          max(4 * _config.max_threads(), CHUNK_AGENT_EPISODES // episodes)))
        if kind != "local":
            size = min(size, max(1, math.ceil(plan.n_agents / (CHUNKS_PER_WORKER * n_workers))))
    else:
        size = chunk_agents
    manifest = plan.manifest(size)
    owner = None
    if out is not None:
        manifest, owner = open_out(out, manifest, chunk_agents)
    try:
        plan.check_layout(manifest)
        sw = SweepResult(manifest)
        if out is not None:
            for chunk in range(len(manifest["chunks"])):
                payload = read_chunk(out, chunk)
                if payload is not None and payload["meta"].get("range") == manifest["chunks"][chunk]:
                    try:
                        sw._put_chunk(chunk, payload)
                    except (ValueError, TypeError, IndexError) as exc:  # arrays of another shape
                        warnings.warn(f"ignoring chunk file {chunk} in {out!r} ({exc}); it will be run again",
                                      RuntimeWarning, stacklevel=2)
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
    finally:
        if owner is not None:
            owner.release()
    wall = time.perf_counter() - started

    done = [m for m in sw.chunk_meta if m is not None]
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


# ---------------------------------------------------------------------- executors
def _executor_kind(executor) -> str:
    if executor is None:
        return "local"
    if isinstance(executor, str):
        if executor == "processes":
            return "processes"
        raise ArgumentError("executor", f"executor must be None, 'processes', a concurrent.futures.Executor or a "
                         f"dask.distributed.Client, got {executor!r}")
    if _is_dask_client(executor):
        return "dask"
    if isinstance(executor, cf.Executor):
        return "executor"
    raise ArgumentTypeError("executor", f"executor must be None, 'processes', a concurrent.futures.Executor or a "
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


# ---------------------------------------------------------------------- running chunks
def _run_chunk(task: dict) -> dict:
    """Run one chunk (one train() call) and return its arrays and meta.  Runs in workers too."""
    from ._train import train

    env = env_from_payload(task["env"])
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
        if name not in RUN_EXTRAS and np.shape(value)[:1] == (n,):
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

    def __init__(self, plan: Plan, sw: SweepResult, out, threads, show: bool, total: int, local: bool):
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
            write_chunk(self.out, chunk, payload)
        self.sw._put_chunk(chunk, payload)
        self.agent_steps += meta["agent_steps"]
        self.compile_time += meta["compile_time"]
        self.chunks_run += 1
        if self.bar is not None:
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
                            if not self.finish(chunk, _result(future, kind)):
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


class WorkersStopped(RuntimeError):
    """The worker processes of ``executor="processes"`` stopped before returning a chunk."""


def _result(future, kind: str):
    """A chunk's payload; a broken pool of processes becomes a message that says what to do."""
    try:
        return future.result()
    except cf.BrokenExecutor as exc:  # BrokenProcessPool
        if kind != "processes":
            raise
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None)
        raise WorkersStopped(
            f"the worker processes of executor='processes' stopped before returning a chunk ({exc}). "
            "They are started with 'spawn', which imports the calling script again in each of them: "
            + (f"in {script!r}, put" if script else "put")
            + " the code that calls fastq.sweep under `if __name__ == \"__main__\":`. If it is there, a worker "
            "ran out of memory or crashed; the finished chunks are kept (with out=...), so run the sweep again "
            "with fewer workers or a smaller chunk_agents") from None


__all__ = ["sweep", "train_arguments"]
