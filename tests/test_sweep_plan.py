"""fastq._sweep_plan: a sweep's arguments are checked with train()'s own validators, without
training, and every error names its setting in ``.argument``."""

import numpy as np
import pytest

import fastq
from fastq import _sweep_plan as plan_module
from fastq._sweep_plan import Plan, streams
from fastq import _request
from fastq._train import check_arguments


def plan(env="FrozenLake-4x4", algo="q_learning", grid=None, episodes=10, seeds=3, **params):
    roots, ids, spec = streams(seeds, None)
    return Plan(env, algo, grid, params, episodes, roots, ids, spec)


# Each a setting train() refuses; the sweep must refuse it with train()'s own message.
BAD = [
    ("q_learning", {"alpha": 0.0}), ("q_learning", {"alpha": 1.5}), ("q_learning", {"gamma": -0.1}),
    ("q_learning", {"epsilon": 2.0}), ("q_learning", {"q_init": float("nan")}),
    ("q_learning", {"temperature": 0.0}), ("q_learning", {"alpha": fastq.linear(1.0, 0.0, 10)}),
    ("q_learning", {"epsilon": fastq.visits(1.0)}), ("q_learning", {"tie_break": "last"}),
    ("q_learning", {"exploration": "greedy"}), ("q_learning", {"backend": "cuda"}),
    ("q_learning", {"dtype": "float16"}), ("q_learning", {"eval_every": 0}),
    ("q_learning", {"planning_steps": 3}), ("dyna_q", {"planning_steps": -1}),
    ("q_learning", {"gamma": "high"}), ("q_learning", {"alpha": True}),
    ("n_step_td", {"n": 0, "policy": [0] * 16}), ("q_learning", {"lam": 0.5}), ("td", {"policy": None}),
    ("td_lambda", {"lam": 2.0, "policy": [0] * 16}), ("sarsa_lambda", {"trace": "dutch"}),
    ("mc_control", {"first_visit": 1}), ("td", {"policy": [[0.5, 0.6, 0.0, 0.0]] * 16}),
    ("q_learning", {"record_loss": "yes"}), ("q_learning", {"v_init": 1.0}),
]


@pytest.mark.parametrize("algo, settings", BAD, ids=[f"{a}-{next(iter(s))}" for a, s in BAD])
def test_the_checks_refuse_what_train_refuses_with_its_message(algo, settings):
    with pytest.raises((ValueError, TypeError)) as by_train:
        fastq.train("FrozenLake-4x4", algo, agents=1, episodes=10, **{"backend": "numpy", **settings})
    with pytest.raises((ValueError, TypeError)) as by_check:
        check_arguments("FrozenLake-4x4", algo, 1, 10, settings)
    assert isinstance(by_check.value, ValueError) == isinstance(by_train.value, ValueError)
    assert str(by_check.value) == str(by_train.value)
    assert by_check.value.argument == next(iter(settings))


GOOD = [("q_learning", {"alpha": fastq.visits(0.5), "epsilon": fastq.linear(1.0, 0.1, 5), "gamma": 1.0}),
        ("dyna_q", {"planning_steps": 0, "dtype": "float32", "eval_every": 2, "tie_break": "first"}),
        ("sarsa", {"exploration": "softmax", "temperature": fastq.exponential(2.0, 0.1, 0.5)}),
        ("td_lambda", {"policy": np.full((16, 4), 0.25), "lam": 0.9, "trace": "dutch", "v_init": 0.5}),
        ("n_step_sarsa", {"n": 3, "record_loss": True}), ("mc_prediction", {"policy": [1] * 16, "first_visit": True})]


@pytest.mark.parametrize("algo, settings", GOOD)
def test_the_checks_accept_what_train_accepts(algo, settings):
    check_arguments("FrozenLake-4x4", algo, 1, 10, settings)
    fastq.train("FrozenLake-4x4", algo, agents=1, episodes=10, **{"backend": "numpy", **settings})


def test_planning_trains_and_compiles_nothing(monkeypatch):
    from fastq import _dispatch, _train

    def refuse(*args, **kwargs):
        raise AssertionError("the plan ran train()")

    monkeypatch.setattr(_dispatch, "learner", refuse)
    monkeypatch.setattr(_train, "greedy_metrics", refuse)
    p = plan(grid={"alpha": [0.1, 0.5], "slip": [0.0, 0.1]}, eval_every=1, algo=["q_learning", "dyna_q"])
    assert p.n_cells == 8 and len(p.groups) == 4  # per slip and algorithm; alpha per agent
    with pytest.raises(ValueError, match=r"sweep cell 3 \(alpha=2.0\): alpha must be"):
        plan(grid={"alpha": [0.1, 0.2, 0.3, 2.0]})


def test_settings_are_train_arguments_or_environment_options():
    p = plan("MaxBias", grid={"n_actions_b": [2, 4]}, gamma=1.0)
    assert p.kinds == {"n_actions_b": "env", "gamma": "train"}
    assert [g.env.n_actions for g in p.groups] == [2, 4]
    with pytest.raises(ValueError, match="unknown setting 'slip'") as info:
        plan("MaxBias", slip=0.1)
    assert info.value.argument == "slip"
    with pytest.raises(ValueError, match="'seed' is set by the sweep itself") as info:
        plan(seed=3)
    assert info.value.argument == "seed"


@pytest.mark.parametrize("kwargs, argument, message", [
    ({"grid": {"slip": [0.5, 2.0]}}, "slip", r"sweep cell 1 \(slip=2.0\): slip must be in the range"),
    ({"env": "Atlantis"}, "env", "unknown environment 'Atlantis'"),
    ({"env": []}, "env", "env must name at least one environment"),
    ({"algo": ["sarsa", "sarsa"]}, "algo", "algo must not list an algorithm twice"),
    ({"grid": {"alpha": []}}, "alpha", r"grid\['alpha'\] must hold at least one value"),
    ({"grid": {"tie_break": ["random", "last"]}}, "tie_break", r"sweep cell 1 \(tie_break='last'\)"),
    ({"grid": {"alpha": [0.1]}, "alpha": 0.2}, "alpha", "'alpha' is both a grid axis and a fixed setting"),
    ({"grid": "alpha"}, "grid", "grid must be a dict"),
    ({"grid": {"epsilon": [object()]}}, "epsilon", "cannot be part of a sweep"),
])
def test_errors_name_their_setting(kwargs, argument, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        plan(**kwargs)
    assert info.value.argument == argument


def test_streams():
    roots, ids, spec = streams(3, 7)
    assert roots.tolist() == [7, 7, 7] and ids.tolist() == [0, 1, 2] and spec == {"count": 3, "seed": 7}
    roots, ids, spec = streams([5, 2], None)
    assert roots.tolist() == [5, 2] and ids.tolist() == [0, 0] and spec == {"list": [5, 2]}
    with pytest.raises(ValueError, match="seeds must be distinct") as info:
        streams([1, 1], None)
    assert info.value.argument == "seeds"
    with pytest.raises(ValueError, match="seed applies when seeds is a count") as info:
        streams([1, 2], 3)
    assert info.value.argument == "seed"


def test_an_absurd_seed_count_is_refused_before_anything_is_allocated(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("allocated before the check")

    monkeypatch.setattr(np, "full", boom)
    monkeypatch.setattr(np, "arange", boom)
    with pytest.raises(ValueError, match=r"sweep\(seeds=1000000000000\) would need about [\d.]+ GiB .*use fewer seeds") as info:
        streams(10**12, None)
    assert info.value.argument == "seeds"


def test_the_memory_estimates_count_each_learners_tables():
    q, double = plan(seeds=5, episodes=20), plan(seeds=5, episodes=20, algo="double_q")
    # Double Q's sweep keeps its two tables per (cell, seed): 2 x 16 x 4 float64 more each
    assert double.result_bytes() - q.result_bytes() == 5 * 2 * 16 * 4 * 8
    evaluated = plan(seeds=5, episodes=20, eval_every=5)
    assert evaluated.result_bytes() - q.result_bytes() == 5 * 4 * 16  # 4 checkpoints, two float64
    losses = plan(seeds=5, episodes=20, record_loss=True)
    assert losses.result_bytes() - q.result_bytes() == 5 * 20 * 8  # one float64 per episode
    td = plan(seeds=5, episodes=20, algo="td", policy="uniform")
    # V (16 float64) and the RMS error (21 float64) per seed instead of Q (16 x 4 float64)
    assert td.result_bytes() - q.result_bytes() == 5 * (16 * 8 + 21 * 8 - 16 * 4 * 8)
    mdp = fastq.make("FrozenLake-4x4").mdp
    for p, algo in ((q, "q_learning"), (double, "double_q")):  # a chunk's agent: what train() holds
        assert p.agent_bytes() == _request.memory_bytes(fastq.algos.LEARNERS[algo], mdp, 1, 20)
    f32 = plan(seeds=5, episodes=20, algo="double_q", dtype="float32", backend="numpy")
    assert f32.agent_bytes() == _request.memory_bytes(fastq.algos.LEARNERS["double_q"], mdp, 1, 20,
                                                    dtype="float32", backend="numpy")


def test_a_model_travels_as_its_arguments_and_comes_back_read_only():
    mdp = fastq.make("MaxBias")
    kind, arguments = plan_module.env_payload(mdp)
    back = plan_module.env_from_payload((kind, arguments))
    assert kind == "mdp" and back is not mdp and not back.reward.flags.writeable
    assert plan_module.env_spec(back) == plan_module.env_spec(mdp)
    np.testing.assert_array_equal(back.reward_std, mdp.reward_std)
