"""fastq._version: one version, the one the package is installed as."""

import importlib.metadata
import re
from pathlib import Path

import fastq


def test_version_is_the_packages():
    pyproject = (Path(fastq.__file__).resolve().parents[1] / "pyproject.toml").read_text()
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert fastq.__version__ == declared == importlib.metadata.version("fastq-rl")
