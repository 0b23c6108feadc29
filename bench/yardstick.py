"""The speed yardstick, copied unchanged below this note from ``shared/yardstick/hand_tuned_q.py``.

It is not part of fastq and not fastq's semantics (its own random numbers, float32 tables, one
workload): it measures how fast one tabular agent-step can run on this machine, so that
fastq's speed is stated as a ratio measured in the same run (``test_bench_q_learning.py``).
Its own docstring follows.
"""

"""A hand-tuned numba kernel for ONE workload: Q-learning on FrozenLake-8x8 (slippery), random
tie-breaking, epsilon-greedy, Q starting at 0, truncation at 200 steps.  It is a yardstick for
how fast a tabular step can run on this machine, not a design to copy line by line: it knows
the map (64 states, 4 actions, 3 equally likely outcomes), keeps float32 Q-tables, draws one
xorshift64* number per step (explore 16 bits, tie 16 bits, action 2 bits, slip 30 bits) and
records only episode and goal counts.

What makes it fast (measured; see README.md beside this file):
- one agent's step is a dependent chain: Q row -> max -> tie mask -> action -> one packed load
  (next state | terminal << 8 | goal << 9) -> next Q row.  Nothing else sits on the chain: the
  random bits, the slip outcome and the exploration choice do not depend on the state;
- several agents are stepped in turn in one thread ("lanes", written out 4 times), so the
  processor overlaps their chains;
- the episode end is a select, not a branch; the random number lives in a register.

Kernel names: k_xs_f32_B<lanes>_<st|par>[_ha]_rt -- xorshift, float32, lanes, single thread or
prange over blocks of 4 agents, per-agent hyperparameter arrays, random ties.
Signature: (Q[N, 256] float32, PK[768] int32, T steps per agent, alpha, gamma, eps, seed,
EP[N] episodes finished, GO[N] goals reached).
"""
import time

import numpy as np
from numba import njit, prange

U = np.uint64
GOLD = U(0x9E3779B97F4A7C15)
C1 = U(0xBF58476D1CE4E5B9)
C2 = U(0x94D049BB133111EB)
XM = U(0x2545F4914F6CDD1D)
LA = U(6364136223846793005)
LC = U(1442695040888963407)
M32 = U(0xFFFFFFFF)
M16 = U(0xFFFF)
U1 = U(1)
U3 = U(3)
S12 = U(12)
S14 = U(14)
S16 = U(16)
S18 = U(18)
S25 = U(25)
S27 = U(27)
S28 = U(28)
S30 = U(30)
S31 = U(31)
S32 = U(32)
S34 = U(34)
S48 = U(48)
S50 = U(50)
TMAX = 200
# random tie-break tables: TIE[mask*4 + r] = r-th set bit of mask; CNT[mask] = popcount
_TIE = np.zeros(64, np.int64)
_CNT = np.zeros(16, np.uint64)
for _m in range(16):
    _bits = [b for b in range(4) if (_m >> b) & 1]
    _CNT[_m] = len(_bits)
    for _r in range(len(_bits)):
        _TIE[_m * 4 + _r] = _bits[_r]
TIE = _TIE
CNT = _CNT
# TIE12[mask*12 + r12] = bits[r12 % popcount(mask)], r12 uniform in 0..11 -> exact uniform tie-break
_TIE12 = np.zeros(16 * 12, np.int64)
for _m in range(1, 16):
    _bits = [b for b in range(4) if (_m >> b) & 1]
    for _r in range(12):
        _TIE12[_m * 12 + _r] = _bits[_r % len(_bits)]
TIE12 = _TIE12
U12 = U(12)


@njit(inline="always", cache=False)
def mix64(z):
    z = (z ^ (z >> S30)) * C1
    z = (z ^ (z >> S27)) * C2
    return z ^ (z >> S31)



@njit(parallel=False, fastmath=False, cache=False, nogil=True)
def k_xs_f32_B1_st_rt(Q, PK, T, alpha, gamma, eps, seed, EP, GO):
    N = Q.shape[0]
    for blk in range(N // 1):
        i = blk * 1
        q0 = Q[i + 0]
        r0 = mix64(U(seed) * GOLD + U(i + 0) * C1) | U1
        s0 = 0; t0 = 0; ep0 = 0; go0 = 0
        al0 = np.float32(alpha); ga0 = np.float32(gamma); th0 = U(eps * 65536.0 + 0.5)
        for step in range(T):
            r0 ^= r0 >> S12
            r0 ^= r0 << S25
            r0 ^= r0 >> S27
            u0 = r0 * XM
            e0 = u0 & M16
            tb0 = (u0 >> S16) & M16
            ra0 = np.int64((u0 >> S32) & U3)
            k0 = np.int64(((u0 >> S34) * U3) >> S30)

            b0 = s0 * 4
            x0_0 = q0[b0]; x1_0 = q0[b0 + 1]; x2_0 = q0[b0 + 2]; x3_0 = q0[b0 + 3]
            mx0 = max(max(x0_0, x1_0), max(x2_0, x3_0))
            mk0 = np.int64(x0_0 == mx0) | (np.int64(x1_0 == mx0) << 1) | (np.int64(x2_0 == mx0) << 2) | (np.int64(x3_0 == mx0) << 3)
            g0 = TIE12[mk0 * 12 + np.int64((tb0 * U12) >> S16)]
            a0 = ra0 if e0 < th0 else g0
            pk0 = PK[s0 * 12 + a0 * 3 + k0]
            s2_0 = pk0 & 255
            term0 = (pk0 >> 8) & 1
            rw0 = (pk0 >> 9) & 1
            b2_0 = s2_0 * 4
            m0 = max(max(q0[b2_0], q0[b2_0 + 1]), max(q0[b2_0 + 2], q0[b2_0 + 3]))
            qa0 = q0[b0 + a0]
            tg0 = np.float32(rw0) if term0 else ga0 * m0
            q0[b0 + a0] = qa0 + al0 * (tg0 - qa0)
            tn0 = t0 + 1
            tr0 = tn0 >= TMAX
            s0 = 0 if tr0 else s2_0
            t0 = 0 if (tr0 or term0 != 0) else tn0
            ep0 += 1 if (tr0 or term0 != 0) else 0
            go0 += rw0
        EP[i + 0] = ep0; GO[i + 0] = go0


@njit(parallel=False, fastmath=False, cache=False, nogil=True)
def k_xs_f32_B4_st_ha_rt(Q, PK, T, alpha, gamma, eps, seed, EP, GO):
    N = Q.shape[0]
    for blk in range(N // 4):
        i = blk * 4
        q0 = Q[i + 0]
        r0 = mix64(U(seed) * GOLD + U(i + 0) * C1) | U1
        s0 = 0; t0 = 0; ep0 = 0; go0 = 0
        al0 = np.float32(alpha[i + 0]); ga0 = np.float32(gamma[i + 0]); th0 = U(eps[i + 0] * 65536.0 + 0.5)
        q1 = Q[i + 1]
        r1 = mix64(U(seed) * GOLD + U(i + 1) * C1) | U1
        s1 = 0; t1 = 0; ep1 = 0; go1 = 0
        al1 = np.float32(alpha[i + 1]); ga1 = np.float32(gamma[i + 1]); th1 = U(eps[i + 1] * 65536.0 + 0.5)
        q2 = Q[i + 2]
        r2 = mix64(U(seed) * GOLD + U(i + 2) * C1) | U1
        s2 = 0; t2 = 0; ep2 = 0; go2 = 0
        al2 = np.float32(alpha[i + 2]); ga2 = np.float32(gamma[i + 2]); th2 = U(eps[i + 2] * 65536.0 + 0.5)
        q3 = Q[i + 3]
        r3 = mix64(U(seed) * GOLD + U(i + 3) * C1) | U1
        s3 = 0; t3 = 0; ep3 = 0; go3 = 0
        al3 = np.float32(alpha[i + 3]); ga3 = np.float32(gamma[i + 3]); th3 = U(eps[i + 3] * 65536.0 + 0.5)
        for step in range(T):
            r0 ^= r0 >> S12
            r0 ^= r0 << S25
            r0 ^= r0 >> S27
            u0 = r0 * XM
            e0 = u0 & M16
            tb0 = (u0 >> S16) & M16
            ra0 = np.int64((u0 >> S32) & U3)
            k0 = np.int64(((u0 >> S34) * U3) >> S30)

            b0 = s0 * 4
            x0_0 = q0[b0]; x1_0 = q0[b0 + 1]; x2_0 = q0[b0 + 2]; x3_0 = q0[b0 + 3]
            mx0 = max(max(x0_0, x1_0), max(x2_0, x3_0))
            mk0 = np.int64(x0_0 == mx0) | (np.int64(x1_0 == mx0) << 1) | (np.int64(x2_0 == mx0) << 2) | (np.int64(x3_0 == mx0) << 3)
            g0 = TIE12[mk0 * 12 + np.int64((tb0 * U12) >> S16)]
            a0 = ra0 if e0 < th0 else g0
            pk0 = PK[s0 * 12 + a0 * 3 + k0]
            s2_0 = pk0 & 255
            term0 = (pk0 >> 8) & 1
            rw0 = (pk0 >> 9) & 1
            b2_0 = s2_0 * 4
            m0 = max(max(q0[b2_0], q0[b2_0 + 1]), max(q0[b2_0 + 2], q0[b2_0 + 3]))
            qa0 = q0[b0 + a0]
            tg0 = np.float32(rw0) if term0 else ga0 * m0
            q0[b0 + a0] = qa0 + al0 * (tg0 - qa0)
            tn0 = t0 + 1
            tr0 = tn0 >= TMAX
            s0 = 0 if tr0 else s2_0
            t0 = 0 if (tr0 or term0 != 0) else tn0
            ep0 += 1 if (tr0 or term0 != 0) else 0
            go0 += rw0
            r1 ^= r1 >> S12
            r1 ^= r1 << S25
            r1 ^= r1 >> S27
            u1 = r1 * XM
            e1 = u1 & M16
            tb1 = (u1 >> S16) & M16
            ra1 = np.int64((u1 >> S32) & U3)
            k1 = np.int64(((u1 >> S34) * U3) >> S30)

            b1 = s1 * 4
            x0_1 = q1[b1]; x1_1 = q1[b1 + 1]; x2_1 = q1[b1 + 2]; x3_1 = q1[b1 + 3]
            mx1 = max(max(x0_1, x1_1), max(x2_1, x3_1))
            mk1 = np.int64(x0_1 == mx1) | (np.int64(x1_1 == mx1) << 1) | (np.int64(x2_1 == mx1) << 2) | (np.int64(x3_1 == mx1) << 3)
            g1 = TIE12[mk1 * 12 + np.int64((tb1 * U12) >> S16)]
            a1 = ra1 if e1 < th1 else g1
            pk1 = PK[s1 * 12 + a1 * 3 + k1]
            s2_1 = pk1 & 255
            term1 = (pk1 >> 8) & 1
            rw1 = (pk1 >> 9) & 1
            b2_1 = s2_1 * 4
            m1 = max(max(q1[b2_1], q1[b2_1 + 1]), max(q1[b2_1 + 2], q1[b2_1 + 3]))
            qa1 = q1[b1 + a1]
            tg1 = np.float32(rw1) if term1 else ga1 * m1
            q1[b1 + a1] = qa1 + al1 * (tg1 - qa1)
            tn1 = t1 + 1
            tr1 = tn1 >= TMAX
            s1 = 0 if tr1 else s2_1
            t1 = 0 if (tr1 or term1 != 0) else tn1
            ep1 += 1 if (tr1 or term1 != 0) else 0
            go1 += rw1
            r2 ^= r2 >> S12
            r2 ^= r2 << S25
            r2 ^= r2 >> S27
            u2 = r2 * XM
            e2 = u2 & M16
            tb2 = (u2 >> S16) & M16
            ra2 = np.int64((u2 >> S32) & U3)
            k2 = np.int64(((u2 >> S34) * U3) >> S30)

            b2 = s2 * 4
            x0_2 = q2[b2]; x1_2 = q2[b2 + 1]; x2_2 = q2[b2 + 2]; x3_2 = q2[b2 + 3]
            mx2 = max(max(x0_2, x1_2), max(x2_2, x3_2))
            mk2 = np.int64(x0_2 == mx2) | (np.int64(x1_2 == mx2) << 1) | (np.int64(x2_2 == mx2) << 2) | (np.int64(x3_2 == mx2) << 3)
            g2 = TIE12[mk2 * 12 + np.int64((tb2 * U12) >> S16)]
            a2 = ra2 if e2 < th2 else g2
            pk2 = PK[s2 * 12 + a2 * 3 + k2]
            s2_2 = pk2 & 255
            term2 = (pk2 >> 8) & 1
            rw2 = (pk2 >> 9) & 1
            b2_2 = s2_2 * 4
            m2 = max(max(q2[b2_2], q2[b2_2 + 1]), max(q2[b2_2 + 2], q2[b2_2 + 3]))
            qa2 = q2[b2 + a2]
            tg2 = np.float32(rw2) if term2 else ga2 * m2
            q2[b2 + a2] = qa2 + al2 * (tg2 - qa2)
            tn2 = t2 + 1
            tr2 = tn2 >= TMAX
            s2 = 0 if tr2 else s2_2
            t2 = 0 if (tr2 or term2 != 0) else tn2
            ep2 += 1 if (tr2 or term2 != 0) else 0
            go2 += rw2
            r3 ^= r3 >> S12
            r3 ^= r3 << S25
            r3 ^= r3 >> S27
            u3 = r3 * XM
            e3 = u3 & M16
            tb3 = (u3 >> S16) & M16
            ra3 = np.int64((u3 >> S32) & U3)
            k3 = np.int64(((u3 >> S34) * U3) >> S30)

            b3 = s3 * 4
            x0_3 = q3[b3]; x1_3 = q3[b3 + 1]; x2_3 = q3[b3 + 2]; x3_3 = q3[b3 + 3]
            mx3 = max(max(x0_3, x1_3), max(x2_3, x3_3))
            mk3 = np.int64(x0_3 == mx3) | (np.int64(x1_3 == mx3) << 1) | (np.int64(x2_3 == mx3) << 2) | (np.int64(x3_3 == mx3) << 3)
            g3 = TIE12[mk3 * 12 + np.int64((tb3 * U12) >> S16)]
            a3 = ra3 if e3 < th3 else g3
            pk3 = PK[s3 * 12 + a3 * 3 + k3]
            s2_3 = pk3 & 255
            term3 = (pk3 >> 8) & 1
            rw3 = (pk3 >> 9) & 1
            b2_3 = s2_3 * 4
            m3 = max(max(q3[b2_3], q3[b2_3 + 1]), max(q3[b2_3 + 2], q3[b2_3 + 3]))
            qa3 = q3[b3 + a3]
            tg3 = np.float32(rw3) if term3 else ga3 * m3
            q3[b3 + a3] = qa3 + al3 * (tg3 - qa3)
            tn3 = t3 + 1
            tr3 = tn3 >= TMAX
            s3 = 0 if tr3 else s2_3
            t3 = 0 if (tr3 or term3 != 0) else tn3
            ep3 += 1 if (tr3 or term3 != 0) else 0
            go3 += rw3
        EP[i + 0] = ep0; GO[i + 0] = go0
        EP[i + 1] = ep1; GO[i + 1] = go1
        EP[i + 2] = ep2; GO[i + 2] = go2
        EP[i + 3] = ep3; GO[i + 3] = go3


@njit(parallel=True, fastmath=False, cache=False, nogil=True)
def k_xs_f32_B4_par_ha_rt(Q, PK, T, alpha, gamma, eps, seed, EP, GO):
    N = Q.shape[0]
    for blk in prange(N // 4):
        i = blk * 4
        q0 = Q[i + 0]
        r0 = mix64(U(seed) * GOLD + U(i + 0) * C1) | U1
        s0 = 0; t0 = 0; ep0 = 0; go0 = 0
        al0 = np.float32(alpha[i + 0]); ga0 = np.float32(gamma[i + 0]); th0 = U(eps[i + 0] * 65536.0 + 0.5)
        q1 = Q[i + 1]
        r1 = mix64(U(seed) * GOLD + U(i + 1) * C1) | U1
        s1 = 0; t1 = 0; ep1 = 0; go1 = 0
        al1 = np.float32(alpha[i + 1]); ga1 = np.float32(gamma[i + 1]); th1 = U(eps[i + 1] * 65536.0 + 0.5)
        q2 = Q[i + 2]
        r2 = mix64(U(seed) * GOLD + U(i + 2) * C1) | U1
        s2 = 0; t2 = 0; ep2 = 0; go2 = 0
        al2 = np.float32(alpha[i + 2]); ga2 = np.float32(gamma[i + 2]); th2 = U(eps[i + 2] * 65536.0 + 0.5)
        q3 = Q[i + 3]
        r3 = mix64(U(seed) * GOLD + U(i + 3) * C1) | U1
        s3 = 0; t3 = 0; ep3 = 0; go3 = 0
        al3 = np.float32(alpha[i + 3]); ga3 = np.float32(gamma[i + 3]); th3 = U(eps[i + 3] * 65536.0 + 0.5)
        for step in range(T):
            r0 ^= r0 >> S12
            r0 ^= r0 << S25
            r0 ^= r0 >> S27
            u0 = r0 * XM
            e0 = u0 & M16
            tb0 = (u0 >> S16) & M16
            ra0 = np.int64((u0 >> S32) & U3)
            k0 = np.int64(((u0 >> S34) * U3) >> S30)

            b0 = s0 * 4
            x0_0 = q0[b0]; x1_0 = q0[b0 + 1]; x2_0 = q0[b0 + 2]; x3_0 = q0[b0 + 3]
            mx0 = max(max(x0_0, x1_0), max(x2_0, x3_0))
            mk0 = np.int64(x0_0 == mx0) | (np.int64(x1_0 == mx0) << 1) | (np.int64(x2_0 == mx0) << 2) | (np.int64(x3_0 == mx0) << 3)
            g0 = TIE12[mk0 * 12 + np.int64((tb0 * U12) >> S16)]
            a0 = ra0 if e0 < th0 else g0
            pk0 = PK[s0 * 12 + a0 * 3 + k0]
            s2_0 = pk0 & 255
            term0 = (pk0 >> 8) & 1
            rw0 = (pk0 >> 9) & 1
            b2_0 = s2_0 * 4
            m0 = max(max(q0[b2_0], q0[b2_0 + 1]), max(q0[b2_0 + 2], q0[b2_0 + 3]))
            qa0 = q0[b0 + a0]
            tg0 = np.float32(rw0) if term0 else ga0 * m0
            q0[b0 + a0] = qa0 + al0 * (tg0 - qa0)
            tn0 = t0 + 1
            tr0 = tn0 >= TMAX
            s0 = 0 if tr0 else s2_0
            t0 = 0 if (tr0 or term0 != 0) else tn0
            ep0 += 1 if (tr0 or term0 != 0) else 0
            go0 += rw0
            r1 ^= r1 >> S12
            r1 ^= r1 << S25
            r1 ^= r1 >> S27
            u1 = r1 * XM
            e1 = u1 & M16
            tb1 = (u1 >> S16) & M16
            ra1 = np.int64((u1 >> S32) & U3)
            k1 = np.int64(((u1 >> S34) * U3) >> S30)

            b1 = s1 * 4
            x0_1 = q1[b1]; x1_1 = q1[b1 + 1]; x2_1 = q1[b1 + 2]; x3_1 = q1[b1 + 3]
            mx1 = max(max(x0_1, x1_1), max(x2_1, x3_1))
            mk1 = np.int64(x0_1 == mx1) | (np.int64(x1_1 == mx1) << 1) | (np.int64(x2_1 == mx1) << 2) | (np.int64(x3_1 == mx1) << 3)
            g1 = TIE12[mk1 * 12 + np.int64((tb1 * U12) >> S16)]
            a1 = ra1 if e1 < th1 else g1
            pk1 = PK[s1 * 12 + a1 * 3 + k1]
            s2_1 = pk1 & 255
            term1 = (pk1 >> 8) & 1
            rw1 = (pk1 >> 9) & 1
            b2_1 = s2_1 * 4
            m1 = max(max(q1[b2_1], q1[b2_1 + 1]), max(q1[b2_1 + 2], q1[b2_1 + 3]))
            qa1 = q1[b1 + a1]
            tg1 = np.float32(rw1) if term1 else ga1 * m1
            q1[b1 + a1] = qa1 + al1 * (tg1 - qa1)
            tn1 = t1 + 1
            tr1 = tn1 >= TMAX
            s1 = 0 if tr1 else s2_1
            t1 = 0 if (tr1 or term1 != 0) else tn1
            ep1 += 1 if (tr1 or term1 != 0) else 0
            go1 += rw1
            r2 ^= r2 >> S12
            r2 ^= r2 << S25
            r2 ^= r2 >> S27
            u2 = r2 * XM
            e2 = u2 & M16
            tb2 = (u2 >> S16) & M16
            ra2 = np.int64((u2 >> S32) & U3)
            k2 = np.int64(((u2 >> S34) * U3) >> S30)

            b2 = s2 * 4
            x0_2 = q2[b2]; x1_2 = q2[b2 + 1]; x2_2 = q2[b2 + 2]; x3_2 = q2[b2 + 3]
            mx2 = max(max(x0_2, x1_2), max(x2_2, x3_2))
            mk2 = np.int64(x0_2 == mx2) | (np.int64(x1_2 == mx2) << 1) | (np.int64(x2_2 == mx2) << 2) | (np.int64(x3_2 == mx2) << 3)
            g2 = TIE12[mk2 * 12 + np.int64((tb2 * U12) >> S16)]
            a2 = ra2 if e2 < th2 else g2
            pk2 = PK[s2 * 12 + a2 * 3 + k2]
            s2_2 = pk2 & 255
            term2 = (pk2 >> 8) & 1
            rw2 = (pk2 >> 9) & 1
            b2_2 = s2_2 * 4
            m2 = max(max(q2[b2_2], q2[b2_2 + 1]), max(q2[b2_2 + 2], q2[b2_2 + 3]))
            qa2 = q2[b2 + a2]
            tg2 = np.float32(rw2) if term2 else ga2 * m2
            q2[b2 + a2] = qa2 + al2 * (tg2 - qa2)
            tn2 = t2 + 1
            tr2 = tn2 >= TMAX
            s2 = 0 if tr2 else s2_2
            t2 = 0 if (tr2 or term2 != 0) else tn2
            ep2 += 1 if (tr2 or term2 != 0) else 0
            go2 += rw2
            r3 ^= r3 >> S12
            r3 ^= r3 << S25
            r3 ^= r3 >> S27
            u3 = r3 * XM
            e3 = u3 & M16
            tb3 = (u3 >> S16) & M16
            ra3 = np.int64((u3 >> S32) & U3)
            k3 = np.int64(((u3 >> S34) * U3) >> S30)

            b3 = s3 * 4
            x0_3 = q3[b3]; x1_3 = q3[b3 + 1]; x2_3 = q3[b3 + 2]; x3_3 = q3[b3 + 3]
            mx3 = max(max(x0_3, x1_3), max(x2_3, x3_3))
            mk3 = np.int64(x0_3 == mx3) | (np.int64(x1_3 == mx3) << 1) | (np.int64(x2_3 == mx3) << 2) | (np.int64(x3_3 == mx3) << 3)
            g3 = TIE12[mk3 * 12 + np.int64((tb3 * U12) >> S16)]
            a3 = ra3 if e3 < th3 else g3
            pk3 = PK[s3 * 12 + a3 * 3 + k3]
            s2_3 = pk3 & 255
            term3 = (pk3 >> 8) & 1
            rw3 = (pk3 >> 9) & 1
            b2_3 = s2_3 * 4
            m3 = max(max(q3[b2_3], q3[b2_3 + 1]), max(q3[b2_3 + 2], q3[b2_3 + 3]))
            qa3 = q3[b3 + a3]
            tg3 = np.float32(rw3) if term3 else ga3 * m3
            q3[b3 + a3] = qa3 + al3 * (tg3 - qa3)
            tn3 = t3 + 1
            tr3 = tn3 >= TMAX
            s3 = 0 if tr3 else s2_3
            t3 = 0 if (tr3 or term3 != 0) else tn3
            ep3 += 1 if (tr3 or term3 != 0) else 0
            go3 += rw3
        EP[i + 0] = ep0; GO[i + 0] = go0
        EP[i + 1] = ep1; GO[i + 1] = go1
        EP[i + 2] = ep2; GO[i + 2] = go2
        EP[i + 3] = ep3; GO[i + 3] = go3




MAP8 = ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"]


def packed_table():
    """PK[(s * 4 + a) * 3 + k]: next state (0 when terminal: the episode restarts at 0), terminal
    flag << 8, goal flag << 9, for action a (0 left, 1 down, 2 right, 3 up) slipping to
    (a - 1 + k) % 4 as in Gymnasium."""
    flat = "".join(MAP8)
    pk = np.zeros(64 * 4 * 3, np.int32)
    for s in range(64):
        r, c = divmod(s, 8)
        for a in range(4):
            for k in range(3):
                b = (a - 1 + k) % 4
                r2, c2 = r, c
                if b == 0:
                    c2 = max(c - 1, 0)
                elif b == 1:
                    r2 = min(r + 1, 7)
                elif b == 2:
                    c2 = min(c + 1, 7)
                else:
                    r2 = max(r - 1, 0)
                s2 = r2 * 8 + c2
                term = flat[s2] in "HG"
                pk[(s * 4 + a) * 3 + k] = (0 if term else s2) | (int(term) << 8) | (int(flat[s2] == "G") << 9)
    return pk


def rate(kernel, agents=4096, steps=20000, reps=3):
    """Best-of-``reps`` agent-steps per second of ``kernel`` (compiled before timing)."""
    pk = packed_table()
    q = np.zeros((agents, 256), np.float32)
    ep = np.zeros(agents, np.int64)
    go = np.zeros(agents, np.int64)
    hp = (np.full(agents, 0.1), np.full(agents, 0.99), np.full(agents, 0.1))
    args = hp if kernel.__name__.count("_ha") else (0.1, 0.99, 0.1)
    kernel(q, pk, 10, *args, 0, ep, go)
    best = 0.0
    for rep in range(reps):
        q[:] = 0
        t = time.perf_counter()
        kernel(q, pk, steps, *args, rep + 1, ep, go)
        best = max(best, agents * steps / (time.perf_counter() - t))
    return best, ep.sum() / (agents * steps), go.sum() / max(ep.sum(), 1)


if __name__ == "__main__":
    import numba
    n = numba.config.NUMBA_NUM_THREADS
    rows = [("1 agent per thread, 1 thread", k_xs_f32_B1_st_rt, 1),
            ("4 agents interleaved, 1 thread", k_xs_f32_B4_st_ha_rt, 1),
            (f"4 agents interleaved, {n} threads", k_xs_f32_B4_par_ha_rt, n)]
    for label, kernel, threads in rows:
        numba.set_num_threads(threads)
        r, eps_per_step, goals_per_ep = rate(kernel)
        print(f"{label:34s} {r / 1e6:7.1f} M agent-steps/s   (episodes/step {eps_per_step:.4f}, goals/episode {goals_per_ep:.4f})")
