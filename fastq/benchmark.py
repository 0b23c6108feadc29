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

import importlib.util
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from . import _config, _deprecation, _validate, report
from ._platform import machine, machine_line
from ._train import train
from .algos import ALGORITHMS, ONE_STEP_ALGORITHMS, default_arguments
from .envs import make, random_map
from .grid import GridWorld
from .report import add_ratios

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
#: Agents of the numpy reference runs of the learners with more than one step (agent by agent).
REFERENCE_AGENTS = 64
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
            if f.name == "scaling":  # (agents, episodes)
                object.__setattr__(self, f.name, _validate.integer_tuples(f"Plan {f.name}", value, (1, 1)))
            elif f.name == "grids":  # (side, agents, episodes)
                object.__setattr__(self, f.name, _validate.integer_tuples(f"Plan {f.name}", value, (2, 1, 1)))
            else:
                low = 0 if f.name == "planning_steps" else 1
                object.__setattr__(self, f.name, _validate.integer(f"Plan {f.name}", value, low=low))


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


def open_grid(side: int) -> GridWorld:
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
    return GridWorld(random_map(size=side, p_frozen=1.0, seed=0), slip=GRID_SLIP,
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
    kwargs = dict(agents=agents, episodes=episodes, backend=backend, threads=threads, **SETTINGS,
                  **default_arguments(algo))
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
        res = train(env, algo, **kwargs)
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
    >>> try:
    ...     check(groups=["speed"])
    ... except ValueError as exc:
    ...     print(exc.argument, "|", exc)
    groups | groups must be among 'alternatives', 'algorithms', 'threads', 'agents', 'grid', got 'speed'
    """
    most = _config.max_threads()
    threads = most if threads is None else _validate.integer("threads", threads, low=1, high=most)
    algos = ALGORITHMS if algos is None else tuple(_validate.names("algos", algos, ALGORITHMS))
    groups = GROUPS if groups is None else tuple(g for g in GROUPS if g in _validate.names("groups", groups, GROUPS))
    return threads, algos, groups


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
    >>> import fastq.report
    >>> from fastq import benchmark
    >>> rows = benchmark.run()  # doctest: +SKIP
    >>> print(fastq.report.format_table(rows))  # doctest: +SKIP
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
    model = make(ENV)
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
            # The reference of the learners with more than one step runs agent by agent: its
            # cost per agent-step does not depend on their number, so a few of them suffice.
            reference_agents = plan.agents if algo in ONE_STEP_ALGORITHMS else min(plan.agents, REFERENCE_AGENTS)
            fastq_run("algorithms", reference, reference, model, algo, agents=reference_agents,
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


# Names that moved to fastq.report, readable here for one release.
_deprecation.moved(sys.modules[__name__], {"format_table": (report.format_table, "fastq.report.format_table")})

__all__ = ["ENV", "FULL", "GROUPS", "QUICK", "SETTINGS", "Plan", "add_ratios", "check",
           "gymnasium_loop", "machine", "machine_line", "measure", "open_grid", "run"]
