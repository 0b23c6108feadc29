"""Throughput on this machine: a short version of the benchmark suite, as ``fastq bench`` runs it.

What is measured
----------------
Agent-steps per second: the environment steps of all agents together (``Result.agent_steps``)
divided by the wall time of the whole :func:`fastq.train` call -- checking the arguments,
allocating, the kernel, building the result -- fastest of ``rounds`` calls.  The environment
is built once, before (``fastq.make``; a name given to ``train`` is built again on every call,
which the ``threads`` group shows once, for a small job).  A numba measurement starts with one
identical warm-up call, which compiles the kernel if this process has not compiled it yet; the
compile time that call reports (``meta["compile_time"]``) is kept apart, in the row's
``compile_time``, never in a rate.  Ratios are between rows of **the same
run** (:func:`add_ratios`), never against figures measured elsewhere.

The setting is the README's: FrozenLake-8x8 (slippery, Gymnasium's map), alpha 0.1, gamma 0.99,
epsilon 0.1, random tie-breaking, seed 0 (:data:`ENV`, :data:`SETTINGS`).

Groups (:data:`GROUPS`)
-----------------------
``alternatives``  Q-learning with the numba kernels, with the numpy reference (the definition:
                  bit-identical, readable, slow), and as a Python loop over Gymnasium's
                  ``FrozenLake8x8-v1`` with a numpy Q-table (:func:`gymnasium_loop`, when
                  gymnasium is installed).  Ratios against the numpy reference.
``algorithms``    every algorithm, numba against its own numpy reference.
``threads``       Q-learning with 1 thread and with every thread (or ``threads``), and a small
                  job -- 1 agent, about 100,000 steps -- on 1 thread and on every thread, and
                  once with the environment given by name.  Ratios against the many-agent
                  1-thread run: full single-core speed is 1.
``agents``        Q-learning from a few hundred to tens of thousands of agents, with about the
                  same agent-steps per run.  Ratios against 4096 agents.
``grid``          Q-learning on open square grids (:func:`open_grid`) from 8 x 8 up to
                  100 x 100 (10,000 states), the same agents at every size.  Ratios against the
                  smallest grid.

:data:`QUICK` is the short version (a few seconds once the kernels are compiled), :data:`FULL`
the sizes of the benchmark suite in ``bench/`` (pytest-benchmark), which imports them from here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

import fastq

from . import _validate
from .algos import ALGORITHMS

#: The environment of every group but ``grid``.
ENV = "FrozenLake-8x8"
#: Hyperparameters of every measurement (the README's setting).
SETTINGS = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1, "seed": 0}
#: The groups :func:`run` can measure, in the order it measures and prints them.
GROUPS = ("alternatives", "algorithms", "threads", "agents", "grid")
#: Slip of the open grids of the ``grid`` group: FrozenLake's (1/3 to each side of the move).
GRID_SLIP = "2/3"
#: Name of the Python-loop row of the ``alternatives`` group.
PYTHON_LOOP = "Python loop over Gymnasium"
#: Name of the numpy reference row of the ``alternatives`` group (its baseline).
REFERENCE = "numpy reference"

_TITLES = {
    "alternatives": "q_learning on {env}: fastq vs the alternatives",
    "algorithms": "every algorithm on {env}: numba vs its numpy reference "
                  "(dyna_q: {planning} planning updates per real step)",
    "threads": "threads: q_learning on {env}, {agents} agents, and a small job of 1 agent",
    "agents": "scaling in agents: q_learning on {env}, about the same agent-steps per run",
    "grid": "scaling in grid size: q_learning on open n x n grids (slip {slip}), {grid_agents} agents",
}


@dataclass(frozen=True)
class Plan:
    """The sizes of a benchmark run (see :data:`QUICK` and :data:`FULL`).

    Parameters
    ----------
    agents, episodes : int, >= 1
        Size of the numba runs of the ``alternatives``, ``algorithms`` and ``threads`` groups.
    reference_episodes : int, >= 1
        Episodes of the numpy reference runs, which have ``agents`` agents too: the reference
        is vectorised over agents, so its cost per agent-step grows when there are fewer (a
        fair comparison keeps the agents and shortens the run; episode lengths hardly change
        over the first 50 episodes).
    gymnasium_episodes : int, >= 1
        Episodes of the single agent of the Python loop over Gymnasium.
    small_job_episodes : int, >= 1
        Episodes of the 1-agent job of the ``threads`` group.
    scaling : sequence of (agents, episodes)
        The runs of the ``agents`` group.
    grids : sequence of (side, agents, episodes)
        The runs of the ``grid`` group: an open ``side`` x ``side`` grid (:func:`open_grid`).
    rounds : int, >= 1
        Timed calls per numba measurement (after the warm-up call); the fastest counts.
    reference_rounds : int, >= 1
        Timed calls per numpy reference or Python-loop measurement.
    planning_steps : int, >= 0
        Dyna-Q's planning updates per real step.

    Examples
    --------
    >>> from fastq.benchmark import Plan
    >>> tiny = Plan(agents=8, episodes=2, scaling=((4, 2), (8, 1)), grids=((4, 4, 1),))
    >>> tiny.rounds
    3
    """

    agents: int = 4096
    episodes: int = 20
    reference_episodes: int = 2
    gymnasium_episodes: int = 100
    small_job_episodes: int = 2000
    scaling: tuple = ((256, 320), (4096, 20), (16384, 5))
    grids: tuple = ((8, 256, 100), (32, 256, 4))
    rounds: int = 3
    reference_rounds: int = 1
    planning_steps: int = 5

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "scaling":
                object.__setattr__(self, f.name, _pairs(f.name, value, 2))
            elif f.name == "grids":
                object.__setattr__(self, f.name, _pairs(f.name, value, 3))
            else:
                low = 0 if f.name == "planning_steps" else 1
                object.__setattr__(self, f.name, _validate.integer(f"Plan {f.name}", value, low=low))


def _pairs(name: str, value, width: int) -> tuple:
    """``value`` as a tuple of ``width``-tuples of positive ints (a grid side at least 2)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Plan {name} must be a sequence of {width}-tuples of integers, got {value!r}")
    out = []
    for entry in value:
        if not isinstance(entry, (list, tuple)) or len(entry) != width:
            raise ValueError(f"Plan {name} entries must be {width}-tuples of integers, got {entry!r}")
        low = [2, 1, 1] if width == 3 else [1, 1]
        out.append(tuple(_validate.integer(f"Plan {name} entry", v, low=lo) for v, lo in zip(entry, low)))
    return tuple(out)


#: ``fastq bench``: a few seconds per group once compiled (on 2 cores, 2026).
QUICK = Plan()
#: ``fastq bench --full`` and the benchmark suite in ``bench/``: each run about 0.5-2 s.
FULL = Plan(
    agents=4096, episodes=50, reference_episodes=12,
    gymnasium_episodes=200, small_job_episodes=2000,
    scaling=((256, 8192), (1024, 2048), (4096, 512), (16384, 128), (65536, 32)),
    grids=((8, 256, 500), (16, 256, 100), (32, 256, 16), (64, 256, 4), (100, 256, 2)),
    rounds=3, reference_rounds=1,
)


def open_grid(side: int) -> fastq.GridWorld:
    """An open ``side`` x ``side`` grid: start top-left, goal bottom-right, no holes, slip 2/3.

    The map of :func:`fastq.random_map` with every cell frozen, FrozenLake's slip and rewards
    (1 at the goal) and the default time limit ``max(100, 4 * side**2)``.  With no holes an
    episode ends only at the goal or at the time limit, so every run does real work whatever the
    size; on the larger grids most episodes are truncated.

    Parameters
    ----------
    side : int, >= 2

    Returns
    -------
    GridWorld
        ``side**2`` states, 4 actions, named ``"open {side}x{side}"``.

    Examples
    --------
    >>> from fastq.benchmark import open_grid
    >>> env = open_grid(4)
    >>> print(env.render())
    SFFF
    FFFF
    FFFF
    FFFG
    >>> env.mdp.shape, env.max_steps
    ((16, 4, 3), 100)
    """
    side = _validate.integer("side", side, low=2)
    return fastq.GridWorld(fastq.random_map(size=side, p_frozen=1.0, seed=0), slip=GRID_SLIP,
                           name=f"open {side}x{side}")


def gymnasium_loop(episodes: int, seed: int = 0) -> int:
    """Q-learning the way most users write it: a Python loop over Gymnasium, a numpy Q-table.

    One agent on ``gymnasium.make("FrozenLake8x8-v1")`` (slippery, time limit 200), the
    hyperparameters of :data:`SETTINGS`, epsilon-greedy with ``np.argmax`` (ties to the first
    action), no bootstrap on termination.

    Parameters
    ----------
    episodes : int, >= 1
    seed : int, >= 0
        Seeds the environment and the agent's ``np.random.default_rng``.

    Returns
    -------
    int
        The environment steps taken (the agent-steps of the run).

    Examples
    --------
    >>> from fastq.benchmark import gymnasium_loop
    >>> steps = gymnasium_loop(3)
    >>> steps >= 3
    True
    """
    import gymnasium as gym

    episodes = _validate.integer("episodes", episodes, low=1)
    env = gym.make("FrozenLake8x8-v1")
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    alpha, gamma, epsilon = SETTINGS["alpha"], SETTINGS["gamma"], SETTINGS["epsilon"]
    steps = 0
    env.reset(seed=seed)
    for _ in range(episodes):
        s, _ = env.reset()
        done = False
        while not done:
            if rng.random() < epsilon:
                a = int(rng.integers(4))
            else:
                a = int(np.argmax(q[s]))
            s2, r, terminated, truncated, _ = env.step(a)
            target = r if terminated else r + gamma * q[s2].max()
            q[s, a] += alpha * (target - q[s, a])
            s, done = s2, terminated or truncated
            steps += 1
    env.close()
    return steps


def measure(env, algo: str = "q_learning", *, agents: int, episodes: int, backend: str = "numba",
            threads: int | None = None, rounds: int = 3, planning_steps: int | None = None) -> dict:
    """Time :func:`fastq.train`: agent-steps per second of the fastest of ``rounds`` calls.

    With ``backend="numba"`` one identical warm-up call comes first (it compiles the kernel if
    this process has not yet); its ``meta["compile_time"]`` is returned as ``compile_time``.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        A name is turned into a model inside every timed call, as :func:`fastq.train` does.
    algo : str
        One of :data:`fastq.ALGORITHMS`.
    agents, episodes : int, >= 1
    backend : {"numba", "numpy"}
    threads : int, optional
        Numba threads (default: every thread).
    rounds : int, >= 1
    planning_steps : int, optional
        Dyna-Q's planning updates per real step.

    Returns
    -------
    dict
        ``env`` (name), ``algo``, ``backend``, ``agents``, ``episodes``, ``threads`` (used),
        ``rounds``, ``agent_steps`` (``Result.agent_steps`` of each call: they are identical),
        ``seconds`` (fastest call), ``rate`` (agent-steps per second), ``wall_time`` (the
        fastest call's ``meta["wall_time"]``: the training alone), ``compile_time``.

    Raises
    ------
    KeyboardInterrupt
        Also when a Ctrl-C made ``train`` return early: a cut run measures nothing.

    Examples
    --------
    >>> from fastq.benchmark import measure
    >>> m = measure("FrozenLake-4x4", agents=2, episodes=3, backend="numpy", rounds=1)
    >>> m["agent_steps"] > 0 and m["rate"] > 0, m["compile_time"]
    (True, 0.0)
    """
    rounds = _validate.integer("rounds", rounds, low=1)
    kwargs = dict(agents=agents, episodes=episodes, backend=backend, threads=threads, **SETTINGS)
    if planning_steps is not None:
        kwargs["planning_steps"] = planning_steps
    compile_time = 0.0
    if backend == "numba":
        compile_time = float(_train(env, algo, kwargs).meta["compile_time"])
    best, best_wall, res = math.inf, math.nan, None
    for _ in range(rounds):
        started = time.perf_counter()
        res = _train(env, algo, kwargs)
        seconds = time.perf_counter() - started
        if seconds < best:
            best, best_wall = seconds, float(res.meta["wall_time"])
    steps = res.agent_steps
    return {
        "env": res.meta["env"], "algo": algo, "backend": backend, "agents": int(agents),
        "episodes": int(episodes), "threads": int(res.meta["threads"]), "rounds": rounds,
        "agent_steps": int(steps), "seconds": best, "rate": steps / best, "wall_time": best_wall,
        "compile_time": compile_time,
    }


def _train(env, algo: str, kwargs: dict):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fastq.train(env, algo, **kwargs)
    for w in caught:  # everything but the interrupt note goes on as usual
        if not (issubclass(w.category, RuntimeWarning) and "interrupted" in str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if res.meta.get("interrupted"):
        raise KeyboardInterrupt
    return res


def _python_loop(episodes: int, rounds: int) -> dict:
    best, steps = math.inf, 0
    for _ in range(rounds):
        started = time.perf_counter()
        steps = gymnasium_loop(episodes)
        best = min(best, time.perf_counter() - started)
    return {
        "env": "FrozenLake8x8-v1 (gymnasium)", "algo": "q_learning", "backend": "python",
        "agents": 1, "episodes": int(episodes), "threads": 1, "rounds": rounds,
        "agent_steps": int(steps), "seconds": best, "rate": steps / best, "wall_time": best,
        "compile_time": 0.0,
    }


def check(threads=None, algos=None, groups=None) -> tuple:
    """Check the arguments of :func:`run`; return them normalised.

    Parameters
    ----------
    threads : int, optional
        ``1 <= threads <=`` numba's thread count; ``None``: every thread.
    algos : sequence of str, optional
        Algorithms of the ``algorithms`` group (default: every one).
    groups : sequence of str, optional
        Groups to measure (default: every one of :data:`GROUPS`).

    Returns
    -------
    (int, tuple of str, tuple of str)
        The thread count, the algorithms and the groups, in :data:`GROUPS` order.

    Examples
    --------
    >>> from fastq.benchmark import check
    >>> check(threads=1, algos=["sarsa"], groups=["threads", "alternatives"])
    (1, ('sarsa',), ('alternatives', 'threads'))
    >>> check(groups=["speed"])
    Traceback (most recent call last):
    ...
    ValueError: groups must be among 'alternatives', 'algorithms', 'threads', 'agents', 'grid', got 'speed'
    """
    import numba

    most = int(numba.config.NUMBA_NUM_THREADS)
    if threads is None:
        threads = most
    else:
        threads = _validate.integer("threads", threads)
        if not 1 <= threads <= most:
            raise ValueError(f"threads must be 1 <= threads <= {most} (numba's thread count here), got {threads}")
    algos = ALGORITHMS if algos is None else tuple(_names("algos", algos, ALGORITHMS))
    groups = GROUPS if groups is None else tuple(g for g in GROUPS if g in _names("groups", groups, GROUPS))
    return threads, algos, groups


def _names(name: str, values, allowed) -> list:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list of names, got {values!r}")
    for v in values:
        if v not in allowed:
            raise ValueError(f"{name} must be among {', '.join(map(repr, allowed))}, got {v!r}")
    if not values:
        raise ValueError(f"{name} must name at least one of {', '.join(map(repr, allowed))}")
    return list(dict.fromkeys(values))


def run(quick: bool = True, threads: int | None = None, *, plan: Plan | None = None, algos=None,
        groups=None, on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Measure the benchmark groups on this machine (see the module docstring).

    Parameters
    ----------
    quick : bool
        :data:`QUICK` sizes (default) or :data:`FULL` ones.
    threads : int, optional
        Numba threads of every fastq run (default: every thread); the ``threads`` group
        compares 1 thread with this many.
    plan : Plan, optional
        Sizes to use instead of :data:`QUICK` / :data:`FULL`.
    algos : sequence of str, optional
        Algorithms of the ``algorithms`` group (default: every one).
    groups : sequence of str, optional
        Groups to measure (default: all of :data:`GROUPS`).
    on_row : callable, optional
        Called with each row as soon as it is measured (to show progress, or to keep the rows
        measured before a Ctrl-C).

    Returns
    -------
    list of dict
        One row per measurement, grouped in :data:`GROUPS` order: the keys of :func:`measure`
        plus ``group`` (a name of :data:`GROUPS`), ``title`` (the group's description),
        ``name`` (unique in its group), ``baseline`` (the name of the row of the same group it
        is compared with) and ``ratio`` (``rate`` over the baseline's; 1 for the baseline).
        The ``grid`` rows also have ``side``.

    Raises
    ------
    ValueError, TypeError
        Bad arguments, before anything is measured.
    KeyboardInterrupt
        On Ctrl-C; the rows measured so far went to ``on_row``.

    Examples
    --------
    >>> from fastq import benchmark
    >>> rows = benchmark.run()  # doctest: +SKIP
    >>> print(benchmark.format_table(rows))  # doctest: +SKIP
    """
    if not isinstance(quick, (bool, np.bool_)):
        raise TypeError(f"quick must be True or False, got {quick!r}")
    if plan is None:
        plan = QUICK if quick else FULL
    elif not isinstance(plan, Plan):
        raise TypeError(f"plan must be a fastq.benchmark.Plan, got {plan!r}")
    threads, algos, groups = check(threads, algos, groups)
    if on_row is not None and not callable(on_row):
        raise TypeError(f"on_row must be callable, got {on_row!r}")
    # Models are built once, outside the timed calls: train() given a name builds the model on
    # every call (a fixed cost per call, shown once by the "by name" row of the threads group).
    grid_envs = {side: open_grid(side) for side, _, _ in plan.grids} if "grid" in groups else {}
    model = fastq.make(ENV)
    for env in (model, *grid_envs.values()):
        _ = env.mdp  # built and cached by the GridWorld

    rows: list[dict] = []
    measured: dict = {}  # the same run is measured once and may appear in several groups

    def add(group: str, name: str, baseline: str, key: tuple, measure_it: Callable[[], dict], **more):
        if key not in measured:
            measured[key] = measure_it()
        row = {"group": group, "title": _title(group, plan), "name": name,
               "baseline": baseline, "ratio": None, **measured[key], **more}
        rows.append(row)
        add_ratios([r for r in rows if r["group"] == group])
        if on_row is not None:
            on_row(row)

    def fastq_run(group, name, baseline, env, algo="q_learning", *, agents, episodes,
                  backend="numba", n_threads=threads, **more):
        planning = plan.planning_steps if algo == "dyna_q" else None
        rounds = plan.rounds if backend == "numba" else plan.reference_rounds
        key = (env if isinstance(env, str) else ("model", env.name), algo, backend, agents, episodes,
               n_threads if backend == "numba" else 1)
        add(group, name, baseline, key,
            lambda: measure(env, algo, agents=agents, episodes=episodes, backend=backend,
                            threads=n_threads if backend == "numba" else None, rounds=rounds,
                            planning_steps=planning), **more)

    all_threads = f"{threads} thread{'s' * (threads != 1)}"
    if "alternatives" in groups:
        fastq_run("alternatives", REFERENCE, REFERENCE, model, agents=plan.agents,
                  episodes=plan.reference_episodes, backend="numpy")
        fastq_run("alternatives", f"numba, {all_threads}", REFERENCE, model, agents=plan.agents,
                  episodes=plan.episodes)
        if importlib.util.find_spec("gymnasium") is not None:
            add("alternatives", PYTHON_LOOP, REFERENCE, ("gymnasium", plan.gymnasium_episodes),
                lambda: _python_loop(plan.gymnasium_episodes, plan.reference_rounds))
    if "algorithms" in groups:
        for algo in algos:
            reference = f"{algo}, numpy reference"
            fastq_run("algorithms", reference, reference, model, algo, agents=plan.agents,
                      episodes=plan.reference_episodes, backend="numpy")
            fastq_run("algorithms", f"{algo}, numba", reference, model, algo, agents=plan.agents,
                      episodes=plan.episodes)
    if "threads" in groups:
        one = f"{plan.agents} agents, 1 thread"
        fastq_run("threads", one, one, model, agents=plan.agents, episodes=plan.episodes, n_threads=1)
        if threads > 1:
            fastq_run("threads", f"{plan.agents} agents, {all_threads}", one, model, agents=plan.agents,
                      episodes=plan.episodes)
        fastq_run("threads", "1 agent, 1 thread", one, model, agents=1, episodes=plan.small_job_episodes,
                  n_threads=1)
        if threads > 1:
            fastq_run("threads", f"1 agent, {all_threads}", one, model, agents=1,
                      episodes=plan.small_job_episodes)
        fastq_run("threads", "1 agent, 1 thread, environment by name", one, ENV, agents=1,
                  episodes=plan.small_job_episodes, n_threads=1)
    if "agents" in groups:
        sizes = [a for a, _ in plan.scaling]
        base = f"{4096 if 4096 in sizes else sizes[0]} agents"
        for agents, episodes in plan.scaling:
            fastq_run("agents", f"{agents} agents", base, model, agents=agents, episodes=episodes)
    if "grid" in groups:
        base = None
        for side, agents, episodes in plan.grids:
            name = f"{side}x{side} ({side * side} states)"
            base = base or name
            fastq_run("grid", name, base, grid_envs[side], agents=agents, episodes=episodes, side=side)
    return add_ratios(rows)


def _title(group: str, plan: Plan) -> str:
    grid_agents = ", ".join(str(a) for a in dict.fromkeys(a for _, a, _ in plan.grids))
    return _TITLES[group].format(env=ENV, planning=plan.planning_steps, agents=plan.agents,
                                 grid_agents=grid_agents, slip=GRID_SLIP)


def add_ratios(rows: list[dict]) -> list[dict]:
    """Set each row's ``ratio``: its ``rate`` over the rate of its ``baseline`` row.

    The baseline is the row of the same ``group`` whose ``name`` is the row's ``baseline``;
    where it is missing (not measured, or interrupted), ``ratio`` is None.

    Parameters
    ----------
    rows : list of dict
        With ``group``, ``name``, ``baseline`` and ``rate``; changed in place.

    Returns
    -------
    list of dict
        ``rows``.

    Examples
    --------
    >>> from fastq.benchmark import add_ratios
    >>> rows = [{"group": "g", "name": "ref", "baseline": "ref", "rate": 2.0},
    ...         {"group": "g", "name": "fast", "baseline": "ref", "rate": 100.0}]
    >>> [r["ratio"] for r in add_ratios(rows)]
    [1.0, 50.0]
    """
    rates = {(r["group"], r["name"]): r["rate"] for r in rows}
    for r in rows:
        base = rates.get((r["group"], r["baseline"]))
        r["ratio"] = r["rate"] / base if base else None
    return rows


# ---------------------------------------------------------------------- the machine
def machine() -> dict:
    """The machine and software the figures were measured on.

    Returns
    -------
    dict
        ``cpu`` (the model name of ``/proc/cpuinfo``, else :func:`platform.processor`, else
        :func:`platform.machine`), ``arch``, ``logical_cores`` (:func:`os.cpu_count`),
        ``usable_cores`` (the cores this process may run on), ``numba_threads`` (numba's
        thread count: what ``threads=None`` uses), ``platform`` and the versions of ``python``,
        ``fastq``, ``numpy``, ``numba`` and ``gymnasium`` (None when not installed).

    Examples
    --------
    >>> from fastq.benchmark import machine
    >>> info = machine()
    >>> sorted(info)  # doctest: +NORMALIZE_WHITESPACE
    ['arch', 'cpu', 'fastq', 'gymnasium', 'logical_cores', 'numba', 'numba_threads', 'numpy',
     'platform', 'python', 'usable_cores']
    >>> info["logical_cores"] >= info["usable_cores"] >= 1
    True
    """
    import numba

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        usable = os.cpu_count() or 1
    try:
        gym_version = importlib.metadata.version("gymnasium")
    except importlib.metadata.PackageNotFoundError:
        gym_version = None
    return {
        "cpu": _cpu_model(),
        "arch": platform.machine(),
        "logical_cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "numba_threads": int(numba.config.NUMBA_NUM_THREADS),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "fastq": fastq.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "gymnasium": gym_version,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_line(info: dict | None = None) -> str:
    """One line describing the machine: CPU, cores, numba threads, versions.

    Parameters
    ----------
    info : dict, optional
        What :func:`machine` returned (default: call it).

    Returns
    -------
    str

    Examples
    --------
    >>> from fastq.benchmark import machine_line
    >>> info = {"cpu": "AMD EPYC", "arch": "x86_64", "logical_cores": 2, "usable_cores": 2,
    ...         "numba_threads": 2, "python": "3.11.7", "fastq": "0.1.0", "numpy": "2.4.6",
    ...         "numba": "0.68.1", "gymnasium": None}
    >>> machine_line(info)
    'machine: AMD EPYC (x86_64), 2 logical cores, numba 2 threads; fastq 0.1.0, numba 0.68.1, numpy 2.4.6, Python 3.11.7'
    """
    info = machine() if info is None else info
    cores = f"{info['logical_cores']} logical core{'s' * (info['logical_cores'] != 1)}"
    if info["usable_cores"] != info["logical_cores"]:
        cores += f" ({info['usable_cores']} usable by this process)"
    threads = f"numba {info['numba_threads']} thread{'s' * (info['numba_threads'] != 1)}"
    versions = f"fastq {info['fastq']}, numba {info['numba']}, numpy {info['numpy']}, Python {info['python']}"
    if info.get("gymnasium"):
        versions += f", gymnasium {info['gymnasium']}"
    return f"machine: {info['cpu']} ({info['arch']}), {cores}, {threads}; {versions}"


# ---------------------------------------------------------------------- the table
_HEADER = ("", "agents x episodes", "threads", "agent-steps", "time", "agent-steps/s", "ratio")


def format_table(rows: list[dict]) -> str:
    """The rows as a plain-text table: one block per group, ratios from the same rows.

    Parameters
    ----------
    rows : list of dict
        What :func:`run` returned (or the rows it passed to ``on_row``).

    Returns
    -------
    str
        A header, then per group its title and one line per row: name, agents x episodes,
        threads, agent-steps, time of the fastest call, agent-steps per second, and the ratio to
        the group's baseline (named).  Then the compile times the warm-up calls reported and
        how the times were taken.

    Examples
    --------
    >>> from fastq.benchmark import format_table
    >>> rows = [
    ...     {"group": "g", "title": "Q-learning", "name": "numpy reference", "baseline": "numpy reference",
    ...      "agents": 2, "episodes": 10, "threads": 1, "agent_steps": 1_000_000, "seconds": 0.5,
    ...      "rate": 2e6, "rounds": 1, "compile_time": 0.0, "algo": "q_learning", "backend": "numpy"},
    ...     {"group": "g", "title": "Q-learning", "name": "numba", "baseline": "numpy reference",
    ...      "agents": 4, "episodes": 10, "threads": 2, "agent_steps": 2_000_000, "seconds": 0.02,
    ...      "rate": 1e8, "rounds": 3, "compile_time": 4.2, "algo": "q_learning", "backend": "numba"},
    ... ]
    >>> print(format_table(rows))
                       agents x episodes  threads  agent-steps  time      agent-steps/s  ratio
    Q-learning
      numpy reference  2 x 10             1        1,000,000    500.0 ms  2.0 M          baseline
      numba            4 x 10             2        2,000,000    20.0 ms   100.0 M        50.0x numpy reference
    <BLANKLINE>
    time: the fastest of 3 calls after a warm-up call (numba), of 1 call (numpy reference, Python loop)
    compile time of the warm-up calls (not in any time above): q_learning numba 4.20 s
    """
    from .cli import format_rate

    add_ratios(rows)
    table = []
    for r in rows:
        if r["ratio"] is None:
            ratio = "n/a"
        elif r["name"] == r["baseline"]:
            ratio = "baseline"
        else:
            ratio = f"{_format_ratio(r['ratio'])}x {r['baseline']}"
        table.append((r["title"], (r["name"], f"{r['agents']} x {r['episodes']}", str(r["threads"]),
                                   f"{r['agent_steps']:,}", _format_seconds(r["seconds"]),
                                   format_rate(r["rate"]), ratio)))
    widths = [max([len(h)] + [len(cells[i]) for _, cells in table]) for i, h in enumerate(_HEADER)]

    def line(cells) -> str:
        return ("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    lines, title = [line(_HEADER)], None
    for row_title, cells in table:
        if row_title != title:
            lines.append(row_title)
            title = row_title
        lines.append(line(cells))
    if not rows:
        return "\n".join(lines)
    parts = []
    for label, chosen in (("numba", [r for r in rows if r["backend"] == "numba"]),
                          ("numpy reference, Python loop", [r for r in rows if r["backend"] != "numba"])):
        counts = sorted({r["rounds"] for r in chosen})
        if counts:
            warm = " after a warm-up call" if label == "numba" else ""
            parts.append(f"of {'/'.join(map(str, counts))} call{'s' * (counts != [1])}{warm} ({label})")
    lines += ["", "time: the fastest " + ", ".join(parts)]
    compiled = {}
    for r in rows:
        if r.get("compile_time"):
            compiled.setdefault(f"{r['algo']} {r['backend']}", r["compile_time"])
    if compiled:
        lines.append("compile time of the warm-up calls (not in any time above): "
                     + ", ".join(f"{k} {v:.2f} s" for k, v in compiled.items()))
    return "\n".join(lines)


def _format_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"{ratio:,.0f}"
    if ratio >= 0.01:
        return f"{ratio:#.3g}" if ratio < 10 else f"{ratio:.1f}"
    return f"{ratio:.2g}"


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


__all__ = ["ENV", "FULL", "GROUPS", "QUICK", "SETTINGS", "Plan", "add_ratios", "check", "format_table",
           "gymnasium_loop", "machine", "machine_line", "measure", "open_grid", "run"]
