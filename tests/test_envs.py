"""The registry: list_envs(), make(), overrides, and exact parity with Gymnasium's tables."""

from fractions import Fraction

import numpy as np
import pytest

import fastq
from fastq import GridWorld

GYM_IDS = {
    "FrozenLake-4x4": "FrozenLake-v1",
    "FrozenLake-8x8": "FrozenLake8x8-v1",
    "CliffWalking": "CliffWalking-v1",
}
FROZEN_LAKES = ["FrozenLake-4x4", "FrozenLake-8x8"]


# ---------------------------------------------------------------------------- registry
def test_list_envs():
    assert fastq.list_envs() == ["CliffWalking", "FrozenLake-4x4", "FrozenLake-8x8"]


@pytest.mark.parametrize("name", ["CliffWalking", "FrozenLake-4x4", "FrozenLake-8x8"])
def test_make_returns_a_named_grid_world(name):
    env = fastq.make(name)
    assert isinstance(env, GridWorld)
    assert env.name == name and env.mdp.name == name
    assert fastq.make(name) == env


def test_make_shapes():
    assert fastq.make("FrozenLake-4x4").mdp.shape == (16, 4, 3)
    assert fastq.make("FrozenLake-8x8").mdp.shape == (64, 4, 3)
    assert fastq.make("CliffWalking").mdp.shape == (48, 4, 1)
    assert fastq.make("FrozenLake-4x4").slip == Fraction(2, 3)


def test_make_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown environment 'FrozenLake'; known environments: "
                                         r"CliffWalking, FrozenLake-4x4, FrozenLake-8x8"):
        fastq.make("FrozenLake")


def test_make_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a str, got int"):
        fastq.make(4)


@pytest.mark.parametrize("option", ["slipperiness", "is_slippery", "rows", "actions"])
def test_make_unknown_override(option):
    with pytest.raises(ValueError, match=rf"unknown option '{option}' for make\('FrozenLake-4x4'\); allowed options: "
                                         r"slip, step_reward, goal_reward, hole_reward, cliff_reward, max_steps"):
        fastq.make("FrozenLake-4x4", **{option: 0})


def test_make_override_slip():
    env = fastq.make("FrozenLake-4x4", slip=0)
    assert env.slip == 0
    assert env.mdp.n_outcomes == 1
    assert env.rows == fastq.make("FrozenLake-4x4").rows
    assert fastq.make("FrozenLake-8x8", slip=0.0).mdp.shape == (64, 4, 1)


def test_make_override_max_steps_and_rewards():
    env = fastq.make("FrozenLake-8x8", max_steps=50, step_reward=-0.01)
    assert env.max_steps == 50 and env.mdp.max_steps == 50
    assert env.mdp.reward[0, 1, :].tolist().count(-0.01) == 3  # three slip outcomes, all free cells
    cliff = fastq.make("CliffWalking", cliff_reward=-10.0)
    assert cliff.mdp.reward[36, 1, 0] == -10.0


def test_make_overrides_are_validated():
    with pytest.raises(ValueError, match="slip must be in the range"):
        fastq.make("FrozenLake-4x4", slip=1.5)
    with pytest.raises(ValueError, match="max_steps must be in the range"):
        fastq.make("CliffWalking", max_steps=0)


def test_max_steps_of_built_ins():
    assert fastq.make("FrozenLake-4x4").max_steps == 100
    assert fastq.make("FrozenLake-8x8").max_steps == 200
    assert fastq.make("CliffWalking").max_steps == 10_000


def test_action_names():
    assert fastq.make("FrozenLake-4x4").action_names == ("left", "down", "right", "up")
    assert fastq.make("FrozenLake-8x8").mdp.action_names == ("left", "down", "right", "up")
    assert fastq.make("CliffWalking").action_names == ("up", "right", "down", "left")
    assert fastq.make("CliffWalking").mdp.action_names == ("up", "right", "down", "left")


# ---------------------------------------------------------------------------- Gymnasium parity
def gym_env(gym_id, **kwargs):
    gymnasium = pytest.importorskip("gymnasium")
    env = gymnasium.make(gym_id, **kwargs)
    return env.unwrapped


def gym_outcomes(P, s, a):
    """Gymnasium's list of (prob, next, reward, terminated) aggregated by (next, reward, terminated)."""
    out = {}
    for p, nxt, r, terminated in P[s][a]:
        if p == 0:
            continue
        key = (int(nxt), float(r), bool(terminated))
        out[key] = out.get(key, 0.0) + float(p)
    return out


def fastq_outcomes(mdp, s, a):
    out = {}
    for k in range(mdp.n_outcomes):
        p = float(mdp.prob[s, a, k])
        if p == 0:
            continue
        nxt = int(mdp.next_state[s, a, k])
        key = (nxt, float(mdp.reward[s, a, k]), bool(mdp.terminal[nxt]))
        assert key not in out, f"fastq outcome {key} of ({s}, {a}) is not merged"
        out[key] = p
    return out


def assert_tables_equal(mdp, gym, states):
    assert mdp.n_states == gym.observation_space.n
    assert mdp.n_actions == gym.action_space.n
    for s in states:
        for a in range(mdp.n_actions):
            # exact: probabilities compared with ==
            assert fastq_outcomes(mdp, s, a) == gym_outcomes(gym.P, s, a), (s, a)


@pytest.mark.parametrize("name", list(GYM_IDS))
def test_transition_tables_equal_gymnasium(name):
    gym = gym_env(GYM_IDS[name])
    mdp = fastq.make(name).mdp
    assert_tables_equal(mdp, gym, np.flatnonzero(~mdp.terminal))


@pytest.mark.parametrize("name", FROZEN_LAKES)
def test_frozen_lake_terminal_rows_equal_gymnasium(name):
    gym = gym_env(GYM_IDS[name])
    mdp = fastq.make(name).mdp
    terminal = np.flatnonzero(mdp.terminal)
    expected = [s for s in range(mdp.n_states) if gym.desc.ravel()[s] in (b"G", b"H")]
    assert terminal.tolist() == expected
    assert_tables_equal(mdp, gym, terminal)
    for s in terminal:
        for a in range(4):
            assert fastq_outcomes(mdp, s, a) == {(int(s), 0.0, True): 1.0}


@pytest.mark.parametrize("name", FROZEN_LAKES)
def test_frozen_lake_goal_is_the_rewarded_terminal(name):
    gym = gym_env(GYM_IDS[name])
    mdp = fastq.make(name).mdp
    assert np.flatnonzero(mdp.goal).tolist() == [s for s in range(mdp.n_states) if gym.desc.ravel()[s] == b"G"]


def test_cliff_walking_terminal_and_goal():
    mdp = fastq.make("CliffWalking").mdp
    assert np.flatnonzero(mdp.terminal).tolist() == [47]
    assert np.flatnonzero(mdp.goal).tolist() == [47]


@pytest.mark.parametrize("name", list(GYM_IDS))
def test_start_distribution_equals_gymnasium(name):
    gym = gym_env(GYM_IDS[name])
    mdp = fastq.make(name).mdp
    assert mdp.start.shape == gym.initial_state_distrib.shape
    assert (mdp.start == gym.initial_state_distrib).all()


@pytest.mark.parametrize("name", FROZEN_LAKES)
def test_max_steps_equals_gymnasium_time_limit(name):
    gymnasium = pytest.importorskip("gymnasium")
    assert fastq.make(name).max_steps == gymnasium.spec(GYM_IDS[name]).max_episode_steps


def test_cliff_walking_has_no_gymnasium_time_limit():
    gymnasium = pytest.importorskip("gymnasium")
    # Gymnasium sets none; fastq's documented cap makes every episode finite
    assert gymnasium.spec("CliffWalking-v1").max_episode_steps is None
    assert fastq.make("CliffWalking").max_steps == 10_000


@pytest.mark.parametrize("name", FROZEN_LAKES)
def test_non_slippery_frozen_lake_equals_gymnasium(name):
    gym = gym_env(GYM_IDS[name], is_slippery=False)
    mdp = fastq.make(name, slip=0).mdp
    assert mdp.n_outcomes == 1
    assert_tables_equal(mdp, gym, range(mdp.n_states))
    assert (mdp.start == gym.initial_state_distrib).all()


def test_gymnasium_action_order():
    pytest.importorskip("gymnasium")
    from gymnasium.envs.toy_text import cliffwalking, frozen_lake

    lake = fastq.make("FrozenLake-4x4")
    for name in ("LEFT", "DOWN", "RIGHT", "UP"):
        assert lake.action_names[getattr(frozen_lake, name)] == name.lower()
    cliff = fastq.make("CliffWalking")
    for name in ("UP", "RIGHT", "DOWN", "LEFT"):
        assert cliff.action_names[getattr(cliffwalking, name)] == name.lower()
