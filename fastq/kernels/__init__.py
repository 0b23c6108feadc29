"""Numba kernels.  Each has a numpy twin of the same name and arguments in :mod:`fastq.reference`:
the learners (:func:`learner`: one compiled kernel per :class:`fastq._interface.Variant`), the
batched environment primitives of :mod:`fastq.core` (reset, step, epsilon-greedy, Q update) and
the exact evaluation of greedy policies (:mod:`fastq.kernels.evaluation`)."""

from .learners import learner
from .rollouts import epsilon_greedy_batch, q_update_batch, reset_batch, step_autoreset_batch, step_batch

__all__ = [
    "learner",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch",
]
