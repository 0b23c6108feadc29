"""Make the scaling figures of docs/performance.md: throughput against agents and grid size.

    python examples/performance_figures.py [--out DIR] [--quick] [--json FILE]

Measures the ``agents`` and ``grid`` groups of :mod:`fastq.benchmark` at the sizes of the
benchmark suite (``fastq.benchmark.FULL``; ``--quick``: the short ones), with 1 numba thread and,
where numba has more, with every thread, prints the tables and writes

- ``DIR/perf_agents.png``: agent-steps per second against the number of agents (log scale),
  Q-learning on FrozenLake-8x8, the same agent-episodes in every run;
- ``DIR/perf_grid.png``: agent-steps per second against the number of states, Q-learning on
  open n x n grids (n = 8 ... 100), 256 agents.

``DIR`` defaults to docs/img.  Takes about a minute per thread count on 2 cores (kernels compiled
once first).  Needs matplotlib (``pip install 'fastq-rl[plot]'``).
"""

from __future__ import annotations

import argparse
import json
import os

from fastq import benchmark, report

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(quick: bool) -> dict[int, list[dict]]:
    """Rows of the agents and grid groups, by thread count (1, and every thread if more)."""
    most = benchmark.machine()["numba_threads"]
    rows = {}
    for threads in sorted({1, most}):
        rows[threads] = benchmark.run(quick=quick, threads=threads, groups=["agents", "grid"])
        print(f"\n{threads} thread{'s' * (threads != 1)}")
        print(report.format_table(rows[threads]))
    return rows


def plot(rows: dict[int, list[dict]], group: str, x, label, xlabel: str, title: str, info: dict):
    """One line per thread count: agent-steps per second (millions) against ``x(row)``, each
    point annotated with ``label(row)``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    top = 0.0
    for threads, measured in rows.items():
        chosen = [r for r in measured if r["group"] == group]
        xs = [x(r) for r in chosen]
        ys = [r["rate"] / 1e6 for r in chosen]
        top = max(top, *ys)
        ax.plot(xs, ys, "o-", label=f"{threads} thread{'s' * (threads != 1)}")
        for r, xv, yv in zip(chosen, xs, ys):
            ax.annotate(label(r), (xv, yv), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=7, color="0.3")
    rounds = next(iter(rows.values()))[0]["rounds"]
    ax.set_xscale("log")
    ticks = sorted({x(r) for measured in rows.values() for r in measured if r["group"] == group})
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.minorticks_off()
    ax.margins(x=0.1)
    ax.set_ylim(0, top * 1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("million agent-steps per second")
    ax.set_title(f"{title}\n{info['cpu']}, {info['usable_cores']} core(s) usable; fastest of {rounds} calls, "
                 "compile time apart", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure and plot fastq's scaling in agents and grid size.")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "docs", "img"), metavar="DIR",
                        help="folder of the PNG files (default: docs/img)")
    parser.add_argument("--quick", action="store_true", help="the short sizes of `fastq bench`")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the rows and the machine here")
    args = parser.parse_args(argv)
    import matplotlib  # noqa: F401  (fail here, before measuring, when it is missing)

    os.makedirs(args.out, exist_ok=True)
    info = benchmark.machine()
    print(benchmark.machine_line(info))
    rows = measure(args.quick)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": info, "rows": {str(k): v for k, v in rows.items()}}, fh, indent=2)
    fig = plot(rows, "agents", lambda r: r["agents"], lambda r: f"x {r['episodes']} ep.",
               "agents (log scale); every run the same agent-episodes",
               f"Q-learning, {benchmark.ENV} slippery: throughput vs agents", info)
    path = os.path.join(args.out, "perf_agents.png")
    fig.savefig(path, dpi=120)
    print("wrote", path)
    fig = plot(rows, "grid", lambda r: r["side"] ** 2, lambda r: f"{r['side']}x{r['side']}, {r['agents']} x {r['episodes']}",
               "states of the open n x n grid (log scale); labels: grid, agents x episodes",
               "Q-learning, open grids (slip 2/3): throughput vs grid size", info)
    path = os.path.join(args.out, "perf_grid.png")
    fig.savefig(path, dpi=120)
    print("wrote", path)

if __name__ == "__main__":
    main()
