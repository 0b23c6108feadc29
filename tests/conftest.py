"""Suite-wide checks.

Every result that ``fastq.train`` returns in this suite is checked against the Q bound of
tabular learning with gamma < 1: starting from ``q_init``, every update of every algorithm is a
convex combination of the old value and a target ``r + gamma * B`` whose bootstrap ``B`` is a
value, a max, an expectation or (Double Q, Dyna-Q) a value of the same kind of table, so per
agent

    min(0, q_init, r_min / (1 - gamma)) <= Q <= max(0, q_init, r_max / (1 - gamma))

(``r_min``, ``r_max`` over outcomes with positive probability; a small rounding allowance, one
float32 unit in the last place, ``2**-23`` relative, for float32 tables: each stored value is a
float64 update rounded to float32, and rounding is monotone, so Q stays within the float32
number next to the bound and the allowance does not grow with the number of updates).
Disallowed actions hold ``-inf`` and are left out; with reward noise the bound is vacuous.
The prediction learners' V is checked against the same bound with ``v_init``.  n-step returns
and Monte Carlo returns stay inside it too (a discounted sum of rewards plus a discounted value
in it).  Two updates are not convex combinations and are left out, per agent with ``lam > 0``:
accumulating traces (a trace above 1 makes ``alpha * e`` exceed 1, Sutton & Barto 12.5) and
true online TD(lambda)'s dutch traces (its extra ``V - V_old`` term).
"""

import os
from pathlib import Path

import numpy as np
import pytest

import fastq
from fastq.envs import as_mdp


def check_q_bounds(env, res) -> None:
    r_min, r_max = as_mdp(env).reward_range
    gamma = res.params["gamma"]
    predicts = res.v is not None
    q_init = res.params["v_init" if predicts else "q_init"]
    checked = np.broadcast_to(gamma < 1, (res.agents,))
    if res.meta.get("trace") in ("accumulating", "dutch"):
        checked = checked & (res.params["lam"] == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.minimum(np.minimum(0.0, q_init), r_min / (1 - gamma))
        high = np.maximum(np.maximum(0.0, q_init), r_max / (1 - gamma))
    table = res.v if predicts else res.q
    q = table.reshape(res.agents, -1)
    q = np.where(np.isneginf(q), 0.0, q)  # disallowed actions
    rel = max(1e-9, float(np.finfo(table.dtype).eps))  # 1e-9 for float64, 2**-23 for float32
    slack = np.broadcast_to(rel * (1 + np.maximum(np.abs(low), np.abs(high))), (res.agents,))
    low, high = (np.broadcast_to(b, (res.agents,)) for b in (low, high))
    ok = (q >= (low - slack)[:, None]).all(axis=1) & (q <= (high + slack)[:, None]).all(axis=1)
    assert ok[checked].all(), (
        "Q left the bound [min(0, q_init, r_min/(1-gamma)), max(0, q_init, r_max/(1-gamma))]"
    )


class _InterruptAfter:
    """Wraps a kernel: runs it, and raises KeyboardInterrupt on call number ``n`` -- after the
    call returns (``when="after"``, as a Ctrl-C during a compiled kernel) or before it runs."""

    def __init__(self, real, n, when):
        self.real, self.n, self.when, self.calls = real, n, when, 0

    def __getattr__(self, name):  # overloads, compile: the real dispatcher's
        return getattr(self.real, name)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.n and self.when == "before":
            raise KeyboardInterrupt
        self.real(*args, **kwargs)
        if self.calls == self.n and self.when == "after":
            raise KeyboardInterrupt


@pytest.fixture
def interrupt_kernel(monkeypatch):
    """``interrupt_kernel(n, when)``: train()'s kernels raise Ctrl-C on their n-th block."""
    from fastq import _dispatch

    real_learner = _dispatch.learner

    def install(n: int, when: str) -> None:
        monkeypatch.setattr(_dispatch, "learner", lambda *args: _InterruptAfter(real_learner(*args), n, when))

    return install


@pytest.fixture(autouse=True)
def _q_stays_bounded():
    real_train = fastq.train

    def checked_train(env, *args, **kwargs):
        res = real_train(env, *args, **kwargs)
        check_q_bounds(env, res)
        return res

    # A monkeypatch of its own: a test's monkeypatch.undo() must not remove the check.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastq, "train", checked_train)
        yield


# Markers (registered in pyproject.toml).  Every test that starts processes (``subprocess``) or a
# Dask cluster (``dask``) is also ``slow``, so ``python -m pytest -m "not slow"`` is the fast suite.
# The files of the kernel layer (tests/kernels/, test_dtype.py) and the slow tests in files this
# layer does not own are marked here by path; the other test files mark their own tests.
_SLOW_FILES = ("tests/kernels/", "tests/test_dtype.py")
_SLOW_TESTS = ("docs/backend.md::backend.md", "tests/test_train.py::test_warmup_compiles_the_kernel",
               "fastq/_train.py::fastq._train.warmup")
_SUBPROCESS_TESTS = (
    "tests/test_train.py::test_thread_count_does_not_change_results_across_processes",
    "tests/test_parallel.py::test_a_read_only_install_with_fastq_cache_warns_and_compiles",
    "tests/test_train_validation.py::test_invalid_calls_compile_nothing",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        node = item.nodeid
        if node.startswith(_SUBPROCESS_TESTS):
            item.add_marker(pytest.mark.subprocess)
        if (node.startswith(_SLOW_FILES) or node.startswith(_SLOW_TESTS)
                or item.get_closest_marker("subprocess") or item.get_closest_marker("dask")):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def worker_env() -> dict:
    """The environment of the subprocesses tests start (the command line, process pools, Dask
    workers): this fastq on the path, one numba thread, and the session's numba cache (see the
    root conftest.py), into which plain Q-learning is compiled here first, so they load it."""
    fastq.train(fastq.GridWorld(["SG"], slip=0.1), agents=1, episodes=1)
    env = dict(os.environ)
    source = str(Path(fastq.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([source, *filter(None, [env.get("PYTHONPATH")])])
    env.update(FASTQ_CACHE="1", NUMBA_CACHE_DIR=os.environ["NUMBA_CACHE_DIR"], NUMBA_NUM_THREADS="1")
    return env
