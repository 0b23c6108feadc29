"""The machine and the software a result was produced on (a leaf module).

:func:`versions` is what every :class:`fastq.Result` and sweep records in ``meta["versions"]``;
:func:`machine` and :func:`machine_line` describe the machine for ``fastq bench`` and the
benchmark suite.  numba is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

import numpy as np

from ._version import __version__


def versions() -> dict:
    """Versions of fastq, numpy, numba and Python, as recorded in every result.

    Returns
    -------
    dict
        ``fastq``, ``numpy``, ``numba``, ``python`` (strings).

    Examples
    --------
    >>> from fastq._platform import versions
    >>> sorted(versions())
    ['fastq', 'numba', 'numpy', 'python']
    """
    import numba

    return {
        "fastq": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }


def machine() -> dict:
    """The machine and software the figures were measured on.

    Returns
    -------
    dict
        ``cpu`` (the model name of ``/proc/cpuinfo``, else :func:`platform.processor`, else
        :func:`platform.machine`), ``arch``, ``logical_cores`` (:func:`os.cpu_count`),
        ``usable_cores`` (the cores this process may run on), ``numba_threads`` (numba's
        thread count: what ``threads=None`` uses), ``platform`` and the versions of ``python``,
        ``fastq``, ``numpy``, ``numba`` and ``gymnasium`` (None when not installed).

    Examples
    --------
    >>> from fastq.benchmark import machine
    >>> info = machine()
    >>> sorted(info)  # doctest: +NORMALIZE_WHITESPACE
    ['arch', 'cpu', 'fastq', 'gymnasium', 'logical_cores', 'numba', 'numba_threads', 'numpy',
     'platform', 'python', 'usable_cores']
    >>> info["logical_cores"] >= info["usable_cores"] >= 1
    True
    """
    import numba

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        usable = os.cpu_count() or 1
    try:
        gym_version = importlib.metadata.version("gymnasium")
    except importlib.metadata.PackageNotFoundError:
        gym_version = None
    return {
        "cpu": _cpu_model(),
        "arch": platform.machine(),
        "logical_cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "numba_threads": int(numba.config.NUMBA_NUM_THREADS),
        "platform": platform.platform(),
        **{k: v for k, v in versions().items()},
        "gymnasium": gym_version,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_line(info: dict | None = None) -> str:
    """One line describing the machine: CPU, cores, numba threads, versions.

    Parameters
    ----------
    info : dict, optional
        What :func:`machine` returned (default: call it).

    Returns
    -------
    str

    Examples
    --------
    >>> from fastq.benchmark import machine_line
    >>> info = {"cpu": "AMD EPYC", "arch": "x86_64", "logical_cores": 2, "usable_cores": 2,
    ...         "numba_threads": 2, "python": "3.11.7", "fastq": "0.1.0", "numpy": "2.4.6",
    ...         "numba": "0.68.1", "gymnasium": None}
    >>> machine_line(info)
    'machine: AMD EPYC (x86_64), 2 logical cores, numba 2 threads; fastq 0.1.0, numba 0.68.1, numpy 2.4.6, Python 3.11.7'
    """
    info = machine() if info is None else info
    cores = f"{info['logical_cores']} logical core{'s' * (info['logical_cores'] != 1)}"
    if info["usable_cores"] != info["logical_cores"]:
        cores += f" ({info['usable_cores']} usable by this process)"
    threads = f"numba {info['numba_threads']} thread{'s' * (info['numba_threads'] != 1)}"
    versions_text = f"fastq {info['fastq']}, numba {info['numba']}, numpy {info['numpy']}, Python {info['python']}"
    if info.get("gymnasium"):
        versions_text += f", gymnasium {info['gymnasium']}"
    return f"machine: {info['cpu']} ({info['arch']}), {cores}, {threads}; {versions_text}"
