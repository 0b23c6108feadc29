"""Terminal and progress-bar questions shared by ``train``, ``sweep`` and the command line (a leaf).

A progress bar needs tqdm (the ``progress`` extra); shown by default only when stderr is a
terminal.
"""

from __future__ import annotations

import importlib.util
import sys


def isatty(stream) -> bool:
    """Whether ``stream`` is a terminal (False for replaced or closed streams).

    >>> import io
    >>> isatty(io.StringIO())
    False
    """
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def has_tqdm() -> bool:
    """Whether tqdm can be imported (looked up, not imported)."""
    return importlib.util.find_spec("tqdm") is not None


def want_progress(progress) -> bool:
    """Resolve a ``progress`` argument: None shows a bar when stderr is a terminal and tqdm is
    installed; True needs tqdm (ImportError otherwise); False shows none."""
    if progress is None:
        return has_tqdm() and isatty(sys.stderr)
    if progress and not has_tqdm():
        raise ImportError("progress=True needs tqdm: pip install 'fastq-rl[progress]'")
    return bool(progress)
