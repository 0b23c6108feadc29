"""train(): validate, canonicalise, allocate, dispatch in blocks, wrap a Result.

:func:`train` runs in phases, one function each:

1. :func:`_request` checks every argument -- before anything is compiled or allocated -- and
   turns them into a :class:`_Request`: the model, the learner (:data:`fastq.algos.LEARNERS`),
   per-agent hyperparameter arrays and schedule tables (:class:`fastq._interface.Hyper`), one
   stream key per agent (:func:`fastq.rng.stream_keys`);
2. the memory the tables and outputs will take is checked against what is available;
3. the learner allocates its tables (:meth:`fastq.algos.Learner.allocate`);
4. :mod:`fastq._dispatch` picks the kernel (its variant and backend) and compiles it;
5. :func:`_run_blocks` runs the episodes in blocks, the tables carried from block to block, so
   that progress can be shown, ``eval_every`` checkpoints taken, and an interrupt (Ctrl-C)
   keeps every finished block;
6. :func:`_result` wraps the arrays and the metadata in a :class:`fastq.Result`.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import _config, _dispatch, _terminal, _validate, algos
from ._interface import Hyper, Outputs, kernel_model
from ._platform import versions
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS, LEARNERS, TIE_BREAKS
from .envs import as_env, as_mdp
from .grid import GridWorld
from .results import Result
from .rng import EPISODES_LIMIT, SEED_LIMIT, stream_keys
from .solve import greedy_metrics

#: Seconds a block of episodes should take.  A block is the unit of progress reporting and of
#: interrupt safety: a compiled block cannot be interrupted (Ctrl-C waits for it) and the numpy
#: reference rolls an interrupted block back (its work is lost), so each block after the first
#: is sized from the speed measured on the one before to take about this long (``None``: every
#: block has the first one's size).  See docs/semantics.md, "Interrupts".
BLOCK_SECONDS = 0.25
#: Most a block grows over the one before (episodes lengthen as agents learn).
BLOCK_GROWTH = 2
#: Agent-steps of the first block, counting every episode at ``max_steps`` (and each planning
#: update as a step), for the compiled kernels: about a second at their slowest, usually far less.
BLOCK_AGENT_STEPS = 2**26
#: The same for the numpy reference, which is 10 to 1000 times slower per agent-step.
NUMPY_BLOCK_AGENT_STEPS = 2**14
#: Memory of one agent besides its tables and outputs: its hyperparameters, schedule rows,
#: stream key and seed, and their copies in ``Result.params`` (about 30 numbers).
AGENT_BYTES = 256
#: Hyperparameters that take one value per agent (a number or an (agents,) array); a sweep passes
#: every grid cell's value of these per agent, so cells differing only in them share a call.
PER_AGENT_ARGUMENTS = ("alpha", "gamma", "epsilon", "q_init", "temperature")
#: Those of them that also take a schedule, or a sequence of numbers and schedules.
SCHEDULE_ARGUMENTS = ("alpha", "epsilon", "temperature")
#: Dyna-Q's planning updates per real step when not given (Sutton & Barto's Figure 8.2 uses 5 and 50).
DEFAULT_PLANNING_STEPS = 5
#: Most planning updates per real step.
MAX_PLANNING_STEPS = 10_000


def train(
    env,
    algo: str = "q_learning",
    *,
    agents: int = 1,
    episodes: int = 1000,
    alpha=0.1,
    gamma=0.99,
    epsilon=0.1,
    q_init=0.0,
    tie_break: str = "random",
    exploration: str = "epsilon_greedy",
    temperature=1.0,
    planning_steps: int | None = None,
    eval_every: int | None = None,
    seed=0,
    agent_ids=None,
    backend: str = "numba",
    dtype="float64",
    threads: int | None = None,
    progress: bool = False,
) -> Result:
    """Train a population of independent tabular agents.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment (a name from :func:`fastq.list_envs` or a model).
    algo : {"q_learning", "sarsa", "expected_sarsa", "double_q", "dyna_q"}
        The learning rule (update and bootstrap rules: :mod:`fastq.kernels.learners`).
    agents : int, >= 1
        Number of independent agents; agent ``i`` uses the random stream ``(seed, i)``.
    episodes : int, >= 1
        Episodes per agent.
    alpha : float, (agents,) array, schedule, sequence of numbers and schedules, or visits
        Step size, ``0 < alpha <= 1``: per agent, per episode (:func:`fastq.linear`,
        :func:`fastq.exponential`) or count-based (:func:`fastq.visits`).
    gamma : float or (agents,) array, 0 <= gamma <= 1
        Discount factor.
    epsilon : float, (agents,) array, schedule, or sequence of numbers and schedules
        Exploration rate of the epsilon-greedy policy, ``0 <= epsilon <= 1``.
    q_init : float or (agents,) array
        Initial value of every non-terminal, allowed ``Q(s, a)`` (terminal states keep 0,
        disallowed actions hold ``-inf``).
    tie_break : {"random", "first"}
        How the greedy action is chosen among equal values.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy, or Boltzmann with ``temperature``.
    temperature : float, (agents,) array, schedule, or sequence of numbers and schedules
        Softmax temperature, ``> 0`` (used with ``exploration="softmax"``).
    planning_steps : int, >= 0, optional
        Dyna-Q's planning updates per real step (default 5; ``dyna_q`` only).
    eval_every : int, >= 1, optional
        Every ``eval_every`` episodes, evaluate every agent's current greedy policy exactly on
        the model (:func:`fastq.solve.greedy_metrics`): its expected discounted return from
        the start distribution (with the agent's ``gamma``) and, where the model has goal
        states, its probability of ever reaching one.  Stored in ``extra`` as
        ``eval_episodes`` (checkpoints,), ``eval_value`` and ``eval_success``
        (agents, checkpoints).
    seed : int or (agents,) array of int, 0 <= seed < 2**64
        Root seed; results are a pure function of it (and of the other arguments).  An array
        gives every agent its own root seed.
    agent_ids : (agents,) array of int, optional
        The stream of agent ``j`` is ``(seed[j], agent_ids[j])`` (default ``0 .. agents-1``):
        agent ``j`` then reproduces agent ``agent_ids[j]`` of a run with root seed ``seed[j]``.
        This is how :func:`fastq.sweep` makes every (cell, seed) pair independent of chunking.
    backend : {"numba", "numpy"}
        Compiled kernels, or the numpy reference (bit-identical, slower).
    dtype : {"float64", "float32"} or np.float64, np.float32
        Element type of the learner tables (``q``, Double Q's two, Dyna-Q's model rewards);
        everything else stays float64.  ``"float32"`` halves their memory: each update is
        computed in float64 from the float32 values read and rounded to float32 when stored,
        identically on both backends (docs/semantics.md, "float32 tables").  ``q_init`` is
        rounded to float32 too.  Numba compiles a kernel for float32 tables on first use.
    threads : int, optional
        Numba threads (default: every core).  Results do not depend on it.
    progress : bool
        Show a progress bar over blocks of episodes (needs tqdm: ``fastq-rl[progress]``).

    Returns
    -------
    Result
        ``q`` (agents, S, A) of ``dtype``, ``returns`` / ``lengths`` / ``successes`` (agents, episodes),
        ``params``, ``meta``.  If interrupted with Ctrl-C, the finished episodes (a whole number
        of blocks, the same for every agent) with ``meta["interrupted"] = True``.

    Examples
    --------
    >>> import fastq
    >>> res = fastq.train("FrozenLake-8x8", agents=16, episodes=100,
    ...                   alpha=0.1, gamma=0.99, epsilon=0.1, seed=0)
    >>> res.q.shape, res.returns.shape, res.lengths.shape
    ((16, 64, 4), (16, 100), (16, 100))
    """
    request = _request(env, algo, agents=agents, episodes=episodes, alpha=alpha, gamma=gamma, epsilon=epsilon,
                       q_init=q_init, tie_break=tie_break, exploration=exploration, temperature=temperature,
                       planning_steps=planning_steps, eval_every=eval_every, seed=seed, agent_ids=agent_ids,
                       backend=backend, dtype=dtype, threads=threads, progress=progress)
    mdp, learner = request.mdp, request.learner
    state = learner.allocate(mdp, request.params["q_init"], request.dtype, request.visits)
    out = Outputs(np.zeros((request.agents, request.episodes)),
                  np.zeros((request.agents, request.episodes), dtype=np.int32),
                  np.zeros((request.agents, request.episodes), dtype=np.bool_))
    variant = _dispatch.variant(learner.code, mdp, softmax=request.exploration == "softmax",
                                tie_random=request.tie_break == "random", visits=request.visits)
    run = _dispatch.learner(variant, request.backend)
    arguments = (kernel_model(mdp), request.hyper, request.keys)
    compile_time = 0.0
    if request.backend == "numba":
        compile_time = _dispatch.compile(run.kernel, (*arguments, 0, 0, state, out, 0, 0))
        if request.eval_every:  # the evaluation kernel too, so its compilation is not training time
            tic = time.perf_counter()
            greedy_metrics(mdp, state.q[:1], gamma=request.params["gamma"][:1], backend="numba")
            compile_time += time.perf_counter() - tic
    done, interrupted, evaluations, eval_time, wall = _run_blocks(request, run, arguments, state, out)
    return _result(request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time)


@dataclass(frozen=True)
class _Request:
    """A validated :func:`train` call: every argument in the form the kernels take."""

    env: object
    mdp: object
    algo: str
    learner: algos.Learner
    agents: int
    episodes: int
    hyper: Hyper
    params: dict
    schedules: dict
    keys: np.ndarray
    seeds: np.ndarray
    scalar_seed: bool
    ids: np.ndarray
    agent_ids_given: bool
    visits: bool
    exploration: str
    tie_break: str
    planning_steps: int
    eval_every: int | None
    backend: str
    dtype: np.dtype
    threads: int | None
    progress: bool


def _request(env, algo, *, agents, episodes, alpha, gamma, epsilon, q_init, tie_break, exploration, temperature,
             planning_steps, eval_every, seed, agent_ids, backend, dtype, threads, progress) -> _Request:
    """Check every argument of :func:`train` and turn it into the kernels' form."""
    env = as_env(env)
    mdp = as_mdp(env)
    _validate.choice("algo", algo, ALGORITHMS)
    agents = _validate.integer("agents", agents, low=1)
    episodes = _validate.integer("episodes", episodes, low=1, high=EPISODES_LIMIT - 1)
    _validate.choice("exploration", exploration, EXPLORATIONS)
    if planning_steps is None:
        planning_steps = DEFAULT_PLANNING_STEPS if algo == "dyna_q" else 0
    elif algo != "dyna_q":
        raise _validate.ArgumentError(
            "planning_steps", f"planning_steps applies to algo='dyna_q' only, got algo={algo!r}")
    planning_steps = _validate.integer("planning_steps", planning_steps, low=0, high=MAX_PLANNING_STEPS)
    if eval_every is not None:
        eval_every = _validate.integer("eval_every", eval_every, low=1)
    dtype = _validate.table_dtype("dtype", dtype)
    _validate.choice("tie_break", tie_break, TIE_BREAKS)
    _validate.choice("backend", backend, BACKENDS)
    if threads is not None:
        threads = _validate.integer("threads", threads, low=1, high=_config.max_threads())
    if not isinstance(progress, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("progress", f"progress must be True or False, got {progress!r}")
    progress = _terminal.want_progress(progress)
    visits = isinstance(alpha, algos.visits)
    learner = LEARNERS[algo]
    S, A, _ = mdp.shape
    shown = "" if dtype == np.float64 else f", dtype={dtype.name!r}"
    schedule_rows = sum(_schedule_rows(value) for value in (alpha, epsilon, temperature))
    needed = memory_bytes(learner, mdp, agents, episodes, dtype=dtype, visits=visits, eval_every=eval_every,
                          schedule_rows=schedule_rows, backend=backend)
    per_episode = (agents * 13 + schedule_rows * 8) * episodes  # outputs and schedule tables
    _validate.memory(  # before the per-agent arrays below: the estimate counts them too
        f"train(agents={agents}, episodes={episodes}{shown}) on {S} states x {A} actions", needed,
        argument="episodes" if 2 * per_episode > needed else "agents")  # the one that dominates
    if visits:
        alpha_table, alpha_row = np.ones((1, 1)), np.zeros(agents, dtype=np.int64)
        alpha_power = np.full(agents, alpha.power)
        alpha_rows = [repr(alpha)]
    else:
        alpha_table, alpha_row, alpha_rows = algos.schedule_table(
            "alpha", alpha, agents, episodes, **_validate.HYPERPARAMETERS["alpha"])
        alpha_power = np.ones(agents)
    eps_table, eps_row, eps_rows = algos.schedule_table(
        "epsilon", epsilon, agents, episodes, **_validate.HYPERPARAMETERS["epsilon"])
    temp_table, temp_row, temp_rows = algos.schedule_table(
        "temperature", temperature, agents, episodes, **_validate.HYPERPARAMETERS["temperature"])
    params = {
        "gamma": _validate.per_agent("gamma", gamma, agents, **_validate.HYPERPARAMETERS["gamma"]),
        "q_init": _validate.per_agent("q_init", q_init, agents, **_validate.HYPERPARAMETERS["q_init"]),
    }
    if not np.isfinite(params["q_init"].astype(dtype)).all():  # pragma: no cover - the bound prevents it
        raise _validate.ArgumentError("q_init", f"q_init must be finite in dtype={dtype.name!r}")
    schedules = {}
    for name, table, row, rows in (("alpha", alpha_table, alpha_row, alpha_rows),
                                   ("epsilon", eps_table, eps_row, eps_rows),
                                   ("temperature", temp_table, temp_row, temp_rows)):
        if table.shape[1] == 1 and not (name == "alpha" and visits):
            params[name] = table[row, 0]  # one number per agent
        else:
            params[name], params[name + "_row"] = table, row
            schedules[name] = rows
    if visits:
        params["alpha_power"] = alpha_power
    scalar_seed = isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
    seeds = _validate.per_agent_int("seed", seed, agents, high=SEED_LIMIT)
    ids = (np.arange(agents, dtype=np.uint64) if agent_ids is None
           else _validate.per_agent_int("agent_ids", agent_ids, agents, high=2**63 - 1))
    keys = stream_keys(seeds, ids)
    hyper = Hyper(params["gamma"], alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row,
                  planning_steps)
    for arr in (keys, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row):
        arr.flags.writeable = False
    return _Request(env=env, mdp=mdp, algo=algo, learner=learner, agents=agents, episodes=episodes,
                    hyper=hyper, params=params, schedules=schedules, keys=keys, seeds=seeds,
                    scalar_seed=scalar_seed, ids=ids, agent_ids_given=agent_ids is not None, visits=visits,
                    exploration=exploration, tie_break=tie_break, planning_steps=planning_steps,
                    eval_every=eval_every, backend=backend, dtype=dtype, threads=threads, progress=progress)


def memory_bytes(learner: algos.Learner, mdp, agents: int, episodes: int, *, dtype="float64", visits: bool = False,
                 eval_every: int | None = None, schedule_rows: int = 0, backend: str = "numba") -> int:
    """Most bytes :func:`train` holds at once on ``mdp``: the learner's tables, the per-episode
    outputs, the per-agent hyperparameters, the schedule tables (``schedule_rows`` rows of
    ``episodes`` values) and, with ``eval_every``, the evaluations and their working arrays.
    The numpy reference also keeps a copy of the tables (to roll an interrupted block back) and
    works on arrays of a few rows per agent at every step.

    :func:`train` refuses a request above 80 % of the available memory with this estimate,
    before anything is allocated; ``tests/test_train.py`` checks that it bounds the peak.

    Examples
    --------
    >>> import fastq
    >>> from fastq import algos
    >>> memory_bytes(algos.LEARNERS["q_learning"], fastq.make("FrozenLake-8x8").mdp, agents=1000, episodes=100)
    3668000
    """
    S, A, K = mdp.shape
    tables = learner.table_bytes(S, A, np.dtype(dtype).itemsize, visits)
    per_agent = tables + episodes * (8 + 4 + 1) + AGENT_BYTES
    if backend == "numpy":
        per_agent += tables + 192 * (A + K) * 8
    total = agents * per_agent + schedule_rows * episodes * 8
    if eval_every:
        n = max(1, S - int(mdp.terminal.sum()))  # the unknowns of each policy's linear system
        total += agents * (episodes // eval_every * 2 * 2 * 8 + 8 * S * 8)  # results (list, stack); policies
        if backend == "numpy":
            from .reference.evaluation import BATCH_BYTES  # the systems it solves at once

            batch = min(agents, max(1, BATCH_BYTES // (8 * n * n)))
            total += batch * n * (4 * n + 10 * K + 10) * 8
        else:
            total += _config.max_threads() * 2 * n * n * 8
    return total


def _schedule_rows(value) -> int:
    """Rows of per-episode values a hyperparameter's schedule table will have (at most)."""
    if isinstance(value, algos.Schedule):
        return 1
    if isinstance(value, (list, tuple)) and any(isinstance(v, algos.Schedule) for v in value):
        try:
            return len(dict.fromkeys(value))  # one row per distinct entry (algos.schedule_table)
        except TypeError:  # unhashable entries: schedule_table refuses them
            return len(value)
    return 0


def _first_block(request: _Request) -> int:
    """Episodes of the first block: ``budget // (agents * max_steps * (1 + planning_steps))``,
    between 1 and ``episodes``, the budget :data:`BLOCK_AGENT_STEPS` or, for the numpy
    reference, :data:`NUMPY_BLOCK_AGENT_STEPS`."""
    budget = BLOCK_AGENT_STEPS if request.backend == "numba" else NUMPY_BLOCK_AGENT_STEPS
    per_block = budget // (request.agents * request.mdp.max_steps * (1 + request.planning_steps))
    return max(1, min(request.episodes, per_block))


def _next_block(size: int, episodes: int, seconds: float) -> int:
    """The size of the next block, after one of nominal ``size`` that ran ``episodes`` episodes
    in ``seconds``: what takes :data:`BLOCK_SECONDS` at that speed, at most :data:`BLOCK_GROWTH`
    times ``size``, at least 1."""
    if BLOCK_SECONDS is None:
        return size
    if seconds <= 0:
        return BLOCK_GROWTH * size
    return max(1, min(BLOCK_GROWTH * size, round(episodes * BLOCK_SECONDS / seconds)))


def _run_blocks(request: _Request, run, arguments: tuple, state, out):
    """Run the episodes block by block; ``(episodes done, interrupted, evaluations, seconds spent
    evaluating, wall seconds)``.

    Python sees Ctrl-C only between bytecodes: a compiled kernel has always finished its block by
    then (every episode has a length >= 1), and the block is kept.  The numpy reference may stop
    half-way through a block: it is rolled back to the block's start.
    """
    bar = _progress_bar(request.episodes, request.agents) if request.progress else None
    threads = (request.threads or _config.max_threads()) if request.backend == "numba" else 1
    evaluations, eval_time, done, interrupted = [], 0.0, 0, False
    size, every = _first_block(request), request.eval_every
    started = time.perf_counter()
    try:
        while done < request.episodes:
            start = done
            stop = min(start + size, request.episodes)
            if every:  # blocks end at every checkpoint
                stop = min(stop, (start // every + 1) * every)
            snapshot = [a.copy() for a in state] if request.backend == "numpy" else None
            tic = time.perf_counter()
            try:
                run(*arguments, start, stop, state, out, threads=threads)
            except KeyboardInterrupt:
                if (out.lengths[:, start:stop] > 0).all():
                    done = stop
                elif snapshot is not None:
                    for a, saved in zip(state, snapshot):
                        a[:] = saved
                raise
            done = stop
            size = _next_block(size, stop - start, time.perf_counter() - tic)
            if request.eval_every and stop % request.eval_every == 0:
                tic = time.perf_counter()
                evaluations.append(greedy_metrics(request.mdp, state.q, gamma=request.params["gamma"], backend=request.backend))
                eval_time += time.perf_counter() - tic
            if bar is not None:
                bar.update(stop - start)
    except KeyboardInterrupt:
        interrupted = True
        warnings.warn(f"train() interrupted: keeping the {done} of {request.episodes} episodes that finished",
                      RuntimeWarning, stacklevel=3)
    finally:
        if bar is not None:
            bar.close()
    return done, interrupted, evaluations, eval_time, time.perf_counter() - started


def _result(request: _Request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time) -> Result:
    """The :class:`fastq.Result` of a finished (or interrupted) run."""
    env, agents = request.env, request.agents
    meta = {
        "algo": request.algo,
        "env": request.mdp.name,
        "env_options": env.options() if isinstance(env, GridWorld) else None,
        "seed": int(request.seeds[0]) if request.scalar_seed else None,
        "backend": request.backend,
        "threads": (request.threads or _config.max_threads()) if request.backend == "numba" else 1,
        "tie_break": request.tie_break,
        "exploration": request.exploration,
        "dtype": request.dtype.name,
        "planning_steps": request.planning_steps,
        "schedules": request.schedules,
        "eval_every": request.eval_every,
        "agents": agents,
        "episodes": done,
        "episodes_requested": request.episodes,
        "interrupted": interrupted,
        "wall_time": wall,
        "compile_time": compile_time,
        "versions": versions(),
    }
    returns, lengths, successes = out
    if done < request.episodes:  # views, not copies: the outputs may fill most of the memory
        returns, lengths, successes = (a[:, :done] for a in (returns, lengths, successes))
    params = dict(request.params)
    if not request.scalar_seed:
        params["seed"] = request.seeds
    if request.agent_ids_given:
        params["agent_ids"] = request.ids
    q, extra = request.learner.finish(state)
    if request.eval_every:
        checkpoints = list(range(request.eval_every, request.episodes + 1, request.eval_every))
        extra["eval_episodes"] = np.array(checkpoints[: len(evaluations)], dtype=np.int64)
        extra["eval_value"] = np.stack([v for v, _ in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        extra["eval_success"] = np.stack([p for _, p in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        meta["eval_time"] = eval_time  # included in wall_time
    return Result(q, returns, lengths, successes, params={k: np.array(v) for k, v in params.items()},
                  meta=meta, extra=extra)


def _progress_bar(episodes: int, agents: int):
    from tqdm.auto import tqdm

    return tqdm(total=episodes, unit="episode", desc=f"{agents} agents", file=sys.stderr, leave=False)


def warmup() -> None:
    """Compile every numba kernel now (otherwise the first call compiles).

    Examples
    --------
    >>> import fastq
    >>> fastq.warmup()
    """
    for name in ("FrozenLake-8x8", "CliffWalking"):
        for algo in ALGORITHMS:
            train(name, algo, agents=1, episodes=1, backend="numba")


__all__ = ["train", "warmup"]
