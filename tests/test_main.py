"""``python -m fastq`` (fastq/__main__.py) is the ``fastq`` command."""

import subprocess
import sys

import pytest

from helpers import summary_fields



@pytest.mark.subprocess
def test_python_m_fastq_trains(worker_env):
    proc = subprocess.run(
        [sys.executable, "-m", "fastq", "train", "FrozenLake-4x4", "--agents", "4", "--episodes", "10"],
        capture_output=True, text=True, timeout=300, env=worker_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "agent-steps" in proc.stdout
    fields = summary_fields(proc.stdout)
    assert fields["agents x episodes"] == "4 x 10"
    # A fresh process compiles the kernel and reports it apart from the training time
    # (unless FASTQ_CACHE=1 loaded it from the cache, which takes well under a second).
    assert fields["compile time"].endswith("(not counted below)")
    assert "Traceback" not in proc.stderr
