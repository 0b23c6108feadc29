"""Q-learning throughput: numba kernels vs the numpy reference vs a Python loop over Gymnasium.

Run with ``pytest bench --benchmark-only`` (add ``--benchmark-json FILE`` to keep the numbers).
The setting is the one of the README: FrozenLake-8x8, slippery, Q-learning, alpha 0.1,
gamma 0.99, epsilon 0.1, random tie-breaking.  Both backends do exactly the same work (they are
bit-identical), so their times compare directly.
"""

import numpy as np
import pytest

import fastq

from .conftest import record

ENV = "FrozenLake-8x8"
EPISODES = 50
SETTINGS = dict(alpha=0.1, gamma=0.99, epsilon=0.1, seed=0)


@pytest.mark.parametrize("agents", [1024, 4096])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_q_learning(benchmark, backend, agents):
    group = f"q_learning {ENV} slippery, {agents} agents x {EPISODES} episodes"
    benchmark.group = group
    rounds = 5 if backend == "numba" else 1
    res = benchmark.pedantic(
        fastq.train, args=(ENV, "q_learning"),
        kwargs=dict(agents=agents, episodes=EPISODES, backend=backend, **SETTINGS),
        rounds=rounds, warmup_rounds=1 if backend == "numba" else 0,
    )
    name = "numba" if backend == "numba" else "numpy reference"
    record(benchmark, group, name, res.agent_steps)


def test_threads_scaling(benchmark):
    """One numba thread, same work as the 4096-agent group, for the 1 -> 2 thread ratio."""
    group = f"q_learning {ENV} slippery, 4096 agents x {EPISODES} episodes"
    benchmark.group = group
    res = benchmark.pedantic(
        fastq.train, args=(ENV, "q_learning"),
        kwargs=dict(agents=4096, episodes=EPISODES, threads=1, **SETTINGS),
        rounds=5, warmup_rounds=1,
    )
    record(benchmark, group, "numba, 1 thread", res.agent_steps)


def gymnasium_loop(episodes: int, seed: int = 0) -> int:
    """Tabular Q-learning the way most users write it: a Python loop over Gymnasium."""
    import gymnasium as gym

    env = gym.make("FrozenLake8x8-v1")
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    alpha, gamma, epsilon = SETTINGS["alpha"], SETTINGS["gamma"], SETTINGS["epsilon"]
    steps = 0
    env.reset(seed=seed)
    for episode in range(episodes):
        s, _ = env.reset()
        done = False
        while not done:
            if rng.random() < epsilon:
                a = int(rng.integers(4))
            else:
                a = int(np.argmax(q[s]))
            s2, r, terminated, truncated, _ = env.step(a)
            target = r if terminated else r + gamma * q[s2].max()
            q[s, a] += alpha * (target - q[s, a])
            s, done = s2, terminated or truncated
            steps += 1
    return steps


def test_gymnasium_python_loop(benchmark):
    pytest.importorskip("gymnasium")
    group = f"q_learning {ENV} slippery, 4096 agents x {EPISODES} episodes"
    benchmark.group = group  # beside fastq, compared per agent-step
    steps = benchmark.pedantic(gymnasium_loop, args=(200,), rounds=1)
    record(benchmark, group, "Python loop over Gymnasium (1 agent)", steps)
