"""Start-up cost, in fresh processes: the first train() call of each learner compiles its kernel,
or, with the on-disk cache filled, loads it; and ``fastq bench`` from a fresh process.

- Compile (``FASTQ_CACHE=0``): every fresh process compiles; one process per learner, each the
  first call of that learner in its process (64 agents x 10 episodes on FrozenLake-8x8, the
  learner's default arguments: :func:`fastq.algos.default_arguments`).
- Cache load (the default: the cache is on; here in a new temporary ``NUMBA_CACHE_DIR``): a
  first process compiles and writes the cache (kept in ``extra_info["compiling_process"]``),
  then fresh processes load it (the benchmarked rounds).
- ``fastq bench`` (the quick plan, every group) from a fresh process with the cache filled by a
  first ``fastq bench``: the command's whole wall time, Python's start-up included.

Each process reports the time of ``import fastq``, of its first ``train()`` call (compile or
load included) and ``meta["compile_time"]`` (the compile or load alone); ``extra_info`` keeps
those of the fastest round.  The benchmark's own time is the whole process.  Run with
``python -m pytest bench/test_bench_startup.py --benchmark-only``.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from fastq.algos import ALGORITHMS

SCRIPT = """
import json, sys, time
t = time.perf_counter()
import fastq
imported = time.perf_counter() - t
from fastq.algos import default_arguments
t = time.perf_counter()
res = fastq.train("FrozenLake-8x8", sys.argv[1], agents=64, episodes=10, **default_arguments(sys.argv[1]))
first = time.perf_counter() - t
print(json.dumps({"import": imported, "first_train": first, "compile": res.meta["compile_time"]}))
"""
GROUP = "start-up: fresh process, first train() call of each learner"


def fresh(env: dict, algo: str) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, algo], env=env, capture_output=True, text=True,
                         check=True, timeout=600)
    return json.loads(out.stdout)


def run_rounds(benchmark, env: dict, algo: str, rounds: int) -> None:
    """Benchmark fresh processes; keep the timings each reported, those of the fastest in extra_info."""
    reports = []
    benchmark.pedantic(lambda: reports.append(fresh(env, algo)), rounds=rounds)
    best = min(reports, key=lambda r: r["first_train"])
    benchmark.extra_info.update({f"{k}_s": v for k, v in best.items()})
    benchmark.extra_info["first_train_s_all_rounds"] = [r["first_train"] for r in reports]


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_compile_in_a_fresh_process(benchmark, algo):
    benchmark.group = GROUP
    env = {**os.environ, "FASTQ_CACHE": "0"}
    run_rounds(benchmark, env, algo, rounds=2)


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_cache_load_in_a_fresh_process(benchmark, algo, tmp_path):
    benchmark.group = GROUP
    env = {**os.environ, "FASTQ_CACHE": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    compiling = fresh(env, algo)  # compiles and writes the cache
    benchmark.extra_info["compiling_process"] = {f"{k}_s": v for k, v in compiling.items()}
    run_rounds(benchmark, env, algo, rounds=3)


def test_fastq_bench_with_the_cache_filled(benchmark, tmp_path):
    benchmark.group = "start-up: fastq bench from a fresh process"
    env = {**os.environ, "FASTQ_CACHE": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    command = [sys.executable, "-m", "fastq", "bench"]
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=1200)
    benchmark.extra_info["compiling_run_s"] = time.perf_counter() - started
    benchmark.pedantic(lambda: subprocess.run(command, env=env, capture_output=True, check=True, timeout=1200),
                       rounds=2)
