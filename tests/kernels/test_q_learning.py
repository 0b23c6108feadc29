"""The Q-learning kernel against its numpy reference, and the semantics checked by hand."""

import numpy as np
import pytest

import fastq
from fastq import _train
from fastq import TabularMDP

OUTPUTS = ("q", "returns", "lengths", "successes")

CUSTOM = fastq.GridWorld(
    ["S..#....", ".#H..C.G", "S....#..", "..C....H"],
    slip=0.2, step_reward=-0.5, goal_reward=5.0, hole_reward=-3.0, cliff_reward=-10.0,
    max_steps=60, name="custom",
)
ENVS = {
    "FrozenLake-4x4": fastq.make("FrozenLake-4x4"),
    "FrozenLake-8x8": fastq.make("FrozenLake-8x8"),
    "CliffWalking": fastq.make("CliffWalking", max_steps=300),
    "custom": CUSTOM,  # K = 4 outcomes (a cliff sends to one of two starts): the general loop
    "three-actions": fastq.GridWorld(  # A = 3: the general (not 4-action) greedy path
        ["S...", ".H.G", "...."], slip=0.3, actions="RDL", step_reward=-0.1, max_steps=40),
}


def per_agent_params(n):
    rs = np.random.default_rng(12)
    return dict(
        alpha=rs.uniform(0.05, 1.0, n),
        gamma=rs.uniform(0.8, 1.0, n),
        epsilon=rs.uniform(0.0, 0.5, n),
        q_init=rs.choice([0.0, 0.5, -1.0], n),
    )


@pytest.mark.parametrize("tie_break", ["random", "first"])
@pytest.mark.parametrize("name", list(ENVS))
def test_numba_equals_numpy_bit_for_bit(name, tie_break):
    agents = 19
    kwargs = dict(agents=agents, episodes=40, seed=11, tie_break=tie_break, **per_agent_params(agents))
    fast = fastq.train(ENVS[name], **kwargs)
    ref = fastq.train(ENVS[name], backend="numpy", **kwargs)
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(fast, field), getattr(ref, field), err_msg=field)
    assert fast.agent_steps > agents * 40  # the runs did something
    assert fast.meta["backend"] == "numba" and ref.meta["backend"] == "numpy"


def test_numba_equals_numpy_over_several_blocks(monkeypatch):
    monkeypatch.setattr(_train, "BLOCK_AGENT_STEPS", 7 * 5 * 200)
    kwargs = dict(agents=7, episodes=33, seed=5, epsilon=0.3)
    fast = fastq.train("FrozenLake-8x8", **kwargs)
    ref = fastq.train("FrozenLake-8x8", backend="numpy", **kwargs)
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(fast, field), getattr(ref, field), err_msg=field)


def chain(terminal_next: bool, max_steps: int) -> TabularMDP:
    """States 0 (start), 1 (non-terminal), 2 (terminal); one action; reward 1 for leaving 0."""
    nxt = 2 if terminal_next else 1
    return TabularMDP(
        next_state=[[[nxt]], [[1]], [[2]]],
        prob=[[[1.0]], [[1.0]], [[1.0]]],
        reward=[[[1.0]], [[0.0]], [[0.0]]],
        terminal=[False, False, True],
        goal=[False, False, True],
        start=[1.0, 0.0, 0.0],
        max_steps=max_steps,
    )


ALPHA, GAMMA, Q0 = 0.5, 0.9, 5.0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_termination_does_not_bootstrap(backend):
    res = fastq.train(chain(True, 10), agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend)
    # target = r = 1:  Q = 5 + 0.5 * (1 - 5) = 3
    assert res.q[0, 0, 0] == Q0 + ALPHA * (1.0 - Q0) == 3.0
    assert res.q[0, 2, 0] == 0.0  # terminal states hold 0, whatever q_init
    assert res.lengths[0, 0] == 1 and res.returns[0, 0] == 1.0 and res.successes[0, 0]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_truncation_bootstraps_from_the_real_next_state(backend):
    res = fastq.train(chain(False, 1), agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend)
    # target = r + gamma * max Q(1) = 1 + 0.9 * 5 = 5.5:  Q = 5 + 0.5 * (5.5 - 5) = 5.25
    assert res.q[0, 0, 0] == Q0 + ALPHA * (1.0 + GAMMA * Q0 - Q0) == 5.25
    assert res.q[0, 1, 0] == Q0  # never visited as the state of an update
    assert res.lengths[0, 0] == 1 and not res.successes[0, 0]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_termination_wins_when_both_happen_on_one_step(backend):
    res = fastq.train(chain(True, 1), agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend)
    assert res.q[0, 0, 0] == 3.0
    assert res.successes[0, 0]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_truncated_episodes_continue_learning_across_episodes(backend):
    # Two episodes of max_steps=2 on the non-terminal chain: 0 -> 1 -> 1 (truncated), twice.
    res = fastq.train(chain(False, 2), agents=1, episodes=2, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend)
    q0, q1 = Q0, Q0
    for _ in range(2):
        q0 = q0 + ALPHA * (1.0 + GAMMA * q1 - q0)
        q1 = q1 + ALPHA * (0.0 + GAMMA * q1 - q1)
    assert res.q[0, 0, 0] == q0 and res.q[0, 1, 0] == q1
    assert res.lengths.tolist() == [[2, 2]] and res.returns.tolist() == [[1.0, 1.0]]


def two_armed() -> TabularMDP:
    """One state, two actions that both end the episode: 0 pays 0, 1 pays 1."""
    return TabularMDP(
        next_state=[[[1], [1]], [[1], [1]]],
        prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
        reward=[[[0.0], [1.0]], [[0.0], [0.0]]],
        terminal=[False, True],
        start=[1.0, 0.0],
        max_steps=5,
    )


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_tie_break_first_is_argmax(backend):
    # All Q equal: "first" always takes action 0, so Q(0, 1) is never updated.
    res = fastq.train(two_armed(), agents=5, episodes=20, epsilon=0.0, tie_break="first",
                      backend=backend)
    assert (res.returns == 0.0).all()
    assert (res.q[:, 0, 1] == 0.0).all()


def test_tie_break_random_is_uniform():
    # First episode, all Q equal: the greedy choice is uniform over the 2 actions.
    # 4000 agents: the share choosing action 1 is 1/2 within 5 standard deviations.
    n = 4000
    res = fastq.train(two_armed(), agents=n, episodes=1, epsilon=0.0, tie_break="random", seed=3)
    share = res.returns[:, 0].mean()
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / n)


def test_epsilon_one_explores_uniformly():
    # epsilon = 1: actions uniform whatever Q says; q_init favours action 0 after one update.
    n = 4000
    res = fastq.train(two_armed(), agents=n, episodes=3, epsilon=1.0, tie_break="first", seed=4)
    share = res.returns.mean()
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / (3 * n))


def test_epsilon_zero_is_greedy():
    # After one episode with action 1 taken (random tie), greedy never leaves action 1.
    res = fastq.train(two_armed(), agents=200, episodes=10, epsilon=0.0, seed=2)
    took_1 = res.returns[:, 0] == 1.0
    assert 0 < took_1.sum() < 200  # both actions were taken in the first episode (random ties)
    assert (res.returns[took_1, 1:] == 1.0).all()


def test_slip_frequencies_match_the_model():
    # Every agent takes "up" (action 0, all values tied, tie_break "first") once from S.  The
    # landing cell tells the outcome apart by its reward: the hole above (-1, probability 0.8),
    # the goal to the left (+1, slip 0.1), the free cell to the right (0, slip 0.1).
    # Chi-square with 2 degrees of freedom at the 0.1% level (13.82), 20,000 agents, fixed seed.
    env = fastq.GridWorld([".H.", "GS.", "..."], slip=0.2, hole_reward=-1.0, goal_reward=1.0,
                          step_reward=0.0, max_steps=1, actions="ULDR")
    n = 20_000
    res = fastq.train(env, agents=n, episodes=1, epsilon=0.0, tie_break="first", seed=9)
    counts = np.array([(res.returns[:, 0] == r).sum() for r in (-1.0, 1.0, 0.0)])
    assert counts.sum() == n
    expected = n * np.array([0.8, 0.1, 0.1])
    assert ((counts - expected) ** 2 / expected).sum() < 13.82
