"""Start-up cost: compiling the Q-learning kernel in a fresh process (the first train() call)."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, time
t = time.perf_counter()
import fastq
imported = time.perf_counter() - t
res = fastq.train("FrozenLake-8x8", agents=64, episodes=10)
print(json.dumps({"import": imported, "compile": res.meta["compile_time"],
                  "first_train_total": time.perf_counter() - t}))
"""


def test_compile_time_in_a_fresh_process(benchmark):
    benchmark.group = "start-up: fresh process, first train() call"
    env = {k: v for k, v in os.environ.items() if k != "FASTQ_CACHE"}

    def fresh():
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True, timeout=300)
        return json.loads(out.stdout)

    times = benchmark.pedantic(fresh, rounds=3)
    benchmark.extra_info.update({f"{k}_s": v for k, v in times.items()})
