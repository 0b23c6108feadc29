"""Statistics over seeds: the interquartile mean and the percentile bootstrap.

A sweep summarises each cell by one number per seed (its mean over the last episodes); across
seeds it reports the mean, the interquartile mean (robust to a few diverging seeds, as
recommended by Agarwal et al., *Deep RL at the Edge of the Statistical Precipice*, 2021) and a
percentile bootstrap confidence interval of the mean.  Both functions depend only on their
arguments (the bootstrap on its ``seed``), so a summary can be recomputed exactly.
"""

from __future__ import annotations

import numpy as np

from . import _validate

#: Default number of bootstrap resamples of :meth:`fastq.SweepResult.summary`.
BOOTSTRAP_RESAMPLES = 10_000


def interquartile_mean(values) -> float:
    """Mean of the middle half of ``values``: the IQM (Agarwal et al. 2021).

    The ``floor(n / 4)`` smallest and largest values are dropped, as
    ``scipy.stats.trim_mean(values, 0.25)`` does; NaN for no values.

    Parameters
    ----------
    values : array-like of float, any shape (flattened)

    Returns
    -------
    float

    Examples
    --------
    >>> from fastq.stats import interquartile_mean
    >>> interquartile_mean([-1000, 1, 2, 3, 4, 5, 6, 1000])
    3.5
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    if n == 0:
        return float("nan")
    k = n // 4
    with np.errstate(invalid="ignore"):  # inf - inf among diverging values: nan, as the mean's
        return float(x[k:n - k].mean())


def bootstrap_ci(values, *, resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = 0.95,
                 seed=0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of ``values``.

    ``resamples`` means of ``n`` values drawn with replacement (numpy's ``default_rng(seed)``,
    drawn in blocks of at most ``2**22`` indices, so the memory stays bounded and the numbers
    depend only on the arguments); the interval runs from the ``(1 - confidence) / 2`` to the
    ``(1 + confidence) / 2`` quantile of those means.  ``(nan, nan)`` for no values, or for
    values not all finite (a diverging learner's): their means have no interval.

    Parameters
    ----------
    values : array-like of float, any shape (flattened)
    resamples : int, >= 1
    confidence : float, 0 < confidence < 1
    seed : int or sequence of int
        Seed of the resampling (``numpy.random.default_rng``).

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> from fastq.stats import bootstrap_ci
    >>> bootstrap_ci([2.0, 2.0, 2.0])
    (2.0, 2.0)
    >>> low, high = bootstrap_ci(range(100), resamples=2000)
    >>> bool(low < 49.5 < high)
    True
    """
    resamples = _validate.integer("resamples", resamples, low=1)
    confidence = _validate.real("confidence", confidence, low=0.0, high=1.0, low_closed=False, high_closed=False)
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    if n == 0 or not np.isfinite(x).all():
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, 2**22 // n)
    for start in range(0, resamples, block):
        stop = min(start + block, resamples)
        means[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


__all__ = ["BOOTSTRAP_RESAMPLES", "bootstrap_ci", "interquartile_mean"]
