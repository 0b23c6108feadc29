"""The numpy reference: readable, vectorised twins of :mod:`fastq.kernels`, bit for bit.  It
imports nothing from :mod:`fastq.kernels`: the oracle does not depend on what it checks."""

from .learners import learner
from .rollouts import epsilon_greedy_batch, q_update_batch, reset_batch, step_autoreset_batch, step_batch

__all__ = [
    "learner",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch",
]
