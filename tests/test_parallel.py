"""Threads and the on-disk cache: how kernels run, not what they compute (tests/kernels has that)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastq
from fastq import _parallel


@pytest.mark.parametrize("agents", [1, 15, 16, 17, 100, 4096, 65537])
@pytest.mark.parametrize("threads", [1, 2, 3, 16])
def test_chunks_cover_every_agent_once_in_order(agents, threads):
    ranges = _parallel.chunks(agents, threads)
    starts, stops = np.array(ranges).T
    assert starts[0] == 0 and stops[-1] == agents
    assert (starts[1:] == stops[:-1]).all() and (stops > starts).all()
    if threads == 1 or agents <= _parallel.MIN_CHUNK:
        assert ranges == [(0, agents)]  # small jobs: one call, in the calling thread
    else:
        assert (stops - starts)[:-1].min() >= _parallel.MIN_CHUNK  # only the last may be short
        assert len(ranges) <= threads * _parallel.CHUNKS_PER_THREAD


def test_every_chunk_runs_once_on_worker_threads():
    import threading

    import numba

    calls = []

    def kernel(*args):
        calls.append((args[-2], args[-1], threading.current_thread().name))

    run = _parallel.over_agents(kernel)
    keys = np.zeros(1000, dtype=np.uint64)
    with fastq._config.threads(min(2, fastq._config.max_threads())) as n:
        run(None, None, None, keys, 0, 1, None, None)
        assert numba.get_num_threads() == n
    assert sorted(c[:2] for c in calls) == _parallel.chunks(1000, n)
    names = {c[2] for c in calls}
    assert names == {"MainThread"} if n == 1 else all(name.startswith("fastq") for name in names)


def test_an_error_in_a_chunk_reaches_the_caller():
    def kernel(*args):
        if args[-2] == 16:
            raise ZeroDivisionError("chunk 2")

    run = _parallel.over_agents(kernel)
    with fastq._config.threads(fastq._config.max_threads()), pytest.raises(ZeroDivisionError, match="chunk 2"):
        run(None, None, None, np.zeros(64, dtype=np.uint64), 0, 1, None, None)


def test_a_read_only_install_with_fastq_cache_warns_and_compiles():
    # Numba raises at decoration time when it cannot write a cache anywhere; fastq must still
    # import, warn once and run (here no cache location is usable at all).
    script = """
import warnings
import numba.core.caching as caching
caching.CacheImpl._locator_classes = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import fastq, fastq.kernels.learners, fastq.kernels.evaluation
print(fastq._config.CACHE, sum("cannot write a cache" in str(w.message) for w in caught))
"""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["FASTQ_CACHE"] = "1"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.split() == ["False", "1"]
