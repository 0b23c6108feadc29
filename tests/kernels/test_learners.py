"""Every learner kernel against its numpy reference, the update rules checked by hand, and the
invariances of the random-number contract: threads, prefixes, lanes and blocks."""

import numpy as np
import pytest
from cases import CUSTOM, ENVS, INTEGER_OUTPUTS, OUTPUTS, assert_same, bandit, both, chain, per_agent_params

import fastq
from fastq import TabularMDP, _dispatch, _train
from fastq.algos import ONE_STEP_ALGORITHMS as ALGORITHMS  # the learners of this file


@pytest.mark.parametrize("name", list(ENVS))
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_numba_equals_numpy_bit_for_bit(algo, name):
    agents = 13
    fast, ref = both(ENVS[name], algo, agents=agents, episodes=25, seed=11, **per_agent_params(agents))
    assert_same(fast, ref)
    assert fast.agent_steps > agents * 25  # the runs did something
    assert fast.meta["backend"] == "numba" and ref.meta["backend"] == "numpy"
    if algo == "double_q":
        for table in ("q_a", "q_b"):
            np.testing.assert_array_equal(fast.extra[table], ref.extra[table])
        np.testing.assert_array_equal(fast.q, (fast.extra["q_a"] + fast.extra["q_b"]) / 2)


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_tie_break_first_agrees_bit_for_bit(algo):
    fast, ref = both("FrozenLake-8x8", algo, agents=9, episodes=30, seed=3, tie_break="first", epsilon=0.3)
    assert_same(fast, ref)


def test_numba_equals_numpy_over_several_blocks(monkeypatch):
    monkeypatch.setattr(_train, "BLOCK_AGENT_STEPS", 7 * 5 * 200)
    fast, ref = both("FrozenLake-8x8", "q_learning", agents=7, episodes=33, seed=5, epsilon=0.3)
    assert_same(fast, ref)


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_schedules_and_mixed_per_agent_values_agree(algo):
    agents = 6
    kwargs = dict(
        agents=agents, episodes=30, seed=4,
        alpha=[0.5, fastq.linear(0.9, 0.1, 20), 0.2, fastq.exponential(1.0, 0.05, 0.1), 0.5, 0.3],
        epsilon=fastq.exponential(0.9, 0.0, 0.2),
        gamma=np.linspace(0.9, 0.99, agents),
    )
    fast, ref = both("FrozenLake-4x4", algo, **kwargs)
    assert_same(fast, ref)
    assert fast.params["alpha_schedule"].tolist() == [
        "", "linear(start=0.9, end=0.1, episodes=20)", "", "exponential(start=1.0, end=0.05, rate=0.1)", "", ""]
    assert fast.params["epsilon_schedule"].tolist() == ["exponential(start=0.9, end=0.0, rate=0.2)"] * agents


@pytest.mark.parametrize("power", [1.0, 0.5])
@pytest.mark.parametrize("algo", ["q_learning", "sarsa", "dyna_q"])
def test_visit_count_step_sizes_agree_bit_for_bit(algo, power):
    fast, ref = both("CliffWalking", algo, agents=5, episodes=15, seed=2, alpha=fastq.visits(power))
    assert_same(fast, ref)


def test_visit_count_step_size_with_other_powers_agrees_within_rounding():
    # pow() may differ in the last bit between the compiled code and numpy: values within 1e-12
    # relative, every integer output identical (no decision flipped).
    fast, ref = both("CliffWalking", "q_learning", agents=5, episodes=15, seed=2, alpha=fastq.visits(0.8))
    assert_same(fast, ref, INTEGER_OUTPUTS)
    np.testing.assert_allclose(fast.q, ref.q, rtol=1e-12, atol=1e-12)


def test_visit_count_is_one_over_n_by_hand():
    # One state, one action ending the episode with reward 1: with alpha = 1/n the value after
    # n updates is the sample mean of the rewards, 1.0 exactly; with q_init = 10 the first
    # update (n = 1) already replaces q_init.
    mdp = TabularMDP(next_state=[[[1]], [[1]]], prob=[[[1.0]], [[1.0]]], reward=[[[1.0]], [[0.0]]],
                     terminal=[False, True], start=[1.0, 0.0], max_steps=3)
    res = fastq.train(mdp, agents=1, episodes=4, alpha=fastq.visits(1.0), q_init=10.0, gamma=0.5)
    assert res.q[0, 0, 0] == 1.0
    half = fastq.train(mdp, agents=1, episodes=2, alpha=fastq.visits(0.5), q_init=10.0, gamma=0.5)
    q = 10.0 + 1.0 * (1.0 - 10.0)          # n = 1: alpha = 1
    q = q + (1.0 / np.sqrt(2.0)) * (1.0 - q)  # n = 2
    assert half.q[0, 0, 0] == q


@pytest.mark.parametrize("algo", ["q_learning", "sarsa", "expected_sarsa"])
def test_softmax_agrees_within_tolerance(algo):
    # exp() runs in both backends: integer outputs identical, values within 1e-12 relative.
    kwargs = dict(agents=8, episodes=20, seed=6, exploration="softmax",
                  temperature=fastq.linear(2.0, 0.1, 15))
    fast, ref = both("CliffWalking", algo, **kwargs)
    assert_same(fast, ref, INTEGER_OUTPUTS)
    np.testing.assert_allclose(fast.q, ref.q, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast.returns, ref.returns, rtol=1e-12)


def test_softmax_picks_actions_with_boltzmann_probabilities():
    # Q fixed by q_init and alpha tiny over one episode: P(a) = exp(a / T) / sum exp(a' / T) for
    # rewards 0, 1, 2 with q_init 0 -> first step ties, every action 1/3; temperature irrelevant.
    # Use three arms with equal q_init: shares 1/3 within 5 standard deviations (6000 agents).
    n = 6000
    res = fastq.train(bandit(), agents=n, episodes=1, exploration="softmax", temperature=0.7, seed=8)
    shares = np.array([(res.returns[:, 0] == a).mean() for a in range(3)])
    assert np.all(np.abs(shares - 1 / 3) < 5 * np.sqrt(2 / 9 / n))


def test_softmax_weights_follow_the_values():
    # After a first episode, q = alpha * reward of the arm taken, others 0.  Give every agent
    # the values q = (0, 1, 2) through q_init... instead: alpha = 1, gamma = 0: q(a) = a once
    # tried.  With temperature 1 and all arms tried, P(a) = e^a / (1 + e + e^2).  Agents try all
    # arms first with epsilon... we check the second-episode choice of agents whose first arm
    # was 2: q = (0, 0, 2) -> P(2) = e^2 / (2 + e^2).
    n = 20000
    res = fastq.train(bandit(), agents=n, episodes=2, alpha=1.0, gamma=0.0, exploration="softmax",
                      temperature=1.0, seed=9)
    first2 = res.returns[:, 0] == 2.0
    p = np.exp(2) / (2 + np.exp(2))
    share = (res.returns[first2, 1] == 2.0).mean()
    assert abs(share - p) < 5 * np.sqrt(p * (1 - p) / first2.sum())


def test_disallowed_actions_are_never_taken_and_stay_minus_inf():
    allowed = np.array([[True, False, True], [True, True, True]])
    for algo in ALGORITHMS:
        fast, ref = both(bandit(allowed=allowed), algo, agents=300, episodes=5, epsilon=1.0, seed=1)
        assert_same(fast, ref)
        assert set(np.unique(fast.returns)) == {0.0, 2.0}, algo
        assert np.isneginf(fast.q[:, 0, 1]).all() and np.isfinite(fast.q[:, 0, [0, 2]]).all()
        assert (fast.greedy_policy()[:, 0] != 1).all()
    # Uniform over the 2 allowed actions when exploring.
    share = (fast.returns == 2.0).mean()
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / fast.returns.size)


def test_expected_sarsa_expectation_ranges_over_allowed_actions_only():
    # Two-step chain: state 0 -> state 1 (reward 0); in 1, actions 0 and 2 allowed, both end
    # the episode.  Q(1) = (q_init, -inf, q_init); E = (1 - eps) * max + eps * mean over allowed.
    ns = np.array([[[1], [1], [1]], [[2], [2], [2]], [[2], [2], [2]]])
    allowed = np.array([[True, True, True], [True, False, True], [True, True, True]])
    mdp = TabularMDP(next_state=ns, prob=np.ones((3, 3, 1)), reward=np.zeros((3, 3, 1)),
                     terminal=[False, False, True], start=[1, 0, 0], max_steps=5, allowed=allowed)
    for backend in ("numba", "numpy"):
        res = fastq.train(mdp, "expected_sarsa", agents=1, episodes=1, alpha=0.5, gamma=0.9,
                          epsilon=0.2, q_init=2.0, tie_break="first", backend=backend)
        expected = 2.0 + 0.5 * (0.0 + 0.9 * ((1 - 0.2) * 2.0 + 0.2 * ((2.0 + 2.0) / 2)) - 2.0)
        assert res.q[0, 0, 0] == expected


def test_reward_noise_has_the_stated_mean_and_spread():
    # One arm paying mean 0.5 with standard deviation 2: 20,000 draws; mean within 5 standard
    # errors, standard deviation within 3%.  Backends agree to 1e-12 (log, cos, sqrt).
    std = np.array([[2.0], [0.0]])
    mdp = TabularMDP(next_state=[[[1]], [[1]]], prob=[[[1.0]], [[1.0]]], reward=[[[0.5]], [[0.0]]],
                     terminal=[False, True], start=[1.0, 0.0], max_steps=2, reward_std=std)
    fast, ref = both(mdp, "q_learning", agents=4000, episodes=5, seed=3)
    r = fast.returns.ravel()
    assert abs(r.mean() - 0.5) < 5 * 2.0 / np.sqrt(r.size)
    assert abs(r.std() / 2.0 - 1) < 0.03
    np.testing.assert_allclose(fast.returns, ref.returns, rtol=1e-12, atol=1e-12)
    assert_same(fast, ref, INTEGER_OUTPUTS)


# ----------------------------------------------------------------- the update rules by hand
ALPHA, GAMMA, Q0 = 0.5, 0.9, 5.0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_termination_does_not_bootstrap_for_any_algorithm(algo, backend):
    kw = {"planning_steps": 0} if algo == "dyna_q" else {}
    res = fastq.train(chain(True, 10), algo, agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend, **kw)
    if algo == "double_q":  # one table moved to 3, the other kept q_init: the mean is 4
        assert sorted([res.extra["q_a"][0, 0, 0], res.extra["q_b"][0, 0, 0]]) == [3.0, Q0]
        assert res.q[0, 0, 0] == 4.0
    else:
        assert res.q[0, 0, 0] == Q0 + ALPHA * (1.0 - Q0) == 3.0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_truncation_bootstraps_from_the_real_next_state_for_any_algorithm(algo, backend):
    # Every bootstrap of state 1 is Q0 (one action, never updated): target 1 + 0.9 * 5 = 5.5.
    kw = {"planning_steps": 0} if algo == "dyna_q" else {}
    res = fastq.train(chain(False, 1), algo, agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.3, q_init=Q0, backend=backend, **kw)
    updated = Q0 + ALPHA * (1.0 + GAMMA * Q0 - Q0)
    if algo == "double_q":
        assert sorted([res.extra["q_a"][0, 0, 0], res.extra["q_b"][0, 0, 0]]) == [Q0, updated]
    else:
        assert res.q[0, 0, 0] == updated == 5.25
    assert res.q[0, 1, 0] == Q0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_sarsa_bootstraps_from_the_action_it_takes_next(backend):
    # State 1 has two actions with q_init 5 both; episode truncated after 2 steps.  With
    # tie_break "first" and epsilon 0, SARSA takes action 0 in state 1 and bootstraps on it:
    # after step 1, Q(0, 0) = 5 + 0.5 * (1 + 0.9 * 5 - 5); after step 2 (truncated), Q(1, 0) =
    # 5 + 0.5 * (0 + 0.9 * Q(1, a'') - 5) with a'' the greedy action in 1 (action 1 now, as
    # Q(1, 0) < Q(1, 1) is only known after the update: a'' is chosen before, from (5, 5) -> 0).
    res = fastq.train(chain(False, 2, actions=2), "sarsa", agents=1, episodes=1, alpha=ALPHA,
                      gamma=GAMMA, epsilon=0.0, q_init=Q0, tie_break="first", backend=backend)
    assert res.q[0, 0, 0] == Q0 + ALPHA * (1.0 + GAMMA * Q0 - Q0)
    assert res.q[0, 1, 0] == Q0 + ALPHA * (0.0 + GAMMA * Q0 - Q0)
    assert res.q[0, 1, 1] == Q0 and res.q[0, 0, 1] == Q0


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_dyna_q_planning_repeats_the_remembered_transition(n, backend):
    # One real step 0 -> terminal with reward 1, then n planning updates of the only seen pair:
    # Q = 1 + (Q0 - 1) * (1 - alpha) ** (n + 1).
    res = fastq.train(chain(True, 10), "dyna_q", agents=1, episodes=1, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, planning_steps=n, backend=backend)
    q = Q0
    for _ in range(n + 1):
        q = q + ALPHA * (1.0 - q)
    assert res.q[0, 0, 0] == q
    assert res.meta["planning_steps"] == n


def test_dyna_q_with_no_planning_is_q_learning():
    kwargs = dict(agents=9, episodes=30, seed=7, epsilon=0.2)
    assert_same(fastq.train("CliffWalking", "dyna_q", planning_steps=0, **kwargs),
                fastq.train("CliffWalking", "q_learning", **kwargs))


def test_double_q_updates_each_table_about_half_the_time():
    # chain(True): every episode is one update of one table, chosen by a fair coin.
    n = 4000
    res = fastq.train(chain(True, 10), "double_q", agents=n, episodes=1, alpha=ALPHA, q_init=Q0, seed=5)
    share_a = (res.extra["q_a"][:, 0, 0] != Q0).mean()
    assert abs(share_a - 0.5) < 5 * np.sqrt(0.25 / n)
    assert ((res.extra["q_a"][:, 0, 0] != Q0) ^ (res.extra["q_b"][:, 0, 0] != Q0)).all()


def test_epsilon_schedule_is_applied_per_episode():
    # epsilon = 1 in episode 0, 0 from episode 1 on (linear over 1 episode); tie_break "first"
    # and q_init 0 with the bandit paying 0, 1, 2: episode 0 is uniform, later episodes greedy.
    n = 3000
    res = fastq.train(bandit(), agents=n, episodes=3, alpha=1.0, gamma=0.0,
                      epsilon=fastq.linear(1.0, 0.0, 1), tie_break="first", seed=2)
    shares = np.array([(res.returns[:, 0] == a).mean() for a in range(3)])
    assert np.all(np.abs(shares - 1 / 3) < 5 * np.sqrt(2 / 9 / n))
    # Greedy afterwards: arm 1 or 2 found first is kept (its value > 0 = untried arms).
    np.testing.assert_array_equal(res.returns[:, 2], np.where(res.returns[:, 0] == 0.0, 0.0, res.returns[:, 0]))


# ----------------------------------------------------------------- Q-learning by hand
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_truncated_episodes_continue_learning_across_episodes(backend):
    # Two episodes of max_steps=2 on the non-terminal chain: 0 -> 1 -> 1 (truncated), twice.
    res = fastq.train(chain(False, 2), agents=1, episodes=2, alpha=ALPHA, gamma=GAMMA,
                      epsilon=0.0, q_init=Q0, backend=backend)
    q0, q1 = Q0, Q0
    for _ in range(2):
        q0 = q0 + ALPHA * (1.0 + GAMMA * q1 - q0)
        q1 = q1 + ALPHA * (0.0 + GAMMA * q1 - q1)
    assert res.q[0, 0, 0] == q0 and res.q[0, 1, 0] == q1
    assert res.lengths.tolist() == [[2, 2]] and res.returns.tolist() == [[1.0, 1.0]]
    assert not res.successes.any()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_tie_break_first_is_argmax(backend):
    # All Q equal: "first" always takes action 0, so Q(0, 1) is never updated.
    res = fastq.train(bandit(2), agents=5, episodes=20, epsilon=0.0, tie_break="first", backend=backend)
    assert (res.returns == 0.0).all()
    assert (res.q[:, 0, 1] == 0.0).all()


@pytest.mark.parametrize("env", [bandit(2), bandit(4)], ids=["2 actions", "4 actions"])
def test_tie_break_random_is_uniform(env):
    # First episode, all Q equal: the greedy choice is uniform over the actions (the general
    # path with 2 actions, the table with 4).  4000 agents, each share within 5 sigma.
    n, A = 4000, env.n_actions
    res = fastq.train(env, agents=n, episodes=1, epsilon=0.0, tie_break="random", seed=3)
    shares = np.array([(res.returns[:, 0] == a).mean() for a in range(A)])
    assert np.all(np.abs(shares - 1 / A) < 5 * np.sqrt((1 / A) * (1 - 1 / A) / n))


def test_epsilon_one_explores_uniformly():
    # epsilon = 1: actions uniform whatever Q says (tie_break "first" would always take 0).
    n = 4000
    res = fastq.train(bandit(2), agents=n, episodes=3, epsilon=1.0, tie_break="first", seed=4)
    share = res.returns.mean()
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / (3 * n))


def test_epsilon_zero_is_greedy():
    # After one episode with action 1 taken (random tie), greedy never leaves action 1.
    res = fastq.train(bandit(2), agents=200, episodes=10, epsilon=0.0, seed=2)
    took_1 = res.returns[:, 0] == 1.0
    assert 0 < took_1.sum() < 200  # both actions were taken in the first episode (random ties)
    assert (res.returns[took_1, 1:] == 1.0).all()


def test_exploration_rate_is_epsilon():
    # First episode, all Q equal and tie_break "first": greedy takes arm 0, and arm 1 (paying 1)
    # only by exploring, with probability epsilon / 2.  20,000 agents, within 5 sigma.
    n, eps = 20_000, 0.3
    res = fastq.train(bandit(2), agents=n, episodes=1, epsilon=eps, tie_break="first", seed=6)
    p = eps / 2
    assert abs(res.returns[:, 0].mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_slip_frequencies_match_the_model():
    # Every agent takes "up" (action 0, all values tied, tie_break "first") once from S.  The
    # landing cell tells the outcome apart by its reward: the hole above (-1, probability 0.8),
    # the goal to the left (+1, slip 0.1), the free cell to the right (0, slip 0.1).
    # Chi-square with 2 degrees of freedom at the 0.1% level (13.82), 20,000 agents, fixed seed.
    env = fastq.GridWorld([".H.", "GS.", "..."], slip=0.2, hole_reward=-1.0, goal_reward=1.0,
                          step_reward=0.0, max_steps=1, actions="ULDR")
    n = 20_000
    res = fastq.train(env, agents=n, episodes=1, epsilon=0.0, tie_break="first", seed=9)
    counts = np.array([(res.returns[:, 0] == r).sum() for r in (-1.0, 1.0, 0.0)])
    assert counts.sum() == n
    expected = n * np.array([0.8, 0.1, 0.1])
    assert ((counts - expected) ** 2 / expected).sum() < 13.82


# ----------------------------------------------------------------- invariances, every algorithm
@pytest.mark.parametrize("algo", ALGORITHMS)
def test_determinism_prefix_and_thread_invariance(algo):
    kwargs = dict(episodes=20, seed=21, epsilon=0.2, alpha=0.3)
    big = fastq.train("FrozenLake-8x8", algo, agents=40, threads=2, **kwargs)
    again = fastq.train("FrozenLake-8x8", algo, agents=40, threads=1, **kwargs)
    small = fastq.train("FrozenLake-8x8", algo, agents=17, **kwargs)
    other = fastq.train("FrozenLake-8x8", algo, agents=17, **{**kwargs, "seed": 22})
    assert_same(big, again)
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(big, field)[:17], getattr(small, field), err_msg=field)
    assert not np.array_equal(small.returns, other.returns) or not np.array_equal(small.q, other.q)


@pytest.mark.parametrize("agents", [1, 3, 5, 37])
@pytest.mark.parametrize("lanes", [1, 2, 4])
def test_lanes_change_no_number(monkeypatch, lanes, agents):
    # However many agents a thread steps in turn -- more lanes than agents, a last lane left with
    # no agent, ranges that do not divide -- every agent's numbers are those of the default.
    kwargs = dict(agents=agents, episodes=12, seed=8, epsilon=0.25, threads=1)
    default = fastq.train("FrozenLake-8x8", "q_learning", **kwargs)
    monkeypatch.setattr(_dispatch, "LANES", dict.fromkeys(_dispatch.LANES, lanes))
    assert_same(fastq.train("FrozenLake-8x8", "q_learning", **kwargs), default)


@pytest.mark.parametrize("name", fastq.list_envs())
def test_every_registered_environment_agrees_across_backends(name):
    # Exact where the model has no reward noise; MaxBias's Gaussian rewards use log/cos/sqrt.
    env = fastq.make(name)
    fast, ref = both(env, "expected_sarsa", agents=4, episodes=6, seed=13, epsilon=0.3, alpha=0.4,
                     gamma=0.95)
    if (env.mdp.reward_std > 0).any():
        assert_same(fast, ref, INTEGER_OUTPUTS)
        np.testing.assert_allclose(fast.q, ref.q, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast.returns, ref.returns, rtol=1e-12, atol=1e-12)
    else:
        assert_same(fast, ref)


# ----------------------------------------------------------------- the machine code
def test_the_kernel_inlines_its_helpers_and_counts_no_references(monkeypatch):
    # The kernel must call none of its helpers (LLVM inlines the policy, the outcome, the start
    # of an episode...) and update no array's reference count (each would cost about as much as
    # the step); its only calls reshape the tables before the loop.  Compiled afresh: numba
    # cannot show the code of a kernel loaded from the cache.
    from fastq import _config
    from fastq.kernels import learners

    monkeypatch.setattr(_config, "CACHE", False)
    variant = _dispatch.variant(0, fastq.make("FrozenLake-8x8").mdp, softmax=False, tie_random=True, visits=False)
    kernel = learners._build(variant)
    monkeypatch.setattr(learners, "_KERNELS", {variant: kernel})
    fastq.train("FrozenLake-8x8", agents=2, episodes=1)  # compiles the fresh kernel
    (asm,) = [kernel.inspect_asm(sig) for sig in kernel.signatures]
    body = asm.split("\ncfunc.")[0].split("\n_ZN7cpython")[0]  # the kernel, not its wrappers
    assert "NRT_" not in body
    called = {line.split("$")[1].split(",")[0] for line in body.splitlines() if "movabsq\t$" in line
              and not line.split("$")[1][0] in "-.0123456789"}
    assert called and all("reshape" in name for name in called), called
