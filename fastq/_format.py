"""Text formatting shared by the library and its front-ends (a leaf: it imports nothing of fastq).

The reports (:mod:`fastq.report`), the command line, the sweep's progress bar, the benchmark and
the plots format numbers the same way through these helpers: rates with an SI prefix, seconds in
ms or s, ``n/a`` for NaN, axis values as ``%g``, aligned ``label  value`` rows.
"""

from __future__ import annotations

import math
from fractions import Fraction

#: Width of the label column of :func:`row`.
LABEL_WIDTH = 19


def format_rate(value: float) -> str:
    """A rate with an SI prefix and one decimal: ``123.4 M``, ``5.6 k``, ``n/a`` for NaN.

    Parameters
    ----------
    value : float
        Events per second (agent-steps, say).

    Returns
    -------
    str

    Examples
    --------
    >>> from fastq.report import format_rate
    >>> format_rate(123_456_789.0), format_rate(5_600.0), format_rate(12.0), format_rate(float("nan"))
    ('123.5 M', '5.6 k', '12.0', 'n/a')
    """
    if not math.isfinite(value):
        return "n/a"
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {prefix}"
    return f"{value:.1f}"


def format_seconds(seconds: float) -> str:
    """``12.3 ms`` below a second, ``4.56 s`` above, ``n/a`` for NaN.

    >>> format_seconds(0.0123), format_seconds(4.561), format_seconds(float("nan"))
    ('12.3 ms', '4.56 s', 'n/a')
    """
    if not math.isfinite(seconds):
        return "n/a"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def format_number(value: float, spec: str, unit: str = "") -> str:
    """``value`` in the format ``spec`` followed by ``unit``; ``n/a`` when it is not finite; a
    value that rounds to zero without its sign (the ``z`` option of Python 3.11's formats).

    >>> format_number(0.12345, ".2f", " %"), format_number(float("inf"), ".2f"), format_number(-1e-9, ".4f")
    ('0.12 %', 'n/a', '0.0000')
    """
    if not math.isfinite(value):
        return "n/a"
    text = f"{value:{spec}}"
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        text = text[1:]
    return text + unit


def format_value(value) -> str:
    """An axis or setting value as a label: floats as ``%g``, anything else as ``str``.

    >>> format_value(0.10), format_value("sarsa"), format_value(3)
    ('0.1', 'sarsa', '3')
    """
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_slip(slip) -> str:
    """A grid world's slip: a Fraction exactly (``2/3``), a number as ``%g``.

    >>> format_slip(Fraction(2, 3)), format_slip(0.1)
    ('2/3', '0.1')
    """
    if isinstance(slip, Fraction):
        return str(slip)
    return f"{float(slip):g}"


def format_ratio(ratio: float) -> str:
    """A speed ratio with about three significant digits.

    >>> format_ratio(1234.5), format_ratio(50.0), format_ratio(0.5), format_ratio(0.001234)
    ('1,234', '50.0', '0.500', '0.0012')
    """
    if ratio >= 100:
        return f"{ratio:,.0f}"
    if ratio >= 0.01:
        return f"{ratio:#.3g}" if ratio < 10 else f"{ratio:.1f}"
    return f"{ratio:.2g}"


def fixed_spec(values) -> str:
    """A fixed-point format with about four significant digits for the largest of ``values``.

    >>> fixed_spec([0.5, -12.25]), fixed_spec([1234.0]), fixed_spec([float("nan")])
    ('.2f', '.0f', '.2f')
    """
    finite = [abs(v) for v in values if math.isfinite(v)]
    largest = max(finite, default=0.0)
    digits = 3 - math.floor(math.log10(largest)) if largest > 0 else 2
    return f".{min(max(digits, 0), 6)}f"


def row(label: str, value: str) -> str:
    """One ``label  value`` line, the label padded to :data:`LABEL_WIDTH`.

    >>> row("wall time", "1.2 s")
    'wall time          1.2 s'
    """
    return f"{label:<{LABEL_WIDTH}}{value}"


def table(rows, header=None) -> list[str]:
    """Left-aligned columns two spaces apart, trailing spaces stripped.

    >>> table([("a", "1"), ("bbb", "22")], header=("name", "n"))
    ['name  n', 'a     1', 'bbb   22']
    """
    rows = [tuple(r) for r in ([header] if header is not None else []) + list(rows)]
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
