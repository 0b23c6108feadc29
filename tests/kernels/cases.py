"""Models and helpers shared by the kernel tests: environments that exercise each code path of
the learners, per-agent hyperparameters, and comparisons of two results."""

import numpy as np

import fastq
from fastq import TabularMDP

OUTPUTS = ("q", "returns", "lengths", "successes")
INTEGER_OUTPUTS = ("lengths", "successes")

#: A grid whose cliffs send the agent to one of two starts: K = 4 outcomes (any number of
#: outcomes, not the unrolled 1 or 3), and every kind of cell.
CUSTOM = fastq.GridWorld(
    ["S..#....", ".#H..C.G", "S....#..", "..C....H"],
    slip=0.2, step_reward=-0.5, goal_reward=5.0, hole_reward=-3.0, cliff_reward=-10.0,
    max_steps=60, name="custom",
)
#: Each model takes another path through the kernels: 4 actions with 3 outcomes, 4 actions with
#: 1 outcome, 4 actions with K = 4 outcomes, 3 actions (any number of actions).
ENVS = {
    "FrozenLake-8x8": fastq.make("FrozenLake-8x8"),
    "CliffWalking": fastq.make("CliffWalking", max_steps=300),
    "custom": CUSTOM,
    "three-actions": fastq.GridWorld(["S...", ".H.G", "...."], slip=0.3, actions="RDL", step_reward=-0.1,
                                     max_steps=40),
}


def per_agent_params(n):
    rs = np.random.default_rng(12)
    return dict(
        alpha=rs.uniform(0.05, 1.0, n),
        gamma=rs.uniform(0.8, 1.0, n),
        epsilon=rs.uniform(0.0, 0.5, n),
        q_init=rs.choice([0.0, 0.5, -1.0], n),
    )


def assert_same(a, b, fields=OUTPUTS):
    for field in fields:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def both(env, algo, **kwargs):
    """The same call on the numba kernels and on the numpy reference."""
    return fastq.train(env, algo, **kwargs), fastq.train(env, algo, backend="numpy", **kwargs)


def chain(terminal_next: bool, max_steps: int, actions: int = 1) -> TabularMDP:
    """States 0 (start), 1 (non-terminal), 2 (terminal, a goal); reward 1 for leaving 0."""
    nxt = 2 if terminal_next else 1
    A = actions
    return TabularMDP(
        next_state=[[[nxt]] * A, [[1]] * A, [[2]] * A],
        prob=np.ones((3, A, 1)),
        reward=[[[1.0]] * A, [[0.0]] * A, [[0.0]] * A],
        terminal=[False, False, True],
        goal=[False, False, True],
        start=[1.0, 0.0, 0.0],
        max_steps=max_steps,
    )


def bandit(n_actions=3, allowed=None, reward_std=None):
    """One state, actions ending the episode; action a pays a."""
    A = n_actions
    return TabularMDP(
        next_state=np.ones((2, A, 1), dtype=int), prob=np.ones((2, A, 1)),
        reward=np.vstack([np.arange(A, dtype=float)[None, :, None], np.zeros((1, A, 1))]),
        terminal=[False, True], start=[1.0, 0.0], max_steps=2, allowed=allowed, reward_std=reward_std,
    )
