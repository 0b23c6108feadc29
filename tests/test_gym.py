"""fastq.gym: Gymnasium environments as fastq models (tables and behaviour), fastq models as
Gymnasium environments (check_env, seeding, vector env against SyncVectorEnv), registration."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")

import fastq  # noqa: E402
from fastq import TabularMDP, core, render, rng  # noqa: E402
from fastq import gym as fgym  # noqa: E402
from fastq.gym import TabularEnv, TabularVectorEnv, from_gymnasium  # noqa: E402
from gymnasium.error import ResetNeeded  # noqa: E402
from gymnasium.utils.env_checker import check_env, data_equivalence  # noqa: E402
from gymnasium.vector import AutoresetMode, SyncVectorEnv  # noqa: E402

PARITY = {"FrozenLake-4x4": "FrozenLake-v1", "FrozenLake-8x8": "FrozenLake8x8-v1", "CliffWalking": "CliffWalking-v1"}


def raw(gym_id, **kwargs):
    env = gymnasium.make(gym_id, **kwargs)
    return env.unwrapped


# ================================================================ Gymnasium -> fastq: tables
@pytest.mark.subprocess
@pytest.mark.parametrize("code, expected", [
    # Gymnasium 1.x's form for a package of environments: import it, then make by id.
    ("import gymnasium, fastq.gym\n"
     "gymnasium.register_envs(fastq.gym)\n"
     "env = gymnasium.make('fastq/FrozenLake-8x8-v0')\n", "fastq/FrozenLake-8x8-v0 FrozenLake-8x8"),
    # The module-qualified id in a fresh interpreter: gymnasium imports fastq.gym itself.
    ("import gymnasium\n"
     "env = gymnasium.make('fastq.gym:fastq/FrozenLake-8x8-v0')\n", "fastq/FrozenLake-8x8-v0 FrozenLake-8x8"),
])
def test_registration_as_gymnasium_documents_it(code, expected):
    out = subprocess.run([sys.executable, "-c", code + "print(env.spec.id, env.unwrapped.mdp.name)"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


@pytest.mark.subprocess
def test_import_fastq_neither_imports_gymnasium_nor_hooks_the_import_system():
    code = (
        "import sys\n"
        "finders = list(sys.meta_path)\n"
        "import fastq\n"
        "assert 'gymnasium' not in sys.modules, 'import fastq imported gymnasium'\n"
        "assert sys.meta_path == finders, 'import fastq changed sys.meta_path'\n"
        "assert 'from_gymnasium' not in vars(fastq)\n"
        "import gymnasium\n"  # fastq registers nothing until fastq.gym is imported
        "print('fastq/FrozenLake-8x8-v0' in gymnasium.registry, callable(fastq.from_gymnasium))\n"
        "print('fastq/FrozenLake-8x8-v0' in gymnasium.registry)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


@pytest.mark.parametrize("name", list(PARITY))
def test_import_equals_the_built_in(name):
    mdp = from_gymnasium(PARITY[name])
    ref = fastq.make(name).mdp
    P, R = mdp.to_dense()
    P_ref, R_ref = ref.to_dense()
    np.testing.assert_array_equal(P, P_ref)
    np.testing.assert_array_equal(R, R_ref)
    for field in ("terminal", "goal", "start", "allowed", "reward_std"):
        np.testing.assert_array_equal(getattr(mdp, field), getattr(ref, field), err_msg=field)
    assert mdp.max_steps == ref.max_steps and mdp.action_names == ref.action_names
    assert mdp.name == PARITY[name]


@pytest.mark.parametrize("gym_id, kwargs", [
    ("FrozenLake8x8-v1", {}),
    ("FrozenLake-v1", {"desc": ["SFFH", "FHFF", "FFFG"], "success_rate": 0.6, "reward_schedule": (5, -1, 0)}),
    ("CliffWalkingSlippery-v1", {}),
    ("Taxi-v4", {"is_rainy": True, "rainy_probability": 0.7}),
])
def test_outcomes_are_gymnasiums_in_order(gym_id, kwargs):
    env = raw(gym_id, **kwargs)
    mdp = from_gymnasium(gym_id, **kwargs)
    live = reachable(mdp)
    for s in np.flatnonzero(~mdp.terminal):
        for a in range(mdp.n_actions):
            outs = env.P[s][a]
            K = len(outs)
            assert mdp.prob[s, a, :K].tolist() == [p for p, *_ in outs]
            assert mdp.next_state[s, a, :K].tolist() == [n for _, n, _, _ in outs]
            assert mdp.reward[s, a, :K].tolist() == [float(r) for _, _, r, _ in outs]
            if live[s]:  # termination agrees on every reachable transition
                assert [bool(mdp.terminal[n]) for p, n, _, _ in outs if p > 0] == [t for p, _, _, t in outs if p > 0]
            assert (mdp.prob[s, a, K:] == 0).all()
    assert (mdp.start == env.initial_state_distrib).all()


def reachable(mdp):
    """States reachable from the start distribution (terminal states are not left)."""
    seen = mdp.start > 0
    frontier = np.flatnonzero(seen)
    while frontier.size:
        nxt = mdp.next_state[frontier][mdp.prob[frontier] > 0]
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        frontier = nxt[~mdp.terminal[nxt]]
    return seen


def test_taxi():
    mdp = from_gymnasium("Taxi-v4")
    env = raw("Taxi-v4")
    assert mdp.shape == (500, 6, 1) and mdp.max_steps == 200 == gymnasium.spec("Taxi-v4").max_episode_steps
    assert mdp.action_names == ("south", "north", "east", "west", "pickup", "dropoff")
    # terminal: passenger delivered (taxi and passenger at the destination), all goals
    expected = sorted(env.encode(*env.locs[d], d, d) for d in range(4))
    assert np.flatnonzero(mdp.terminal).tolist() == expected
    assert (mdp.goal == mdp.terminal).all()
    assert (mdp.start == env.initial_state_distrib).all() and (mdp.start > 0).sum() == 300
    rainy = from_gymnasium("Taxi-v4", is_rainy=True)
    s = env.encode(2, 2, 0, 1)  # taxi in the middle, passenger at R, destination G
    assert rainy.n_outcomes == 3 and rainy.prob[s, 0].tolist() == [0.8, (1 - 0.8) / 2, (1 - 0.8) / 2]


def test_frozen_lake_goal_is_the_g_cell_and_holes_are_terminal():
    mdp = from_gymnasium("FrozenLake-v1", desc=["SFH", "FFF", "HFG"], is_slippery=False)
    assert np.flatnonzero(mdp.terminal).tolist() == [2, 6, 8]
    assert np.flatnonzero(mdp.goal).tolist() == [8]
    assert mdp.n_outcomes == 1


def test_time_limit_comes_from_the_spec():
    assert from_gymnasium("FrozenLake-v1").max_steps == 100
    assert from_gymnasium("FrozenLake-v1", max_episode_steps=17).max_steps == 17
    assert from_gymnasium("CliffWalking-v1").max_steps == fgym.DEFAULT_MAX_STEPS == 10_000
    from gymnasium.envs.toy_text.taxi import TaxiEnv

    unregistered = TaxiEnv()  # no spec: no time limit known
    assert from_gymnasium(unregistered).max_steps == 10_000
    assert from_gymnasium(unregistered).name == "TaxiEnv"
    made = gymnasium.make("Taxi-v4", max_episode_steps=50)  # a wrapped instance
    assert from_gymnasium(made).max_steps == 50


def test_environments_without_p_are_refused():
    with pytest.raises(ValueError, match=r"CartPole-v1 has no transition table: fastq imports environments whose "
                                         r"env.unwrapped.P"):
        from_gymnasium("CartPole-v1")


def test_fickle_passenger_is_refused():
    with pytest.raises(ValueError, match="fickle_passenger=True changes the destination inside step"):
        from_gymnasium("Taxi-v4", fickle_passenger=True)


def test_bad_arguments():
    with pytest.raises(TypeError, match="env must be a Gymnasium id"):
        from_gymnasium(3)
    with pytest.warns(DeprecationWarning, match=r"from_gymnasium\(env_or_id=...\)"):
        assert from_gymnasium(env_or_id="FrozenLake-v1").shape == (16, 4, 3)
    with pytest.raises(TypeError, match=r"keyword arguments \(is_slippery\) only with an environment id"):
        from_gymnasium(gymnasium.make("FrozenLake-v1"), is_slippery=False)


class ToyEnv(gymnasium.Env):
    """Three states; P given by the test."""

    def __init__(self, P, start=(1.0, 0.0, 0.0), n_states=3):
        self.P = P
        self.initial_state_distrib = np.array(start)
        self.observation_space = gymnasium.spaces.Discrete(n_states)
        self.action_space = gymnasium.spaces.Discrete(1)


def test_termination_must_be_a_property_of_the_state():
    P = {0: {0: [(0.5, 1, 0.0, False), (0.5, 2, 1.0, True)]},
         1: {0: [(1.0, 2, 0.0, False)]},  # enters 2 without terminating
         2: {0: [(1.0, 2, 0.0, True)]}}
    with pytest.raises(ValueError, match=r"transition from state 1 with action 0 to state 2 has terminated=False, "
                                         r"but other transitions into state 2 have terminated=True"):
        from_gymnasium(ToyEnv(P))
    P[1][0] = [(1.0, 2, 0.0, True)]
    mdp = from_gymnasium(ToyEnv(P))
    assert mdp.terminal.tolist() == [False, False, True] and mdp.goal.tolist() == [False, False, True]
    assert mdp.next_state[2, 0, 0] == 2 and mdp.reward[2].tolist() == [[0.0, 0.0]]  # absorbing row


def test_malformed_tables_are_refused():
    with pytest.raises(ValueError, match=r"the probabilities of P\[0\]\[0\] sum to 0.9, not 1"):
        from_gymnasium(ToyEnv({0: {0: [(0.9, 1, 0.0, False)]}, 1: {0: [(1.0, 1, 0.0, True)]},
                               2: {0: [(1.0, 2, 0.0, True)]}}))
    with pytest.raises(ValueError, match=r"P\[0\]\[0\]\[0\] has next_state 7, outside \[0, 3\)"):
        from_gymnasium(ToyEnv({0: {0: [(1.0, 7, 0.0, False)]}}))
    with pytest.raises(ValueError, match=r"P\[1\]\[0\] is missing"):
        from_gymnasium(ToyEnv({0: {0: [(1.0, 1, 0.0, True)]}}))
    with pytest.raises(ValueError, match="state 0 is a start state and is also entered by a terminating transition"):
        from_gymnasium(ToyEnv({s: {0: [(1.0, 0, 0.0, True)]} for s in range(3)}))
    # every fault names its place in P, or the environment, never a bare Python error
    ok = {1: {0: [(1.0, 1, 0.0, True)]}, 2: {0: [(1.0, 2, 0.0, True)]}}
    cases = [
        ({0: {0: [(0.5, 1, 0.0, True), ("half", 2, 0.0, True)]}}, r"P\[0\]\[0\]\[1\] needs a probability >= 0 and a finite reward"),
        ({0: {0: [(1.0, 1, None, True)]}}, r"P\[0\]\[0\]\[0\] needs a probability >= 0 and a finite reward"),
        ({0: {0: [(1.0, 1, 0.0)]}}, r"P\[0\]\[0\]\[0\] must be \(probability, next_state, reward, terminated\)"),
        ({0: {0: 7}}, r"P\[0\]\[0\] must be a list of \(probability, next_state, reward, terminated\), got 7"),
        ({0: {0: [(1.0, 1.5, 0.0, True)]}}, r"P\[0\]\[0\]\[0\] has next_state 1.5"),
    ]
    for P0, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            from_gymnasium(ToyEnv({**ok, **P0}))
        assert info.value.argument == "env"
    with pytest.raises(ValueError, match=r"ToyEnv: start must sum to 1 within 1e-12, got 0.5") as info:
        from_gymnasium(ToyEnv({0: {0: [(1.0, 1, 0.0, True)]}, **ok}, start=(0.5, 0.0, 0.0)))
    assert info.value.argument == "env"


# ================================================================ Gymnasium -> fastq: behaviour
def chi2_sf(x: float, k: int) -> float:
    """Exact upper tail of the chi-square distribution with k >= 1 degrees of freedom:
    Q(x; 1) = erfc(sqrt(x/2)), Q(x; 2) = exp(-x/2), Q(x; k+2) = Q(x; k) + (x/2)^(k/2) e^(-x/2) / Gamma(k/2+1)."""
    if x <= 0:
        return 1.0
    q = math.erfc(math.sqrt(x / 2)) if k % 2 else math.exp(-x / 2)
    for j in range(2 - k % 2, k, 2):
        q += math.exp(j / 2 * math.log(x / 2) - x / 2 - math.lgamma(j / 2 + 1))
    return min(q, 1.0)


def test_chi2_sf():
    # upper quantiles of the chi-square distribution (scipy.stats.chi2.isf)
    assert chi2_sf(2 * math.log(10), 2) == pytest.approx(0.1, rel=1e-12)
    assert chi2_sf(3.8414588206941285, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(11.070497693516355, 5) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(124.34211340400408, 100) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(2315.1558220178526, 2000) == pytest.approx(1e-6, rel=1e-6)


def transition_counts(mdp, P, reps=20, steps=100, seed=2024):
    """Sample ``reps * steps`` transitions of every non-terminal (s, a) with fastq's step_batch and
    count them in Gymnasium's outcome categories (next state, reward); also Gymnasium's probabilities."""
    pairs = [(s, a) for s in np.flatnonzero(~mdp.terminal) for a in range(mdp.n_actions)]
    cats = []
    for s, a in pairs:
        merged = {}
        for p, nxt, r, _ in P[s][a]:
            if p > 0:
                merged[(int(nxt), float(r))] = merged.get((int(nxt), float(r)), 0.0) + float(p)
        cats.append(merged)
    C = max(len(c) for c in cats)
    cat_next = np.full((len(pairs), C), -1)
    cat_reward = np.zeros((len(pairs), C))
    probs = np.zeros((len(pairs), C))
    for j, merged in enumerate(cats):
        for c, ((nxt, r), p) in enumerate(merged.items()):
            cat_next[j, c], cat_reward[j, c], probs[j, c] = nxt, r, p
    pid = np.repeat(np.arange(len(pairs)), reps)
    s = np.array([p[0] for p in pairs])[pid]
    a = np.array([p[1] for p in pairs])[pid]
    state = core.make_rng_state(seed, pid.size)
    core.reset_batch(mdp, state)
    counts = np.zeros((len(pairs), C), dtype=np.int64)
    for _ in range(steps):  # the same (s, a) again and again: draws of steps 0, 1, ... of episode 0
        nxt, r, _, _ = core.step_batch(mdp, state, s, a)
        match = (cat_next[pid] == nxt[:, None]) & (cat_reward[pid] == r[:, None])
        assert match.any(axis=1).all(), "fastq produced an outcome Gymnasium does not have"
        np.add.at(counts, (pid, match.argmax(axis=1)), 1)
    return counts, probs


def chi_square(counts, probs):
    """Per-pair p-values and the pooled p-value of Pearson's statistic."""
    N = counts.sum(axis=1)[:, None]
    live = probs > 0
    expected = np.where(live, N * probs, 1.0)
    terms = np.where(live, (counts - expected) ** 2 / expected, 0.0)
    stat = terms.sum(axis=1)
    dof = live.sum(axis=1) - 1
    tested = dof > 0
    pvalues = np.array([chi2_sf(x, k) for x, k in zip(stat[tested], dof[tested])])
    return pvalues, chi2_sf(stat[tested].sum(), int(dof[tested].sum())), (N * probs)[live].min()


ALPHA = 1e-6  # family-wise: the chance that a correct import fails this test (fixed seed: it passes or not for good)


@pytest.mark.parametrize("gym_id, kwargs", [
    ("FrozenLake8x8-v1", {}),
    ("FrozenLake-v1", {"desc": ["SFFF", "FHFH", "FFFH", "HFFG"], "success_rate": 0.5}),
    ("CliffWalkingSlippery-v1", {}),
    ("Taxi-v4", {"is_rainy": True}),
])
def test_sampled_transitions_match_gymnasium_chi_square(gym_id, kwargs):
    """For every non-terminal (s, a), 2000 transitions sampled by fastq against Gymnasium's
    probabilities: Pearson's chi-square per pair (Bonferroni: every p-value above ALPHA / pairs)
    and pooled over all pairs (p-value above ALPHA); every expected count is at least 100."""
    mdp = from_gymnasium(gym_id, **kwargs)
    counts, probs = transition_counts(mdp, raw(gym_id, **kwargs).P)
    pvalues, pooled, smallest = chi_square(counts, probs)
    assert smallest >= 100 and pvalues.size > 0
    assert pvalues.min() > ALPHA / pvalues.size, (pvalues.min(), pvalues.size)
    assert pooled > ALPHA, pooled


def test_chi_square_detects_a_wrong_model():
    """The same test rejects a model with another slip (success 1/2 sampled, 1/3 expected)."""
    wrong = from_gymnasium("FrozenLake-v1", success_rate=0.5)
    counts, probs = transition_counts(wrong, raw("FrozenLake-v1").P, reps=2, steps=50)
    pvalues, pooled, _ = chi_square(counts, probs)
    assert pooled < 1e-12 and pvalues.min() < ALPHA / pvalues.size


@pytest.mark.parametrize("gym_id", ["Taxi-v4", "CliffWalking-v1"])
def test_deterministic_environments_sample_the_only_outcome(gym_id):
    mdp = from_gymnasium(gym_id)
    counts, probs = transition_counts(mdp, raw(gym_id).P, reps=1, steps=3)
    assert (probs[:, 0] == 1.0).all() and (counts[:, 0] == 3).all()  # every sample is Gymnasium's outcome


# ================================================================ Taxi end to end
def horizon_return(mdp, policies, H):
    """Exact expected undiscounted return from the start distribution within H steps (the time
    limit), of deterministic policies (n, S): H steps of v <- r_pi + P_pi v, terminal v = 0."""
    n, S = policies.shape
    idx = np.arange(S)
    r = mdp.expected_reward[idx, policies]
    p = mdp.prob[idx, policies]
    nxt = mdp.next_state[idx, policies]
    rows = np.arange(n)[:, None, None]
    v = np.zeros((n, S))
    for _ in range(H):
        v = np.where(mdp.terminal, 0.0, r + (p * v[rows, nxt]).sum(axis=2))
    return v @ mdp.start


def test_taxi_q_learning_end_to_end():
    """Q-learning on the imported Taxi-v4: after 4000 episodes (16 agents; alpha 0.1, gamma 1,
    epsilon 0.1) every greedy policy's exact expected return is within 0.03 of the optimum,
    7.93, and at least 3/4 of them are optimal (15 of 16 are; after 3000 episodes none is).
    Gymnasium's reward threshold for Taxi, 8, is above the optimum: no policy reaches it in
    expectation (docs/backend.md)."""
    taxi = from_gymnasium("Taxi-v4")
    optimum = float(fastq.value_iteration(taxi, gamma=1.0).v @ taxi.start)
    assert optimum == pytest.approx(2379 / 300, abs=1e-9)  # 7.93
    assert optimum < gymnasium.spec("Taxi-v4").reward_threshold == 8
    res = fastq.train(taxi, "q_learning", agents=16, episodes=4000, alpha=0.1, gamma=1.0, epsilon=0.1, seed=0)
    values = horizon_return(taxi, res.greedy_policy(), taxi.max_steps)
    assert (values > optimum - 0.03).all(), values
    assert (np.abs(values - optimum) < 1e-9).mean() >= 0.75, values
    # The same policy in Gymnasium's own Taxi-v4: 300 episodes average within 4 standard errors
    policy = res.greedy_policy()[0]
    env = gymnasium.make("Taxi-v4")
    returns = []
    obs, _ = env.reset(seed=0)
    for _ in range(300):
        total, done = 0.0, False
        while not done:
            obs, r, terminated, truncated, _ = env.step(int(policy[obs]))
            total += r
            done = terminated or truncated
        returns.append(total)
        obs, _ = env.reset()
    returns = np.array(returns)
    assert abs(returns.mean() - values[0]) < 4 * returns.std() / np.sqrt(returns.size)


# ================================================================ fastq -> Gymnasium: TabularEnv
@pytest.mark.parametrize("name", ["FrozenLake-4x4", "CliffWalking"])
def test_check_env_passes_without_warnings(name):
    env = gymnasium.make(fgym.gym_id(name))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)  # includes every render mode, through the spec; raises on a failure
    assert [str(w.message) for w in caught] == []


def test_check_env_on_an_imported_model():
    env = TabularEnv(from_gymnasium("Taxi-v4"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)  # no spec to remake it in other render modes
    assert [str(w.message) for w in caught] == []
    assert env.observation_space.n == 500 and env.action_space.n == 6


def test_seeded_env_is_stream_zero_of_its_seed():
    mdp = fastq.make("FrozenLake-8x8").mdp
    env = TabularEnv(mdp)
    state = core.make_rng_state(123, 1)  # what reset(seed=123) uses: key(123, 0)
    assert int(state[0, core.KEY]) == rng.key(123, 0)
    actions = np.random.default_rng(0).integers(0, 4, 400)
    obs, _ = env.reset(seed=123)
    s = core.reset_batch(mdp, state)
    assert obs == s[0]
    for a in actions:
        obs, r, term, trunc, _ = env.step(int(a))
        s2, r2, term2, trunc2 = core.step_batch(mdp, state, s, [a])
        assert (obs, r, term, trunc) == (s2[0], r2[0], term2[0], trunc2[0])
        s = s2
        if term or trunc:
            obs, _ = env.reset()
            s = core.reset_batch(mdp, state)
            assert obs == s[0]
    assert np.array_equal(env.rng_state, state) and state[0, core.EPISODE] > 1


def test_reset_starts_the_next_episode_and_seed_restarts():
    env = TabularEnv(fastq.GridWorld(["S.S.S", "S...G"], max_steps=5))
    first = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(30)]
    assert env.rng_state[0, core.EPISODE] == 30
    again = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(30)]
    assert first == again and len(set(first)) == 4  # four start cells, drawn per episode
    other = [env.reset(seed=8)[0]] + [env.reset()[0] for _ in range(30)]
    assert other != first


def test_terminated_truncated_and_reset_needed():
    env = TabularEnv(fastq.GridWorld(["S.G"], max_steps=3))  # actions L D R U
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    assert env.step(2)[1:4] == (0.0, False, False)
    assert env.step(2)[1:4] == (1.0, True, False)
    with pytest.raises(ResetNeeded, match="the episode has ended"):
        env.step(2)
    env.reset()
    assert env.step(0)[2:4] == (False, False)
    assert env.step(0)[2:4] == (False, False)
    assert env.step(0)[2:4] == (False, True)  # truncated at max_steps = 3


def test_actions_are_validated():
    env = TabularEnv("FrozenLake-4x4")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an integer in \[0, 4\), got 4"):
        env.step(4)
    with pytest.raises(TypeError, match=r"action must be an integer in \[0, 4\), got 1.0"):
        env.step(1.0)
    assert env.step(np.int64(1))[0] in range(16) and env.step(np.array(1))[0] in range(16)


def test_options_and_time_limit():
    env = TabularEnv("FrozenLake-8x8", slip=0.0, max_episode_steps=9)
    assert env.mdp.n_outcomes == 1 and env.mdp.max_steps == 9
    env = TabularEnv(from_gymnasium("Taxi-v4"), max_episode_steps=12)
    assert env.mdp.max_steps == 12 and env.mdp.name == "Taxi-v4"
    with pytest.raises(TypeError, match="options .slip. apply to an environment name or a GridWorld"):
        TabularEnv(from_gymnasium("Taxi-v4"), slip=0.1)
    with pytest.raises(ValueError, match="render_mode must be None or one of 'ansi', 'rgb_array', got 'human'"):
        TabularEnv("FrozenLake-4x4", render_mode="human")


def masked_mdp():
    allowed = np.ones((4, 3), dtype=bool)
    allowed[0, 2] = allowed[1, 0] = False
    return TabularMDP(
        next_state=[[[1], [2], [0]], [[0], [3], [2]], [[3], [1], [0]], [[3], [3], [3]]],
        prob=np.ones((4, 3, 1)), reward=np.arange(12, dtype=float).reshape(4, 3, 1),
        terminal=[False, False, False, True], start=[0.5, 0.25, 0.25, 0.0], max_steps=4, allowed=allowed)


def test_action_mask_in_info():
    env = TabularEnv(masked_mdp())
    obs, info = env.reset(seed=1)
    assert info["action_mask"].dtype == np.int8
    assert info["action_mask"].tolist() == env.mdp.allowed[obs].astype(int).tolist()
    barred = int(np.flatnonzero(~env.mdp.allowed[obs])[0]) if not env.mdp.allowed[obs].all() else None
    if barred is not None:
        with pytest.raises(ValueError, match=f"action {barred} is not allowed in state {obs}"):
            env.step(barred)


def test_render_ansi_and_rgb():
    env = TabularEnv("CliffWalking", render_mode="ansi")
    env.reset(seed=0)
    env.step(0)  # up
    text = env.render()
    assert text.splitlines()[2] == "@..........." and text.splitlines()[3] == "SCCCCCCCCCCG"
    assert text.splitlines()[-1] == "state 24 (row 2, column 0), step 1, last action: up"
    env = TabularEnv("FrozenLake-4x4", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (128, 128, 3) and frame.dtype == np.uint8
    assert tuple(frame[16, 16]) == render.AGENT_COLOUR and tuple(frame[16, 48]) == render.CELL_COLOURS["F"]
    assert tuple(frame[112, 112]) == render.CELL_COLOURS["G"]
    bare = TabularEnv(from_gymnasium("Taxi-v4"), render_mode="ansi")
    obs, _ = bare.reset(seed=0)
    assert bare.render() == f"state {obs} of 500, step 0"
    image = TabularEnv(from_gymnasium("Taxi-v4"), render_mode="rgb_array")
    image.reset(seed=0)
    assert image.render().shape == (22 * 32, 23 * 32, 3)  # 500 states in rows of 23


# ================================================================ fastq -> Gymnasium: vector env
def run_vector(envs, actions_of, steps, seed, mode):
    obs, info = envs.reset(seed=seed)
    trace = [(obs, info)]
    for t in range(steps):
        out = envs.step(actions_of(t, obs))
        trace.append(out)
        obs = out[0]
        if mode is AutoresetMode.DISABLED and (out[2] | out[3]).any():
            obs, info = envs.reset(options={"reset_mask": out[2] | out[3]})
            trace.append((obs, info))
    return trace


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("model", ["FrozenLake-4x4", "masked"])
def test_vector_env_equals_sync_vector_env(mode, model):
    env = masked_mdp() if model == "masked" else fastq.make(model, max_steps=8)
    n = 6
    mdp = fastq.as_mdp(env)
    rs = np.random.default_rng(5)
    choices = rs.random((120, n))

    def actions_of(t, obs):  # random allowed actions (any action for a terminal observation)
        allowed = np.where(mdp.terminal[obs][:, None], True, mdp.allowed[obs])
        cum = np.cumsum(allowed, axis=1)
        pick = (choices[t] * cum[:, -1]).astype(int)
        return (cum > pick[:, None]).argmax(axis=1)

    ours = TabularVectorEnv(env, n, autoreset_mode=mode)
    sync = SyncVectorEnv([lambda: TabularEnv(env) for _ in range(n)], autoreset_mode=mode)
    assert ours.metadata["autoreset_mode"] is mode is sync.metadata["autoreset_mode"]
    assert ours.observation_space == sync.observation_space and ours.action_space == sync.action_space
    a = run_vector(ours, actions_of, 120, 42, mode)
    b = run_vector(sync, actions_of, 120, 42, mode)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert data_equivalence(x, y, exact=True), (x, y)
    ends = sum(int((step[2] | step[3]).sum()) for step in a if len(step) == 5)
    assert ends > 10  # many episodes ended (and restarted) on the way


def test_sub_environment_i_is_a_tabular_env_seeded_seed_plus_i():
    vec = TabularVectorEnv("FrozenLake-8x8", 4)
    vec.reset(seed=100)
    assert [int(k) for k in vec.rng_state[:, core.KEY]] == [rng.key(100 + i, 0) for i in range(4)]
    vec.reset(seed=[5, None, 9, 5])
    keys = vec.rng_state[:, core.KEY]
    assert int(keys[0]) == int(keys[3]) == rng.key(5, 0) and int(keys[2]) == rng.key(9, 0)
    assert int(keys[1]) == rng.key(101, 0)  # not reseeded: its stream goes on
    assert vec.rng_state[1, core.EPISODE] == 1


def test_vector_step_is_one_compiled_call(monkeypatch):
    from fastq.kernels import rollouts

    calls = []
    real = rollouts.step_autoreset_batch
    monkeypatch.setattr(rollouts, "step_autoreset_batch", lambda *args: calls.append(1) or real(*args))
    monkeypatch.setattr(rollouts, "step_batch", None)  # must not be used per sub-environment
    vec = TabularVectorEnv("FrozenLake-8x8", 64)
    vec.reset(seed=0)
    for _ in range(20):
        vec.step(np.zeros(64, dtype=np.int64))
    assert len(calls) == 20


def test_make_vec_uses_the_vector_entry_point():
    vec = gymnasium.make_vec("fastq/FrozenLake-8x8-v0", num_envs=3)
    assert isinstance(vec, TabularVectorEnv) and vec.num_envs == 3 and vec.mdp.max_steps == 200
    vec = gymnasium.make_vec("fastq/CliffWalking-v0", num_envs=2, max_episode_steps=30, render_mode="ansi")
    assert vec.mdp.max_steps == 30
    vec.reset(seed=0)
    frames = vec.render()
    assert len(frames) == 2 and frames[0].endswith("state 36 (row 3, column 0), step 0")


def test_vector_env_validates():
    vec = TabularVectorEnv("FrozenLake-4x4", 3, autoreset_mode="Disabled")
    with pytest.raises(ResetNeeded, match="sub-environment 0 was never reset"):
        vec.step(np.zeros(3, dtype=int))
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(3,\)"):
        vec.step(np.zeros(2, dtype=int))
    with pytest.raises(TypeError, match="actions must be an array of integers, got dtype float64"):
        vec.step(np.zeros(3))
    with pytest.raises(ValueError, match=r"actions must hold integers in \[0, 4\), got 4 at index 2"):
        vec.step(np.array([0, 0, 4]))
    with pytest.raises(TypeError, match=r"options\['reset_mask'\] must be a bool numpy array"):
        vec.reset(options={"reset_mask": [True, False, True]})
    with pytest.raises(ValueError, match="must select at least one"):
        vec.reset(options={"reset_mask": np.zeros(3, dtype=bool)})
    with pytest.raises(ValueError, match="seed must be None, an int or a list of 3"):
        vec.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="autoreset_mode must be an AutoresetMode or one of"):
        TabularVectorEnv("FrozenLake-4x4", 3, autoreset_mode="sometimes")
    with pytest.raises(ValueError, match="num_envs must be >= 1, got 0"):
        TabularVectorEnv("FrozenLake-4x4", 0)
    with pytest.raises(ValueError, match=r"TabularVectorEnv\(num_envs=1000000000000000\) would need about") as info:
        TabularVectorEnv("FrozenLake-4x4", 10**15)  # refused before any array is allocated
    assert info.value.argument == "num_envs"
    # disabled autoreset: a finished sub-environment must be reset by hand
    vec = TabularVectorEnv(fastq.GridWorld(["SG"]), 2, autoreset_mode=AutoresetMode.DISABLED)
    vec.reset(seed=0)
    _, _, terminated, _, _ = vec.step(np.array([2, 0]))  # right: goal; left: wall
    assert terminated.tolist() == [True, False]
    with pytest.raises(ResetNeeded, match="sub-environment 0 has ended its episode and autoreset is disabled"):
        vec.step(np.array([2, 2]))
    vec.reset(options={"reset_mask": terminated})
    assert vec.step(np.array([2, 2]))[2].tolist() == [True, True]


# ================================================================ registration
def test_every_built_in_is_registered():
    for name in fastq.list_envs():
        spec = gymnasium.spec(fgym.gym_id(name))
        assert spec.entry_point == "fastq.gym:TabularEnv" and spec.vector_entry_point == "fastq.gym:TabularVectorEnv"
        assert spec.kwargs == {"env": name} and spec.max_episode_steps == fastq.make(name).max_steps
    env = gymnasium.make("fastq.gym:fastq/CliffWalking-v0")  # Gymnasium's "module:id" form works too
    assert env.unwrapped.mdp.name == "CliffWalking"
    assert fgym.register_envs() == [fgym.gym_id(n) for n in fastq.list_envs()]  # idempotent
