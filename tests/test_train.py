"""train(): reproducibility contract, blocks, interrupts, results, and long-run behaviour."""

import importlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastq

from fastq import _dispatch
from fastq import _train as train_module

OUTPUTS = ("q", "returns", "lengths", "successes")


def assert_same(a, b):
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_same_seed_same_numbers_different_seed_different_numbers():
    kwargs = dict(agents=16, episodes=200, epsilon=0.2)
    a = fastq.train("FrozenLake-8x8", seed=123, **kwargs)
    b = fastq.train("FrozenLake-8x8", seed=123, **kwargs)
    c = fastq.train("FrozenLake-8x8", seed=124, **kwargs)
    assert_same(a, b)
    assert not np.array_equal(a.lengths, c.lengths)
    assert not np.array_equal(a.q, c.q)


def test_agents_are_independent_streams():
    res = fastq.train("FrozenLake-8x8", agents=8, episodes=100, seed=1)
    rows = {res.lengths[i].tobytes() for i in range(8)}
    assert len(rows) == 8


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_prefix_invariance(backend):
    kwargs = dict(episodes=60, seed=9, backend=backend, epsilon=0.15)
    big = fastq.train("FrozenLake-4x4", agents=100, **kwargs)
    small = fastq.train("FrozenLake-4x4", agents=37, **kwargs)
    for field in OUTPUTS:
        np.testing.assert_array_equal(getattr(big, field)[:37], getattr(small, field), err_msg=field)


def test_per_agent_arrays_prefix_invariance():
    alpha = np.linspace(0.1, 1.0, 100)
    big = fastq.train("CliffWalking", agents=100, episodes=30, alpha=alpha, seed=2)
    small = fastq.train("CliffWalking", agents=37, episodes=30, alpha=alpha[:37], seed=2)
    np.testing.assert_array_equal(big.q[:37], small.q)
    np.testing.assert_array_equal(big.params["alpha"], alpha)


@pytest.mark.skipif(fastq._config.max_threads() < 2, reason="needs 2 numba threads")
def test_thread_count_does_not_change_results_in_process():
    kwargs = dict(agents=33, episodes=80, seed=4, epsilon=0.3)
    one = fastq.train("FrozenLake-8x8", threads=1, **kwargs)
    two = fastq.train("FrozenLake-8x8", threads=2, **kwargs)
    assert one.meta["threads"] == 1 and two.meta["threads"] == 2
    assert_same(one, two)


def test_thread_count_does_not_change_results_across_processes(tmp_path):
    script = textwrap.dedent(
        """
        import sys, numpy as np, numba, fastq
        res = fastq.train("FrozenLake-8x8", agents=45, episodes=120, seed=8, epsilon=0.2)
        assert numba.config.NUMBA_NUM_THREADS == int(sys.argv[2])
        np.savez(sys.argv[1], q=res.q, returns=res.returns, lengths=res.lengths)
        """
    )
    out = {}
    for n in (1, 2):
        path = tmp_path / f"threads{n}.npz"
        env = {**os.environ, "NUMBA_NUM_THREADS": str(n)}
        subprocess.run([sys.executable, "-c", script, str(path), str(n)], env=env, check=True, timeout=300)
        out[n] = np.load(path)
    for field in ("q", "returns", "lengths"):
        np.testing.assert_array_equal(out[1][field], out[2][field], err_msg=field)


@pytest.mark.parametrize("block", [1, 3, 50])
def test_block_size_does_not_change_results(monkeypatch, block):
    kwargs = dict(agents=5, episodes=23, seed=6, epsilon=0.25)
    whole = fastq.train("FrozenLake-8x8", **kwargs)
    monkeypatch.setattr(train_module, "BLOCK_AGENT_STEPS", 5 * block * 200)
    monkeypatch.setattr(train_module, "BLOCK_SECONDS", None)  # every block the first one's size
    blocked = fastq.train("FrozenLake-8x8", **kwargs)
    assert_same(whole, blocked)


class _Clock:
    """A stand-in for ``time`` in fastq._train: seconds pass only when a test says so."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def _blocks_seen(monkeypatch, seconds_per_episode=0.0, clock=None):
    """Record the (start, stop) of every block train() runs; each block advances ``clock`` by
    ``seconds_per_episode`` per episode (its simulated duration)."""
    seen = []
    real = _dispatch.learner

    def learner(*args):
        run = real(*args)

        def timed(*a, **kw):
            seen.append((a[3], a[4]))
            run(*a, **kw)
            if clock is not None:
                clock.now += (a[4] - a[3]) * seconds_per_episode

        timed.kernel = run.kernel
        return timed

    monkeypatch.setattr(_dispatch, "learner", learner)
    return seen


def test_blocks_are_sized_to_take_block_seconds_at_the_measured_speed(monkeypatch):
    # 64 agents on FrozenLake-4x4 with the numpy reference (the case): the first block is
    # 2**14 agent-steps at max_steps (2 episodes), then each block is sized from the speed of the
    # one before (here 0.01 s per episode: 25 episodes per 0.25 s), growing at most 2x per block.
    clock = _Clock()
    monkeypatch.setattr(train_module, "time", clock)
    seen = _blocks_seen(monkeypatch, seconds_per_episode=0.01, clock=clock)
    kwargs = dict(agents=64, episodes=200, seed=1, backend="numpy")
    res = fastq.train("FrozenLake-4x4", **kwargs)
    sizes = [stop - start for start, stop in seen]
    assert seen[0] == (0, 2) and sizes[:5] == [2, 4, 8, 16, 25] and set(sizes[4:-1]) == {25}
    assert [start for start, _ in seen[1:]] == [stop for _, stop in seen[:-1]] and seen[-1][1] == 200
    monkeypatch.undo()
    assert_same(res, fastq.train("FrozenLake-4x4", **kwargs))  # the blocks change no number


def test_blocks_shrink_when_episodes_get_slower_and_end_at_checkpoints(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(train_module, "time", clock)
    monkeypatch.setattr(train_module, "NUMPY_BLOCK_AGENT_STEPS", 4 * 40 * 100)  # a first block of 40
    seen = _blocks_seen(monkeypatch, seconds_per_episode=0.05, clock=clock)  # 5 episodes per 0.25 s
    fastq.train("FrozenLake-4x4", agents=4, episodes=60, eval_every=15, backend="numpy")
    assert seen[:4] == [(0, 15), (15, 20), (20, 25), (25, 30)]  # 40 cut at the checkpoint 15, then 5


def test_a_huge_max_steps_no_longer_makes_every_episode_a_call(monkeypatch):
    # agents * max_steps > BLOCK_AGENT_STEPS: the first block is one episode, and blocks then grow
    # with the measured speed (fast here: the episodes are short), not one call per episode.
    seen = _blocks_seen(monkeypatch)
    env = fastq.make("FrozenLake-4x4", max_steps=2**29)
    res = fastq.train(env, agents=2, episodes=4000)
    assert seen[0] == (0, 1) and len(seen) < 40 and res.episodes == 4000
    assert (res.lengths > 0).all()


def test_the_evaluation_kernel_compiles_before_the_timed_run(monkeypatch):
    # The first greedy_metrics call of a process compiles the evaluation kernel: it must land in
    # compile_time, not in wall_time (it did).  Simulated: the first call takes 100 s.
    clock = _Clock()
    monkeypatch.setattr(train_module, "time", clock)
    real = train_module.greedy_metrics
    calls = []

    def metrics(*args, **kwargs):
        if not calls:
            clock.now += 100.0
        calls.append(args[1].shape[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "greedy_metrics", metrics)
    res = fastq.train("FrozenLake-4x4", agents=3, episodes=10, eval_every=5)
    assert calls == [1, 3, 3]  # one agent's table first, then the checkpoints
    assert res.meta["compile_time"] >= 100.0 and res.meta["wall_time"] < 100.0
    assert res.extra["eval_value"].shape == (3, 2)


def test_q_init_and_terminal_rows():
    # Bottom row: free cells walled off, never visited, so they keep q_init exactly.
    env = fastq.GridWorld(["S.G", "###", "..."], step_reward=-1.0)
    res = fastq.train(env, agents=3, episodes=5, q_init=[1.0, 2.0, 3.0], epsilon=0.5)
    np.testing.assert_array_equal(res.params["q_init"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(res.q[:, 2], 0.0)  # the goal is terminal: 0, whatever q_init
    np.testing.assert_array_equal(res.q[:, 6:], np.array([1.0, 2.0, 3.0])[:, None, None] * np.ones((3, 3, 4)))
    assert (res.q[:, 0] != res.params["q_init"][:, None]).any(axis=1).all()  # the start was updated


def test_meta_and_params():
    res = fastq.train("FrozenLake-4x4", agents=4, episodes=10, alpha=0.3, gamma=0.5, epsilon=0.0,
                      seed=77, tie_break="first", backend="numpy")
    meta = res.meta
    assert (meta["algo"], meta["env"], meta["seed"], meta["backend"]) == ("q_learning", "FrozenLake-4x4", 77, "numpy")
    assert (meta["agents"], meta["episodes"], meta["episodes_requested"]) == (4, 10, 10)
    assert meta["tie_break"] == "first" and meta["interrupted"] is False
    assert set(meta["versions"]) == {"fastq", "numpy", "numba", "python"}
    assert meta["wall_time"] > 0 and meta["compile_time"] == 0.0
    for name, value in dict(alpha=0.3, gamma=0.5, epsilon=0.0, q_init=0.0).items():
        np.testing.assert_array_equal(res.params[name], np.full(4, value))
    json.dumps(meta)  # plain JSON types only
    assert res.agent_steps == int(res.lengths.sum())


def test_save_and_load_round_trip(tmp_path):
    res = fastq.train("CliffWalking", agents=3, episodes=7, seed=5, alpha=[0.1, 0.2, 0.3])
    res.save(tmp_path / "run")
    back = fastq.Result.load(tmp_path / "run.npz")
    assert_same(res, back)
    assert back.meta == json.loads(json.dumps(res.meta))
    np.testing.assert_array_equal(back.params["alpha"], [0.1, 0.2, 0.3])
    assert not [p for p in os.listdir(tmp_path) if "tmp" in p]


def test_summary_numbers():
    res = fastq.train("FrozenLake-4x4", agents=6, episodes=50, seed=3)
    s = res.summary(last=5)
    assert s == res.summary()  # the default window: 10 % of the episodes
    assert s["return_first"] == res.returns[:, :5].mean()
    assert s["return_last"] == res.returns[:, 45:].mean()
    assert s["success_last"] == res.successes[:, 45:].mean()
    # FrozenLake pays 1 exactly on success: returns and successes say the same thing.
    np.testing.assert_array_equal(res.returns == 1.0, res.successes)
    with pytest.raises(ValueError, match="last"):
        res.summary(last=0)


def test_greedy_policy_is_first_argmax():
    res = fastq.train("FrozenLake-4x4", agents=4, episodes=30, seed=1)
    np.testing.assert_array_equal(res.greedy_policy(), np.argmax(res.q, axis=2))
    assert res.greedy_policy().shape == (4, 16)


@pytest.mark.parametrize("when, kept_blocks", [("after", 3), ("before", 2)])
def test_interrupt_keeps_finished_blocks(monkeypatch, interrupt_kernel, when, kept_blocks):
    agents, block = 4, 5
    monkeypatch.setattr(train_module, "BLOCK_AGENT_STEPS", agents * block * 200)  # 8x8: 200 steps
    monkeypatch.setattr(train_module, "BLOCK_SECONDS", None)
    interrupt_kernel(3, when)
    kwargs = dict(agents=agents, episodes=40, seed=12, epsilon=0.2)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        part = fastq.train("FrozenLake-8x8", **kwargs)
    done = kept_blocks * block
    assert part.meta["interrupted"] and part.meta["episodes"] == done == part.episodes
    assert part.meta["episodes_requested"] == 40
    monkeypatch.undo()
    full = fastq.train("FrozenLake-8x8", **{**kwargs, "episodes": done})
    assert_same(part, full)


def test_interrupt_in_the_middle_of_a_numpy_block_rolls_the_block_back(monkeypatch):
    agents, block = 4, 5
    monkeypatch.setattr(train_module, "NUMPY_BLOCK_AGENT_STEPS", agents * block * 100)  # 4x4: 100 steps
    monkeypatch.setattr(train_module, "BLOCK_SECONDS", None)
    learners = importlib.import_module("fastq.reference.learners")
    real = learners.act
    calls = {"n": 0}

    def flaky(*args):
        calls["n"] += 1
        if calls["n"] == 150:  # somewhere inside a later block, after Q has changed in it
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(learners, "act", flaky)
    kwargs = dict(agents=agents, episodes=40, seed=3, epsilon=0.2, backend="numpy")
    with pytest.warns(RuntimeWarning, match="interrupted"):
        part = fastq.train("FrozenLake-4x4", **kwargs)
    done = part.meta["episodes"]
    assert 0 < done < 40 and done % block == 0
    monkeypatch.undo()
    full = fastq.train("FrozenLake-4x4", **{**kwargs, "episodes": done})
    assert_same(part, full)


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=10, progress=True)
    assert res.episodes == 10
    assert "episode" in capsys.readouterr().err


def test_warmup_compiles_the_kernels_once():
    from fastq.kernels.learners import _KERNELS

    fastq.warmup()
    fl = fastq.make("FrozenLake-8x8").mdp
    variant = _dispatch.variant(0, fl, softmax=False, tie_random=True, visits=False)

    def float64_signatures():  # float32 tables have their own (tests/test_dtype.py)
        return [sig for sig in _KERNELS[variant].signatures if "float32" not in str(sig)]

    assert len(float64_signatures()) == 1
    fastq.train(fastq.make("FrozenLake-8x8", slip=1 / 3), agents=2, episodes=2, alpha=[0.1, 0.2], seed=[1, 2])
    fastq.train(fastq.GridWorld(fastq.random_map(8, seed=3), slip=0.5), agents=1, episodes=1,
                epsilon=fastq.linear(1.0, 0.1, 5))
    assert len(float64_signatures()) == 1  # one compiled signature, shared by every such call


def greedy_path_length(mdp, policy, limit=100):
    """Steps the deterministic greedy policy takes from the start to a terminal state."""
    s = int(np.argmax(mdp.start))
    for t in range(1, limit + 1):
        s = int(mdp.next_state[s, policy[s], 0])
        if mdp.terminal[s]:
            return t if mdp.goal[s] else -t
    return 0


def test_long_run_finds_the_shortest_path_on_the_deterministic_lake():
    # FrozenLake-4x4 without slip: the shortest path from S to G takes 6 steps.  With gamma < 1
    # the greedy policy of converged Q-learning takes it; require it for at least 95% of agents
    # (seed fixed; it holds for all of them here).
    env = fastq.make("FrozenLake-4x4", slip=0.0)
    res = fastq.train(env, agents=64, episodes=1500, alpha=0.5, gamma=0.9, epsilon=0.2, seed=0)
    lengths = [greedy_path_length(env.mdp, pi) for pi in res.greedy_policy()]
    assert np.mean(np.array(lengths) == 6) >= 0.95
    # And the learned values of the start state approach the optimum 0.9**5.
    assert abs(np.median(res.q[:, 0].max(axis=1)) - 0.9**5) < 1e-3


def test_env_options_rebuild_the_environment():
    env = fastq.make("FrozenLake-8x8", slip=0.0, max_steps=50)
    res = fastq.train(env, agents=2, episodes=3, seed=4)
    again = fastq.train(fastq.GridWorld(**res.meta["env_options"]), agents=2, episodes=3, seed=4)
    assert_same(res, again)
    assert fastq.train(env.mdp, agents=1, episodes=1).meta["env_options"] is None


def test_progress_without_tqdm_is_refused_before_any_work(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tqdm" else real(name, *a))
    with pytest.raises(ImportError, match=r"progress=True needs tqdm"):
        fastq.train("FrozenLake-4x4", agents=2, episodes=2, progress=True)


# ----------------------------------------------------------------- exact metrics during training
def test_eval_every_matches_policy_evaluation_of_the_greedy_policies():
    env = fastq.make("FrozenLake-4x4")
    gammas = np.array([0.9, 0.99, 1.0, 0.95, 0.9, 1.0])
    res = fastq.train(env, agents=6, episodes=60, eval_every=20, gamma=gammas, seed=3, epsilon=0.3)
    assert res.extra["eval_episodes"].tolist() == [20, 40, 60]
    assert res.extra["eval_value"].shape == res.extra["eval_success"].shape == (6, 3)
    # The last checkpoint is the end of training: the exact values of the final greedy policies.
    policies = res.greedy_policy()
    for i, g in enumerate(gammas):
        v = fastq.policy_evaluation(env, policies[i], gamma=g)
        assert res.extra["eval_value"][i, -1] == pytest.approx(v[0], abs=1e-12)
    # Success = value of reaching the goal with reward 1 and gamma 1 (FrozenLake's own rewards).
    np.testing.assert_allclose(res.extra["eval_success"][gammas == 1.0, -1],
                               res.extra["eval_value"][gammas == 1.0, -1], atol=1e-12)
    assert ((res.extra["eval_success"] >= 0) & (res.extra["eval_success"] <= 1 + 1e-12)).all()
    assert 0 <= res.meta["eval_time"] <= res.meta["wall_time"]


@pytest.mark.parametrize("change", [{"actions": 0}, {"outcomes": 0}, {"prefetch": True}, {"lanes": 1}],
                         ids=["any actions", "any outcomes", "prefetch", "one lane"])
def test_speed_choices_change_no_number(monkeypatch, change):
    # The unrolled 4-action and 3-outcome paths, prefetching and lanes make a kernel faster,
    # never different: the general code of the same learner gives the same numbers.
    kwargs = dict(agents=9, episodes=25, seed=2, alpha=fastq.linear(0.5, 0.1, 20), epsilon=[0.1, 0.2, 0.3] * 3)
    fast = fastq.train("FrozenLake-8x8", **kwargs)
    real = _dispatch.variant
    monkeypatch.setattr(_dispatch, "variant", lambda *a, **k: real(*a, **k)._replace(**change))
    assert_same(fastq.train("FrozenLake-8x8", **kwargs), fast)


def test_eval_every_checkpoints_do_not_change_training():
    kwargs = dict(agents=5, episodes=30, seed=8)
    a = fastq.train("FrozenLake-4x4", eval_every=7, **kwargs)
    b = fastq.train("FrozenLake-4x4", **kwargs)
    assert_same(a, b)
    assert a.extra["eval_episodes"].tolist() == [7, 14, 21, 28]


def test_eval_every_without_goal_states_reports_nan_success():
    mdp = fastq.make("CliffWalking").mdp
    plain = fastq.TabularMDP(mdp.next_state, mdp.prob, mdp.reward, mdp.terminal, mdp.start, max_steps=200)
    res = fastq.train(plain, agents=2, episodes=4, eval_every=2, gamma=0.9)
    assert np.isnan(res.extra["eval_success"]).all() and np.isfinite(res.extra["eval_value"]).all()


@pytest.mark.parametrize("bad, exc, pattern", [
    (0, ValueError, r"^eval_every must be >= 1, got 0"),
    (2.5, TypeError, r"^eval_every must be an integer, got 2.5"),
])
def test_eval_every_is_validated(bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fastq.train("FrozenLake-4x4", agents=1, episodes=2, eval_every=bad)
