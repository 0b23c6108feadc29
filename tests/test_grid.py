"""GridWorld: the dynamics of each cell kind, slip, action order, defaults, rendering, bad maps."""

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

import fastq
from fastq import GridWorld, TabularMDP
from fastq.rng import MAX_STEPS_LIMIT

L, D, R, U = 0, 1, 2, 3  # default action order "LDRU"

OPEN = (
    ".....",
    ".....",
    "..S..",
    ".....",
    "....G",
)
CENTER = 12  # (2, 2)


def outcomes(mdp, s, a):
    """{(next_state, reward): probability} over the outcomes with positive probability."""
    out = {}
    for k in range(mdp.n_outcomes):
        p = mdp.prob[s, a, k]
        if p > 0:
            key = (int(mdp.next_state[s, a, k]), float(mdp.reward[s, a, k]))
            assert key not in out, f"outcome {key} of ({s}, {a}) is not merged"
            out[key] = float(p)
    return out


# ---------------------------------------------------------------------------- basic structure
def test_states_are_cells_in_row_major_order():
    env = GridWorld(OPEN)
    assert env.shape == (5, 5)
    assert env.n_states == 25
    assert env.state(2, 3) == 13
    assert env.cell(13) == (2, 3)
    assert env.mdp.shape == (25, 4, 1)
    assert env.action_names == ("left", "down", "right", "up")
    assert env.mdp.action_names == env.action_names


def test_mdp_is_a_cached_tabular_mdp():
    env = GridWorld(OPEN, name="open")
    assert isinstance(env.mdp, TabularMDP)
    assert env.mdp is env.mdp
    assert env.mdp.name == "open"


def test_deterministic_moves():
    env = GridWorld(OPEN, step_reward=-1.0)
    expected = {L: 11, D: 17, R: 13, U: 7}
    for a, nxt in expected.items():
        assert outcomes(env.mdp, CENTER, a) == {(nxt, -1.0): 1.0}


def test_free_cells_dot_and_f_are_the_same():
    assert GridWorld(["S..", "..G"]).mdp.reward.tolist() == GridWorld(["SFF", "F.G"]).mdp.reward.tolist()
    np.testing.assert_array_equal(GridWorld(["S..", "..G"]).mdp.next_state, GridWorld(["SFF", "F.G"]).mdp.next_state)


def test_wall_keeps_agent_in_place():
    env = GridWorld(["S#.", "..G"], step_reward=-1.0)
    assert outcomes(env.mdp, 0, R) == {(0, -1.0): 1.0}
    assert outcomes(env.mdp, 4, U) == {(4, -1.0): 1.0}  # (1, 1) up into the wall at (0, 1)
    assert outcomes(env.mdp, 2, L) == {(2, -1.0): 1.0}  # (0, 2) left into the wall


def test_edge_keeps_agent_in_place():
    env = GridWorld(["S.", ".G"], step_reward=-0.5)
    assert outcomes(env.mdp, 0, L) == {(0, -0.5): 1.0}
    assert outcomes(env.mdp, 0, U) == {(0, -0.5): 1.0}
    assert outcomes(env.mdp, 1, R) == {(1, -0.5): 1.0}
    assert outcomes(env.mdp, 2, D) == {(2, -0.5): 1.0}


def test_goal_and_hole_are_terminal_with_their_rewards():
    env = GridWorld(["S.G", ".H."], step_reward=-1.0, goal_reward=10.0, hole_reward=-5.0)
    mdp = env.mdp
    np.testing.assert_array_equal(mdp.terminal, [False, False, True, False, True, False])
    np.testing.assert_array_equal(mdp.goal, [False, False, True, False, False, False])
    # the entered cell's reward replaces the step reward
    assert outcomes(mdp, 1, R) == {(2, 10.0): 1.0}
    assert outcomes(mdp, 1, D) == {(4, -5.0): 1.0}
    assert outcomes(mdp, 5, U) == {(2, 10.0): 1.0}
    # terminal rows are absorbing self-loops with reward 0
    for s in (2, 4):
        for a in range(4):
            assert outcomes(mdp, s, a) == {(s, 0.0): 1.0}


def test_cliff_sends_back_to_start_and_is_not_terminal():
    env = GridWorld(["...", "SCG"], step_reward=-1.0, cliff_reward=-50.0)
    mdp = env.mdp
    np.testing.assert_array_equal(mdp.terminal, [False, False, False, False, False, True])
    assert outcomes(mdp, 3, R) == {(3, -50.0): 1.0}
    assert outcomes(mdp, 1, D) == {(3, -50.0): 1.0}
    assert outcomes(mdp, 2, D) == {(5, 1.0): 1.0}  # default goal_reward


def test_cliff_with_several_starts_spreads_over_them():
    env = GridWorld(["S..", "SCG"], cliff_reward=-100.0)
    np.testing.assert_array_equal(env.mdp.start, [0.5, 0, 0, 0.5, 0, 0])
    assert outcomes(env.mdp, 3, R) == {(0, -100.0): 0.5, (3, -100.0): 0.5}


def test_start_distribution_uniform_over_start_cells():
    env = GridWorld(["S.S", "..G", "S.."])
    expected = np.zeros(9)
    expected[[0, 2, 6]] = 1 / 3
    np.testing.assert_array_equal(env.mdp.start, expected)
    single = GridWorld(OPEN)
    assert single.mdp.start[CENTER] == 1.0 and single.mdp.start.sum() == 1.0


# ---------------------------------------------------------------------------- slip
def test_slip_splits_the_mass_exactly():
    env = GridWorld(OPEN, slip=0.2, step_reward=-1.0)
    mdp = env.mdp
    assert mdp.shape == (25, 4, 3)
    p_side = (1.0 - 0.8) / 2.0  # Gymnasium's fail_rate formula: 0.09999999999999998
    assert p_side == pytest.approx(0.1, rel=1e-15)
    perpendicular = {L: (17, 7), D: (13, 11), R: (7, 17), U: (11, 13)}
    intended = {L: 11, D: 17, R: 13, U: 7}
    for a in range(4):
        side_a, side_b = perpendicular[a]
        assert outcomes(mdp, CENTER, a) == {
            (intended[a], -1.0): 0.8,
            (side_a, -1.0): p_side,
            (side_b, -1.0): p_side,
        }
        # the intended move comes first
        assert mdp.next_state[CENTER, a, 0] == intended[a]
        assert mdp.prob[CENTER, a, 0] == 0.8


def test_slip_as_fraction():
    env = GridWorld(OPEN, slip=Fraction(1, 2))
    assert outcomes(env.mdp, CENTER, L) == {(11, 0.0): 0.5, (7, 0.0): 0.25, (17, 0.0): 0.25}
    lake = GridWorld(OPEN, slip=Fraction(2, 3))
    assert lake.mdp.prob[CENTER, L, 0] == 1.0 / 3.0


def test_slip_one_never_takes_the_intended_move():
    env = GridWorld(OPEN, slip=1)
    assert outcomes(env.mdp, CENTER, L) == {(7, 0.0): 0.5, (17, 0.0): 0.5}


def test_slip_zero_is_deterministic():
    assert GridWorld(OPEN, slip=0).mdp.n_outcomes == 1
    assert GridWorld(OPEN, slip=0.0).mdp.n_outcomes == 1


def test_outcomes_landing_in_the_same_cell_are_merged():
    env = GridWorld(["S...", "....", "...G"], slip=0.2)
    mdp = env.mdp
    p_side = (1.0 - 0.8) / 2.0
    # top-left corner, left: the intended move and the slip up both leave the agent in place
    out = outcomes(mdp, 0, L)
    assert set(out) == {(0, 0.0), (4, 0.0)}
    assert out[(0, 0.0)] == pytest.approx(0.9, rel=1e-15)
    assert out[(4, 0.0)] == p_side
    # the padding outcome has probability 0 and a valid state index
    assert (mdp.prob[0, L] > 0).sum() == 2
    pad = np.flatnonzero(mdp.prob[0, L] == 0)
    assert pad.size == 1 and 0 <= mdp.next_state[0, L, pad[0]] < 12
    assert mdp.cum_prob[0, L, -1] == 1.0


def test_same_state_with_different_rewards_is_not_merged():
    # from the start, up: the intended move (edge) and the slip left (edge) keep the agent at the
    # start with the step reward; the slip right falls off the cliff, back to the start
    env = GridWorld(["SCG", "..."], slip=0.2, step_reward=-1.0, cliff_reward=-100.0)
    out = outcomes(env.mdp, 0, U)
    assert set(out) == {(0, -1.0), (0, -100.0)}
    assert out[(0, -1.0)] == pytest.approx(0.9, rel=1e-15)
    assert out[(0, -100.0)] == (1.0 - 0.8) / 2.0


def test_rows_sum_to_one_on_slippery_maps():
    env = GridWorld(["S...", ".H#.", "C..G"], slip=0.3)
    np.testing.assert_allclose(env.mdp.prob.sum(axis=2), 1.0, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------- action order
def test_actions_string_sets_action_order():
    env = GridWorld(OPEN, actions="URDL")
    assert env.action_names == ("up", "right", "down", "left")
    assert env.mdp.action_names == ("up", "right", "down", "left")
    for a, nxt in enumerate([7, 13, 17, 11]):
        assert outcomes(env.mdp, CENTER, a) == {(nxt, 0.0): 1.0}


def test_subset_of_actions():
    env = GridWorld(["S.G"], actions="RL")
    assert env.mdp.n_actions == 2
    assert env.action_names == ("right", "left")
    assert outcomes(env.mdp, 1, 0) == {(2, 1.0): 1.0}
    assert outcomes(env.mdp, 1, 1) == {(0, 0.0): 1.0}


def test_slip_follows_the_move_not_the_action_index():
    a = GridWorld(OPEN, slip=0.2).mdp
    b = GridWorld(OPEN, slip=0.2, actions="URDL").mdp
    for move_ldru, move_urdl in [(L, 3), (D, 2), (R, 1), (U, 0)]:
        assert outcomes(a, CENTER, move_ldru) == outcomes(b, CENTER, move_urdl)


# ---------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    "rows, expected",
    [(["SG"], 100), (OPEN, 100), (["S...."] + ["....."] * 4 + ["....G"], 120), (["S" + "." * 9] * 9 + ["." * 9 + "G"], 400)],
)
def test_max_steps_default(rows, expected):
    env = GridWorld(rows)
    assert env.max_steps == expected
    assert env.mdp.max_steps == expected


def test_max_steps_explicit():
    env = GridWorld(OPEN, max_steps=7)
    assert env.max_steps == 7 and env.mdp.max_steps == 7


@pytest.mark.parametrize("max_steps", [0, MAX_STEPS_LIMIT + 1])
def test_max_steps_out_of_range(max_steps):
    with pytest.raises(ValueError, match=f"max_steps must be in the range 1 <= value <= {MAX_STEPS_LIMIT}"):
        GridWorld(OPEN, max_steps=max_steps)


def test_rows_as_multiline_string():
    env = GridWorld("\nS.\n.G\n")
    assert env.rows == ("S.", ".G")
    assert env == GridWorld(["S.", ".G"])


def test_is_frozen():
    env = GridWorld(OPEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        env.slip = 0.5


def test_replace():
    env = GridWorld(OPEN, slip=0.2, step_reward=-1.0, max_steps=50, name="x")
    dry = env.replace(slip=0.0)
    assert dry.slip == 0.0 and env.slip == 0.2
    assert (dry.rows, dry.step_reward, dry.max_steps, dry.name) == (OPEN, -1.0, 50, "x")
    assert dry.mdp.n_outcomes == 1 and env.mdp.n_outcomes == 3
    assert dry == GridWorld(OPEN, step_reward=-1.0, max_steps=50, name="x")
    with pytest.raises(ValueError, match="slip must be in the range"):
        env.replace(slip=2.0)


def test_replace_rows_recomputes_default_max_steps():
    big = ["S" + "." * 9] * 9 + ["." * 9 + "G"]
    assert GridWorld(["SG"]).replace(rows=big).max_steps == GridWorld(big).max_steps == 400


def test_numpy_float32_slip():
    env = GridWorld(OPEN, slip=np.float32(0.25))
    assert env.mdp.prob[CENTER, L, 0] == 0.75


# ---------------------------------------------------------------------------- rendering
def test_render_map():
    assert GridWorld(["S..#", "HC.G"]).render() == "S..#\nHC.G"
    assert GridWorld(["SF", "FG"]).render() == "SF\nFG"


def test_render_policy_arrows():
    env = GridWorld(["S.#", "H.G", "C.."])
    policy = [0, 1, 2, 3, 3, 0, 1, 2, 1]
    # arrows on start and free cells only; walls, holes, goals and cliffs keep their letter
    assert env.render(policy) == "\u2190\u2193#\nH\u2191G\nC\u2192\u2193"
    assert env.render(np.array(policy, dtype=np.int32)) == env.render(policy)


def test_render_policy_follows_action_order():
    env = GridWorld(["S.G"], actions="URDL")
    assert env.render([0, 1, 3]) == "\u2191\u2192G"
    assert env.render([2, 3, 0]) == "\u2193\u2190G"


def test_render_rejects_bad_policies():
    env = GridWorld(["S.G"])
    with pytest.raises(ValueError, match=r"policy must have shape \(3,\) or \(agents, 3\), got shape \(2,\)"):
        env.render([0, 1])
    with pytest.raises(TypeError, match=r"policy must be an array of integer actions, got dtype float64"):
        env.render([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"policy must hold actions in \[0, 4\), got 4 at index 2"):
        env.render([0, 1, 4])
    with pytest.raises(ValueError, match=r"policy must have shape \(3,\), got shape \(2, 3\)"):
        env.render([[0, 1, 2], [0, 1, 2]])


# ---------------------------------------------------------------------------- bad maps
def test_rows_not_rectangular():
    with pytest.raises(ValueError, match="rows must form a rectangle: row 0 has 3 cells but row 2 has 2"):
        GridWorld(["S..", "...", ".G"])


def test_unknown_cell():
    with pytest.raises(ValueError, match=r"rows: unknown cell 'X' at row 1, column 2; allowed cells are"):
        GridWorld(["S..", "..X", "..G"])


def test_no_start():
    with pytest.raises(ValueError, match="rows: the map needs at least one start cell 'S'"):
        GridWorld(["...", "..G"])


def test_no_goal():
    with pytest.raises(ValueError, match="rows: the map needs at least one goal cell 'G'"):
        GridWorld(["S..", "..H"])


def test_empty_map():
    with pytest.raises(ValueError, match="rows must describe a non-empty map"):
        GridWorld([])
    with pytest.raises(ValueError, match="rows must describe a non-empty map"):
        GridWorld([""])


@pytest.mark.parametrize(
    "rows, row, col",
    [
        (["S#G"], 0, 0),
        (["SHG"], 0, 0),  # holes end the episode
        (["SCG"], 0, 0),  # cliffs send back to the start
        (["S.G", "##.", "S#."], 2, 0),  # the second start is walled in
    ],
)
def test_goal_unreachable(rows, row, col):
    with pytest.raises(ValueError, match=rf"rows: no goal can be reached from the start cell at row {row}, column {col}"):
        GridWorld(rows)


def test_goal_reachable_around_obstacles():
    # The only way round the wall is the long one: 6 moves, down, down, right, right, up, up.
    env = GridWorld(["S#G", ".#.", "..."], step_reward=-1.0, goal_reward=-1.0)
    solution = fastq.value_iteration(env, gamma=1.0)
    assert solution.v[0] == -6.0


@pytest.mark.parametrize("slip", [-0.1, 1.1, float("nan"), float("inf"), Fraction(3, 2)])
def test_slip_out_of_range(slip):
    with pytest.raises(ValueError, match="slip must be in the range 0 <= value <= 1"):
        GridWorld(OPEN, slip=slip)


@pytest.mark.parametrize("slip", ["abc", None, True])
def test_slip_not_a_number(slip):
    with pytest.raises(TypeError, match="slip must be a real number"):
        GridWorld(OPEN, slip=slip)


@pytest.mark.parametrize("actions", ["LDRX", "LLDR", "", "ldru"])
def test_bad_actions(actions):
    with pytest.raises(ValueError, match="actions must be a string of distinct moves from 'LDRUQEZC'"):
        GridWorld(OPEN, actions=actions)


@pytest.mark.parametrize("actions", [4, ["L", "D"]])
def test_actions_not_a_string(actions):
    with pytest.raises(TypeError, match="actions must be a string of moves from 'LDRUQEZC'"):
        GridWorld(OPEN, actions=actions)


def test_reachability_follows_slips():
    # Only "right" exists, but slipping moves down: the goal below is reachable.
    env = GridWorld(["S", "G"], actions="R", slip=0.5)
    # right and up hit the edge (0.5 + 0.25, merged), down reaches the goal (0.25)
    assert env.mdp.prob[0, 0].tolist() == [0.75, 0.25]
    assert env.mdp.next_state[0, 0].tolist() == [0, 1]
    # slip = 1: the intended move never happens, so "left/right" on a corridor go nowhere.
    with pytest.raises(ValueError, match="no goal can be reached from the start cell at row 0, column 0"):
        GridWorld(["S.G"], actions="RL", slip=1)


@pytest.mark.parametrize("rows", [[1, 2], 42, [["S", "G"]], ["S.", None]])
def test_rows_not_strings(rows):
    with pytest.raises(TypeError, match="rows must be a list of strings"):
        GridWorld(rows)


@pytest.mark.parametrize("option", ["step_reward", "goal_reward", "hole_reward", "cliff_reward"])
def test_rewards_must_be_finite_numbers(option):
    with pytest.raises(ValueError, match=f"{option} must be finite"):
        GridWorld(OPEN, **{option: float("nan")})
    with pytest.raises(TypeError, match=f"{option} must be a real number"):
        GridWorld(OPEN, **{option: "1"})


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a str, got int"):
        GridWorld(OPEN, name=1)


def test_options_rebuild_the_grid_exactly():
    env = fastq.make("FrozenLake-8x8")
    again = GridWorld(**env.options())
    assert again == env
    np.testing.assert_array_equal(again.mdp.prob, env.mdp.prob)
    assert GridWorld(OPEN, slip="1/5").slip == Fraction(1, 5)


def test_slip_fraction_string_with_zero_denominator():
    with pytest.raises(TypeError, match="slip must be a real number or a fraction such as '2/3'"):
        GridWorld(OPEN, slip="1/0")


def test_reachability_scales_to_many_start_cells():
    # 100 x 100 free map full of start cells: one backward search, not one per start.
    rows = ["S" * 100] * 99 + ["S" * 99 + "G"]
    env = GridWorld(rows)
    assert env.mdp.start.max() == 1 / 9999


# ---------------------------------------------------------------------------- king's moves
KINGS_ORDER = "LDRUQEZC"  # fastq.grid.KINGS
UL, UR, DL, DR = 4, 5, 6, 7  # the diagonals in that order


def test_kings_constants():
    assert fastq.grid.KINGS == KINGS_ORDER and fastq.grid.COMPASS == "LDRU"
    env = GridWorld(OPEN, actions=KINGS_ORDER)
    assert env.action_names == ("left", "down", "right", "up", "up-left", "up-right", "down-left", "down-right")
    assert env.mdp.shape == (25, 8, 1)


def test_diagonal_moves():
    env = GridWorld(OPEN, actions=KINGS_ORDER, step_reward=-1.0)
    expected = {L: 11, D: 17, R: 13, U: 7, UL: 6, UR: 8, DL: 16, DR: 18}
    for a, nxt in expected.items():
        assert outcomes(env.mdp, CENTER, a) == {(nxt, -1.0): 1.0}


def test_diagonal_into_edge_or_wall_stays_in_place():
    env = GridWorld(["S.#", "...", "..G"], actions="QECZ")
    # from (0, 0): up-left and up-right leave the map (no sliding along the edge)
    assert outcomes(env.mdp, 0, 0) == {(0, 0.0): 1.0}
    assert outcomes(env.mdp, 0, 1) == {(0, 0.0): 1.0}
    # from (1, 1): up-right is the wall at (0, 2); down-right the goal
    assert outcomes(env.mdp, 4, 1) == {(4, 0.0): 1.0}
    assert outcomes(env.mdp, 4, 2) == {(8, 1.0): 1.0}


def test_diagonal_slip_goes_to_the_diagonals_at_right_angles():
    env = GridWorld(OPEN, actions=KINGS_ORDER, slip=0.2)
    # up-right (-1, +1): clockwise on the map is down-right, counter-clockwise up-left
    assert outcomes(env.mdp, CENTER, UR) == {(8, 0.0): 0.8, (18, 0.0): (1 - 0.8) / 2, (6, 0.0): (1 - 0.8) / 2}
    assert env.mdp.next_state[CENTER, UR].tolist() == [8, 18, 6]


def test_render_diagonal_arrows():
    env = GridWorld(["S.G"], actions=KINGS_ORDER)
    assert env.render([4, 7, 0]) == "\u2196\u2198G"
    assert env.render([5, 6, 0]) == "\u2197\u2199G"


# ---------------------------------------------------------------------------- uniform slip
def test_uniform_slip_spreads_over_the_other_actions():
    env = GridWorld(OPEN, slip=Fraction(1, 3), slip_mode="uniform")
    out = outcomes(env.mdp, CENTER, L)
    # Sutton, Precup & Singh (1999): 2/3 intended, 1/9 to each of the other three moves
    assert out == {(11, 0.0): 2 / 3, (17, 0.0): pytest.approx(1 / 9, rel=1e-15),
                   (13, 0.0): pytest.approx(1 / 9, rel=1e-15), (7, 0.0): pytest.approx(1 / 9, rel=1e-15)}
    # intended first, then the others in action order
    assert env.mdp.next_state[CENTER, L].tolist() == [11, 17, 13, 7]
    np.testing.assert_allclose(env.mdp.prob.sum(axis=2), 1.0, rtol=0, atol=1e-15)


def test_uniform_slip_over_a_subset_and_kings():
    env = GridWorld(["S...G"], slip=0.5, slip_mode="uniform", actions="RL")
    assert outcomes(env.mdp, 2, 0) == {(3, 0.0): 0.5, (1, 0.0): 0.5}
    kings = GridWorld(OPEN, slip=0.7, slip_mode="uniform", actions=KINGS_ORDER)
    out = outcomes(kings.mdp, CENTER, UR)
    assert len(out) == 8 and out[(8, 0.0)] == pytest.approx(0.3, rel=1e-15)
    assert all(p == pytest.approx(0.1, rel=1e-14) for key, p in out.items() if key != (8, 0.0))


def test_uniform_slip_merges_at_edges():
    env = GridWorld(["S.", ".G"], slip=Fraction(1, 3), slip_mode="uniform")
    # top-left corner, up: the intended move, left (1/9) and up all stay
    out = outcomes(env.mdp, 0, U)
    assert out[(0, 0.0)] == pytest.approx(2 / 3 + 1 / 9, rel=1e-15)
    assert out[(2, 0.0)] == pytest.approx(1 / 9, rel=1e-15) and out[(1, 0.0)] == pytest.approx(1 / 9, rel=1e-15)


def test_uniform_slip_needs_two_actions():
    with pytest.raises(ValueError, match=r"slip_mode='uniform' spreads the slip over the other actions, but actions='R'"):
        GridWorld(["SG"], actions="R", slip=0.1, slip_mode="uniform")
    assert GridWorld(["SG"], actions="R", slip_mode="uniform").mdp.n_outcomes == 1  # no slip: fine


@pytest.mark.parametrize("mode", ["sides", "", None, 1])
def test_bad_slip_mode(mode):
    with pytest.raises(ValueError, match=r"slip_mode must be one of 'perpendicular', 'uniform', got"):
        GridWorld(OPEN, slip_mode=mode)


# ---------------------------------------------------------------------------- wind
WINDY = (
    ".....",
    ".....",
    ".....",
    "S...G",
)


def test_wind_pushes_up_by_the_column_being_left():
    env = GridWorld(WINDY, wind=[0, 1, 2, 0, 0], step_reward=-1.0)
    m = env.mdp
    # from (3, 0) (no wind) right into column 1: the wind of column 0 counts, none
    assert outcomes(m, env.state(3, 0), R) == {(env.state(3, 1), -1.0): 1.0}
    # from (3, 1) (wind 1) right into column 2 (wind 2): pushed 1 up, into column 2
    assert outcomes(m, env.state(3, 1), R) == {(env.state(2, 2), -1.0): 1.0}
    # from (3, 2) (wind 2) left: two up in column 1
    assert outcomes(m, env.state(3, 2), L) == {(env.state(1, 1), -1.0): 1.0}
    # from (3, 2) down (blocked by the edge), then two up
    assert outcomes(m, env.state(3, 2), D) == {(env.state(1, 2), -1.0): 1.0}
    # from (2, 2) up: one for the move, two for the wind
    assert outcomes(m, env.state(2, 2), U) == {(env.state(0, 2), -1.0): 1.0}


def test_wind_stops_at_the_top_edge_and_under_walls():
    env = GridWorld(["..#..", ".....", "S...G"], wind=[3, 0, 3, 0, 0])
    assert outcomes(env.mdp, env.state(2, 0), U) == {(env.state(0, 0), 0.0): 1.0}  # edge
    # leaving column 0 to the right into column 1: the wind of column 0 (3) blows in column 1
    assert outcomes(env.mdp, env.state(2, 0), R) == {(env.state(0, 1), 0.0): 1.0}
    # in column 2 the wall at (0, 2) stops the wind at row 1
    assert outcomes(env.mdp, env.state(2, 2), U) == {(env.state(1, 2), 0.0): 1.0}
    assert outcomes(env.mdp, env.state(2, 1), R) == {(env.state(2, 2), 0.0): 1.0}  # no wind in column 1


def test_only_the_final_cell_counts():
    # right from (2, 1) to (2, 2); the wind of column 1 (2) carries the agent over the hole at
    # (1, 2) into the goal at (0, 2): only the goal counts
    env = GridWorld(["..G", "..H", "S.."], wind=[0, 2, 0], hole_reward=-5.0)
    assert outcomes(env.mdp, env.state(2, 1), R) == {(env.state(0, 2), 1.0): 1.0}
    # the move enters the goal, the wind blows the agent out of it: no success
    env = GridWorld(["...", "SG.", "..."], wind=[1, 0, 0], step_reward=-1.0)
    assert outcomes(env.mdp, env.state(1, 0), R) == {(env.state(0, 1), -1.0): 1.0}
    assert not env.mdp.terminal[env.state(0, 1)]


def test_stochastic_wind_varies_by_one_where_it_blows():
    env = GridWorld(WINDY, wind=[0, 1, 2, 0, 0], stochastic_wind=True)
    m = env.mdp
    third = 1.0 / 3.0
    # column 2 (wind 2): 2, 3 or 1 cells up after moving left into column 1
    assert outcomes(m, env.state(3, 2), L) == {(env.state(1, 1), 0.0): third, (env.state(0, 1), 0.0): third,
                                               (env.state(2, 1), 0.0): third}
    assert m.next_state[env.state(3, 2), L].tolist() == [env.state(1, 1), env.state(0, 1), env.state(2, 1)]
    # column 1 (wind 1): 1, 2 or 0
    assert outcomes(m, env.state(3, 1), U) == {(env.state(1, 1), 0.0): third, (env.state(0, 1), 0.0): third,
                                               (env.state(2, 1), 0.0): third}
    # column 0 (no wind): deterministic
    assert outcomes(m, env.state(3, 0), R) == {(env.state(3, 1), 0.0): 1.0}
    # near the top, the three winds all end at the edge: one merged outcome
    assert outcomes(m, env.state(1, 2), R) == {(env.state(0, 3), 0.0): pytest.approx(1.0, abs=1e-15)}
    np.testing.assert_allclose(m.prob.sum(axis=2), 1.0, rtol=0, atol=1e-15)


def test_stochastic_wind_with_slip_multiplies():
    env = GridWorld(WINDY, wind=[0, 0, 2, 0, 0], stochastic_wind=True, slip=0.2)
    out = outcomes(env.mdp, env.state(3, 2), U)
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-15)
    # intended up, then wind 2: row 0 (3 - 1 - 2), also for wind 3 (edge); wind 1: row 1
    assert out[(env.state(0, 2), 0.0)] == pytest.approx(0.8 * 2 / 3, rel=1e-15)
    assert out[(env.state(1, 2), 0.0)] == pytest.approx(0.8 / 3, rel=1e-15)


def test_reachability_accounts_for_wind():
    # the goal above the start is reachable only by the wind: "right" is blocked by the edge
    env = GridWorld(["G", "S"], actions="R", wind=[1])
    assert outcomes(env.mdp, 1, 0) == {(0, 1.0): 1.0}
    with pytest.raises(ValueError, match="no goal can be reached from the start cell at row 1, column 0"):
        GridWorld(["G", "S"], actions="R")
    # a wind of 2 everywhere keeps the agent in the top row: the goal below is out of reach
    with pytest.raises(ValueError, match=r"no goal can be reached from the start cell at row 0, column 0 "
                                         r"\(walls, holes, cliffs or the wind cut it off\)"):
        GridWorld(["S..", "...", "..G"], wind=[2, 2, 2])


def test_wind_options_round_trip_and_replace():
    env = GridWorld(WINDY, wind=np.array([0, 1, 2, 0, 0]), stochastic_wind=True, actions=KINGS_ORDER)
    assert env.wind == (0, 1, 2, 0, 0) and all(type(w) is int for w in env.wind)
    options = env.options()
    assert options["wind"] == [0, 1, 2, 0, 0] and options["stochastic_wind"] is True
    again = GridWorld(**options)
    assert again == env
    np.testing.assert_array_equal(again.mdp.prob, env.mdp.prob)
    np.testing.assert_array_equal(again.mdp.next_state, env.mdp.next_state)
    calm = env.replace(wind=None, stochastic_wind=False)
    assert calm == GridWorld(WINDY, actions=KINGS_ORDER) and calm.mdp.n_outcomes == 1
    assert GridWorld(**GridWorld(OPEN).options()).wind is None


@pytest.mark.parametrize(
    "wind, error, message",
    [
        ([0, 1], ValueError, r"wind must have one entry per column \(5\), got 2 entries"),
        ([0, 1, 2, 0, 0, 1], ValueError, r"wind must have one entry per column \(5\), got 6 entries"),
        ([0, -1, 0, 0, 0], ValueError, r"wind must hold integers >= 0 \(the wind blows up\), got -1 in column 1"),
        ([0, 1.0, 0, 0, 0], TypeError, r"wind must hold integers, got 1.0 in column 1"),
        ([0, True, 0, 0, 0], TypeError, r"wind must hold integers, got True in column 1"),
        ("01200", TypeError, r"wind must be a sequence of 5 non-negative integers \(one per column\)"),
        (3, TypeError, r"wind must be a sequence of 5 non-negative integers"),
        (np.zeros((1, 5), dtype=int), ValueError, r"wind must have one entry per column"),
    ],
)
def test_bad_wind(wind, error, message):
    with pytest.raises(error, match=message):
        GridWorld(WINDY, wind=wind)


def test_bad_stochastic_wind():
    with pytest.raises(TypeError, match=r"stochastic_wind must be True or False, got 1"):
        GridWorld(WINDY, wind=[0] * 5, stochastic_wind=1)
    with pytest.raises(ValueError, match=r"stochastic_wind=True needs a wind \(one integer per column\)"):
        GridWorld(WINDY, stochastic_wind=True)


# ---------------------------------------------------------------------------- cliff modes
def test_cliff_terminate_ends_the_episode():
    env = GridWorld(["...", "SCG"], step_reward=-1.0, cliff_reward=-50.0, cliff="terminate")
    mdp = env.mdp
    np.testing.assert_array_equal(mdp.terminal, [False, False, False, False, True, True])
    np.testing.assert_array_equal(mdp.goal, [False, False, False, False, False, True])
    assert outcomes(mdp, 3, R) == {(4, -50.0): 1.0}
    assert outcomes(mdp, 1, D) == {(4, -50.0): 1.0}
    for a in range(4):
        assert outcomes(mdp, 4, a) == {(4, 0.0): 1.0}  # absorbing, never read
    reset = GridWorld(["...", "SCG"], step_reward=-1.0, cliff_reward=-50.0)
    assert reset.cliff == "reset" and outcomes(reset.mdp, 3, R) == {(3, -50.0): 1.0}


def test_cliff_terminate_with_slip_keeps_the_cliff_outcome_apart():
    env = GridWorld(["SCG", "..."], slip=0.2, step_reward=-1.0, cliff="terminate")
    out = outcomes(env.mdp, 0, U)
    assert out == {(0, -1.0): pytest.approx(0.9, rel=1e-15), (1, -100.0): (1.0 - 0.8) / 2.0}


@pytest.mark.parametrize("cliff", ["end", "Reset", None])
def test_bad_cliff_mode(cliff):
    with pytest.raises(ValueError, match=r"cliff must be one of 'reset', 'terminate', got"):
        GridWorld(OPEN, cliff=cliff)


def test_all_options_round_trip():
    env = GridWorld(["S.C", "..G"], slip="1/4", slip_mode="uniform", cliff="terminate", wind=[1, 0, 0],
                    actions="URDLE", max_steps=33, name="x")
    assert GridWorld(**env.options()) == env
    assert set(env.options()) == {f.name for f in dataclasses.fields(GridWorld) if f.init}
