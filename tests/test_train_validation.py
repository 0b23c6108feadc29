"""train() argument validation: every bad argument is refused, by name, before anything compiles.

The cases below use the default backend ("numba"): they must raise before the kernel is
compiled, so the whole file runs without compiling anything (checked in a fresh subprocess).
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastq
from fastq import _request
from fastq import GridWorld

ENV = GridWorld(["S.G"])
MAX_THREADS = fastq._config.max_threads()

# (id, keyword arguments of train() besides env unless given, exception, message pattern)
CASES = [
    ("env-int", dict(env=42), TypeError, r"^env must be an environment name \(see fastq.list_envs\(\)\), a GridWorld or a TabularMDP, got int"),
    ("env-array", dict(env=np.zeros((3, 4, 1))), TypeError, r"^env must be an environment name .* got ndarray"),
    ("env-unknown-name", dict(env="FrozenLake"), ValueError, r"^unknown environment 'FrozenLake'; known environments: CliffWalking"),
    ("algo", dict(algo="foo"), ValueError, r"^algo must be one of 'q_learning', 'sarsa', 'expected_sarsa', 'double_q', 'dyna_q', 'td', 'n_step_td', 'td_lambda', 'mc_prediction', 'n_step_sarsa', 'sarsa_lambda', 'q_lambda', 'mc_control', got 'foo'"),
    ("algo-none", dict(algo=None), ValueError, r"^algo must be one of 'q_learning', 'sarsa', 'expected_sarsa', 'double_q', 'dyna_q', 'td', 'n_step_td', 'td_lambda', 'mc_prediction', 'n_step_sarsa', 'sarsa_lambda', 'q_lambda', 'mc_control', got None"),
    ("agents-0", dict(agents=0), ValueError, r"^agents must be >= 1, got 0"),
    ("agents-negative", dict(agents=-3), ValueError, r"^agents must be >= 1, got -3"),
    ("agents-float", dict(agents=1.5), TypeError, r"^agents must be an integer, got 1.5 \(float\)"),
    ("agents-integral-float", dict(agents=2.0), TypeError, r"^agents must be an integer, got 2.0 \(float\)"),
    ("agents-bool", dict(agents=True), TypeError, r"^agents must be an integer, got True \(bool\)"),
    ("episodes-0", dict(episodes=0), ValueError, r"^episodes must be in the range 1 <= value <= 4294967295, got 0"),
    ("episodes-2**32", dict(episodes=2**32), ValueError, r"^episodes must be in the range 1 <= value <= 4294967295, got 4294967296"),
    ("episodes-str", dict(episodes="10"), TypeError, r"^episodes must be an integer, got '10' \(str\)"),
    ("alpha-0", dict(alpha=0), ValueError, r"^alpha must be finite and in the range 0.0 < value <= 1.0, got 0.0"),
    ("alpha-1.5", dict(alpha=1.5), ValueError, r"^alpha must be finite and in the range 0.0 < value <= 1.0, got 1.5"),
    ("alpha-nan", dict(alpha=float("nan")), ValueError, r"^alpha must be finite and in the range 0.0 < value <= 1.0, got nan"),
    ("alpha-inf", dict(alpha=np.inf), ValueError, r"^alpha must be finite .* got inf"),
    ("alpha-bool", dict(alpha=True), TypeError, r"^alpha must be a number or a 1-D array of 1 numbers, got True"),
    ("alpha-wrong-length", dict(agents=3, alpha=[0.1, 0.2]), ValueError,
     r"^alpha must be a number or a 1-D array of length agents=3, got shape \(2,\)"),
    ("alpha-2d", dict(agents=3, alpha=np.full((3, 1), 0.1)), ValueError,
     r"^alpha must be a number or a 1-D array of length agents=3, got shape \(3, 1\)"),
    ("alpha-2d-square", dict(agents=2, alpha=np.full((2, 2), 0.1)), ValueError,
     r"^alpha must be a number or a 1-D array of length agents=2, got shape \(2, 2\)"),
    ("alpha-strings", dict(agents=2, alpha=np.array(["0.1", "0.2"])), TypeError,
     r"^alpha must be a number or a 1-D array of real numbers, got dtype <U3"),
    ("alpha-string", dict(alpha="0.1"), TypeError, r"^alpha must be a number or a 1-D array of real numbers, got dtype <U3"),
    ("gamma-negative", dict(gamma=-0.1), ValueError, r"^gamma must be finite and in the range 0.0 <= value <= 1.0, got -0.1"),
    ("gamma-above-1", dict(gamma=1.1), ValueError, r"^gamma must be finite and in the range 0.0 <= value <= 1.0, got 1.1"),
    ("epsilon-negative", dict(epsilon=-0.1), ValueError, r"^epsilon must be finite and in the range 0.0 <= value <= 1.0, got -0.1"),
    ("epsilon-above-1", dict(epsilon=1.1), ValueError, r"^epsilon must be finite and in the range 0.0 <= value <= 1.0, got 1.1"),
    ("q_init-nan", dict(q_init=float("nan")), ValueError, r"^q_init must be finite.*, got nan"),
    ("q_init-inf-entry", dict(agents=2, q_init=[0.0, -np.inf]), ValueError, r"^q_init must be finite.*, got .*inf.* \(entry 1\)"),
    # bounded so that rounding to float32 and every learner's sums stay finite (they gave inf, NaN)
    ("q_init-1e39-float32", dict(q_init=1e39, dtype="float32"), ValueError,
     r"^q_init must be finite and in the range -1e\+18 <= value <= 1e\+18, got 1e\+39"),
    ("q_init-1e308-expected-sarsa", dict(algo="expected_sarsa", q_init=1e308), ValueError,
     r"^q_init must be finite and in the range -1e\+18 <= value <= 1e\+18, got 1e\+308"),
    ("epsilon-one-bad-entry", dict(agents=4, epsilon=[0.1, 0.2, 1.5, 0.3]), ValueError,
     r"^epsilon must be finite and in the range 0.0 <= value <= 1.0, got .*1.5.* \(entry 2\)"),
    ("alpha-one-nan-entry", dict(agents=3, alpha=np.array([0.1, np.nan, 0.2])), ValueError,
     r"^alpha must be finite and in the range 0.0 < value <= 1.0, got .*nan.* \(entry 1\)"),
    ("gamma-one-bad-entry", dict(agents=3, gamma=np.array([0.9, 0.99, -1.0])), ValueError,
     r"^gamma must be finite .* \(entry 2\)"),
    ("tie_break", dict(tie_break="foo"), ValueError, r"^tie_break must be one of 'random', 'first', got 'foo'"),
    ("seed-negative", dict(seed=-1), ValueError, r"^seed must be in the range 0 <= value <= 18446744073709551615, got -1"),
    ("seed-2**64", dict(seed=2**64), ValueError, r"^seed must be in the range 0 <= value <= 18446744073709551615, got 18446744073709551616"),
    ("seed-float", dict(seed=1.0), TypeError, r"^seed must be an integer or a 1-D array of length agents=1, got 1.0"),
    ("seed-none", dict(seed=None), ValueError, r"^seed must be an integer or a 1-D array of length agents=1, got shape \(\)"),
    ("seed-array-length", dict(seed=[1, 2], agents=3), ValueError, r"^seed must be an integer or a 1-D array of length agents=3, got shape \(2,\)"),
    ("seed-array-float", dict(seed=[1, 2, 3.5], agents=3), TypeError, r"^seed must hold integers, got 3.5 \(entry 2\)"),
    ("seed-array-negative", dict(seed=[1, -2, 3], agents=3), ValueError, r"^seed must hold integers in the range 0 <= value <= 18446744073709551615, got -2 \(entry 1\)"),
    ("agent-ids-negative", dict(agent_ids=[0, 1, -1], agents=3), ValueError, r"^agent_ids must hold integers in the range 0 <= value <= 9223372036854775807, got -1 \(entry 2\)"),
    ("backend", dict(backend="foo"), ValueError, r"^backend must be one of 'numba', 'numpy', got 'foo'"),
    ("threads-0", dict(threads=0), ValueError, rf"^threads must be in the range 1 <= value <= {MAX_THREADS}, got 0"),
    ("threads-too-many", dict(threads=MAX_THREADS + 1), ValueError, rf"^threads must be in the range 1 <= value <= {MAX_THREADS}, got {MAX_THREADS + 1}"),
    ("threads-float", dict(threads=2.0), TypeError, r"^threads must be an integer, got 2.0"),
    ("progress", dict(progress="yes"), TypeError, r"^progress must be True or False, got 'yes'"),
    ("progress-int", dict(progress=1), TypeError, r"^progress must be True or False, got 1"),
    ("memory", dict(agents=10**6, episodes=10**6), ValueError,
     r"^train\(agents=1000000, episodes=1000000\) on 3 states x 4 actions would need about [\d.]+ GiB of memory "
     r"for its outputs, but only [\d.]+ [GM]iB is available; use fewer agents or episodes"),
]


def call(case):
    _, kwargs, _, _ = case
    kwargs = dict(kwargs)
    env = kwargs.pop("env", ENV)
    return fastq.train(env, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_invalid_argument_is_refused(case):
    _, _, exc, pattern = case
    with pytest.raises(exc, match=pattern):
        call(case)


NUMPY_CASES = [c for c in CASES if "backend" not in c[1]]


@pytest.mark.parametrize("case", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_invalid_argument_is_refused_on_the_numpy_backend_too(case):
    name, kwargs, exc, pattern = case
    with pytest.raises(exc, match=pattern):
        call((name, {**kwargs, "backend": "numpy"}, exc, pattern))


def test_memory_estimate_counts_the_outputs():
    # 10**6 agents x 10**6 episodes x (8 + 4 + 1) bytes + per agent a Q-table of 3 x 4 float64,
    # 8 words of the learner's own and AGENT_BYTES of hyperparameters, stream key and seed
    expected = (10**6 * (3 * 4 * 8 + 8 * 8 + _request.AGENT_BYTES) + 10**12 * 13) / 2**30
    with pytest.raises(ValueError, match=rf"would need about {expected:.1f} GiB") as info:
        fastq.train(ENV, agents=10**6, episodes=10**6)
    assert info.value.argument == "episodes"  # the per-episode outputs are most of it


def test_huge_agent_count_is_refused_with_an_estimate():
    # 2**50 agents: 8 PiB per parameter array, more than any address space, so nothing is allocated
    with pytest.raises(ValueError, match=r"would need about [\d.]+ GiB") as info:
        fastq.train(ENV, agents=2**50, episodes=1)
    assert info.value.argument == "agents"


def test_bad_entry_message_shows_a_plain_number():
    with pytest.raises(ValueError, match=r"got 1\.5 \(entry 2\)$"):
        fastq.train(ENV, agents=4, epsilon=[0.1, 0.2, 1.5, 0.3])


def test_q_init_message_gives_its_bound():
    with pytest.raises(ValueError, match=r"^q_init must be finite and in the range -1e\+18 <= value <= 1e\+18, got nan$"):
        fastq.train(ENV, q_init=float("nan"))


def test_boundary_values_are_accepted():
    # the numpy reference: cheap, and the same validation as the compiled backend
    res = fastq.train(
        ENV, agents=2, episodes=3, alpha=np.array([1.0, 1e-9]), gamma=[0.0, 1.0], epsilon=np.array([0, 1]),
        q_init=-5.0, tie_break="first", seed=2**64 - 1, backend="numpy", threads=1, progress=np.bool_(False),
    )
    assert res.returns.shape == (2, 3)
    np.testing.assert_array_equal(res.params["alpha"], [1.0, 1e-9])
    np.testing.assert_array_equal(res.params["gamma"], [0.0, 1.0])
    np.testing.assert_array_equal(res.params["epsilon"], [0.0, 1.0])
    np.testing.assert_array_equal(res.params["q_init"], [-5.0, -5.0])
    assert res.params["alpha"].dtype == np.float64
    assert res.meta["seed"] == 2**64 - 1


def test_invalid_calls_compile_nothing():
    """In a fresh interpreter, every invalid call raises and the kernel is still uncompiled."""
    script = textwrap.dedent(
        f"""
        import importlib.util, sys
        import numba
        spec = importlib.util.spec_from_file_location("validation_cases", {str(Path(__file__))!r})
        cases = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cases)
        from fastq.kernels import learners
        for case in cases.CASES:
            try:
                cases.call(case)
            except (TypeError, ValueError):
                pass
            else:
                sys.exit("no error for " + case[0])
        compiled = sorted(
            name + ":" + str(len(obj.signatures))
            for name, module in sys.modules.items() if name.startswith("fastq.kernels")
            for obj in vars(module).values() if isinstance(obj, numba.core.dispatcher.Dispatcher) and obj.signatures
        )
        print(len(cases.CASES), len(learners._KERNELS), compiled)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == [str(len(CASES)), "0", "[]"]
