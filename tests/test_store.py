"""fastq._store: atomic writes, the manifest and chunk files of a sweep directory."""

import json
import os

import numpy as np
import pytest

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


def test_atomic_write_syncs_before_it_renames(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: order.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: order.append("replace") or real_replace(a, b))
    store.atomic_write(str(tmp_path / "f"), lambda fh: fh.write(b"x"))
    assert order == ["fsync", "replace"]


MANIFEST = {"format": store.SWEEP_FORMAT, "version": store.SWEEP_VERSION, "config": {"episodes": 3},
            "chunks": [[0, 0, 4], [0, 4, 6]], "groups": [{"cells": [2, 5]}], "streams": [[0, 0]] * 3}


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
    assert store.open_out(out, MANIFEST, None) == MANIFEST and os.path.isdir(os.path.join(out, "chunks"))
    stored = {**MANIFEST, "chunk_agents": 4}
    store.write_manifest(out, stored)
    assert store.open_out(out, {**MANIFEST, "chunk_agents": 8}, None) == stored  # its own layout
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


def test_difference_names_the_first_setting_that_differs():
    a = {"env": "X", "algo": "q", "episodes": 1, "seeds": 2, "grid": [["alpha", [0.1]]], "params": {"gamma": 1.0}}
    assert store.difference(a, {**a, "grid": [["alpha", [0.2]]]}) == "grid['alpha'] is [0.1] there, [0.2] here"
    assert store.difference(a, {**a, "params": {"gamma": 0.9}}) == "gamma is 1.0 there, 0.9 here"
    assert store.difference(a, dict(a)) == "the configurations differ"
