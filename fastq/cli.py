"""The ``fastq`` command: train a population of agents, list and show the environments.

::

    fastq train [ENV] [--agents N] [--episodes E] [--alpha A] [--gamma G] [--epsilon EPS]
                [--q-init Q] [--seed S] [--backend {numba,numpy}] [--threads T]
                [--tie-break {random,first}] [--save FILE.npz]
    fastq envs
    fastq show ENV

A bare ``fastq train`` trains 4096 Q-learning agents on FrozenLake-8x8 for 2000 episodes each
and prints a short summary (:meth:`fastq.Result.summary`).

Exit codes: 0 success; 2 a bad argument (one ``fastq: error: ...`` line on stderr, or
argparse's usage message); 1 a result that could not be written; 130 interrupted (Ctrl-C).
An interrupted ``train`` still prints the summary of the episodes that finished (and saves them
with ``--save``).

Numba compiles the kernel on its first call in a process; :func:`fastq.train` does that before
the timed run and records it in ``meta["compile_time"]``, which the summary shows on a line of its
own, so that the wall time and the agent-steps per second describe the training alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import warnings
from fractions import Fraction

from . import __version__
from .algos import ALGORITHMS, BACKENDS
from .envs import list_envs, make
from .grid import CELL_NAMES
from .train import TIE_BREAKS, train

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
    p.add_argument("--save", default=None, metavar="FILE.npz",
                   help="write the result (fastq.Result.save) to this file")
    p.set_defaults(run=_cmd_train)

    p = commands.add_parser("envs", help="list the built-in environments",
                            description="List the built-in environments.")
    p.set_defaults(run=_cmd_envs)

    p = commands.add_parser("show", help="print the map and the actions of an environment",
                            description="Print the map and the actions of an environment.")
    p.add_argument("env", metavar="ENV", help="environment name (see `fastq envs`)")
    p.set_defaults(run=_cmd_show)
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


# ---------------------------------------------------------------------- subcommands
def _cmd_train(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    if args.save is not None:
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            raise _UsageError(f"--save: folder {folder!r} does not exist")
    options = dict(
        alpha=args.alpha, gamma=args.gamma, epsilon=args.epsilon, q_init=args.q_init,
        tie_break=args.tie_break, seed=args.seed, backend=args.backend, threads=args.threads,
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
        rows.append((name, "{} x {}".format(*env.shape), f"{S} states", f"{A} actions",
                     f"slip {_format_slip(env.slip)}", f"max_steps {env.max_steps}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    env = _call(make, args.env)
    S = env.mdp.shape[0]
    print(f"{args.env}  ({env.shape[0]} x {env.shape[1]}, {S} states, "
          f"slip {_format_slip(env.slip)}, max_steps {env.max_steps})")
    print()
    text = env.render()
    print(text)
    print()
    present = dict.fromkeys(ch for ch in text if ch in CELL_NAMES)
    print("cells:   " + ", ".join(f"{ch} {CELL_NAMES[ch]}" for ch in present))
    print("actions: " + ", ".join(f"{a} {name}" for a, name in enumerate(env.action_names)))
    return 0


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
        compile time, wall time and agent-steps per second.

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
