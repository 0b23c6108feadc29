"""Sweep throughput: Q-learning vs SARSA on CliffWalking, alpha x epsilon, 200 seeds, in-process.

The sweep of the sweeps issue: 2 algorithms x 3 step sizes x 2 exploration rates = 12 cells,
200 seeds each, 500 episodes (2400 agents, about 32 million agent-steps).  Its cells group into
one train() call per algorithm (alpha and epsilon vary per agent), so the sweep should cost what
those two calls cost plus the bookkeeping: the second benchmark runs the two calls by hand, in the
same group, for the ratio.

Run with ``python -m pytest bench/test_bench_sweep.py --benchmark-only``.
"""

import numpy as np

import fastq

from .conftest import record

GROUP = "sweep CliffWalking: 2 algos x 3 alphas x 2 epsilons x 200 seeds x 500 episodes"
AXES = {"alpha": [0.1, 0.3, 0.5], "epsilon": [0.05, 0.1]}
SETTINGS = dict(gamma=1.0, seeds=200, episodes=500, seed=0)


def test_sweep_in_process(benchmark):
    benchmark.group = GROUP
    sw = benchmark.pedantic(fastq.sweep, args=("CliffWalking",),
                            kwargs=dict(algo=["q_learning", "sarsa"], grid=AXES, progress=False, **SETTINGS),
                            rounds=3, warmup_rounds=1)
    assert sw.complete and sw.n_cells == 12 and len(sw.manifest["chunks"]) == 2
    record(benchmark, GROUP, "fastq.sweep, in-process", sw.meta["agent_steps"])
    benchmark.extra_info["summary"] = {f"{r['algo']} alpha={r['alpha']} eps={r['epsilon']}": r["mean"]
                                       for r in sw.summary(last=100, resamples=1000)}


def two_train_calls():
    """The same work as the sweep, by hand: one call per algorithm, 6 cells x 200 seeds each."""
    alpha = np.repeat([a for a in AXES["alpha"] for _ in AXES["epsilon"]], 200)
    epsilon = np.repeat([e for _ in AXES["alpha"] for e in AXES["epsilon"]], 200)
    seeds = np.zeros(1200, dtype=np.uint64)
    ids = np.tile(np.arange(200, dtype=np.uint64), 6)
    steps = 0
    for algo in ("q_learning", "sarsa"):
        res = fastq.train("CliffWalking", algo, agents=1200, episodes=500, alpha=alpha, epsilon=epsilon,
                          gamma=1.0, seed=seeds, agent_ids=ids)
        steps += res.agent_steps
    return steps


def test_the_same_train_calls_by_hand(benchmark):
    benchmark.group = GROUP
    steps = benchmark.pedantic(two_train_calls, rounds=3, warmup_rounds=1)
    record(benchmark, GROUP, "two fastq.train calls by hand", steps)
