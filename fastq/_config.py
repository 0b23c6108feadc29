"""Numba settings in one place.

Every kernel in :mod:`fastq.kernels` is compiled with :data:`JIT`; the learner kernels run on
several threads through :mod:`fastq._parallel`.  Nothing is compiled at import: the first call
compiles, or :func:`fastq.warmup` compiles on request.

- ``fastmath`` stays off: the numpy reference must agree bit for bit, which rules out
  reassociation and fused multiply-adds.
- Caching of compiled kernels on disk is off unless ``FASTQ_CACHE=1`` is set in the environment
  before ``fastq`` is imported (numba writes the cache beside the package, or in
  ``NUMBA_CACHE_DIR``, or in the user's cache directory).  Where none of them is writable (a
  read-only install), fastq warns and compiles in every process instead of failing.
- :func:`threads` sets the number of numba threads for a block of code and restores it after.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

import numba

def _probe() -> None:
    """A function whose cache location stands for every kernel's (see :func:`_cache_usable`)."""


def _cache_usable() -> bool:
    """Whether numba can keep compiled kernels on disk for this installation.

    Numba writes beside the source (``__pycache__``), in ``NUMBA_CACHE_DIR`` or in the user's
    cache directory, and raises at decoration time when none is writable: a read-only install
    would then fail to import.  Instead, fastq warns and compiles without a cache.
    """
    from numba.core.caching import FunctionCache

    try:
        FunctionCache(_probe)
    except Exception as exc:  # numba raises RuntimeError; a file system may raise OSError
        warnings.warn(f"FASTQ_CACHE is set but numba cannot write a cache here ({exc}); kernels are "
                      "compiled in each process. Set NUMBA_CACHE_DIR to a writable directory.",
                      RuntimeWarning, stacklevel=2)
        return False
    return True


#: Whether compiled kernels are cached on disk: ``FASTQ_CACHE=1`` (or true, yes, on) in the
#: environment before ``fastq`` is imported, and a writable cache location.
CACHE: bool = (os.environ.get("FASTQ_CACHE", "0").strip().lower() in ("1", "true", "yes", "on")
               and _cache_usable())

#: Options shared by every compiled function.
JIT: dict = {"cache": CACHE, "fastmath": False, "nogil": True, "error_model": "numpy"}


def max_threads() -> int:
    """Number of threads numba was started with (``NUMBA_NUM_THREADS``, default: every core)."""
    return int(numba.config.NUMBA_NUM_THREADS)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[int]:
    """Run the enclosed block with ``n`` numba threads (``None``: all of them).

    Yields the number of threads in effect.  The previous setting is restored on exit, also when
    the block raises.

    Examples
    --------
    >>> from fastq._config import threads
    >>> with threads(1) as n:
    ...     n
    1
    """
    previous = numba.get_num_threads()
    n = max_threads() if n is None else int(n)
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)
