"""Vector-environment throughput: fastq.gym.TabularVectorEnv vs gymnasium.vector.SyncVectorEnv.

Run with ``pytest bench/test_bench_vector_env.py --benchmark-only``.  Both step ``NUM_ENVS``
copies of slippery FrozenLake 8x8 (the same transition table: fastq's built-in equals
Gymnasium's ``FrozenLake8x8-v1``) with pre-drawn uniformly random actions and next-step
autoreset, through the public ``step()`` of each.  SyncVectorEnv runs Gymnasium's own
``FrozenLake8x8-v1`` (and, for comparison, fastq's ``TabularEnv``) one sub-environment at a
time in Python; TabularVectorEnv steps all of them in one compiled call.  Throughput is in
environment steps (sub-environment steps) per second.
"""

import numpy as np
import pytest

from .conftest import THROUGHPUT, record

gymnasium = pytest.importorskip("gymnasium")

NUM_ENVS = 1024
GROUP = f"vector env FrozenLake-8x8 slippery, {NUM_ENVS} sub-environments, random actions"
SYNC = "SyncVectorEnv(FrozenLake8x8-v1)"


def run(envs, actions) -> int:
    for a in actions:
        envs.step(a)
    return actions.size


def actions(steps: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 4, (steps, NUM_ENVS))


def test_sync_vector_env_gymnasium(benchmark):
    benchmark.group = GROUP
    envs = gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make("FrozenLake8x8-v1") for _ in range(NUM_ENVS)])
    envs.reset(seed=0)
    steps = benchmark.pedantic(run, args=(envs, actions(50)), rounds=3, warmup_rounds=1)
    record(benchmark, GROUP, SYNC, steps)


def test_sync_vector_env_of_tabular_env(benchmark):
    from fastq.gym import TabularEnv

    benchmark.group = GROUP
    envs = gymnasium.vector.SyncVectorEnv([lambda: TabularEnv("FrozenLake-8x8") for _ in range(NUM_ENVS)])
    envs.reset(seed=0)
    steps = benchmark.pedantic(run, args=(envs, actions(20)), rounds=3, warmup_rounds=1)
    record(benchmark, GROUP, "SyncVectorEnv(fastq TabularEnv)", steps)


def test_tabular_vector_env(benchmark):
    from fastq.gym import TabularVectorEnv

    benchmark.group = GROUP
    envs = TabularVectorEnv("FrozenLake-8x8", NUM_ENVS)
    envs.reset(seed=0)
    steps = benchmark.pedantic(run, args=(envs, actions(2000)), rounds=5, warmup_rounds=1)
    rate = record(benchmark, GROUP, "fastq TabularVectorEnv", steps)
    sync = THROUGHPUT[GROUP].get(SYNC)
    if sync:
        benchmark.extra_info["x_sync_vector_env"] = rate / sync
