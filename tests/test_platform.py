"""fastq._platform: the versions every result records, and the machine's description."""

import platform

import numba
import numpy as np

import fastq
from fastq import _platform


def test_versions_are_what_results_record():
    versions = _platform.versions()
    assert versions == {"fastq": fastq.__version__, "numpy": np.__version__, "numba": numba.__version__,
                        "python": platform.python_version()}
    res = fastq.train("FrozenLake-4x4", agents=1, episodes=1, backend="numpy")
    assert res.meta["versions"] == versions


def test_machine_and_its_line():
    info = _platform.machine()
    assert info["numba_threads"] == numba.config.NUMBA_NUM_THREADS
    assert {k: info[k] for k in ("fastq", "numpy", "numba", "python")} == _platform.versions()
    line = _platform.machine_line(info)
    assert line.startswith(f"machine: {info['cpu']} ({info['arch']}), {info['logical_cores']} logical core")
    assert f"fastq {fastq.__version__}" in line
    assert "usable by this process" in _platform.machine_line({**info, "usable_cores": info["logical_cores"] + 1})
