"""Make the figures of docs/sweeps.md from the two example sweeps.

    python examples/sweep_figures.py [OUT_DIR]        # default: docs/img

Runs (or resumes, from runs/cliff and runs/lake) the sweeps of examples/cliff_q_vs_sarsa.toml and
examples/frozenlake_alpha_epsilon.toml, then draws learning curves, heatmaps and greedy policies.
"""

import os
import sys

import numpy as np
from matplotlib.figure import Figure

import fastq
from fastq.config import read_config
from fastq.plot import grid_values, learning_curves, sweep_heatmap

HERE = os.path.dirname(os.path.abspath(__file__))


def run(config: str, out: str):
    kwargs = read_config(os.path.join(HERE, config))["sweep"]
    return fastq.sweep(out=out, **kwargs)


def main(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    cliff = run("cliff_q_vs_sarsa.toml", "runs/cliff")
    fig = learning_curves(cliff, by="algo", cells={"alpha": 0.5, "epsilon": 0.1}, window=10, ylim=(-100, 0),
                          title="CliffWalking, alpha 0.5, epsilon 0.1, 200 seeds")
    fig.savefig(os.path.join(folder, "sweep_cliff_curves.png"), dpi=110)
    fig = sweep_heatmap(cliff, x="alpha", y="epsilon", last=100)
    fig.savefig(os.path.join(folder, "sweep_cliff_heatmap.png"), dpi=110)

    # The greedy policies the two algorithms learned (mean Q over seeds): Q-learning's path runs
    # along the cliff, SARSA's keeps a row away from it.
    env = fastq.make("CliffWalking")
    fig = Figure(figsize=(8.5, 5.0), layout="constrained")
    axes = fig.subplots(2, 1)
    for ax, algo in zip(axes, ["q_learning", "sarsa"]):
        c = cliff.index(algo=algo, alpha=0.5, epsilon=0.1)
        q = cliff.result(c).q.mean(axis=0)
        grid_values(env, q, ax=ax, annotate=False, title=f"{algo}: mean learned Q over 200 seeds, greedy policy")
    fig.savefig(os.path.join(folder, "sweep_cliff_policies.png"), dpi=110)

    lake = run("frozenlake_alpha_epsilon.toml", "runs/lake")
    fig = sweep_heatmap(lake, x="alpha", y="epsilon", metric="success", last=500)
    fig.savefig(os.path.join(folder, "sweep_lake_heatmap.png"), dpi=110)
    best = lake.best("success", last=500)
    fig = learning_curves(lake, cells={"alpha": best["alpha"]}, metric="success", window=100,
                          title=f"FrozenLake-8x8, alpha {best['alpha']}, 100 seeds")
    fig.savefig(os.path.join(folder, "sweep_lake_curves.png"), dpi=110)
    print(np.round(lake.final("success", 500).mean(axis=1), 3))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "docs", "img"))
