"""fastq._interface: the tie table and the kernels' packed model, decoded back to the model."""

import numpy as np
import pytest

import fastq
from fastq import rng
from fastq._interface import TIE_TABLE, TIE_WIDTH, Model, kernel_model


def test_tie_table_is_the_pick_among_set_bits_for_every_mask_and_field():
    # Exhaustive over the masks and over every value of pick(x, 12): row m at r holds the
    # (r * c // 12)-th set bit of m, which is the pick(x, c)-th whenever r = pick(x, 12).
    for m in range(1, 16):
        bits = [b for b in range(4) if m >> b & 1]
        for r in range(TIE_WIDTH):
            assert TIE_TABLE[m * TIE_WIDTH + r] == bits[r * len(bits) // TIE_WIDTH]
    # pick(x, 12) * c // 12 == pick(x, c) for c in 1..4, on the low 32 bits that decide both.
    for low in np.random.default_rng(0).integers(0, 2**32, 20_000).tolist() + [0, 2**32 - 1]:
        for c in (1, 2, 3, 4):
            assert rng.pick(low, 12) * c // 12 == rng.pick(low, c)
    assert not TIE_TABLE.flags.writeable


@pytest.mark.parametrize("name", ["FrozenLake-8x8", "CliffWalking", "WindyGridworld-Kings"])
def test_packed_outcome_blocks_decode_to_the_model(name):
    mdp = fastq.make(name).mdp
    model = kernel_model(mdp)
    S, A, K = mdp.shape
    blocks = model.outcomes.reshape(S, A, model.block)
    assert model.block == 3 * K - 1 and model.outcomes.ctypes.data % 64 == 0
    np.testing.assert_array_equal(blocks[:, :, : K - 1], np.ceil(mdp.cum_prob[:, :, : K - 1] * 2.0**53))
    packed = blocks[:, :, K - 1: 2 * K - 1]
    np.testing.assert_array_equal(packed & 0xFFFFFFFF, mdp.next_state)
    np.testing.assert_array_equal(packed >> 32, mdp.terminal[mdp.next_state])
    np.testing.assert_array_equal(blocks[:, :, 2 * K - 1:].view(np.float64), mdp.reward)
    np.testing.assert_array_equal(model.threshold, np.ceil(mdp.cum_prob * 2.0**53))
    assert (model.allowed_mask == (mdp.allowed * (1 << np.arange(A))).sum(axis=1)).all()
    assert all(not a.flags.writeable for a in model if isinstance(a, np.ndarray))


def test_the_model_is_built_once_per_tabular_mdp():
    mdp = fastq.make("FrozenLake-4x4", slip=0.3).mdp
    assert kernel_model(mdp) is kernel_model(mdp)
    assert isinstance(kernel_model(mdp), Model) and kernel_model(mdp).max_steps == mdp.max_steps
