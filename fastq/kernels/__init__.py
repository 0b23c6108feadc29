"""Numba kernels.  Each public kernel has a numpy twin of the same name and signature in
:mod:`fastq.reference`."""

from .learners import q_learning

__all__ = ["q_learning"]
