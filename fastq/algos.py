"""Algorithm names and how each maps to a kernel.

Every algorithm name is the name of a function in :mod:`fastq.kernels` (numba) and of its twin
in :mod:`fastq.reference` (numpy).  Hyperparameters reach the kernels as plain per-agent float64
arrays (see :func:`fastq.train`), so a sweep over them never recompiles.
"""

from __future__ import annotations

from . import _validate

#: Algorithms :func:`fastq.train` accepts.
ALGORITHMS = ("q_learning",)
#: Backends: compiled kernels or the numpy reference.
BACKENDS = ("numba", "numpy")


def kernel(algo: str, backend: str):
    """The function that runs ``algo`` on ``backend``."""
    _validate.choice("algo", algo, ALGORITHMS)
    _validate.choice("backend", backend, BACKENDS)
    if backend == "numba":
        from . import kernels as module
    else:
        from . import reference as module
    return getattr(module, algo)
