"""Threads: how kernels run over the agents, not what they compute (tests/kernels has that)."""

import numpy as np
import pytest

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


@pytest.mark.parametrize("threads", [1, 2])
def test_every_chunk_runs_once_on_worker_threads(threads):
    import threading

    calls = []

    def kernel(*args):
        calls.append((args[-2], args[-1], threading.current_thread().name))

    run = _parallel.over_agents(kernel)
    run(None, None, np.zeros(1000, dtype=np.uint64), 0, 1, None, None, threads=threads)
    assert sorted(c[:2] for c in calls) == _parallel.chunks(1000, threads)
    names = {c[2] for c in calls}
    assert names == {"MainThread"} if threads == 1 else all(name.startswith("fastq") for name in names)


def test_a_serial_run_uses_one_range_whatever_the_threads():
    calls = []
    run = _parallel.over_agents(lambda *args: calls.append(args[-2:]), parallel=False)
    run(None, None, np.zeros(1000, dtype=np.uint64), 0, 1, None, None, threads=2)
    assert calls == [(0, 1000)]


def test_an_error_in_a_chunk_reaches_the_caller():
    def kernel(*args):
        if args[-2] == 16:
            raise ZeroDivisionError("chunk 2")

    run = _parallel.over_agents(kernel)
    with pytest.raises(ZeroDivisionError, match="chunk 2"):
        run(None, None, np.zeros(64, dtype=np.uint64), 0, 1, None, None, threads=2)
