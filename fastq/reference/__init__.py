"""The numpy reference: readable, vectorised twins of :mod:`fastq.kernels`, bit for bit."""

from .learners import q_learning

__all__ = ["q_learning"]
