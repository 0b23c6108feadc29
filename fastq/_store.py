"""The on-disk store of results: atomic writes, the sweep directory's manifest and chunk files.

A sweep directory holds ``sweep.json`` (the manifest: configuration, cells, groups, chunks) and
``chunks/chunk-000000.npz ...`` (one file per finished chunk: arrays plus its meta as a JSON
string).  Every file -- these and :meth:`fastq.Result.save`'s -- is written by
:func:`atomic_write`: to a temporary file beside it, flushed to disk (``fsync``) and renamed, so
that a reader, a killed run or a crash sees the old file or the whole new one, never a part.
No pickle anywhere.

A sweep directory has one writer at a time: :class:`Owner` holds ``sweep.lock`` while a sweep
writes there (a lock the system releases when its process ends, even by ``SIGKILL``), so a
second sweep on the same ``out`` is refused with the owner's host and pid instead of mixing its
chunks into the first one's, and the temporary files a killed writer left are removed only by
the next owner.

Agents of a chunk are cell-major: agent ``j`` of group ``g``'s population is seed index
``j % seeds`` of the group's cell ``j // seeds`` (:func:`chunk_pairs`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import socket
import time
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
    renaming it (``os.replace``): readers see the old file or the whole new one, never a part.

    The temporary file has a name of its own (``{path}.{random}.tmp``, created exclusively), so
    writers in several threads or processes -- containers with the same pid included -- never
    share one; the last rename wins and every reader sees one whole file.  It is flushed to disk
    (``fsync``) before the rename, and the folder after it, so that a crash keeps the old file
    or the whole new one.  It is created with mode ``0o666`` less the umask, as ``open`` would.
    On any error (a full disk, a failing ``fsync`` or rename, Ctrl-C) the temporary file is
    removed and the old file is left as it was.
    """
    folder = os.path.dirname(path) or "."
    while True:
        tmp = f"{path}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits taken: draw again
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flush a folder's entries (a rename) to disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows opens no folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def write_manifest(folder: str, manifest: dict) -> None:
    text = json.dumps(manifest, indent=1, allow_nan=True)
    atomic_write(os.path.join(folder, MANIFEST), lambda fh: fh.write(text.encode()))


def read_manifest(folder: str) -> dict:
    """The manifest of the sweep directory ``folder``; ValueError if it is not one, or if its
    manifest lacks what :class:`fastq.SweepResult` reads (a key, or one of the wrong type)."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        hint = (f"; {folder!r} is a file: give the sweep's folder" if os.path.basename(folder) == MANIFEST
                and os.path.isfile(folder) else "")
        raise ValueError(f"{folder!r} is not a fastq sweep directory: it has no {MANIFEST}{hint}")
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path!r} is not a valid sweep manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SWEEP_FORMAT:
        raise ValueError(f"{path!r} is not a fastq sweep manifest (no format {SWEEP_FORMAT!r})")
    if manifest.get("version") != SWEEP_VERSION:
        raise ValueError(
            f"{path!r} has sweep format version {manifest.get('version')!r}; this fastq reads "
            f"version {SWEEP_VERSION}")
    problem = manifest_problem(manifest)
    if problem:
        raise ValueError(f"{path!r} is not a valid sweep manifest: {problem}")
    return manifest


#: What a manifest holds (besides ``format`` and ``version``), and the JSON type of each entry.
MANIFEST_KEYS = {"config": dict, "axes": list, "cells": list, "cell_args": list, "seeds": dict,
                 "streams": list, "episodes": int, "groups": list, "chunk_agents": int, "chunks": list,
                 "env_label": str}


def _ints(value, n: int | None = None) -> bool:
    return (isinstance(value, list) and (n is None or len(value) == n)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value))


def manifest_problem(manifest: dict) -> str | None:
    """What is wrong with a manifest's content, in words; None if nothing is.

    Examples
    --------
    >>> manifest_problem({"config": {}})
    "the key 'axes' is missing"
    """
    for key, kind in MANIFEST_KEYS.items():
        if key not in manifest:
            return f"the key {key!r} is missing"
        if not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            return f"{key!r} must be a JSON {kind.__name__}, got {type(manifest[key]).__name__}"
    cells, streams = len(manifest["cells"]), manifest["streams"]
    if len(manifest["cell_args"]) != cells or not all(isinstance(c, dict) for c in manifest["cells"]):
        return "'cells' and 'cell_args' must list one table per cell"
    if not all(_ints(s, 2) and all(0 <= v < 2**64 for v in s) for s in streams):
        return "'streams' must list [root seed, stream id] pairs"
    if manifest["episodes"] < 1 or manifest["chunk_agents"] < 1:
        return "'episodes' and 'chunk_agents' must be >= 1"
    if not all(isinstance(a, list) and len(a) == 2 and isinstance(a[0], str) for a in manifest["axes"]):
        return "'axes' must list [name, values] pairs"
    grouped = []
    for g in manifest["groups"]:
        if not isinstance(g, dict) or not _ints(g.get("cells")) or not _ints(g.get("q_shape"), 2):
            return "every group needs 'cells' and 'q_shape' (lists of integers)"
        grouped += g["cells"]
    if sorted(grouped) != list(range(cells)):
        return "the groups must hold every cell once"
    for chunk in manifest["chunks"]:
        if not _ints(chunk, 3) or not 0 <= chunk[0] < len(manifest["groups"]):
            return "every chunk must be [group, first agent, agent after the last]"
        g, start, stop = chunk
        if not 0 <= start < stop <= len(manifest["groups"][g]["cells"]) * len(streams):
            return f"chunk {chunk} lies outside its group's agents"
    return None


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
        if not isinstance(meta, dict):
            raise ValueError("its meta is not a JSON object")
    except (OSError, ValueError, KeyError, AttributeError, zipfile.BadZipFile, EOFError) as exc:
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


def open_out(out: str, manifest: dict, chunk_agents, *, argument: str = "out") -> tuple[dict, "Owner"]:
    """Own ``out`` and create it with this manifest, or check that it holds this sweep and adopt
    its layout; ``(manifest, owner)``.  The caller releases the owner when it is done writing.

    ``out`` is owned (:class:`Owner`) before it is read, so two sweeps started at once on a new
    ``out`` cannot both write a manifest there.  Temporary files left by a killed writer are
    removed then, never those of a running one.  If anything fails before the manifest is
    written, the folders this call created are removed: nothing is left half-made.  Errors
    name ``argument`` (``out``, or ``folder`` for :meth:`fastq.SweepResult.save`).
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError(argument, f"{argument} {out!r} exists and is not a directory")
    if _foreign(out):  # checked before anything is written there
        raise ArgumentError(argument, f"{argument} {out!r} exists and is not a fastq sweep directory (no {MANIFEST}); "
                                   "choose a new or empty directory")
    created = [p for p in (out, os.path.join(out, CHUNKS)) if not os.path.isdir(p)]
    owner = None
    try:
        try:
            os.makedirs(os.path.join(out, CHUNKS), exist_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot create the sweep directory {out!r}: {exc.strerror or exc}") from None
        owner = Owner(out, argument)
        if os.path.isfile(os.path.join(out, MANIFEST)):
            try:
                stored = read_manifest(out)
            except ValueError as exc:
                raise ArgumentError(argument, str(exc)) from None
            if stored["config"] != manifest["config"]:
                raise ArgumentError(argument, f"{argument} {out!r} holds a different sweep: {difference(stored['config'], manifest['config'])}. "
                                           f"Use another {argument} directory, or delete this one to start over")
            if chunk_agents is not None and chunk_agents != stored["chunk_agents"]:
                raise ArgumentError("chunk_agents", f"chunk_agents={chunk_agents} differs from the {stored['chunk_agents']} the "
                                                    f"sweep in {out!r} started with; leave chunk_agents out to resume it")
            owner.clean()
            return stored, owner
        if _foreign(out):
            raise ArgumentError(argument, f"{argument} {out!r} exists and is not a fastq sweep directory (no {MANIFEST}); "
                                       "choose a new or empty directory")
        owner.clean()
        write_manifest(out, manifest)
        return manifest, owner
    except BaseException as exc:
        if owner is not None:
            owner.release()
        if not isinstance(exc, OwnedError):  # the folders are not another sweep's
            for path in reversed(created):
                with contextlib.suppress(OSError):
                    os.rmdir(path)
        raise


def _foreign(out: str) -> bool:
    """Whether ``out`` holds files that are not a sweep's (no manifest, other entries)."""
    if not os.path.isdir(out) or os.path.isfile(os.path.join(out, MANIFEST)):
        return False
    listed = os.listdir(out)
    if MANIFEST in listed:  # written since the check above, by the sweep that owns it
        return False
    entries = [e for e in listed if e not in (CHUNKS, LOCK) and not (e.startswith(MANIFEST + ".") and e.endswith(".tmp"))]
    chunks = os.path.join(out, CHUNKS)
    chunk_files = os.path.isdir(chunks) and bool(os.listdir(chunks))
    return (bool(entries) or chunk_files) and not os.path.isfile(os.path.join(out, MANIFEST))


LOCK = "sweep.lock"


class Owner:
    """The one writer of a sweep directory: holds ``{folder}/sweep.lock`` until :meth:`release`.

    Where the system has ``fcntl`` (Linux, macOS), the lock is an exclusive ``flock`` on that
    file, which the system releases when the process ends in any way (``SIGKILL`` included): a
    lock can never be stale.  Elsewhere the file is created exclusively, and one left by a
    killed process must be deleted by hand (the message says so).  The file holds the owner's
    host, pid and start time, for the message a second writer gets (:class:`OwnedError`).
    """

    def __init__(self, folder: str, argument: str = "out"):
        self.folder, self.path, self.argument = folder, os.path.join(folder, LOCK), argument
        self._fd = None
        me = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self._text = json.dumps(me).encode()
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            self._create()
        else:
            self._flock(fcntl)

    def _flock(self, fcntl) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_owner(fd)
                os.close(fd)
                raise OwnedError(self.folder, holder, self.argument) from None
            except BaseException:
                os.close(fd)
                raise
            try:  # the file may have been released (unlinked) between open and flock: open it again
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, self._text)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _create(self) -> None:  # pragma: no cover - Windows
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            with open(self.path, "rb") as fh:
                holder = _parse_owner(fh.read())
            raise OwnedError(self.folder, holder, self.argument, stale_hint=self.path) from None
        os.write(fd, self._text)
        self._fd = fd

    def clean(self) -> None:
        """Remove the temporary files a killed writer left (only the owner may)."""
        pattern = [os.path.join(glob.escape(self.folder), CHUNKS, "chunk-*.npz.*.tmp"),
                   os.path.join(glob.escape(self.folder), MANIFEST + ".*.tmp")]
        for tmp in glob.glob(pattern[0]) + glob.glob(pattern[1]):
            with contextlib.suppress(OSError):
                os.remove(tmp)

    def release(self) -> None:
        """Give the directory up (removes the lock file; idempotent)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.remove(self.path)  # while still locked: a waiting opener sees another file and retries
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


class OwnedError(ArgumentError):
    """``out`` is being written by another sweep (``.argument`` is ``"out"``, or ``"folder"``; ``.owner`` the
    holder's ``host``, ``pid`` and ``since``, or None if unknown)."""

    def __init__(self, folder: str, owner: dict | None, argument: str = "out", stale_hint: str | None = None):
        who = (f" (pid {owner.get('pid')} on host {owner.get('host')!r}, since {owner.get('since')})"
               if owner else "")
        hint = f"; if no sweep runs there any more, delete {stale_hint!r}" if stale_hint else ""
        super().__init__(argument, f"{argument} {folder!r} is in use by another sweep{who}; wait until it "
                                   f"finishes (then run this sweep again to share its results), or choose "
                                   f"another {argument}{hint}")
        self.owner = owner


def _read_owner(fd: int) -> dict | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return _parse_owner(os.read(fd, 4096))
    except OSError:  # pragma: no cover
        return None


def _parse_owner(data: bytes) -> dict | None:
    try:
        owner = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return owner if isinstance(owner, dict) else None


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
