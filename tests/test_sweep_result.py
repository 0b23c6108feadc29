"""fastq.sweep_result: SweepResult's arrays, statistics, cells and its directory on disk."""

import os

import numpy as np
import pytest

import fastq
from fastq.stats import bootstrap_ci, interquartile_mean
from fastq.sweep_result import METRICS, SweepResult
from helpers import assert_same, small_sweep


@pytest.fixture(scope="module")
def sw() -> SweepResult:
    return small_sweep()


def test_summary_best_and_to_pandas(sw):
    rows = sw.summary(last=10)
    assert [r["cell"] for r in rows] == [0, 1, 2, 3]
    for c, row in enumerate(rows):
        per_seed = sw.returns[c, :, -10:].mean(axis=1)
        assert row["mean"] == pytest.approx(per_seed.mean(), rel=1e-12)
        assert row["iqm"] == pytest.approx(interquartile_mean(per_seed), rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == bootstrap_ci(per_seed, seed=[0, c])
        assert row["algo"] == sw.cells[c]["algo"] and row["seeds"] == 6
    best = sw.best("return", last=10)
    assert best["mean"] == max(r["mean"] for r in rows)
    lengths = sw.summary("length", last=10)
    assert sw.best("length", last=10)["mean"] == min(r["mean"] for r in lengths)
    assert sw.summary()[0]["mean"] == sw.summary(last=3)[0]["mean"]  # default: 10 % of 30 episodes
    df = sw.to_pandas(last=10)
    assert list(df.columns) == ["cell", "algo", "alpha", "seed", "return", "length", "success"]
    assert len(df) == 4 * 6 and df.attrs["last"] == 10
    np.testing.assert_array_equal(df["return"].to_numpy().reshape(4, 6), sw.final("return", 10))
    with pytest.raises(ValueError, match="last must be"):
        sw.summary(last=31)


def test_summary_takes_metric_then_last_and_the_old_order_warns(sw):
    new = sw.summary("length", 5)
    with pytest.warns(DeprecationWarning, match=r"SweepResult.summary\(last, metric\)"):
        assert sw.summary(5, "length") == new
    with pytest.warns(DeprecationWarning):
        assert sw.summary(5) == sw.summary("return", 5)
    assert sw.final("length", 5).shape == (4, 6)
    assert set(METRICS) == {"return", "length", "success", "loss", "rms_error"}


def test_cells_index_and_result(sw):
    assert sw.shape == (2, 2) and sw.n_cells == 4 and sw.n_seeds == 6 and sw.complete
    c = sw.index(algo="sarsa", alpha=0.1)
    assert sw.cells[c] == {"algo": "sarsa", "alpha": 0.1}
    single = fastq.train("CliffWalking", "sarsa", agents=6, episodes=30, alpha=0.1, gamma=1.0, seed=11)
    assert_same(sw.result(c), single)
    with pytest.raises(ValueError, match="needs a value for every axis"):
        sw.index(alpha=0.1)
    with pytest.raises(ValueError, match="no cell has the values"):
        sw.index(algo="sarsa", alpha=0.3)
    assert repr(sw).startswith("SweepResult(CliffWalking, cells=4 (algo 2 x alpha 2), seeds=6, episodes=30")


def test_save_and_load_a_directory(sw, tmp_path):
    sw.save(tmp_path / "s")
    assert sorted(os.listdir(tmp_path / "s")) == ["chunks", "sweep.json"]
    back = SweepResult.load(tmp_path / "s")
    assert_same(back, sw)
    assert back.meta["chunks_done"] == len(sw.chunk_meta)
    other = small_sweep(episodes=20)
    with pytest.raises(ValueError, match="holds a different sweep"):
        other.save(tmp_path / "s")
