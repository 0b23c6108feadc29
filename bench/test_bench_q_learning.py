"""Q-learning throughput: numba kernels vs the numpy reference vs a Python loop over Gymnasium.

Run with ``pytest bench --benchmark-only`` (add ``--benchmark-json FILE`` to keep the numbers).
The setting is the one of the README: FrozenLake-8x8, slippery, Q-learning, alpha 0.1,
gamma 0.99, epsilon 0.1, random tie-breaking; the model is built once, outside the timed calls.
Both backends do exactly the same work (they are bit-identical), so their times compare
directly; the Python loop (:func:`fastq.benchmark.gymnasium_loop`) runs one agent on
Gymnasium's ``FrozenLake8x8-v1``, the naive numba port of ``bench/alternatives.py`` and the
hand-tuned yardstick (``bench/yardstick.py``: a copy of ``shared/yardstick/hand_tuned_q.py``,
4 agents interleaved per thread, on every thread) their own random streams: those compare per
agent-step.  The summary prints every rate against the numpy reference and against the
yardstick, all measured in this run.  Threads and small jobs: ``test_bench_threads.py``.
"""

import numpy as np
import pytest

import fastq
from fastq.benchmark import ENV, SETTINGS, gymnasium_loop

from .conftest import YARDSTICK, record

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


def test_numba_written_naively(benchmark):
    """numba with np.random and np.argmax in a prange loop (bench/alternatives.py): the
    straightforward port of the Python loop.  Not fastq's semantics: compared per agent-step."""
    from . import alternatives

    group = group_of(4096)
    benchmark.group = group
    args = (MODEL.mdp, 4096, EPISODES, SETTINGS["alpha"], SETTINGS["gamma"], SETTINGS["epsilon"])
    steps = benchmark.pedantic(alternatives.naive, args=args, rounds=5, warmup_rounds=1)
    record(benchmark, group, "numba with np.random + np.argmax, prange", steps, baseline="numpy reference")


def test_yardstick(benchmark):
    """The hand-tuned yardstick (bench/yardstick.py), 4096 agents, 4 interleaved per thread, on
    every thread, as many steps per agent as fastq's run of this group takes on average."""
    import numba

    from . import yardstick

    group = group_of(4096)
    benchmark.group = group
    steps = int(fastq.train(MODEL, agents=64, episodes=EPISODES, **SETTINGS).lengths.sum(axis=1).mean())
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    kernel = yardstick.k_xs_f32_B4_par_ha_rt
    agents = 4096
    q = np.zeros((agents, 256), np.float32)
    table = yardstick.packed_table()
    per_agent = (np.full(agents, SETTINGS["alpha"]), np.full(agents, SETTINGS["gamma"]),
                 np.full(agents, SETTINGS["epsilon"]))
    episodes, goals = np.zeros(agents, np.int64), np.zeros(agents, np.int64)

    def run():
        q[:] = 0
        kernel(q, table, steps, *per_agent, 1, episodes, goals)

    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(steps_per_agent=steps, threads=numba.config.NUMBA_NUM_THREADS)
    record(benchmark, group, YARDSTICK, agents * steps, baseline="numpy reference")
