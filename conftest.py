"""Test-session settings that must be in place before ``fastq`` is imported.

Compiled kernels are cached on disk for this session (``FASTQ_CACHE=1``, in a fresh temporary
``NUMBA_CACHE_DIR``): this process compiles each kernel once and writes it there, and the
subprocesses that tests start (other thread counts, the command line, process pools, Dask
workers) inherit the variables and load the kernels instead of compiling them again.
"""

import atexit
import os
import shutil
import tempfile

if "NUMBA_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="fastq-test-numba-cache-")
    os.environ["NUMBA_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
os.environ.setdefault("FASTQ_CACHE", "1")
