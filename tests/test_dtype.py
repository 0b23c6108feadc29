"""float32 learner tables (``train(dtype="float32")``): the numba kernels equal the numpy
reference bit for bit, each stored value is the float64 update rounded to float32, the tables
take half the memory, and the results agree with float64 ones.

Every float32 kernel signature costs a numba compilation, so the tests share them: one small
grid world (:data:`ENV`, or a model with the same array types) and each algorithm once.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import fastq
from fastq import TabularMDP, cli
from fastq.algos import ONE_STEP_ALGORITHMS as ALGORITHMS  # the multi-step learners: tests/kernels/test_multistep.py

validate = importlib.import_module("fastq._validate")

OUTPUTS = ("q", "returns", "lengths", "successes")
# Rewards -0.1 and -0.3 are not float32 numbers: Dyna-Q's float32 model rounds them.
ENV = fastq.GridWorld(
    ["S..#....", ".#H..C.G", "S....#..", "..C....H"],
    slip=0.2, step_reward=-0.1, goal_reward=1.0, hole_reward=-0.3, cliff_reward=-3.0,
    max_steps=40, name="float32-test",
)
#: Table arguments of each algorithm besides Q: Double Q's two tables, Dyna-Q's model rewards.
FLOAT_TABLES = {"q_learning": 1, "sarsa": 1, "expected_sarsa": 1, "double_q": 3, "dyna_q": 2}
#: Options that vary at run time only (no new compilation), one set per algorithm.
SETTINGS = {
    "q_learning": {},
    "double_q": {"tie_break": "first", "alpha": fastq.visits(1.0)},
    "dyna_q": {"planning_steps": 3},
}


def per_agent_params(n):
    rs = np.random.default_rng(3)
    return dict(alpha=rs.uniform(0.05, 1.0, n), gamma=rs.uniform(0.8, 1.0, n),
                epsilon=rs.uniform(0.0, 0.5, n), q_init=rs.choice([0.0, 0.1, -0.3], n))


# Each float32 signature of a general kernel costs 10-20 s of compilation: the algorithms whose
# float32 tables differ -- Q (the plain kernel), Double Q's two tables and sum, Dyna-Q's model
# rewards -- are compiled; SARSA and Expected SARSA read and write Q exactly as Q-learning does.
@pytest.mark.parametrize("algo", ["q_learning", "double_q", "dyna_q"])
def test_numba_equals_numpy_bit_for_bit_with_float32_tables(algo):
    agents = 16
    kwargs = {**per_agent_params(agents), **SETTINGS[algo]}
    fast, ref = (fastq.train(ENV, algo, agents=agents, episodes=30, seed=5, dtype="float32",
                             backend=backend, **kwargs) for backend in ("numba", "numpy"))
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(fast, field), getattr(ref, field), err_msg=field)
    assert fast.q.dtype == ref.q.dtype == np.float32
    assert fast.meta["dtype"] == ref.meta["dtype"] == "float32"
    assert fast.agent_steps > agents * 30
    if algo == "double_q":
        for table in ("q_a", "q_b"):
            assert fast.extra[table].dtype == np.float32
            np.testing.assert_array_equal(fast.extra[table], ref.extra[table])
        np.testing.assert_array_equal(fast.q, (fast.extra["q_a"] + fast.extra["q_b"]) / 2)


def test_softmax_with_float32_tables_agrees_within_tolerance():
    # exp() runs in both backends (as with float64 tables): every decision identical, values
    # within 1e-6 relative (a few float32 units in the last place).
    kwargs = dict(agents=8, episodes=20, seed=6, exploration="softmax", temperature=fastq.linear(2.0, 0.1, 15),
                  dtype="float32")
    fast = fastq.train(ENV, "double_q", **kwargs)  # a float32 kernel the test above compiled
    ref = fastq.train(ENV, "double_q", backend="numpy", **kwargs)
    for field in ("lengths", "successes"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(ref, field))
    np.testing.assert_allclose(fast.q, ref.q, rtol=1e-6, atol=1e-7)


def chain(to_terminal: bool, reward: float) -> TabularMDP:
    """One action: state 0 -> state 2 (terminal) or state 1 (not terminal), one step at most."""
    return TabularMDP(
        next_state=[[[2 if to_terminal else 1]], [[1]], [[2]]], prob=[[[1.0]], [[1.0]], [[1.0]]],
        reward=[[[reward]], [[0.0]], [[0.0]]], terminal=[False, False, True], start=[1.0, 0.0, 0.0],
        max_steps=1)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_stored_value_is_the_float64_update_rounded_to_float32(backend):
    f32 = np.float32
    q_init, alpha, gamma, r = 0.1, 0.3, 0.7, 1 / 3
    kw = dict(agents=1, episodes=1, alpha=alpha, gamma=gamma, epsilon=0.0, q_init=q_init,
              dtype="float32", backend=backend)
    # q_init is rounded to float32; every Q(s, a) starts there.
    q0 = float(f32(q_init))
    assert q0 != q_init
    # Truncation: target r + gamma * Q(1), Q(1) = q0 read as float64; the update in float64, then
    # rounded once.  Doing it in float32 arithmetic gives a different number (checked here).
    expected = f32(q0 + alpha * ((r + gamma * q0) - q0))
    in_float32 = f32(q0) + f32(alpha) * ((f32(r) + f32(gamma) * f32(q0)) - f32(q0))
    assert expected != in_float32
    res = fastq.train(chain(False, r), **kw)
    assert res.q.dtype == np.float32
    assert res.q[0, 0, 0] == expected and res.q[0, 1, 0] == f32(q_init) and res.q[0, 2, 0] == 0.0
    # Dyna-Q: the real update (target r), then one planning update of the same pair from the
    # model, which stored r as float32 (had it kept r, the value would differ: checked here).
    q1 = float(f32(q0 + alpha * (r - q0)))
    planned = f32(q1 + alpha * (float(f32(r)) - q1))
    assert planned != f32(q1 + alpha * (r - q1))
    dyna = fastq.train(chain(True, r), "dyna_q", planning_steps=1, **kw)
    assert dyna.q[0, 0, 0] == planned


def test_float32_tables_take_half_the_memory():
    kw = dict(agents=4, episodes=3, seed=2, backend="numpy")
    for algo in ("q_learning", "double_q"):
        single = fastq.train("FrozenLake-4x4", algo, dtype=np.float32, **kw)
        double = fastq.train("FrozenLake-4x4", algo, **kw)
        assert double.q.dtype == np.float64 and double.meta["dtype"] == "float64"
        assert single.q.dtype == np.float32 and single.meta["dtype"] == "float32"
        assert single.q.nbytes * 2 == double.q.nbytes
        for table in single.extra.values():
            assert table.dtype == np.float32


@pytest.mark.parametrize("visits", [False, True])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_memory_estimate_counts_float32_tables_at_4_bytes(monkeypatch, algo, visits):
    class Estimated(Exception):
        pass

    def record(what, nbytes, **kwargs):
        raise Estimated(what, nbytes)

    monkeypatch.setattr(validate, "memory", record)
    agents, S, A = 24, 16, 4
    estimates = {}
    for dtype in ("float64", "float32"):
        with pytest.raises(Estimated) as caught:
            fastq.train("FrozenLake-4x4", algo, agents=agents, episodes=7, dtype=dtype,  # refused before
                        alpha=fastq.visits(1.0) if visits else 0.1, backend="numba")  # it compiles
        what, estimates[dtype] = caught.value.args
        assert ("dtype='float32'" in what) == (dtype == "float32")
    assert estimates["float64"] - estimates["float32"] == agents * FLOAT_TABLES[algo] * S * A * 4


def test_a_run_that_fits_only_with_float32_tables_is_refused_with_float64(monkeypatch):
    estimates = []
    real_memory = validate.memory
    monkeypatch.setattr(validate, "memory", lambda what, nbytes, **kw: estimates.append(nbytes))
    kw = dict(agents=64, episodes=2, backend="numpy")
    for dtype in ("float64", "float32"):
        fastq.train("FrozenLake-8x8", "double_q", dtype=dtype, **kw)
    monkeypatch.setattr(validate, "memory", real_memory)
    # Available memory such that 80 % of it lies halfway between the two estimates.
    monkeypatch.setattr(validate, "available_memory", lambda: int(sum(estimates) / 2 / 0.8))
    with pytest.raises(ValueError, match=r"^train\(agents=64, episodes=2\) on 64 states x 4 actions would need"):
        fastq.train("FrozenLake-8x8", "double_q", dtype="float64", **kw)
    assert fastq.train("FrozenLake-8x8", "double_q", dtype="float32", **kw).q.dtype == np.float32


def test_float32_results_agree_with_float64_ones():
    # Slippery FrozenLake-4x4, 64 agents, 100 episodes: with this seed no decision differs
    # (identical lengths and returns), and the values differ by float32 rounding only: within
    # 1e-6 relative plus 1e-7 (the values are below 1; a float32 unit in the last place is
    # 6e-8 there).
    kw = dict(agents=64, episodes=100, seed=1, alpha=0.1, gamma=0.95, epsilon=0.2)
    single = fastq.train("FrozenLake-4x4", dtype="float32", **kw)
    double = fastq.train("FrozenLake-4x4", **kw)
    np.testing.assert_array_equal(single.lengths, double.lengths)
    np.testing.assert_array_equal(single.returns, double.returns)
    np.testing.assert_allclose(single.q, double.q, rtol=1e-6, atol=1e-7)
    assert not np.array_equal(single.q, double.q)  # the float32 tables did round
    # Deterministic CliffWalking, 300 episodes: in both, every agent's greedy policy is optimal
    # (exact evaluation by eval_every, which takes float32 tables), and the mean return over the
    # last 50 episodes agrees within 3 standard errors of the per-agent means.
    kw = dict(agents=64, episodes=300, seed=1, alpha=0.5, gamma=0.9, epsilon=0.1, eval_every=300)
    single = fastq.train("CliffWalking", dtype="float32", **kw)
    double = fastq.train("CliffWalking", **kw)
    sol = fastq.value_iteration("CliffWalking", gamma=0.9)
    optimum = float(sol.v @ fastq.make("CliffWalking").mdp.start)
    for res in (single, double):
        np.testing.assert_allclose(res.extra["eval_value"][:, -1], optimum, rtol=1e-9)
    tail32, tail64 = single.returns[:, -50:].mean(axis=1), double.returns[:, -50:].mean(axis=1)
    assert abs(tail32.mean() - tail64.mean()) < 3 * tail64.std() / np.sqrt(64)


@pytest.mark.parametrize("dtype", ["float16", "f4", "int64", "", np.int32, np.float16, float,
                                   np.dtype("int32"), 32, None, ["float32"]])
def test_bad_dtype_is_refused_before_anything_is_allocated(monkeypatch, dtype):
    def no_allocation(*args, **kwargs):
        raise AssertionError("the memory check ran: dtype was not checked first")

    monkeypatch.setattr(validate, "memory", no_allocation)
    with pytest.raises((ValueError, TypeError), match=r"dtype must be 'float64' or 'float32'"):
        fastq.train("FrozenLake-4x4", agents=2, episodes=2, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32"), np.dtype(">f4")])
def test_float32_spellings(dtype):
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=2, dtype=dtype, backend="numpy")
    assert res.q.dtype == np.dtype("float32") and res.q.dtype.isnative
    assert res.meta["dtype"] == "float32"


def test_command_line_dtype(tmp_path, capsys):
    path = tmp_path / "run.npz"
    argv = ["train", "FrozenLake-4x4", "--agents", "8", "--episodes", "20", "--seed", "4",
            "--dtype", "float32", "--save", str(path)]
    assert cli.main(argv) == 0
    assert "float32 tables" in capsys.readouterr().out
    loaded = fastq.Result.load(path)
    res = fastq.train("FrozenLake-4x4", agents=8, episodes=20, seed=4, dtype="float32")
    assert loaded.q.dtype == np.float32 and loaded.meta["dtype"] == "float32"
    np.testing.assert_array_equal(loaded.q, res.q)
    np.testing.assert_array_equal(loaded.returns, res.returns)
    assert cli.main(["train", "FrozenLake-4x4", "--dtype", "float16"]) == 2
    assert "invalid choice: 'float16'" in capsys.readouterr().err
