"""The ``fastq`` command: train a population of agents, run sweeps, list, show and solve the
environments.

::

    fastq train [ENV] [--agents N] [--episodes E] [--alpha A] [--gamma G] [--epsilon EPS]
                [--q-init Q] [--seed S] [--backend {numba,numpy}] [--threads T]
                [--tie-break {random,first}] [--save FILE.npz] [--plot FILE.png]
    fastq sweep CONFIG.toml [--out DIR] [--workers N | --scheduler ADDRESS] [--plot FILE.png]
                [--last N] [--metric {return,length,success}]
    fastq envs
    fastq show ENV [--solve] [--gamma G]
    fastq solve ENV [--gamma G] [--tol TOL] [--plot FILE.png]
    fastq bench [--quick | --full] [--threads T] [--algo ALGO] [--group GROUP] [--json FILE.json]

A bare ``fastq train`` trains 4096 Q-learning agents on FrozenLake-8x8 for 2000 episodes each
and prints a short summary (:meth:`fastq.Result.summary`).  ``fastq sweep`` runs the sweep a
TOML file describes (:func:`read_config`; ``examples/`` has some) and prints the summary of
every cell (:func:`format_sweep_summary`).  ``fastq bench`` measures agent-steps per second on
this machine (:mod:`fastq.benchmark`) and prints the machine and a table with ratios from the
same run.

Exit codes: 0 success; 2 a bad argument or configuration (one ``fastq: error: ...`` line on
stderr, or argparse's usage message); 1 a result or plot that could not be written; 130
interrupted (Ctrl-C).  An interrupted ``bench`` prints the rows measured so far; an interrupted ``train`` still prints the summary of the episodes that
finished (and saves them with ``--save``); an interrupted ``sweep`` prints the cells that
finished, and keeps every finished chunk in ``--out``.

Numba compiles the kernel on its first call in a process; :func:`fastq.train` does that before
the timed run and records it in ``meta["compile_time"]``, which the summary shows on a line of its
own, so that the wall time and the agent-steps per second describe the training alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import numbers
import os
import re
import sys
import warnings
from fractions import Fraction

import numpy as np

from . import __version__
from ._validate import TABLE_DTYPES
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS
from .benchmark import GROUPS
from .envs import list_envs, make
from .grid import CELL_NAMES, GridWorld
from .solve import value_iteration
from ._sweep import sweep
from ._train import TIE_BREAKS, train

PROG = "fastq"
#: Exit status of a run stopped with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status of a bad argument, as argparse uses.
EXIT_USAGE = 2
#: Fraction of episodes at each end of training that the summary averages over.
SUMMARY_FRACTION = 0.1


class _UsageError(Exception):
    """A bad argument detected by fastq (a ValueError or TypeError), reported in one line."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastq`` command (subcommands ``train``, ``envs``, ``show``).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tabular reinforcement learning on grid worlds, many agents at once.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "train",
        help="train a population of independent agents and print a summary",
        description="Train a population of independent agents and print a summary.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("env", nargs="?", default="FrozenLake-8x8", metavar="ENV",
                   help="environment name (see `fastq envs`)")
    p.add_argument("--algo", default="q_learning", choices=ALGORITHMS, help="learning rule")
    p.add_argument("--agents", type=int, default=4096, metavar="N", help="number of independent agents")
    p.add_argument("--episodes", type=int, default=2000, metavar="E", help="episodes per agent")
    p.add_argument("--alpha", type=float, default=0.1, metavar="A", help="step size, 0 < A <= 1")
    p.add_argument("--gamma", type=float, default=0.99, metavar="G", help="discount factor, 0 <= G <= 1")
    p.add_argument("--epsilon", type=float, default=0.1, metavar="EPS",
                   help="exploration rate, 0 <= EPS <= 1")
    p.add_argument("--q-init", type=float, default=0.0, metavar="Q",
                   help="initial value of every non-terminal Q(s, a)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="root seed, 0 <= S < 2**64")
    p.add_argument("--backend", default="numba", choices=BACKENDS,
                   help="compiled kernels or the numpy reference")
    p.add_argument("--threads", type=int, default=None, metavar="T",
                   help="numba threads (default: every core); results do not depend on it")
    p.add_argument("--tie-break", default="random", choices=TIE_BREAKS,
                   help="how the greedy action is chosen among equal values")
    p.add_argument("--dtype", default="float64", choices=TABLE_DTYPES,
                   help="element type of the Q-tables (float32 halves their memory)")
    p.add_argument("--exploration", default="epsilon_greedy", choices=EXPLORATIONS,
                   help="behaviour policy")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T",
                   help="softmax temperature, T > 0 (with --exploration softmax)")
    p.add_argument("--planning-steps", type=int, default=None, metavar="N",
                   help="Dyna-Q planning updates per real step (dyna_q only; default 5)")
    p.add_argument("--eval-every", type=int, default=None, metavar="K",
                   help="evaluate every agent's greedy policy exactly every K episodes")
    p.add_argument("--save", default=None, metavar="FILE.npz",
                   help="write the result (fastq.Result.save) to this file")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="save the learning curve (mean return over agents, 95%% band) to this image")
    p.set_defaults(run=_cmd_train)

    p = commands.add_parser(
        "sweep",
        help="run the hyperparameter sweep a TOML file describes and print its summary",
        description="Run the hyperparameter sweep a TOML file describes (environment, algorithms, "
                    "grid, seeds, episodes) and print mean, IQM and bootstrap 95%% CI per cell.",
    )
    p.add_argument("config", metavar="CONFIG.toml", help="the sweep's configuration (see examples/)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="keep the sweep in this directory and resume it there (overrides the file's out)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="run chunks in N local processes (default: in this process, every core)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run chunks on the Dask cluster of this scheduler (tcp://host:port)")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="save the learning curves of every cell to this image")
    p.add_argument("--last", type=int, default=None, metavar="N",
                   help="summary window in episodes (default: the file's last, else the last 10%%)")
    p.add_argument("--metric", default="return", choices=("return", "length", "success"),
                   help="what the summary averages")
    p.set_defaults(run=_cmd_sweep)

    p = commands.add_parser("envs", help="list the built-in environments",
                            description="List the built-in environments.")
    p.set_defaults(run=_cmd_envs)

    p = commands.add_parser("show", help="print the map and the actions of an environment",
                            description="Print the map and the actions of an environment; with "
                                        "--solve, also its optimal values and policy.")
    p.add_argument("env", metavar="ENV", help="environment name (see `fastq envs`)")
    p.add_argument("--solve", action="store_true",
                   help="also print the optimal policy (arrows) and values (value iteration)")
    p.add_argument("--gamma", type=float, default=0.99, metavar="G",
                   help="discount factor of --solve, 0 <= G <= 1 (default 0.99)")
    p.set_defaults(run=_cmd_show)

    p = commands.add_parser(
        "solve", help="value iteration: optimal values and policy of an environment",
        description="Solve an environment exactly (value iteration) and print the optimal policy "
                    "and values.", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("env", metavar="ENV", help="environment name (see `fastq envs`)")
    p.add_argument("--gamma", type=float, default=0.99, metavar="G", help="discount factor, 0 <= G <= 1")
    p.add_argument("--tol", type=float, default=1e-10, metavar="TOL", help="accuracy of the values")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="save the value heatmap with policy arrows to this image")
    p.set_defaults(run=_cmd_solve)

    p = commands.add_parser(
        "bench", help="measure fastq's throughput on this machine and print the table",
        description="Measure agent-steps per second on this machine (fastest call, compile time "
                    "apart): Q-learning against the numpy reference and a Python loop over "
                    "Gymnasium, every algorithm against its reference, 1 thread against all, a "
                    "1-agent job, scaling in agents and in grid size. Ratios come from this run. The "
                    "first run in a process compiles every kernel (printed apart); FASTQ_CACHE=1 "
                    "keeps them on disk for the next one.")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="full", action="store_false", default=False,
                      help="the short version: seconds per group once compiled (default)")
    size.add_argument("--full", dest="full", action="store_true",
                      help="the sizes of the benchmark suite in bench/: minutes")
    p.add_argument("--threads", type=int, default=None, metavar="T",
                   help="numba threads of the runs (default: every core); the threads group "
                        "compares 1 thread with T")
    p.add_argument("--algo", dest="algos", action="append", default=None, choices=ALGORITHMS,
                   help="only this algorithm in the every-algorithm group (repeat for more; default: all)")
    p.add_argument("--group", dest="groups", action="append", default=None, choices=GROUPS,
                   help="only this group (repeat for more; default: all)")
    p.add_argument("--json", default=None, metavar="FILE.json",
                   help="also write the rows and the machine's description to this file")
    p.set_defaults(run=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``fastq`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 1 a result that could not be written, 2 a bad argument,
        130 interrupted.

    Examples
    --------
    >>> from fastq.cli import main
    >>> main(["show", "FrozenLake-4x4"])  # doctest: +ELLIPSIS
    FrozenLake-4x4 ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage / help / version already
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    try:
        return args.run(args)
    except _UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Only reached outside train(), which keeps its finished blocks itself.
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``fastq sweep ... | head``): stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1


# ---------------------------------------------------------------------- subcommands
def _cmd_train(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    if args.save is not None:
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            raise _UsageError(f"--save: folder {folder!r} does not exist")
    _check_plot(args.plot)
    options = dict(
        alpha=args.alpha, gamma=args.gamma, epsilon=args.epsilon, q_init=args.q_init,
        tie_break=args.tie_break, seed=args.seed, backend=args.backend, threads=args.threads,
        exploration=args.exploration, temperature=args.temperature,
        planning_steps=args.planning_steps, eval_every=args.eval_every, dtype=args.dtype,
    )
    tty = _isatty(sys.stderr)
    progress = tty and importlib.util.find_spec("tqdm") is not None
    result = _quiet_train(env, args.algo, agents=args.agents, episodes=args.episodes,
                          progress=progress, **options)
    print(format_summary(result))

    status = 0
    if args.save is not None:
        try:
            result.save(args.save)
        except OSError as exc:
            print(f"{PROG}: error: cannot write {args.save!r}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
        else:
            print(_row("saved", args.save if args.save.endswith(".npz") else args.save + ".npz"))
    if args.plot is not None and result.episodes > 0:
        from .plot import learning_curves

        fig = learning_curves(result, window=_plot_window(result.episodes), ylim="tail",
                              title=f"{result.meta['env']}, {result.meta['algo']}, {result.agents} agents")
        status = max(status, _save_figure(fig, args.plot))
    if result.meta["interrupted"]:
        meta = result.meta
        print(
            f"{PROG}: interrupted after {meta['episodes']} of {meta['episodes_requested']} episodes; "
            "the summary covers the finished episodes",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return status


def _cmd_envs(args: argparse.Namespace) -> int:
    rows = []
    for name in list_envs():
        env = make(name)
        S, A, _ = env.mdp.shape
        if isinstance(env, GridWorld):
            size, slip = "{} x {}".format(*env.shape), f"slip {_format_slip(env.slip)}"
        else:  # a model without a map
            size, slip = "model", ""
        rows.append((name, size, f"{S} states", f"{A} actions", slip, f"max_steps {env.mdp.max_steps}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    solution = _call(value_iteration, env, gamma=args.gamma) if args.solve else None
    S, A, K = env.mdp.shape
    if isinstance(env, GridWorld):
        print(f"{args.env}  ({env.shape[0]} x {env.shape[1]}, {S} states, "
              f"slip {_format_slip(env.slip)}, max_steps {env.max_steps})")
        print()
        text = env.render()
        print(text)
        print()
        present = dict.fromkeys(ch for ch in text if ch in CELL_NAMES)
        print("cells:   " + ", ".join(f"{ch} {CELL_NAMES[ch]}" for ch in present))
    else:
        print(f"{args.env}  (model: {S} states, {A} actions, {K} outcome{'s' * (K != 1)} per action "
              f"at most, max_steps {env.mdp.max_steps})")
        print()
    print("actions: " + ", ".join(f"{a} {name}" for a, name in enumerate(env.mdp.action_names)))
    if solution is not None:
        print()
        print(format_solution(env, solution))
    return 0


def _cmd_solve(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    _check_plot(args.plot)
    solution = _call(value_iteration, env, gamma=args.gamma, tol=args.tol)
    rows = [
        ("environment", args.env),
        ("gamma", f"{solution.gamma:g}"),
        ("iterations", f"{solution.iterations:,}"),
        ("residual", f"{solution.residual:.3g}"),
        ("converged", "yes" if solution.converged else "no"),
        ("start value", f"{float(env.mdp.start @ solution.v):.6g}"),
    ]
    print("\n".join(_row(label, value) for label, value in rows))
    print()
    print(format_solution(env, solution))
    if args.plot is not None:
        from .plot import grid_values

        if not isinstance(env, GridWorld):
            print(f"{PROG}: error: --plot draws grid worlds; {args.env} is a model without a map", file=sys.stderr)
            return EXIT_USAGE
        fig = grid_values(env, solution.v, solution.policy, title=f"{args.env}, optimal values (gamma {solution.gamma:g})")
        return _save_figure(fig, args.plot)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    import json

    from . import benchmark

    threads, algos, groups = _call(benchmark.check, args.threads, args.algos, args.groups)
    if args.json is not None:
        folder = os.path.dirname(os.path.abspath(args.json))
        if not os.path.isdir(folder):
            raise _UsageError(f"--json: folder {folder!r} does not exist")
    info = benchmark.machine()
    print(benchmark.machine_line(info), flush=True)
    if "alternatives" in groups and info["gymnasium"] is None:
        print("no Python loop over Gymnasium: gymnasium is not installed (pip install 'fastq-rl[gym]')")
    rows: list[dict] = []
    tty = _isatty(sys.stderr)

    def measured(row: dict) -> None:
        rows.append(row)
        if tty:
            print(f"  {row['group']}: {row['name']}: {format_rate(row['rate'])} agent-steps/s",
                  file=sys.stderr, flush=True)

    interrupted = False
    try:
        benchmark.run(quick=not args.full, threads=threads, algos=algos, groups=groups, on_row=measured)
    except KeyboardInterrupt:
        interrupted = True
    print()
    print(benchmark.format_table(rows))
    status = 0
    if args.json is not None:
        plan = benchmark.FULL if args.full else benchmark.QUICK
        data = {"machine": info, "mode": "full" if args.full else "quick", "threads": threads,
                "env": benchmark.ENV, "settings": benchmark.SETTINGS, "plan": dataclasses.asdict(plan),
                "interrupted": interrupted, "rows": rows}
        try:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
        except OSError as exc:
            print(f"{PROG}: error: cannot write {args.json!r}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
        else:
            print(_row("saved", args.json))
    if interrupted:
        n = len(rows)
        print(f"{PROG}: interrupted after {n} measurement{'s' * (n != 1)}; the table shows "
              f"{'them' if n != 1 else 'it'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _cmd_sweep(args: argparse.Namespace) -> int:
    config = read_config(args.config)
    kwargs, options = config["sweep"], config["options"]
    if args.out is not None:
        kwargs["out"] = args.out
    last = args.last if args.last is not None else options.get("last")
    episodes = kwargs["episodes"]
    if last is not None and isinstance(episodes, int) and episodes >= 1:  # else sweep() says why
        try:
            _validate_last(last, episodes)
        except (ValueError, TypeError) as exc:
            if args.last is not None:
                raise _UsageError(f"--last: {exc}") from None
            raise _UsageError(_locate(args.config, config["text"], "last", str(exc))) from None
    _check_plot(args.plot)
    client = None
    if args.workers is not None:
        if args.workers < 1:
            raise _UsageError(f"--workers must be >= 1, got {args.workers}")
        kwargs.update(executor="processes", workers=args.workers)
    elif args.scheduler is not None:
        client = _connect(args.scheduler)
        kwargs["executor"] = client
    progress = _isatty(sys.stderr) and importlib.util.find_spec("tqdm") is not None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"sweep\(\) interrupted", category=RuntimeWarning)
            try:
                sw = sweep(progress=progress, **kwargs)
            except (ValueError, TypeError) as exc:
                raise _UsageError(config_error(args.config, config["text"], exc)) from None
    finally:
        if client is not None:
            client.close()
    print(format_sweep_summary(sw, last=last, metric=args.metric))
    status = 0
    if args.plot is not None and sw.done.any():
        from .plot import learning_curves

        fig = learning_curves(sw, window=_plot_window(sw.episodes), title=sw.manifest["env_label"],
                              ylim="tail", metric=args.metric)
        status = _save_figure(fig, args.plot)
    if sw.meta["interrupted"]:
        where = f"; finished chunks are kept in {kwargs['out']!r}, run again to resume" if kwargs.get("out") else ""
        print(f"{PROG}: interrupted after {sw.meta['chunks_done']} of {sw.meta['chunks']} chunks{where}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _validate_last(last, episodes) -> None:
    from . import _validate

    _validate.integer("last", last, low=1, high=episodes)


def _connect(address: str):
    if importlib.util.find_spec("distributed") is None:
        raise _UsageError("--scheduler needs Dask: pip install 'fastq-rl[dask]'")
    from distributed import Client

    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise _UsageError(f"--scheduler: cannot connect to {address!r}: {exc}") from None


def _check_plot(path) -> None:
    """Refuse a --plot file that cannot be written, before any work."""
    if path is None:
        return
    if importlib.util.find_spec("matplotlib") is None:
        raise _UsageError("--plot needs matplotlib: pip install 'fastq-rl[plot]'")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _UsageError(f"--plot: folder {folder!r} does not exist")


def _save_figure(fig, path: str) -> int:
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: cannot write {path!r}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    print(_row("plot", path))
    return 0


def _plot_window(episodes: int) -> int:
    """Smoothing window of the command's plots: 2 % of the episodes, 1 to 100."""
    return int(min(100, max(1, episodes // 50)))


# ---------------------------------------------------------------------- sweep configuration
#: Top-level keys of a sweep configuration file, and what each holds.
CONFIG_KEYS = {
    "env": "an environment name, a list of names, or a table with a custom map (rows = [...])",
    "algo": "an algorithm name or a list of names",
    "episodes": "episodes per agent",
    "seeds": "the number of seeds, or a list of root seeds",
    "seed": "the root seed (with a number of seeds)",
    "out": "the directory to keep the sweep in",
    "chunk_agents": "agents per chunk",
    "last": "the summary window in episodes",
    "grid": "a table: setting = [values to try]",
    "params": "a table: setting = fixed value",
}
#: Schedules a configuration can write as an inline table, e.g.
#: ``epsilon = { linear = { start = 1.0, end = 0.05, episodes = 200 } }``.
CONFIG_SCHEDULES = ("linear", "exponential", "visits")


class ConfigError(ValueError):
    """A bad sweep configuration; ``key`` is the dotted key it is about (or None)."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def read_config(path: str) -> dict:
    r"""Read a sweep configuration (TOML) into :func:`fastq.sweep` arguments.

    Parameters
    ----------
    path : str
        The TOML file.  Top-level keys: ``env``, ``algo``, ``episodes``, ``seeds``, ``seed``,
        ``out``, ``chunk_agents``, ``last``; tables ``[grid]`` (axes: ``setting = [values]``)
        and ``[params]`` (fixed settings).  A schedule is an inline table such as
        ``{ linear = { start = 1.0, end = 0.05, episodes = 200 } }``.

    Returns
    -------
    dict
        ``sweep``: keyword arguments of :func:`fastq.sweep`; ``options``: ``last`` if given;
        ``text``: the file's text.

    Raises
    ------
    _UsageError
        A message naming the file, the line and the key.

    Examples
    --------
    >>> import os, tempfile
    >>> from fastq.cli import read_config
    >>> path = os.path.join(tempfile.mkdtemp(), "sweep.toml")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('env = "FrozenLake-4x4"\nseeds = 4\nepisodes = 50\n[grid]\nalpha = [0.1, 0.5]\n')
    >>> read_config(path)["sweep"]
    {'env': 'FrozenLake-4x4', 'algo': 'q_learning', 'episodes': 50, 'seeds': 4, 'grid': {'alpha': [0.1, 0.5]}}
    """
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise _UsageError("reading a sweep configuration on Python < 3.11 needs tomli: "
                              "pip install 'fastq-rl[config]'") from None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise _UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _UsageError(f"{path}: invalid TOML: {exc}") from None
    try:
        return {**_config_arguments(data), "text": text}
    except ConfigError as exc:
        raise _UsageError(_locate(path, text, exc.key, str(exc))) from None


def _config_arguments(data: dict) -> dict:
    unknown = [k for k in data if k not in CONFIG_KEYS]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; the keys are: {', '.join(CONFIG_KEYS)}", unknown[0])
    if "env" not in data:
        raise ConfigError("the key 'env' is missing (an environment name, e.g. env = \"CliffWalking\")")
    env = data["env"]
    if isinstance(env, dict):
        if "rows" not in env:
            raise ConfigError("a custom environment table needs rows = [\"S..\", \"..G\"]", "env")
        from .grid import GridWorld

        try:
            env = GridWorld(**env)
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), "env") from None
    elif not (isinstance(env, str) or (isinstance(env, list) and env and all(isinstance(e, str) for e in env))):
        raise ConfigError(f"env must be {CONFIG_KEYS['env']}, got {env!r}", "env")
    kwargs = {"env": env, "algo": data.get("algo", "q_learning")}
    for key in ("episodes", "seeds", "seed", "out", "chunk_agents"):
        if key in data:
            kwargs[key] = data[key]
    if "episodes" not in kwargs:
        raise ConfigError("the key 'episodes' is missing (episodes per agent, e.g. episodes = 500)")
    if not isinstance(kwargs["episodes"], int) or isinstance(kwargs["episodes"], bool):
        raise ConfigError(f"episodes must be an integer, got {kwargs['episodes']!r}", "episodes")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise ConfigError(f"grid must be a table of setting = [values], got {grid!r}", "grid")
    kwargs["grid"] = {}
    for key, values in grid.items():
        if not isinstance(values, list):
            raise ConfigError(f"grid values must be a list such as [0.1, 0.5], got {values!r}", f"grid.{key}")
        kwargs["grid"][key] = [_config_value(v, f"grid.{key}") for v in values]
    if not kwargs["grid"]:
        del kwargs["grid"]
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"params must be a table of setting = value, got {params!r}", "params")
    for key, value in params.items():
        kwargs[key] = _config_value(value, f"params.{key}")
    options = {}
    if "last" in data:
        options["last"] = data["last"]
        if not isinstance(data["last"], int) or isinstance(data["last"], bool) or data["last"] < 1:
            raise ConfigError(f"last must be a positive integer, got {data['last']!r}", "last")
    return {"sweep": kwargs, "options": options}


def _config_value(value, key: str):
    """A setting's value: TOML scalars as they are, schedule tables as fastq schedules."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in CONFIG_SCHEDULES:
            raise ConfigError(f"a table value must be one schedule ({', '.join(CONFIG_SCHEDULES)}), "
                              f"e.g. {{ linear = {{ start = 1.0, end = 0.05, episodes = 200 }} }}; got {value!r}", key)
        from . import algos

        (name, arguments), = value.items()
        if not isinstance(arguments, dict):
            raise ConfigError(f"{name} needs a table of its arguments, got {arguments!r}", key)
        try:
            return getattr(algos, name)(**arguments)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name}: {exc}", key) from None
    if isinstance(value, (list, dict)) or not isinstance(value, (str, bool, numbers.Real)):
        raise ConfigError(f"expected a number, a string, a boolean or a schedule, got {value!r}", key)
    return value


def _key_line(text: str, key: str | None) -> int | None:
    """Line (1-based) where the dotted ``key`` (``"grid.alpha"``, ``"episodes"``) is set."""
    if not key:
        return None
    table, _, name = key.rpartition(".")
    current = ""
    header = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if m:
            current = m.group(1).strip().strip('"')
            if current == key:
                header = number
            continue
        m = re.match(r"^([A-Za-z0-9_.\-\"]+)\s*=", stripped)
        if not m:
            continue
        written = m.group(1).replace('"', "")
        if (current == table and written == name) or (current == "" and written == key):
            return number
    return header


def _locate(path: str, text: str, key: str | None, message: str) -> str:
    line = _key_line(text, key)
    where = f"{path}, line {line}" if line else path
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def config_error(path: str, text: str, exc: Exception) -> str:
    r"""The message of an error :func:`fastq.sweep` raised for a configuration, with the key and
    line it comes from where they can be found (the setting the message is about).

    Examples
    --------
    >>> from fastq.cli import config_error
    >>> text = "env = 'CliffWalking'\nepisodes = 10\n[grid]\nalpha = [0.5, 2.0]\n"
    >>> config_error("c.toml", text, ValueError("sweep cell 1 (alpha=2.0): alpha must be ..."))
    'c.toml, line 4: grid.alpha: sweep cell 1 (alpha=2.0): alpha must be ...'
    """
    message = str(exc)
    names = []
    if getattr(exc, "key", None):
        names.append(exc.key)
    names += re.findall(r"(?:setting |grid\[)'(\w+)'", message)
    m = re.match(r"^(?:sweep cell \d+ \(.*?\): )?(\w+)", message)
    if m:
        names.append(m.group(1))
    if "environment" in message:
        names.append("env")
    for name in names:
        for key in (f"grid.{name}", f"params.{name}", name):
            if _key_line(text, key):
                return _locate(path, text, key, message)
    return f"{path}: {message}"


def format_solution(env, solution) -> str:
    """The optimal policy (arrows on the map) and the optimal values, one row per map row.

    Parameters
    ----------
    env : GridWorld or TabularMDP
        For a model without a map: one line per state (value and action).
    solution : Solution
        What :func:`fastq.value_iteration` returned for ``env``.

    Returns
    -------
    str

    Examples
    --------
    >>> import fastq
    >>> from fastq.cli import format_solution
    >>> env = fastq.GridWorld(["S.G"])
    >>> print(format_solution(env, fastq.value_iteration(env, gamma=0.5)))
    optimal policy (value iteration, gamma 0.5)
    →→G
    <BLANKLINE>
    optimal values
    0.5    1    G
    """
    head = f"optimal policy (value iteration, gamma {solution.gamma:g})"
    if not isinstance(env, GridWorld):  # a model: one line per state
        mdp = env.mdp
        lines = [head, "state     value  action"]
        for state, (value, action) in enumerate(zip(solution.v, solution.policy)):
            act = "-" if mdp.terminal[state] else mdp.action_names[action]
            lines.append(f"{state:>5}  {value:>8.4g}  {act}")
        return "\n".join(lines)
    lines = [head, env.render(solution.policy), "", "optimal values"]
    cols = env.shape[1]
    cells = [ch for row in env.rows for ch in row]
    texts = [ch if ch in "#HGC" else f"{solution.v[s]:.4g}" for s, ch in enumerate(cells)]
    width = max(len(t) for t in texts)
    for r in range(env.shape[0]):
        lines.append("  ".join(t.rjust(width) for t in texts[r * cols:(r + 1) * cols]))
    return "\n".join(lines)


def format_sweep_summary(sw, last: int | None = None, metric: str = "return") -> str:
    """The text summary of a sweep, as ``fastq sweep`` prints it.

    Parameters
    ----------
    sw : SweepResult
    last : int, optional
        Window in episodes (default: the last 10 %).
    metric : {"return", "length", "success"}

    Returns
    -------
    str
        A header (environment, size, timing), a table with one row per cell (its axis values,
        finished seeds, mean, IQM and bootstrap 95 % CI of the mean over seeds), and the best
        cell.

    Examples
    --------
    >>> import fastq
    >>> from fastq.cli import format_sweep_summary
    >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
    >>> print(format_sweep_summary(sw, last=10))  # doctest: +ELLIPSIS
    FrozenLake-4x4: 2 cells x 4 seeds x 20 episodes (...)
    return over the last 10 episodes: mean and IQM over seeds, bootstrap 95% CI of the mean (10000 resamples)
    <BLANKLINE>
    cell  alpha  seeds  mean...IQM...
    0     0.1    4      ...
    1     0.5    4      ...
    <BLANKLINE>
    best: cell ...
    """
    from .results import BOOTSTRAP_RESAMPLES

    window = sw._window(last)
    rows = sw.summary(window, metric)
    meta = sw.meta
    timing = []
    if "agent_steps" in meta:
        timing.append(f"{meta['agent_steps']:,} agent-steps")
    if meta.get("chunks_run"):
        timing.append(f"{_format_seconds(meta['wall_time'])}, {format_rate(meta['steps_per_second'])} agent-steps/s")
    if meta.get("compile_time"):
        where = "" if meta.get("executor") == "local" else ", summed over workers"
        timing.append(f"compile {_format_seconds(meta['compile_time'])}{where}")
    kept = meta.get("chunks_done", 0) - meta.get("chunks_run", 0)
    if kept > 0 and meta.get("out"):
        timing.append(f"{kept} of {meta['chunks']} chunks read from {meta['out']}")
    head = f"{sw.manifest['env_label']}: {sw.n_cells} cells x {sw.n_seeds} seeds x {sw.episodes} episodes"
    lines = [head + (f" ({'; '.join(timing)})" if timing else ""),
             f"{metric} over the last {window} episodes: mean and IQM over seeds, bootstrap 95% CI of the mean "
             f"({BOOTSTRAP_RESAMPLES} resamples)", ""]
    header = ["cell", *sw.axes, "seeds", "mean", "IQM", "95% CI"]
    spec = _fixed_spec([row[k] for row in rows for k in ("mean", "iqm", "ci_low", "ci_high")])
    table = []
    for row in rows:
        values = [_format_value(row[a]) for a in sw.axes]
        ci = f"[{_format_number(row['ci_low'], spec)}, {_format_number(row['ci_high'], spec)}]"
        table.append([str(row["cell"]), *values, str(row["seeds"]), _format_number(row["mean"], spec),
                      _format_number(row["iqm"], spec), ci])
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    if sw.done.any() and sw.n_cells > 1:
        best = sw.best(metric, window)
        label = ", ".join(f"{a}={_format_value(best[a])}" for a in sw.axes)
        lines += ["", f"best: cell {best['cell']} ({label}), mean {metric} {_format_number(best['mean'], spec)}"]
    if not sw.complete:
        lines += ["", f"finished: {int(sw.done.sum())} of {sw.done.size} (cell, seed) pairs"]
    return "\n".join(lines)


def _fixed_spec(values) -> str:
    """A fixed-point format with about four significant digits for the largest of ``values``."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    largest = max(finite, default=0.0)
    digits = 3 - math.floor(math.log10(largest)) if largest > 0 else 2
    return f".{min(max(digits, 0), 6)}f"


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------- formatting
def format_summary(result) -> str:
    """The aligned text summary of a training run, as ``fastq train`` prints it.

    Parameters
    ----------
    result : Result
        What :func:`fastq.train` returned.

    Returns
    -------
    str
        One ``label  value`` line each: environment, algorithm, agents x episodes, backend,
        mean return over the first and last 10% of episodes, success rate over the last 10%,
        with ``eval_every`` the exact value and success probability of the greedy policies at
        the last checkpoint (mean over agents), compile time, wall time and agent-steps per
        second.

    Examples
    --------
    >>> import fastq
    >>> from fastq.cli import format_summary
    >>> res = fastq.train("FrozenLake-4x4", agents=4, episodes=20, backend="numpy")
    >>> print(format_summary(res))  # doctest: +ELLIPSIS
    environment        FrozenLake-4x4
    algorithm          q_learning
    agents x episodes  4 x 20
    backend            numpy (reference)
    ...
    """
    meta = result.meta
    s = result.summary(SUMMARY_FRACTION)
    pct = f"{SUMMARY_FRACTION:.0%}"
    if meta.get("backend") == "numba":
        threads = meta.get("threads")
        backend = f"numba, {threads} thread{'' if threads == 1 else 's'}"
    else:
        backend = f"{meta.get('backend')} (reference)"
    if meta.get("dtype", "float64") != "float64":
        backend += f", {meta['dtype']} tables"
    episodes = f"{s['agents']} x {s['episodes']}"
    if meta.get("interrupted"):
        episodes += f" (of {meta.get('episodes_requested')} requested; interrupted)"
    lines = [
        ("environment", str(meta.get("env"))),
        ("algorithm", str(meta.get("algo"))),
        ("agents x episodes", episodes),
        ("backend", backend),
        (f"return, first {pct}", _format_number(s["return_first"], ".4f")),
        (f"return, last {pct}", _format_number(s["return_last"], ".4f")),
        (f"success, last {pct}", _format_number(100 * s["success_last"], ".2f", " %")),
    ]
    checkpoints = result.extra.get("eval_episodes")
    if checkpoints is not None and len(checkpoints):
        last = int(checkpoints[-1])
        value = result.extra["eval_value"][:, -1]
        success = result.extra["eval_success"][:, -1]
        after = f" (exact, after episode {last})"
        lines.append(("greedy value", _format_number(float(np.mean(value)), ".4f") + after))
        if not np.isnan(success).all():
            lines.append(("greedy success", _format_number(100 * float(np.mean(success)), ".2f", " %") + after))
    if meta.get("compile_time"):
        lines.append(("compile time", f"{_format_seconds(meta['compile_time'])} (not counted below)"))
    lines += [
        ("wall time", _format_seconds(s["wall_time"])),
        ("agent-steps", f"{s['agent_steps']:,}"),
        ("agent-steps / s", format_rate(s["steps_per_second"])),
    ]
    return "\n".join(_row(label, value) for label, value in lines)


def format_rate(value: float) -> str:
    """A rate with an SI prefix and one decimal: ``123.4 M``, ``5.6 k``, ``n/a`` for NaN.

    Examples
    --------
    >>> from fastq.cli import format_rate
    >>> format_rate(123_456_789.0), format_rate(5_600.0), format_rate(12.0)
    ('123.5 M', '5.6 k', '12.0')
    """
    if not math.isfinite(value):
        return "n/a"
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {prefix}"
    return f"{value:.1f}"


_LABEL_WIDTH = 19


def _row(label: str, value: str) -> str:
    return f"{label:<{_LABEL_WIDTH}}{value}"


def _format_number(value: float, spec: str, unit: str = "") -> str:
    return f"{value:{spec}}{unit}" if math.isfinite(value) else "n/a"


def _format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "n/a"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _format_slip(slip) -> str:
    if isinstance(slip, Fraction):
        return str(slip)
    return f"{float(slip):g}"


# ---------------------------------------------------------------------- helpers
def _call(function, *args, **kwargs):
    """Call into fastq, turning its argument errors into one-line usage errors."""
    try:
        return function(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        raise _UsageError(str(exc)) from None


def _quiet_train(*args, **kwargs):
    # train() warns when interrupted; the command prints its own note instead.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"train\(\) interrupted", category=RuntimeWarning)
        return _call(train, *args, **kwargs)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


if __name__ == "__main__":
    sys.exit(main())
