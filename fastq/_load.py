"""fastq.load(): read what fastq wrote, a result file or a sweep directory.

Above both :mod:`fastq.results` and :mod:`fastq.sweep_result`, so that neither imports the other
the wrong way round.
"""

from __future__ import annotations

import os

from ._store import MANIFEST
from ._validate import ArgumentTypeError
from .results import Result
from .sweep_result import SweepResult


def load(path: str | os.PathLike):
    """Read what fastq wrote: a sweep directory (:class:`SweepResult`) or a result file
    (:class:`Result`, ``.npz``; the suffix may be left out, as :meth:`Result.save` allows).

    Anything else -- another ``.npz``, an ``.npy``, a text file, a damaged file, a folder
    without ``sweep.json``, the ``sweep.json`` file itself -- is refused with a ``ValueError``
    that says what was expected; a path that does not exist raises ``FileNotFoundError``.

    Examples
    --------
    >>> import fastq, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> sw = fastq.sweep("FrozenLake-4x4", seeds=2, episodes=5, out=folder)
    >>> bool((fastq.load(folder).returns == sw.returns).all())
    True
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError("path", f"path must be a file or folder path, got {type(path).__name__}")
    path = os.fspath(path)
    if os.path.isdir(path):
        return SweepResult.load(path)
    if os.path.basename(path) == MANIFEST and os.path.isfile(path):
        raise ValueError(f"{path!r} is a sweep's manifest: load the sweep's folder, "
                         f"fastq.load({os.path.dirname(path) or '.'!r})")
    return Result.load(path)
