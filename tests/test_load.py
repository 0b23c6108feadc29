"""fastq.load: a result file or a sweep directory, read back as what was written."""

import numpy as np
import pytest

import fastq
from helpers import assert_same


def test_load_reads_a_result_file_and_a_sweep_directory(tmp_path):
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=5, backend="numpy")
    res.save(tmp_path / "run.npz")
    assert isinstance(fastq.load(tmp_path / "run.npz"), fastq.Result)
    assert_same(fastq.load(tmp_path / "run.npz"), res)
    sw = fastq.sweep("FrozenLake-4x4", seeds=2, episodes=5, out=tmp_path / "sweep", progress=False)
    back = fastq.load(tmp_path / "sweep")
    assert isinstance(back, fastq.SweepResult)
    assert_same(back, sw)


def test_load_of_a_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastq.load(tmp_path / "nothing.npz")


def test_load_finds_what_save_named(tmp_path):
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=5, backend="numpy")
    res.save(tmp_path / "g")  # writes g.npz
    assert_same(fastq.load(tmp_path / "g"), res)
    assert_same(fastq.Result.load(tmp_path / "g"), res)


def _not_fastq(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    (tmp_path / "notes.txt").write_text("hello")
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    (tmp_path / "half.npz").write_bytes(b"PK\x03\x04 truncated")
    fastq.sweep("FrozenLake-4x4", seeds=2, episodes=5, out=tmp_path / "sweep", progress=False)
    return [
        (tmp_path / "a.npy", "it holds a single array"),
        (tmp_path / "notes.txt", "numpy cannot read it"),
        (tmp_path / "other.npz", "it has no 'q'"),
        (tmp_path / "half.npz", "numpy cannot read it"),
        (tmp_path / "sweep" / "chunks" / "chunk-000000.npz", r"is a sweep chunk, .*: load the sweep's folder"),
        (tmp_path / "sweep" / "sweep.json", "is a sweep's manifest: load the sweep's folder"),
    ]


def test_load_says_what_it_expected_of_a_file_fastq_did_not_write(tmp_path):
    for path, message in _not_fastq(tmp_path):
        with pytest.raises(ValueError, match=message):
            fastq.load(path)
    with pytest.raises(ValueError, match="is not a fastq sweep directory: it has no sweep.json"):
        fastq.load(tmp_path)
    with pytest.raises(TypeError, match="path must be a file or folder path"):
        fastq.load(3)


def test_a_result_file_with_arrays_of_other_shapes_is_refused(tmp_path):
    np.savez(tmp_path / "r.npz", q=np.zeros(3), returns=np.zeros((2, 2)), lengths=np.zeros((2, 2)),
             successes=np.zeros((2, 2), bool), meta=np.array("{}"))
    with pytest.raises(ValueError, match=r"is damaged or is not a result file .*: q has shape \(3,\)"):
        fastq.load(tmp_path / "r.npz")
