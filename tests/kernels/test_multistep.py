"""The learners with more than one step and the prediction learners (fastq.kernels.multistep and
the factory's kernels) against their numpy twins, the identities between learners that hold bit
for bit, and the returns, traces and errors checked by hand.

Compiles about 20 kernels (each learner on one or two models, float32 tables once): about a
minute of the suite."""

import numpy as np
import pytest
from cases import assert_same, both, chain

import fastq
from fastq import TabularMDP
from fastq.algos import PREDICTION_ALGORITHMS

PREDICTION = {"td": {}, "n_step_td": {"n": [1, 3, 8, 30]}, "td_lambda": {"lam": [0.0, 0.5, 0.9, 1.0]},
              "mc_prediction": {}}
CONTROL = {"n_step_sarsa": {"n": [1, 2, 4, 9]}, "sarsa_lambda": {"lam": [0.0, 0.5, 0.9, 1.0]},
           "q_lambda": {"lam": [0.0, 0.5, 0.9, 1.0]}, "mc_control": {}}
WALK = fastq.make("RandomWalk-19")
CLIFF = fastq.make("CliffWalking", max_steps=60)
OUTPUTS = ("returns", "lengths", "successes")


def assert_same_v(a, b):
    assert_same(a, b, OUTPUTS)
    np.testing.assert_array_equal(a.v, b.v)
    for name in ("rms_error", "loss"):
        if name in a.extra:
            np.testing.assert_array_equal(a.extra[name], b.extra[name], err_msg=name)


@pytest.mark.parametrize("algo, kwargs", PREDICTION.items())
def test_prediction_numba_equals_numpy(algo, kwargs):
    fast, ref = both(WALK, algo, agents=4, episodes=12, seed=3, policy=WALK.uniform_policy(), gamma=1.0,
                     alpha=[0.05, 0.1, 0.2, 0.4], v_init=[0.0, 0.5, -0.5, 0.0], record_loss=True, **kwargs)
    assert_same_v(fast, ref)
    assert fast.v.shape == (4, 21) and fast.q.shape == (4, 21, 0)
    assert fast.extra["rms_error"].shape == (4, 13) and fast.extra["loss"].shape == (4, 12)


@pytest.mark.parametrize("trace", ["replacing", "dutch"])
def test_td_lambda_traces_numba_equals_numpy(trace):
    fast, ref = both(WALK, "td_lambda", agents=3, episodes=10, seed=4, policy=WALK.uniform_policy(), gamma=1.0,
                     alpha=0.1, lam=[0.3, 0.8, 1.0], trace=trace, record_loss=True)
    assert_same_v(fast, ref)
    assert fast.meta["trace"] == trace


@pytest.mark.parametrize("algo, kwargs", CONTROL.items())
def test_control_numba_equals_numpy(algo, kwargs):
    fast, ref = both(CLIFF, algo, agents=4, episodes=15, seed=5, epsilon=[0.05, 0.1, 0.2, 0.3],
                     alpha=[0.1, 0.3, 0.5, 0.7], record_loss=True, **kwargs)
    assert_same(fast, ref)
    np.testing.assert_array_equal(fast.extra["loss"], ref.extra["loss"])
    assert fast.agent_steps > 4 * 15


@pytest.mark.parametrize("algo, kwargs", [("mc_control", {"alpha": fastq.visits(1.0)}),
                                          ("mc_prediction", {"first_visit": True, "alpha": fastq.visits(1.0)}),
                                          ("n_step_td", {"n": 2, "dtype": "float32"}),
                                          ("sarsa_lambda", {"lam": 0.9, "trace": "replacing", "dtype": "float32"})])
def test_options_numba_equals_numpy(algo, kwargs):
    env = WALK if algo in PREDICTION_ALGORITHMS else fastq.make("FrozenLake-4x4")
    extra = {"policy": env.uniform_policy(), "gamma": 1.0} if algo in PREDICTION_ALGORITHMS else {}
    fast, ref = both(env, algo, agents=3, episodes=10, seed=6, **extra, **kwargs)
    assert_same(fast, ref, OUTPUTS)
    np.testing.assert_array_equal(fast.v if fast.v is not None else fast.q, ref.v if ref.v is not None else ref.q)


# ----------------------------------------------------------------- identities, bit for bit
@pytest.mark.parametrize("multi, kwargs, single", [
    ("n_step_sarsa", {"n": 1}, "sarsa"),
    ("sarsa_lambda", {"lam": 0.0}, "sarsa"),
    ("sarsa_lambda", {"lam": 0.0, "trace": "replacing"}, "sarsa"),
    ("q_lambda", {"lam": 0.0}, "q_learning"),
])
def test_control_learners_reduce_to_one_step(multi, kwargs, single):
    common = dict(agents=6, episodes=25, seed=7, epsilon=0.2, alpha=0.4, record_loss=True)
    a = fastq.train(CLIFF, multi, **common, **kwargs)
    b = fastq.train(CLIFF, single, **common)
    assert_same(a, b)
    np.testing.assert_array_equal(a.extra["loss"], b.extra["loss"])


@pytest.mark.parametrize("multi, kwargs", [("n_step_td", {"n": 1}), ("td_lambda", {"lam": 0.0}),
                                           ("td_lambda", {"lam": 0.0, "trace": "replacing"})])
def test_prediction_learners_reduce_to_td(multi, kwargs):
    common = dict(agents=5, episodes=20, seed=8, policy=WALK.uniform_policy(), gamma=0.9, alpha=0.2,
                  record_loss=True)
    assert_same_v(fastq.train(WALK, multi, **common, **kwargs), fastq.train(WALK, "td", **common))


def test_n_step_td_with_n_at_least_the_episode_is_monte_carlo():
    common = dict(agents=5, episodes=20, seed=9, policy=WALK.uniform_policy(), gamma=1.0, alpha=0.1)
    mc = fastq.train(WALK, "mc_prediction", **common)
    n = int(mc.lengths.max())
    assert_same_v(fastq.train(WALK, "n_step_td", n=n, **common), mc)
    assert_same_v(fastq.train(WALK, "n_step_td", n=10**5, **common), mc)


# ----------------------------------------------------------------- by hand
def line(length: int, reward_right: float = 1.0, max_steps: int = 100) -> TabularMDP:
    """States 0 .. length - 1 in a row, one action moving right; the last one terminal."""
    S = length
    ns = np.minimum(np.arange(S) + 1, S - 1)[:, None, None]
    reward = np.zeros((S, 1, 1))
    reward[S - 2] = reward_right
    return TabularMDP(next_state=ns, prob=np.ones((S, 1, 1)), reward=reward, terminal=np.arange(S) == S - 1,
                      start=np.eye(S)[0], max_steps=max_steps)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_n_step_and_monte_carlo_returns_by_hand(backend):
    # 0 -> 1 -> 2 -> 3 (terminal), reward 1 on the last move, gamma 0.5, V starts at 0, alpha 1:
    # Monte Carlo gives the discounted returns (0.25, 0.5, 1); 2-step TD bootstraps V(2) = 0 for
    # state 0 at the first step (G = 0 + 0.5 * 0 + 0.25 * 0 = 0), then 0.5 and 1 at the end.
    env = line(4)
    pi = np.ones((4, 1))
    mc = fastq.train(env, "mc_prediction", agents=1, episodes=1, policy=pi, gamma=0.5, alpha=1.0, backend=backend)
    np.testing.assert_array_equal(mc.v[0], [0.25, 0.5, 1.0, 0.0])
    two = fastq.train(env, "n_step_td", n=2, agents=1, episodes=1, policy=pi, gamma=0.5, alpha=1.0, backend=backend)
    np.testing.assert_array_equal(two.v[0], [0.0, 0.5, 1.0, 0.0])
    # Truncated after 2 steps: the returns bootstrap from V of the state the episode was cut in.
    cut = line(4, max_steps=2)
    mc = fastq.train(cut, "mc_prediction", agents=1, episodes=1, policy=pi, gamma=0.5, alpha=1.0, v_init=4.0,
                     backend=backend)
    np.testing.assert_array_equal(mc.v[0], [0.0 + 0.5 * (0.0 + 0.5 * 4.0), 0.0 + 0.5 * 4.0, 4.0, 0.0])


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_first_visit_and_every_visit_by_hand(backend):
    # A bandit-like loop: state 0, action 0 stays (reward 1), action 1 ends (reward 0).  The fixed
    # policy stays with probability 1/2; alpha 1, gamma 1: every-visit MC leaves V(0) at the return
    # of its last visit (0 from the exit), first-visit at the return of the first visit (the
    # number of stays).
    mdp = TabularMDP(next_state=[[[0], [1]], [[1], [1]]], prob=np.ones((2, 2, 1)),
                     reward=[[[1.0], [0.0]], [[0.0], [0.0]]], terminal=[False, True], start=[1.0, 0.0])
    pi = np.array([[0.5, 0.5], [0.0, 0.0]])
    kw = dict(agents=200, episodes=1, policy=pi, gamma=1.0, alpha=1.0, backend=backend, seed=2)
    every = fastq.train(mdp, "mc_prediction", **kw)
    first = fastq.train(mdp, "mc_prediction", first_visit=True, **kw)
    np.testing.assert_array_equal(every.v[:, 0], 0.0)
    np.testing.assert_array_equal(first.v[:, 0], every.lengths[:, 0] - 1)
    assert (every.lengths[:, 0] > 1).any()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_accumulating_and_replacing_traces_by_hand(backend):
    # The loop of the previous test, forced to stay twice then leave (max_steps 3 truncates after
    # three stays at most): with lambda = 1 and gamma = 1, TD(lambda)'s accumulating trace of state
    # 0 grows 1, 2, 3 and its replacing trace stays 1.
    mdp = TabularMDP(next_state=[[[0]], [[1]]], prob=np.ones((2, 1, 1)), reward=[[[1.0]], [[0.0]]],
                     terminal=[False, True], start=[1.0, 0.0], max_steps=3)
    pi = np.ones((2, 1))
    kw = dict(agents=1, episodes=1, policy=pi, gamma=1.0, alpha=0.1, lam=1.0, backend=backend)
    acc = fastq.train(mdp, "td_lambda", **kw).v[0, 0]
    rep = fastq.train(mdp, "td_lambda", trace="replacing", **kw).v[0, 0]
    v = 0.0
    for z in (1, 2, 3):  # delta = 1 + V(0) - V(0) = 1 at every step
        v += 0.1 * 1.0 * z
    assert acc == v
    assert rep == 0.1 * 3


def test_watkins_q_lambda_cuts_its_traces_after_exploring():
    # With epsilon = 1 every action is random and most are not greedy: Q(lambda) then learns
    # like one-step Q-learning (its traces are cut), a trace-keeping learner does not.
    kw = dict(agents=8, episodes=10, seed=3, epsilon=1.0, alpha=0.5, tie_break="first")
    watkins = fastq.train(CLIFF, "q_lambda", lam=0.9, **kw)
    sarsa = fastq.train(CLIFF, "sarsa_lambda", lam=0.9, **kw)
    assert not np.array_equal(watkins.q, sarsa.q)
    # Greedy throughout (epsilon 0, the first maximiser): never cut, and Q(lambda) with lambda 1
    # on the deterministic line is Monte Carlo with alpha = 1: Q(0) = gamma^2.
    line_q = fastq.train(line(4), "q_lambda", lam=1.0, agents=1, episodes=1, epsilon=0.0, alpha=1.0, gamma=0.5)
    np.testing.assert_array_equal(line_q.q[0, :, 0], [0.25, 0.5, 1.0, 0.0])


def test_the_loss_is_the_mean_squared_td_error_by_hand():
    # Q-learning on chain(True): one step, target 1 from q_init 5 -> loss (1 - 5)**2 = 16, then
    # from 3 (alpha 0.5) -> 4.
    res = fastq.train(chain(True, 10), agents=1, episodes=2, alpha=0.5, epsilon=0.0, q_init=5.0, record_loss=True)
    np.testing.assert_array_equal(res.extra["loss"], [[16.0, 4.0]])
    assert "loss" not in fastq.train(chain(True, 10), agents=1, episodes=2).extra


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_rms_error_starts_from_v_init_and_falls(backend):
    # TD(0) on RandomWalk-5 from V = 0.5 (Figure 6.2's start): the RMS error over the five
    # states is sqrt(mean((0.5 - k/6)**2)) before learning, and after 100 episodes at alpha 0.1
    # the mean over 50 agents is below 0.1 (the book's curve ends near 0.06 at alpha 0.1).
    env = fastq.make("RandomWalk-5")
    res = fastq.train(env, "td", agents=50, episodes=100, policy=env.uniform_policy(), gamma=1.0, alpha=0.1,
                      v_init=0.5, seed=1, backend=backend)
    start = np.sqrt(np.mean((0.5 - np.arange(1, 6) / 6) ** 2))
    np.testing.assert_allclose(res.extra["rms_error"][:, 0], start, rtol=1e-15)
    assert res.extra["rms_error"][:, -1].mean() < 0.1


# ----------------------------------------------------------------- invariances
@pytest.mark.parametrize("algo, kwargs", [("td_lambda", {"lam": 0.8}), ("n_step_sarsa", {"n": 3})])
def test_thread_and_prefix_invariance(algo, kwargs):
    env = WALK if algo in PREDICTION_ALGORITHMS else CLIFF
    extra = {"policy": env.uniform_policy(), "gamma": 1.0} if algo in PREDICTION_ALGORITHMS else {}
    common = dict(episodes=8, seed=11, **extra, **kwargs)
    big = fastq.train(env, algo, agents=40, threads=2, **common)
    one = fastq.train(env, algo, agents=40, threads=1, **common)
    small = fastq.train(env, algo, agents=17, **common)
    assert_same(big, one, OUTPUTS)
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(big, field)[:17], getattr(small, field), err_msg=field)


# ----------------------------------------------------------------- arguments
@pytest.mark.parametrize("algo, kwargs, argument, message", [
    ("n_step_td", {"policy": [0] * 21}, "n", "n_step_td needs n"),
    ("td_lambda", {"policy": [0] * 21}, "lam", "td_lambda needs lam"),
    ("td", {}, "policy", "td needs policy"),
    ("q_learning", {"n": 3}, "n", "n applies to n_step_td and n_step_sarsa only"),
    ("sarsa_lambda", {"lam": 0.5, "trace": "dutch"}, "trace", "td_lambda"),
    ("q_learning", {"policy": [0] * 21}, "policy", "policy applies to the prediction learners only"),
    ("td_lambda", {"policy": [0] * 21, "lam": 0.5, "alpha": fastq.visits(1.0)}, "alpha", "visits"),
    ("td", {"policy": [0] * 21, "eval_every": 2}, "eval_every", "control learners"),
    ("td", {"policy": [0] * 21, "q_init": 1.0}, "q_init", "v_init"),
    ("td", {"policy": [0] * 21, "epsilon": 0.5}, "epsilon", "td follows its policy"),
    ("mc_prediction", {"policy": [0] * 21, "exploration": "softmax"}, "exploration", "follows its policy"),
    ("td_lambda", {"policy": [0] * 21, "lam": 0.5, "temperature": 2.0}, "temperature", "follows its policy"),
    ("n_step_td", {"policy": [0] * 21, "n": 0}, "n", "n must be in the range 1 <= value"),
    ("td_lambda", {"policy": [0] * 21, "lam": 1.5}, "lam", "lam must be"),
    ("td", {"policy": np.full((21, 2), 0.3)}, "policy", "sum to 1"),
    ("mc_control", {"first_visit": "yes"}, "first_visit", "first_visit must be"),
])
def test_bad_arguments_name_themselves(algo, kwargs, argument, message):
    env = WALK if algo != "q_learning" and algo != "sarsa_lambda" and algo != "mc_control" else CLIFF
    if algo == "q_learning" and "policy" in kwargs:
        env = WALK
    with pytest.raises((ValueError, TypeError), match=message) as info:
        fastq.train(env, algo, agents=2, episodes=2, **kwargs)
    assert info.value.argument == argument


def test_meta_says_first_or_every_visit_of_the_monte_carlo_learners_only():
    uniform = dict(agents=2, episodes=2, policy="uniform")
    assert fastq.train(WALK, "mc_prediction", **uniform).meta["first_visit"] is False
    assert fastq.train(WALK, "mc_prediction", first_visit=True, **uniform).meta["first_visit"] is True
    assert fastq.train(CLIFF, "mc_control", agents=2, episodes=2, backend="numpy").meta["first_visit"] is True
    assert "first_visit" not in fastq.train(WALK, "td", backend="numpy", **uniform).meta


def test_the_ring_mask_wraps_as_the_modulo_of_a_power_of_two_and_leaves_shorter_positions_alone():
    from fastq.kernels.multistep import ring_mask

    for capacity in (1, 2, 3, 4, 5, 8, 100, 1024, 10_000):
        mask = ring_mask(capacity)
        assert mask + 1 >= capacity and (mask + 1) & mask == 0 and (mask + 1) // 2 < max(capacity, 1)
        positions = np.arange(3 * capacity)
        if capacity & (capacity - 1) == 0:
            assert np.array_equal(positions & mask, positions % capacity)
        assert np.array_equal(positions[:capacity] & mask, positions[:capacity])
