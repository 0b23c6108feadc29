"""fastq._validate: every validator raises an ArgumentError / ArgumentTypeError that names the
argument (``.argument``) and says what is allowed, and returns the canonical value."""

import numpy as np
import pytest

from fastq import _validate as v
from fastq._validate import ArgumentError, ArgumentTypeError


def test_errors_are_value_and_type_errors_that_carry_the_argument():
    assert issubclass(ArgumentError, ValueError) and issubclass(ArgumentTypeError, TypeError)
    exc = ArgumentError("alpha", "alpha must be ...")
    assert exc.argument == "alpha" and str(exc) == "alpha must be ..."


@pytest.mark.parametrize("call, error, argument, message", [
    (lambda: v.integer("agents", 0, low=1), ArgumentError, "agents", "agents must be >= 1, got 0"),
    (lambda: v.integer("agents", 5, high=4), ArgumentError, "agents", "agents must be <= 4, got 5"),
    (lambda: v.integer("agents", True), ArgumentTypeError, "agents", r"agents must be an integer, got True \(bool\)"),
    (lambda: v.integer("agents", 2.0), ArgumentTypeError, "agents", "agents must be an integer"),
    (lambda: v.real("gamma", 1.5, low=0.0, high=1.0), ArgumentError, "gamma",
     "gamma must be finite and in the range 0.0 <= value <= 1.0, got 1.5"),
    (lambda: v.real("tol", float("nan")), ArgumentError, "tol", "tol must be finite, got nan"),
    (lambda: v.real("tol", "1"), ArgumentTypeError, "tol", "tol must be a real number"),
    (lambda: v.choice("backend", "cuda", ("numba", "numpy")), ArgumentError, "backend",
     "backend must be one of 'numba', 'numpy', got 'cuda'"),
    (lambda: v.choice("mode", "x", ("a",), none=True), ArgumentError, "mode", "mode must be None or one of 'a'"),
    (lambda: v.per_agent("alpha", [0.1, 0.0], 2, low=0.0, low_closed=False), ArgumentError, "alpha",
     r"alpha must be finite and > 0.0, got 0.0 \(entry 1\)"),
    (lambda: v.per_agent("alpha", [0.1], 2), ArgumentError, "alpha", r"length agents=2, got shape \(1,\)"),
    (lambda: v.per_agent("alpha", ["a", "b"], 2), ArgumentTypeError, "alpha", "got dtype <U1"),
    (lambda: v.per_agent_int("seed", [1, -1], 2, high=9), ArgumentError, "seed", r"got -1 \(entry 1\)"),
    (lambda: v.per_agent_int("seed", 1.5, 2, high=9), ArgumentTypeError, "seed", "seed must be an integer"),
    (lambda: v.table_dtype("dtype", "float16"), ArgumentError, "dtype", "dtype must be 'float64' or 'float32'"),
    (lambda: v.array("prob", [[1.0]], "f", 3, "real numbers"), ArgumentError, "prob", r"prob must be 3-D, got shape \(1, 1\)"),
    (lambda: v.array("terminal", [1, 0], "b", 1, "bools"), ArgumentTypeError, "terminal", "terminal must be an array of bools"),
    (lambda: v.distinct_integers("seeds", [1, 1], high=9), ArgumentError, "seeds", r"seeds must be distinct, got \[1, 1\]"),
    (lambda: v.distinct_integers("seeds", [], high=9), ArgumentError, "seeds", "at least one seed"),
    (lambda: v.distinct_integers("seeds", "12", high=9), ArgumentTypeError, "seeds", "a count or a sequence"),
    (lambda: v.names("groups", ["x"], ("a", "b")), ArgumentError, "groups", "groups must be among 'a', 'b', got 'x'"),
    (lambda: v.names("groups", "a", ("a",)), ArgumentTypeError, "groups", "groups must be a list of names"),
    (lambda: v.integer_tuples("grids", [(1, 2, 3)], (2, 1, 1)), ArgumentError, "grids entry", "grids entry must be >= 2"),
    (lambda: v.integer_tuples("grids", [(1, 2)], (2, 1, 1)), ArgumentError, "grids", "3-tuples"),
    (lambda: v.flag("progress", 1), ArgumentTypeError, "progress", "progress must be True or False, got 1"),
    (lambda: v.policy("policy", [0, 4], 2, 4), ArgumentError, "policy", r"actions in \[0, 4\), got 4 at index 1"),
    (lambda: v.policy("policy", [0.0, 1.0], 2, 4), ArgumentTypeError, "policy", "integer actions"),
    (lambda: v.rng_state("rng_state", np.zeros((2, 3))), ArgumentTypeError, "rng_state", "uint64 numpy array"),
    (lambda: v.rng_state("rng_state", np.zeros((2, 2), np.uint64)), ArgumentError, "rng_state", r"shape \(n, 3\)"),
    (lambda: v.indices("states", [0, 5], 2, 5), ArgumentError, "states", r"\[0, 5\), got 5 at index 1"),
    (lambda: v.mask("mask", [1, 0], 2), ArgumentTypeError, "mask", "mask must be an array of bools"),
    (lambda: v.reals("rewards", [1.0], 2), ArgumentError, "rewards", r"rewards must have shape \(2,\)"),
    (lambda: v.q_table("q", np.zeros((2, 3, 4)), 2, 3, 5, writable=False), ArgumentError, "q", "q must have shape"),
])
def test_each_validator_names_its_argument(call, error, argument, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert type(info.value) is error and info.value.argument == argument


def test_validators_return_canonical_values():
    assert v.integer("n", np.int64(3)) == 3 and type(v.integer("n", np.int64(3))) is int
    assert v.real("x", np.float32(0.5)) == 0.5
    arr = v.per_agent("gamma", 0.9, 3)
    assert arr.tolist() == [0.9] * 3 and arr.dtype == np.float64 and not arr.flags.writeable
    seeds = v.per_agent_int("seed", [3, 4], 2, high=9)
    assert seeds.dtype == np.uint64 and seeds.tolist() == [3, 4] and not seeds.flags.writeable
    assert v.table_dtype("dtype", np.float32) == np.dtype("float32")
    assert v.choice("mode", None, ("a",), none=True) is None
    assert v.flag("progress", np.bool_(True)) is True and v.flag("progress", None, none=True) is None
    assert v.names("algos", ["b", "a", "b"], ("a", "b")) == ["b", "a"]
    policies, single = v.policy("policy", [[0, 1], [1, 1]], 2, 2)
    assert policies.shape == (2, 2) and not single
    q = np.zeros((1, 3, 4))
    assert v.q_table("q", q, 5, 3, 4, writable=True) is q  # updated in place: never copied


def test_hyperparameter_intervals_are_trains():
    assert set(v.HYPERPARAMETERS) == {"alpha", "gamma", "epsilon", "q_init", "temperature"}
    v.per_agent("alpha", 1.0, 1, **v.HYPERPARAMETERS["alpha"])
    with pytest.raises(ArgumentError):
        v.per_agent("alpha", 0.0, 1, **v.HYPERPARAMETERS["alpha"])


def test_memory_refuses_what_cannot_fit(monkeypatch):
    monkeypatch.setattr(v, "available_memory", lambda: 2**30)
    v.memory("a run", 2**29)
    with pytest.raises(ValueError, match=r"a run would need about 1.0 GiB .* only 1.0 GiB is available"):
        v.memory("a run", 2**30)
    monkeypatch.setattr(v, "available_memory", lambda: None)
    v.memory("a run", 2**60)  # unknown: allowed
