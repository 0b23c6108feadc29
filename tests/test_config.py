"""fastq.config: a TOML file read into fastq.sweep's arguments; errors name the key and line."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastq
from fastq import config
from fastq._sweep_plan import Plan, streams
from fastq._validate import ArgumentError
from fastq.results import METRICS

TEXT = textwrap.dedent("""\
    # a sweep
    env = "CliffWalking"
    algo = ["q_learning", "sarsa"]
    episodes = 30
    seeds = 5
    last = 10

    [grid]
    alpha = [0.1, 0.5]
    epsilon = [0.1, { linear = { start = 1.0, end = 0.05, episodes = 20 } }]

    [params]
    gamma = 1.0
""")


def write(tmp_path, text=TEXT):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return str(path)


def test_read_config_gives_sweeps_arguments(tmp_path):
    read = config.read_config(write(tmp_path))
    assert read["sweep"] == {
        "env": "CliffWalking", "algo": ["q_learning", "sarsa"], "episodes": 30, "seeds": 5,
        "grid": {"alpha": [0.1, 0.5], "epsilon": [0.1, fastq.linear(1.0, 0.05, 20)]}, "gamma": 1.0}
    assert read["options"] == {"last": 10} and read["text"] == TEXT


def test_a_custom_map_becomes_a_grid_world(tmp_path):
    text = TEXT.replace('env = "CliffWalking"', 'env = { rows = ["S.G"], slip = 0.1, name = "tiny" }')
    env = config.read_config(write(tmp_path, text))["sweep"]["env"]
    assert env == fastq.GridWorld(["S.G"], slip=0.1, name="tiny")


@pytest.mark.parametrize("edit, key, message", [
    (("seeds = 5", "seeds = 5\nsneed = 3"), "sneed", "sweep.toml, line 6: sneed: unknown key 'sneed'"),
    (("alpha = [0.1, 0.5]", "alpha = 0.1"), "grid.alpha", "line 9: grid.alpha: grid values must be a list"),
    (("gamma = 1.0", "gamma = { cosine = 1 }"), "params.gamma", "line 13: params.gamma: a table value must be"),
    (("episodes = 30", "episodes = 'many'"), "episodes", "line 4: episodes: episodes must be an integer"),
    (("last = 10", "last = 0"), "last", "line 6: last: last must be a positive integer"),
    (('env = "CliffWalking"\n', ""), None, "sweep.toml: the key 'env' is missing"),
    # [params] never replaces a top-level key or a command-line option (it did, silently)
    (("gamma = 1.0", 'gamma = 1.0\nenv = "FrozenLake-4x4"'), "params.env",
     "line 14: params.env: [params] takes training and environment settings (gamma, epsilon, slip, ...); "
     "'env' is a top-level key (env = ... before any table)"),
    (("gamma = 1.0", "gamma = 1.0\nepisodes = 5"), "params.episodes", "'episodes' is a top-level key"),
    (("gamma = 1.0", 'gamma = 1.0\nout = "elsewhere"'), "params.out", "'out' is a top-level key"),
    (("gamma = 1.0", "gamma = 1.0\ngrid = 1"), "params.grid", "'grid' is a top-level key"),
    (("gamma = 1.0", 'gamma = 1.0\nexecutor = "processes"'), "params.executor",
     "'executor' is set on the command line (--workers, --scheduler)"),
    (("gamma = 1.0", "gamma = 1.0\nthreads = 1"), "params.threads",
     "'threads' is an argument of fastq.sweep, not a setting of the cells"),
])
def test_errors_name_the_key_and_its_line(tmp_path, edit, key, message):
    with pytest.raises(config.ConfigError) as info:
        config.read_config(write(tmp_path, TEXT.replace(*edit)))
    assert message in str(info.value)
    assert info.value.key == key == info.value.argument


def test_unreadable_files(tmp_path):
    with pytest.raises(config.ConfigError, match="cannot read"):
        config.read_config(str(tmp_path / "missing.toml"))
    with pytest.raises(config.ConfigError, match="invalid TOML"):
        config.read_config(write(tmp_path, "env = "))
    path = tmp_path / "latin1.toml"
    path.write_bytes('env = "CliffWalking"\n# caf\xe9\n'.encode("latin-1"))
    with pytest.raises(config.ConfigError, match=r"latin1.toml, line 2: not a UTF-8 text file \(byte 0xe9"):
        config.read_config(str(path))


def test_params_keys_that_are_not_cell_settings_are_all_refused():
    # every argument of sweep() that is not a setting of a cell, and every top-level key
    import inspect

    arguments = [n for n in inspect.signature(fastq.sweep).parameters if n != "params"]
    assert sorted(config.SWEEP_ARGUMENTS) == sorted(arguments)
    for key in [*config.SWEEP_ARGUMENTS, *config.CONFIG_KEYS]:
        with pytest.raises(config.ConfigError, match=r"\[params\] takes training and environment settings"):
            config._config_arguments({"env": "CliffWalking", "episodes": 3, "params": {key: 1}})


@pytest.mark.parametrize("argument, where", [
    ("alpha", "line 9: grid.alpha: "), ("gamma", "line 13: params.gamma: "), ("episodes", "line 4: episodes: "),
    ("name", "line 2: env: "),  # fastq.make's argument is the file's env
    ("nowhere", None), (None, None),
])
def test_config_error_reads_the_errors_argument_not_its_message(argument, where):
    exc = ArgumentError(argument, "gamma alpha episodes: a message naming other settings")
    text = config.config_error("sweep.toml", TEXT, exc)
    expected = f"sweep.toml, {where}" if where else "sweep.toml: "
    assert text == expected + str(exc)
    assert config.config_error("sweep.toml", TEXT, ValueError("no argument")) == "sweep.toml: no argument"


PREDICTION = textwrap.dedent("""\
    env = "RandomWalk-19"
    algo = "td_lambda"
    episodes = 10
    seeds = 5
    last = 10
    metric = "rms_error"

    [grid]
    trace = ["accumulating", "dutch"]
    lam = [0.0, 0.8]

    [params]
    gamma = 1.0
    policy = "uniform"
    v_init = 0.0
    record_loss = true
""")


def test_the_prediction_and_multi_step_settings_and_the_metric(tmp_path):
    read = config.read_config(write(tmp_path, PREDICTION))
    assert read["sweep"] == {
        "env": "RandomWalk-19", "algo": "td_lambda", "episodes": 10, "seeds": 5,
        "grid": {"trace": ["accumulating", "dutch"], "lam": [0.0, 0.8]},
        "gamma": 1.0, "policy": "uniform", "v_init": 0.0, "record_loss": True}
    assert read["options"] == {"last": 10, "metric": "rms_error"}


def test_a_policy_file_is_read_relative_to_the_configuration(tmp_path):
    (tmp_path / "policies").mkdir()
    np.save(tmp_path / "policies" / "right.npy", np.ones(21, dtype=np.int64))
    text = PREDICTION.replace('policy = "uniform"', 'policy = "policies/right.npy"')
    policy = config.read_config(write(tmp_path, text))["sweep"]["policy"]
    np.testing.assert_array_equal(policy, np.ones(21, dtype=np.int64))
    absolute = PREDICTION.replace('policy = "uniform"', f'policy = "{tmp_path / "policies" / "right.npy"}"')
    np.testing.assert_array_equal(config.read_config(write(tmp_path, absolute))["sweep"]["policy"], policy)


@pytest.mark.parametrize("edit, key, message", [
    (('metric = "rms_error"', 'metric = "regret"'), "metric",
     "line 6: metric: metric must be one of 'return', 'length', 'success', 'loss', 'rms_error', got 'regret'"),
    (('metric = "rms_error"', "metric = 3"), "metric", "line 6: metric: metric must be one of"),
    (('policy = "uniform"', 'policy = "nowhere.npy"'), "params.policy", "line 14: params.policy: cannot read"),
    (('policy = "uniform"', 'policy = "greedy"'), "params.policy",
     "line 14: params.policy: policy must be 'uniform' or a .npy file of actions or probabilities, got 'greedy'"),
])
def test_bad_metric_or_policy_names_the_key_and_its_line(tmp_path, edit, key, message):
    with pytest.raises(config.ConfigError) as info:
        config.read_config(write(tmp_path, PREDICTION.replace(*edit)))
    assert message in str(info.value)
    assert info.value.key == key


def test_read_policy_refuses_what_is_not_a_plain_array(tmp_path):
    (tmp_path / "text.npy").write_text("left, right")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    for name in ("text.npy", "objects.npy"):
        with pytest.raises(config.ConfigError, match="is not a plain numpy array file") as info:
            config.read_policy(str(tmp_path / name))
        assert info.value.argument == "policy"
    with pytest.raises(config.ConfigError, match="cannot read"):
        config.read_policy(str(tmp_path / "missing.npy"))


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda path: path.name)
def test_every_example_configuration_reads_and_plans(path):
    # What `fastq sweep examples/<file>` checks before it trains: the file, then every cell's
    # settings with train()'s own validators (docs/textbook.md and docs/sweeps.md run these files;
    # tests/test_textbook.py runs the textbook ones).
    read = config.read_config(str(path))
    kwargs = dict(read["sweep"])
    env, algo, episodes, grid = kwargs.pop("env"), kwargs.pop("algo"), kwargs.pop("episodes"), kwargs.pop("grid", {})
    roots, ids, spec = streams(kwargs.pop("seeds", 10), kwargs.pop("seed", None))
    plan = Plan(env, algo, grid, kwargs, episodes, roots, ids, spec)
    algos = len(algo) if isinstance(algo, list) else 1
    assert plan.n_cells == algos * int(np.prod([len(values) for values in grid.values()]))
    assert 1 <= read["options"].get("last", 1) <= episodes
    assert read["options"].get("metric", "return") in METRICS
