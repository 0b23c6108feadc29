"""Reproduce the Sutton & Barto learning experiments of docs/textbook.md and save their plots.

Run:  python examples/textbook_figures.py [OUTDIR]      (default docs/img; needs matplotlib)

Each experiment is a handful of fastq.train calls; the script prints the numbers quoted in
docs/textbook.md and writes one PNG per experiment.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fastq  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
OUT.mkdir(parents=True, exist_ok=True)


def smooth(x, window=10):
    return np.convolve(x, np.ones(window) / window, mode="valid")


def cliff():
    """Example 6.6 / Figure 6.4: SARSA vs Q-learning, epsilon 0.1, alpha 0.5, gamma 1."""
    kw = dict(agents=1000, episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)
    fig, ax = plt.subplots(figsize=(6, 4))
    for algo in ("sarsa", "q_learning"):
        res = fastq.train("CliffWalking", algo, **kw)
        ax.plot(smooth(res.returns.mean(axis=0)), label=algo)
        print(f"cliff {algo}: mean online return, episodes 101-500: {res.returns[:, 100:].mean():.1f}")
    ax.set(xlabel="episode", ylabel="sum of rewards during episode", ylim=(-100, -10),
           title="CliffWalking (1000 agents, 10-episode moving average)")
    ax.legend()
    fig.savefig(OUT / "textbook-cliff.png", dpi=100, bbox_inches="tight")


def max_bias():
    """Example 6.7 / Figure 6.5: Q-learning vs Double Q-learning, epsilon 0.1, alpha 0.1."""
    kw = dict(agents=10_000, episodes=300, alpha=0.1, gamma=1.0, epsilon=0.1, seed=0)
    fig, ax = plt.subplots(figsize=(6, 4))
    for algo in ("q_learning", "double_q"):
        left = (fastq.train("MaxBias", algo, **kw).lengths == 2).mean(axis=0)
        ax.plot(np.arange(1, 301), 100 * left, label=algo)
        print(f"max bias {algo}: % left, episodes 1-50: {100 * left[:50].mean():.1f}, peak "
              f"{100 * left.max():.1f}, episodes 251-300: {100 * left[-50:].mean():.1f}")
    ax.axhline(5, color="grey", ls="--", lw=1, label="optimal (epsilon floor)")
    ax.set(xlabel="episode", ylabel="% left actions from A", title="MaxBias (10,000 agents)")
    ax.legend()
    fig.savefig(OUT / "textbook-maxbias.png", dpi=100, bbox_inches="tight")


def dyna_maze():
    """Example 8.1 / Figure 8.2: steps per episode for n = 0, 5, 50 planning steps."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for n in (0, 5, 50):
        res = fastq.train("DynaMaze", "dyna_q", agents=300, episodes=50, alpha=0.1, gamma=0.95,
                          epsilon=0.1, planning_steps=n, seed=0)
        steps = res.lengths.mean(axis=0)
        ax.plot(np.arange(2, 51), steps[1:], label=f"{n} planning steps")
        print(f"dyna maze n={n}: steps in episode 2: {steps[1]:.0f}, episodes 41-50: {steps[-10:].mean():.1f}")
    ax.set(xlabel="episode", ylabel="steps per episode", ylim=(0, 800), title="DynaMaze (300 agents)")
    ax.legend()
    fig.savefig(OUT / "textbook-dynamaze.png", dpi=100, bbox_inches="tight")


def windy():
    """Example 6.5 / Figure 6.3: SARSA, epsilon 0.1, alpha 0.5: episodes vs time steps."""
    res = fastq.train("WindyGridworld", "sarsa", agents=1000, episodes=170, alpha=0.5, gamma=1.0,
                      epsilon=0.1, seed=0)
    steps = np.cumsum(res.lengths, axis=1).mean(axis=0)
    print(f"windy SARSA: time steps to finish 170 episodes: {steps[-1]:.0f}; "
          f"mean length of episodes 151-170: {res.lengths[:, 150:].mean():.1f}")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, np.arange(1, 171))
    ax.set(xlabel="time steps", ylabel="episodes", title="WindyGridworld, SARSA (1000 agents)")
    fig.savefig(OUT / "textbook-windy.png", dpi=100, bbox_inches="tight")


if __name__ == "__main__":
    for experiment in (cliff, max_bias, dyna_maze, windy):
        experiment()
