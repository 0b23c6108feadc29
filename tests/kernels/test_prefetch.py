"""The software prefetch of the learner kernels is a hint: it reads nothing into a result and
writes nothing."""

import numpy as np
from numba import njit

from fastq.kernels.prefetch import prefetch, prefetch_model


@njit
def _prefetch_every_row_then_sum(next_state, cum_prob, reward):
    total = 0.0
    for s in range(next_state.shape[0]):
        prefetch_model(next_state, cum_prob, reward, s)
        prefetch(reward, s)
        total += reward[s, 0, 0]
    return total


def test_prefetch_changes_no_value():
    rng = np.random.default_rng(0)
    next_state = rng.integers(0, 7, size=(7, 5, 3))
    cum_prob = np.cumsum(rng.random((7, 5, 3)), axis=2)
    reward = rng.normal(size=(7, 5, 3))
    before = [a.copy() for a in (next_state, cum_prob, reward)]
    assert _prefetch_every_row_then_sum(next_state, cum_prob, reward) == reward[:, 0, 0].sum()
    for a, b in zip((next_state, cum_prob, reward), before):
        np.testing.assert_array_equal(a, b)
