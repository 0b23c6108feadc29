"""The figure of docs/tutorial.md: the tutorial's sweep, its return and loss curves.

Run:  python examples/tutorial_figures.py [OUTDIR]      (default docs/img; needs matplotlib)

A few seconds on 2 cores (9 cells x 1000 seeds x 200 episodes, 11 million agent-steps, after
compiling Q-learning once).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import fastq  # noqa: E402
from fastq.plot import learning_curves  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
OUT.mkdir(parents=True, exist_ok=True)

# The tutorial's grid: start, a wall, a hole, the goal; at most 100 steps per episode.
env = fastq.GridWorld(["S..H", ".#..", "...G"], max_steps=100)
sw = fastq.sweep(env, grid={"alpha": [0.1, 0.5, 1.0], "epsilon": [0.01, 0.1, 0.3]}, seeds=1000,
                 episodes=200, gamma=0.9, record_loss=True, progress=False)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
learning_curves(sw, metric="return", by="epsilon", cells={"alpha": 0.5}, window=5, ax=left,
                title="return per episode (alpha 0.5)")
learning_curves(sw, metric="loss", by="alpha", cells={"epsilon": 0.1}, window=5, ax=right,
                title="loss: mean squared TD error per episode (epsilon 0.1)")
fig.tight_layout()
fig.savefig(OUT / "tutorial-curves.png", dpi=100, bbox_inches="tight")
for row in sw.summary("return", last=50):
    print(f"alpha {row['alpha']:g}, epsilon {row['epsilon']:g}: return over the last 50 episodes "
          f"{row['mean']:.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}]")
for row in sw.summary("loss", last=50):
    print(f"alpha {row['alpha']:g}, epsilon {row['epsilon']:g}: loss over the last 50 episodes {row['mean']:.5f}")
