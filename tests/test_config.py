"""fastq.config: a TOML file read into fastq.sweep's arguments; errors name the key and line."""

import textwrap

import pytest

import fastq
from fastq import config
from fastq._validate import ArgumentError

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
