"""fastq.benchmark and ``fastq bench``: rows that count exactly what train() counts, ratios from
the same rows, a table naming every row, the JSON file, clean errors and Ctrl-C.  Tiny sizes and
no timing assertions: the speed itself is measured in bench/."""

from __future__ import annotations

import json
import re

import numba
import pytest

import fastq
import fastq._platform
from fastq import benchmark, cli, report
from fastq.benchmark import GROUPS, SETTINGS, Plan

TINY = Plan(agents=8, episodes=3, reference_episodes=1, gymnasium_episodes=2,
            small_job_episodes=5, scaling=((4, 6), (8, 3)), grids=((4, 4, 2), (5, 3, 1)),
            rounds=2, reference_rounds=1, planning_steps=2)
MAX_THREADS = int(numba.config.NUMBA_NUM_THREADS)


@pytest.fixture(scope="module")
def tiny_rows():
    seen = []
    rows = benchmark.run(plan=TINY, algos=["q_learning"], on_row=seen.append)
    return rows, seen


def rerun(row) -> int:
    """The agent-steps of the row's run, done again with train() (or the Python loop)."""
    if row["backend"] == "python":
        return benchmark.gymnasium_loop(row["episodes"])
    env = benchmark.open_grid(row["side"]) if row["group"] == "grid" else benchmark.ENV
    res = fastq.train(env, row["algo"], agents=row["agents"], episodes=row["episodes"],
                      backend=row["backend"], **SETTINGS)
    return res.agent_steps


def test_every_group_is_measured_and_rows_are_complete(tiny_rows):
    rows, seen = tiny_rows
    assert seen == rows  # on_row saw every row, in order
    assert [g for g in GROUPS if any(r["group"] == g for r in rows)] == list(GROUPS)
    assert [r["group"] for r in rows] == sorted((r["group"] for r in rows), key=GROUPS.index)
    for r in rows:
        assert r["agent_steps"] >= r["agents"] * r["episodes"]  # every episode has a step
        assert r["seconds"] > 0 and r["rate"] == pytest.approx(r["agent_steps"] / r["seconds"], rel=1e-12)
        assert r["compile_time"] >= 0 and r["rounds"] == (TINY.rounds if r["backend"] == "numba" else 1)
    names = [(r["group"], r["name"]) for r in rows]
    assert len(names) == len(set(names))
    sizes = [(r["agents"], r["episodes"]) for r in rows if r["group"] == "agents"]
    assert sizes == list(TINY.scaling)
    grids = [(r["side"], r["agents"], r["episodes"]) for r in rows if r["group"] == "grid"]
    assert grids == list(TINY.grids)
    assert {r["env"] for r in rows if r["group"] == "grid"} == {"open 4x4", "open 5x5"}


def test_agent_steps_are_those_of_train(tiny_rows):
    rows, _ = tiny_rows
    runs = {}
    for r in rows:
        runs.setdefault((r["group"] == "grid" and r["side"], r["algo"], r["backend"], r["agents"], r["episodes"]), r)
    for r in runs.values():
        assert r["agent_steps"] == rerun(r), r["name"]


def test_ratios_are_rates_over_the_group_baseline(tiny_rows):
    rows, _ = tiny_rows
    by_name = {(r["group"], r["name"]): r for r in rows}
    for r in rows:
        base = by_name[(r["group"], r["baseline"])]
        assert r["ratio"] == pytest.approx(r["rate"] / base["rate"], rel=1e-12)
        if r["name"] == r["baseline"]:
            assert r["ratio"] == 1.0
    alternatives = [r["name"] for r in rows if r["group"] == "alternatives"]
    assert alternatives == ["numpy reference", f"numba, {MAX_THREADS} thread{'s' * (MAX_THREADS > 1)}",
                            "Python loop over Gymnasium"]
    assert {r["baseline"] for r in rows if r["group"] == "agents"} == {"4 agents"}  # no 4096: the first
    assert {r["baseline"] for r in rows if r["group"] == "grid"} == {"4x4 (16 states)"}


def test_the_same_run_is_measured_once(tiny_rows):
    rows, _ = tiny_rows
    numba_all = [r for r in rows if r["backend"] == "numba" and r["agents"] == TINY.agents
                 and r["episodes"] == TINY.episodes and r["threads"] == MAX_THREADS]
    assert {r["group"] for r in numba_all} >= {"alternatives", "algorithms", "threads", "agents"}
    assert len({r["seconds"] for r in numba_all}) == 1


def test_threads_group(tiny_rows):
    rows, _ = tiny_rows
    threads = [r for r in rows if r["group"] == "threads"]
    expected = [("8 agents, 1 thread", 8, 1), ("1 agent, 1 thread", 1, 1)]
    if MAX_THREADS > 1:
        expected[1:1] = [(f"8 agents, {MAX_THREADS} threads", 8, MAX_THREADS)]
        expected.append((f"1 agent, {MAX_THREADS} threads", 1, MAX_THREADS))
    expected.append(("1 agent, 1 thread, environment by name", 1, 1))
    assert [(r["name"], r["agents"], r["threads"]) for r in threads] == expected
    assert all(r["baseline"] == "8 agents, 1 thread" for r in threads)
    small = [r for r in threads if r["agents"] == 1]  # the same work, by model and by name
    assert len({r["agent_steps"] for r in small}) == 1 and len({r["seconds"] for r in small}) == len(small)


def test_table_names_every_row_and_group(tiny_rows):
    rows, _ = tiny_rows
    text = report.format_table(rows)
    lines = text.splitlines()
    for r in rows:
        line = next(line for line in lines if line.startswith(f"  {r['name']}  "))
        assert f"{r['agent_steps']:,}" in line and report.format_rate(r["rate"]) in line
        assert ("baseline" in line) == (r["name"] == r["baseline"])
        assert r["title"] in lines
    assert sum(line in {r["title"] for r in rows} for line in lines) == len(GROUPS)
    assert re.search(r"compile time of the warm-up calls .*: q_learning numba \d+\.\d\d s", text) or \
        not any(r["compile_time"] for r in rows)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"threads": 0}, ValueError, r"threads must be in the range 1 <= value <= \d+, got 0"),
    ({"threads": 10_000}, ValueError, "got 10000"),
    ({"threads": 1.5}, TypeError, "threads must be an integer"),
    ({"algos": ["sarsa", "td0"]}, ValueError, "algos must be among 'q_learning', .*got 'td0'"),
    ({"algos": "sarsa"}, TypeError, "algos must be a list of names"),
    ({"groups": []}, ValueError, "groups must name at least one"),
    ({"groups": ["grid", "speed"]}, ValueError, "got 'speed'"),
    ({"quick": "yes"}, TypeError, "quick must be True or False"),
    ({"plan": {"agents": 8}}, TypeError, "plan must be a fastq.benchmark.Plan"),
    ({"on_row": 3}, TypeError, "on_row must be callable"),
])
def test_bad_arguments_are_refused_before_anything_runs(kwargs, error, match):
    calls = []
    with pytest.raises(error, match=match):
        benchmark.run(**{"on_row": calls.append, "plan": TINY, **kwargs})
    assert calls == []


@pytest.mark.parametrize("kwargs, error, match", [
    ({"agents": 0}, ValueError, "Plan agents must be >= 1, got 0"),
    ({"planning_steps": -1}, ValueError, "Plan planning_steps must be >= 0"),
    ({"rounds": 2.0}, TypeError, "Plan rounds must be an integer"),
    ({"scaling": ((8, 2, 1),)}, ValueError, "Plan scaling entries must be 2-tuples"),
    ({"grids": ((1, 8, 2),)}, ValueError, "Plan grids entry must be >= 2, got 1"),
    ({"grids": 8}, TypeError, "Plan grids must be a sequence"),
])
def test_bad_plans(kwargs, error, match):
    with pytest.raises(error, match=match):
        Plan(**kwargs)


def test_check_normalises():
    assert benchmark.check() == (MAX_THREADS, fastq.ALGORITHMS, GROUPS)
    assert benchmark.check(1, ["sarsa", "sarsa"], ["grid", "agents"]) == (1, ("sarsa",), ("agents", "grid"))


def test_presets():
    assert benchmark.QUICK == Plan()
    assert [a for a, _ in benchmark.FULL.scaling] == [256, 1024, 4096, 16384, 65536]
    assert [s for s, _, _ in benchmark.FULL.grids] == [8, 16, 32, 64, 100]
    # the agent-scaling runs have the same agent-episodes, so about the same agent-steps
    assert len({a * e for a, e in benchmark.FULL.scaling}) == 1
    assert len({a * e for a, e in benchmark.QUICK.scaling}) == 1


def test_measure_refuses_an_interrupted_run(interrupt_kernel):
    interrupt_kernel(1, "after")
    with pytest.raises(KeyboardInterrupt):
        benchmark.measure("FrozenLake-4x4", agents=2, episodes=3, backend="numpy", rounds=1)


def test_open_grid():
    env = benchmark.open_grid(3)
    assert env.rows == ("SFF", "FFF", "FFG") and env.max_steps == 100 and env.name == "open 3x3"
    with pytest.raises(ValueError, match="side must be >= 2, got 1"):
        benchmark.open_grid(1)


def test_machine():
    info = benchmark.machine()
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert info["numba_threads"] == MAX_THREADS and info["fastq"] == fastq.__version__
    line = benchmark.machine_line(info)
    assert line.startswith(f"machine: {info['cpu']} ") and f"{info['logical_cores']} logical core" in line
    assert f"numba {MAX_THREADS} thread" in line


# ---------------------------------------------------------------------- the command
@pytest.fixture
def tiny_quick(monkeypatch):
    monkeypatch.setattr(benchmark, "QUICK", TINY)


def test_cli_prints_machine_and_table_and_writes_json(tiny_quick, tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--group", "threads", "--group", "alternatives", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    data = json.loads(path.read_text())
    assert out.splitlines()[0] == benchmark.machine_line(data["machine"])
    assert data["machine"] == benchmark.machine()
    assert data["mode"] == "quick" and data["plan"]["agents"] == TINY.agents and not data["interrupted"]
    assert {r["group"] for r in data["rows"]} == {"alternatives", "threads"}
    for r in data["rows"]:
        assert f"  {r['name']}  " in out and r["rate"] > 0
    assert f"saved              {path}" in out


def test_cli_threads_and_algo(tiny_quick, tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--group", "algorithms", "--algo", "q_learning", "--threads", "1",
                     "--json", str(path)]) == 0
    rows = json.loads(path.read_text())["rows"]
    assert [(r["name"], r["threads"]) for r in rows] == [("q_learning, numpy reference", 1), ("q_learning, numba", 1)]


@pytest.mark.parametrize("argv", [
    ["bench", "--threads", "0"],
    ["bench", "--threads", "100000"],
    ["bench", "--threads", "two"],
    ["bench", "--group", "speed"],
    ["bench", "--algo", "td0"],
    ["bench", "--quick", "--full"],
    ["bench", "--json", "/no/such/folder/bench.json"],
])
def test_cli_bad_arguments_exit_2_with_one_error_line(argv, capsys, monkeypatch):
    monkeypatch.setattr(benchmark, "run", lambda *a, **k: pytest.fail("measured despite a bad argument"))
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert re.match(r"fastq( bench)?: error: ", err[-1]) and sum("error:" in line for line in err) == 1


def test_cli_ctrl_c_prints_what_finished_and_exits_130(monkeypatch, capsys):
    done = {"env": "FrozenLake-8x8", "algo": "q_learning", "backend": "numba", "agents": 8, "episodes": 3,
            "threads": 1, "rounds": 1, "agent_steps": 100, "seconds": 0.5, "rate": 200.0, "wall_time": 0.4,
            "compile_time": 0.0}
    calls = []

    def fake_measure(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return dict(done)

    monkeypatch.setattr(benchmark, "measure", fake_measure)
    assert cli.main(["bench", "--group", "threads"]) == 130
    captured = capsys.readouterr()
    assert f"  {benchmark.QUICK.agents} agents, 1 thread  " in captured.out and "baseline" in captured.out
    assert len(calls) == 2
    assert captured.err.strip().splitlines()[-1] == "fastq: interrupted after 1 measurement; the table shows it"


def test_moved_names_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match="fastq.benchmark.format_table is deprecated"):
        assert benchmark.format_table is report.format_table
    assert benchmark.machine is fastq._platform.machine and benchmark.add_ratios is report.add_ratios
