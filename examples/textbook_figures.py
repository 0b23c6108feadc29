"""Reproduce the Sutton & Barto learning experiments of docs/textbook.md and save their plots.

Run:  python examples/textbook_figures.py [OUTDIR] [EXPERIMENT ...]
      (default docs/img and every experiment; needs matplotlib)

The one-step experiments are a handful of fastq.train calls each; the prediction and
multi-step ones (random_walk_td_mc, random_walk_n_step, random_walk_td_lambda,
dyna_maze_n_step_sarsa) each run the one sweep their configuration file in examples/ describes
(``fastq sweep examples/<file>.toml`` runs the same).  The script prints the numbers quoted in
docs/textbook.md (means over runs with their standard errors) and writes one PNG per
experiment; everything takes about half a minute on 2 cores once the kernels are compiled.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fastq  # noqa: E402
from fastq.config import read_config  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
OUT.mkdir(parents=True, exist_ok=True)
EXAMPLES = Path(__file__).resolve().parent


def smooth(x, window=10):
    return np.convolve(x, np.ones(window) / window, mode="valid")


def example_sweep(name, **overrides):
    """The sweep of the configuration file ``examples/<name>`` (as ``fastq sweep`` runs it),
    with some arguments changed."""
    kwargs = {**read_config(str(EXAMPLES / name))["sweep"], **overrides}
    return fastq.sweep(kwargs.pop("env"), progress=False, **kwargs)


def mean_se(values, axis=-1):
    """Mean over runs and its standard error (runs on ``axis``)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):  # diverged runs: inf or nan, shown as they are
        return values.mean(axis=axis), values.std(axis=axis, ddof=1) / np.sqrt(values.shape[axis])


def text(mean, se, digits=3, limit=np.inf):
    """``mean ± se``; ``diverges`` where the mean is not finite or above ``limit``."""
    return f"{mean:.{digits}f} ± {se:.{digits}f}" if np.isfinite(mean) and mean < limit else "diverges"


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


def random_walk_td_mc():
    """Example 6.2 (right graph): TD(0) vs constant-alpha MC on the 5-state random walk, the RMS
    error of V per episode over 100 runs; V starts at 0.5 (examples/random_walk_td_vs_mc.toml)."""
    sw = example_sweep("random_walk_td_vs_mc.toml")
    error = sw.per_episode("rms_error")  # (cells, runs, 101): before learning, then per episode
    fig, ax = plt.subplots(figsize=(6, 4))
    book = [("td", 0.05), ("td", 0.1), ("td", 0.15), ("mc_prediction", 0.01), ("mc_prediction", 0.02),
            ("mc_prediction", 0.03), ("mc_prediction", 0.04)]
    for algo, alpha in book:
        runs = error[sw.index(algo=algo, alpha=alpha)]
        curve = runs.mean(axis=0)
        ax.plot(curve, ls="-" if algo == "td" else "--", label=f"{'TD' if algo == 'td' else 'MC'}, alpha {alpha}")
        late = mean_se(runs[:, 81:].mean(axis=1))
        print(f"random walk {algo} alpha={alpha}: after episode 10 {text(*mean_se(runs[:, 10]))}, "
              f"after 100 {text(*mean_se(runs[:, 100]))}, mean over 81-100 {text(*late)}, "
              f"lowest mean {curve.min():.3f} after episode {curve.argmin()}")
    ax.set(xlabel="walks / episodes", ylabel="RMS error, averaged over states", ylim=(0, 0.25),
           title="RandomWalk-5: TD(0) vs constant-alpha MC (100 runs)")
    ax.legend(ncol=2, fontsize=8)
    fig.savefig(OUT / "textbook-randomwalk-td-mc.png", dpi=100, bbox_inches="tight")


def random_walk_n_step():
    """Figure 7.2: n-step TD on the 19-state random walk, the RMS error averaged over the first
    10 episodes against alpha, one curve per n, 100 runs (examples/random_walk_n_step_td.toml)."""
    sw = example_sweep("random_walk_n_step_td.toml")
    error = sw.final("rms_error", last=10)  # (cells, runs): the mean of the errors after episodes 1-10
    ns, alphas = sw.axes["n"], sw.axes["alpha"]
    mean, se = mean_se(error.reshape(len(ns), len(alphas), -1))
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, n in enumerate(ns):
        ax.plot(alphas, mean[i], label=f"n={n}")
        best = int(np.argmin(mean[i]))
        print(f"n-step TD n={n}: lowest error {text(mean[i, best], se[i, best])} at alpha {alphas[best]}; "
              f"alpha 0.4: {text(mean[i, alphas.index(0.4)], se[i, alphas.index(0.4)])}, "
              f"alpha 1.0: {text(mean[i, -1], se[i, -1])}")
    ax.set(xlabel="alpha", ylabel="average RMS error over 19 states and first 10 episodes",
           ylim=(0.25, 0.55), title="RandomWalk-19: n-step TD (100 runs)")
    ax.legend(ncol=2, fontsize=8)
    fig.savefig(OUT / "textbook-randomwalk-nstep.png", dpi=100, bbox_inches="tight")


def random_walk_td_lambda():
    """Figures 12.6 and 12.8: TD(lambda) with accumulating traces and true online TD(lambda) on
    the 19-state random walk, the same measure over lambda and alpha
    (examples/random_walk_td_lambda.toml)."""
    sw = example_sweep("random_walk_td_lambda.toml")
    error = sw.final("rms_error", last=10)
    traces, lams, alphas = (sw.axes[k] for k in ("trace", "lam", "alpha"))
    mean, se = mean_se(error.reshape(len(traces), len(lams), len(alphas), -1))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for t, (trace, ax, figure) in enumerate(zip(traces, axes, ("12.6", "12.8"))):
        for i, lam in enumerate(lams):
            ax.plot(alphas, mean[t, i], label=f"lambda={lam:g}")
            finite = np.where(np.isfinite(mean[t, i]), mean[t, i], np.inf)
            best = int(np.argmin(finite))
            unstable = [a for a, m in zip(alphas, mean[t, i]) if not (np.isfinite(m) and m < 1)]
            print(f"TD(lambda) {trace} lambda={lam:g}: lowest error {text(mean[t, i, best], se[t, i, best])} "
                  f"at alpha {alphas[best]}; alpha 1.0: {text(mean[t, i, -1], se[t, i, -1], limit=1)}; "
                  f"error above 1 (diverging) from alpha {unstable[0] if unstable else '-'}")
        name = "TD(lambda), accumulating traces" if trace == "accumulating" else "true online TD(lambda)"
        ax.set(xlabel="alpha", ylim=(0.25, 0.55), title=f"{name} (Figure {figure})")
    axes[0].set_ylabel("average RMS error over 19 states and first 10 episodes")
    axes[1].legend(ncol=2, fontsize=8)
    fig.savefig(OUT / "textbook-randomwalk-tdlambda.png", dpi=100, bbox_inches="tight")


def dyna_maze_n_step_sarsa():
    """Figure 7.4's idea: n-step SARSA against one-step SARSA (n = 1) on the Dyna maze, steps
    per episode, 100 runs (examples/dyna_maze_n_step_sarsa.toml)."""
    sw = example_sweep("dyna_maze_n_step_sarsa.toml")
    first = example_sweep("dyna_maze_n_step_sarsa.toml", episodes=1)
    ns = sw.axes["n"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for c, n in enumerate(ns):
        lengths = sw.lengths[c]  # (runs, 50)
        if n in (1, 4, 16, 64):  # the others in print only: seven curves crowd the plot
            ax.plot(np.arange(2, 51), lengths.mean(axis=0)[1:], label="SARSA" if n == 1 else f"{n}-step SARSA")
        changed = (first.q[c] != 0).sum(axis=(1, 2))  # action values the first episode moved
        print(f"dyna maze n={n}: action values changed by episode 1: mean {changed.mean():.1f}, "
              f"max {changed.max()}; episode 2 {text(*mean_se(lengths[:, 1]), 0)} steps, "
              f"episodes 2-10 {text(*mean_se(lengths[:, 1:10].mean(axis=1)), 1)}, "
              f"all 50 episodes {text(*mean_se(lengths.sum(axis=1)), 0)}, "
              f"episodes 41-50 {text(*mean_se(lengths[:, 40:].mean(axis=1)), 1)}")
    ax.axhline(14, color="grey", ls="--", lw=1, label="shortest path (14)")
    ax.set(xlabel="episode", ylabel="steps per episode", ylim=(0, 700),
           title="DynaMaze: n-step SARSA (100 runs, alpha 0.1, epsilon 0.1)")
    ax.legend()
    fig.savefig(OUT / "textbook-dynamaze-nstep.png", dpi=100, bbox_inches="tight")


EXPERIMENTS = (cliff, max_bias, dyna_maze, windy, random_walk_td_mc, random_walk_n_step, random_walk_td_lambda,
               dyna_maze_n_step_sarsa)

if __name__ == "__main__":
    chosen = sys.argv[2:] or [e.__name__ for e in EXPERIMENTS]
    unknown = sorted(set(chosen) - {e.__name__ for e in EXPERIMENTS})
    if unknown:
        sys.exit(f"unknown experiment {unknown[0]!r}; the experiments: {', '.join(e.__name__ for e in EXPERIMENTS)}")
    for experiment in EXPERIMENTS:
        if experiment.__name__ in chosen:
            experiment()
