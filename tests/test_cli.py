"""The ``fastq`` command (fastq.cli): summaries equal fastq.train's numbers, clean exits;
sweeps from TOML files, errors that name the key and line; show --solve, solve, --plot."""

from __future__ import annotations

import importlib
import errno
import importlib.util
import os
import re
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import fastq
from fastq import cli, report
from helpers import is_png, summary_fields
from fastq.envs import FROZEN_LAKE_4x4

from fastq import _train as train_module
from fastq import _sweep as sweep_module

SMALL = ["FrozenLake-4x4", "--agents", "8", "--episodes", "20"]


def expected_fields(res: fastq.Result) -> dict[str, str]:
    s = res.summary()
    return {
        "environment": res.meta["env"],
        "algorithm": res.meta["algo"],
        "agents x episodes": f"{s['agents']} x {s['episodes']}",
        "return, first 10%": f"{s['return_first']:.4f}",
        "return, last 10%": f"{s['return_last']:.4f}",
        "success, last 10%": f"{100 * s['success_last']:.2f} %",
        "agent-steps": f"{s['agent_steps']:,}",
    }


def assert_one_error_line(err: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    if lines[0].startswith("usage:"):  # argparse: usage, then one error line
        assert re.match(r"fastq( \w+)?: error: ", lines[-1]), err
        assert sum("error:" in line for line in lines) == 1, err
    else:
        assert len(lines) == 1 and lines[0].startswith("fastq: error: "), err


# ---------------------------------------------------------------------- train
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_train_summary_has_the_numbers_of_fastq_train(capsys, backend):
    args = ["--seed", "3", "--alpha", "0.5", "--gamma", "0.9", "--epsilon", "0.2", "--backend", backend]
    assert cli.main(["train", *SMALL, *args]) == 0
    out = capsys.readouterr().out
    res = fastq.train("FrozenLake-4x4", agents=8, episodes=20, seed=3, alpha=0.5, gamma=0.9,
                      epsilon=0.2, backend=backend)
    fields = summary_fields(out)
    for label, value in expected_fields(res).items():
        assert fields[label] == value, label
    assert fields["backend"].startswith(backend)
    assert re.fullmatch(r"\d+(\.\d)? [kMGT]?|\d+\.\d", fields["agent-steps / s"])
    # Compilation happens once per process, in whichever call comes first: only numba shows it.
    assert "compile time" not in fields or backend == "numba"
    # Each line is "label, padding, value", values starting in one column.
    starts = {len(line) - len(value) for line, value in zip(out.splitlines(), fields.values())}
    assert len(starts) == 1


def test_train_defaults_are_the_readme_command():
    args = cli.build_parser().parse_args(["train"])
    assert (args.env, args.agents, args.episodes) == ("FrozenLake-8x8", 4096, 2000)
    assert (args.alpha, args.gamma, args.epsilon, args.seed) == (0.1, 0.99, 0.1, 0)
    assert (args.algo, args.backend, args.threads, args.tie_break, args.save) == (
        "q_learning", "numba", None, "random", None)


def test_tie_break_and_threads_reach_train(capsys):
    argv = ["train", *SMALL, "--tie-break", "first", "--threads", "1", "--seed", "5"]
    assert cli.main(argv) == 0
    fields = summary_fields(capsys.readouterr().out)
    res = fastq.train("FrozenLake-4x4", agents=8, episodes=20, tie_break="first", seed=5)
    assert fields["return, last 10%"] == expected_fields(res)["return, last 10%"]
    assert fields["agent-steps"] == expected_fields(res)["agent-steps"]
    assert fields["backend"] == "numba, 1 thread"


def test_save_writes_a_result_that_loads_back(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert cli.main(["train", *SMALL, "--seed", "7", "--save", str(path)]) == 0
    assert str(path) in capsys.readouterr().out
    loaded = fastq.Result.load(path)
    res = fastq.train("FrozenLake-4x4", agents=8, episodes=20, seed=7)
    np.testing.assert_array_equal(loaded.returns, res.returns)
    np.testing.assert_array_equal(loaded.lengths, res.lengths)
    np.testing.assert_array_equal(loaded.q, res.q)
    assert loaded.meta["env"] == "FrozenLake-4x4" and loaded.meta["seed"] == 7


def test_save_adds_the_npz_suffix(tmp_path, capsys):
    assert cli.main(["train", *SMALL, "--backend", "numpy", "--save", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run.npz").is_file()


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs["progress"])
        return fastq.train(*args, **{**kwargs, "progress": False})

    monkeypatch.setattr(cli, "train", spy)
    assert cli.main(["train", *SMALL, "--backend", "numpy"]) == 0
    monkeypatch.setattr(cli, "isatty", lambda stream: True)
    assert cli.main(["train", *SMALL, "--backend", "numpy"]) == 0
    has_tqdm = importlib.util.find_spec("tqdm") is not None
    assert calls == [False, has_tqdm]


def test_interrupt_prints_the_finished_episodes_and_exits_130(monkeypatch, capsys, interrupt_kernel):
    # Blocks of 5 episodes; Ctrl-C arrives as the second block starts.
    monkeypatch.setattr(train_module, "NUMPY_BLOCK_AGENT_STEPS", 8 * 5 * 100)
    monkeypatch.setattr(train_module, "BLOCK_SECONDS", None)
    interrupt_kernel(2, "before")
    assert cli.main(["train", *SMALL, "--backend", "numpy"]) == 130
    out, err = capsys.readouterr()
    fields = summary_fields(out)
    assert fields["agents x episodes"] == "8 x 5 (of 20 requested; interrupted)"
    monkeypatch.undo()  # the reference run below must not be interrupted
    full = fastq.train("FrozenLake-4x4", agents=8, episodes=20, backend="numpy")
    assert fields["return, last 10%"] == f"{full.returns[:, 4].mean():.4f}"  # 10% of 5 -> 1 episode
    assert "interrupted after 5 of 20 episodes" in err
    assert "Traceback" not in err and "RuntimeWarning" not in err


def test_interrupt_after_a_finished_block_exits_130(monkeypatch, capsys, interrupt_kernel):
    # A compiled kernel cannot be interrupted: Python raises the KeyboardInterrupt as it returns.
    monkeypatch.setattr(train_module, "NUMPY_BLOCK_AGENT_STEPS", 8 * 5 * 100)
    monkeypatch.setattr(train_module, "BLOCK_SECONDS", None)
    interrupt_kernel(2, "after")
    assert cli.main(["train", *SMALL, "--backend", "numpy"]) == 130
    fields = summary_fields(capsys.readouterr().out)
    assert fields["agents x episodes"] == "8 x 10 (of 20 requested; interrupted)"


def test_interrupt_outside_train_exits_130(monkeypatch, capsys):
    def make(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "make", make)
    assert cli.main(["train", *SMALL]) == 130
    assert capsys.readouterr().err.strip() == "fastq: interrupted"


# ---------------------------------------------------------------------- prediction, multi-step, loss
WALK = ["RandomWalk-5", "--agents", "6", "--episodes", "12", "--gamma", "1", "--backend", "numpy"]


def test_prediction_summary_reports_the_rms_error_and_the_loss(capsys):
    argv = ["train", *WALK, "--algo", "n_step_td", "--n", "3", "--alpha", "0.2", "--v-init", "0.5", "--loss"]
    assert cli.main(argv) == 0
    fields = summary_fields(capsys.readouterr().out)
    res = fastq.train("RandomWalk-5", "n_step_td", n=3, alpha=0.2, v_init=0.5, policy="uniform", agents=6,
                      episodes=12, gamma=1.0, backend="numpy", record_loss=True)
    # V = 0.5 against the true values 1/6 .. 5/6: sqrt(mean of (k/6 - 1/2)**2) = sqrt(1/18)
    assert fields["rms error, start"] == f"{np.sqrt(1 / 18):.4f}" == "0.2357"
    assert fields["rms error, final"] == f"{res.extra['rms_error'][:, -1].mean():.4f} (after episode 12)"
    loss = res.extra["loss"]  # 10% of 12 episodes: the first and the last one
    assert fields["loss, first 10%"] == f"{np.nanmean(loss[:, :1]):.4g}"
    assert fields["loss, last 10%"] == f"{np.nanmean(loss[:, -1:]):.4g}"
    assert "return, last 10%" not in fields and "success, last 10%" not in fields  # a given policy's
    assert fields["agent-steps"] == f"{res.agent_steps:,}"


def test_loss_of_a_control_learner_beside_its_returns(capsys):
    argv = ["train", *SMALL, "--algo", "sarsa_lambda", "--lam", "0.5", "--trace", "replacing", "--loss",
            "--backend", "numpy"]
    assert cli.main(argv) == 0
    fields = summary_fields(capsys.readouterr().out)
    res = fastq.train("FrozenLake-4x4", "sarsa_lambda", lam=0.5, trace="replacing", agents=8, episodes=20,
                      record_loss=True, backend="numpy")
    assert fields["return, last 10%"] == expected_fields(res)["return, last 10%"]
    assert fields["loss, last 10%"] == f"{np.nanmean(res.extra['loss'][:, -2:]):.4g}"


@pytest.mark.parametrize("argv, expected", [
    (["--algo", "td"], dict(policy="uniform")),
    (["--algo", "n_step_td", "--n", "4"], dict(policy="uniform", n=4)),
    (["--algo", "td_lambda", "--lam", "0.9", "--trace", "dutch", "--v-init", "0.25"],
     dict(policy="uniform", lam=0.9, trace="dutch", v_init=0.25)),
    (["--algo", "mc_prediction", "--first-visit", "--policy", "uniform"], dict(policy="uniform", first_visit=True)),
    (["--algo", "mc_control", "--no-first-visit"], dict(first_visit=False)),
    (["--algo", "n_step_sarsa", "--n", "2", "--loss"], dict(n=2, record_loss=True)),
    (["--algo", "q_learning"], dict()),
])
def test_the_multi_step_and_prediction_options_reach_train(monkeypatch, capsys, argv, expected):
    seen = {}

    def spy(env, algo, **kwargs):
        seen.update(kwargs)
        raise ValueError("stop here")

    monkeypatch.setattr(cli, "train", spy)
    assert cli.main(["train", "RandomWalk-5", *argv]) == 2
    assert "stop here" in capsys.readouterr().err
    for name in ("n", "lam", "trace", "first_visit", "v_init", "policy"):  # only what was given
        assert seen.get(name) == expected.get(name), name
    assert seen["record_loss"] == expected.get("record_loss", False)


def test_policy_from_a_npy_file(tmp_path, capsys):
    right = tmp_path / "right.npy"
    np.save(right, np.ones(7, dtype=np.int64))  # RandomWalk-5's actions: 0 left, 1 right
    assert cli.main(["train", *WALK, "--algo", "td", "--alpha", "0.5", "--policy", str(right)]) == 0
    fields = summary_fields(capsys.readouterr().out)
    # Always right: every state is worth 1 (gamma 1), so V = 0 starts at RMS error 1; each walk
    # C, D, E, goal updates E by alpha, then D, C as the values propagate back.
    assert fields["rms error, start"] == "1.0000"
    res = fastq.train("RandomWalk-5", "td", policy=np.ones(7, dtype=np.int64), alpha=0.5, agents=6,
                      episodes=12, gamma=1.0, backend="numpy")
    assert fields["rms error, final"].startswith(f"{res.extra['rms_error'][:, -1].mean():.4f}")
    assert (res.lengths == 3).all()


def test_prediction_plot_draws_the_rms_error(tmp_path, monkeypatch, capsys):
    drawn = {}
    from fastq import plot

    real = plot.learning_curves

    def spy(data, **kwargs):
        drawn.update(kwargs)
        return real(data, **kwargs)

    monkeypatch.setattr(plot, "learning_curves", spy)
    assert cli.main(["train", *WALK, "--algo", "td", "--plot", str(tmp_path / "v.png")]) == 0
    assert drawn["metric"] == "rms_error" and is_png(tmp_path / "v.png")


@pytest.mark.parametrize("argv, message", [
    (["--algo", "n_step_td"], "n_step_td needs n"),
    (["--algo", "n_step_td", "--n", "0"], "n must be in the range 1 <= value"),
    (["--algo", "td_lambda", "--lam", "1.5"], "lam must be finite and in the range 0.0 <= value <= 1.0, got 1.5"),
    (["--algo", "sarsa_lambda", "--lam", "0.5", "--trace", "dutch"], "trace applies to td_lambda"),
    (["--algo", "td", "--trace", "replacing"], "trace applies to td_lambda, sarsa_lambda and q_lambda only"),
    (["--algo", "td", "--first-visit"], "first_visit applies to mc_prediction and mc_control only"),
    (["--algo", "q_learning", "--v-init", "1"], "v_init applies to the prediction learners"),
    (["--algo", "q_learning", "--policy", "uniform"], "policy applies to the prediction learners only"),
    (["--algo", "q_learning", "--n", "3"], "n applies to n_step_td and n_step_sarsa only"),
    (["--algo", "td", "--q-init", "1"], "q_init applies to the control learners"),
    (["--algo", "td", "--policy", "/no/such/policy.npy"], "--policy: cannot read '/no/such/policy.npy'"),
    (["--algo", "td", "--policy", "greedy"], "--policy: policy must be 'uniform' or a .npy file"),
    (["--algo", "td", "--trace", "sticky"], "invalid choice: 'sticky'"),
    (["--algo", "td_lambda", "--lam", "half"], "invalid float value: 'half'"),
    (["--algo", "n_step_td", "--n", "2.5"], "invalid int value: '2.5'"),
])
def test_bad_multi_step_and_prediction_options_exit_2(capsys, argv, message):
    assert cli.main(["train", *WALK, *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err, err
    assert_one_error_line(err)


@pytest.mark.parametrize("content, message", [
    (np.zeros(3, dtype=np.int64), "policy must have shape (7,) or (agents, 7), got shape (3,)"),
    (np.full((7, 2), 0.3), "policy: the action probabilities of every non-terminal state must sum to 1"),
    (np.array(["left"] * 7), "policy must be"),
])
def test_a_policy_file_that_does_not_fit_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "policy.npy"
    np.save(path, content)
    assert cli.main(["train", *WALK, "--algo", "td", "--policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert_one_error_line(err)


def test_a_file_that_is_not_an_array_exits_2(tmp_path, capsys):
    path = tmp_path / "policy.npy"
    path.write_text("right, right, right")
    assert cli.main(["train", *WALK, "--algo", "td", "--policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--policy: " in err and "is not a plain numpy array file" in err
    assert_one_error_line(err)


# ---------------------------------------------------------------------- envs, show
def test_envs_lists_exactly_the_registry(capsys):
    assert cli.main(["envs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == fastq.list_envs()
    row = dict(zip(fastq.list_envs(), lines))["FrozenLake-8x8"]
    for text in ("8 x 8", "64 states", "4 actions", "slip 2/3", "max_steps 200"):
        assert text in row
    row = dict(zip(fastq.list_envs(), lines))["CliffWalking"]
    for text in ("4 x 12", "48 states", "slip 0 ", "max_steps 10000"):
        assert text in row


def test_show_prints_the_map_and_the_actions(capsys):
    assert cli.main(["show", "FrozenLake-4x4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = lines.index(FROZEN_LAKE_4x4[0])
    assert lines[first:first + 4] == list(FROZEN_LAKE_4x4)
    assert "actions: 0 left, 1 down, 2 right, 3 up" in lines


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "NoSuchLake"], "unknown environment 'NoSuchLake'"),
        (["train", *SMALL, "--alpha", "0"], "alpha must be"),
        (["train", *SMALL, "--gamma", "nan"], "gamma must be"),
        (["train", *SMALL, "--agents", "0"], "agents must be >= 1, got 0"),
        (["train", *SMALL, "--episodes", "-3"], "episodes must be"),
        (["train", *SMALL, "--seed", "-1"], "seed must be"),
        (["train", *SMALL, "--threads", "0"], "threads must be"),
        (["train", *SMALL, "--save", "/no/such/folder/run.npz"], "--save: folder"),
        (["train", *SMALL, "--episodes", "abc"], "invalid int value: 'abc'"),
        (["train", *SMALL, "--alpha", "big"], "invalid float value: 'big'"),
        (["train", *SMALL, "--backend", "foo"], "invalid choice: 'foo'"),
        (["train", *SMALL, "--tie-break", "last"], "invalid choice: 'last'"),
        (["show", "NoSuchLake"], "unknown environment 'NoSuchLake'"),
        (["show"], "required"),
        (["show", "CliffWalking", "--solve", "--gamma", "2"], "gamma must be"),
        (["solve", "NoSuchLake"], "unknown environment 'NoSuchLake'"),
        (["solve", "CliffWalking", "--tol", "0"], "tol must be"),
        (["train", *SMALL, "--plot", "/no/such/folder/c.png"], "--plot: folder"),
        (["sweep", "/no/such/config.toml"], "cannot read '/no/such/config.toml'"),
        (["sweep"], "required"),
        (["sweep", "x.toml", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "required"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(capsys, argv, message):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err
    assert_one_error_line(err)


def test_help_and_version_exit_0(capsys):
    assert cli.main(["train", "--help"]) == 0
    assert "--agents" in capsys.readouterr().out
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fastq {fastq.__version__}"


# ---------------------------------------------------------------------- show --solve, solve
def test_show_solve_prints_the_optimal_policy_and_values(capsys):
    assert cli.main(["show", "CliffWalking", "--solve", "--gamma", "1"]) == 0
    out = capsys.readouterr().out
    env = fastq.make("CliffWalking")
    solution = fastq.value_iteration(env, gamma=1.0)
    assert report.format_solution(env, solution) in out
    lines = out.splitlines()
    first = lines.index("optimal policy (value iteration, gamma 1)") + 1
    assert lines[first:first + 4] == env.render(solution.policy).splitlines()
    values = lines[lines.index("optimal values") + 1].split()
    assert [float(v) for v in values] == [float(f"{v:.4g}") for v in solution.v[:12]]


def test_solve_prints_the_numbers_of_value_iteration(capsys):
    assert cli.main(["solve", "FrozenLake-4x4", "--gamma", "0.9"]) == 0
    fields = summary_fields(capsys.readouterr().out)
    solution = fastq.value_iteration("FrozenLake-4x4", gamma=0.9)
    assert fields["gamma"] == "0.9" and fields["converged"] == "yes"
    assert fields["iterations"] == f"{solution.iterations:,}"
    assert float(fields["start value"]) == pytest.approx(solution.v[0], rel=1e-5)


def test_plots_from_the_command_line(tmp_path, capsys):
    assert cli.main(["solve", "CliffWalking", "--gamma", "1", "--plot", str(tmp_path / "v.png")]) == 0
    assert cli.main(["train", *SMALL, "--plot", str(tmp_path / "t.png")]) == 0
    assert is_png(tmp_path / "v.png") and is_png(tmp_path / "t.png")
    assert summary_fields(capsys.readouterr().out)["plot"] == str(tmp_path / "t.png")


# ---------------------------------------------------------------------- sweep
CONFIG = textwrap.dedent("""\
    # a small sweep
    env = "CliffWalking"
    algo = ["q_learning", "sarsa"]
    episodes = 30
    seeds = 5
    seed = 2
    last = 10

    [grid]
    alpha = [0.1, 0.5]

    [params]
    gamma = 1.0
    """)


def write_config(tmp_path, text=CONFIG, name="sweep.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.slow
def test_sweep_prints_the_summary_of_fastq_sweep(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["sweep", write_config(tmp_path), "--out", str(out), "--plot", str(tmp_path / "s.png")]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    sw = fastq.sweep("CliffWalking", algo=["q_learning", "sarsa"], grid={"alpha": [0.1, 0.5]},
                     gamma=1.0, episodes=30, seeds=5, seed=2, progress=False)
    assert report.format_sweep_summary(sw, last=10).splitlines()[1:] == text.splitlines()[1:-1]
    assert text.splitlines()[0].startswith("CliffWalking: 4 cells x 5 seeds x 30 episodes")
    assert "return over the last 10 episodes" in text and "best: cell" in text
    loaded = fastq.load(out)
    np.testing.assert_array_equal(loaded.returns, sw.returns)
    assert is_png(tmp_path / "s.png")
    # Again: everything is read from --out, nothing runs.
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out), "--last", "5", "--metric", "length"]) == 0
    text = capsys.readouterr().out
    assert "2 of 2 chunks read from" in text and "length over the last 5 episodes" in text


def test_sweep_options_reach_fastq_sweep(tmp_path, monkeypatch, capsys):
    seen = {}

    def spy(**kwargs):
        seen.update(kwargs)
        raise ValueError("stop here")

    monkeypatch.setattr(cli, "sweep", spy)
    config = write_config(tmp_path, CONFIG.replace("last = 10", "last = 10\nout = 'elsewhere'\nchunk_agents = 3")
                          .replace("gamma = 1.0", "gamma = 1.0\nepsilon = { linear = { start = 0.5, end = 0.0, episodes = 20 } }"))
    assert cli.main(["sweep", config, "--workers", "3"]) == 2
    assert seen["executor"] == "processes" and seen["workers"] == 3 and seen["out"] == "elsewhere"
    assert seen["chunk_agents"] == 3 and seen["epsilon"] == fastq.linear(0.5, 0.0, episodes=20)
    assert seen["grid"] == {"alpha": [0.1, 0.5]} and seen["algo"] == ["q_learning", "sarsa"]
    assert "stop here" in capsys.readouterr().err


@pytest.mark.parametrize(
    "edit, message",
    [
        (("seeds = 5", "seeds = 5\nsneed = 3"), r"sweep.toml, line 6: sneed: unknown key 'sneed'"),
        (("alpha = [0.1, 0.5]", "alpha = [0.1, 1.5]"), r"sweep.toml, line 10: grid.alpha: sweep cell 1 \(algo='q_learning', alpha=1.5\): alpha must be"),
        (("alpha = [0.1, 0.5]", "alpha = 0.1"), r"sweep.toml, line 10: grid.alpha: grid values must be a list"),
        (("gamma = 1.0", "gamma = 2.0"), r"sweep.toml, line 13: params.gamma: .*gamma must be"),
        (("gamma = 1.0", "tie_brake = 'first'"), r"sweep.toml, line 13: params.tie_brake: sweep\(\): unknown setting 'tie_brake'"),
        (("gamma = 1.0", "epsilon = { cosine = { period = 3 } }"), r"line 13: params.epsilon: a table value must be one schedule"),
        (("gamma = 1.0", "epsilon = { linear = { start = 0.5 } }"), r"line 13: params.epsilon: linear: .*missing"),
        (("episodes = 30", "episodes = 0"), r"sweep.toml, line 4: episodes: episodes must be in the range 1 <= value"),
        (("episodes = 30", "episodes = '30'"), r"line 4: episodes: episodes must be an integer"),
        (("seeds = 5\nseed = 2", "seeds = [1, 1]"), r"line 5: seeds: seeds must be distinct"),
        (("seeds = 5", "seeds = [1, 2]"), r"line 6: seed: seed applies when seeds is a count"),
        (("last = 10", "last = 31"), r"sweep.toml, line 7: last: last must be in the range 1 <= value <= 30, got 31"),
        (('env = "CliffWalking"', 'env = "Nowhere"'), r"sweep.toml, line 2: env: unknown environment 'Nowhere'"),
        (('env = "CliffWalking"', "env = 3"), r"line 2: env: env must be an environment name"),
        (('env = "CliffWalking"\n', ""), r"sweep.toml: the key 'env' is missing"),
        (("[grid]", "[grid"), r"invalid TOML: .*line 9"),
    ],
)
def test_sweep_config_errors_name_the_key_and_the_line(tmp_path, capsys, edit, message):
    path = write_config(tmp_path, CONFIG.replace(*edit))
    assert cli.main(["sweep", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err)
    assert re.search(message, err), err


def test_sweep_custom_map_from_the_config(tmp_path, capsys):
    config = textwrap.dedent("""\
        episodes = 20
        seeds = 3
        [env]
        rows = ["S..", ".#G"]
        step_reward = -1.0
        name = "tiny"
        [grid]
        epsilon = [0.1, 0.3]
        """)
    assert cli.main(["sweep", write_config(tmp_path, config)]) == 0
    assert capsys.readouterr().out.startswith("tiny: 2 cells x 3 seeds x 20 episodes")


PREDICTION_CONFIG = textwrap.dedent("""\
    env = "RandomWalk-5"
    algo = "td"
    episodes = 10
    seeds = 4
    last = 5
    metric = "rms_error"

    [grid]
    alpha = [0.1, 0.2]

    [params]
    gamma = 1.0
    policy = "uniform"
    v_init = 0.5
    record_loss = true
    backend = "numpy"
    """)


def test_sweep_of_a_prediction_learner_summarises_the_files_metric(tmp_path, capsys):
    assert cli.main(["sweep", write_config(tmp_path, PREDICTION_CONFIG)]) == 0
    text = capsys.readouterr().out
    sw = fastq.sweep("RandomWalk-5", "td", grid={"alpha": [0.1, 0.2]}, seeds=4, episodes=10, gamma=1.0,
                     policy="uniform", v_init=0.5, record_loss=True, backend="numpy", progress=False)
    assert report.format_sweep_summary(sw, "rms_error", last=5).splitlines()[1:] == text.splitlines()[1:]
    assert "rms_error over the last 5 episodes" in text
    assert cli.main(["sweep", write_config(tmp_path, PREDICTION_CONFIG), "--metric", "loss"]) == 0
    text = capsys.readouterr().out
    assert report.format_sweep_summary(sw, "loss", last=5).splitlines()[1:] == text.splitlines()[1:]


def test_sweep_policy_from_a_npy_file_beside_the_config(tmp_path, capsys):
    np.save(tmp_path / "right.npy", np.ones(7, dtype=np.int64))
    config = PREDICTION_CONFIG.replace('policy = "uniform"', 'policy = "right.npy"')
    assert cli.main(["sweep", write_config(tmp_path, config), "--last", "1"]) == 0
    text = capsys.readouterr().out
    sw = fastq.sweep("RandomWalk-5", "td", grid={"alpha": [0.1, 0.2]}, seeds=4, episodes=10, gamma=1.0,
                     policy=np.ones(7, dtype=np.int64), v_init=0.5, record_loss=True, backend="numpy",
                     progress=False)
    assert report.format_sweep_summary(sw, "rms_error", last=1).splitlines()[1:] == text.splitlines()[1:]


@pytest.mark.parametrize("edit, message", [
    (('metric = "rms_error"', 'metric = "reward"'), r"sweep.toml, line 6: metric: metric must be one of 'return', "),
    (('policy = "uniform"', 'policy = "missing.npy"'), r"line 13: params.policy: cannot read '.*missing.npy'"),
    (('policy = "uniform"', 'policy = "greedy"'), r"line 13: params.policy: policy must be 'uniform' or a .npy file"),
    (('v_init = 0.5', 'v_init = 0.5\nn = 3'), r"line 15: params.n: .*n applies to n_step_td and n_step_sarsa only"),
    (('alpha = [0.1, 0.2]', 'alpha = [0.1, 0.2]\nlam = [0.5]'), r"line 10: grid.lam: .*lam applies to"),
    (('algo = "td"', 'algo = "td_lambda"'), r"td_lambda needs lam"),
    (('v_init = 0.5', 'v_init = 0.5\ntrace = "dutch"'), r"line 15: params.trace: .*trace applies to"),
])
def test_sweep_prediction_config_errors_name_the_key_and_the_line(tmp_path, capsys, edit, message):
    assert cli.main(["sweep", write_config(tmp_path, PREDICTION_CONFIG.replace(*edit))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err)
    assert re.search(message, err), err


@pytest.mark.slow  # compiles TD(lambda) (shared with tests/kernels/test_multistep.py in the full suite)
def test_sweep_summary_of_a_diverging_learner_stays_readable(tmp_path, capsys):
    # TD(lambda) with accumulating traces diverges at lambda 0.99 and alpha 0.3 (Figure 12.6): its
    # errors reach 1e+17 and more; the table keeps four significant digits for the stable cells, prints the
    # huge numbers in scientific notation, and the command warns about nothing.
    text = textwrap.dedent("""\
        env = "RandomWalk-19"
        algo = "td_lambda"
        episodes = 10
        seeds = 4
        last = 10
        metric = "rms_error"
        [grid]
        lam = [0.0, 0.99]
        alpha = [0.1, 0.3]
        [params]
        gamma = 1.0
        policy = "uniform"
        record_loss = true
        """)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cli.main(["sweep", write_config(tmp_path, text)]) == 0
    out = capsys.readouterr().out
    rows = {int(line.split()[0]): line.split() for line in out.splitlines() if line[:1].isdigit()}
    sw = fastq.sweep("RandomWalk-19", "td_lambda", grid={"lam": [0.0, 0.99], "alpha": [0.1, 0.3]}, seeds=4,
                     episodes=10, gamma=1.0, policy="uniform", record_loss=True, progress=False)
    with np.errstate(all="ignore"):
        summary = sw.summary("rms_error", last=10)
    assert rows[0][4] == f"{summary[0]['mean']:.4f}"  # lam 0, alpha 0.1: about 0.5
    assert 1e6 < summary[3]["mean"] < np.inf  # lam 0.99, alpha 0.3
    assert rows[3][4] == f"{summary[3]['mean']:.3g}" and "e+" in rows[3][4]
    assert max(len(line) for line in out.splitlines()) < 130


def test_interrupted_sweep_exits_130_and_keeps_the_chunks(tmp_path, monkeypatch, capsys):
    real = sweep_module._run_chunk

    def chunk(task):
        payload = real(task)
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, after the first chunk
        return payload

    monkeypatch.setattr(sweep_module, "_run_chunk", chunk)
    out = tmp_path / "out"
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 130
    text, err = capsys.readouterr()
    assert "interrupted after 1 of 2 chunks; finished chunks are kept in" in err
    assert "Traceback" not in err and "RuntimeWarning" not in err
    assert "finished: 10 of 20 (cell, seed) pairs" in text
    assert len(list((out / "chunks").glob("*.npz"))) == 1


# ---------------------------------------------------------------------- faults: one line, nothing half-written
def _fail_under(monkeypatch, module, name, folder, error=errno.EROFS):
    """``module.name`` raises OSError(error) for paths inside ``folder``; works elsewhere."""
    real = getattr(module, name)
    folder = str(folder)

    def fake(path, *args, **kwargs):
        if os.fspath(path).startswith(folder):
            raise OSError(error, os.strerror(error), os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(module, name, fake)


def test_sweep_on_a_read_only_file_system_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "ro"
    _fail_under(monkeypatch, os, "makedirs", out)
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 1
    text, err = capsys.readouterr()
    assert_one_error_line(err)
    assert f"cannot write the sweep to {str(out)!r}: cannot create the sweep directory" in err
    assert "Read-only file system" in err and not out.exists() and text == ""


def test_sweep_on_a_full_disk_new_or_resumed(tmp_path, monkeypatch, capsys):
    from fastq import _store

    out = tmp_path / "full"
    _fail_under(monkeypatch, _store, "atomic_write", out, errno.ENOSPC)  # the manifest cannot be written
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "No space left on device" in err and not out.exists()  # nothing half-made
    monkeypatch.undo()
    # resume: chunk 1 is missing and the disk is full when it is written again
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 0
    (out / "chunks" / "chunk-000001.npz").unlink()
    kept = (out / "chunks" / "chunk-000000.npz").read_bytes()
    capsys.readouterr()
    _fail_under(monkeypatch, _store, "atomic_write", out / "chunks", errno.ENOSPC)
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 1
    text, err = capsys.readouterr()
    assert_one_error_line(err)
    assert "No space left on device" in err and "the finished chunks are kept in" in err and "to resume" in err
    assert sorted(os.listdir(out / "chunks")) == ["chunk-000000.npz"]  # no temporary file
    assert (out / "chunks" / "chunk-000000.npz").read_bytes() == kept
    monkeypatch.undo()
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 0  # resumes
    reference = fastq.sweep("CliffWalking", algo=["q_learning", "sarsa"], grid={"alpha": [0.1, 0.5]},
                            gamma=1.0, episodes=30, seeds=5, seed=2, progress=False)
    np.testing.assert_array_equal(fastq.load(out).returns, reference.returns)


def test_resuming_on_a_read_only_file_system_is_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "s"
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 0
    capsys.readouterr()
    _fail_under(monkeypatch, os, "open", out)  # the lock file cannot be created
    assert cli.main(["sweep", write_config(tmp_path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "Read-only file system" in err and "sweep.lock" in err


@pytest.mark.parametrize("edit, message", [
    # a sweep.json that lacks what a sweep reads: a KeyError traceback before
    (None, r"'.*sweep.json' is not a valid sweep manifest: the key 'axes' is missing"),
    (("seeds = 5", "seeds = 1000000000000000000"), r"line 5: seeds: sweep\(seeds=1000000000000000000\) would need about"),
    (("gamma = 1.0", 'env = "FrozenLake-4x4"'), r"params.env: \[params\] takes training and environment settings"),
])
def test_sweep_mistakes_that_printed_tracebacks(tmp_path, capsys, edit, message):
    argv = ["sweep", write_config(tmp_path, CONFIG if edit is None else CONFIG.replace(*edit))]
    if edit is None:  # a damaged sweep.json in --out
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "sweep.json").write_text('{"format": "fastq-sweep", "version": 1, "config": {}}')
        argv += ["--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert re.search(message, err), err


def test_a_config_that_is_not_utf8_is_one_line(tmp_path, capsys):
    path = tmp_path / "latin.toml"
    path.write_bytes(CONFIG.replace("# a small sweep", "# caf\xe9").encode("latin-1"))
    assert cli.main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "latin.toml, line 1: not a UTF-8 text file" in err


def test_save_to_a_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "train", lambda *a, **k: pytest.fail("trained before the check"))
    assert cli.main(["train", *SMALL, "--save", str(tmp_path) + os.sep]) == 2
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "--save: path must name a file, got the folder" in err


def test_warnings_are_one_line_and_other_failures_too(monkeypatch, capsys):
    import warnings

    def train(*args, **kwargs):
        warnings.warn("fastq's compile cache could not read a cached kernel (EOFError: ...)", RuntimeWarning)
        return fastq.train(*args, **kwargs)

    monkeypatch.setattr(cli, "train", train)
    assert cli.main(["train", *SMALL, "--backend", "numpy"]) == 0
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["fastq: warning: fastq's compile cache could not read a cached kernel (EOFError: ...)"]

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(cli, "train", broken)
    assert cli.main(["train", *SMALL]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "RuntimeError: something nobody expected (FASTQ_TRACEBACK=1 shows where)" in err
    monkeypatch.setenv("FASTQ_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="something nobody expected"):
        cli.main(["train", *SMALL])


# ---------------------------------------------------------------------- real processes
# They load the session's compiled kernels through the worker_env fixture (tests/conftest.py).
@pytest.mark.subprocess
def test_console_script_error_exits_2_without_traceback():
    script = os.path.join(os.path.dirname(sys.executable), "fastq")
    command = [script] if os.path.isfile(script) else [sys.executable, "-m", "fastq"]
    proc = subprocess.run([*command, "train", "NoSuchLake"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert_one_error_line(proc.stderr)
    assert "unknown environment 'NoSuchLake'" in proc.stderr


@pytest.mark.subprocess
def test_real_sigint_keeps_the_finished_episodes(worker_env):
    # A real Ctrl-C (SIGINT) to a long run in a fresh process: after loading the compiled kernel
    # (about a second from the cache), training runs block by block; the signal stops it after
    # the current block and the summary of the finished episodes is printed with exit status 130.
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "fastq", "train", "FrozenLake-8x8", "--agents", "256",
         "--episodes", "4000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env,
    )
    time.sleep(10)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    fields = summary_fields(out)
    done = int(fields["agents x episodes"].split()[2])
    assert 0 < done < 4_000_000 and "interrupted" in fields["agents x episodes"]
    assert int(fields["agent-steps"].replace(",", "")) >= 256 * done


@pytest.mark.slow
def test_train_passes_the_learner_options_and_prints_the_exact_evaluation(capsys):
    code = cli.main(["train", "FrozenLake-4x4", "--algo", "dyna_q", "--planning-steps", "2", "--agents", "3",
                 "--episodes", "20", "--eval-every", "10", "--exploration", "softmax", "--temperature", "0.5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "algorithm          dyna_q" in out
    assert "greedy value" in out and "greedy success" in out and "(exact, after episode 20)" in out
    expected = fastq.train("FrozenLake-4x4", "dyna_q", planning_steps=2, agents=3, episodes=20, eval_every=10,
                           exploration="softmax", temperature=0.5)
    assert f"{np.mean(expected.extra['eval_value'][:, -1]):.4f}" in out


def test_train_refuses_planning_steps_for_other_algorithms(capsys):
    assert cli.main(["train", "FrozenLake-4x4", "--planning-steps", "2", "--agents", "1", "--episodes", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastq: error: planning_steps applies to algo='dyna_q' only")


@pytest.mark.parametrize("name, home", [
    ("format_summary", "report"), ("format_sweep_summary", "report"), ("format_solution", "report"),
    ("format_rate", "report"), ("read_config", "config"), ("config_error", "config"), ("ConfigError", "config"),
])
def test_names_that_moved_still_work_with_a_warning(name, home):
    with pytest.warns(DeprecationWarning, match=f"fastq.cli.{name} is deprecated .* use fastq.{home}.{name}"):
        value = getattr(cli, name)
    assert value is getattr(importlib.import_module(f"fastq.{home}"), name)
