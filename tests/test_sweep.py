"""fastq.sweep: the numbers of single train runs, whatever the chunking, threads or executor;
persistence, resume after SIGKILL and Ctrl-C, refusal of a mismatched out; statistics.

Process-based tests (a spawn pool, a Dask LocalCluster, `dask scheduler` + two `dask worker`
processes, a killed sweep) start fresh Python processes, each of which would compile the numba
kernel (30-60 s on two busy cores).  They share one numba cache instead: a background process
compiles the kernel into a temporary NUMBA_CACHE_DIR while the in-process tests run, and every
worker then loads it (about a second) with FASTQ_CACHE=1.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fastq
from fastq.sweep_result import SweepResult

from fastq import _store as store
from fastq import _sweep as sweep_module
from fastq import _sweep_plan as sweep_plan
from helpers import OUTPUTS, assert_same, small_sweep as run


@pytest.fixture(scope="module")
def reference() -> SweepResult:
    return run()


# ---------------------------------------------------------------------- cells and numbers
def test_cells_follow_the_documented_order():
    sw = fastq.sweep(["FrozenLake-4x4", "CliffWalking"], algo=["q_learning", "sarsa"],
                     grid={"alpha": [0.1, 0.5], "tie_break": ["random", "first"]},
                     seeds=2, episodes=3, progress=False)
    assert list(sw.axes) == ["env", "algo", "alpha", "tie_break"]
    assert sw.shape == (2, 2, 2, 2) and sw.n_cells == 16 and sw.n_seeds == 2
    assert sw.cells[0] == {"env": "FrozenLake-4x4", "algo": "q_learning", "alpha": 0.1, "tie_break": "random"}
    assert sw.cells[1]["tie_break"] == "first"  # the last axis varies fastest
    assert sw.cells[2]["alpha"] == 0.5
    assert sw.cells[15] == {"env": "CliffWalking", "algo": "sarsa", "alpha": 0.5, "tie_break": "first"}
    for c, cell in enumerate(sw.cells):
        assert sw.index(**cell) == c
    assert sw.returns.shape == (16, 2, 3)
    assert sw.returns.reshape(*sw.shape, 2, 3)[1, 0, 1, 1].tolist() == sw.returns[11].tolist()
    with pytest.raises(ValueError, match="different shapes"):  # 16 vs 48 states
        _ = sw.q
    assert sw.result(0).q.shape == (2, 16, 4) and sw.result(15).q.shape == (2, 48, 4)


def test_every_cell_equals_its_single_train_run():
    # Hyperparameters per agent (alpha), a non-per-agent argument (tie_break), an environment
    # option (slip), both algorithms: every (cell, seed) equals agent `seed` of one train() call.
    sw = fastq.sweep("CliffWalking", algo=["q_learning", "sarsa"],
                     grid={"alpha": [0.2, 0.6], "tie_break": ["random", "first"], "slip": [0.0, 0.1]},
                     gamma=0.95, epsilon=0.2, seeds=5, seed=3, episodes=25, progress=False)
    assert sw.n_cells == 16 and sw.complete
    for c, cell in enumerate(sw.cells):
        env = fastq.make("CliffWalking", slip=cell["slip"])
        single = fastq.train(env, cell["algo"], agents=5, episodes=25, seed=3, alpha=cell["alpha"],
                             tie_break=cell["tie_break"], gamma=0.95, epsilon=0.2)
        res = sw.result(c)
        for name in OUTPUTS:
            np.testing.assert_array_equal(getattr(res, name), getattr(single, name), err_msg=f"{cell} {name}")
        assert res.meta["algo"] == cell["algo"] and res.meta["env_options"]["slip"] == cell["slip"]
        np.testing.assert_array_equal(res.params["alpha"], np.full(5, cell["alpha"]))
    # alpha varies per agent inside a call; tie_break and slip split the calls: 2 x 2 x 2 groups.
    assert len(sw.manifest["groups"]) == 8
    assert all(g["per_agent"] == ["alpha", "epsilon", "gamma"] for g in sw.manifest["groups"])


def test_explicit_seed_list_and_schedules():
    schedule = fastq.linear(0.5, 0.0, episodes=10)
    sw = fastq.sweep("FrozenLake-4x4", grid={"epsilon": [0.1, schedule]}, seeds=[7, 3, 2**64 - 1],
                     episodes=15, progress=False)
    assert sw.cells[1] == {"epsilon": repr(schedule)}
    assert len(sw.manifest["groups"]) == 1  # a number and a schedule, per agent in one call
    for c, epsilon in enumerate([0.1, schedule]):
        for i, root in enumerate([7, 3, 2**64 - 1]):
            single = fastq.train("FrozenLake-4x4", agents=1, episodes=15, seed=root, epsilon=epsilon)
            np.testing.assert_array_equal(sw.returns[c, i], single.returns[0])
            np.testing.assert_array_equal(sw.q[c, i], single.q[0])
    np.testing.assert_array_equal(sw.seeds, [7, 3, 2**64 - 1])
    np.testing.assert_array_equal(sw.seed_ids, [0, 0, 0])


@pytest.mark.slow
def test_extra_arrays_per_agent_and_per_run_survive_chunks_and_disk(tmp_path):
    # Double Q-learning's two tables are per agent; eval_every's checkpoint episodes (4 of them)
    # are per run -- with 4 agents per chunk only the probe in sweep() can tell them apart.
    sw = fastq.sweep("FrozenLake-4x4", algo=["double_q"], grid={"alpha": [0.1, 0.5]}, eval_every=5,
                     seeds=4, episodes=20, chunk_agents=4, out=tmp_path / "s", progress=False)
    assert sorted(sw.extra) == ["eval_success", "eval_value", "q_a", "q_b"]
    assert sw.extra["q_a"].shape == (2, 4, 16, 4) and sw.extra["eval_value"].shape == (2, 4, 4)
    single = fastq.train("FrozenLake-4x4", "double_q", agents=4, episodes=20, eval_every=5, alpha=0.5)
    for res in (sw.result(1), fastq.load(tmp_path / "s").result(1)):
        assert sorted(res.extra) == sorted(single.extra)
        for name, value in single.extra.items():
            np.testing.assert_array_equal(res.extra[name], value, err_msg=name)
        np.testing.assert_array_equal(res.q, single.q)


@pytest.mark.slow
def test_models_and_their_make_options():
    # A TabularMDP object, and a registered model whose make() override is an axis.
    mdp = fastq.make("MaxBias")
    sw = fastq.sweep(mdp, algo=["q_learning", "double_q"], seeds=3, episodes=10, progress=False)
    np.testing.assert_array_equal(sw.q[1], fastq.train(mdp, "double_q", agents=3, episodes=10).q)
    with cf.ThreadPoolExecutor(1) as pool:  # rebuilt from its arrays, as a worker does
        assert_same(fastq.sweep(mdp, algo=["q_learning", "double_q"], seeds=3, episodes=10,
                                executor=pool, progress=False), sw)
    sw = fastq.sweep("MaxBias", grid={"n_actions_b": [2, 5]}, seeds=3, episodes=10, progress=False)
    single = fastq.train(fastq.make("MaxBias", n_actions_b=5), agents=3, episodes=10)
    np.testing.assert_array_equal(sw.result(1).q, single.q)


def test_chunking_threads_and_thread_pool_do_not_change_numbers(reference):
    assert reference.manifest["chunk_agents"] >= 12  # in-process default: one chunk per algorithm
    assert len(reference.manifest["chunks"]) == 2
    for kwargs in (dict(chunk_agents=1), dict(chunk_agents=5, threads=1), dict(chunk_agents=7, threads=2)):
        if kwargs.get("threads", 1) > fastq._config.max_threads():
            continue
        assert_same(run(**kwargs), reference)
    with cf.ThreadPoolExecutor(2) as pool:
        sw = run(executor=pool)
    assert sw.meta["executor"] == "executor" and sw.meta["chunks"] == 8  # ~4 chunks per worker
    assert_same(sw, reference)


def test_train_arguments_are_read_from_train():
    names, per_agent, schedules = sweep_module.train_arguments()
    assert {"alpha", "gamma", "epsilon", "q_init", "tie_break", "backend"} <= set(names)
    assert not set(sweep_plan.RESERVED) & set(names)
    assert {"alpha", "gamma", "epsilon", "q_init"} <= per_agent
    assert "tie_break" not in per_agent and "backend" not in per_agent
    assert {"alpha", "epsilon"} <= schedules and "gamma" not in schedules


# ---------------------------------------------------------------------- statistics
# ---------------------------------------------------------------------- persistence and resume
def test_out_is_written_loaded_and_resumed_without_work(tmp_path, reference, monkeypatch):
    out = tmp_path / "sweep"
    sw = run(out=out, chunk_agents=5)
    assert_same(sw, reference)
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["format"] == "fastq-sweep" and len(manifest["chunks"]) == 6
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [f"chunk-{k:06d}.npz" for k in range(6)]
    loaded = fastq.load(out)
    assert_same(loaded, reference)
    assert loaded.cells == reference.cells and loaded.meta["chunks_done"] == 6
    with np.load(out / "chunks" / "chunk-000000.npz", allow_pickle=False) as data:  # no pickle
        assert sorted(data.files) == ["lengths", "meta", "q", "returns", "successes"]
        assert json.loads(str(data["meta"]))["range"] == [0, 0, 5]

    def boom(task):
        raise AssertionError("a finished chunk was run again")

    monkeypatch.setattr(sweep_module, "_run_chunk", boom)
    again = run(out=out)  # same configuration, chunk layout taken from the directory
    assert again.meta["chunks_run"] == 0 and again.meta["chunks_done"] == 6
    assert_same(again, reference)
    copy = tmp_path / "copy"
    loaded.save(copy)
    assert_same(fastq.load(copy), reference)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(episodes=31), r"episodes is 30 there, 31 here"),
        (dict(grid={"alpha": [0.1, 0.4]}), r"grid\['alpha'\] is \[0.1, 0.5\] there, \[0.1, 0.4\] here"),
        (dict(gamma=0.9), r"gamma is 1.0 there, 0.9 here"),
        (dict(seeds=7), r"seeds is \{'count': 6, 'seed': 11\} there"),
        (dict(algo="q_learning"), r"algo is \['q_learning', 'sarsa'\] there, 'q_learning' here"),
        (dict(slip=0.1), r"slip is None there, 0.1 here"),
    ],
)
def test_a_different_sweep_at_an_existing_out_is_refused(tmp_path, change, message):
    out = tmp_path / "sweep"
    run(out=out, chunk_agents=12)
    before = sorted(os.listdir(out / "chunks"))
    with pytest.raises(ValueError, match=r"out '.*' holds a different sweep: " + message):
        run(out=out, **change)
    assert sorted(os.listdir(out / "chunks")) == before


def test_out_that_is_not_a_sweep_or_another_chunking_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not a fastq sweep directory"):
        run(out=tmp_path)
    with pytest.raises(ValueError, match="is not a directory"):
        run(out=tmp_path / "notes.txt")
    run(out=tmp_path / "s", chunk_agents=12)
    with pytest.raises(ValueError, match="chunk_agents=5 differs from the 12"):
        run(out=tmp_path / "s", chunk_agents=5)
    with pytest.raises(ValueError, match="no sweep.json"):
        fastq.load(tmp_path)


def test_a_second_sweep_on_a_running_sweeps_out_is_refused_and_harms_nothing(tmp_path, reference, monkeypatch):
    # The first sweep is held in the middle of writing chunk 1 (its temporary file exists).
    out = tmp_path / "sweep"
    writing, resume = threading.Event(), threading.Event()
    real_write = store.atomic_write

    def held_write(path, write):
        def slow(fh):
            write(fh)
            if "chunk-000001" in path:
                writing.set()
                resume.wait(60)
        real_write(path, slow)

    monkeypatch.setattr(store, "atomic_write", held_write)
    with cf.ThreadPoolExecutor(1) as pool:
        first = pool.submit(run, out=out, chunk_agents=5)
        try:
            assert writing.wait(120)
            (in_flight,) = (out / "chunks").glob("*.tmp")
            for again in (dict(chunk_agents=5), dict(), dict(episodes=31)):
                with pytest.raises(ValueError, match=r"out '.*' is in use by another sweep \(pid") as info:
                    run(out=out, **again)
                assert info.value.argument == "out" and in_flight.exists()
        finally:
            resume.set()
        sw = first.result(timeout=120)
    assert_same(sw, reference)
    assert_same(fastq.load(out), reference)
    assert sorted(os.listdir(out)) == ["chunks", "sweep.json"]


def test_a_chunk_file_that_does_not_fit_is_run_again(tmp_path, reference):
    # Another sweep's chunk with this one's range (or a damaged meta): ignored with a warning.
    out = tmp_path / "sweep"
    run(out=out, chunk_agents=5)
    path = out / "chunks" / "chunk-000000.npz"
    with np.load(path) as data:
        meta = str(data["meta"])
    np.savez(path, returns=np.zeros((5, 7)), meta=np.array(meta))  # 7 episodes, not 30
    np.savez(out / "chunks" / "chunk-000001.npz", returns=np.zeros(3), meta=np.array("[1, 2]"))
    with pytest.warns(RuntimeWarning, match="it will be run again"):
        resumed = run(out=out)
    assert resumed.meta["chunks_run"] == 2
    assert_same(resumed, reference)


def test_partial_directory_loads_what_finished(tmp_path, reference):
    out = tmp_path / "sweep"
    run(out=out, chunk_agents=5)
    for k in (1, 4):
        (out / "chunks" / f"chunk-{k:06d}.npz").unlink()
    sw = fastq.load(out)
    assert not sw.complete and sw.done.sum() == 24 - 10
    assert np.isnan(sw.returns[~sw.done]).all() and (sw.lengths[~sw.done] == 0).all()
    np.testing.assert_array_equal(sw.returns[sw.done], reference.returns[sw.done])
    unfinished = int(np.flatnonzero(~sw.done.all(axis=1))[0])
    with pytest.raises(ValueError, match=f"cell {unfinished} has not finished"):
        sw.result(unfinished)
    rows = sw.summary(last=5)
    assert [r["seeds"] for r in rows] == sw.done.sum(axis=1).tolist()
    resumed = run(out=out)
    assert resumed.meta["chunks_run"] == 2
    assert_same(resumed, reference)


def _interrupting(monkeypatch, after: int, signals: int = 1):
    """_run_chunk sends ``signals`` real SIGINTs to this process at the end of chunk ``after``."""
    real = sweep_module._run_chunk
    calls = []

    def chunk(task):
        calls.append(task["chunk"])
        payload = real(task)
        if len(calls) == after:
            for _ in range(signals):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # let the main thread's handler run
        return payload

    monkeypatch.setattr(sweep_module, "_run_chunk", chunk)
    return calls


def test_ctrl_c_keeps_finished_chunks_and_resume_completes(tmp_path, reference, monkeypatch):
    out = tmp_path / "sweep"
    calls = _interrupting(monkeypatch, after=2)
    with pytest.warns(RuntimeWarning, match=r"sweep\(\) interrupted: 2 of 6 chunks finished"):
        sw = run(out=out, chunk_agents=4)
    assert calls == [0, 1] and sw.meta["interrupted"]
    assert sw.done.sum() == 8 and sorted(os.listdir(out / "chunks")) == ["chunk-000000.npz", "chunk-000001.npz"]
    np.testing.assert_array_equal(sw.returns[sw.done], reference.returns[sw.done])
    monkeypatch.undo()
    resumed = run(out=out)
    assert resumed.meta["chunks_run"] == 4 and not resumed.meta["interrupted"]
    assert_same(resumed, reference)


def test_second_ctrl_c_stops_at_once(monkeypatch, reference):
    # Two signals inside chunk 2: the second raises KeyboardInterrupt there; chunks 0 and 1 stay.
    real = sweep_module._run_chunk
    calls = []

    def chunk(task):
        calls.append(task["chunk"])
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        return real(task)

    monkeypatch.setattr(sweep_module, "_run_chunk", chunk)
    with pytest.warns(RuntimeWarning, match="2 of 6 chunks finished"):
        sw = run(chunk_agents=4)
    assert sw.done.sum() == 8
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_ctrl_c_with_an_executor_drops_chunks_not_started(monkeypatch, reference):
    calls = _interrupting(monkeypatch, after=1)
    with cf.ThreadPoolExecutor(1) as pool, pytest.warns(RuntimeWarning, match="sweep\\(\\) interrupted"):
        sw = run(executor=pool, chunk_agents=2)
    finished = sw.meta["chunks_done"]
    assert 1 <= finished < 12 and finished == len(calls)  # submitted ahead: 2 per worker at most
    assert finished <= 2
    np.testing.assert_array_equal(sw.returns[sw.done], reference.returns[sw.done])


# ---------------------------------------------------------------------- progress
def test_progress_bar_reports_agent_steps_per_second(capsys):
    run(progress=True, chunk_agents=12)
    err = capsys.readouterr().err
    assert "agent-steps/s" in err and "2/2" in err
    run(progress=None, chunk_agents=12)  # stderr is captured, not a terminal: no bar
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(grid={"alpha": [0.1, 0.0]}), ValueError, r"sweep cell 1 \(algo='q_learning', alpha=0.0\): alpha must be"),
        (dict(grid={"alha": [0.1]}), ValueError, r"grid: unknown setting 'alha'; a sweep takes .*alpha"),
        (dict(grid={"agents": [1]}), ValueError, r"'agents' is set by the sweep itself"),
        (dict(grid={"algo": ["sarsa"]}), ValueError, r"pass the algo axis as algo=\[...\]"),
        (dict(grid={"alpha": []}), ValueError, r"grid\['alpha'\] must hold at least one value"),
        (dict(grid={"alpha": [0.1, 0.1]}), ValueError, r"grid\['alpha'\] must not repeat a value"),
        (dict(grid={"alpha": 0.1}), TypeError, r"grid\['alpha'\] must be a list of values"),
        (dict(grid=[("alpha", [0.1])]), TypeError, r"grid must be a dict"),
        (dict(grid={"alpha": [object()]}), TypeError, r"cannot be part of a sweep"),
        (dict(slip=2.0), ValueError, r"sweep cell 0 .*: slip must be in the range 0 <= value <= 1, got 2.0"),
        (dict(gamma=1.5), ValueError, r"gamma must be"),
        (dict(planning_steps=3), ValueError, r"planning_steps applies to algo='dyna_q' only"),
        (dict(backend="gpu"), ValueError, r"backend must be one of 'numba', 'numpy', got 'gpu'"),
        (dict(algo=["q_learning", "q_learning"]), ValueError, r"algo must not list an algorithm twice"),
        (dict(algo="tdlambda"), ValueError, r"algo must be one of"),
        (dict(seeds=0), ValueError, r"seeds must be >= 1, got 0"),
        (dict(seeds=[], seed=None), ValueError, r"seeds must hold at least one seed"),
        (dict(seeds=[1, 1], seed=None), ValueError, r"seeds must be distinct"),
        (dict(seeds=[1, -1], seed=None), ValueError, r"seeds must hold integers in the range 0 <= value"),
        (dict(seeds=[1, 2]), ValueError, r"seed applies when seeds is a count"),
        (dict(seeds=2.5), TypeError, r"seeds must be a count or a sequence"),
        (dict(episodes=0), ValueError, r"episodes must be in the range 1 <= value"),
        (dict(executor="threads"), ValueError, r"executor must be None, 'processes', a concurrent"),
        (dict(executor=4), TypeError, r"executor must be None, 'processes'"),
        (dict(workers=2), ValueError, r"workers applies to executor='processes' only"),
        (dict(chunk_agents=0), ValueError, r"chunk_agents must be >= 1"),
        (dict(progress="yes"), TypeError, r"progress must be True, False or None"),
        (dict(env=42), TypeError, r"env must be an environment name"),
        (dict(env="Nowhere"), ValueError, r"unknown environment 'Nowhere'"),
        (dict(env=[fastq.GridWorld(["SG"]), fastq.GridWorld(["S.G"])]), ValueError, r"need different names"),
        (dict(env=["CliffWalking", "CliffWalking"]), ValueError, r"must not list the same environment twice"),
        (dict(env=fastq.make("CliffWalking").mdp, slip=0.1), ValueError, r"unknown setting 'slip'"),
    ],
)
def test_bad_input_is_refused_before_any_chunk_runs(monkeypatch, kwargs, error, message):
    def never(task):
        raise AssertionError("a chunk ran")

    monkeypatch.setattr(sweep_module, "_run_chunk", never)
    with pytest.raises(error, match=message):
        run(**kwargs)


def test_a_sweep_too_big_for_memory_is_refused(monkeypatch):
    monkeypatch.setattr(fastq._validate, "available_memory", lambda: 2**20)
    with pytest.raises(ValueError, match=r"sweep of 4 cells x 1000 seeds x 30 episodes would need about"):
        run(seeds=1000)


def test_a_bad_setting_is_named_in_the_error():
    with pytest.raises(ValueError) as info:
        run(grid={"alpha": [0.1, 2.0]})
    assert info.value.argument == "alpha"


# ---------------------------------------------------------------------- other processes
@pytest.mark.subprocess
def test_process_pool_gives_the_same_numbers(reference, worker_env, monkeypatch):
    for name in ("FASTQ_CACHE", "NUMBA_CACHE_DIR", "PYTHONPATH"):  # inherited by spawned workers
        monkeypatch.setenv(name, worker_env[name])
    sw = run(executor="processes", workers=2)
    assert sw.meta["executor"] == "processes" and sw.meta["workers"] == 2
    assert len({m["worker"] for m in sw.chunk_meta}) >= 1 and all(m["threads"] == 1 for m in sw.chunk_meta)
    assert_same(sw, reference)


@pytest.mark.dask
@pytest.mark.subprocess
def test_dask_local_cluster_gives_the_same_numbers(reference, worker_env):
    distributed = pytest.importorskip("distributed")
    env = {k: worker_env[k] for k in ("FASTQ_CACHE", "NUMBA_CACHE_DIR", "PYTHONPATH", "NUMBA_NUM_THREADS")}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as client:
        sw = run(executor=client)
        other = run(executor=client, chunk_agents=5)
    assert sw.meta["executor"] == "dask" and sw.meta["workers"] == 2
    workers = {m["worker"] for m in sw.chunk_meta}
    assert all(int(w.rsplit(":", 1)[1]) != os.getpid() for w in workers)  # ran elsewhere
    assert_same(sw, reference)
    assert_same(other, reference)


def _dask_command() -> list[str]:
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dask"]


@pytest.fixture(scope="module")
def dask_processes(worker_env, tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1; the scheduler's address."""
    pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    common = dict(env=worker_env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                  start_new_session=True)
    procs = [subprocess.Popen([*_dask_command(), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file)], **common)]
    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert procs[0].poll() is None, "dask scheduler exited"
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written at once, but let it be complete
        address = json.loads(scheduler_file.read_text())["address"]
        for name in ("w1", "w2"):
            procs.append(subprocess.Popen(
                [*_dask_command(), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--name", name, "--death-timeout", "60"], **common))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        if len(procs) == 3 and all(p.poll() is None for p in procs):
            try:  # the polite way: the scheduler stops its workers and itself
                from distributed import Client

                with Client(address, timeout="10s") as client:
                    client.shutdown()
            except Exception:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: this process and its children
                proc.wait(timeout=30)


@pytest.mark.dask
@pytest.mark.subprocess
def test_dask_scheduler_and_worker_processes_give_the_same_numbers(reference, dask_processes):
    from distributed import Client

    with Client(dask_processes, timeout="60s") as client:
        assert len(client.scheduler_info()["workers"]) == 2
        sw = run(executor=client)
    assert len({m["worker"] for m in sw.chunk_meta}) == 2  # both workers took chunks
    assert_same(sw, reference)


@pytest.mark.dask
@pytest.mark.subprocess
def test_cli_sweep_on_the_dask_scheduler(dask_processes, reference, tmp_path, capsys):
    config = tmp_path / "small.toml"
    config.write_text(textwrap.dedent("""\
        env = "CliffWalking"
        algo = ["q_learning", "sarsa"]
        episodes = 30
        seeds = 6
        seed = 11
        [grid]
        alpha = [0.1, 0.5]
        [params]
        gamma = 1.0
        """))
    from fastq import cli

    out = tmp_path / "out"
    assert cli.main(["sweep", str(config), "--scheduler", dask_processes, "--out", str(out), "--last", "5"]) == 0
    text = capsys.readouterr().out
    assert_same(fastq.load(out), reference)
    assert "4 cells x 6 seeds x 30 episodes" in text
    row = next(line.split() for line in text.splitlines() if line.startswith("3 "))
    assert row[:4] == ["3", "sarsa", "0.5", "6"]
    assert float(row[4]) == pytest.approx(reference.summary(last=5)[3]["mean"], abs=0.051)


KILLED_MID_WRITE = textwrap.dedent("""\
    import os, signal, sys
    import fastq
    real = os.replace

    def replace(src, dst):  # SIGKILL between chunk 2's write (flushed, synced) and its rename
        if dst.endswith("chunk-000002.npz"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(src, dst)

    os.replace = replace
    fastq.sweep("FrozenLake-8x8", grid={"alpha": [0.1, 0.5]}, seeds=8, episodes=50, out=sys.argv[1],
                chunk_agents=4, threads=1, progress=False)
    """)


@pytest.mark.subprocess
def test_sigkill_between_a_chunks_write_and_its_rename_loses_nothing(worker_env, tmp_path):
    out = tmp_path / "s"
    proc = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(out)], env=worker_env,
                          capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    chunks = out / "chunks"
    assert sorted(p.name for p in chunks.glob("chunk-*.npz")) == ["chunk-000000.npz", "chunk-000001.npz"]
    (left,) = chunks.glob("chunk-000002.npz.*.tmp")  # the whole chunk, never renamed
    assert left.stat().st_size > 0
    kwargs = dict(grid={"alpha": [0.1, 0.5]}, seeds=8, episodes=50, progress=False)
    resumed = fastq.sweep("FrozenLake-8x8", out=out, **kwargs)  # the lock died with its process
    assert resumed.meta["chunks_run"] == 2 and resumed.complete
    assert not list(chunks.glob("*.tmp")) and not (out / "sweep.lock").exists()
    assert_same(resumed, fastq.sweep("FrozenLake-8x8", **kwargs))


NO_GUARD = textwrap.dedent("""\
    import fastq
    fastq.sweep("FrozenLake-4x4", seeds=2, episodes=3, executor="processes", workers=1, progress=False)
    """)


@pytest.mark.subprocess
def test_processes_without_a_main_guard_say_what_to_do(worker_env, tmp_path):
    # spawn imports the script again in the worker, which calls sweep() again while it starts:
    # the pool breaks, and the user got a bare BrokenProcessPool.
    script = tmp_path / "unguarded.py"
    script.write_text(NO_GUARD)
    out = subprocess.run([sys.executable, str(script)], env=worker_env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("fastq._sweep.WorkersStopped: the worker processes of executor='processes' stopped")
    assert f"in {str(script)!r}, put the code that calls fastq.sweep under `if __name__ == \"__main__\":`" in last
    guarded = script.with_name("guarded.py")
    guarded.write_text("if __name__ == '__main__':\n" + textwrap.indent(NO_GUARD + "print('ok')\n", "    "))
    out = subprocess.run([sys.executable, str(guarded)], env=worker_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


KILLED = textwrap.dedent("""\
    import sys, fastq
    fastq.sweep("FrozenLake-8x8", grid={"alpha": [0.1, 0.3, 0.5]}, seeds=16, episodes=3000,
                out=sys.argv[1], chunk_agents=4, threads=1, progress=False)
    """)


@pytest.mark.subprocess
def test_resume_after_sigkill_gives_the_uninterrupted_numbers(worker_env, tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(out)], env=worker_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    chunks = out / "chunks"
    try:
        deadline = time.monotonic() + 300
        while not (chunks.is_dir() and len(list(chunks.glob("chunk-*.npz"))) >= 2):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no chunk finished in time"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    kept = len(list(chunks.glob("chunk-*.npz")))
    assert 2 <= kept < 12, f"{kept} of 12 chunks: the kill did not land half-way"
    (chunks / "chunk-000011.npz.x1y2.tmp").write_bytes(b"half a file")  # as a kill mid-write leaves
    kwargs = dict(grid={"alpha": [0.1, 0.3, 0.5]}, seeds=16, episodes=3000, progress=False)
    resumed = fastq.sweep("FrozenLake-8x8", out=out, **kwargs)
    assert resumed.meta["chunks_run"] == 12 - kept and resumed.complete
    assert not list(chunks.glob("*.tmp"))
    whole = fastq.sweep("FrozenLake-8x8", **kwargs)
    assert_same(resumed, whole)


# ---------------------------------------------------------------------------- prediction and loss
def test_a_prediction_sweep_holds_v_rms_error_and_loss_as_train_does(tmp_path):
    walk = fastq.make("RandomWalk-19")
    kwargs = dict(policy=walk.uniform_policy(), gamma=1.0, record_loss=True)
    sw = fastq.sweep(walk, "n_step_td", grid={"n": [1, 4], "alpha": [0.1, 0.4]}, seeds=3, episodes=10,
                     out=tmp_path / "walk", **kwargs)
    assert sw.q.shape == (4, 3, 21, 0) and sw.v.shape == (4, 3, 21)
    assert sw.per_episode("rms_error").shape == (4, 3, 11) and sw.per_episode("loss").shape == (4, 3, 10)
    cell = sw.index(n=4, alpha=0.4)
    one = fastq.train(walk, "n_step_td", agents=3, episodes=10, n=4, alpha=0.4, seed=0, **kwargs)
    got = sw.result(cell)
    assert np.array_equal(got.v, one.v)
    assert np.array_equal(got.extra["rms_error"], one.extra["rms_error"])
    assert np.array_equal(got.extra["loss"], one.extra["loss"])
    # Figure 7.2's measure: the RMS error averaged over the first 10 episodes, per seed.
    assert np.allclose(sw.final("rms_error", last=10)[cell], one.extra["rms_error"][:, 1:].mean(axis=1))
    back = fastq.load(tmp_path / "walk")
    assert np.array_equal(back.v, sw.v) and back.metrics == ["return", "length", "success", "loss", "rms_error"]


def test_a_metric_the_sweep_does_not_record_is_refused_by_name():
    sw = run(seeds=2, episodes=4)
    assert sw.v is None and sw.metrics == ["return", "length", "success"]
    for metric, cause in (("loss", "record_loss=True"), ("rms_error", "prediction learners")):
        with pytest.raises(ValueError, match=f"metric '{metric}' is not recorded here: .*{cause}") as info:
            sw.final(metric)
        assert info.value.argument == "metric"
