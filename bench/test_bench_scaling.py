"""Scaling: Q-learning throughput against the number of agents and against the grid size.

Run with ``python -m pytest bench/test_bench_scaling.py --benchmark-only``.  The sizes are those
of :data:`fastq.benchmark.FULL` (``fastq bench --full`` measures the same runs); each run takes
about 0.5-2 s on 2 cores, fastest of 3 rounds after a warm-up round.

- Agents: FrozenLake-8x8 slippery, 256 to 65,536 agents, every run the same number of
  agent-episodes (2,097,152: about 65 million agent-steps), ratios against 4096 agents.  A run
  allocates and initialises its Q-tables (65,536 agents: 134 MB) inside the timed call.
- Grid size: open n x n grids (:func:`fastq.benchmark.open_grid`: no holes, slip 2/3, the
  default time limit ``4 n^2``), n = 8 to 100 (10,000 states), 256 agents each (Q-tables of
  82 MB at 100 x 100), episodes chosen for about 10-18 million agent-steps per run; an
  episode ends at the goal or at the time limit, so every run does real work.  Ratios against
  8 x 8.  ``extra_info`` also holds the rate of the kernel loop alone
  (``kernel_agent_steps_per_second``, from ``meta["wall_time"]`` of the last round), which
  leaves out allocating and filling the Q-tables.
"""

import pytest

import fastq
from fastq.benchmark import ENV, FULL, SETTINGS, open_grid

from .conftest import record

MODEL = fastq.make(ENV)  # built once, outside the timed calls

AGENTS_GROUP = f"scaling in agents: q_learning {ENV} slippery, agents x episodes = {FULL.scaling[0][0] * FULL.scaling[0][1]}"
GRID_GROUP = (f"scaling in grid size: q_learning, open n x n grids, slip 2/3, "
              f"{'/'.join(str(a) for a in dict.fromkeys(a for _, a, _ in FULL.grids))} agents")


@pytest.mark.parametrize("agents, episodes", FULL.scaling, ids=[f"{a}-agents" for a, _ in FULL.scaling])
def test_agents(benchmark, agents, episodes):
    benchmark.group = AGENTS_GROUP
    res = benchmark.pedantic(
        fastq.train, args=(MODEL, "q_learning"), kwargs=dict(agents=agents, episodes=episodes, **SETTINGS),
        rounds=3, warmup_rounds=1,
    )
    benchmark.extra_info.update(agents=agents, episodes=episodes)
    record(benchmark, AGENTS_GROUP, f"{agents} agents x {episodes} episodes", res.agent_steps,
           baseline=f"4096 agents x {dict(FULL.scaling)[4096]} episodes")


@pytest.mark.parametrize("side, agents, episodes", FULL.grids, ids=[f"{s}x{s}" for s, _, _ in FULL.grids])
def test_grid_size(benchmark, side, agents, episodes):
    benchmark.group = GRID_GROUP
    env = open_grid(side)
    _ = env.mdp  # build the model outside the timed calls (about 1 s at 100 x 100)
    res = benchmark.pedantic(
        fastq.train, args=(env, "q_learning"), kwargs=dict(agents=agents, episodes=episodes, **SETTINGS),
        rounds=3, warmup_rounds=1,
    )
    benchmark.extra_info.update(side=side, states=side * side, agents=agents, episodes=episodes,
                                success=float(res.successes.mean()),
                                kernel_agent_steps_per_second=res.agent_steps / res.meta["wall_time"])
    first = FULL.grids[0][0]
    record(benchmark, GRID_GROUP, f"{side}x{side} ({side * side} states), {agents} x {episodes}",
           res.agent_steps, baseline=f"{first}x{first} ({first * first} states), {FULL.grids[0][1]} x {FULL.grids[0][2]}")
