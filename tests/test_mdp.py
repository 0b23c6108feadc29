"""TabularMDP: validation (one test per bad-input class), storage, sampling table, dense form."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastq
from hypothesis.extra import numpy as hnp

from fastq import GridWorld, TabularMDP
from fastq.envs import as_mdp
from fastq.mdp import SUM_TOL

# A valid model with S=3, A=2, K=2: state 2 is a terminal goal; row [1, 0] has a padding outcome.
NEXT = [[[1, 0], [2, 2]], [[2, 1], [0, 0]], [[2, 2], [2, 2]]]
PROB = [[[0.5, 0.5], [1.0, 0.0]], [[0.25, 0.75], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]]
REWARD = [[[0.0, -1.0], [2.0, 0.0]], [[4.0, 8.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]


def model_args(**changes):
    args = dict(
        next_state=np.array(NEXT),
        prob=np.array(PROB),
        reward=np.array(REWARD),
        terminal=np.array([False, False, True]),
        start=np.array([0.5, 0.5, 0.0]),
        goal=np.array([False, False, True]),
        max_steps=50,
    )
    args.update(changes)
    return args


def build(**changes):
    args = model_args(**changes)
    return TabularMDP(
        args.pop("next_state"), args.pop("prob"), args.pop("reward"),
        args.pop("terminal"), args.pop("start"), **args,
    )


def edited(name, index, value):
    arr = model_args()[name].copy()
    arr[index] = value
    return arr


# ---------------------------------------------------------------------------- a valid model
def test_valid_model_shape_and_properties():
    mdp = build()
    assert mdp.shape == (3, 2, 2)
    assert (mdp.n_states, mdp.n_actions, mdp.n_outcomes) == (3, 2, 2)
    assert mdp.mdp is mdp
    assert mdp.max_steps == 50
    assert mdp.name == "TabularMDP"
    assert mdp.action_names == ("0", "1")
    np.testing.assert_array_equal(mdp.expected_reward, [[-0.5, 2.0], [7.0, 0.0], [0.0, 0.0]])
    # reward_range ignores the padding outcomes (probability 0)
    assert mdp.reward_range == (-1.0, 8.0)
    assert repr(mdp) == "TabularMDP(name='TabularMDP', S=3, A=2, K=2, max_steps=50)"


def test_values_are_stored_as_given():
    mdp = build(name="chain", action_names=["stay", "go"])
    np.testing.assert_array_equal(mdp.next_state, NEXT)
    np.testing.assert_array_equal(mdp.prob, PROB)
    np.testing.assert_array_equal(mdp.reward, REWARD)
    np.testing.assert_array_equal(mdp.terminal, [False, False, True])
    np.testing.assert_array_equal(mdp.goal, [False, False, True])
    np.testing.assert_array_equal(mdp.start, [0.5, 0.5, 0.0])
    assert mdp.name == "chain"
    assert mdp.action_names == ("stay", "go")


def test_goal_defaults_to_none():
    mdp = build(goal=None)
    np.testing.assert_array_equal(mdp.goal, [False, False, False])
    assert mdp.goal.dtype == np.bool_


ARRAYS = ("next_state", "prob", "reward", "terminal", "goal", "start", "cum_prob", "start_cum")


@pytest.mark.parametrize("name", ARRAYS)
def test_arrays_are_read_only(name):
    mdp = build()
    arr = getattr(mdp, name)
    with pytest.raises(ValueError, match="read-only"):
        arr[(0,) * arr.ndim] = arr[(0,) * arr.ndim]
    assert not arr.flags.writeable


def test_arrays_are_c_contiguous_with_fixed_dtypes():
    # Fortran order, int32 indices, integer probabilities, int8 bools: all canonicalised.
    next_state = np.asfortranarray(np.array(NEXT, dtype=np.int32))
    prob = np.asfortranarray(np.array(PROB))
    reward = np.array(REWARD, dtype=np.float32)
    start = np.array([1, 0, 0])  # integers are real numbers
    mdp = build(next_state=next_state, prob=prob, reward=reward, start=start)
    expected = {
        "next_state": np.int64, "prob": np.float64, "reward": np.float64, "terminal": np.bool_,
        "goal": np.bool_, "start": np.float64, "cum_prob": np.float64, "start_cum": np.float64,
    }
    for name, dtype in expected.items():
        arr = getattr(mdp, name)
        assert arr.dtype == dtype, name
        assert arr.flags.c_contiguous, name
    np.testing.assert_array_equal(mdp.start, [1.0, 0.0, 0.0])


def test_inputs_are_copied():
    args = model_args()
    mdp = build(**args)
    args["prob"][0, 0] = [0.0, 1.0]
    args["terminal"][0] = True
    assert mdp.prob[0, 0, 0] == 0.5
    assert not mdp.terminal[0]


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("name", ["next_state", "prob", "reward"])
def test_model_array_wrong_ndim(name):
    arr = model_args()[name][:, :, 0]
    with pytest.raises(ValueError, match=rf"^{name} must be 3-D, got shape \(3, 2\)"):
        build(**{name: arr})


def test_next_state_empty_axis():
    with pytest.raises(ValueError, match=r"next_state must have shape \(S, A, K\) with S, A, K >= 1"):
        TabularMDP(np.zeros((1, 0, 1), dtype=int), np.zeros((1, 0, 1)), np.zeros((1, 0, 1)), [False], [1.0])


def test_next_state_must_be_integers():
    with pytest.raises(TypeError, match="next_state must be an array of integers, got dtype float64"):
        build(next_state=np.array(NEXT, dtype=float))


def test_prob_must_be_real_numbers():
    with pytest.raises(TypeError, match="prob must be an array of real numbers"):
        build(prob=np.array(PROB).astype(str))


@pytest.mark.parametrize("name", ["prob", "reward"])
def test_shape_mismatch_with_next_state(name):
    arr = model_args()[name][:, :, :1]
    with pytest.raises(ValueError, match=rf"{name} must have the shape of next_state \(3, 2, 2\), got \(3, 2, 1\)"):
        build(**{name: arr})


def test_next_state_negative():
    with pytest.raises(ValueError, match=r"next_state must hold state indices in \[0, 3\), got -1 at \[1, 0, 1\]"):
        build(next_state=edited("next_state", (1, 0, 1), -1))


def test_next_state_too_large():
    with pytest.raises(ValueError, match=r"next_state must hold state indices in \[0, 3\), got 3 at \[0, 1, 1\]"):
        build(next_state=edited("next_state", (0, 1, 1), 3))


def test_next_state_out_of_range_on_padding_outcome():
    # padding outcomes (probability 0) must still hold a valid index
    with pytest.raises(ValueError, match="next_state must hold state indices"):
        build(next_state=edited("next_state", (2, 0, 1), 99))


def test_negative_prob():
    prob = edited("prob", (0, 1), [1.5, -0.5])  # the row sums to 1: only the sign is wrong
    with pytest.raises(ValueError, match=r"prob must be >= 0, got -0.5 at \[0, 1, 1\]"):
        build(prob=prob)


@pytest.mark.parametrize("excess", [2e-12, -2e-12, 0.5])
def test_row_not_summing_to_one(excess):
    prob = edited("prob", (1, 0), [0.25, 0.75 + excess])
    with pytest.raises(ValueError, match=r"every row prob\[s, a\] must sum to 1 within 1e-12, got .* at s=1, a=0"):
        build(prob=prob)


@pytest.mark.parametrize("excess", [5e-13, -5e-13])
def test_row_sum_accepted_within_tolerance(excess):
    assert SUM_TOL == 1e-12
    prob = edited("prob", (1, 0), [0.25, 0.75 + excess])
    mdp = build(prob=prob)
    assert mdp.prob[1, 0, 1] == 0.75 + excess  # stored as given, not renormalised
    assert mdp.cum_prob[1, 0, 1] == 1.0


@pytest.mark.parametrize("name", ["prob", "reward"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(name, bad):
    with pytest.raises(ValueError, match=f"{name} must be finite everywhere"):
        build(**{name: edited(name, (0, 0, 1), bad)})


def test_terminal_wrong_shape():
    with pytest.raises(ValueError, match=r"terminal must have shape \(3,\), got \(2,\)"):
        build(terminal=np.array([False, True]))


def test_terminal_wrong_ndim():
    with pytest.raises(ValueError, match=r"terminal must be 1-D, got shape \(1, 3\)"):
        build(terminal=np.array([[False, False, True]]))


def test_terminal_wrong_dtype():
    with pytest.raises(TypeError, match="terminal must be an array of bools, got dtype int64"):
        build(terminal=np.array([0, 0, 1]))


def test_start_wrong_shape():
    with pytest.raises(ValueError, match=r"start must have shape \(3,\), got \(4,\)"):
        build(start=np.array([0.5, 0.5, 0.0, 0.0]))


def test_start_negative_or_non_finite():
    with pytest.raises(ValueError, match=r"start must be a probability distribution \(finite, >= 0\)"):
        build(start=np.array([1.5, -0.5, 0.0]))
    with pytest.raises(ValueError, match=r"start must be a probability distribution"):
        build(start=np.array([np.nan, 1.0, 0.0]))


def test_start_not_summing_to_one():
    with pytest.raises(ValueError, match=r"start must sum to 1 within 1e-12, got .*0\.9"):
        build(start=np.array([0.5, 0.4, 0.0]))
    build(start=np.array([0.5, 0.5 + 5e-13, 0.0]))  # within the tolerance


def test_sum_messages_show_plain_numbers():
    with pytest.raises(ValueError, match=r"start must sum to 1 within 1e-12, got 0\.9$"):
        build(start=np.array([0.5, 0.4, 0.0]))
    with pytest.raises(ValueError, match=r"must sum to 1 within 1e-12, got 1\.5 at s=1, a=0"):
        build(prob=edited("prob", (1, 0), [0.75, 0.75]))


def test_start_mass_on_terminal_state():
    with pytest.raises(ValueError, match=r"start must put no probability on terminal states, got start\[2\] = 0.5"):
        build(start=np.array([0.5, 0.0, 0.5]))


def test_goal_not_terminal():
    with pytest.raises(ValueError, match="goal states must be terminal, but state 1 is a goal and not terminal"):
        build(goal=np.array([False, True, True]))


def test_goal_wrong_shape_or_dtype():
    with pytest.raises(ValueError, match=r"goal must have shape \(3,\), got \(2,\)"):
        build(goal=np.array([False, True]))
    with pytest.raises(TypeError, match="goal must be an array of bools"):
        build(goal=np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize("max_steps", [0, -1, 2**29 + 1])
def test_max_steps_out_of_range(max_steps):
    with pytest.raises(ValueError, match=rf"max_steps must be in the range 1 <= value <= {2**29}, got {max_steps}"):
        build(max_steps=max_steps)


@pytest.mark.parametrize("max_steps", [1, 2**29])
def test_max_steps_bounds_accepted(max_steps):
    assert build(max_steps=max_steps).max_steps == max_steps


@pytest.mark.parametrize("max_steps", [10.0, True, "10", None])
def test_max_steps_not_an_integer(max_steps):
    with pytest.raises(TypeError, match="max_steps must be an integer"):
        build(max_steps=max_steps)


def test_max_steps_numpy_integer_becomes_int():
    mdp = build(max_steps=np.int32(7))
    assert mdp.max_steps == 7 and type(mdp.max_steps) is int


@pytest.mark.parametrize("names", [("a",), ("a", "b", "c"), ()])
def test_action_names_wrong_length(names):
    with pytest.raises(ValueError, match=r"action_names must be 2 strings"):
        build(action_names=names)


def test_action_names_not_strings():
    with pytest.raises(ValueError, match=r"action_names must be 2 strings, got \('a', 1\)"):
        build(action_names=["a", 1])


def test_name_not_a_string():
    with pytest.raises(TypeError, match="name must be a str, got int"):
        build(name=3)


# ---------------------------------------------------------------------------- sampling table
def test_cum_prob_last_positive_and_padding_are_exactly_one():
    # ten outcomes of 0.1: the running sum is 0.9999999999999999 at the end, rounded up to 1.0
    tenth = np.full((1, 1, 12), 0.1)
    tenth[0, 0, 10:] = 0.0
    assert np.cumsum(tenth)[9] < 1.0
    mdp = TabularMDP(np.zeros((1, 1, 12), dtype=int), tenth, np.zeros((1, 1, 12)), [False], [1.0])
    cum = mdp.cum_prob[0, 0]
    np.testing.assert_array_equal(cum[:9], np.cumsum(tenth[0, 0])[:9])
    assert cum[9] == 1.0 and cum[10] == 1.0 and cum[11] == 1.0


def test_cum_prob_with_zero_in_the_middle():
    prob = np.array([[[0.5, 0.0, 0.25, 0.25, 0.0]]])
    mdp = TabularMDP(np.zeros((1, 1, 5), dtype=int), prob, np.zeros((1, 1, 5)), [False], [1.0])
    np.testing.assert_array_equal(mdp.cum_prob[0, 0], [0.5, 0.5, 0.75, 1.0, 1.0])


def test_cum_prob_never_exceeds_one():
    prob = edited("prob", (1, 0), [0.5, 0.5 + 5e-13])
    mdp = build(prob=prob)
    assert mdp.cum_prob.max() == 1.0
    np.testing.assert_array_equal(mdp.cum_prob[1, 0], [0.5, 1.0])


def test_cum_prob_of_the_example_model():
    mdp = build()
    np.testing.assert_array_equal(
        mdp.cum_prob, [[[0.5, 1.0], [1.0, 1.0]], [[0.25, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]
    )
    np.testing.assert_array_equal(mdp.start_cum, [0.5, 1.0, 1.0])


def test_start_cum_last_positive_is_exactly_one():
    start = np.array([0.1] * 10 + [0.0, 0.0])
    mdp = TabularMDP(
        np.zeros((12, 1, 1), dtype=int), np.ones((12, 1, 1)), np.zeros((12, 1, 1)), np.zeros(12, bool), start
    )
    assert mdp.start_cum[8] < 1.0
    np.testing.assert_array_equal(mdp.start_cum[9:], [1.0, 1.0, 1.0])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_cum_prob_is_monotone_and_ends_at_one(data):
    K = data.draw(st.integers(1, 6))
    weights = data.draw(hnp.arrays(np.int64, (4, 2, K), elements=st.integers(0, 7)))
    weights[..., 0] += weights.sum(axis=-1) == 0
    prob = weights / weights.sum(axis=-1, keepdims=True)
    mdp = TabularMDP(np.zeros((4, 2, K), dtype=int), prob, np.zeros((4, 2, K)), np.zeros(4, bool), np.full(4, 0.25))
    cum = mdp.cum_prob
    assert (np.diff(cum, axis=-1) >= 0).all()
    assert (cum <= 1.0).all() and (cum[..., -1] == 1.0).all()
    last = K - 1 - np.argmax(prob[..., ::-1] > 0, axis=-1)
    for s in range(4):
        for a in range(2):
            assert (cum[s, a, last[s, a]:] == 1.0).all()
            assert (cum[s, a, : last[s, a]] < 1.0).all()


# ---------------------------------------------------------------------------- dense form
@st.composite
def dense_models(draw):
    S = draw(st.integers(1, 6))
    A = draw(st.integers(1, 3))
    weights = draw(hnp.arrays(np.int64, (S, A, S), elements=st.integers(0, 5)))
    fallback = draw(hnp.arrays(np.int64, (S, A), elements=st.integers(0, S - 1)))
    empty = weights.sum(axis=2) == 0
    weights[empty, fallback[empty]] = 1  # every row needs some mass
    P = weights / weights.sum(axis=2, keepdims=True)
    R = draw(hnp.arrays(np.float64, (S, A, S), elements=st.floats(-10, 10, allow_subnormal=False)))
    R = np.where(P > 0, R, 0.0)  # rewards only on the support
    terminal = draw(hnp.arrays(np.bool_, S))
    terminal[draw(st.integers(0, S - 1))] = False
    start = (~terminal) / (~terminal).sum()
    return P, R, terminal, start


@settings(max_examples=150, deadline=None)
@given(dense_models())
def test_dense_round_trip(model):
    P, R, terminal, start = model
    mdp = TabularMDP.from_dense(P, R, terminal, start)
    assert mdp.n_outcomes == (P > 0).sum(axis=2).max()
    P2, R2 = mdp.to_dense()
    assert P2.shape == R2.shape == P.shape
    np.testing.assert_allclose(P2, P, rtol=0, atol=1e-15)
    support = P > 0
    np.testing.assert_allclose(R2[support], R[support], rtol=1e-14, atol=1e-15)
    assert (R2[~support] == 0).all()
    np.testing.assert_allclose(mdp.expected_reward, (P * R).sum(axis=2), rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(mdp.terminal, terminal)
    np.testing.assert_array_equal(mdp.start, start)


def test_from_dense_outcomes_follow_the_support():
    P = np.zeros((3, 1, 3))
    P[0, 0] = [0.25, 0.0, 0.75]
    P[1, 0] = [0.0, 1.0, 0.0]
    P[2, 0] = [0.0, 0.0, 1.0]
    R = np.arange(9.0).reshape(3, 1, 3)
    mdp = TabularMDP.from_dense(P, R, [False, False, True], [0.5, 0.5, 0.0], max_steps=9, name="d")
    assert mdp.shape == (3, 1, 2)
    np.testing.assert_array_equal(mdp.next_state[:, 0], [[0, 2], [1, 1], [2, 2]])  # padding repeats the last
    np.testing.assert_array_equal(mdp.prob[:, 0], [[0.25, 0.75], [1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(mdp.reward[:, 0], [[0.0, 2.0], [4.0, 0.0], [8.0, 0.0]])
    assert mdp.max_steps == 9 and mdp.name == "d"


def test_from_dense_with_reward_per_state_action():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [0.5, 0.5]
    P[0, 1] = [0.0, 1.0]
    P[1, :, 1] = 1.0
    R = np.array([[3.0, -2.0], [0.0, 0.0]])
    mdp = TabularMDP.from_dense(P, R, terminal=[False, True], start=[1.0, 0.0])
    np.testing.assert_array_equal(mdp.reward[0, 0], [3.0, 3.0])
    assert mdp.reward[0, 1, 0] == -2.0
    np.testing.assert_array_equal(mdp.expected_reward, R)
    P2, R2 = mdp.to_dense()
    np.testing.assert_array_equal(P2, P)
    np.testing.assert_array_equal(R2, np.where(P > 0, R[:, :, None], 0.0))


def test_from_dense_deterministic_has_one_outcome():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 1] = 1.0
    mdp = TabularMDP.from_dense(P, R=[[1.0], [0.0]], terminal=[False, True], start=[1, 0])
    assert mdp.shape == (2, 1, 1)
    assert mdp.next_state[0, 0, 0] == 1 and mdp.reward[0, 0, 0] == 1.0


def test_from_dense_bad_shapes():
    with pytest.raises(ValueError, match=r"P must have shape \(S, A, S\), got \(2, 1, 3\)"):
        TabularMDP.from_dense(np.ones((2, 1, 3)) / 3, np.zeros((2, 1)), [False, False], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"P must be 3-D"):
        TabularMDP.from_dense(np.ones((2, 2)), np.zeros((2, 1)), [False, False], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"R must have shape \(S, A\) = \(2, 1\) or \(S, A, S\) = \(2, 1, 2\), got \(2,\)"):
        TabularMDP.from_dense(np.full((2, 1, 2), 0.5), np.zeros(2), [False, False], [1.0, 0.0])


def test_from_dense_non_finite():
    P = np.full((2, 1, 2), 0.5)
    P[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="P must be finite everywhere"):
        TabularMDP.from_dense(P, np.zeros((2, 1)), [False, False], [1.0, 0.0])
    with pytest.raises(TypeError, match="R must be an array of real numbers"):
        TabularMDP.from_dense(np.full((2, 1, 2), 0.5), np.array([["a"], ["b"]]), [False, False], [1.0, 0.0])


def test_from_dense_validates_like_the_constructor():
    with pytest.raises(ValueError, match=r"every row prob\[s, a\] must sum to 1"):
        TabularMDP.from_dense(np.full((2, 1, 2), 0.4), np.zeros((2, 1)), [False, False], [1.0, 0.0])


def test_to_dense_merges_outcomes_into_the_same_successor():
    # two outcomes land in state 1 with different rewards: P adds up, R is their expectation
    mdp = TabularMDP([[[1, 1, 0]], [[1, 1, 1]]], [[[0.25, 0.5, 0.25]], [[1.0, 0.0, 0.0]]],
                     [[[4.0, 1.0, 0.0]], [[0.0, 0.0, 0.0]]], [False, True], [1.0, 0.0])
    P, R = mdp.to_dense()
    np.testing.assert_array_equal(P[0, 0], [0.25, 0.75])
    assert R[0, 0, 1] == pytest.approx(2.0, rel=1e-15)
    assert R[0, 0, 0] == 0.0


# ---------------------------------------------------------------------------- as_mdp
def test_as_mdp_accepts_models_grid_worlds_and_names():
    mdp = build()
    assert as_mdp(mdp) is mdp
    env = GridWorld(["S.G"])
    assert as_mdp(env) is env.mdp
    assert as_mdp("FrozenLake-4x4").shape == (16, 4, 3)


@pytest.mark.parametrize("env", [3, None, np.zeros((2, 2, 2))])
def test_as_mdp_rejects_other_objects(env):
    with pytest.raises(TypeError, match="env must be an environment name .* a GridWorld or a TabularMDP"):
        as_mdp(env)


def test_fields_cannot_be_changed_after_validation():
    mdp = fastq.make("FrozenLake-4x4").mdp
    with pytest.raises(AttributeError, match="TabularMDP is read-only: cannot set 'max_steps'"):
        mdp.max_steps = 2**40
    with pytest.raises(ValueError, match="WRITEABLE"):
        mdp.next_state.flags.writeable = True


# ---------------------------------------------------------------------------- allowed, reward_std
def test_allowed_and_reward_std_defaults():
    mdp = build()
    assert mdp.allowed.shape == (3, 2) and mdp.allowed.all() and mdp.allowed.dtype == np.bool_
    assert mdp.all_allowed is True
    assert mdp.n_allowed.tolist() == [2, 2, 2] and mdp.n_allowed.dtype == np.int64
    assert mdp.allowed_actions.tolist() == [[0, 1], [0, 1], [0, 1]]
    assert mdp.reward_std.shape == (3, 2) and (mdp.reward_std == 0).all() and mdp.reward_std.dtype == np.float64


def test_allowed_tables():
    allowed = np.array([[False, True], [True, True], [False, False]])  # the terminal state may allow none
    mdp = build(allowed=allowed)
    assert mdp.all_allowed is False
    np.testing.assert_array_equal(mdp.allowed, allowed)
    assert mdp.n_allowed.tolist() == [1, 2, 0]
    # allowed actions first, in action order, padded with action 0
    assert mdp.allowed_actions.tolist() == [[1, 0], [0, 1], [0, 0]]
    for name in ("allowed", "n_allowed", "allowed_actions", "reward_std"):
        assert not getattr(mdp, name).flags.writeable


def test_allowed_actions_of_a_wider_mask():
    S, A = 2, 5
    allowed = np.array([[False, True, False, True, True], [True] * 5])
    mdp = TabularMDP(np.zeros((S, A, 1), dtype=np.int64), np.ones((S, A, 1)), np.zeros((S, A, 1)),
                     [False, False], [1.0, 0.0], allowed=allowed)
    assert mdp.n_allowed.tolist() == [3, 5]
    assert mdp.allowed_actions.tolist() == [[1, 3, 4, 0, 0], [0, 1, 2, 3, 4]]


def test_allowed_wrong_shape_or_dtype():
    with pytest.raises(ValueError, match=r"allowed must have shape \(S, A\) = \(3, 2\), got \(3, 3\)"):
        build(allowed=np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"allowed must be 2-D, got shape \(3,\)"):
        build(allowed=np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match=r"allowed must be an array of bools, got dtype int64"):
        build(allowed=np.ones((3, 2), dtype=np.int64))


def test_allowed_needs_an_action_in_every_non_terminal_state():
    allowed = np.ones((3, 2), dtype=bool)
    allowed[1] = False
    with pytest.raises(ValueError, match=r"allowed must permit at least one action in every non-terminal state, "
                                         r"state 1 has none"):
        build(allowed=allowed)


def test_reward_std_is_stored_and_widens_the_reward_range():
    std = np.array([[0.0, 0.5], [1.0, 0.0], [0.0, 0.0]])
    mdp = build(reward_std=std)
    np.testing.assert_array_equal(mdp.reward_std, std)
    assert mdp.reward_range == (-np.inf, np.inf)
    # noise on a disallowed action or in a terminal state is never drawn
    quiet = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 3.0]])
    assert build(reward_std=quiet).reward_range == (-1.0, 8.0)
    allowed = np.array([[True, False], [True, True], [True, True]])
    assert build(reward_std=std * [[0, 1], [0, 0], [0, 0]], allowed=allowed).reward_range == (-1.0, 8.0)


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_reward_std_must_be_finite_and_non_negative(bad):
    std = np.zeros((3, 2))
    std[1, 0] = bad
    with pytest.raises(ValueError, match=r"reward_std must be finite and >= 0 everywhere"):
        build(reward_std=std)


def test_reward_std_wrong_shape_or_dtype():
    with pytest.raises(ValueError, match=r"reward_std must have shape \(S, A\) = \(3, 2\), got \(2, 3\)"):
        build(reward_std=np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"reward_std must be an array of real numbers, got dtype bool"):
        build(reward_std=np.zeros((3, 2), dtype=bool))


# ---------------------------------------------------------------------- pickling and copies
def test_pickled_and_copied_models_are_checked_read_only_and_reuse_the_kernel():
    import copy
    import pickle

    from fastq.kernels.learners import _KERNELS

    mdp = fastq.make("FrozenLake-4x4").mdp
    kwargs = dict(agents=3, episodes=20, seed=2)
    before = fastq.train(mdp, **kwargs)
    compiled = {k: len(v.overloads) for k, v in _KERNELS.items()}
    back = pickle.loads(pickle.dumps(mdp))
    assert back is not mdp and isinstance(back, TabularMDP)
    for name in TabularMDP.ARGUMENTS:
        value = getattr(mdp, name)
        if isinstance(value, np.ndarray):
            assert not getattr(back, name).flags.writeable
            np.testing.assert_array_equal(getattr(back, name), value)
        else:
            assert getattr(back, name) == value
    with pytest.raises(ValueError, match="read-only"):
        back.next_state[0, 2, 0] = 10**9  # what crashed a kernel
    assert copy.deepcopy(mdp) is mdp and copy.copy(mdp) is mdp  # immutable
    grid = pickle.loads(pickle.dumps(fastq.make("FrozenLake-4x4")))
    assert not grid.mdp.next_state.flags.writeable
    after = fastq.train(back, **kwargs)
    np.testing.assert_array_equal(after.q, before.q)
    assert {k: len(v.overloads) for k, v in _KERNELS.items()} == compiled  # no new signature


def test_unpickling_checks_the_model_again():
    import pickle

    mdp = fastq.make("FrozenLake-4x4").mdp
    rebuild, (arguments,) = mdp.__reduce__()
    bad = dict(arguments, next_state=np.where(arguments["next_state"] == 5, 10**9, arguments["next_state"]))
    assert pickle.loads(pickle.dumps(mdp)).shape == mdp.shape
    with pytest.raises(ValueError, match=r"next_state must hold state indices in \[0, 16\)"):
        rebuild(bad)


# ---------------------------------------------------------------------- float32 probabilities
def _float32_model(prob):
    S = 2
    return dict(next_state=np.array([[[0, 1, 1]], [[1, 1, 1]]]), prob=prob,
                reward=np.zeros((S, 1, 3)), terminal=[False, True], start=np.float32([1, 0]))


def test_float32_probabilities_are_summed_in_float64_and_stored_summing_to_one():
    # 0.1 + 0.2 + 0.7 in float32 is 1 - 2.2e-8 in float64: float32's own precision, not 1e-12
    prob = np.array([[[0.1, 0.2, 0.7]], [[1.0, 0.0, 0.0]]], dtype=np.float32)
    assert abs(prob.astype(np.float64).sum(axis=2)[0, 0] - 1.0) > SUM_TOL
    mdp = TabularMDP(**_float32_model(prob))
    assert mdp.prob.dtype == np.float64 and np.abs(mdp.prob.sum(axis=2) - 1.0).max() <= SUM_TOL
    np.testing.assert_allclose(mdp.prob, prob, rtol=1e-7)
    dense = np.zeros((2, 1, 2), dtype=np.float32)
    dense[0, 0] = [0.1, 0.9]
    dense[1, 0, 1] = 1.0
    via_dense = TabularMDP.from_dense(dense, np.zeros((2, 1)), [False, True], np.float32([1, 0]))
    assert np.abs(via_dense.prob.sum(axis=2) - 1.0).max() <= SUM_TOL  # the same rule in both
    np.testing.assert_allclose(via_dense.prob[0, 0], [0.1, 0.9], rtol=1e-7)


def test_float32_rows_that_miss_one_by_more_than_their_precision_are_refused_in_both():
    prob = np.array([[[0.1, 0.2, 0.69]], [[1.0, 0.0, 0.0]]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"every row prob\[s, a\] must sum to 1 within 3.58e-07 \(the precision "
                                         r"of its dtype float32\), got 0.99.* at s=0, a=0") as info:
        TabularMDP(**_float32_model(prob))
    assert info.value.argument == "prob"
    dense = np.zeros((2, 1, 2), dtype=np.float32)
    dense[0, 0] = [0.1, 0.89]
    dense[1, 0, 1] = 1.0
    with pytest.raises(ValueError, match=r"must sum to 1 within .* \(the precision of its dtype float32\)"):
        TabularMDP.from_dense(dense, np.zeros((2, 1)), [False, True], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"every row prob\[s, a\] must sum to 1 within 1e-12"):
        TabularMDP(**_float32_model(prob.astype(np.float64)))  # float64 keeps the 1e-12 rule
