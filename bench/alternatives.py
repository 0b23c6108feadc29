"""Q-learning written the ways a user would write it without fastq, for the benchmark tables.

Not fastq's semantics (no counter-based streams, no truncation bookkeeping beyond lengths), on
FrozenLake-8x8 (4 actions, 3 outcomes), alpha / gamma / epsilon as in
:data:`fastq.benchmark.SETTINGS`.

- :func:`numba_naive`: numba with ``np.random`` and ``np.argmax`` (first-index ties) in a
  ``prange`` loop over agents -- the straightforward port of the Python loop.

The hand-tuned kernel the speed is stated against is ``bench/yardstick.py``.
"""

import numpy as np
from numba import njit, prange

@njit(parallel=True, nogil=True)
def numba_naive(next_state, cum_prob, reward, terminal, q, lengths, episodes, max_steps, alpha, gamma, epsilon, seed):
    """Q-learning with ``np.random`` and ``np.argmax`` in a ``prange`` loop; lengths per episode."""
    for i in prange(q.shape[0]):
        np.random.seed(seed + i)  # numba: one generator per thread, seeded here per agent
        for e in range(episodes):
            s = 0
            for t in range(max_steps):
                if np.random.random() < epsilon:
                    a = np.random.randint(4)
                else:
                    a = np.argmax(q[i, s])
                k = np.searchsorted(cum_prob[s, a], np.random.random(), side="right")
                s2 = next_state[s, a, k]
                target = reward[s, a, k] + (0.0 if terminal[s2] else gamma * q[i, s2].max())
                q[i, s, a] += alpha * (target - q[i, s, a])
                s = s2
                if terminal[s2]:
                    break
            lengths[i, e] = t + 1


def naive(mdp, agents: int, episodes: int, alpha: float, gamma: float, epsilon: float, seed: int = 0) -> int:
    """Run :func:`numba_naive`; the total number of steps."""
    q = np.zeros((agents, mdp.n_states, mdp.n_actions))
    lengths = np.zeros((agents, episodes), dtype=np.int64)
    numba_naive(mdp.next_state, mdp.cum_prob, mdp.reward, mdp.terminal, q, lengths, episodes,
                mdp.max_steps, alpha, gamma, epsilon, seed)
    return int(lengths.sum())
