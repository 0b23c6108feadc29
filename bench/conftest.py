"""Shared pieces of the benchmark suite: throughput bookkeeping and the ratio table.

Each benchmark records its agent-steps per second in ``benchmark.extra_info`` (computed from the
fastest round) and in :data:`THROUGHPUT`; at the end of the session the ratios between the
members of each group, all measured in this same run, are printed, each against the group's
baseline (:data:`BASELINES`; by default the numpy reference, else Q-learning).

Every numba benchmark runs one warm-up round first (``warmup_rounds=1``): it compiles the kernel,
so compilation never enters a timed round.  Compilation and cache loading are measured apart, in
fresh processes (``test_bench_startup.py``).  The machine (:func:`fastq.benchmark.machine`) is
printed with the table and stored under ``fastq`` in the ``machine_info`` of
``--benchmark-json``.
"""

from collections import defaultdict

import pytest

#: group -> {name: agent-steps per second}, filled by :func:`record`.
THROUGHPUT: dict = defaultdict(dict)
#: group -> the name of the member the others are compared with.
BASELINES: dict = {}
#: The name of the yardstick's row (bench/yardstick.py): where a group has one, every rate of
#: the group is also printed as a ratio to it.
YARDSTICK = "yardstick: hand-tuned numba, 4 agents per thread, every thread"


def record(benchmark, group: str, name: str, agent_steps: int, *, baseline: str | None = None) -> float:
    """Store agent-steps per second of the fastest round in extra_info and THROUGHPUT.

    ``baseline``: the name of the group's member to compare with (set by any member).
    """
    best = benchmark.stats.stats.min
    rate = agent_steps / best
    benchmark.extra_info["agent_steps"] = int(agent_steps)
    benchmark.extra_info["agent_steps_per_second"] = rate
    THROUGHPUT[group][name] = rate
    if baseline is not None:
        BASELINES[group] = baseline
    return rate


def _baseline(group: str, rates: dict):
    for label in (BASELINES.get(group), "numpy reference", "q_learning"):
        if label is not None and label in rates:
            return rates[label], label
    return None, None


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config, machine_info):
    from fastq.benchmark import machine

    machine_info["fastq"] = machine()


def pytest_terminal_summary(terminalreporter):
    if not THROUGHPUT:
        return
    from fastq.benchmark import machine_line

    tr = terminalreporter
    tr.section("fastq throughput (agent-steps per second, fastest round; ratios from this run)")
    tr.write_line(machine_line())
    for group, rates in THROUGHPUT.items():
        tr.write_line(group)
        base, label = _baseline(group, rates)
        yardstick = rates.get(YARDSTICK)
        for name, rate in sorted(rates.items(), key=lambda kv: -kv[1]):
            ratio = f"  {rate / base:10.3g} x {label}" if base else ""
            ratio += f"  {rate / yardstick:6.3f} x yardstick" if yardstick else ""
            tr.write_line(f"  {name:<48} {rate / 1e6:10.2f} M/s{ratio}")
