"""Every learner: numba vs its numpy reference, and each against Q-learning.

Run with ``pytest bench --benchmark-only``.  FrozenLake-8x8 slippery (the model built once,
outside the timed calls), alpha 0.1, gamma 0.99, epsilon 0.1, random tie-breaking, 4096 agents
x 50 episodes (numpy reference: 4096 agents x 12 episodes -- the same agents, since the
reference is vectorised over agents and slower per agent-step with fewer, in about a quarter of
the work; episode lengths hardly change over the first 50 episodes).  Dyna-Q runs with
5 planning steps; its cost per planning update is printed in the summary table as
"per planning update" (agent-steps per second times 1 + planning steps).
"""

import pytest

import fastq
from fastq.algos import ALGORITHMS
from fastq.benchmark import ENV, SETTINGS

from .conftest import THROUGHPUT, record

EPISODES = 50
REFERENCE_EPISODES = 12
PLANNING = 5
MODEL = fastq.make(ENV)
ALL = f"every algorithm, numba, {ENV} slippery, 4096 agents x {EPISODES} episodes"


def extra(algo):
    return {"planning_steps": PLANNING} if algo == "dyna_q" else {}


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_algorithm(benchmark, algo, backend):
    group = f"{algo} {ENV} slippery, numba vs numpy reference"
    benchmark.group = group
    episodes = EPISODES if backend == "numba" else REFERENCE_EPISODES
    res = benchmark.pedantic(
        fastq.train, args=(MODEL, algo),
        kwargs=dict(agents=4096, episodes=episodes, backend=backend, **SETTINGS, **extra(algo)),
        rounds=3 if backend == "numba" else 1, warmup_rounds=1 if backend == "numba" else 0,
    )
    rate = record(benchmark, group, "numba" if backend == "numba" else "numpy reference", res.agent_steps)
    if backend == "numba":
        THROUGHPUT[ALL][algo] = rate
        if algo == "dyna_q":
            THROUGHPUT[ALL][f"dyna_q, per planning update (n={PLANNING})"] = rate * (1 + PLANNING)
