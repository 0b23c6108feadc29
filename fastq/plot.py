"""Matplotlib views of fastq results: learning curves, grid values with policy arrows, sweep
heatmaps.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot``: no global
state, no display needed, safe in threads and on servers) and returns it; save it with
``fig.savefig("file.png")``.  matplotlib is an optional extra: ``pip install 'fastq-rl[plot]'``.

Confidence bands of learning curves are the normal-approximation 95 % interval of the mean over
seeds, ``mean +- 1.96 * sd / sqrt(n)``, episode by episode after smoothing; the bootstrap
intervals of :meth:`fastq.SweepResult.summary` are the ones to quote.
"""

from __future__ import annotations

import numpy as np

from . import _deprecation, _validate, render
from ._format import format_value
from .envs import make
from .grid import MOVES, GridWorld
from .results import Result
from .stats import interquartile_mean
from .sweep_result import METRICS, SweepResult

#: z value of the two-sided 95 % normal interval used for the bands.
Z95 = 1.959963984540054
#: Colours of the special cells of a grid world (:data:`fastq.render.CELL_COLOURS`).
CELL_COLOURS = {ch: render.hex_colour(ch) for ch in render.SPECIAL_CELLS}
#: Labels drawn on the special cells.
CELL_LABELS = dict(render.SPECIAL_CELLS)


def _figure(width: float = 6.4, height: float = 4.0):
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is part of the test extras
        raise ImportError("fastq.plot needs matplotlib: pip install 'fastq-rl[plot]'") from None
    return Figure(figsize=(width, height), layout="constrained")


def smooth(values, window: int) -> np.ndarray:
    """Trailing moving average along the last axis: entry ``t`` is the mean of entries
    ``max(0, t - window + 1) .. t`` (shorter windows at the start, same length as the input).

    Parameters
    ----------
    values : (..., episodes) array of float
    window : int, >= 1

    Returns
    -------
    (..., episodes) float64

    Examples
    --------
    >>> from fastq.plot import smooth
    >>> smooth([1.0, 3.0, 5.0, 7.0], window=2)
    array([1., 2., 4., 6.])
    """
    window = _validate.integer("window", window, low=1)
    x = np.asarray(values, dtype=np.float64)
    total = np.cumsum(x, axis=-1)
    total[..., window:] = total[..., window:] - total[..., :-window]
    count = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    return total / count


def curve(values, window: int = 1, band: str | None = "ci") -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Mean learning curve over seeds, and its band.

    Parameters
    ----------
    values : (seeds, episodes) array
    window : int
        Smoothing window (:func:`smooth`), applied to every seed before averaging.
    band : {"ci", "std", None}
        ``mean +- 1.96 sd / sqrt(n)`` (95 % normal interval of the mean), ``mean +- sd``, or none.

    Returns
    -------
    mean, low, high : (episodes,) float64 (``low``, ``high`` None without a band)

    Examples
    --------
    >>> import numpy as np
    >>> from fastq.plot import curve
    >>> mean, low, high = curve(np.array([[0.0, 2.0], [2.0, 4.0]]), band="std")
    >>> mean, low, high
    (array([1., 3.]), array([-0.41421356,  1.58578644]), array([2.41421356, 4.41421356]))
    """
    if band not in ("ci", "std", None):
        raise ValueError(f"band must be 'ci', 'std' or None, got {band!r}")
    x = smooth(values, window)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"values must have shape (seeds, episodes) with at least one seed, got {np.shape(values)}")
    mean = x.mean(axis=0)
    if band is None:
        return mean, None, None
    sd = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros_like(mean)
    half = Z95 * sd / np.sqrt(x.shape[0]) if band == "ci" else sd
    return mean, mean - half, mean + half


def _select(sw: SweepResult, cells) -> list[int]:
    """Cell indices from None (all), a list of indices, or a dict of axis -> value(s)."""
    if cells is None:
        return list(range(sw.n_cells))
    if isinstance(cells, dict):
        for axis in cells:
            if axis not in sw.axes:
                raise ValueError(f"cells: {axis!r} is not an axis of the sweep; axes: {list(sw.axes)}")
        wanted = {k: (v if isinstance(v, (list, tuple)) else [v]) for k, v in cells.items()}
        chosen = [c for c, cell in enumerate(sw.cells) if all(cell[k] in vs for k, vs in wanted.items())]
        if not chosen:
            raise ValueError(f"cells: no cell has the values {cells}")
        return chosen
    chosen = [_validate.integer("cells entry", c, low=0, high=sw.n_cells - 1) for c in cells]
    if not chosen:
        raise ValueError("cells must select at least one cell, got an empty list")
    return chosen


#: Axis labels of the metrics.
_LABELS = {"return": "return", "length": "episode length", "success": "success rate",
           "loss": "loss (mean squared TD error)", "rms_error": "RMS error of V"}


def _lines(data, metric: str, cells, by) -> list[tuple[str, np.ndarray]]:
    """(label, (seeds, episodes) values) of every line to draw."""
    if isinstance(data, Result):
        return [(str(data.meta.get("algo", "result")), data.per_episode(metric))]
    if isinstance(data, dict):
        lines = []
        for label, res in data.items():
            if not isinstance(res, Result):
                raise TypeError(f"data[{label!r}] must be a Result, got {type(res).__name__}")
            lines.append((str(label), res.per_episode(metric)))
        return lines
    if not isinstance(data, SweepResult):
        raise TypeError(f"data must be a SweepResult, a Result or a dict of label -> Result, got {type(data).__name__}")
    sw = data
    chosen = _select(sw, cells)
    array = sw.per_episode(metric)
    if by is None:
        lines = []
        for c in chosen:
            label = ", ".join(f"{k}={format_value(v)}" for k, v in sw.cells[c].items()) or sw.manifest["env_label"]
            lines.append((label, array[c][sw.done[c]]))
        return lines
    if by not in sw.axes:
        raise ValueError(f"by must be an axis of the sweep {list(sw.axes)} or None, got {by!r}")
    lines = []
    for value in sw.axes[by]:
        members = [c for c in chosen if sw.cells[c][by] == value]
        if members:
            lines.append((f"{by}={format_value(value)}", np.concatenate([array[c][sw.done[c]] for c in members])))
    return lines


def learning_curves(data, *, metric: str = "return", window: int = 10, band: str | None = "ci",
                    by: str | None = None, cells=None, ax=None, title: str | None = None, ylim=None):
    """Mean ``metric`` per episode over seeds, smoothed, with a confidence band.

    Parameters
    ----------
    data : SweepResult, Result, or dict of str -> Result
        A sweep (one line per cell, or per value of ``by``), one run (one line, its agents as
        seeds), or labelled runs (one line each).
    metric : {"return", "length", "success", "loss", "rms_error"}
    window : int, >= 1
        Trailing moving-average window in episodes (:func:`smooth`).
    band : {"ci", "std", None}
        95 % normal interval of the mean (default), one standard deviation, or none.
    by : str, optional
        A sweep axis (``"algo"``, say): one line per value, pooling the seeds of every
        selected cell with that value.
    cells : list of int, or dict of axis -> value or list of values, optional
        The sweep cells to draw (default: all), e.g. ``{"epsilon": 0.1}``.
    ax : matplotlib Axes, optional
        Draw into it (the returned figure is then its figure).
    title : str, optional
    ylim : (low, high) or "tail", optional
        Limits of the y axis.  Early episodes can dwarf the rest (CliffWalking's first returns
        are in the thousands below zero): ``"tail"`` fits the curves and bands of the episodes
        after the first 10 %.

    Returns
    -------
    matplotlib.figure.Figure
        One line per curve (``ax.lines``) with its label, one filled band each
        (``ax.collections``) unless ``band=None``.

    Examples
    --------
    >>> import fastq
    >>> from fastq.plot import learning_curves
    >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
    >>> fig = learning_curves(sw, window=5)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['alpha=0.1', 'alpha=0.5']
    """
    _validate.choice("metric", metric, tuple(METRICS))
    window = _validate.integer("window", window, low=1)
    if not (ylim is None or ylim == "tail" or (isinstance(ylim, (tuple, list)) and len(ylim) == 2)):
        raise ValueError(f"ylim must be None, 'tail' or (low, high), got {ylim!r}")
    lines = [(label, values) for label, values in _lines(data, metric, cells, by) if values.shape[0] > 0]
    if ax is None:
        fig = _figure(7.5 if len(lines) > 6 else 6.4, 4.0)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    colours = None
    if len(lines) > 10:
        from matplotlib import colormaps

        colours = colormaps["tab20"](np.arange(len(lines)) % 20)
    tail = []
    for i, (label, values) in enumerate(lines):
        mean, low, high = curve(values, window, band)
        episodes = np.arange(mean.size) + (metric != "rms_error")  # rms_error: from before episode 1
        colour = None if colours is None else colours[i]
        (line,) = ax.plot(episodes, mean, label=label, linewidth=1.5, color=colour)
        if low is not None:
            ax.fill_between(episodes, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        start = mean.size // 10
        tail += [mean[start:]] + ([low[start:], high[start:]] if low is not None else [])
    ax.set_xlabel("episode")
    what = _LABELS[metric]
    ax.set_ylabel(f"{what} (mean over seeds, {window}-episode window)" if window > 1 else f"{what} (mean over seeds)")
    if title is not None:
        ax.set_title(title)
    if ylim == "tail" and tail:
        values = np.concatenate(tail)
        values = values[np.isfinite(values)]
        if values.size:
            low, high = float(values.min()), float(values.max())
            margin = 0.05 * (high - low) or 0.05 * max(abs(low), 1.0)
            ax.set_ylim(low - margin, high + margin)
    elif ylim is not None:
        ax.set_ylim(*ylim)
    if len(ax.lines) > 6:
        ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    elif len(ax.lines) > 1 or by is not None:
        ax.legend(fontsize="small")
    return fig


def grid_values(env, values=None, policy=None, *, gamma: float | None = None, ax=None,
                annotate: bool | None = None, title: str | None = None, cmap: str = "viridis"):
    """A grid world's state values as a heatmap, the policy as arrows, and walls, holes, cliffs
    and goals drawn on the map.

    Parameters
    ----------
    env : str or GridWorld
    values : (S,) or (S, A) array, or Solution
        State values, or action values (their maximum is shown), or what
        :func:`fastq.value_iteration` returned (its values and policy).  Plotting never solves
        a model: leaving ``values`` out is deprecated (it solved with ``gamma``, default 0.99).
    policy : (S,) array of int, optional
        An action per state, drawn as arrows on the start and free cells.  Default: the
        solution's policy, the greedy policy of ``values`` when it is (S, A), none otherwise.
    gamma : float, optional
        Deprecated, with ``values`` left out: the discount factor of the solution computed.
    ax : matplotlib Axes, optional
    annotate : bool, optional
        Write the value in every start and free cell (default: for maps of up to 100 cells).
    title : str, optional
    cmap : str
        Colormap of the values.

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.images[0]`` is the (rows, columns) value image, masked on walls, holes, cliffs and
        goals; ``ax.patches`` has one rectangle per wall, hole, cliff and goal cell (``gid`` is
        the cell's character); the arrows are one quiver (``ax.collections``) with an arrow per
        start and free cell.

    Examples
    --------
    >>> import fastq
    >>> from fastq.plot import grid_values
    >>> fig = grid_values("FrozenLake-4x4", fastq.value_iteration("FrozenLake-4x4", gamma=0.99))
    >>> ax = fig.axes[0]
    >>> ax.images[0].get_array().shape, len(ax.patches)       # 4 x 4 map; 4 holes, 1 goal
    ((4, 4), 5)
    """
    if isinstance(env, str):
        env = make(env)
    if not isinstance(env, GridWorld):
        raise _validate.ArgumentTypeError("env", f"env must be a grid world (a name or a GridWorld), got {type(env).__name__}")
    S, A = env.mdp.n_states, env.mdp.n_actions
    if values is None:
        if policy is not None:
            raise _validate.ArgumentError("values", "policy without values: pass values too")
        _deprecation.warn("grid_values(env) without values (it solved the model)",
                          "grid_values(env, fastq.value_iteration(env, gamma=...))")
        from .solve import value_iteration

        values = value_iteration(env, gamma=0.99 if gamma is None else gamma)
    elif gamma is not None:
        raise _validate.ArgumentError("gamma", "gamma applies only when values are left out (deprecated)")
    if hasattr(values, "v") and hasattr(values, "policy"):  # a Solution
        values, policy = values.v, (values.policy if policy is None else policy)
    v = np.asarray(values, dtype=np.float64)
    if v.shape == (S, A):
        if policy is None:
            policy = np.argmax(v, axis=1)
        v = v.max(axis=1)
    elif v.shape != (S,):
        raise ValueError(f"values must have shape ({S},) or ({S}, {A}), got {v.shape}")
    if policy is not None:
        policies, single = _validate.policy("policy", policy, S, A)
        if not single:
            raise ValueError(f"policy must have shape ({S},), got {np.shape(policy)}")
        policy = policies[0]

    rows, cols = env.shape
    cells = np.array([list(r) for r in env.rows])
    special = np.isin(cells, list(render.SPECIAL_CELLS))
    image = np.ma.masked_array(v.reshape(rows, cols), mask=special | ~np.isfinite(v.reshape(rows, cols)))
    if ax is None:
        fig = _figure(max(3.0, 0.55 * cols + 1.6), max(2.4, 0.55 * rows + 0.8))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    shown = ax.imshow(image, cmap=cmap, origin="upper", interpolation="nearest")
    fig.colorbar(shown, ax=ax, label="value", shrink=0.9)

    from matplotlib.patches import Rectangle

    for (r, c), ch in np.ndenumerate(cells):
        if ch in CELL_COLOURS:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=CELL_COLOURS[ch], edgecolor="white",
                                   linewidth=0.5, gid=ch))
            if CELL_LABELS[ch]:
                ax.text(c, r, CELL_LABELS[ch], ha="center", va="center", fontsize=9, fontweight="bold",
                        color="black" if ch == "G" else "white", gid=f"label-{ch}")
    if annotate is None:
        annotate = rows * cols <= 100
    free = ~special
    if annotate:
        for (r, c), ok in np.ndenumerate(free):
            if ok and np.isfinite(v[r * cols + c]):
                ax.text(c, r + 0.32, f"{v[r * cols + c]:.2f}", ha="center", va="center", fontsize=6,
                        color="white", gid="value")
    if policy is not None:
        rr, cc = np.nonzero(free)
        moves = np.array([MOVES[m][1] for m in env.actions], dtype=np.float64)  # (row, col) deltas
        chosen = moves[policy[rr * cols + cc]]
        # Data coordinates: x is the column, y the row (growing downwards, as imshow shows it).
        lift = 0.1 if annotate else 0.0  # room for the value below the arrow
        ax.quiver(cc - 0.25 * chosen[:, 1], rr - 0.25 * chosen[:, 0] - lift, chosen[:, 1], chosen[:, 0],
                  angles="xy", scale_units="xy", scale=2.0, units="xy", width=0.06, headwidth=3.5,
                  headlength=3.5, headaxislength=3, color="white", gid="policy")
    for (r, c), ch in np.ndenumerate(cells):
        if ch == "S":
            ax.text(c - 0.42, r - 0.42, "S", ha="left", va="top", fontsize=7, color="white", gid="label-S")
    ax.set_xticks(np.arange(cols))
    ax.set_yticks(np.arange(rows))
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_title(title if title is not None else env.name)
    return fig


def sweep_heatmap(sw: SweepResult, x: str, y: str, *, metric: str = "return", last: int | None = None,
                  stat: str = "mean", annotate: bool = True, cmap: str = "viridis"):
    """Final performance over two axes of a sweep: one heatmap panel per combination of the
    other axes (one panel per algorithm in "Q-learning vs SARSA, alpha x epsilon").

    Parameters
    ----------
    sw : SweepResult
    x, y : str
        Two different axes of the sweep (columns and rows of each panel).
    metric : {"return", "length", "success", "loss", "rms_error"}
    last : int, optional
        Window of the final performance (default: the last 10 % of the episodes), see
        :meth:`fastq.SweepResult.final`.
    stat : {"mean", "iqm"}
        Statistic over seeds.
    annotate : bool
        Write the number in every cell.
    cmap : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel, each with one ``(len(y values), len(x values))`` image, plus the
        colour bar's axes; with ``annotate``, one text per cell (``gid="cell"``).

    Examples
    --------
    >>> import fastq
    >>> from fastq.plot import sweep_heatmap
    >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5], "epsilon": [0.1, 0.2, 0.3]},
    ...                  seeds=3, episodes=20)
    >>> fig = sweep_heatmap(sw, x="alpha", y="epsilon", last=10)
    >>> fig.axes[0].images[0].get_array().shape
    (3, 2)
    """
    if not isinstance(sw, SweepResult):
        raise TypeError(f"sw must be a SweepResult, got {type(sw).__name__}")
    for name, axis in (("x", x), ("y", y)):
        if axis not in sw.axes:
            raise ValueError(f"{name} must be an axis of the sweep {list(sw.axes)}, got {axis!r}")
    if x == y:
        raise ValueError(f"x and y must be different axes, got {x!r} twice")
    if stat not in ("mean", "iqm"):
        raise ValueError(f"stat must be 'mean' or 'iqm', got {stat!r}")
    finals = sw.final(metric, last)
    window = sw._window(last)
    others = [a for a in sw.axes if a not in (x, y)]
    panels: dict = {}
    for c, cell in enumerate(sw.cells):
        panels.setdefault(tuple(cell[a] for a in others), []).append(c)
    xs, ys = sw.axes[x], sw.axes[y]
    grids = []
    for key, members in panels.items():
        grid = np.full((len(ys), len(xs)), np.nan)
        for c in members:
            seeds = finals[c][sw.done[c]]
            if seeds.size:
                value = seeds.mean() if stat == "mean" else interquartile_mean(seeds)
                grid[ys.index(sw.cells[c][y]), xs.index(sw.cells[c][x])] = value
        grids.append((key, grid))
    finite = np.concatenate([g[np.isfinite(g)] for _, g in grids]) if grids else np.array([])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    n = len(grids)
    columns = min(n, 4)
    panel_rows = -(-n // columns)
    fig = _figure(max(3.2, 0.7 * len(xs) + 1.8) * columns + 0.8, max(2.6, 0.5 * len(ys) + 1.5) * panel_rows)
    axes = fig.subplots(panel_rows, columns, squeeze=False).ravel()
    image = None
    for ax, (key, grid) in zip(axes, grids):
        image = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, origin="lower", aspect="auto")
        ax.set_xticks(np.arange(len(xs)), [format_value(v) for v in xs])
        ax.set_yticks(np.arange(len(ys)), [format_value(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        if others:
            ax.set_title(", ".join(f"{a}={format_value(v)}" for a, v in zip(others, key)), fontsize="medium")
        if annotate:
            middle = (vmin + vmax) / 2
            for (r, c), value in np.ndenumerate(grid):
                if np.isfinite(value):
                    ax.text(c, r, f"{value:.3g}", ha="center", va="center", fontsize=8,
                            color="black" if value > middle else "white", gid="cell")
    for ax in axes[n:]:
        ax.remove()
    what = _LABELS[metric]
    fig.colorbar(image, ax=list(axes[:n]), label=what)
    fig.suptitle(f"{what} over the last {window} episodes, {stat} over seeds", fontsize="medium")
    return fig


__all__ = ["curve", "grid_values", "learning_curves", "smooth", "sweep_heatmap"]
