"""fastq.stats: the interquartile mean and the percentile bootstrap, exact where they can be."""

import numpy as np
import pytest

from fastq.stats import BOOTSTRAP_RESAMPLES, bootstrap_ci, interquartile_mean


def test_interquartile_mean_is_exact():
    assert interquartile_mean([1, 2, 3, 4, 5, 6, 7, 8]) == 4.5
    assert interquartile_mean([-1000, 1, 2, 3, 4, 5, 6, 1000]) == 3.5
    assert interquartile_mean([5.0]) == 5.0 and np.isnan(interquartile_mean([]))


def test_bootstrap_ci():
    assert bootstrap_ci([3.0] * 7) == (3.0, 3.0)
    assert bootstrap_ci([1.0, 2.0], seed=5) == bootstrap_ci([1.0, 2.0], seed=5)
    # Normal data, n = 400: the interval is about mean +- 1.96 sd / sqrt(n); 10 % tolerance on
    # its width (the bootstrap's own error at 10,000 resamples is ~1-2 %), fixed seeds.
    x = np.random.default_rng(0).normal(10.0, 2.0, size=400)
    low, high = bootstrap_ci(x, seed=1)
    assert low < x.mean() < high
    expected = 2 * 1.959964 * x.std(ddof=1) / np.sqrt(x.size)
    assert abs((high - low) / expected - 1) < 0.10
    with pytest.raises(ValueError, match="confidence must be"):
        bootstrap_ci(x, confidence=1.0)


def test_iqm_is_scipys_trimmed_mean_for_any_length():
    rng = np.random.default_rng(4)
    for n in range(1, 30):
        x = rng.normal(size=n)
        k = n // 4
        assert interquartile_mean(x) == pytest.approx(np.sort(x)[k:n - k].mean(), rel=1e-12)


def test_bootstrap_is_a_pure_function_of_its_arguments():
    x = np.arange(50.0)
    assert bootstrap_ci(x, seed=[3, 1]) == bootstrap_ci(x, seed=[3, 1])
    assert bootstrap_ci(x, seed=[3, 1]) != bootstrap_ci(x, seed=[3, 2])
    low, high = bootstrap_ci(x, resamples=BOOTSTRAP_RESAMPLES, confidence=0.5)
    wide_low, wide_high = bootstrap_ci(x, confidence=0.99)
    assert wide_low < low < 24.5 < high < wide_high
    assert all(np.isnan(bootstrap_ci([])))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"resamples": 0}, ValueError, "resamples must be >= 1, got 0"),
    ({"confidence": 1.0}, ValueError, "confidence must be finite and in the range 0.0 < value < 1.0, got 1.0"),
    ({"resamples": 1.5}, TypeError, "resamples must be an integer"),
])
def test_bootstrap_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        bootstrap_ci([1.0, 2.0], **kwargs)
    assert info.value.argument == next(iter(kwargs))


def test_values_not_all_finite_have_no_interval_and_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in ([1.0, np.inf, 2.0], [1.0, np.nan], [np.inf, -np.inf, 0.0, 1.0]):
            low, high = bootstrap_ci(values, resamples=50)
            assert np.isnan(low) and np.isnan(high)
        assert np.isnan(interquartile_mean([np.inf, -np.inf, 0.0, 1.0, np.inf, -np.inf]))
        assert interquartile_mean([np.inf, 1.0, 2.0, 3.0]) == 2.5
