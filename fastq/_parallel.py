"""Running a learner kernel over a population of agents on several threads.

The kernels of :mod:`fastq.kernels.learners` are serial loops over a range of agents,
``kernel(*args, agent_start, agent_stop)``, compiled with ``nogil=True``.  :func:`over_agents`
turns one into a function of the whole population: the agents are cut into chunks, and
``threads`` Python threads take chunks in turn until none is left (dynamic scheduling, so an
unlucky chunk of long episodes does not hold the others back).  Each agent's numbers depend only
on its own stream, never on its chunk or thread, so results are identical for every thread count.

Why threads and not a numba ``prange`` loop: a parallel kernel compiles two to three times
slower (numba compiles its body twice and adds the scheduler); the serial kernel runs as fast.
A job with fewer agents than a chunk runs in the calling thread, with no thread started at all.
"""

from __future__ import annotations

import concurrent.futures
import itertools

#: Chunks per thread: enough for the threads to even out, few enough that Python's per-chunk
#: overhead (microseconds) is nothing against a chunk's work.
CHUNKS_PER_THREAD = 8
#: Fewest agents in a chunk.
MIN_CHUNK = 16


def chunks(agents: int, threads: int) -> list[tuple[int, int]]:
    """The agent ranges ``[start, stop)`` that :func:`over_agents` hands out, in order.

    Examples
    --------
    >>> chunks(100, 1)
    [(0, 100)]
    >>> chunks(100, 2)[:3]
    [(0, 16), (16, 32), (32, 48)]
    """
    if threads <= 1 or agents <= MIN_CHUNK:
        return [(0, agents)]
    size = max(MIN_CHUNK, -(-agents // (threads * CHUNKS_PER_THREAD)))
    return [(start, min(start + size, agents)) for start in range(0, agents, size)]


def over_agents(kernel, *, parallel: bool = True):
    """``run(*args, threads=None)``: ``kernel(*args, start, stop)`` for every chunk of the agents.

    Parameters
    ----------
    kernel : callable
        A learner kernel, ``kernel(model, hyper, keys, episode_start, episode_stop, state, out,
        agent_start, agent_stop)``; the number of agents is ``len(keys)``.
    parallel : bool
        Whether the chunks may run on several threads (False: the whole range in the calling
        thread, as the numpy reference runs).

    Returns
    -------
    callable
        ``run(model, hyper, keys, episode_start, episode_stop, state, out, threads=None)``,
        running every agent on ``threads`` threads (None: one).  ``run.kernel`` is ``kernel``.
        A Ctrl-C while the threads run lets every chunk of the call finish, so the call's work is
        complete, and then raises ``KeyboardInterrupt``.

    Examples
    --------
    >>> import numpy as np
    >>> seen = []
    >>> run = over_agents(lambda *args: seen.append(args[-2:]))
    >>> run(None, None, np.zeros(40, np.uint64), 0, 1, None, None, threads=2)
    >>> sorted(seen) == chunks(40, 2)
    True
    """
    def run(*args, threads=None):
        ranges = chunks(len(args[2]), (threads or 1) if parallel else 1)
        if len(ranges) == 1:
            kernel(*args, *ranges[0])
            return
        taken = itertools.count()  # next() on a count is atomic under the GIL

        def worker():
            while (j := next(taken)) < len(ranges):
                kernel(*args, *ranges[j])

        workers = min(threads, len(ranges))
        with concurrent.futures.ThreadPoolExecutor(workers, "fastq") as pool:
            futures = [pool.submit(worker) for _ in range(workers)]
            try:
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                concurrent.futures.wait(futures)  # every chunk still runs: the call completes
                raise

    run.kernel = kernel
    run.__name__ = run.__qualname__ = getattr(kernel, "__name__", "run")
    run.__doc__ = kernel.__doc__
    return run
