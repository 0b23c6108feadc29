"""Every learner: numba vs its numpy reference, and each against Q-learning.

Run with ``pytest bench --benchmark-only``.  FrozenLake-8x8 slippery (the model built once,
outside the timed calls), alpha 0.1, gamma 0.99, epsilon 0.1, random tie-breaking, 4096 agents
x 50 episodes, each learner with its default extra arguments (:func:`fastq.algos.default_arguments`:
the equiprobable policy for prediction, ``n = 4``, ``lam = 0.9``).  The numpy reference runs
fewer episodes (12), and the learners with more than one step, whose reference loops agent by
agent (its cost per agent-step does not depend on the number of agents), 64 agents of them:
a rate is a rate.  Dyna-Q runs with 5 planning steps; its cost per planning update is printed
in the summary table as "per planning update" (agent-steps per second times 1 + planning steps).
"""

import pytest

import fastq
from fastq.algos import ALGORITHMS, ONE_STEP_ALGORITHMS, default_arguments
from fastq.benchmark import ENV, REFERENCE_AGENTS, SETTINGS

from .conftest import THROUGHPUT, record

AGENTS = 4096
EPISODES = 50
REFERENCE_EPISODES = 12
PLANNING = 5
MODEL = fastq.make(ENV)
ALL = f"every algorithm, numba, {ENV} slippery, {AGENTS} agents x {EPISODES} episodes (ratios to q_learning)"


def arguments(algo):
    return {**default_arguments(algo), **({"planning_steps": PLANNING} if algo == "dyna_q" else {})}


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_algorithm(benchmark, algo, backend):
    group = f"{algo} {ENV} slippery, numba vs numpy reference"
    benchmark.group = group
    numba = backend == "numba"
    agents = AGENTS if numba or algo in ONE_STEP_ALGORITHMS else REFERENCE_AGENTS
    res = benchmark.pedantic(
        fastq.train, args=(MODEL, algo),
        kwargs=dict(agents=agents, episodes=EPISODES if numba else REFERENCE_EPISODES, backend=backend,
                    **SETTINGS, **arguments(algo)),
        rounds=5 if numba else 1, warmup_rounds=1 if numba else 0,
    )
    rate = record(benchmark, group, "numba" if numba else "numpy reference", res.agent_steps)
    if numba:
        THROUGHPUT[ALL][algo] = rate
        if algo == "dyna_q":
            THROUGHPUT[ALL][f"dyna_q, per planning update (n={PLANNING})"] = rate * (1 + PLANNING)
