"""fastq.load(): read what fastq wrote, a result file or a sweep directory.

Above both :mod:`fastq.results` and :mod:`fastq.sweep_result`, so that neither imports the other
the wrong way round.
"""

from __future__ import annotations

import os

from .results import Result
from .sweep_result import SweepResult


def load(path: str | os.PathLike):
    """Read what fastq wrote: a sweep directory (:class:`SweepResult`) or a result file
    (:class:`Result`, ``.npz``).

    Examples
    --------
    >>> import fastq, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> sw = fastq.sweep("FrozenLake-4x4", seeds=2, episodes=5, out=folder)
    >>> bool((fastq.load(folder).returns == sw.returns).all())
    True
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return SweepResult.load(path)
    return Result.load(path)
