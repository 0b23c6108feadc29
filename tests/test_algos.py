"""Schedules: values at their end points and in between, and every invalid form refused."""

import math

import numpy as np
import pytest

import fastq
from fastq.algos import schedule_table


def test_linear_end_points_and_shape():
    v = fastq.linear(1.0, 0.1, episodes=10).values(15)
    assert v.shape == (15,)
    assert v[0] == 1.0 and v[10] == pytest.approx(0.1, abs=1e-15) and (v[10:] == v[10]).all()
    assert np.all(np.diff(v[:11]) < 0)
    np.testing.assert_allclose(v[:11], np.linspace(1.0, 0.1, 11), atol=1e-15)


def test_exponential_end_points_and_shape():
    v = fastq.exponential(0.9, 0.05, rate=0.1).values(200)
    assert v[0] == 0.9 and v[-1] == pytest.approx(0.05, abs=1e-8)
    np.testing.assert_allclose(v[1:] - 0.05, (v[:-1] - 0.05) * math.exp(-0.1), rtol=1e-12, atol=1e-15)


def test_schedule_table_rows_and_descriptions():
    table, row, rows = schedule_table("epsilon", [0.1, fastq.linear(1, 0, 2), 0.1], 3, 4, low=0, high=1)
    assert table.tolist() == [[0.1] * 4, [1.0, 0.5, 0.0, 0.0]] and row.tolist() == [0, 1, 0]
    assert rows == ["0.1", "linear(start=1.0, end=0.0, episodes=2)"]
    table, row, _ = schedule_table("alpha", np.array([0.3, 0.2, 0.3]), 3, 4, low=0, high=1, low_closed=False)
    assert table.shape == (2, 1) and table[row, 0].tolist() == [0.3, 0.2, 0.3]


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: fastq.linear(1.0, 0.1, episodes=0), ValueError, r"^linear episodes must be in the range 1 <= value <= 4294967295, got 0"),
    (lambda: fastq.linear(1.0, 0.1, episodes=-5), ValueError, r"^linear episodes must be in the range 1 <= value <= 4294967295, got -5"),
    # as many as train() runs at most: 10**30 was accepted and overflowed when the table was made
    (lambda: fastq.linear(0.5, 0.1, 10**30), ValueError, r"^linear episodes must be in the range 1 <= value <= 4294967295, got 10+$"),
    (lambda: fastq.linear(1.0, 0.1, episodes=2.5), TypeError, r"^linear episodes must be an integer, got 2.5"),
    (lambda: fastq.linear("a", 0.1, episodes=3), TypeError, r"^linear start must be a real number, got 'a'"),
    (lambda: fastq.linear(1.0, float("nan"), episodes=3), ValueError, r"^linear end must be finite, got nan"),
    (lambda: fastq.exponential(1.0, 0.0, rate=0.0), ValueError, r"^exponential rate must be finite and > 0.0, got 0.0"),
    (lambda: fastq.exponential(1.0, 0.0, rate=-1), ValueError, r"^exponential rate must be finite and > 0.0, got -1.0"),
    (lambda: fastq.visits(0.0), ValueError, r"^visits power must be finite and in the range 0.0 < value <= 1.0, got 0.0"),
    (lambda: fastq.visits(1.5), ValueError, r"^visits power must be finite and in the range 0.0 < value <= 1.0, got 1.5"),
])
def test_invalid_schedules_are_refused(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


@pytest.mark.parametrize("kwargs, exc, pattern", [
    (dict(epsilon=fastq.linear(1.5, 0.1, 10)), ValueError,
     r"^epsilon schedule value must be finite and in the range 0.0 <= value <= 1.0, got 1.5"),
    (dict(alpha=fastq.exponential(1.0, 0.0, 0.1)), ValueError,
     r"^alpha schedule value must be finite and in the range 0.0 < value <= 1.0, got 0.0"),
    (dict(epsilon=fastq.visits(1.0)), TypeError, r"^epsilon must be a number or a 1-D array"),
    (dict(temperature=fastq.linear(1.0, 0.0, 5), exploration="softmax"), ValueError,
     r"^temperature schedule value must be finite and > 0.0, got 0.0"),
    (dict(temperature=0.0, exploration="softmax"), ValueError, r"^temperature must be finite and > 0.0, got 0.0"),
    (dict(epsilon=[0.1, fastq.linear(1, 0, 3)]), ValueError,
     r"^epsilon must be a number, a schedule, or a sequence of length agents=3, got length 2"),
    (dict(epsilon=[0.1, "x", fastq.linear(1, 0, 3)]), TypeError, r"^epsilon entries must be numbers or schedules, got 'x' \(entry 1\)"),
    (dict(exploration="boltzmann"), ValueError, r"^exploration must be one of"),
    (dict(planning_steps=3), ValueError, r"^planning_steps applies to algo='dyna_q' only, got algo='q_learning'"),
    (dict(algo="dyna_q", planning_steps=-1), ValueError, r"^planning_steps must be in the range 0 <= value <= 10000, got -1"),
    (dict(algo="dyna_q", planning_steps=1.5), TypeError, r"^planning_steps must be an integer, got 1.5"),
])
def test_train_refuses_invalid_hyperparameters(kwargs, exc, pattern):
    kwargs = {"algo": "q_learning", **kwargs}
    with pytest.raises(exc, match=pattern):
        fastq.train("FrozenLake-4x4", kwargs.pop("algo"), agents=3, episodes=5, **kwargs)


@pytest.mark.parametrize("algo", ["q_learning", "double_q"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_initial_tables_hold_q_init_zero_on_terminal_states_and_minus_inf_on_disallowed_actions(algo, dtype):
    # 3 states x 3 actions: state 2 terminal; action 2 not allowed in state 0
    next_state = np.array([[[1], [2], [0]], [[2], [0], [1]], [[2], [2], [2]]])
    allowed = np.ones((3, 3), bool)
    allowed[0, 2] = allowed[2, 1] = False  # a disallowed action of a terminal state is 0 like the rest of its row
    mdp = fastq.TabularMDP(next_state, np.ones((3, 3, 1)), np.zeros((3, 3, 1)), [False, False, True], [1, 0, 0],
                           allowed=allowed)
    init = np.array([0.5, -2.0])
    state = fastq.algos.LEARNERS[algo].allocate(mdp, init, np.dtype(dtype), visits=False)
    copies = 2 if algo == "double_q" else 1
    tables = (state.q_ab if algo == "double_q" else state.q).reshape(2, copies, 3, 3)
    for agent, value in enumerate(init):
        expected = np.array([[value, value, -np.inf], [value, value, value], [0.0, 0.0, 0.0]], dtype=dtype)
        for copy in range(copies):
            np.testing.assert_array_equal(tables[agent, copy], expected)
    assert tables.dtype == np.dtype(dtype)
