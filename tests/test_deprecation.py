"""fastq._deprecation, and every old spelling this release keeps: it works, and it warns."""

import types
import warnings

import numpy as np
import pytest

import fastq
from fastq import _deprecation


def test_renamed_keyword():
    @_deprecation.renamed(old="new")
    def f(new=1):
        return new

    with pytest.warns(DeprecationWarning, match=r"f\(old=...\) is deprecated .* use new=..."):
        assert f(old=2) == 2
    with pytest.raises(TypeError, match="got both 'new' and its old name 'old'"):
        f(old=2, new=3)


def test_keyword_only():
    @_deprecation.keyword_only("b", "c")
    def f(a, *, b=0, c=0):
        return a, b, c

    assert f(1, c=3) == (1, 0, 3)
    with pytest.warns(DeprecationWarning, match=r"passing b, c to f\(\) by position"):
        assert f(1, 2, 3) == (1, 2, 3)
    with pytest.raises(TypeError, match="takes 1 positional arguments, got 4"):
        f(1, 2, 3, 4)
    with pytest.raises(TypeError, match="multiple values for argument 'b'"):
        f(1, 2, b=2)


def test_reordered():
    @_deprecation.reordered(("x", "key"), "key", lambda v: isinstance(v, bytes))
    def f(key, x):
        return key, x

    assert f(b"k", 1) == (b"k", 1)
    with pytest.warns(DeprecationWarning, match=r"f\(x, key\) is deprecated .* use f\(key, x\)"):
        assert f(1, b"k") == (b"k", 1)
    with pytest.warns(DeprecationWarning):
        assert f(1, key=b"k") == (b"k", 1)
    assert f("neither", 1) == ("neither", 1)  # neither order fits: the call goes through as it is


def test_moved():
    module = types.ModuleType("old_home")
    module.stays = 1
    _deprecation.moved(module, {"gone": (42, "new_home.gone")})
    assert module.stays == 1
    with pytest.warns(DeprecationWarning, match="old_home.gone is deprecated .* use new_home.gone"):
        assert module.gone == 42
    with pytest.raises(AttributeError):
        module.never


# Every old spelling of this release: (what, the call, what it must equal).
def _solution():
    return fastq.value_iteration("FrozenLake-4x4", gamma=0.9)


OLD = [
    ("fastq.mdp.as_mdp", lambda: fastq.mdp.as_mdp("FrozenLake-4x4"), lambda: fastq.envs.as_mdp("FrozenLake-4x4")),
    ("fastq.results.SweepResult", lambda: fastq.results.SweepResult, lambda: fastq.SweepResult),
    ("fastq.results.load", lambda: fastq.results.load, lambda: fastq.load),
    ("fastq.results.interquartile_mean", lambda: fastq.results.interquartile_mean([1, 2, 3]),
     lambda: fastq.stats.interquartile_mean([1, 2, 3])),
    ("fastq.envs.random_map", lambda: fastq.envs.random_map(4, 0.8, 3), lambda: fastq.random_map(4, 0.8, 3)),
    ("fastq.results.bootstrap_ci", lambda: fastq.results.bootstrap_ci, lambda: fastq.stats.bootstrap_ci),
    ("fastq.results.BOOTSTRAP_RESAMPLES", lambda: fastq.results.BOOTSTRAP_RESAMPLES, lambda: 10_000),
    ("value_iteration(env, gamma)", lambda: _positional_solution().v, lambda: _solution().v),
    ("policy_evaluation(env, policy, gamma)",
     lambda: fastq.policy_evaluation("FrozenLake-4x4", np.zeros(16, int), 0.9),
     lambda: fastq.policy_evaluation("FrozenLake-4x4", np.zeros(16, int), gamma=0.9)),
    ("greedy_metrics(env, q, gamma)", lambda: fastq.solve.greedy_metrics("FrozenLake-4x4", _solution().q[None], 0.9),
     lambda: fastq.solve.greedy_metrics("FrozenLake-4x4", _solution().q[None], gamma=0.9)),
]


def _positional_solution():
    return fastq.value_iteration("FrozenLake-4x4", 0.9)


@pytest.mark.parametrize("what, old, new", OLD, ids=[o[0] for o in OLD])
def test_every_old_spelling_warns_and_gives_the_new_result(what, old, new):
    import fastq.stats  # noqa: F401
    import fastq.sweep_result  # noqa: F401

    with pytest.warns(DeprecationWarning, match="is deprecated and will be removed in fastq 0.3"):
        got = old()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = new()
    if isinstance(expected, tuple):
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, fastq.TabularMDP):
        assert got is expected
    else:
        assert got == expected or got is expected
