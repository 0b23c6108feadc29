"""Threads and small jobs: Q-learning on FrozenLake-8x8 (slippery, the README's setting).

- 4096 agents x 512 episodes (about 65 million agent-steps) on 1 thread and on 2 threads: the
  1 -> 2 thread ratio.
- 1 agent x 2000 episodes (about 100,000 agent-steps), on 1 thread and on every thread
  (``threads=None``): a small job should run at full single-core speed, with no parallel
  overhead -- ratio close to 1 against the 4096-agent, 1-thread run.  Once more on 1 thread
  with the environment given by name, as most calls are written: ``train`` then builds the
  model on every call, a fixed cost that only a small job notices.

All in one group, compared with the 4096-agent 1-thread run.  Run with
``python -m pytest bench/test_bench_threads.py --benchmark-only``.  The 2-thread case is skipped
where numba has fewer threads (``NUMBA_NUM_THREADS``, or a process pinned to one core).
"""

import numba
import pytest

import fastq
from fastq.benchmark import ENV, FULL, SETTINGS

from .conftest import record

MODEL = fastq.make(ENV)  # built once, outside the timed calls

AGENTS = 4096
EPISODES = dict(FULL.scaling)[AGENTS]
SMALL_EPISODES = FULL.small_job_episodes
GROUP = (f"threads: q_learning {ENV} slippery, {AGENTS} agents x {EPISODES} episodes, "
         f"and 1 agent x {SMALL_EPISODES} episodes")
BASELINE = f"{AGENTS} agents, 1 thread"


def label(threads) -> str:
    n = numba.config.NUMBA_NUM_THREADS if threads is None else threads
    return f"{n} thread{'s' * (n != 1)}" + (" (default)" if threads is None else "")


@pytest.mark.parametrize("threads", [1, 2])
def test_many_agents(benchmark, threads):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"numba has {numba.config.NUMBA_NUM_THREADS} thread(s) here")
    benchmark.group = GROUP
    res = benchmark.pedantic(
        fastq.train, args=(MODEL, "q_learning"),
        kwargs=dict(agents=AGENTS, episodes=EPISODES, threads=threads, **SETTINGS),
        rounds=5, warmup_rounds=1,
    )
    assert res.meta["threads"] == threads
    record(benchmark, GROUP, f"{AGENTS} agents, {label(threads)}", res.agent_steps, baseline=BASELINE)


@pytest.mark.parametrize("threads, env", [(1, MODEL), (None, MODEL), (1, ENV)], ids=["1", "default", "1-by-name"])
def test_small_job(benchmark, threads, env):
    benchmark.group = GROUP
    res = benchmark.pedantic(
        fastq.train, args=(env, "q_learning"),
        kwargs=dict(agents=1, episodes=SMALL_EPISODES, threads=threads, **SETTINGS),
        rounds=20, warmup_rounds=1,
    )
    # train()'s own time for the kernel (meta["wall_time"]), against the whole call's
    benchmark.extra_info.update(threads=res.meta["threads"], train_wall_time_s=res.meta["wall_time"])
    name = f"1 agent, {label(threads)}" + (", environment by name" if isinstance(env, str) else "")
    record(benchmark, GROUP, name, res.agent_steps, baseline=BASELINE)
