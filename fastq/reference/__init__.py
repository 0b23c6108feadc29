"""The numpy reference: readable, vectorised twins of :mod:`fastq.kernels`, bit for bit."""

from .learners import double_q, dyna_q, expected_sarsa, learn, q_learning, sarsa

__all__ = ["double_q", "dyna_q", "expected_sarsa", "learn", "q_learning", "sarsa"]

# Batched environment primitives (reset, step, epsilon-greedy, Q update): fastq.core's kernels.
from .rollouts import epsilon_greedy_batch, q_update_batch, reset_batch, step_autoreset_batch, step_batch  # noqa: E402

__all__ += ["epsilon_greedy_batch", "q_update_batch", "reset_batch", "step_autoreset_batch", "step_batch"]
