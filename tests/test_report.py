"""fastq.report: the text the command line prints, available to programs."""

import pytest

import fastq
from fastq import report
from helpers import summary_fields


def test_format_rate():
    assert report.format_rate(123_449_999.0) == "123.4 M"
    assert report.format_rate(2.5e9) == "2.5 G"
    assert report.format_rate(999.0) == "999.0"
    assert report.format_rate(float("nan")) == "n/a"


def test_table_of_no_rows_is_the_header():
    assert report.format_table([]).split() == ["agents", "x", "episodes", "threads", "agent-steps", "time",
                                                  "agent-steps/s", "ratio"]


def test_a_missing_baseline_gives_no_ratio():
    rows = [{"group": "g", "name": "a", "baseline": "b", "rate": 1.0}]
    assert report.add_ratios(rows)[0]["ratio"] is None


def test_summary_of_a_run_shows_its_numbers():
    res = fastq.train("FrozenLake-4x4", agents=4, episodes=20, seed=2, backend="numpy")
    text = report.format_summary(res)
    fields = summary_fields(text)
    s = res.summary()
    assert fields["agents x episodes"] == "4 x 20"
    assert fields["return, last 10%"] == f"{s['return_last']:.4f}"
    assert fields["success, last 10%"] == f"{100 * s['success_last']:.2f} %"
    assert fields["agent-steps"] == f"{res.agent_steps:,}"


def test_solution_of_a_model_without_a_map_lists_states():
    mdp = fastq.make("MaxBias")
    text = report.format_solution(mdp, fastq.value_iteration(mdp, gamma=1.0))
    lines = text.splitlines()
    assert lines[1].split() == ["state", "value", "action"]
    assert lines[2].split() == ["0", "0", "right/B0"]  # right ends at once with 0 > -0.1
    assert lines[4].split()[-1] == "-"  # the terminal state takes no action


@pytest.fixture(scope="module")
def sw():
    return fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=3, episodes=20, progress=False)


def test_sweep_summary_rows_are_the_sweeps_numbers(sw):
    text = report.format_sweep_summary(sw, "success", last=5)
    rows = {int(line.split()[0]): line.split() for line in text.splitlines() if line[:1].isdigit()}
    for row in sw.summary("success", last=5):
        cells = rows[row["cell"]]
        assert float(cells[3]) == pytest.approx(row["mean"], abs=5e-4)
        assert float(cells[4]) == pytest.approx(row["iqm"], abs=5e-4)
    assert "success over the last 5 episodes" in text


def test_sweep_summary_takes_the_old_argument_order_with_a_warning(sw):
    new = report.format_sweep_summary(sw, "length", 5)
    with pytest.warns(DeprecationWarning, match=r"format_sweep_summary\(sw, last, metric\)"):
        old = report.format_sweep_summary(sw, 5, "length")
    assert old.splitlines()[1:] == new.splitlines()[1:]


def test_a_rate_table_has_one_line_per_row_and_ratio():
    rows = [{"group": "g", "title": "T", "name": "ref", "baseline": "ref", "agents": 1, "episodes": 2,
             "threads": 1, "agent_steps": 100, "seconds": 1.0, "rate": 100.0, "rounds": 1,
             "compile_time": 0.0, "algo": "q_learning", "backend": "numpy"},
            {"group": "g", "title": "T", "name": "fast", "baseline": "ref", "agents": 1, "episodes": 2,
             "threads": 1, "agent_steps": 100, "seconds": 0.01, "rate": 10_000.0, "rounds": 3,
             "compile_time": 1.5, "algo": "q_learning", "backend": "numba"}]
    text = report.format_table(rows)
    assert [r["ratio"] for r in rows] == [1.0, 100.0]
    assert "100x ref" in text and "baseline" in text and "q_learning numba 1.50 s" in text
