"""fastq._store: atomic writes, the manifest and chunk files of a sweep directory."""

import concurrent.futures as cf
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import fastq
from fastq import _store as store


def test_atomic_write_replaces_the_whole_file_or_nothing(tmp_path):
    path = str(tmp_path / "f.bin")
    store.atomic_write(path, lambda fh: fh.write(b"old"))

    def fail(fh):
        fh.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        store.atomic_write(path, fail)
    assert open(path, "rb").read() == b"old" and os.listdir(tmp_path) == ["f.bin"]
    store.atomic_write(path, lambda fh: fh.write(b"new"))
    assert open(path, "rb").read() == b"new" and os.listdir(tmp_path) == ["f.bin"]


def test_atomic_write_syncs_the_file_before_it_renames_and_the_folder_after(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: order.append("replace") or real_replace(a, b))
    store.atomic_write(str(tmp_path / "f"), lambda fh: fh.write(b"x"))
    assert order == ["fsync", "replace", "fsync"]


@pytest.mark.parametrize("fault", ["fsync", "replace", "write"])
def test_a_failing_fsync_rename_or_full_disk_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch, fault):
    path = str(tmp_path / "f")
    store.atomic_write(path, lambda fh: fh.write(b"old"))

    def fail(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if fault == "write":
        write = lambda fh: fh.write(b"new") and fail()  # noqa: E731 - a disk that fills up mid-file
    else:
        monkeypatch.setattr(os, fault, fail)
        write = lambda fh: fh.write(b"new")  # noqa: E731
    with pytest.raises(OSError, match="No space left"):
        store.atomic_write(path, write)
    monkeypatch.undo()
    assert open(path, "rb").read() == b"old" and os.listdir(tmp_path) == ["f"]


def test_concurrent_writers_never_share_a_temporary_file(tmp_path, monkeypatch):
    # Slow fsyncs make the writers overlap: with one shared temporary name (the old
    # "{path}.tmp-{pid}"), three threads wrote one file and most results were unreadable.
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: time.sleep(0.01) or real_fsync(fd))
    path = str(tmp_path / "r.npz")
    payloads = [np.full(50_000, k, dtype=np.int64) for k in range(3)]

    def save(k):
        store.atomic_write(path, lambda fh: np.savez(fh, a=payloads[k]))
        with np.load(path) as data:  # whoever won, the file is whole
            assert data["a"].shape == (50_000,) and len(set(data["a"][[0, -1]].tolist())) == 1

    for _ in range(5):
        with cf.ThreadPoolExecutor(3) as pool:
            list(pool.map(save, range(3)))
        assert os.listdir(tmp_path) == ["r.npz"]


def test_files_are_created_with_the_umask_not_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        store.atomic_write(str(tmp_path / "a"), lambda fh: fh.write(b"x"))
        os.umask(0o077)
        store.atomic_write(str(tmp_path / "b"), lambda fh: fh.write(b"x"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == 0o600


MANIFEST = {"format": store.SWEEP_FORMAT, "version": store.SWEEP_VERSION, "config": {"episodes": 3},
            "chunks": [[0, 0, 4], [0, 4, 6]], "groups": [{"cells": [2, 5], "q_shape": [16, 4]},
                                                         {"cells": [0, 1, 3, 4], "q_shape": [16, 4]}],
            "streams": [[0, 0], [0, 1], [0, 2]], "axes": [["alpha", [1, 2, 3, 4, 5, 6]]],
            "cells": [{"alpha": k} for k in range(1, 7)], "cell_args": [{}] * 6, "seeds": {"count": 3},
            "episodes": 3, "chunk_agents": 4, "env_label": "FrozenLake-4x4"}


def test_manifest_round_trip_and_refusals(tmp_path):
    store.write_manifest(str(tmp_path), MANIFEST)
    assert store.read_manifest(str(tmp_path)) == MANIFEST
    with pytest.raises(ValueError, match="is not a fastq sweep directory: it has no sweep.json"):
        store.read_manifest(str(tmp_path / "missing"))
    (tmp_path / store.MANIFEST).write_text(json.dumps({**MANIFEST, "version": 99}))
    with pytest.raises(ValueError, match="has sweep format version 99; this fastq reads version 1"):
        store.read_manifest(str(tmp_path))
    (tmp_path / store.MANIFEST).write_text("{")
    with pytest.raises(ValueError, match="is not a valid sweep manifest"):
        store.read_manifest(str(tmp_path))
    (tmp_path / store.MANIFEST).write_bytes(b"\xff\xfe not UTF-8")
    with pytest.raises(ValueError, match="is not a valid sweep manifest"):
        store.read_manifest(str(tmp_path))
    with pytest.raises(ValueError, match="it has no sweep.json; .* is a file: give the sweep's folder"):
        store.read_manifest(str(tmp_path / store.MANIFEST))


@pytest.mark.parametrize("change, problem", [
    ({"cells": None}, "the key 'cells' is missing"),
    ({"episodes": "3"}, "'episodes' must be a JSON int, got str"),
    ({"streams": [[0, -1]] * 3}, "'streams' must list"),
    ({"chunks": [[0, 0, 9]]}, r"chunk \[0, 0, 9\] lies outside its group's agents"),
    ({"chunks": [[2, 0, 1]]}, "every chunk must be"),
    ({"groups": [{"cells": [2, 5], "q_shape": [16, 4]}]}, "the groups must hold every cell once"),
    ({"cell_args": []}, "'cells' and 'cell_args' must list one table per cell"),
])
def test_a_manifest_missing_what_a_sweep_reads_is_refused_by_name(tmp_path, change, problem):
    manifest = {**MANIFEST, **change}
    manifest = {k: v for k, v in manifest.items() if v is not None}
    (tmp_path / store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="is not a valid sweep manifest: " + problem):
        store.read_manifest(str(tmp_path))
    with pytest.raises(ValueError, match=problem):
        fastq.load(tmp_path)  # what `fastq.load` and a resumed sweep say, instead of a KeyError


def test_chunk_round_trip_and_an_unreadable_chunk(tmp_path):
    os.makedirs(tmp_path / store.CHUNKS)
    payload = {"arrays": {"returns": np.arange(6.0).reshape(2, 3)}, "meta": {"chunk": 1, "range": [0, 4, 6]}}
    store.write_chunk(str(tmp_path), 1, payload)
    back = store.read_chunk(str(tmp_path), 1)
    assert back["meta"] == payload["meta"]
    np.testing.assert_array_equal(back["arrays"]["returns"], payload["arrays"]["returns"])
    assert store.read_chunk(str(tmp_path), 0) is None
    open(store.chunk_path(str(tmp_path), 0), "wb").write(b"not a zip")
    with pytest.warns(RuntimeWarning, match="ignoring unreadable chunk file"):
        assert store.read_chunk(str(tmp_path), 0) is None


def test_chunk_agents_are_cell_major():
    positions, seeds = store.chunk_agents(MANIFEST, 0)
    assert positions.tolist() == [0, 0, 0, 1] and seeds.tolist() == [0, 1, 2, 0]
    cells, seeds = store.chunk_pairs(MANIFEST, 1)
    assert cells.tolist() == [5, 5] and seeds.tolist() == [1, 2]


def test_open_out_creates_adopts_or_refuses(tmp_path):
    out = str(tmp_path / "s")
    manifest, owner = store.open_out(out, MANIFEST, None)
    owner.release()
    assert manifest == MANIFEST and os.path.isdir(os.path.join(out, "chunks"))
    assert sorted(os.listdir(out)) == ["chunks", "sweep.json"]  # the lock goes with its owner
    stored = {**MANIFEST, "chunk_agents": 4}
    store.write_manifest(out, stored)
    manifest, owner = store.open_out(out, {**MANIFEST, "chunk_agents": 8}, None)
    owner.release()
    assert manifest == stored  # its own layout
    with pytest.raises(ValueError, match="chunk_agents=8 differs from the 4") as info:
        store.open_out(out, MANIFEST, 8)
    assert info.value.argument == "chunk_agents"
    with pytest.raises(ValueError, match="holds a different sweep: episodes is 3 there, 4 here") as info:
        store.open_out(out, {**MANIFEST, "config": {"episodes": 4}}, None)
    assert info.value.argument == "out"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("")
    with pytest.raises(ValueError, match="is not a fastq sweep directory"):
        store.open_out(str(tmp_path / "other"), MANIFEST, None)
    assert os.listdir(tmp_path / "other") == ["x"]  # nothing written into someone else's folder
    store.Owner(out).release()  # every refusal released the lock (else: OwnedError)


def test_a_second_writer_is_refused_and_the_owners_temporaries_survive(tmp_path):
    out = str(tmp_path / "s")
    manifest, owner = store.open_out(out, MANIFEST, None)
    in_flight = os.path.join(out, "chunks", "chunk-000001.npz.a1b2c3.tmp")  # a chunk being written
    open(in_flight, "wb").write(b"half")
    with pytest.raises(ValueError, match=rf"out '.*' is in use by another sweep \(pid {os.getpid()} on host") as info:
        store.open_out(out, MANIFEST, None)
    assert info.value.argument == "out" and info.value.owner["pid"] == os.getpid()
    assert os.path.exists(in_flight)
    owner.release()
    _, owner = store.open_out(out, MANIFEST, None)  # the next owner removes what a writer left
    owner.release()
    assert not os.path.exists(in_flight)


def test_two_owners_of_a_new_out_at_once_one_wins(tmp_path):
    out = str(tmp_path / "new")
    barrier = threading.Barrier(8)

    def claim(k):
        barrier.wait()
        try:
            return store.open_out(out, {**MANIFEST, "config": {"episodes": 3}}, None)[1]
        except store.OwnedError:
            return None

    with cf.ThreadPoolExecutor(8) as pool:
        owners = list(pool.map(claim, range(8)))
    winners = [o for o in owners if o is not None]
    assert len(winners) >= 1
    for o in winners:  # one at a time: a winner got the lock after the previous one released it
        o.release()
    assert store.read_manifest(out)["config"] == {"episodes": 3}


@pytest.mark.subprocess
def test_a_lock_dies_with_its_process_even_by_sigkill(tmp_path):
    out = str(tmp_path / "s")
    script = ("import sys, time, json\nfrom fastq import _store as store\n"
              "m = json.loads(sys.argv[2])\n_, owner = store.open_out(sys.argv[1], m, None)\n"
              "print('owned', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, out, json.dumps(MANIFEST)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "owned"
        with pytest.raises(store.OwnedError, match=f"pid {proc.pid}"):
            store.open_out(out, MANIFEST, None)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert os.path.exists(os.path.join(out, store.LOCK))  # left behind, but not held
    manifest, owner = store.open_out(out, MANIFEST, None)
    owner.release()
    assert manifest == MANIFEST


def test_a_failed_creation_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store, "write_manifest", full)
    with pytest.raises(OSError, match="No space left"):
        store.open_out(str(tmp_path / "new"), MANIFEST, None)
    assert os.listdir(tmp_path) == []


def test_difference_names_the_first_setting_that_differs():
    a = {"env": "X", "algo": "q", "episodes": 1, "seeds": 2, "grid": [["alpha", [0.1]]], "params": {"gamma": 1.0}}
    assert store.difference(a, {**a, "grid": [["alpha", [0.2]]]}) == "grid['alpha'] is [0.1] there, [0.2] here"
    assert store.difference(a, {**a, "params": {"gamma": 0.9}}) == "gamma is 1.0 there, 0.9 here"
    assert store.difference(a, dict(a)) == "the configurations differ"
