"""The numpy reference: readable, vectorised twins of :mod:`fastq.kernels`, bit for bit."""

from .learners import double_q, dyna_q, expected_sarsa, q_learning, sarsa
from .rollouts import epsilon_greedy_batch, q_update_batch, reset_batch, step_autoreset_batch, step_batch

__all__ = [
    "double_q", "dyna_q", "expected_sarsa", "q_learning", "sarsa",
    "epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch",
]
