"""Text reports: what the ``fastq`` command prints, available to any program.

- :func:`format_summary`: a training run (:class:`fastq.Result`), as ``fastq train`` prints it;
- :func:`format_sweep_summary`: a sweep (:class:`fastq.SweepResult`), as ``fastq sweep`` does;
- :func:`format_solution`: an optimal policy and values, as ``fastq solve`` and ``fastq show --solve``;
- :func:`format_table`: benchmark rows (:func:`fastq.benchmark.run`), as ``fastq bench``, with
  the ratios of :func:`add_ratios`;
- :func:`format_rate`: a rate with an SI prefix.

The number formats are shared with the library (:mod:`fastq._format`).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _deprecation, _format
from ._format import fixed_spec, format_number, format_rate, format_ratio, format_seconds, format_value
from ._format import table as format_table_rows
from .grid import GridWorld
from .results import SUMMARY_FRACTION
from .stats import BOOTSTRAP_RESAMPLES

__all__ = ["add_ratios", "format_rate", "format_solution", "format_summary", "format_sweep_summary", "format_table"]


def format_summary(result) -> str:
    """The aligned text summary of a training run, as ``fastq train`` prints it.

    Parameters
    ----------
    result : Result
        What :func:`fastq.train` returned.

    Returns
    -------
    str
        One ``label  value`` line each: environment, algorithm, agents x episodes, backend,
        mean return over the first and last 10% of episodes, success rate over the last 10%,
        with ``eval_every`` the exact value and success probability of the greedy policies at
        the last checkpoint (mean over agents), compile time, wall time and agent-steps per
        second.  A prediction learner (``result.v``) follows a given policy, so in place of
        the returns and the success rate: the RMS error of V against the policy's exact
        values before learning and after the last episode (mean over agents).  With
        ``record_loss``, the mean loss (squared TD error) over the first and last 10%.

    Examples
    --------
    >>> import fastq
    >>> from fastq.report import format_summary
    >>> res = fastq.train("FrozenLake-4x4", agents=4, episodes=20, backend="numpy")
    >>> print(format_summary(res))  # doctest: +ELLIPSIS
    environment        FrozenLake-4x4
    algorithm          q_learning
    agents x episodes  4 x 20
    backend            numpy (reference)
    ...
    """
    meta = result.meta
    s = result.summary()  # the first and last SUMMARY_FRACTION of the episodes
    pct = f"{SUMMARY_FRACTION:.0%}"
    if meta.get("backend") == "numba":
        threads = meta.get("threads")
        backend = f"numba, {threads} thread{'' if threads == 1 else 's'}"
    else:
        backend = f"{meta.get('backend')} (reference)"
    if meta.get("dtype", "float64") != "float64":
        backend += f", {meta['dtype']} tables"
    episodes = f"{s['agents']} x {s['episodes']}"
    if meta.get("interrupted"):
        episodes += f" (of {meta.get('episodes_requested')} requested; interrupted)"
    lines = [
        ("environment", str(meta.get("env"))),
        ("algorithm", str(meta.get("algo"))),
        ("agents x episodes", episodes),
        ("backend", backend),
    ]
    rms_error = result.extra.get("rms_error")
    if result.v is not None and rms_error is not None:  # prediction: the error of V, not returns
        lines += [("rms error, start", format_number(float(np.mean(rms_error[:, 0])), ".4f")),
                  ("rms error, final", format_number(float(np.mean(rms_error[:, -1])), ".4f")
                   + f" (after episode {rms_error.shape[1] - 1})")]
    else:
        lines += [
            (f"return, first {pct}", format_number(s["return_first"], ".4f")),
            (f"return, last {pct}", format_number(s["return_last"], ".4f")),
            (f"success, last {pct}", format_number(100 * s["success_last"], ".2f", " %")),
        ]
    loss = result.extra.get("loss")
    if loss is not None and loss.shape[1] > 0:
        n = max(1, int(round(loss.shape[1] * SUMMARY_FRACTION)))
        with np.errstate(all="ignore"):  # a diverging learner's loss overflows to inf
            first, last = (float(np.nanmean(part)) if not np.isnan(part).all() else float("nan")
                           for part in (loss[:, :n], loss[:, -n:]))
        lines += [(f"loss, first {pct}", format_number(first, ".4g")),
                  (f"loss, last {pct}", format_number(last, ".4g"))]
    checkpoints = result.extra.get("eval_episodes")
    if checkpoints is not None and len(checkpoints):
        last = int(checkpoints[-1])
        value = result.extra["eval_value"][:, -1]
        success = result.extra["eval_success"][:, -1]
        after = f" (exact, after episode {last})"
        lines.append(("greedy value", format_number(float(np.mean(value)), ".4f") + after))
        if not np.isnan(success).all():
            lines.append(("greedy success", format_number(100 * float(np.mean(success)), ".2f", " %") + after))
    if meta.get("compile_time"):
        lines.append(("compile time", f"{format_seconds(meta['compile_time'])} (not counted below)"))
    lines += [
        ("wall time", format_seconds(s["wall_time"])),
        ("agent-steps", f"{s['agent_steps']:,}"),
        ("agent-steps / s", format_rate(s["steps_per_second"])),
    ]
    return "\n".join(_format.row(label, value) for label, value in lines)


def format_solution(env, solution) -> str:
    """The optimal policy (arrows on the map) and the optimal values, one row per map row.

    Parameters
    ----------
    env : GridWorld or TabularMDP
        For a model without a map: one line per state (value and action).
    solution : Solution
        What :func:`fastq.value_iteration` returned for ``env``.

    Returns
    -------
    str

    Examples
    --------
    >>> import fastq
    >>> from fastq.report import format_solution
    >>> env = fastq.GridWorld(["S.G"])
    >>> print(format_solution(env, fastq.value_iteration(env, gamma=0.5)))
    optimal policy (value iteration, gamma 0.5)
    →→G
    <BLANKLINE>
    optimal values
    0.5    1    G
    """
    head = f"optimal policy (value iteration, gamma {solution.gamma:g})"
    if not isinstance(env, GridWorld):  # a model: one line per state
        mdp = env.mdp
        lines = [head, "state     value  action"]
        for state, (value, action) in enumerate(zip(solution.v, solution.policy)):
            act = "-" if mdp.terminal[state] else mdp.action_names[action]
            lines.append(f"{state:>5}  {value:>8.4g}  {act}")
        return "\n".join(lines)
    lines = [head, env.render(solution.policy), "", "optimal values"]
    cols = env.shape[1]
    cells = [ch for row in env.rows for ch in row]
    texts = [ch if ch in "#HGC" else f"{solution.v[s]:.4g}" for s, ch in enumerate(cells)]
    width = max(len(t) for t in texts)
    for r in range(env.shape[0]):
        lines.append("  ".join(t.rjust(width) for t in texts[r * cols:(r + 1) * cols]))
    return "\n".join(lines)


#: Numbers of a sweep summary this large or larger are printed in scientific notation (``1.74e+39``).
HUGE = 1e6


def format_sweep_summary(sw, metric: str = "return", last: int | None = None) -> str:
    """The text summary of a sweep, as ``fastq sweep`` prints it.

    Parameters
    ----------
    sw : SweepResult
    metric : {"return", "length", "success", "loss", "rms_error"}
    last : int, optional
        Window in episodes (default: the last 10 %).

    Returns
    -------
    str
        A header (environment, size, timing), a table with one row per cell (its axis values,
        finished seeds, mean, IQM and bootstrap 95 % CI of the mean over seeds), and the best
        cell.  The numbers have about four significant digits for the typical cell; those of
        :data:`HUGE` or more (a diverging learner's) are in scientific notation.

    Examples
    --------
    >>> import fastq
    >>> from fastq.report import format_sweep_summary
    >>> sw = fastq.sweep("FrozenLake-4x4", grid={"alpha": [0.1, 0.5]}, seeds=4, episodes=20)
    >>> print(format_sweep_summary(sw, "return", last=10))  # doctest: +ELLIPSIS
    FrozenLake-4x4: 2 cells x 4 seeds x 20 episodes (...)
    return over the last 10 episodes: mean and IQM over seeds, bootstrap 95% CI of the mean (10000 resamples)
    <BLANKLINE>
    cell  alpha  seeds  mean...IQM...
    0     0.1    4      ...
    1     0.5    4      ...
    <BLANKLINE>
    best: cell ...
    """
    if not isinstance(metric, str) and isinstance(metric, (numbers.Integral, type(None))) \
            and (isinstance(last, str) or last is None):
        _deprecation.warn("format_sweep_summary(sw, last, metric) with the window first",
                          "format_sweep_summary(sw, metric, last) or keywords")
        metric, last = ("return" if last is None else last), metric
    window = sw._window(last)
    quiet = {"invalid": "ignore", "over": "ignore"}  # a diverging learner's inf and nan, shown as they are
    with np.errstate(**quiet):
        rows = sw.summary(metric, window)
    meta = sw.meta
    timing = []
    if "agent_steps" in meta:
        timing.append(f"{meta['agent_steps']:,} agent-steps")
    if meta.get("chunks_run"):
        timing.append(f"{format_seconds(meta['wall_time'])}, {format_rate(meta['steps_per_second'])} agent-steps/s")
    if meta.get("compile_time"):
        where = "" if meta.get("executor") == "local" else ", summed over workers"
        timing.append(f"compile {format_seconds(meta['compile_time'])}{where}")
    kept = meta.get("chunks_done", 0) - meta.get("chunks_run", 0)
    if kept > 0 and meta.get("out"):
        timing.append(f"{kept} of {meta['chunks']} chunks read from {meta['out']}")
    head = f"{sw.manifest['env_label']}: {sw.n_cells} cells x {sw.n_seeds} seeds x {sw.episodes} episodes"
    lines = [head + (f" ({'; '.join(timing)})" if timing else ""),
             f"{metric} over the last {window} episodes: mean and IQM over seeds, bootstrap 95% CI of the mean "
             f"({BOOTSTRAP_RESAMPLES} resamples)", ""]
    header = ["cell", *sw.axes, "seeds", "mean", "IQM", "95% CI"]
    # The digits suit the typical cell (the median size): a diverging learner's cells, whose
    # errors reach 1e+30 and beyond, must not turn every other cell into "0".
    sizes = [abs(row[k]) for row in rows for k in ("mean", "iqm", "ci_low", "ci_high") if np.isfinite(row[k])]
    spec = fixed_spec([float(np.median(sizes))] if sizes else [])

    def number(value: float) -> str:
        return f"{value:.3g}" if np.isfinite(value) and abs(value) >= HUGE else format_number(value, spec)

    table = []
    for row in rows:
        values = [format_value(row[a]) for a in sw.axes]
        ci = f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
        table.append([str(row["cell"]), *values, str(row["seeds"]), number(row["mean"]), number(row["iqm"]), ci])
    lines += format_table_rows(table, header)
    if sw.done.any() and sw.n_cells > 1:
        with np.errstate(**quiet):
            best = sw.best(metric, window)
        label = ", ".join(f"{a}={format_value(best[a])}" for a in sw.axes)
        lines += ["", f"best: cell {best['cell']} ({label}), mean {metric} {number(best['mean'])}"]
    if not sw.complete:
        lines += ["", f"finished: {int(sw.done.sum())} of {sw.done.size} (cell, seed) pairs"]
    return "\n".join(lines)


def add_ratios(rows: list[dict]) -> list[dict]:
    """Set each row's ``ratio``: its ``rate`` over the rate of its ``baseline`` row.

    The baseline is the row of the same ``group`` whose ``name`` is the row's ``baseline``;
    where it is missing (not measured, or interrupted), ``ratio`` is None.

    Parameters
    ----------
    rows : list of dict
        With ``group``, ``name``, ``baseline`` and ``rate``; changed in place.

    Returns
    -------
    list of dict
        ``rows``.

    Examples
    --------
    >>> from fastq.report import add_ratios
    >>> rows = [{"group": "g", "name": "ref", "baseline": "ref", "rate": 2.0},
    ...         {"group": "g", "name": "fast", "baseline": "ref", "rate": 100.0}]
    >>> [r["ratio"] for r in add_ratios(rows)]
    [1.0, 50.0]
    """
    rates = {(r["group"], r["name"]): r["rate"] for r in rows}
    for r in rows:
        base = rates.get((r["group"], r["baseline"]))
        r["ratio"] = r["rate"] / base if base else None
    return rows


_BENCH_HEADER = ("", "agents x episodes", "threads", "agent-steps", "time", "agent-steps/s", "ratio")


def format_table(rows: list[dict]) -> str:
    """The rows as a plain-text table: one block per group, ratios from the same rows.

    Parameters
    ----------
    rows : list of dict
        What :func:`run` returned (or the rows it passed to ``on_row``).

    Returns
    -------
    str
        A header, then per group its title and one line per row: name, agents x episodes,
        threads, agent-steps, time of the fastest call, agent-steps per second, and the ratio to
        the group's baseline (named).  Then the compile times the warm-up calls reported and
        how the times were taken.

    Examples
    --------
    >>> from fastq.report import format_table
    >>> rows = [
    ...     {"group": "g", "title": "Q-learning", "name": "numpy reference", "baseline": "numpy reference",
    ...      "agents": 2, "episodes": 10, "threads": 1, "agent_steps": 1_000_000, "seconds": 0.5,
    ...      "rate": 2e6, "rounds": 1, "compile_time": 0.0, "algo": "q_learning", "backend": "numpy"},
    ...     {"group": "g", "title": "Q-learning", "name": "numba", "baseline": "numpy reference",
    ...      "agents": 4, "episodes": 10, "threads": 2, "agent_steps": 2_000_000, "seconds": 0.02,
    ...      "rate": 1e8, "rounds": 3, "compile_time": 4.2, "algo": "q_learning", "backend": "numba"},
    ... ]
    >>> print(format_table(rows))
                       agents x episodes  threads  agent-steps  time      agent-steps/s  ratio
    Q-learning
      numpy reference  2 x 10             1        1,000,000    500.0 ms  2.0 M          baseline
      numba            4 x 10             2        2,000,000    20.0 ms   100.0 M        50.0x numpy reference
    <BLANKLINE>
    time: the fastest of 3 calls after a warm-up call (numba), of 1 call (numpy reference, Python loop)
    compile time of the warm-up calls (not in any time above): q_learning numba 4.20 s
    """
    add_ratios(rows)
    table = []
    for r in rows:
        if r["ratio"] is None:
            ratio = "n/a"
        elif r["name"] == r["baseline"]:
            ratio = "baseline"
        else:
            ratio = f"{format_ratio(r['ratio'])}x {r['baseline']}"
        table.append((r["title"], (r["name"], f"{r['agents']} x {r['episodes']}", str(r["threads"]),
                                   f"{r['agent_steps']:,}", format_seconds(r["seconds"]),
                                   format_rate(r["rate"]), ratio)))
    widths = [max([len(h)] + [len(cells[i]) for _, cells in table]) for i, h in enumerate(_BENCH_HEADER)]

    def line(cells) -> str:
        return ("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    lines, title = [line(_BENCH_HEADER)], None
    for row_title, cells in table:
        if row_title != title:
            lines.append(row_title)
            title = row_title
        lines.append(line(cells))
    if not rows:
        return "\n".join(lines)
    parts = []
    for label, chosen in (("numba", [r for r in rows if r["backend"] == "numba"]),
                          ("numpy reference, Python loop", [r for r in rows if r["backend"] != "numba"])):
        counts = sorted({r["rounds"] for r in chosen})
        if counts:
            warm = " after a warm-up call" if label == "numba" else ""
            parts.append(f"of {'/'.join(map(str, counts))} call{'s' * (counts != [1])}{warm} ({label})")
    lines += ["", "time: the fastest " + ", ".join(parts)]
    compiled = {}
    for r in rows:
        if r.get("compile_time"):
            compiled.setdefault(f"{r['algo']} {r['backend']}", r["compile_time"])
    if compiled:
        lines.append("compile time of the warm-up calls (not in any time above): "
                     + ", ".join(f"{k} {v:.2f} s" for k, v in compiled.items()))
    return "\n".join(lines)
