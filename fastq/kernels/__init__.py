"""Numba kernels.  Each public kernel has a numpy twin of the same name and signature in
:mod:`fastq.reference`: the learners (one per algorithm) and the batched environment primitives
of :mod:`fastq.core` (reset, step, epsilon-greedy, Q update)."""

from .learners import double_q, dyna_q, expected_sarsa, q_learning, sarsa
from .rollouts import epsilon_greedy_batch, q_update_batch, reset_batch, step_autoreset_batch, step_batch

__all__ = [
    "double_q", "dyna_q", "expected_sarsa", "q_learning", "sarsa",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch",
]
