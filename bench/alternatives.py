"""Q-learning written the ways a user would write it without fastq, for the benchmark tables.

Not fastq's semantics (no counter-based streams, no truncation bookkeeping beyond lengths):
these are the yardsticks of the issue "Speed to the hardware's limit", on FrozenLake-8x8
(4 actions, 3 outcomes), alpha / gamma / epsilon as in :data:`fastq.benchmark.SETTINGS`.

- :func:`numba_naive`: numba with ``np.random`` and ``np.argmax`` (first-index ties) in a
  ``prange`` loop over agents -- the straightforward port of the Python loop.
- :func:`hand_tuned`: four agents interleaved in one thread so their dependent chains overlap,
  a per-agent xorshift64* generator with one draw per step (its bits split between the
  explore decision, the random action or tie, and the transition), ties broken at random with a
  lookup table, 4 actions and 3 outcomes hard-coded.  Agents are cut into ranges that Python
  threads run (the kernel releases the GIL).
"""

import concurrent.futures

import numba
import numpy as np
from numba import njit, prange

_u = np.uint64
#: ``SELECT[m * 4 + j]``: the j-th set bit of the 4-bit mask ``m``; ``COUNT[m]`` its set bits.
SELECT = np.zeros(64, dtype=np.int64)
COUNT = np.zeros(16, dtype=np.int64)
for _m in range(16):
    _bits = [b for b in range(4) if _m >> b & 1]
    COUNT[_m] = len(_bits)
    for _j, _b in enumerate(_bits):
        SELECT[_m * 4 + _j] = _b


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


_STEP = """
        x = st{l}
        x ^= x >> _u(12)
        x ^= x << _u(25)
        x ^= x >> _u(27)
        st{l} = x
        y = x * _u(2685821657736338717)
        su = _u(s{l})
        iu = _u(i{l})
        v0 = q[iu, su, _u(0)]
        v1 = q[iu, su, _u(1)]
        v2 = q[iu, su, _u(2)]
        v3 = q[iu, su, _u(3)]
        best = max(max(v0, v1), max(v2, v3))
        m = np.int64(v0 == best) | (np.int64(v1 == best) << 1) | (np.int64(v2 == best) << 2) | (np.int64(v3 == best) << 3)
        j = np.int64((((y >> _u(16)) & _u(0xFFFF)) * _u(COUNT[_u(m)])) >> _u(16))
        a = _u(np.int64(y >> _u(14)) & 3 if (y >> _u(40)) < threshold else SELECT[_u(m * 4 + j)])
        u = np.float64(np.int64(y & _u(0x3FFF))) * (1.0 / 16384.0)
        k = _u(np.int64(u >= cum_prob[su, a, _u(0)]) + np.int64(u >= cum_prob[su, a, _u(1)]))
        s2 = _u(next_state[su, a, k])
        r = reward[su, a, k]
        w0 = q[iu, s2, _u(0)]
        w1 = q[iu, s2, _u(1)]
        w2 = q[iu, s2, _u(2)]
        w3 = q[iu, s2, _u(3)]
        end = terminal[s2]
        target = r if end else r + gamma * max(max(w0, w1), max(w2, w3))
        q_sa = q[iu, su, a]
        q[iu, su, a] = q_sa + alpha * (target - q_sa)
        total{l} += r
        t{l} += 1
        s{l} = np.int64(s2)
        if end or t{l} >= max_steps:
            returns[i{l}, e{l}] = total{l}
            lengths[i{l}, e{l}] = t{l}
            e{l} += 1
            t{l} = 0
            total{l} = 0.0
            s{l} = 0
            if e{l} >= episodes:
                i{l} = next_agent
                next_agent += 1
                e{l} = 0
                if i{l} < hi:
                    st{l} = seeds[i{l}]
"""


def _interleaved(lanes: int):
    """The hand-tuned kernel for agents ``[lo, hi)``, ``lanes`` agents stepped in turn.

    Generated: each lane is a copy of :data:`_STEP` with its own variables, so the lanes'
    dependent chains are independent instructions the processor overlaps.
    """
    lines = ["def kernel(next_state, cum_prob, reward, terminal, q, seeds, returns, lengths, lo, hi,",
             "           episodes, max_steps, alpha, gamma, epsilon):",
             "    threshold = _u(epsilon * 16777216.0)",
             f"    next_agent = lo + {lanes}"]
    for l in range(lanes):
        lines.append(f"    i{l} = lo + {l}; e{l} = 0; t{l} = 0; total{l} = 0.0; s{l} = 0; st{l} = seeds[min(i{l}, hi - 1)]")
    lines.append("    while " + " and ".join(f"i{l} < hi" for l in range(lanes)) + ":")
    lines += [_STEP.format(l=l) for l in range(lanes)]
    for l in range(lanes):  # the last agents, one lane at a time
        lines.append(f"    while i{l} < hi:")
        lines.append(_STEP.format(l=l))
    namespace = {"np": np, "_u": _u, "SELECT": SELECT, "COUNT": COUNT}
    exec("\n".join(lines), namespace)
    return njit(nogil=True, error_model="numpy")(namespace["kernel"])


_KERNEL = None


def hand_tuned(mdp, agents: int, episodes: int, alpha: float, gamma: float, epsilon: float,
               seed: int = 0, threads: int | None = None) -> int:
    """Run the hand-tuned kernel (4 lanes) for ``agents`` agents; the total number of steps."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _interleaved(4)
    threads = threads or numba.config.NUMBA_NUM_THREADS
    q = np.zeros((agents, mdp.n_states, 4))
    seeds = (np.arange(1, agents + 1, dtype=np.uint64) + np.uint64(seed)) * _u(0x9E3779B97F4A7C15) | _u(1)
    returns = np.zeros((agents, episodes))
    lengths = np.zeros((agents, episodes), dtype=np.int64)
    bounds = np.linspace(0, agents, 8 * threads + 1).astype(np.int64)

    def run(c):
        _KERNEL(mdp.next_state, mdp.cum_prob, mdp.reward, mdp.terminal, q, seeds, returns, lengths,
                bounds[c], bounds[c + 1], episodes, mdp.max_steps, alpha, gamma, epsilon)

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(len(bounds) - 1)))
    return int(lengths.sum())


def naive(mdp, agents: int, episodes: int, alpha: float, gamma: float, epsilon: float, seed: int = 0) -> int:
    """Run :func:`numba_naive`; the total number of steps."""
    q = np.zeros((agents, mdp.n_states, mdp.n_actions))
    lengths = np.zeros((agents, episodes), dtype=np.int64)
    numba_naive(mdp.next_state, mdp.cum_prob, mdp.reward, mdp.terminal, q, lengths, episodes,
                mdp.max_steps, alpha, gamma, epsilon, seed)
    return int(lengths.sum())
