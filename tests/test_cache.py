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

import numpy as np
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
    # A damaged object inside a file that still unpickles: LLVM aborted the process on it
    # ("LLVM ERROR: The file was not recognized as a valid object file") or crashed.  The
    # checksum stops it first: a miss and one warning, like any corrupt file.
    (kernel_file,) = [p for p in cache_files(tmp_path) if p.suffix == ".nbc"]
    data = bytearray(kernel_file.read_bytes())
    elf = data.find(b"\x7fELF")
    assert elf > 0
    data[elf: elf + 4] = b"JUNK"
    data[elf + 64: elf + 2064] = b"\xab" * 2000
    kernel_file.write_bytes(bytes(data))
    fifth = run(tmp_path)
    assert fifth["misses"] == 1 and len(fifth["warnings"]) == 1 and "is damaged" in fifth["warnings"][0]


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
        "caching.IndexDataCacheFile._open_for_write = full\n"
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


def test_every_kernels_cache_key_holds_the_fingerprint(monkeypatch):
    # numba's own key covers a kernel's bytecode only: a rollout kernel (fastq.kernels.rollouts)
    # inlines helpers of other modules, whose changes must recompile it too.
    from fastq import _config
    from fastq.kernels import rollouts

    class Codegen:
        def magic_tuple(self):
            return ("target",)

    plain = _config._cache_class()(rollouts.epsilon_greedy_batch.py_func)
    assert plain._index_key((), Codegen())[2][-1] == _config.KERNEL_FINGERPRINT

    def factory_kernel():
        pass

    factory_kernel.__fastq_key__ = "variant"
    made = _config._cache_class()(factory_kernel)
    first = made._index_key((), Codegen())
    monkeypatch.setattr(_config, "KERNEL_FINGERPRINT", "another source")
    assert made._index_key((), Codegen()) != first


RUN = """
def run(algo):
    # The exact greedy value of the control learners; the RMS error of V of the prediction ones.
    args = dict(agents=20, episodes=5, seed=4, threads=2, **fastq.algos.default_arguments(algo))
    if algo in fastq.algos.PREDICTION_ALGORITHMS:
        res = fastq.train("FrozenLake-4x4", algo, **args)
        return res.v, res.lengths, res.extra["rms_error"]
    res = fastq.train("FrozenLake-4x4", algo, eval_every=5, **args)
    return res.q, res.lengths, res.extra["eval_value"]
"""

NO_JIT = """
import json, warnings
import numpy as np
warnings.simplefilter("error")  # not even an overflow warning: uint64 arithmetic wraps by design
import fastq, fastq.kernels
from fastq import core
""" + RUN + """
out = {algo: [a.tolist() for a in run(algo)] for algo in fastq.ALGORITHMS}
state = core.make_rng_state(4, 3)
states = core.reset_batch("FrozenLake-4x4", state)
out["core"] = [states.tolist(), core.step_batch("FrozenLake-4x4", state, states, np.array([1, 2, 3]))[0].tolist()]
print(json.dumps(out))
"""


@pytest.mark.subprocess
def test_numba_disable_jit_runs_every_kernel_as_python_with_the_same_numbers(tmp_path):
    # NUMBA_DISABLE_JIT=1 broke `import fastq.kernels` and every train() (backend="numpy" too).
    environ = dict(os.environ, NUMBA_DISABLE_JIT="1", NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", NO_JIT], env=environ, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert not out.stderr.strip()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    namespace = {}
    exec(RUN, {"fastq": fastq}, namespace)  # the same runs in this process, compiled
    for algo in fastq.ALGORITHMS:
        table, lengths, value = namespace["run"](algo)
        np.testing.assert_array_equal(np.array(report[algo][0]), table, err_msg=algo)
        np.testing.assert_array_equal(np.array(report[algo][1]), lengths, err_msg=algo)
        np.testing.assert_allclose(np.array(report[algo][2]), value, rtol=1e-12, err_msg=algo)
    from fastq import core

    state = core.make_rng_state(4, 3)
    states = core.reset_batch("FrozenLake-4x4", state)
    assert report["core"] == [states.tolist(), core.step_batch("FrozenLake-4x4", state, states,
                                                               np.array([1, 2, 3]))[0].tolist()]
