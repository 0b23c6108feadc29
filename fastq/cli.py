"""The ``fastq`` command: train a population of agents, run sweeps, list, show and solve the
environments.

::

    fastq train [ENV] [--algo ALGO] [--agents N] [--episodes E] [--alpha A] [--gamma G]
                [--epsilon EPS] [--q-init Q] [--seed S] [--backend {numba,numpy}] [--threads T]
                [--tie-break {random,first}] [--n N] [--lam L] [--trace KIND]
                [--first-visit | --no-first-visit] [--policy {uniform,FILE.npy}] [--v-init V]
                [--loss] [--save FILE.npz] [--plot FILE.png]
    fastq sweep CONFIG.toml [--out DIR] [--workers N | --scheduler ADDRESS] [--plot FILE.png]
                [--last N] [--metric {return,length,success,loss,rms_error}]
    fastq envs
    fastq show ENV [--solve] [--gamma G]
    fastq solve ENV [--gamma G] [--tol TOL] [--plot FILE.png]
    fastq bench [--quick | --full] [--threads T] [--algo ALGO] [--group GROUP] [--json FILE.json]

A bare ``fastq train`` trains 4096 Q-learning agents on FrozenLake-8x8 for 2000 episodes each
and prints a short summary (:func:`fastq.report.format_summary`).  The prediction learners
(``td``, ``n_step_td``, ``td_lambda``, ``mc_prediction``) evaluate ``--policy``, the
equiprobable ``uniform`` one unless a ``.npy`` file is named, and their summary reports the RMS
error of V instead of returns; ``--loss`` adds the mean squared TD error of the first and last
10% of the episodes.  ``fastq train RandomWalk-19 --algo n_step_td --n 4 --alpha 0.4 --gamma 1
--episodes 10 --agents 100`` is one point of Sutton and Barto's Figure 7.2.  ``fastq sweep`` runs the sweep a
TOML file describes (:mod:`fastq.config`; ``examples/`` has some) and prints the summary of
every cell (:func:`fastq.report.format_sweep_summary`).  ``fastq bench`` measures agent-steps per second on
this machine (:mod:`fastq.benchmark`) and prints the machine and a table with ratios from the
same run.

Exit codes: 0 success; 2 a bad argument or configuration (one ``fastq: error: ...`` line on
stderr, or argparse's usage message); 1 a result, plot or sweep directory that could not be
written (a read-only or full file system: one ``fastq: error: ...`` line, nothing half-written,
the finished chunks of a sweep kept), or any other failure (one line; ``FASTQ_TRACEBACK=1``
shows the traceback); 130 interrupted (Ctrl-C).  fastq's warnings (a compile cache that could
not be used, say) are one ``fastq: warning: ...`` line each.  An interrupted ``bench`` prints the rows measured so far; an interrupted ``train`` still prints the summary of the episodes that
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
import os
import sys
import warnings

from . import _deprecation, _validate, config, report
from ._store import MANIFEST, atomic_write
from ._format import format_rate as _rate, format_slip, row, table
from ._terminal import has_tqdm, isatty
from ._validate import TABLE_DTYPES
from ._version import __version__
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS, PREDICTION_ALGORITHMS, TIE_BREAKS, TRACE_KINDS
from .benchmark import GROUPS
from .envs import list_envs, make
from .grid import CELL_NAMES, GridWorld
from .results import METRICS
from .solve import value_iteration
from ._sweep import WorkersStopped, sweep
from ._train import train
from .results import npz_path

PROG = "fastq"
#: Exit status of a run stopped with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status of a bad argument, as argparse uses.
EXIT_USAGE = 2


class _UsageError(Exception):
    """A bad argument detected by fastq (a ValueError or TypeError), reported in one line."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastq`` command (subcommands ``train``, ``sweep``, ``envs``,
    ``show``, ``solve``, ``bench``).

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
    p.add_argument("--n", type=int, default=None, metavar="N",
                   help="steps of the n-step returns (n_step_td and n_step_sarsa, which need it)")
    p.add_argument("--lam", type=float, default=None, metavar="L",
                   help="trace decay lambda, 0 <= L <= 1 (td_lambda, sarsa_lambda, q_lambda, which need it)")
    p.add_argument("--trace", default=None, choices=TRACE_KINDS,
                   help="eligibility traces of the lambda learners (default accumulating; dutch: "
                        "true online TD(lambda), td_lambda only)")
    p.add_argument("--first-visit", action=argparse.BooleanOptionalAction, default=None,
                   help="Monte Carlo updates first visits only, or every visit (default: every "
                        "visit for mc_prediction, first for mc_control)")
    p.add_argument("--policy", default=None, metavar="{uniform,FILE.npy}",
                   help="the policy the prediction learners evaluate: uniform (equiprobable over "
                        "the allowed actions; their default) or a .npy file of (S,) actions or "
                        "(S, A) probabilities")
    p.add_argument("--v-init", type=float, default=None, metavar="V",
                   help="initial value of every non-terminal V(s) of the prediction learners (default 0)")
    p.add_argument("--loss", action="store_true",
                   help="record the mean squared TD error of each episode's updates and print "
                        "its mean over the first and last 10%% of the episodes")
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
    p.add_argument("--metric", default=None, choices=tuple(METRICS),
                   help="what the summary averages (default: the file's metric, else return)")
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
                    "first run compiles every kernel (printed apart) and keeps them in numba's on-disk "
                    "cache for the next one (FASTQ_CACHE=0: no cache).")
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
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # restored on exit
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
        except OSError as exc:  # a file that could not be read or written
            print(f"{PROG}: error: {_os_error(exc)}", file=sys.stderr)
            return 1
        except Exception as exc:  # never a traceback; FASTQ_TRACEBACK=1 asks for it
            if os.environ.get("FASTQ_TRACEBACK", "").strip() not in ("", "0"):
                raise
            text = "out of memory" if isinstance(exc, MemoryError) else str(exc)
            print(f"{PROG}: error: {type(exc).__name__}: {text} (FASTQ_TRACEBACK=1 shows where)", file=sys.stderr)
            return 1


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line, ``fastq: warning: ...`` (not Python's two with the source line)."""
    print(f"{PROG}: warning: {message}", file=sys.stderr if file is None else file)


def _os_error(exc: OSError) -> str:
    """An OSError in words: what failed (fastq's message, or the file) and why."""
    reason = exc.strerror or str(exc)
    if exc.filename is not None and str(exc.filename) not in reason:
        return f"cannot write or read {str(exc.filename)!r}: {reason}"
    return reason


# ---------------------------------------------------------------------- subcommands
def _cmd_train(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    if args.save is not None:  # refused before training, not after
        try:
            saved = npz_path(args.save)
        except (ValueError, TypeError) as exc:
            raise _UsageError(f"--save: {exc}") from None
        _check_folder("--save", args.save)
    _check_plot(args.plot)
    options = dict(
        alpha=args.alpha, gamma=args.gamma, epsilon=args.epsilon, q_init=args.q_init,
        tie_break=args.tie_break, seed=args.seed, backend=args.backend, threads=args.threads,
        exploration=args.exploration, temperature=args.temperature,
        planning_steps=args.planning_steps, eval_every=args.eval_every, dtype=args.dtype,
        record_loss=args.loss,
    )
    # The multi-step and prediction options reach train() only when given (train refuses them
    # for the learners they do not apply to, naming the argument).
    given = dict(n=args.n, lam=args.lam, trace=args.trace, first_visit=args.first_visit, v_init=args.v_init,
                 policy=_policy(args.policy, args.algo))
    options.update({name: value for name, value in given.items() if value is not None})
    progress = isatty(sys.stderr) and has_tqdm()
    result = _quiet_train(env, args.algo, agents=args.agents, episodes=args.episodes,
                          progress=progress, **options)
    print(report.format_summary(result))

    status = 0
    if args.save is not None:
        try:
            result.save(args.save)
        except (OSError, ValueError, TypeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            print(f"{PROG}: error: cannot write {args.save!r}: {reason}", file=sys.stderr)
            status = 1
        else:
            print(row("saved", saved))
    if args.plot is not None and result.episodes > 0:
        from .plot import learning_curves

        metric = "rms_error" if result.v is not None else "return"
        fig = learning_curves(result, window=_plot_window(result.episodes), ylim="tail", metric=metric,
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
            size, slip = "{} x {}".format(*env.shape), f"slip {format_slip(env.slip)}"
        else:  # a model without a map
            size, slip = "model", ""
        rows.append((name, size, f"{S} states", f"{A} actions", slip, f"max_steps {env.mdp.max_steps}"))
    print("\n".join(table(rows)))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    solution = _call(value_iteration, env, gamma=args.gamma) if args.solve else None
    S, A, K = env.mdp.shape
    if isinstance(env, GridWorld):
        print(f"{args.env}  ({env.shape[0]} x {env.shape[1]}, {S} states, "
              f"slip {format_slip(env.slip)}, max_steps {env.max_steps})")
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
        print(report.format_solution(env, solution))
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
    print("\n".join(row(label, value) for label, value in rows))
    print()
    print(report.format_solution(env, solution))
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
    tty = isatty(sys.stderr)

    def measured(row: dict) -> None:
        rows.append(row)
        if tty:
            print(f"  {row['group']}: {row['name']}: {_rate(row['rate'])} agent-steps/s",
                  file=sys.stderr, flush=True)

    interrupted = False
    try:
        benchmark.run(quick=not args.full, threads=threads, algos=algos, groups=groups, on_row=measured)
    except KeyboardInterrupt:
        interrupted = True
    print()
    print(report.format_table(rows))
    status = 0
    if args.json is not None:
        plan = benchmark.FULL if args.full else benchmark.QUICK
        data = {"machine": info, "mode": "full" if args.full else "quick", "threads": threads,
                "env": benchmark.ENV, "settings": benchmark.SETTINGS, "plan": dataclasses.asdict(plan),
                "interrupted": interrupted, "rows": rows}
        try:
            text = json.dumps(data, indent=2)
            atomic_write(args.json, lambda fh: fh.write(text.encode("utf-8")))
        except OSError as exc:
            print(f"{PROG}: error: cannot write {args.json!r}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
        else:
            print(row("saved", args.json))
    if interrupted:
        n = len(rows)
        print(f"{PROG}: interrupted after {n} measurement{'s' * (n != 1)}; the table shows "
              f"{'them' if n != 1 else 'it'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _cmd_sweep(args: argparse.Namespace) -> int:
    settings = _call(config.read_config, args.config)
    kwargs, options = settings["sweep"], settings["options"]
    if args.out is not None:
        kwargs["out"] = args.out
    last = args.last if args.last is not None else options.get("last")
    metric = args.metric if args.metric is not None else options.get("metric", "return")
    episodes = kwargs["episodes"]
    if last is not None and isinstance(episodes, int) and episodes >= 1:  # else sweep() says why
        try:
            _validate.integer("last", last, low=1, high=episodes)
        except (ValueError, TypeError) as exc:
            if args.last is not None:
                raise _UsageError(f"--last: {exc}") from None
            raise _UsageError(config.locate(args.config, settings["text"], "last", str(exc))) from None
    _check_plot(args.plot)
    client = None
    if args.workers is not None:
        _call(_validate.integer, "--workers", args.workers, low=1)
        kwargs.update(executor="processes", workers=args.workers)
    elif args.scheduler is not None:
        client = _connect(args.scheduler)
        kwargs["executor"] = client
    progress = isatty(sys.stderr) and has_tqdm()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"sweep\(\) interrupted", category=RuntimeWarning)
            try:
                sw = sweep(progress=progress, **kwargs)
            except (ValueError, TypeError) as exc:
                raise _UsageError(config.config_error(args.config, settings["text"], exc)) from None
            except OSError as exc:
                out = kwargs.get("out")
                if out is None:
                    raise
                kept = (f"; the finished chunks are kept in {out!r}: run the same command again to resume"
                        if os.path.isfile(os.path.join(out, MANIFEST)) else "")
                print(f"{PROG}: error: cannot write the sweep to {out!r}: {_os_error(exc)}{kept}", file=sys.stderr)
                return 1
            except WorkersStopped as exc:
                print(f"{PROG}: error: {exc}", file=sys.stderr)
                return 1
    finally:
        if client is not None:
            client.close()
    print(report.format_sweep_summary(sw, metric, last=last))
    status = 0
    if args.plot is not None and sw.done.any():
        from .plot import learning_curves

        fig = learning_curves(sw, window=_plot_window(sw.episodes), title=sw.manifest["env_label"],
                              ylim="tail", metric=metric)
        status = _save_figure(fig, args.plot)
    if sw.meta["interrupted"]:
        where = f"; finished chunks are kept in {kwargs['out']!r}, run again to resume" if kwargs.get("out") else ""
        print(f"{PROG}: interrupted after {sw.meta['chunks_done']} of {sw.meta['chunks']} chunks{where}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _policy(value: str | None, algo: str):
    """``--policy``: None (the prediction learners' default, ``"uniform"``), ``"uniform"``, or
    the array in a ``.npy`` file (:func:`fastq.config.read_policy`)."""
    if value is None:
        return "uniform" if algo in PREDICTION_ALGORITHMS else None
    if value == "uniform":
        return value
    try:
        return config.read_policy(value)
    except config.ConfigError as exc:
        raise _UsageError(f"--policy: {exc}") from None


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
    _check_folder("--plot", path)


def _check_folder(option: str, path: str) -> None:
    """Refuse a file whose folder does not exist or cannot be written, before any work."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _UsageError(f"{option}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise _UsageError(f"{option}: folder {folder!r} is not writable")


def _save_figure(fig, path: str) -> int:
    """Write a figure whole or not at all (drawn in memory, then :func:`fastq._store.atomic_write`)."""
    import io

    try:
        image = io.BytesIO()
        fig.savefig(image, format=os.path.splitext(path)[1][1:].lower() or None, dpi=120)
        atomic_write(path, lambda fh: fh.write(image.getvalue()))
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: cannot write {path!r}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    print(row("plot", path))
    return 0


def _plot_window(episodes: int) -> int:
    """Smoothing window of the command's plots: 2 % of the episodes, 1 to 100."""
    return int(min(100, max(1, episodes // 50)))


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


# Names that moved to fastq.report and fastq.config, readable here for one release.
_deprecation.moved(sys.modules[__name__], {
    **{name: (getattr(report, name), f"fastq.report.{name}")
       for name in ("format_summary", "format_sweep_summary", "format_solution", "format_rate")},
    **{name: (getattr(config, name), f"fastq.config.{name}")
       for name in ("read_config", "config_error", "ConfigError", "CONFIG_KEYS", "CONFIG_SCHEDULES")},
    "SUMMARY_FRACTION": (0.1, "fastq.results.SUMMARY_FRACTION"),
})

if __name__ == "__main__":
    sys.exit(main())
