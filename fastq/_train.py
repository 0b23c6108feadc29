"""train(): validate, canonicalise, allocate, dispatch in blocks, wrap a Result.

Every argument is checked before anything is compiled or allocated.  Hyperparameters become
read-only per-agent float64 arrays; the seed becomes one stream key per agent
(:func:`fastq.rng.agent_keys`).  The kernel then runs over blocks of episodes, the Q-tables
carried from block to block, so that progress can be shown and an interrupt (Ctrl-C) keeps every
finished block.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
import warnings

import numpy as np

from . import _config, _validate, algos
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS, kernel
from .envs import make
from .grid import GridWorld
from .envs import as_mdp
from .results import Result
from .solve import greedy_metrics
from .rng import EPISODES_LIMIT, SEED_LIMIT, stream_keys

TIE_BREAKS = ("random", "first")
#: Most agent-steps in one block (counting every episode at ``max_steps``): a block is the unit
#: of progress reporting and of interrupt safety, and a compiled block cannot be interrupted, so
#: this bounds how long Ctrl-C waits (about a second at full speed, usually far less).
BLOCK_AGENT_STEPS = 2**26
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
    if isinstance(env, str):
        env = make(env)
    mdp = as_mdp(env)
    _validate.choice("algo", algo, ALGORITHMS)
    agents = _validate.integer("agents", agents, low=1)
    episodes = _validate.integer("episodes", episodes, low=1, high=EPISODES_LIMIT - 1)
    S, A, _ = mdp.shape
    _validate.choice("exploration", exploration, EXPLORATIONS)
    if planning_steps is None:
        planning_steps = DEFAULT_PLANNING_STEPS if algo == "dyna_q" else 0
    elif algo != "dyna_q":
        raise ValueError(f"planning_steps applies to algo='dyna_q' only, got algo={algo!r}")
    planning_steps = _validate.integer("planning_steps", planning_steps, low=0, high=MAX_PLANNING_STEPS)
    if eval_every is not None:
        eval_every = _validate.integer("eval_every", eval_every, low=1)
    dtype = _validate.table_dtype("dtype", dtype)
    visits = isinstance(alpha, algos.visits)
    # (agents, S, A) tables: of `dtype`, Q, Double Q's two and Dyna-Q's model rewards; int64, the
    # visit counts and Dyna-Q's model next states and seen pairs.
    float_tables = 1 + 2 * (algo == "double_q") + (algo == "dyna_q")
    int_tables = visits + 2 * (algo == "dyna_q")
    shown = "" if dtype == np.float64 else f", dtype={dtype.name!r}"
    _validate.memory(
        f"train(agents={agents}, episodes={episodes}{shown}) on {S} states x {A} actions",
        agents * ((float_tables * dtype.itemsize + int_tables * 8) * S * A + 8 * 8)
        + agents * episodes * (8 + 4 + 1),
    )
    if visits:
        alpha_table, alpha_row = np.ones((1, 1)), np.zeros(agents, dtype=np.int64)
        alpha_power = np.full(agents, alpha.power)
        alpha_rows = [repr(alpha)]
    else:
        alpha_table, alpha_row, alpha_rows = algos.schedule_table(
            "alpha", alpha, agents, episodes, low=0.0, high=1.0, low_closed=False)
        alpha_power = np.ones(agents)
    eps_table, eps_row, eps_rows = algos.schedule_table("epsilon", epsilon, agents, episodes, low=0.0, high=1.0)
    temp_table, temp_row, temp_rows = algos.schedule_table(
        "temperature", temperature, agents, episodes, low=0.0, low_closed=False)
    params = {
        "gamma": _validate.per_agent("gamma", gamma, agents, low=0.0, high=1.0),
        "q_init": _validate.per_agent("q_init", q_init, agents),
    }
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
    _validate.choice("tie_break", tie_break, TIE_BREAKS)
    scalar_seed = isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
    seeds = _validate.per_agent_int("seed", seed, agents, high=SEED_LIMIT)
    ids = (np.arange(agents, dtype=np.uint64) if agent_ids is None
           else _validate.per_agent_int("agent_ids", agent_ids, agents, high=2**63 - 1))
    _validate.choice("backend", backend, BACKENDS)
    if threads is not None:
        threads = _validate.integer("threads", threads, low=1, high=_config.max_threads())
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if progress and importlib.util.find_spec("tqdm") is None:
        raise ImportError("progress=True needs tqdm: pip install 'fastq-rl[progress]'")

    def table(init: np.ndarray | float, used: bool, dtype=np.float64) -> np.ndarray:
        """An (agents, S, A) learner table, or a placeholder when the algorithm has none."""
        if not used:
            return np.zeros((1, 1, 1), dtype=dtype)
        out = np.empty((agents, S, A), dtype=dtype)
        out[:] = init
        return out

    # Terminal rows 0, disallowed actions -inf (never chosen, never the max), the rest q_init:
    # built in one pass over the tables, which are most of a large run's memory.
    fixed = np.where(mdp.terminal[:, None], 0.0, np.where(mdp.allowed, np.nan, -np.inf)).astype(dtype)
    q_start = np.where(np.isnan(fixed), params["q_init"].astype(dtype)[:, None, None], fixed)
    double = algo == "double_q"
    dyna = algo == "dyna_q"
    # Double Q's tables A and B of agent i are rows 2i and 2i + 1 of one array (see the kernels).
    q_ab = np.repeat(q_start, 2, axis=0) if double else table(0.0, False, dtype)
    q_a, q_b = q_ab[0::2], q_ab[1::2]
    q = q_a + q_b if double else q_start
    state = (
        q, q_ab,
        table(0, visits, np.int64),
        table(-1, dyna, np.int64), table(0.0, dyna, dtype),
        np.zeros((agents, S * A) if dyna else (1, 1), dtype=np.int64),
        np.zeros(agents if dyna else 1, dtype=np.int64),
    )
    del q_start
    returns = np.zeros((agents, episodes))
    lengths = np.zeros((agents, episodes), dtype=np.int32)
    successes = np.zeros((agents, episodes), dtype=np.bool_)
    keys = stream_keys(seeds, ids)
    model = (mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal, mdp.goal,
             mdp.start_cum, mdp.n_allowed, mdp.allowed_actions, mdp.max_steps)
    hyper = (params["gamma"], alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row)
    options = (int(exploration == "softmax"), int(tie_break == "random"), int(visits),
               int(bool((mdp.reward_std > 0).any())), int(mdp.all_allowed), planning_steps)
    for arr in (keys, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row):
        arr.flags.writeable = False
    plain = not (options[0] or options[2] or options[3]) and options[4]
    run = kernel(algo, backend, plain)
    block = max(1, min(episodes, BLOCK_AGENT_STEPS // (agents * mdp.max_steps * (1 + planning_steps))))
    stops = set(range(block, episodes, block)) | {episodes}
    checkpoints = list(range(eval_every, episodes + 1, eval_every)) if eval_every else []
    stops = sorted(stops | set(checkpoints))  # blocks end at every checkpoint
    evaluations = []
    eval_time = 0.0

    def arguments(start: int, stop: int) -> tuple:
        return (model, hyper, options, keys, start, stop, state, (returns, lengths, successes))

    compile_time = _compile(run.kernel, arguments(0, 0) + (0, 0)) if backend == "numba" else 0.0
    bar = _progress_bar(episodes, agents) if progress else None
    done = 0
    interrupted = False
    started = time.perf_counter()
    with _config.threads(threads if backend == "numba" else 1) as n_threads:
        try:
            for start, stop in zip([0, *stops[:-1]], stops):
                snapshot = [a.copy() for a in state] if backend == "numpy" else None
                try:
                    run(*arguments(start, stop))
                except KeyboardInterrupt:
                    # Python sees Ctrl-C only between bytecodes: a compiled kernel has always
                    # finished its block by then (every episode has a length >= 1), and the
                    # block is kept.  The numpy reference may stop half-way: roll it back.
                    if (lengths[:, start:stop] > 0).all():
                        done = stop
                    elif snapshot is not None:
                        for a, saved in zip(state, snapshot):
                            a[:] = saved
                    raise
                done = stop
                if eval_every and stop % eval_every == 0:
                    tic = time.perf_counter()
                    evaluations.append(greedy_metrics(mdp, q, params["gamma"]))
                    eval_time += time.perf_counter() - tic
                if bar is not None:
                    bar.update(stop - start)
        except KeyboardInterrupt:
            interrupted = True
            warnings.warn(
                f"train() interrupted: keeping the {done} of {episodes} episodes that finished",
                RuntimeWarning,
                stacklevel=2,
            )
        finally:
            if bar is not None:
                bar.close()
    wall = time.perf_counter() - started

    meta = {
        "algo": algo,
        "env": mdp.name,
        "env_options": env.options() if isinstance(env, GridWorld) else None,
        "seed": int(seeds[0]) if scalar_seed else None,
        "backend": backend,
        "threads": n_threads,
        "tie_break": tie_break,
        "exploration": exploration,
        "dtype": dtype.name,
        "planning_steps": planning_steps,
        "schedules": schedules,
        "eval_every": eval_every,
        "agents": agents,
        "episodes": done,
        "episodes_requested": episodes,
        "interrupted": interrupted,
        "wall_time": wall,
        "compile_time": compile_time,
        "versions": versions(),
    }
    if done < episodes:  # views, not copies: the outputs may fill most of the memory
        returns, lengths, successes = (a[:, :done] for a in (returns, lengths, successes))
    if not scalar_seed:
        params["seed"] = seeds
    if agent_ids is not None:
        params["agent_ids"] = ids
    if double:
        q = (q_a + q_b) / 2.0  # exact, and of q's dtype: same argmax and ties as the sum it acted on
    extra = {"q_a": q_a, "q_b": q_b} if double else {}
    if eval_every:
        extra["eval_episodes"] = np.array(checkpoints[: len(evaluations)], dtype=np.int64)
        extra["eval_value"] = np.stack([v for v, _ in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        extra["eval_success"] = np.stack([p for _, p in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        meta["eval_time"] = eval_time  # included in wall_time
    return Result(q, returns, lengths, successes, params={k: np.array(v) for k, v in params.items()},
                  meta=meta, extra=extra)


#: (kernel, argument layout) pairs already compiled in this process (see :func:`_compile`).
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


def _compile(dispatcher, args: tuple) -> float:
    """Compile a numba kernel for these argument types, if it is not yet; the seconds it took.

    Compiling apart from the first block keeps compilation out of ``meta["wall_time"]``.  Asking
    numba for the types (``numba.typeof`` of 30 arrays) takes about half a millisecond, as much
    as a small job's training, so the answer is remembered per argument layout.
    """
    key = (dispatcher, _layout(args))
    if key in _COMPILED:
        return 0.0
    import numba

    signature = tuple(numba.typeof(a) for a in args)
    started = time.perf_counter()
    compiling = signature not in dispatcher.overloads
    if compiling:
        dispatcher.compile(signature)
    _COMPILED.add(key)
    return time.perf_counter() - started if compiling else 0.0


def versions() -> dict:
    """Versions of fastq, numpy, numba and Python, as recorded in every result."""
    import numba

    from ._version import __version__

    return {
        "fastq": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }


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
    tiny = GridWorld(["SG"], slip=0.1)
    for algo in ALGORITHMS:
        train(tiny, algo, agents=1, episodes=1, backend="numba")


__all__ = ["train", "warmup"]
