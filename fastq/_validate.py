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


def array(name: str, value, kinds: str, ndim: int, what: str) -> np.ndarray:
    """``value`` as an array of one of the dtype ``kinds`` (numpy kind letters) and ``ndim``
    dimensions; ``what`` says in words what it must hold (``"integers"``)."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ArgumentTypeError(name, f"{name} must be an array of {what}, got {type(value).__name__}") from exc
    if arr.dtype.kind not in kinds:
        raise ArgumentTypeError(name, f"{name} must be an array of {what}, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ArgumentError(name, f"{name} must be {ndim}-D, got shape {arr.shape}")
    return arr


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as a Python int, checking its type and ``low <= value <= high``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(name,f"{name} must be an integer, got {_describe(value)} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ArgumentError(name,f"{name} must be {_range_text(low, high, True, True)}, got {value}")
    return value


def choice(name: str, value, allowed, *, none: bool = False) -> str | None:
    """Check that ``value`` is one of the strings in ``allowed`` (or None, with ``none``)."""
    if none and value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        either = "None or one of" if none else "one of"
        raise ArgumentError(name, f"{name} must be {either} {options}, got {_describe(value)}")
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
            arr = np.asarray(value, dtype=object)
        except Exception as exc:  # pragma: no cover - exotic array-likes
            raise ArgumentTypeError(name,f"{name} must be an integer or a 1-D array of integers, got {_describe(value)}") from exc
        items = [v.item() if isinstance(v, np.generic) else v for v in arr.ravel()]
        shape = arr.shape
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


def distinct_integers(name: str, values, *, low: int = 0, high: int) -> list[int]:
    """A non-empty sequence of distinct integers in ``[low, high]`` (root seeds, say), as a list.

    >>> distinct_integers("seeds", [3, 1], high=9)
    [3, 1]
    """
    if isinstance(values, (str, bytes, bool, np.bool_, numbers.Real)) or not hasattr(values, "__len__"):
        raise ArgumentTypeError(name, f"{name} must be a count or a sequence of root seeds, got {_describe(values)}")
    values = list(values)
    if not values:
        raise ArgumentError(name, f"{name} must hold at least one seed, got an empty sequence")
    for j, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
            raise ArgumentTypeError(name, f"{name} must hold integers, got {_describe(v)} (entry {j})")
        if not low <= int(v) <= high:
            raise ArgumentError(name, f"{name} must hold integers in the range {low} <= value <= {high}, got {v} (entry {j})")
    values = [int(v) for v in values]
    if len(set(values)) != len(values):
        raise ArgumentError(name, f"{name} must be distinct, got {values}")
    return values


def names(name: str, values, allowed) -> list[str]:
    """A non-empty list of names among ``allowed``, duplicates dropped, in the given order.

    >>> names("groups", ["threads", "grid", "threads"], ("grid", "threads"))
    ['threads', 'grid']
    """
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ArgumentTypeError(name, f"{name} must be a list of names, got {_describe(values)}")
    for v in values:
        if v not in allowed:
            raise ArgumentError(name, f"{name} must be among {', '.join(map(repr, allowed))}, got {v!r}")
    if not values:
        raise ArgumentError(name, f"{name} must name at least one of {', '.join(map(repr, allowed))}")
    return list(dict.fromkeys(values))


def integer_tuples(name: str, value, lows: tuple[int, ...]) -> tuple:
    """A sequence of ``len(lows)``-tuples of integers, entry ``k`` of each at least ``lows[k]``.

    >>> integer_tuples("grids", [[8, 256, 100]], (2, 1, 1))
    ((8, 256, 100),)
    """
    width = len(lows)
    if not isinstance(value, (list, tuple)):
        raise ArgumentTypeError(name, f"{name} must be a sequence of {width}-tuples of integers, got {_describe(value)}")
    out = []
    for entry in value:
        if not isinstance(entry, (list, tuple)) or len(entry) != width:
            raise ArgumentError(name, f"{name} entries must be {width}-tuples of integers, got {_describe(entry)}")
        out.append(tuple(integer(f"{name} entry", v, low=low) for v, low in zip(entry, lows)))
    return tuple(out)


def flag(name: str, value, *, none: bool = False):
    """``value`` as a bool (True/False, numpy bools too; also None when ``none``)."""
    if value is None and none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        allowed = "True, False or None" if none else "True or False"
        raise ArgumentTypeError(name, f"{name} must be {allowed}, got {_describe(value)}")
    return bool(value)


# ---------------------------------------------------------------------------- batched arrays
# The array arguments of fastq.core and fastq.gym: one entry per stream (n streams).
def rng_state(name: str, value) -> int:
    """Check a stream-state array (``fastq.core.make_rng_state``) in place -- it is updated in
    place, so it is never copied; return its number of streams."""
    if not isinstance(value, np.ndarray) or value.dtype != np.uint64:
        what = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise ArgumentTypeError(name, f"{name} must be a uint64 numpy array from fastq.core.make_rng_state, got {what}")
    if value.ndim != 2 or value.shape[1] != 3 or value.shape[0] < 1:
        raise ArgumentError(name, f"{name} must have shape (n, 3) with n >= 1, got {value.shape}")
    if not value.flags.c_contiguous or not value.flags.writeable:
        raise ArgumentError(name, f"{name} must be C-contiguous and writeable (it is updated in place)")
    return value.shape[0]


def indices(name: str, value, n: int, high: int) -> np.ndarray:
    """``value`` as an (n,) int64 array of integers in ``[0, high)``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise ArgumentTypeError(name, f"{name} must be an array of integers, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ArgumentError(name, f"{name} must have shape ({n},) (one per stream), got {arr.shape}")
    bad = (arr < 0) | (arr >= high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ArgumentError(name, f"{name} must hold integers in [0, {high}), got {arr[i].item()} at index {i}")
    return np.require(arr, np.int64, ["C", "W"])


def mask(name: str, value, n: int) -> np.ndarray:
    """``value`` as an (n,) bool array."""
    arr = np.asarray(value)
    if arr.dtype != np.bool_:
        raise ArgumentTypeError(name, f"{name} must be an array of bools, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ArgumentError(name, f"{name} must have shape ({n},) (one per stream), got {arr.shape}")
    return np.require(arr, np.bool_, ["C", "W"])


def reals(name: str, value, n: int) -> np.ndarray:
    """``value`` as an (n,) float64 array of real numbers."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ArgumentTypeError(name, f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ArgumentError(name, f"{name} must have shape ({n},) (one per stream), got {arr.shape}")
    return np.require(arr, np.float64, ["C", "W"])


def q_table(name: str, value, n: int, S: int, A: int, *, writable: bool) -> np.ndarray:
    """A float64 table per stream, ``(n, S, A)``, or one shared, ``(1, S, A)``; with ``writable``
    it is updated in place, so it must be C-contiguous and writeable (and is not copied)."""
    if not isinstance(value, np.ndarray) or value.dtype != np.float64:
        what = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise ArgumentTypeError(name, f"{name} must be a float64 numpy array of shape ({n}, {S}, {A}) or (1, {S}, {A}), got {what}")
    if value.ndim != 3 or value.shape[0] not in (1, n) or value.shape[1:] != (S, A):
        raise ArgumentError(
            name, f"{name} must have shape ({n}, {S}, {A}) (one table per stream) or (1, {S}, {A}) (shared), got {value.shape}"
        )
    if writable:
        if not value.flags.c_contiguous or not value.flags.writeable:
            raise ArgumentError(name, f"{name} must be C-contiguous and writeable (it is updated in place)")
        return value
    return np.require(value, np.float64, ["C", "W"])


#: Largest ``|q_init|``: far inside float32's range (3.4e38), so that rounding to a float32
#: table stays finite and no learner's arithmetic -- a sum over up to ``2**31`` actions, Double
#: Q's sum of two tables, a difference of two values -- can overflow, in float32 or float64.
Q_INIT_LIMIT = 1e18

#: The intervals of :func:`fastq.train`'s per-agent hyperparameters, as keyword arguments of
#: :func:`per_agent` and :func:`real`.  :mod:`fastq.core` and the sweep's checks read them here.
HYPERPARAMETERS = {
    "alpha": {"low": 0.0, "high": 1.0, "low_closed": False},
    "gamma": {"low": 0.0, "high": 1.0},
    "epsilon": {"low": 0.0, "high": 1.0},
    "q_init": {"low": -Q_INIT_LIMIT, "high": Q_INIT_LIMIT},
    "temperature": {"low": 0.0, "low_closed": False},
}


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


def memory(what: str, nbytes: int, *, fraction: float = 0.8, argument: str | None = "agents",
           advice: str = "use fewer agents or episodes") -> None:
    """Refuse a request whose outputs would not fit in memory, with the estimate in the message
    (an :class:`ArgumentError` about ``argument``).  Called before anything is allocated."""
    available = available_memory()
    if available is not None and nbytes > fraction * available:
        raise ArgumentError(
            argument,
            f"{what} would need about {_gib(nbytes)} of memory for its outputs, "
            f"but only {_gib(available)} is available; {advice}"
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
