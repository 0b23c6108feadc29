"""Numba settings in one place: compile options, the on-disk cache, and threads.

Every kernel in :mod:`fastq.kernels` is compiled through :func:`jit` (small helpers that are
inlined into kernels through :data:`JIT`).  Nothing is compiled at import: the first call
compiles, or loads the kernel from the cache, and :func:`fastq.warmup` does it on request.

- ``fastmath`` stays off: the numpy reference must agree bit for bit, which rules out
  reassociation and fused multiply-adds.  ``error_model="numpy"``: a kernel never raises.
- **The compile cache is on by default.**  Numba keeps compiled kernels on disk beside the
  package (``__pycache__``), or, where the package directory is not writable, in the user's
  cache directory (or in ``NUMBA_CACHE_DIR`` when set), so a later process loads a kernel in a
  fraction of a second instead of compiling it for seconds.  ``FASTQ_CACHE=0`` (or false, no,
  off) in the environment before ``fastq`` is imported turns it off.  The cache can never fail
  a run: where no location is writable, or a cache file is corrupt, truncated, or cannot be
  written (a full disk), fastq warns once and compiles in memory (``_SafeCache``).  Each
  compiled kernel is stored with the sha256 of its bytes, so a damaged object file is a miss
  too and never reaches LLVM (which would abort the process on it).
- Each kernel's cache entry is keyed by its source file, its compile-time constants and
  :data:`KERNEL_FINGERPRINT`, a hash of every module whose code is inlined into the kernels,
  so changing any of them recompiles (numba alone would notice only the kernel's own file).
- :func:`max_threads` is the number of threads numba was started with.
- Under ``NUMBA_DISABLE_JIT=1`` every kernel runs as Python (slowly, for debugging): the same
  numbers, no cache, no compilation (:func:`jit`; the LLVM intrinsics have Python twins in
  :mod:`fastq.kernels._llvm`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import warnings
from pathlib import Path

import numba
import numpy as np

#: Options shared by every compiled function, inlined helpers included.
JIT: dict = {"fastmath": False, "nogil": True, "error_model": "numpy"}
#: Options of the learner and rollout kernels, which allocate nothing: without numba's reference
#: counting (``_nrt=False``) a kernel's inlined helpers cost no atomic update of an array's
#: reference count per call -- one per array per step otherwise, about as much as the step.
KERNEL: dict = {**JIT, "_nrt": False}


def _enabled(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() not in ("0", "false", "no", "off", "")


#: Whether compiled kernels are cached on disk (``FASTQ_CACHE``, default on; see above).
CACHE: bool = _enabled("FASTQ_CACHE", "1") and not numba.config.DISABLE_JIT


def _fingerprint() -> str:
    """A hash of the source of the modules inlined into the kernels (see the module docstring)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*(package / "kernels").glob("*.py"), package / "rng.py", package / "_interface.py",
                        package / "_config.py"]):
        try:
            digest.update(path.read_bytes())
        except OSError:  # a zipped or stripped install: the cache keys on the kernel file alone
            digest.update(path.name.encode())
    return digest.hexdigest()[:16]


#: See :func:`_fingerprint`; part of every kernel's cache key (``_SafeCache._index_key``).
KERNEL_FINGERPRINT: str = _fingerprint()

_warned: list = []


def _warn_once(what: str, exc: BaseException) -> None:
    """One warning per process, for the first failure of the cache (the others follow from it)."""
    if not _warned:
        _warned.append(what)
        warnings.warn(f"fastq's compile cache could not {what} ({type(exc).__name__}: {exc}); kernels are "
                      "compiled in memory instead. Set FASTQ_CACHE=0 to turn the cache off, or "
                      "NUMBA_CACHE_DIR to a writable directory.", RuntimeWarning, stacklevel=4)


#: The first bytes of a compiled kernel's cache file (``.nbc``) as fastq writes it: this, then the
#: sha256 of numba's data, then the data (see :func:`_cache_class`).
_CHECKED = b"fastq-checked-nbc-1\n"


class CorruptCacheFile(ValueError):
    """A cached kernel whose bytes are not those that were written (a damaged file)."""


def _cache_class():
    from numba.core.caching import FunctionCache, IndexDataCacheFile

    class _CheckedFile(IndexDataCacheFile):
        """Numba's cache files, each compiled kernel stored with the sha256 of its bytes.

        A damaged object file that still unpickles would reach LLVM, which aborts the process
        ("LLVM ERROR: The file was not recognized as a valid object file") or crashes on it;
        with the digest, such a file is a corrupt cache entry like any other (a miss, one
        warning) and never reaches LLVM."""

        def _save_data(self, name, data):
            payload = self._dump(data)
            with self._open_for_write(self._data_path(name)) as f:
                f.write(_CHECKED + hashlib.sha256(payload).digest() + payload)

        def _load_data(self, name):
            import pickle

            path = self._data_path(name)
            with open(path, "rb") as f:
                data = f.read()
            head, digest, payload = data[:len(_CHECKED)], data[len(_CHECKED):len(_CHECKED) + 32], data[len(_CHECKED) + 32:]
            if head != _CHECKED or hashlib.sha256(payload).digest() != digest:
                raise CorruptCacheFile(f"{path} is damaged (its checksum does not match)")
            return pickle.loads(payload)

    class _SafeCache(FunctionCache):
        """Numba's function cache that never fails a call: a load that fails (a corrupt or
        truncated file, a damaged object file, an unreadable directory) is a miss, a save that
        fails (a full disk, a read-only directory) is skipped; either warns once per process.
        An index that cannot be read is replaced by a fresh one."""

        def __init__(self, py_func):
            super().__init__(py_func)
            self._cache_file.__class__ = _CheckedFile

        def load_overload(self, sig, target_context):
            try:
                return super().load_overload(sig, target_context)
            except Exception as exc:  # pickle, EOF, OS and LLVM errors alike
                _warn_once("read a cached kernel", exc)
                return None

        def _index_key(self, sig, codegen):
            # Every key holds KERNEL_FINGERPRINT: numba's own key covers a kernel's bytecode
            # only, not the helpers of other modules that it inlines.  A kernel built by a
            # factory (fastq.kernels.learners) is determined by the fingerprint and its variant,
            # given as ``__fastq_key__``: numba's key would pickle the closure's cells, the
            # helpers it calls among them, differently in every process.
            key = getattr(self._py_func, "__fastq_key__", None)
            if key is None:
                sig, magic, hashes = super()._index_key(sig, codegen)
                return sig, magic, (*hashes, KERNEL_FINGERPRINT)
            return sig, codegen.magic_tuple(), (hashlib.sha256(f"{KERNEL_FINGERPRINT} {key}".encode()).hexdigest(),)

        def save_overload(self, sig, data):
            try:
                super().save_overload(sig, data)
            except Exception as exc:
                _warn_once("save a compiled kernel", exc)
                index = getattr(self._cache_file, "_index_path", None)
                if index is not None and not isinstance(exc, OSError):  # an unreadable index
                    with contextlib.suppress(Exception):
                        os.unlink(index)
                        super().save_overload(sig, data)

    return _SafeCache


def jit(py_func=None, *, nrt: bool = False, **options):
    """Compile ``py_func`` with numba (:data:`KERNEL` options, or :data:`JIT` with ``nrt=True``
    for a kernel that allocates), cached on disk when :data:`CACHE` is on.

    Under ``NUMBA_DISABLE_JIT=1`` numba returns the Python function itself, and so does this,
    run with numpy's overflow warnings off: the kernels' uint64 arithmetic wraps modulo
    ``2**64`` by design (the random-number contract), which compiled code does silently and
    numpy scalars warn about.
    """
    if py_func is None:
        return lambda f: jit(f, nrt=nrt, **options)
    if numba.config.DISABLE_JIT:
        return _python(py_func)
    dispatcher = numba.njit(**(JIT if nrt else KERNEL), **options)(py_func)
    if CACHE and isinstance(dispatcher, numba.core.dispatcher.Dispatcher):
        try:
            dispatcher._cache = _cache_class()(py_func)
        except Exception as exc:  # no writable location: numba raises RuntimeError
            _warn_once("find a writable location", exc)
    return dispatcher


def _python(py_func):
    """``py_func`` run as Python (``NUMBA_DISABLE_JIT``), its wrapping uint64 arithmetic quiet."""
    @functools.wraps(py_func)
    def run(*args, **kwargs):
        with np.errstate(over="ignore"):
            return py_func(*args, **kwargs)

    run.py_func = py_func
    return run


def max_threads() -> int:
    """Number of threads numba was started with (``NUMBA_NUM_THREADS``, default: every core)."""
    return int(numba.config.NUMBA_NUM_THREADS)
