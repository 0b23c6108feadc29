"""Rendering in one place: text maps, policy arrows, RGB frames and the colours of the cells.

Used by :meth:`fastq.GridWorld.render` (the map, a policy as arrows), :mod:`fastq.gym`
(``render_mode="ansi"`` and ``"rgb_array"`` frames), :mod:`fastq.plot` (the cell colours of
:func:`fastq.plot.grid_values`) and the reports of the command line.  It draws what it is
given: values and policies come from the caller (:func:`fastq.value_iteration`, a
:class:`fastq.Result`), never from solving a model here.

A map is a grid world's rows (``S G H C # . F``, see :mod:`fastq.grid`); a model without a map
is drawn as a near-square grid of its states, row-major.
"""

from __future__ import annotations

import math

import numpy as np

#: The arrow drawn for each move letter of :data:`fastq.grid.MOVES`.
ARROWS = {"L": "\u2190", "D": "\u2193", "R": "\u2192", "U": "\u2191",
          "Q": "\u2196", "E": "\u2197", "Z": "\u2199", "C": "\u2198"}
#: Colour of every cell character (RGB, 0-255), in frames and figures alike.
CELL_COLOURS = {
    "S": (180, 210, 240), "F": (220, 236, 250), ".": (235, 235, 235), "G": (242, 193, 78),
    "H": (31, 59, 115), "C": (140, 45, 25), "#": (77, 77, 77),
}
#: The agent in an RGB frame, and cells of no known kind.
AGENT_COLOUR = (220, 40, 40)
OTHER_COLOUR = (200, 200, 200)
#: Pixels per cell of an RGB frame.
CELL_PIXELS = 32
#: Cells drawn as coloured squares with a label on a value map (:func:`fastq.plot.grid_values`).
SPECIAL_CELLS = {"#": "", "H": "H", "G": "G", "C": "C"}
#: Cells a policy arrow is drawn on.
FREE_CELLS = "S.F"


def hex_colour(ch: str) -> str:
    """The colour of cell ``ch`` as ``#rrggbb`` (matplotlib's form).

    >>> hex_colour("G")
    '#f2c14e'
    """
    return "#{:02x}{:02x}{:02x}".format(*CELL_COLOURS.get(ch, OTHER_COLOUR))


def text_map(rows, actions: str | None = None, policy=None) -> str:
    """A map as text; with ``policy``, an arrow on every start and free cell.

    Parameters
    ----------
    rows : sequence of str
        The map.
    actions : str, optional
        The move letter of each action (needed with ``policy``).
    policy : (S,) array of int, optional
        One action per state (row-major), already checked.

    Returns
    -------
    str

    Examples
    --------
    >>> print(text_map(["S.G"], "LDRU", policy=[2, 2, 0]))
    \u2192\u2192G
    """
    if policy is None:
        return "\n".join(rows)
    width = len(rows[0])
    lines = []
    for r, line in enumerate(rows):
        lines.append("".join(ARROWS[actions[policy[r * width + c]]] if ch in FREE_CELLS else ch
                             for c, ch in enumerate(line)))
    return "\n".join(lines)


def text_frame(mdp, grid, state: int, step: int | None = None, action: int | None = None) -> str:
    """A Gymnasium ``"ansi"`` frame: the map with the agent as ``@`` (for a grid world), then a
    status line (state, cell, step, last action).

    Parameters
    ----------
    mdp : TabularMDP
    grid : GridWorld or None
    state : int
    step : int, optional
        The step of the episode (None before the first reset).
    action : int, optional
        The last action (None after a reset).

    Returns
    -------
    str

    Examples
    --------
    >>> import fastq
    >>> env = fastq.GridWorld(["S.G"])
    >>> print(text_frame(env.mdp, env, 1, step=1, action=2))
    S@G
    state 1 (row 0, column 1), step 1, last action: right
    """
    status = f"state {state}"
    lines = []
    if grid is not None:
        row, col = grid.cell(state)
        cells = [list(r) for r in grid.rows]
        cells[row][col] = "@"
        lines = ["".join(r) for r in cells]
        status += f" (row {row}, column {col})"
    else:
        status += f" of {mdp.n_states}" + (" (terminal)" if mdp.terminal[state] else "")
    if step is not None:
        status += f", step {step}"
    if action is not None:
        status += f", last action: {mdp.action_names[action]}"
    return "\n".join(lines + [status])


def cell_kinds(mdp) -> list[str]:
    """For a model without a map: a cell character per state -- ``G`` goal, ``H`` other
    terminal, ``S`` start, ``.`` other -- so that it is drawn like a grid world.

    Examples
    --------
    >>> import fastq
    >>> cell_kinds(fastq.make("MaxBias"))
    ['S', '.', 'H']
    """
    kinds = []
    for t in range(mdp.n_states):
        if mdp.goal[t]:
            kinds.append("G")
        elif mdp.terminal[t]:
            kinds.append("H")
        elif mdp.start[t] > 0:
            kinds.append("S")
        else:
            kinds.append(".")
    return kinds


def rgb_frame(mdp, grid, state: int) -> np.ndarray:
    """A Gymnasium ``"rgb_array"`` frame: ``(rows * 32, columns * 32, 3)`` uint8, the cells in
    :data:`CELL_COLOURS` with black grid lines and the agent as a red square.

    A model without a map is drawn as a near-square grid of its states (:func:`cell_kinds`),
    padded with white.

    Examples
    --------
    >>> import fastq
    >>> env = fastq.GridWorld(["S.G"])
    >>> frame = rgb_frame(env.mdp, env, 0)
    >>> frame.shape, tuple(frame[16, 16]) == AGENT_COLOUR, tuple(frame[16, 80]) == CELL_COLOURS["G"]
    ((32, 96, 3), True, True)
    """
    if grid is not None:
        nrow, ncol = grid.shape
        colours = [CELL_COLOURS.get(ch, OTHER_COLOUR) for r in grid.rows for ch in r]
    else:
        ncol = math.ceil(math.sqrt(mdp.n_states))
        nrow = math.ceil(mdp.n_states / ncol)
        colours = [CELL_COLOURS[ch] for ch in cell_kinds(mdp)]
        colours += [(255, 255, 255)] * (nrow * ncol - mdp.n_states)
    c = CELL_PIXELS
    tiles = np.asarray(colours, dtype=np.uint8).reshape(nrow, ncol, 3)
    image = np.repeat(np.repeat(tiles, c, axis=0), c, axis=1)
    image[::c, :, :] = 0  # grid lines
    image[:, ::c, :] = 0
    row, col = divmod(state, ncol)
    pad = c // 4
    image[row * c + pad:(row + 1) * c - pad + 1, col * c + pad:(col + 1) * c - pad + 1] = AGENT_COLOUR
    return image


__all__ = ["ARROWS", "CELL_COLOURS", "cell_kinds", "hex_colour", "rgb_frame", "text_frame", "text_map"]
