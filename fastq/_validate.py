"""Boundary checks shared by every entry point.

Every public function validates its arguments with these helpers before anything is compiled or
allocated, so that nothing invalid can reach a numba kernel (numba does not bounds-check).  Each
error names the argument, the value received and what is allowed.
"""

from __future__ import annotations

import numbers
import os

import numpy as np


class ArgumentError(ValueError):
    """A value outside what an argument allows; :attr:`argument` names the argument.

    The message names it too; the attribute lets a front-end (the sweep, the configuration
    reader) point at the setting without reading the message.

    Examples
    --------
    >>> from fastq._validate import ArgumentError, integer
    >>> try:
    ...     integer("agents", 0, low=1)
    ... except ArgumentError as exc:
    ...     exc.argument, str(exc)
    ('agents', 'agents must be >= 1, got 0')
    """

    def __init__(self, argument: str, message: str):
        super().__init__(message)
        self.argument = argument


class ArgumentTypeError(TypeError):
    """An argument of a type it does not accept; :attr:`argument` names the argument."""

    def __init__(self, argument: str, message: str):
        super().__init__(message)
        self.argument = argument


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as a Python int, checking its type and ``low <= value <= high``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(name,f"{name} must be an integer, got {_describe(value)} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ArgumentError(name,f"{name} must be {_range_text(low, high, True, True)}, got {value}")
    return value


def choice(name: str, value, allowed) -> str:
    """Check that ``value`` is one of the strings in ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ArgumentError(name,f"{name} must be one of {options}, got {_describe(value)}")
    return value


def _range_text(low, high, low_closed: bool, high_closed: bool) -> str:
    if low is not None and high is not None:
        left = "<=" if low_closed else "<"
        right = "<=" if high_closed else "<"
        return f"in the range {low} {left} value {right} {high}"
    if low is not None:
        return f">= {low}" if low_closed else f"> {low}"
    if high is not None:
        return f"<= {high}" if high_closed else f"< {high}"
    return "any value"


def real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_closed: bool = True,
    high_closed: bool = True,
) -> float:
    """Return ``value`` as a finite float inside the given interval."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(name,f"{name} must be a real number, got {_describe(value)} ({type(value).__name__})")
    value = float(value)
    _check_interval(name, np.asarray([value]), low, high, low_closed, high_closed, scalar=value)
    return value


def _check_interval(name, arr, low, high, low_closed, high_closed, scalar=None) -> None:
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr < low) if low_closed else (arr <= low)
    if high is not None:
        bad |= (arr > high) if high_closed else (arr >= high)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = "" if scalar is not None else f" (entry {first})"
        shown = scalar if scalar is not None else arr[first].item()
        allowed = "finite" if low is None and high is None else f"finite and {_range_text(low, high, low_closed, high_closed)}"
        raise ArgumentError(name,f"{name} must be {allowed}, got {shown!r}{where}")


def per_agent(
    name: str,
    value,
    agents: int,
    *,
    low: float | None = None,
    high: float | None = None,
    low_closed: bool = True,
    high_closed: bool = True,
) -> np.ndarray:
    """Broadcast a hyperparameter to a read-only float64 array of shape ``(agents,)``.

    ``value`` is a real number (the same for every agent) or a 1-D array-like of length
    ``agents``; every entry must be finite and inside the interval.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(name,f"{name} must be a number or a 1-D array of {agents} numbers, got {value!r}")
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, numbers.Real):
        real(name, value, low=low, high=high, low_closed=low_closed, high_closed=high_closed)
        out = np.full(agents, float(value), dtype=np.float64)
    else:
        try:
            arr = np.asarray(value)
        except Exception as exc:  # pragma: no cover - exotic array-likes
            raise ArgumentTypeError(name,f"{name} must be a number or a 1-D array, got {_describe(value)}") from exc
        if arr.dtype.kind not in "iuf":
            raise ArgumentTypeError(name,
                f"{name} must be a number or a 1-D array of real numbers, got dtype {arr.dtype}"
            )
        if arr.ndim != 1 or arr.shape[0] != agents:
            raise ArgumentError(name,
                f"{name} must be a number or a 1-D array of length agents={agents}, "
                f"got shape {arr.shape}"
            )
        out = np.ascontiguousarray(arr, dtype=np.float64).copy()
        _check_interval(name, out, low, high, low_closed, high_closed)
    out.flags.writeable = False
    return out


def per_agent_int(name: str, value, agents: int, *, low: int = 0, high: int) -> np.ndarray:
    """Broadcast an integer to a read-only uint64 array of shape ``(agents,)``.

    ``value`` is an integer (the same for every agent) or a 1-D array-like of ``agents``
    integers, each in ``[low, high]``.
    """
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        out = np.full(agents, integer(name, value, low=low, high=high), dtype=np.uint64)
    else:
        if isinstance(value, (bool, np.bool_, numbers.Real, str, bytes)):
            raise ArgumentTypeError(name,f"{name} must be an integer or a 1-D array of length agents={agents}, got {_describe(value)}")
        try:
            items = [v.item() if isinstance(v, np.generic) else v for v in np.asarray(value, dtype=object).ravel()]
            shape = np.shape(value)
        except Exception as exc:  # pragma: no cover - exotic array-likes
            raise ArgumentTypeError(name,f"{name} must be an integer or a 1-D array of integers, got {_describe(value)}") from exc
        if len(shape) != 1 or shape[0] != agents:
            raise ArgumentError(name,f"{name} must be an integer or a 1-D array of length agents={agents}, got shape {shape}")
        for j, v in enumerate(items):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise ArgumentTypeError(name,f"{name} must hold integers, got {_describe(v)} (entry {j})")
            if not low <= v <= high:
                raise ArgumentError(name,f"{name} must hold integers in the range {low} <= value <= {high}, got {v} (entry {j})")
        out = np.array([int(v) for v in items], dtype=np.uint64)
    out.flags.writeable = False
    return out


#: Element types a learner table may have (:func:`fastq.train`'s ``dtype``).
TABLE_DTYPES = ("float64", "float32")


def table_dtype(name: str, value) -> np.dtype:
    """Return ``value`` -- ``"float64"``, ``"float32"``, ``np.float64``, ``np.float32`` or the
    equal ``np.dtype`` -- as a ``np.dtype``; anything else is refused."""
    allowed = "'float64' or 'float32' (or np.float64, np.float32)"
    if isinstance(value, str):
        kind = value
    elif isinstance(value, np.dtype):
        kind = value.name  # native byte order whatever the given one
    elif isinstance(value, type):
        kind = value.__name__ if value is np.float64 or value is np.float32 else None
    else:
        raise ArgumentTypeError(name,f"{name} must be {allowed}, got {_describe(value)} ({type(value).__name__})")
    if kind not in TABLE_DTYPES:
        raise ArgumentError(name,f"{name} must be {allowed}, got {_describe(value)}")
    return np.dtype(kind)


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory(what: str, nbytes: int, *, fraction: float = 0.8) -> None:
    """Refuse a request whose outputs would not fit in memory, with the estimate in the message."""
    available = available_memory()
    if available is not None and nbytes > fraction * available:
        raise ValueError(
            f"{what} would need about {_gib(nbytes)} of memory for its outputs, "
            f"but only {_gib(available)} is available; use fewer agents or episodes"
        )


def _gib(nbytes: float) -> str:
    if nbytes >= 2**30:
        return f"{nbytes / 2**30:.1f} GiB"
    return f"{nbytes / 2**20:.1f} MiB"


def policy(name: str, value, S: int, A: int) -> tuple[np.ndarray, bool]:
    """A deterministic policy (``S`` integer actions, or ``(agents, S)``) as an (agents, S)
    intp array, and whether a single ``(S,)`` policy was given."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ArgumentTypeError(name,
            f"{name} must be an array of integer actions of shape ({S},) or (agents, {S}), "
            f"got {type(value).__name__}"
        ) from exc
    if arr.dtype.kind not in "iu":
        raise ArgumentTypeError(name,f"{name} must be an array of integer actions, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or arr.shape[-1] != S:
        raise ArgumentError(name,f"{name} must have shape ({S},) or (agents, {S}), got shape {arr.shape}")
    bad = (arr < 0) | (arr >= A)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = where[0] if arr.ndim == 1 else where
        raise ArgumentError(name,f"{name} must hold actions in [0, {A}), got {arr[where].item()} at index {at}")
    return np.atleast_2d(arr).astype(np.intp), arr.ndim == 1
