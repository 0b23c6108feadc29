"""Shared pieces of the benchmark suite: throughput bookkeeping and the ratio table.

Each benchmark records its agent-steps per second in ``benchmark.extra_info`` (computed from the
fastest round) and in :data:`THROUGHPUT`; at the end of the session the ratios between the
members of each group, all measured in this same run, are printed.
"""

from collections import defaultdict

import pytest

#: group -> {name: agent-steps per second}, filled by :func:`record`.
THROUGHPUT: dict = defaultdict(dict)


def record(benchmark, group: str, name: str, agent_steps: int) -> float:
    """Store agent-steps per second of the fastest round in extra_info and THROUGHPUT."""
    best = benchmark.stats.stats.min
    rate = agent_steps / best
    benchmark.extra_info["agent_steps"] = int(agent_steps)
    benchmark.extra_info["agent_steps_per_second"] = rate
    THROUGHPUT[group][name] = rate
    return rate


def pytest_terminal_summary(terminalreporter):
    if not THROUGHPUT:
        return
    tr = terminalreporter
    tr.section("fastq throughput (agent-steps per second, fastest round; ratios from this run)")
    for group, rates in THROUGHPUT.items():
        tr.write_line(group)
        base, label = rates.get("numpy reference"), "numpy reference"
        if base is None and "q_learning" in rates:
            base, label = rates["q_learning"], "q_learning"
        for name, rate in sorted(rates.items(), key=lambda kv: -kv[1]):
            ratio = f"  {rate / base:10.3g} x {label}" if base else ""
            tr.write_line(f"  {name:<38} {rate / 1e6:10.2f} M/s{ratio}")


@pytest.fixture(scope="session", autouse=True)
def _compiled():
    import fastq

    fastq.warmup()
