"""Every learner: numba vs its numpy reference, and each against Q-learning.

Run with ``pytest bench --benchmark-only``.  FrozenLake-8x8 slippery, alpha 0.1, gamma 0.99,
epsilon 0.1, random tie-breaking, 4096 agents x 50 episodes (numpy: 1024 agents, the same
work per agent; throughput is per agent-step, so the two compare directly).  Dyna-Q runs with
5 planning steps; its cost per planning update is printed in the summary table as
"per planning update" (agent-steps per second times 1 + planning steps).
"""

import pytest

import fastq
from fastq.algos import ALGORITHMS

from .conftest import THROUGHPUT, record

ENV = "FrozenLake-8x8"
EPISODES = 50
PLANNING = 5
SETTINGS = dict(alpha=0.1, gamma=0.99, epsilon=0.1, seed=0)
ALL = f"every algorithm, numba, {ENV} slippery, 4096 agents x {EPISODES} episodes"


def extra(algo):
    return {"planning_steps": PLANNING} if algo == "dyna_q" else {}


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_algorithm(benchmark, algo, backend):
    group = f"{algo} {ENV} slippery, numba vs numpy reference"
    benchmark.group = group
    agents = 4096 if backend == "numba" else 1024
    res = benchmark.pedantic(
        fastq.train, args=(ENV, algo),
        kwargs=dict(agents=agents, episodes=EPISODES, backend=backend, **SETTINGS, **extra(algo)),
        rounds=3 if backend == "numba" else 1, warmup_rounds=1 if backend == "numba" else 0,
    )
    rate = record(benchmark, group, "numba" if backend == "numba" else "numpy reference", res.agent_steps)
    if backend == "numba":
        THROUGHPUT[ALL][algo] = rate
        if algo == "dyna_q":
            THROUGHPUT[ALL][f"dyna_q, per planning update (n={PLANNING})"] = rate * (1 + PLANNING)
