"""fastq.core, the low-level batched API: pinned signatures, the random-number contract,
agreement with fastq.train and between backends, numba-callability, and input validation."""

import inspect

import numpy as np
import pytest

import fastq
from fastq import TabularMDP, core, rng
from helpers import chain
from fastq.kernels import rollouts as kernels
from fastq.reference import rollouts as reference


def small_mdp(noise: bool = False, mask: bool = False, max_steps: int = 12) -> TabularMDP:
    """6 states (5 terminal, a goal), 3 actions, 2 outcomes; optionally a mask and reward noise."""
    rs = np.random.default_rng(3)
    S, A, K = 6, 3, 2
    prob = rs.uniform(0.1, 1.0, (S, A, K))
    prob /= prob.sum(axis=2, keepdims=True)
    allowed = np.ones((S, A), dtype=bool)
    if mask:
        allowed[0, 1] = allowed[2, 0] = allowed[2, 2] = allowed[4, 1] = False
    return TabularMDP(
        next_state=rs.integers(0, S, (S, A, K)), prob=prob,
        reward=rs.choice([-1.0, 0.0, 0.5, 2.0], (S, A, K)),
        terminal=[False] * 5 + [True], goal=[False] * 5 + [True],
        start=[0.5, 0.3, 0.2, 0.0, 0.0, 0.0], max_steps=max_steps, name="small",
        allowed=allowed, reward_std=rs.uniform(0.0, 2.0, (S, A)) * (rs.random((S, A)) < 0.5) if noise else None,
    )


def run_q_learning(mdp, n, episodes, seed, epsilon, alpha, gamma, tie_break="random", backend="numba",
                   q_init=0.0):
    """Q-learning written with the four primitives, as another package would write it."""
    S, A = mdp.n_states, mdp.n_actions
    q = np.full((n, S, A), q_init)
    q[:, mdp.terminal] = 0.0
    q[:, ~mdp.allowed & ~mdp.terminal[:, None]] = -np.inf  # train()'s convention
    returns = np.zeros((n, episodes))
    lengths = np.zeros((n, episodes), dtype=np.int64)
    rng_state = core.make_rng_state(seed, n)
    states = core.reset_batch(mdp, rng_state, backend=backend)
    done_episodes = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)  # streams with episodes left; the others are left alone
        sub = rng_state[idx]  # a copy: written back below
        s = states[idx]
        a = core.epsilon_greedy_batch(mdp, sub, q[idx], s, epsilon[idx], tie_break=tie_break, backend=backend)
        s2, r, term, trunc = core.step_batch(mdp, sub, s, a, backend=backend)
        q_sub = q[idx]
        core.q_update_batch(mdp, q_sub, s, a, r, s2, term, alpha=alpha[idx], gamma=gamma[idx], backend=backend)
        q[idx] = q_sub
        total[idx] += r
        ended = term | trunc
        e = done_episodes[idx[ended]]
        returns[idx[ended], e] = total[idx[ended]]
        lengths[idx[ended], e] = sub[ended, core.STEP].astype(np.int64)
        total[idx[ended]] = 0.0
        done_episodes[idx[ended]] += 1
        again = ended & (done_episodes[idx] < episodes)
        s2 = core.reset_batch(mdp, sub, mask=again, states=s2, backend=backend)
        states[idx] = s2
        rng_state[idx] = sub
        active = done_episodes < episodes
    return q, returns, lengths


# ---------------------------------------------------------------------------- stable names
SIGNATURES = {
    "make_rng_state": "(seed, agents: 'int', *, agent_ids=None) -> 'np.ndarray'",
    "reset_batch": "(env, rng_state, mask=None, states=None, *, backend: 'str' = 'numba') -> 'np.ndarray'",
    "step_batch": "(env, rng_state, states, actions, *, backend: 'str' = 'numba')",
    "epsilon_greedy_batch": "(env, rng_state, q, states, epsilon, *, tie_break: 'str' = 'random', "
                            "backend: 'str' = 'numba') -> 'np.ndarray'",
    "q_update_batch": "(env, q, states, actions, rewards, next_states, terminated, *, alpha, gamma, "
                      "backend: 'str' = 'numba') -> 'None'",
}
KERNEL_SIGNATURES = {
    "reset_batch": "(start_cum, rng_state, mask, states)",
    "step_batch": "(next_state, cum_prob, reward, reward_std, terminal, max_steps, states, actions, rng_state, "
                  "next_states, rewards, terminated, truncated)",
    "epsilon_greedy_batch": "(allowed, n_allowed, allowed_actions, all_allowed, q, states, epsilon, tie_random, "
                            "rng_state, actions)",
    "q_update_batch": "(allowed, all_allowed, q, states, actions, rewards, next_states, terminated, alpha, gamma)",
    "step_autoreset_batch": "(next_state, cum_prob, reward, reward_std, terminal, start_cum, max_steps, same_step, "
                            "reset_mask, states, actions, rng_state, next_states, rewards, terminated, truncated, "
                            "final_states)",
}


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_public_signature_is_pinned(name):
    assert str(inspect.signature(getattr(core, name))) == SIGNATURES[name]
    assert name in core.__all__


@pytest.mark.parametrize("name", list(KERNEL_SIGNATURES))
def test_kernel_and_reference_signatures_are_pinned(name):
    kernel = getattr(kernels, name)
    assert str(inspect.signature(kernel.py_func)) == KERNEL_SIGNATURES[name]
    assert str(inspect.signature(getattr(reference, name))) == KERNEL_SIGNATURES[name]
    if name != "step_autoreset_batch":
        assert getattr(core, f"{name}_jit") is kernel


def test_rng_state_columns():
    assert (core.KEY, core.EPISODE, core.STEP) == (0, 1, 2)
    assert int(core.NOT_STARTED) == 2**64 - 1


# ---------------------------------------------------------------------------- random-number contract
def test_make_rng_state_uses_train_streams():
    state = core.make_rng_state(7, 5)
    assert state.dtype == np.uint64 and state.shape == (5, 3) and state.flags.c_contiguous
    assert [int(k) for k in state[:, core.KEY]] == [rng.key(7, i) for i in range(5)]
    assert (state[:, core.EPISODE] == 0).all() and (state[:, core.STEP] == core.NOT_STARTED).all()
    gym_rule = core.make_rng_state(7 + np.arange(3), 3, agent_ids=np.zeros(3, dtype=int))
    assert [int(k) for k in gym_rule[:, core.KEY]] == [rng.key(7 + i, 0) for i in range(3)]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_kth_reset_starts_episode_k_with_its_draw(backend):
    mdp = small_mdp()
    state = core.make_rng_state(11, 4)
    for k in range(3):
        states = core.reset_batch(mdp, state, backend=backend)
        assert (state[:, core.EPISODE] == k).all() and (state[:, core.STEP] == 0).all()
        for i in range(4):
            u = rng.uniform(rng.draw(11, i, rng.draw_index(k, 0, rng.SLOT_RESET)))
            assert states[i] == np.searchsorted(mdp.start_cum, u, side="right")
    # a masked reset leaves the other streams and the given array alone
    before = state.copy()
    out = np.full(4, 99, dtype=np.int64)
    core.reset_batch(mdp, state, mask=np.array([False, True, False, False]), states=out, backend=backend)
    assert out[[0, 2, 3]].tolist() == [99, 99, 99] and out[1] in (0, 1, 2)
    assert state[1, core.EPISODE] == 3 and (state[[0, 2, 3]] == before[[0, 2, 3]]).all()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_step_draws_the_transition_slot_and_advances(backend):
    mdp = fastq.make("FrozenLake-4x4").mdp  # K = 3 outcomes
    state = core.make_rng_state(5, 3)
    s = core.reset_batch(mdp, state, backend=backend)
    for t in range(4):
        nonterminal = ~mdp.terminal[s]
        if not nonterminal.all():
            break
        a = np.array([1, 2, 1])
        s2, r, term, trunc = core.step_batch(mdp, state, s, a, backend=backend)
        for i in range(3):
            u = rng.uniform(rng.draw(5, i, rng.draw_index(0, t, rng.SLOT_TRANSITION)))
            k = int((u >= mdp.cum_prob[s[i], a[i], :-1]).sum())
            assert s2[i] == mdp.next_state[s[i], a[i], k] and r[i] == mdp.reward[s[i], a[i], k]
        assert (state[:, core.STEP] == t + 1).all()
        s = s2


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_termination_truncation_and_both(backend):
    # streams: 0 moves twice (terminates at step 2 = max_steps: termination wins),
    #          1 stays (truncated at step 2), 2 moves then stays (truncated)
    mdp = chain(max_steps=2)
    state = core.make_rng_state(0, 3)
    s = core.reset_batch(mdp, state, backend=backend)
    s, r, term, trunc = core.step_batch(mdp, state, s, [0, 1, 0], backend=backend)
    assert s.tolist() == [1, 0, 1] and r.tolist() == [1.0, 0.0, 1.0]
    assert not term.any() and not trunc.any()
    s, r, term, trunc = core.step_batch(mdp, state, s, [0, 1, 1], backend=backend)
    assert s.tolist() == [2, 0, 1]
    assert term.tolist() == [True, False, False] and trunc.tolist() == [False, True, True]
    with pytest.raises(ValueError, match="the episode of stream 0 is over|must not be terminal"):
        core.step_batch(mdp, state, s, [0, 0, 0], backend=backend)
    core.reset_batch(mdp, state, backend=backend)
    assert state[:, core.EPISODE].tolist() == [1, 1, 1]


# ---------------------------------------------------------------------------- fastq.train, bit for bit
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("env", ["FrozenLake-8x8", pytest.param("masked-noisy", marks=pytest.mark.slow)])
def test_primitives_reproduce_train_bit_for_bit(env, backend):
    mdp = small_mdp(noise=True, mask=True) if env == "masked-noisy" else fastq.make(env).mdp
    n, episodes = 12, 25
    rs = np.random.default_rng(1)
    epsilon = rs.uniform(0.0, 0.5, n)
    alpha = rs.uniform(0.05, 1.0, n)
    gamma = rs.uniform(0.8, 1.0, n)
    q, returns, lengths = run_q_learning(mdp, n, episodes, 31, epsilon, alpha, gamma, backend=backend)
    res = fastq.train(mdp, "q_learning", agents=n, episodes=episodes, alpha=alpha, gamma=gamma,
                      epsilon=epsilon, seed=31)
    np.testing.assert_array_equal(q, res.q)
    np.testing.assert_array_equal(returns, res.returns)
    np.testing.assert_array_equal(lengths, res.lengths)


def test_tie_break_first_reproduces_train():
    mdp = fastq.make("CliffWalking", max_steps=60).mdp
    n = 5
    ones = np.ones(n)
    q, returns, _ = run_q_learning(mdp, n, 6, 2, 0.2 * ones, 0.5 * ones, ones, tie_break="first")
    res = fastq.train(mdp, agents=n, episodes=6, alpha=0.5, gamma=1.0, epsilon=0.2, seed=2, tie_break="first")
    np.testing.assert_array_equal(q, res.q)
    np.testing.assert_array_equal(returns, res.returns)


# ---------------------------------------------------------------------------- numba == numpy
@pytest.mark.parametrize("mask", [False, True])
def test_backends_agree_on_every_primitive(mask):
    mdp = small_mdp(noise=True, mask=mask)
    n = 40
    out = {}
    for backend in ("numba", "numpy"):
        state = core.make_rng_state(9, n)
        rs = np.random.default_rng(4)
        q = rs.choice([0.0, 1.0, 2.0], (n, mdp.n_states, mdp.n_actions))  # many ties
        shared = q[:1].copy()
        trace = []
        s = core.reset_batch(mdp, state, backend=backend)
        for _ in range(30):
            a = core.epsilon_greedy_batch(mdp, state, q, s, 0.3, backend=backend)
            a_shared = core.epsilon_greedy_batch(mdp, state, shared, s, 0.3, tie_break="first", backend=backend)
            s2, r, term, trunc = core.step_batch(mdp, state, s, a, backend=backend)
            core.q_update_batch(mdp, q, s, a, r, s2, term, alpha=0.5, gamma=0.9, backend=backend)
            core.q_update_batch(mdp, shared, s, a, r, s2, term, alpha=0.5, gamma=0.9, backend=backend)
            trace.append((a, a_shared, s2, r, term, trunc))
            s = core.reset_batch(mdp, state, mask=term | trunc, states=s2, backend=backend)
        out[backend] = (trace, q, shared, state)
    (trace_nb, q_nb, shared_nb, state_nb), (trace_np, q_np, shared_np, state_np) = out["numba"], out["numpy"]
    for step_nb, step_np in zip(trace_nb, trace_np):
        for x, y in zip(step_nb, step_np):
            # rewards with noise call log and cos: 1e-12 (they agree exactly on this machine)
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=0)
    np.testing.assert_allclose(q_nb, q_np, rtol=1e-12, atol=0)
    np.testing.assert_allclose(shared_nb, shared_np, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(state_nb, state_np)
    assert any(t[4].any() for t in trace_nb) and any(t[5].any() for t in trace_nb)  # both kinds of ends


@pytest.mark.parametrize("same_step", [False, True])
def test_step_autoreset_kernel_agrees_with_reference(same_step):
    mdp = small_mdp(max_steps=3)
    n = 30
    results = []
    for module in (kernels, reference):
        state = core.make_rng_state(4, n)
        s = core.reset_batch(mdp, state)
        reset_mask = np.zeros(n, dtype=bool)
        rows = []
        for t in range(12):
            a = (np.arange(n) + t) % 3
            out = [np.zeros(n, np.int64), np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, np.int64)]
            module.step_autoreset_batch(mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std, mdp.terminal,
                                        mdp.start_cum, mdp.max_steps, same_step, reset_mask, s, a, state, *out)
            rows.append([x.copy() for x in out])
            s = out[0]
            reset_mask = np.zeros(n, bool) if same_step else out[2] | out[3]
        results.append((rows, state.copy()))
    for row_nb, row_np in zip(results[0][0], results[1][0]):
        for x, y in zip(row_nb, row_np):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_shared_table_updates_in_stream_order():
    # two streams update the same (s, a) = (0, 0) -> 1 (terminal, reward 1): each sees the other
    mdp = chain(max_steps=5)
    for backend in ("numba", "numpy"):
        q = np.zeros((1, 3, 2))
        core.q_update_batch(mdp, q, [0, 0], [0, 0], [1.0, 1.0], [1, 1], [False, False], alpha=0.5, gamma=1.0, backend=backend)
        assert q[0, 0, 0] == 0.75  # 0 -> 0.5 -> 0.5 + 0.5 * (1 - 0.5)


def test_noise_follows_the_learners_draw():
    mdp = small_mdp(noise=True)
    s_pair, a_pair = np.argwhere((mdp.reward_std > 0) & ~mdp.terminal[:, None])[0]
    n = 4000
    state = core.make_rng_state(8, n)
    core.reset_batch(mdp, state)
    _, r, _, _ = core.step_batch(mdp, state, np.full(n, s_pair), np.full(n, a_pair))
    # reward[s, a, k] + reward_std[s, a] * gaussian(draw(key, slot NOISE)), k from slot TRANSITION
    from fastq.reference.policy import gaussian
    from fastq.reference.rng import uniform

    keys = state[:, core.KEY]
    u = uniform(rng_draw(keys, rng.draw_index(0, 0, rng.SLOT_TRANSITION)))
    k = (u[:, None] >= mdp.cum_prob[s_pair, a_pair, :-1]).sum(axis=1)
    z = gaussian(rng_draw(keys, rng.draw_index(0, 0, rng.SLOT_NOISE)))
    expected = mdp.reward[s_pair, a_pair, k] + mdp.reward_std[s_pair, a_pair] * z
    np.testing.assert_allclose(r, expected, rtol=1e-12, atol=1e-12)  # log and cos: numba vs numpy
    # and z is standard normal: mean within 4 standard errors, variance within 10 %
    assert abs(z.mean()) < 4 / np.sqrt(n) and abs(z.var() - 1.0) < 0.1


def rng_draw(keys, index):
    from fastq.reference.rng import draw

    return draw(keys, np.full(keys.shape, index, dtype=np.uint64))


# ---------------------------------------------------------------------------- from other numba code
@pytest.mark.slow
def test_primitives_are_callable_from_numba():
    from numba import njit

    @njit
    def one_episode_step(start_cum, next_state, cum_prob, reward, reward_std, terminal, max_steps,
                         allowed, n_allowed, allowed_actions, q, epsilon, alpha, gamma, rng_state):
        n = rng_state.shape[0]
        states = np.empty(n, dtype=np.int64)
        core.reset_batch_jit(start_cum, rng_state, np.ones(n, dtype=np.bool_), states)
        actions = np.empty(n, dtype=np.int64)
        core.epsilon_greedy_batch_jit(allowed, n_allowed, allowed_actions, True, q, states, epsilon, True,
                                      rng_state, actions)
        nxt = np.empty(n, dtype=np.int64)
        rewards = np.empty(n)
        term = np.empty(n, dtype=np.bool_)
        trunc = np.empty(n, dtype=np.bool_)
        core.step_batch_jit(next_state, cum_prob, reward, reward_std, terminal, max_steps, states, actions,
                            rng_state, nxt, rewards, term, trunc)
        core.q_update_batch_jit(allowed, True, q, states, actions, rewards, nxt, term, alpha, gamma)
        return nxt

    mdp = fastq.make("FrozenLake-4x4").mdp
    n = 6
    eps, alpha, gamma = np.full(n, 0.5), np.full(n, 0.5), np.full(n, 0.9)
    for x in (eps, alpha, gamma):
        x.flags.writeable = False  # as fastq.core passes them: the kernels' compiled signature
    q_jit, q_py = np.ones((n, 16, 4)), np.ones((n, 16, 4))
    state_jit, state_py = core.make_rng_state(3, n), core.make_rng_state(3, n)
    nxt_jit = one_episode_step(mdp.start_cum, mdp.next_state, mdp.cum_prob, mdp.reward, mdp.reward_std,
                               mdp.terminal, mdp.max_steps, mdp.allowed, mdp.n_allowed, mdp.allowed_actions,
                               q_jit, eps, alpha, gamma, state_jit)
    s = core.reset_batch(mdp, state_py)
    a = core.epsilon_greedy_batch(mdp, state_py, q_py, s, eps)
    nxt, r, term, _ = core.step_batch(mdp, state_py, s, a)
    core.q_update_batch(mdp, q_py, s, a, r, nxt, term, alpha=alpha, gamma=gamma)
    np.testing.assert_array_equal(nxt_jit, nxt)
    np.testing.assert_array_equal(q_jit, q_py)
    np.testing.assert_array_equal(state_jit, state_py)


# ---------------------------------------------------------------------------- validation
def fresh(n=2, mdp=None):
    mdp = mdp or chain(max_steps=5)
    state = core.make_rng_state(0, n)
    states = core.reset_batch(mdp, state)
    return mdp, state, states


def test_rng_state_must_be_the_real_thing():
    mdp = chain(5)
    with pytest.raises(TypeError, match="rng_state must be a uint64 numpy array"):
        core.reset_batch(mdp, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="rng_state must be a uint64 numpy array"):
        core.reset_batch(mdp, [[1, 2, 3]])
    with pytest.raises(ValueError, match=r"rng_state must have shape \(n, 3\)"):
        core.reset_batch(mdp, np.zeros((2, 4), dtype=np.uint64))
    frozen = core.make_rng_state(0, 2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="C-contiguous and writeable"):
        core.reset_batch(mdp, frozen)
    with pytest.raises(ValueError, match="C-contiguous and writeable"):
        core.reset_batch(mdp, np.zeros((3, 4), dtype=np.uint64)[:, :3])


def test_make_rng_state_validates():
    with pytest.raises(ValueError, match="agents must be >= 1, got 0"):
        core.make_rng_state(0, 0)
    with pytest.raises(ValueError, match="seed must be in the range 0 <= value <= 18446744073709551615, got -1"):
        core.make_rng_state(-1, 2)
    with pytest.raises(ValueError, match="agent_ids must be an integer or a 1-D array of length agents=2"):
        core.make_rng_state(0, 2, agent_ids=[1, 2, 3])
    # refused with the estimate, before the seed array (np.full) is allocated
    with pytest.raises(ValueError, match=r"make_rng_state\(agents=1000000000000000\) would need about [\d.]+ GiB") as info:
        core.make_rng_state(0, 10**15)
    assert info.value.argument == "agents"


def test_streams_must_be_reset_before_use():
    mdp = chain(5)
    state = core.make_rng_state(0, 2)
    with pytest.raises(ValueError, match="step_batch: stream 0 has not been reset yet"):
        core.step_batch(mdp, state, [0, 0], [0, 0])
    with pytest.raises(ValueError, match="epsilon_greedy_batch: stream 0 has not been reset yet"):
        core.epsilon_greedy_batch(mdp, state, np.zeros((2, 3, 2)), [0, 0], 0.1)


def test_step_batch_validates_states_and_actions():
    mdp, state, states = fresh()
    with pytest.raises(TypeError, match="states must be an array of integers, got dtype float64"):
        core.step_batch(mdp, state, [0.0, 0.0], [0, 0])
    with pytest.raises(ValueError, match=r"states must have shape \(2,\) \(one per stream\), got \(3,\)"):
        core.step_batch(mdp, state, [0, 0, 0], [0, 0])
    with pytest.raises(ValueError, match=r"states must hold integers in \[0, 3\), got 3 at index 1"):
        core.step_batch(mdp, state, [0, 3], [0, 0])
    with pytest.raises(ValueError, match=r"actions must hold integers in \[0, 2\), got -1 at index 0"):
        core.step_batch(mdp, state, [0, 0], [-1, 0])
    with pytest.raises(ValueError, match=r"states must not be terminal, got state 2 \(terminal\) at index 1"):
        core.step_batch(mdp, state, [0, 2], [0, 0])
    assert (state[:, core.STEP] == 0).all()  # nothing ran


def test_disallowed_actions_are_refused():
    mdp = small_mdp(mask=True)
    _, state, _ = fresh(1, mdp)
    with pytest.raises(ValueError, match=r"actions\[0\] = 1 is not allowed in state 0"):
        core.step_batch(mdp, state, [0], [1])


def test_epsilon_greedy_validates():
    mdp, state, states = fresh()
    q = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match=r"epsilon must be finite and in the range 0.0 <= value <= 1.0, got 1.5"):
        core.epsilon_greedy_batch(mdp, state, q, states, 1.5)
    with pytest.raises(ValueError, match="tie_break must be one of 'random', 'first', got 'last'"):
        core.epsilon_greedy_batch(mdp, state, q, states, 0.1, tie_break="last")
    with pytest.raises(ValueError, match=r"q must have shape \(2, 3, 2\) \(one table per stream\) or \(1, 3, 2\)"):
        core.epsilon_greedy_batch(mdp, state, np.zeros((3, 3, 2)), states, 0.1)
    with pytest.raises(TypeError, match="q must be a float64 numpy array"):
        core.epsilon_greedy_batch(mdp, state, q.astype(np.float32), states, 0.1)
    with pytest.raises(ValueError, match="backend must be one of 'numba', 'numpy', got 'jax'"):
        core.epsilon_greedy_batch(mdp, state, q, states, 0.1, backend="jax")


def test_q_update_validates():
    mdp = chain(5)
    q = np.zeros((2, 3, 2))
    args = dict(states=[0, 1], actions=[0, 0], rewards=[1.0, 1.0], next_states=[1, 2], terminated=[False, True])
    with pytest.raises(ValueError, match=r"alpha must be finite and in the range 0.0 < value <= 1.0, got 0.0"):
        core.q_update_batch(mdp, q, **args, alpha=0.0, gamma=0.9)
    with pytest.raises(ValueError, match=r"gamma must be finite and in the range 0.0 <= value <= 1.0, got 1.1"):
        core.q_update_batch(mdp, q, **args, alpha=0.1, gamma=1.1)
    with pytest.raises(TypeError, match="terminated must be an array of bools, got dtype int64"):
        core.q_update_batch(mdp, q, **{**args, "terminated": [0, 1]}, alpha=0.1, gamma=0.9)
    with pytest.raises(TypeError, match="rewards must be an array of real numbers"):
        core.q_update_batch(mdp, q, **{**args, "rewards": ["a", "b"]}, alpha=0.1, gamma=0.9)
    with pytest.raises(ValueError, match="q must be C-contiguous and writeable"):
        core.q_update_batch(mdp, np.zeros((2, 3, 4))[:, :, :2], **args, alpha=0.1, gamma=0.9)
    with pytest.raises(ValueError, match=r"next_states must hold integers in \[0, 3\), got 5 at index 1"):
        core.q_update_batch(mdp, q, **{**args, "next_states": [1, 5]}, alpha=0.1, gamma=0.9)
    assert (q == 0).all()


def test_reset_batch_validates_mask_and_states():
    mdp = chain(5)
    state = core.make_rng_state(0, 2)
    with pytest.raises(TypeError, match="mask must be an array of bools, got dtype int64"):
        core.reset_batch(mdp, state, mask=[1, 0])
    with pytest.raises(TypeError, match="states must be a writeable C-contiguous int64 array of shape"):
        core.reset_batch(mdp, state, states=np.zeros(2, dtype=np.int32))
    assert (state[:, core.STEP] == core.NOT_STARTED).all()


def test_truncated_stream_cannot_step_again():
    mdp, state, states = fresh(1, chain(max_steps=1))
    s, _, _, trunc = core.step_batch(mdp, state, [0], [1])
    assert trunc.tolist() == [True]
    with pytest.raises(ValueError, match=r"the episode of stream 0 is over \(it reached max_steps=1\)"):
        core.step_batch(mdp, state, s, [1])
    # choosing is still allowed (SARSA's bootstrap action after truncation), one step further not
    assert core.epsilon_greedy_batch(mdp, state, np.zeros((1, 3, 2)), s, 0.0, tie_break="first").tolist() == [0]
    state[0, core.STEP] = 2
    with pytest.raises(ValueError, match="the episode of stream 0 is over"):
        core.epsilon_greedy_batch(mdp, state, np.zeros((1, 3, 2)), s, 0.1)


# ---------------------------------------------------------------------------- old spellings
def test_the_old_argument_order_and_names_still_work_with_a_warning():
    mdp = chain(max_steps=5)
    new_state, old_state = core.make_rng_state(3, 2), core.make_rng_state(3, 2)
    q = np.zeros((2, 3, 2))
    s_new = core.reset_batch(mdp, new_state)
    with pytest.warns(DeprecationWarning, match=r"reset_batch\(mdp=...\) is deprecated"):
        s_old = core.reset_batch(mdp=mdp, rng_state=old_state)
    a_new = core.epsilon_greedy_batch(mdp, new_state, q, s_new, 0.5)
    with pytest.warns(DeprecationWarning, match=r"epsilon_greedy_batch\(env, q, states, epsilon, rng_state\)"):
        a_old = core.epsilon_greedy_batch(mdp, q, s_old, 0.5, old_state)
    np.testing.assert_array_equal(a_old, a_new)
    new = core.step_batch(mdp, new_state, s_new, a_new)
    with pytest.warns(DeprecationWarning, match=r"step_batch\(env, states, actions, rng_state\)"):
        old = core.step_batch(mdp, s_old, a_old, rng_state=old_state)
    for x, y in zip(old, new):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(old_state, new_state)
    q_old = q.copy()
    core.q_update_batch(mdp, q, s_new, a_new, new[1], new[0], new[2], alpha=0.5, gamma=0.9)
    with pytest.warns(DeprecationWarning, match="passing alpha, gamma to q_update_batch"):
        core.q_update_batch(mdp, q_old, s_old, a_old, old[1], old[0], old[2], 0.5, 0.9)
    np.testing.assert_array_equal(q_old, q)
    with pytest.warns(DeprecationWarning, match=r"make_rng_state\(n=...\)"):
        np.testing.assert_array_equal(core.make_rng_state(3, n=2), core.make_rng_state(3, agents=2))


def test_a_call_in_neither_order_gets_the_usual_error():
    mdp = chain(max_steps=5)
    with pytest.raises(TypeError, match="rng_state must be a uint64 numpy array"):
        core.step_batch(mdp, [0], [0], [0])
