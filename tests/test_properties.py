"""Properties, with hypothesis: random valid grid maps and random TabularMDPs through train() for
every one-step learner, random invalid arguments, random files.  (The learners with more than
one step have the same properties tested on fixed inputs in tests/kernels/test_multistep.py: a
random draw of 8 more learners would compile 24 more kernels.)

For valid inputs: the numba kernels equal the numpy reference bit for bit, results do not depend
on the thread count or on the other agents (prefix invariance), Q stays inside the bound of
tabular learning, and returns and lengths agree with the model and ``max_steps``.  For invalid
inputs: a ``ValueError`` or ``TypeError`` naming the argument (``.argument``), never anything
else.  For files fastq did not write: a ``ValueError`` that says so, never anything else.

Compile cost.  Every distinct kernel variant compiles once per process (about 2 s).  The drawn
inputs are held to three shapes, so these tests compile at most 15 learner kernels (5 learners
x {4 actions and 1 outcome, 4 actions and 3 outcomes, 3 actions and 4 outcomes with an action
mask}), epsilon-greedy, random ties, float64 tables, no reward noise -- the first two shapes
are those of the built-in grids, compiled by tests/kernels already.  Everything that does not
test the compiled kernel runs on the numpy reference, which compiles nothing.  Few examples per
test: about 20 s in all once the kernels are compiled.
"""

from __future__ import annotations

import json
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastq
from fastq import GridWorld, TabularMDP, config
from fastq import _store as store
from fastq import _train as train_module
from fastq._validate import ArgumentError

from conftest import check_q_bounds
from helpers import OUTPUTS, assert_same

FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------- valid inputs
@st.composite
def grid_worlds(draw) -> GridWorld:
    """A reachable map of 1-4 rows and 2-5 columns, one start, holes, walls, goals; deterministic
    (1 outcome) or slippery with exactly 3 outcomes per move somewhere."""
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    cells = draw(st.lists(st.sampled_from(".....HG#"), min_size=rows * cols, max_size=rows * cols))
    cells[draw(st.integers(0, rows * cols - 1))] = "S"
    slip = draw(st.sampled_from([0.0, 0.2, 0.5]))
    try:
        env = GridWorld(["".join(cells[r * cols:(r + 1) * cols]) for r in range(rows)], slip=slip,
                        step_reward=draw(st.sampled_from([-1.0, 0.0, 0.5])),
                        goal_reward=draw(st.sampled_from([1.0, 2.0])),
                        hole_reward=draw(st.sampled_from([-2.0, 0.0])),
                        max_steps=draw(st.sampled_from([4, 20, 60])))
    except ArgumentError:  # no goal, or none reachable
        assume(False)
    assume(env.mdp.n_outcomes in (1, 3))  # the shapes compiled anyway (see the module docstring)
    return env


@st.composite
def models(draw) -> TabularMDP:
    """A random model: 4 actions with 1 or 3 outcomes, or 3 actions with 4 outcomes and a mask."""
    S = draw(st.integers(2, 6))
    A, K = draw(st.sampled_from([(4, 1), (4, 3), (3, 4)]))
    ints = lambda low, high, n: np.array(draw(st.lists(st.integers(low, high), min_size=n, max_size=n)))  # noqa: E731
    next_state = ints(0, S - 1, S * A * K).reshape(S, A, K)
    weights = ints(0, 3, S * A * K).reshape(S, A, K).astype(np.float64)
    weights[..., 0] += weights.sum(axis=2) == 0  # every row has an outcome
    prob = weights / weights.sum(axis=2, keepdims=True)
    reward = ints(-4, 4, S * A * K).reshape(S, A, K) / 2.0
    terminal = ints(0, 1, S).astype(bool)
    terminal[0] = False
    goal = terminal & ints(0, 1, S).astype(bool)
    start = np.zeros(S)
    start[np.flatnonzero(~terminal)[: draw(st.integers(1, int((~terminal).sum())))]] = 1.0
    allowed = None
    if A == 3:  # some action is disallowed somewhere, every state keeps one
        allowed = ints(0, 1, S * A).reshape(S, A).astype(bool)
        allowed[:, 0] = True
        allowed[0, 2] = False
    return TabularMDP(next_state, prob, reward, terminal, start / start.sum(), goal=goal, allowed=allowed,
                      max_steps=draw(st.sampled_from([3, 10, 30])), name="random")


def runs(envs):
    """(environment, train() keyword arguments) with every learner and random hyperparameters."""
    @st.composite
    def build(draw):
        env = draw(envs)
        algo = draw(st.sampled_from(fastq.algos.ONE_STEP_ALGORITHMS))
        kwargs = dict(
            algo=algo, agents=draw(st.integers(1, 6)), episodes=draw(st.integers(1, 12)),
            alpha=draw(st.floats(0.05, 1.0)), gamma=draw(st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0])),
            epsilon=draw(st.floats(0.0, 1.0)), q_init=draw(st.sampled_from([-2.0, 0.0, 0.5, 3.0])),
            seed=draw(st.integers(0, 2**64 - 1)))
        if algo == "dyna_q":
            kwargs["planning_steps"] = draw(st.integers(0, 3))
        return env, kwargs

    return build()


ANY_ENV = st.one_of(grid_worlds(), models())


@pytest.mark.slow  # compiles the kernels of the module docstring
@FEW
@given(runs(ANY_ENV))
def test_the_compiled_kernels_equal_the_reference_bit_for_bit(run):
    env, kwargs = run
    fast = fastq.train(env, backend="numba", **kwargs)
    reference = fastq.train(env, backend="numpy", **kwargs)
    assert_same(fast, reference)


@pytest.mark.slow
@FEW
@given(runs(ANY_ENV))
def test_results_do_not_depend_on_the_thread_count(run):
    env, kwargs = run
    kwargs["agents"] = 40  # more than one chunk of agents per thread (fastq._parallel.MIN_CHUNK)
    assert_same(fastq.train(env, threads=1, **kwargs), fastq.train(env, threads=2, **kwargs))


@SOME
@given(runs(ANY_ENV), st.integers(1, 6))
def test_an_agent_does_not_depend_on_the_others(run, prefix):
    env, kwargs = run
    kwargs["agents"] = max(kwargs["agents"], prefix)
    whole = fastq.train(env, backend="numpy", **kwargs)
    part = fastq.train(env, backend="numpy", **{**kwargs, "agents": prefix})
    for name in OUTPUTS:
        np.testing.assert_array_equal(getattr(whole, name)[:prefix], getattr(part, name), err_msg=name)


@SOME
@given(runs(ANY_ENV))
def test_q_stays_in_the_bound_and_lengths_within_max_steps(run):
    # The bound is [min(0, q_init, r_min / (1 - gamma)), max(0, q_init, r_max / (1 - gamma))] for
    # gamma < 1: 0 belongs to it because a terminal target is r alone (a reward r_min > 0 pulls a
    # Q below r_min / (1 - gamma)), and terminal rows hold 0 (tests/conftest.py: check_q_bounds).
    env, kwargs = run
    res = fastq.train(env, backend="numpy", **kwargs)
    check_q_bounds(env, res)
    mdp = fastq.as_mdp(env)
    assert ((res.lengths >= 1) & (res.lengths <= mdp.max_steps)).all()
    r_min, r_max = mdp.reward_range
    assert (res.returns >= res.lengths * min(r_min, 0.0) - 1e-9).all()
    assert (res.returns <= res.lengths * max(r_max, 0.0) + 1e-9).all()
    if not mdp.goal.any():
        assert not res.successes.any()


@SOME
@given(runs(grid_worlds()))
def test_grid_returns_are_the_sum_of_the_rewards_of_the_episode(run):
    # Every step pays step_reward but the last, which pays goal_reward on a goal, hole_reward on
    # a hole, or step_reward when the time limit truncates the episode (rewards are exact binary
    # fractions: the sums are exact).
    env, kwargs = run
    res = fastq.train(env, backend="numpy", **kwargs)
    L = res.lengths
    goal = (L - 1) * env.step_reward + env.goal_reward
    hole = (L - 1) * env.step_reward + env.hole_reward
    truncated = L * env.step_reward
    np.testing.assert_array_equal(res.returns[res.successes], goal[res.successes])
    failed = ~res.successes
    assert np.all((res.returns[failed] == hole[failed])
                  | ((L[failed] == env.max_steps) & (res.returns[failed] == truncated[failed]))
                  | ((L[failed] == env.max_steps) & (res.returns[failed] == goal[failed]) & (env.goal_reward == env.hole_reward)))


# ---------------------------------------------------------------------- invalid inputs
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=6), st.binary(max_size=3), st.complex_numbers(max_magnitude=10),
    st.lists(st.one_of(st.floats(-2, 2), st.integers(-3, 3), st.none()), max_size=5),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from([object(), float, np.float16, np.array([[0.5]]), np.array(["a"]), np.array([], dtype=float),
                     fastq.linear(2.0, -1.0, 3), fastq.visits(0.5), np.uint64(2**63), np.float32(np.nan)]),
)
TRAIN_ARGUMENTS = ["env", "algo", *train_module.train.__kwdefaults__]
BASE = dict(env="FrozenLake-4x4", agents=2, episodes=2, backend="numpy")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TRAIN_ARGUMENTS), JUNK)
def test_train_refuses_any_bad_argument_by_name_and_nothing_else(name, value):
    # What is being tested is the checking: a valid draw (episodes=10**8, say) trains nothing.
    kwargs = {**BASE, name: value}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(train_module, "_run_blocks", lambda *args: (0, False, [], 0.0, 0.0))
            res = train_module.train(kwargs.pop("env"), **kwargs)
    except (ValueError, TypeError) as exc:
        assert getattr(exc, "argument", None) == name, f"{type(exc).__name__} about {getattr(exc, 'argument', None)!r}: {exc}"
    else:
        assert res.agents >= 1 and res.episodes == 0  # the value was a valid one


MODEL = fastq.make("FrozenLake-4x4").mdp.arguments()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TabularMDP.ARGUMENTS), JUNK)
def test_a_model_refuses_any_bad_argument_by_name_and_nothing_else(name, value):
    # A bad array may be blamed on another argument it no longer matches (next_state of another
    # shape: "prob must have the shape of next_state"): the error names one of the arguments.
    try:
        TabularMDP(**{**MODEL, name: value})
    except (ValueError, TypeError) as exc:
        assert getattr(exc, "argument", None) in TabularMDP.ARGUMENTS, f"{type(exc).__name__}: {exc}"


GRID = fastq.make("FrozenLake-4x4").options()
GRID_OPTIONS = list(GRID)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(GRID_OPTIONS), JUNK)
def test_a_grid_world_refuses_any_bad_option_by_name_and_nothing_else(name, value):
    try:
        GridWorld(**{**GRID, name: value})
    except (ValueError, TypeError) as exc:
        assert getattr(exc, "argument", None) == name, f"{type(exc).__name__} about {getattr(exc, 'argument', None)!r}: {exc}"


# ---------------------------------------------------------------------- files fastq did not write
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=200), st.binary(max_size=40).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=40).map(lambda b: b"\x93NUMPY" + b)))
def test_load_of_any_other_file_is_a_value_error(tmp_path, data):
    path = tmp_path / "x.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="is not a result file written by Result.save|is damaged"):
        fastq.load(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=120), st.text(max_size=120).map(str.encode)))
def test_a_config_file_of_any_content_is_a_config_error(tmp_path, data):
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    try:
        config.read_config(str(path))
    except config.ConfigError:
        pass


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                    max_leaves=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from([*store.MANIFEST_KEYS, "format", "version"]), JSON, max_size=12))
def test_a_damaged_manifest_is_a_value_error(tmp_path, content):
    content.update({"format": store.SWEEP_FORMAT, "version": store.SWEEP_VERSION})
    (tmp_path / store.MANIFEST).write_text(json.dumps(content))
    try:
        manifest = store.read_manifest(str(tmp_path))
    except ValueError:
        return
    fastq.SweepResult(manifest)  # what it accepts, a sweep can read
