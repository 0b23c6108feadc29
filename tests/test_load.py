"""fastq.load: a result file or a sweep directory, read back as what was written."""

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
