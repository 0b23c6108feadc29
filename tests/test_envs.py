"""The registry: list_envs(), make(), overrides, and exact parity with Gymnasium's tables."""

from fractions import Fraction

import numpy as np
import pytest

import fastq
from fastq import GridWorld, TabularMDP, envs
from fastq.envs import as_mdp

GYM_IDS = {
    "FrozenLake-4x4": "FrozenLake-v1",
    "FrozenLake-8x8": "FrozenLake8x8-v1",
    "CliffWalking": "CliffWalking-v1",
}
FROZEN_LAKES = ["FrozenLake-4x4", "FrozenLake-8x8"]


# ---------------------------------------------------------------------------- registry
ALL = [
    "CliffWalking", "DynaMaze", "FourRooms", "FrozenLake-4x4", "FrozenLake-8x8", "Gridworld-4x4",
    "Gridworld-5x5", "MaxBias", "RandomWalk-19", "RandomWalk-5", "WindyGridworld", "WindyGridworld-Kings",
    "WindyGridworld-Stochastic",
]
MODELS = ["Gridworld-5x5", "MaxBias"]  # built as TabularMDPs
GRIDS = [name for name in ALL if name not in MODELS]


def test_list_envs():
    assert fastq.list_envs() == ALL


@pytest.mark.parametrize("name", GRIDS)
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
                                         r"CliffWalking, DynaMaze, FourRooms, FrozenLake-4x4, FrozenLake-8x8, "
                                         r"Gridworld-4x4, Gridworld-5x5, MaxBias, RandomWalk-19, RandomWalk-5, WindyGridworld, "
                                         r"WindyGridworld-Kings, WindyGridworld-Stochastic$"):
        fastq.make("FrozenLake")


def test_make_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a str, got int"):
        fastq.make(4)


@pytest.mark.parametrize("option", ["slipperiness", "is_slippery", "rows", "actions"])
def test_make_unknown_override(option):
    with pytest.raises(ValueError, match=rf"unknown option '{option}' for make\('FrozenLake-4x4'\); allowed options: "
                                         r"slip, step_reward, goal_reward, hole_reward, cliff_reward, max_steps, "
                                         r"wind, stochastic_wind, cliff, slip_mode$"):
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
    # the caps documented in fastq/envs.py and docs/environments.md
    caps = {"WindyGridworld": 10_000, "WindyGridworld-Kings": 10_000, "WindyGridworld-Stochastic": 10_000,
            "MaxBias": 10, "DynaMaze": 100_000, "Gridworld-4x4": 1_000, "Gridworld-5x5": 200,
            "FourRooms": 100_000, "RandomWalk-5": 10_000, "RandomWalk-19": 10_000}
    for name, cap in caps.items():
        assert fastq.make(name).mdp.max_steps == cap, name


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


def test_cliff_walking_default_is_the_reset_variant():
    assert fastq.make("CliffWalking").cliff == "reset"
    assert fastq.make("CliffWalking") == fastq.make("CliffWalking", cliff="reset")


def test_cliff_walking_terminate_variant():
    env = fastq.make("CliffWalking", cliff="terminate")
    mdp = env.mdp
    assert np.flatnonzero(mdp.terminal).tolist() == list(range(37, 48))  # the cliff and the goal
    assert np.flatnonzero(mdp.goal).tolist() == [47]
    assert fastq_outcomes(mdp, 36, 1) == {(37, -100.0, True): 1.0}  # start, right: off the cliff, ended
    assert fastq_outcomes(mdp, 25, 2) == {(37, -100.0, True): 1.0}  # (2, 1), down
    # every other move is the reset variant's
    reset = fastq.make("CliffWalking").mdp
    into_cliff = {(s, 2) for s in range(25, 35)} | {(36, 1)}
    for s in range(37):
        for a in range(4):
            same = fastq_outcomes(mdp, s, a) == fastq_outcomes(reset, s, a)
            assert same != ((s, a) in into_cliff), (s, a)
    np.testing.assert_array_equal(mdp.start, reset.start)


# ---------------------------------------------------------------------------- the new built-ins
@pytest.mark.parametrize("name", ALL)
def test_every_built_in_works_where_an_env_is_accepted(name):
    env = fastq.make(name)
    mdp = as_mdp(env)
    assert as_mdp(name).shape == mdp.shape and mdp.name == name
    assert 1 <= mdp.max_steps <= 100_000
    sol = fastq.value_iteration(name, gamma=0.9)
    assert sol.converged
    v = fastq.policy_evaluation(env, sol.policy, gamma=0.9)
    np.testing.assert_allclose(v, sol.v, rtol=0, atol=1e-8)
    res = fastq.train(env, "q_learning", agents=2, episodes=2, seed=0, backend="numpy", gamma=0.9)
    assert res.lengths.shape == (2, 2) and (res.lengths <= mdp.max_steps).all()


@pytest.mark.parametrize("name", MODELS)
def test_model_built_ins_are_tabular_mdps_with_their_own_options(name):
    env = fastq.make(name)
    assert isinstance(env, TabularMDP) and env.name == name
    assert envs.options(name) == envs._MODELS[name][1] and "max_steps" in envs.options(name)
    assert fastq.make(name, max_steps=7).max_steps == 7


def test_options_of_every_kind_of_environment():
    assert "slip" in envs.options("FrozenLake-8x8") and "rows" not in envs.options("FrozenLake-8x8")
    assert envs.options(fastq.GridWorld(["SG"])) == envs.options("CliffWalking")
    assert envs.options(fastq.make("MaxBias")) == ()
    with pytest.raises(ValueError, match="unknown environment 'Nowhere'") as info:
        envs.options("Nowhere")
    assert info.value.argument == "env"  # options(env): the argument it was given
    with pytest.raises(TypeError, match="env must be an environment name, a GridWorld or a TabularMDP, got int") as info:
        envs.options(3)
    assert info.value.argument == "env"
    with pytest.raises(ValueError, match="unknown option 'slip' for make\\('MaxBias'\\)") as info:
        fastq.make("MaxBias", slip=0.1)
    assert info.value.argument == "slip"


def test_as_mdp_lives_in_envs_and_the_old_home_warns():
    assert fastq.as_mdp is envs.as_mdp
    assert envs.as_mdp("MaxBias") is fastq.make("MaxBias")
    with pytest.warns(DeprecationWarning, match="fastq.mdp.as_mdp is deprecated"):
        assert fastq.mdp.as_mdp is envs.as_mdp
    with pytest.raises(TypeError, match="env must be an environment name") as info:
        envs.as_mdp(3)
    assert info.value.argument == "env"


def test_action_names_of_the_new_built_ins():
    compass = ("up", "right", "down", "left")
    kings = compass + ("up-right", "down-right", "down-left", "up-left")
    for name in ("WindyGridworld", "DynaMaze", "Gridworld-4x4", "FourRooms"):
        assert fastq.make(name).action_names == compass, name
    assert fastq.make("Gridworld-5x5").action_names == compass
    assert fastq.make("WindyGridworld-Kings").action_names == kings
    assert fastq.make("WindyGridworld-Stochastic").action_names == kings


def test_windy_gridworld_maps():
    env = fastq.make("WindyGridworld")
    assert env.shape == (7, 10) and env.wind == (0, 0, 0, 1, 1, 1, 2, 2, 1, 0)
    assert np.flatnonzero(env.mdp.start).tolist() == [env.state(3, 0)]
    assert np.flatnonzero(env.mdp.goal).tolist() == [env.state(3, 7)]
    assert (env.step_reward, env.goal_reward, env.stochastic_wind) == (-1.0, -1.0, False)
    kings = fastq.make("WindyGridworld-Kings")
    assert kings.rows == env.rows and kings.wind == env.wind and not kings.stochastic_wind
    stochastic = fastq.make("WindyGridworld-Stochastic")
    assert stochastic.rows == env.rows and stochastic.stochastic_wind and stochastic.mdp.shape == (70, 8, 3)
    # the 4-move actions mean the same with king's moves
    np.testing.assert_array_equal(kings.mdp.next_state[:, :4], env.mdp.next_state)
    assert fastq.make("WindyGridworld", stochastic_wind=True).mdp.shape == (70, 4, 3)


def test_dyna_maze_map():
    env = fastq.make("DynaMaze")
    assert env.shape == (6, 9)
    walls = sorted(zip(*np.nonzero(np.array([list(r) for r in env.rows]) == "#")))
    assert [tuple(map(int, w)) for w in walls] == [(0, 7), (1, 2), (1, 7), (2, 2), (2, 7), (3, 2), (4, 5)]
    assert np.flatnonzero(env.mdp.start).tolist() == [env.state(2, 0)]
    assert np.flatnonzero(env.mdp.goal).tolist() == [env.state(0, 8)]
    assert env.mdp.reward_range == (0.0, 1.0)


def test_gridworld_4x4_map():
    env = fastq.make("Gridworld-4x4")
    mdp = env.mdp
    assert np.flatnonzero(mdp.terminal).tolist() == [0, 15]
    np.testing.assert_array_equal(mdp.start, np.where(mdp.terminal, 0.0, 1 / 14))
    assert (mdp.expected_reward[~mdp.terminal] == -1.0).all()


def test_gridworld_5x5_model():
    mdp = fastq.make("Gridworld-5x5")
    assert mdp.shape == (25, 4, 1) and not mdp.terminal.any() and not mdp.goal.any()
    np.testing.assert_array_equal(mdp.start, np.full(25, 1 / 25))
    assert (mdp.next_state[1, :, 0] == 21).all() and (mdp.reward[1, :, 0] == 10.0).all()  # A -> A'
    assert (mdp.next_state[3, :, 0] == 13).all() and (mdp.reward[3, :, 0] == 5.0).all()  # B -> B'
    # off the grid: stay, -1; inside: move, 0 (up, right, down, left from (2, 0))
    assert mdp.next_state[10, :, 0].tolist() == [5, 11, 15, 10]
    assert mdp.reward[10, :, 0].tolist() == [0.0, 0.0, 0.0, -1.0]
    assert fastq.make("Gridworld-5x5", max_steps=7).max_steps == 7


def test_max_bias_model():
    mdp = fastq.make("MaxBias")
    assert mdp.shape == (3, 10, 1)
    assert np.flatnonzero(mdp.terminal).tolist() == [2] and mdp.start.tolist() == [1.0, 0.0, 0.0]
    assert mdp.allowed[0].tolist() == [True, True] + [False] * 8 and mdp.allowed[1].all()
    assert mdp.n_allowed[:2].tolist() == [2, 10]
    assert mdp.next_state[0, envs.MAX_BIAS_RIGHT, 0] == envs.MAX_BIAS_END
    assert mdp.next_state[0, envs.MAX_BIAS_LEFT, 0] == envs.MAX_BIAS_B
    assert (mdp.reward[0, :2] == 0).all()
    assert (mdp.next_state[1, :, 0] == 2).all() and (mdp.reward[1, :, 0] == -0.1).all()
    assert (mdp.reward_std[1] == 1.0).all() and (mdp.reward_std[0] == 0).all()
    assert mdp.action_names == ("right/B0", "left/B1") + tuple(f"B{a}" for a in range(2, 10))
    assert mdp.max_steps == 10


@pytest.mark.parametrize("n", [1, 2, 3, 25])
def test_max_bias_n_actions_b(n):
    mdp = fastq.make("MaxBias", n_actions_b=n)
    assert mdp.shape == (3, max(2, n), 1)
    assert mdp.n_allowed[:2].tolist() == [2, n]
    assert mdp.allowed[1, :n].all() and not mdp.allowed[1, n:].any()
    assert (mdp.reward_std[1, :n] == 1.0).all() and (mdp.reward_std[1, n:] == 0.0).all()
    if n == 1:
        assert mdp.action_names == ("right/B0", "left")


@pytest.mark.parametrize("n, error", [(0, ValueError), (1_000_001, ValueError), (2.0, TypeError), (True, TypeError)])
def test_max_bias_bad_n_actions_b(n, error):
    with pytest.raises(error, match="n_actions_b must be"):
        fastq.make("MaxBias", n_actions_b=n)


@pytest.mark.parametrize(
    "name, option, allowed",
    [("MaxBias", "slip", "n_actions_b, max_steps"), ("Gridworld-5x5", "gamma", "max_steps"),
     ("MaxBias", "n_actions", "n_actions_b, max_steps")],
)
def test_model_built_ins_reject_unknown_options(name, option, allowed):
    with pytest.raises(ValueError, match=rf"unknown option '{option}' for make\('{name}'\); allowed options: {allowed}$"):
        fastq.make(name, **{option: 1})


def test_four_rooms_map():
    env = fastq.make("FourRooms")
    assert env.shape == (11, 11)
    cells = np.array([list(r) for r in env.rows])
    assert (cells != "#").sum() == 104  # the paper's 104 states
    # the four hallways: the only open cells of the dividing walls
    assert cells[:, 5].tolist().count("#") == 9 and cells[2, 5] == "." and cells[9, 5] == "."
    assert "".join(cells[5, :5]) == "#.###" and "".join(cells[6, 6:]) == "##G##"
    assert env.slip == 0 and env.slip_mode == "uniform"
    slippery = fastq.make("FourRooms", slip=Fraction(1, 3))
    probs = sorted(p for p in slippery.mdp.prob[env.state(8, 2), 0] if p > 0)
    assert probs == pytest.approx([1 / 9] * 3 + [2 / 3], rel=1e-15)


@pytest.mark.parametrize("name", fastq.list_envs())
def test_a_default_environment_is_built_once_and_shared_read_only(name):
    env = fastq.make(name)
    assert fastq.make(name) is env  # train("FrozenLake-8x8") does not rebuild it on every call
    mdp = env if isinstance(env, fastq.TabularMDP) else env.mdp
    assert not any(a.flags.writeable for a in (mdp.next_state, mdp.prob, mdp.reward, mdp.terminal))
    with pytest.raises(ValueError):
        mdp.reward[0, 0, 0] = 1.0
    assert fastq.make(name, max_steps=7) is not env  # overrides build a new one
