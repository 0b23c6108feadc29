"""fastq._request: a train() call checked, and the memory it holds -- the estimate bounds the
peak that tracemalloc sees, for every learner, and counts what each learner adds (traces, an
episode buffer, the loss and RMS error outputs, prediction's policies)."""

import numpy as np
import pytest

import fastq
from fastq import _request, _train as train_module, algos


@pytest.mark.parametrize("backend", [pytest.param("numba", marks=pytest.mark.slow), "numpy"])
@pytest.mark.parametrize("algo", fastq.ALGORITHMS)
def test_the_memory_estimate_bounds_the_peak(algo, backend):
    # Measured with tracemalloc, which sees numpy's allocations; the kernels allocate nothing.
    # 1 MiB is the Python objects of a call (the Result, its meta), whatever the size.  The
    # numpy runs record the loss too (an output more; the compiled ones keep their variant).
    import tracemalloc

    env = fastq.make("FrozenLake-8x8" if backend == "numba" else "FrozenLake-4x4")
    kwargs = dict(agents=2000 if backend == "numba" else 100, episodes=100 if backend == "numba" else 20,
                  seed=0, backend=backend, record_loss=backend == "numpy", **fastq.algos.default_arguments(algo))
    train_module.train(env, algo, **{**kwargs, "agents": 2})  # compiled before measuring
    tracemalloc.start()
    try:
        res = train_module.train(env, algo, **kwargs)  # not the suite's checking wrapper
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    settings = {k: v for k, v in kwargs.items() if k not in ("agents", "episodes")}
    estimate = train_module.check_arguments(env, algo, kwargs["agents"], kwargs["episodes"], settings).memory
    assert peak <= estimate + 2**20, f"peak {peak} above the estimate {estimate}"
    assert res.agents == kwargs["agents"] and res.q.shape[1] == env.mdp.n_states


def test_the_estimate_counts_what_each_learner_adds():
    mdp = fastq.make("FrozenLake-8x8").mdp  # 64 states x 4 actions, max_steps 200
    S, A = 64, 4

    def estimate(algo, **kwargs):
        settings = {**algos.default_arguments(algo), **kwargs}
        return train_module.check_arguments(mdp, algo, 10, 100, settings).memory

    q = estimate("q_learning")
    # The loss: one float64 per agent-episode.
    assert estimate("q_learning", record_loss=True) - q == 10 * 100 * 8
    # An n-step ring of n steps rounded up to a power of two, three int64 per step.
    assert estimate("n_step_sarsa", n=5) - estimate("n_step_sarsa", n=1) == 10 * (8 - 1) * 3 * 8
    # Monte Carlo keeps a whole episode: max_steps steps.
    mc = estimate("mc_control")
    assert mc - estimate("n_step_sarsa", n=1) == 10 * (200 - 1) * 3 * 8
    # Traces: a trace table, the list of traced entries and their marks, one row each.
    assert estimate("sarsa_lambda") - q == 10 * S * A * 8 * 3
    # Prediction: V instead of Q, the RMS error per episode, and one policy's tables.
    one_policy = estimate("td")
    assert estimate("td", policy=np.tile(mdp.uniform_policy(), (10, 1, 1)) * 1.0) == one_policy  # one distinct
    assert one_policy == pytest.approx(10 * (S * 8 + 100 * (8 + 4 + 1 + 8) + _request.AGENT_BYTES)
                                       + (2 * S * A + S) * 8, rel=0.2)
