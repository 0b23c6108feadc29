"""Q-learning throughput: numba kernels vs the numpy reference vs a Python loop over Gymnasium.

Run with ``pytest bench --benchmark-only`` (add ``--benchmark-json FILE`` to keep the numbers).
The setting is the one of the README: FrozenLake-8x8, slippery, Q-learning, alpha 0.1,
gamma 0.99, epsilon 0.1, random tie-breaking; the model is built once, outside the timed calls.
Both backends do exactly the same work (they are bit-identical), so their times compare
directly; the Python loop (:func:`fastq.benchmark.gymnasium_loop`) runs one agent on
Gymnasium's ``FrozenLake8x8-v1``, and the two hand-written numba kernels of
``bench/alternatives.py`` their own random streams: those compare per agent-step.  Threads and
small jobs: ``test_bench_threads.py``.
"""

import pytest

import fastq
from fastq.benchmark import ENV, SETTINGS, gymnasium_loop

from .conftest import record

EPISODES = 50
MODEL = fastq.make(ENV)


def group_of(agents: int) -> str:
    return f"q_learning {ENV} slippery, {agents} agents x {EPISODES} episodes"


@pytest.mark.parametrize("agents", [1024, 4096])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_q_learning(benchmark, backend, agents):
    group = group_of(agents)
    benchmark.group = group
    rounds = 5 if backend == "numba" else 1
    res = benchmark.pedantic(
        fastq.train, args=(MODEL, "q_learning"),
        kwargs=dict(agents=agents, episodes=EPISODES, backend=backend, **SETTINGS),
        rounds=rounds, warmup_rounds=1 if backend == "numba" else 0,
    )
    name = "numba" if backend == "numba" else "numpy reference"
    record(benchmark, group, name, res.agent_steps, baseline="numpy reference")


def test_gymnasium_python_loop(benchmark):
    pytest.importorskip("gymnasium")
    group = group_of(4096)
    benchmark.group = group  # beside fastq, compared per agent-step
    steps = benchmark.pedantic(gymnasium_loop, args=(200,), rounds=1)
    record(benchmark, group, "Python loop over Gymnasium (1 agent)", steps)


@pytest.mark.parametrize("kind", ["naive", "hand_tuned"])
def test_numba_written_by_hand(benchmark, kind):
    """The issue's other yardsticks (bench/alternatives.py): numba with np.random and np.argmax
    in a prange loop, and a hand-tuned kernel (4 agents interleaved, xorshift64*).  Not fastq's
    semantics: compared per agent-step."""
    from . import alternatives

    group = group_of(4096)
    benchmark.group = group
    run = getattr(alternatives, kind)
    args = (MODEL.mdp, 4096, EPISODES, SETTINGS["alpha"], SETTINGS["gamma"], SETTINGS["epsilon"])
    steps = benchmark.pedantic(run, args=args, rounds=5, warmup_rounds=1)
    name = {"naive": "numba with np.random + np.argmax, prange",
            "hand_tuned": "hand-tuned numba: 4 agents per thread, xorshift"}[kind]
    record(benchmark, group, name, steps, baseline="numpy reference")
