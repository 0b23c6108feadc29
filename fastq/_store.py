"""The on-disk store of results: atomic writes, the sweep directory's manifest and chunk files.

A sweep directory holds ``sweep.json`` (the manifest: configuration, cells, groups, chunks) and
``chunks/chunk-000000.npz ...`` (one file per finished chunk: arrays plus its meta as a JSON
string).  Every file -- these and :meth:`fastq.Result.save`'s -- is written by
:func:`atomic_write`: to a temporary file beside it, flushed to disk (``fsync``) and renamed, so
that a reader, a killed run or a crash sees the old file or the whole new one, never a part.
No pickle anywhere.

Agents of a chunk are cell-major: agent ``j`` of group ``g``'s population is seed index
``j % seeds`` of the group's cell ``j // seeds`` (:func:`chunk_pairs`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from ._validate import ArgumentError

#: File and folder names inside a sweep directory.
MANIFEST = "sweep.json"
CHUNKS = "chunks"
#: ``format`` and ``version`` of the manifest.
SWEEP_FORMAT, SWEEP_VERSION = "fastq-sweep", 1


def atomic_write(path: str, write) -> None:
    """Write ``path`` by calling ``write(binary file)`` on a temporary file beside it, then
    renaming it (``os.replace``): readers see the old file or the whole new one, never a part."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_manifest(folder: str, manifest: dict) -> None:
    text = json.dumps(manifest, indent=1, allow_nan=True)
    atomic_write(os.path.join(folder, MANIFEST), lambda fh: fh.write(text.encode()))


def read_manifest(folder: str) -> dict:
    """The manifest of the sweep directory ``folder``; ValueError if it is not one."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise ValueError(f"{folder!r} is not a fastq sweep directory: it has no {MANIFEST}")
    with open(path, encoding="utf-8") as fh:
        try:
            manifest = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path!r} is not a valid sweep manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SWEEP_FORMAT:
        raise ValueError(f"{path!r} is not a fastq sweep manifest (no format {SWEEP_FORMAT!r})")
    if manifest.get("version") != SWEEP_VERSION:
        raise ValueError(
            f"{path!r} has sweep format version {manifest.get('version')!r}; this fastq reads "
            f"version {SWEEP_VERSION}")
    return manifest


def chunk_path(folder: str, chunk: int) -> str:
    return os.path.join(folder, CHUNKS, f"chunk-{chunk:06d}.npz")


def write_chunk(folder: str, chunk: int, payload: dict) -> None:
    """Write one finished chunk: its arrays (``(chunk agents, ...)``) and its meta as JSON."""
    arrays = dict(payload["arrays"])
    arrays["meta"] = np.array(json.dumps(payload["meta"]))
    atomic_write(chunk_path(folder, chunk), lambda fh: np.savez(fh, **arrays))


def read_chunk(folder: str, chunk: int) -> dict | None:
    """The payload of a chunk file, or None if it is missing or unreadable."""
    path = chunk_path(folder, chunk)
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in data.files if k != "meta"}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        warnings.warn(f"ignoring unreadable chunk file {path!r} ({exc}); it will be run again",
                      RuntimeWarning, stacklevel=3)
        return None
    return {"arrays": arrays, "meta": meta}


def chunk_agents(manifest: dict, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(position of the cell in its group, seed index) of every agent of a chunk, in the
    chunk's agent order: a group's population is cell-major."""
    g, start, stop = manifest["chunks"][chunk]
    agents = np.arange(start, stop)
    n_seeds = len(manifest["streams"])
    return agents // n_seeds, agents % n_seeds


def chunk_pairs(manifest: dict, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(cell, seed index) of every agent of a chunk, in the chunk's agent order.

    Examples
    --------
    >>> manifest = {"chunks": [[0, 1, 5]], "groups": [{"cells": [3, 4]}], "streams": [[0, 0]] * 3}
    >>> [a.tolist() for a in chunk_pairs(manifest, 0)]
    [[3, 3, 4, 4], [1, 2, 0, 1]]
    """
    positions, seeds = chunk_agents(manifest, chunk)
    cells = np.asarray(manifest["groups"][manifest["chunks"][chunk][0]]["cells"], dtype=np.int64)
    return cells[positions], seeds


def open_out(out: str, manifest: dict, chunk_agents) -> dict:
    """Create ``out`` with this manifest, or check that it holds this sweep and adopt its layout."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("out", f"out {out!r} exists and is not a directory")
    if os.path.isfile(os.path.join(out, MANIFEST)):
        stored = read_manifest(out)
        if stored["config"] != manifest["config"]:
            raise ArgumentError("out", f"out {out!r} holds a different sweep: {difference(stored['config'], manifest['config'])}. "
                             "Use another out directory, or delete this one to start over")
        if chunk_agents is not None and chunk_agents != stored["chunk_agents"]:
            raise ArgumentError("chunk_agents", f"chunk_agents={chunk_agents} differs from the {stored['chunk_agents']} the "
                             f"sweep in {out!r} started with; leave chunk_agents out to resume it")
        for tmp in glob.glob(os.path.join(glob.escape(out), "chunks", "chunk-*.npz.*.tmp")):
            with contextlib.suppress(OSError):  # left by a killed run
                os.remove(tmp)
        return stored
    if os.path.isdir(out) and os.listdir(out):
        raise ArgumentError("out", f"out {out!r} exists and is not a fastq sweep directory (no {MANIFEST}); "
                         "choose a new or empty directory")
    os.makedirs(os.path.join(out, "chunks"), exist_ok=True)
    write_manifest(out, manifest)
    return manifest


def difference(stored: dict, new: dict) -> str:
    """The first setting that differs between two sweep configurations, in words."""
    for key in ("env", "algo", "episodes", "seeds"):
        if stored.get(key) != new.get(key):
            return f"{key} is {stored.get(key)!r} there, {new.get(key)!r} here"
    old_grid, new_grid = dict(map(tuple, stored["grid"])), dict(map(tuple, new["grid"]))
    for key in list(old_grid) + [k for k in new_grid if k not in old_grid]:
        if old_grid.get(key) != new_grid.get(key):
            return f"grid[{key!r}] is {old_grid.get(key)!r} there, {new_grid.get(key)!r} here"
    if list(old_grid) != list(new_grid):
        return f"the grid axes are {list(old_grid)} there, {list(new_grid)} here"
    for key in sorted(set(stored["params"]) | set(new["params"])):
        if stored["params"].get(key) != new["params"].get(key):
            return f"{key} is {stored['params'].get(key)!r} there, {new['params'].get(key)!r} here"
    return "the configurations differ"
