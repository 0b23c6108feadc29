"""The compile cache (fastq._config): on by default, loaded by later processes, never a failure.

Every test runs fresh interpreters (the cache matters across processes), each with its own
cache directory, so they neither see nor disturb the suite's session cache.
"""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastq

SCRIPT = """
import json, sys, warnings
{prelude}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import fastq
    from fastq.kernels.learners import _KERNELS
    res = fastq.train("FrozenLake-4x4", agents=3, episodes=4, seed=1)
    res = fastq.train("FrozenLake-4x4", agents=3, episodes=4, seed=1)
(kernel,) = _KERNELS.values()
print(json.dumps({{"lengths": res.lengths.tolist(), "hits": sum(kernel.stats.cache_hits.values()),
                  "misses": sum(kernel.stats.cache_misses.values()), "cache": fastq._config.CACHE,
                  "warnings": [str(w.message) for w in caught if "compile cache" in str(w.message)]}}))
"""
EXPECTED = fastq.train("FrozenLake-4x4", agents=3, episodes=4, seed=1).lengths.tolist()


def run(cache_dir: Path, prelude: str = "", **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("FASTQ_CACHE", "NUMBA_CACHE_DIR")}
    environ.update(NUMBA_CACHE_DIR=str(cache_dir), **env)
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(prelude=prelude)], env=environ,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["lengths"] == EXPECTED  # whatever happened to the cache, the same numbers
    return report


def cache_files(cache_dir: Path) -> list[Path]:
    return [p for p in cache_dir.rglob("*") if p.suffix in (".nbi", ".nbc")]


def test_on_by_default_loaded_by_a_later_process_and_never_failed_by_a_corrupt_file(tmp_path):
    first = run(tmp_path)
    assert first["cache"] and first["misses"] == 1 and first["hits"] == 0 and not first["warnings"]
    assert cache_files(tmp_path)
    second = run(tmp_path)
    assert second["hits"] == 1 and second["misses"] == 0  # loaded, not compiled
    # Corrupt every cache file: the index and the kernels, one truncated, the others garbage.
    for n, path in enumerate(cache_files(tmp_path)):
        path.write_bytes(path.read_bytes()[:7] if n == 0 else b"\x80not a pickle")
    third = run(tmp_path)
    assert third["misses"] == 1 and len(third["warnings"]) == 1  # compiled, warned once
    fourth = run(tmp_path)
    assert fourth["hits"] == 1 and not fourth["warnings"]  # the cache was written afresh


def test_fastq_cache_0_turns_it_off(tmp_path):
    report = run(tmp_path, FASTQ_CACHE="0")
    assert not report["cache"] and report["misses"] == 1 and not cache_files(tmp_path)


def test_no_writable_location_warns_once_and_compiles(tmp_path):
    # A read-only install with no writable cache directory anywhere: numba finds no location.
    prelude = "import numba.core.caching as caching; caching.CacheImpl._locator_classes = []"
    report = run(tmp_path, prelude)
    assert report["misses"] == 1 and len(report["warnings"]) == 1 and "writable" in report["warnings"][0]


def test_a_full_disk_warns_once_and_runs(tmp_path):
    prelude = (
        "import errno, numba.core.caching as caching\n"
        "def full(*args): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "caching.IndexDataCacheFile._save_data = full\n"
    )
    report = run(tmp_path, prelude)
    assert report["misses"] == 1 and len(report["warnings"]) == 1
    assert os.strerror(errno.ENOSPC) in report["warnings"][0]
    assert not [p for p in cache_files(tmp_path) if p.suffix == ".nbc"]


def test_the_kernel_fingerprint_covers_every_inlined_module():
    # A change to any module inlined into the kernels must change the cache key.
    from fastq import _config

    package = Path(fastq.__file__).parent
    names = {p.name for p in (package / "kernels").glob("*.py")}
    assert {"learners.py", "policy.py", "rng.py", "_llvm.py"} <= names
    assert len(_config.KERNEL_FINGERPRINT) == 16 and _config.KERNEL_FINGERPRINT == _config._fingerprint()
