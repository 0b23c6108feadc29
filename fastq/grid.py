"""GridWorld: an ASCII map plus dynamics options, compiled to a :class:`TabularMDP`.

Cells::

    S  start          episodes start in a start cell, uniformly at random among them
    G  goal           terminal; entering it gives goal_reward and counts as success
    H  hole           terminal; entering it gives hole_reward
    C  cliff          entering it gives cliff_reward; with cliff="reset" (the default, Gymnasium
                      and Sutton & Barto) it sends the agent back to a start cell and the episode
                      goes on; with cliff="terminate" it ends the episode (not a success)
    #  wall           moving into it (or off the map) leaves the agent where it is
    .  or F  free     entering it gives step_reward

State ``s`` is the cell ``(s // ncol, s % ncol)`` in row-major order, as in Gymnasium.  Every
cell is a state, also walls and cliffs, which can never be occupied; their rows are well defined
and never used.

Moves: each action is a move of one cell, named by a letter (``MOVES``): the compass moves
``L D R U`` and, for king's moves, the diagonals ``Q`` (up-left), ``E`` (up-right), ``Z``
(down-left) and ``C`` (down-right), the keys around ``S`` on a QWERTY keyboard.  A move into a
wall or off the map leaves the agent in place (also a diagonal one: it does not slide along
the edge).

Slip: with ``slip > 0`` the intended move happens with probability ``p = 1 - slip``.  With
``slip_mode="perpendicular"`` (the default) each of the two moves at right angles to it happens
with probability ``(1 - p) / 2`` (Gymnasium's ``success_rate`` / ``fail_rate`` formula;
FrozenLake's ``is_slippery`` is ``slip = Fraction(2, 3)``, which yields exactly Gymnasium's
floats).  With ``slip_mode="uniform"`` each of the other moves among ``actions`` happens with
probability ``(1 - p) / (len(actions) - 1)`` (the rooms of Sutton, Precup and Singh, 1999:
``slip = 1/3`` over four actions gives 2/3 and three times 1/9).

Wind: ``wind[c]`` pushes the agent ``wind[c]`` cells up after its move, where ``c`` is the
column the agent leaves (Sutton and Barto's Windy Gridworld).  The wind moves the agent one cell
at a time and stops at the top edge or under a wall.  With ``stochastic_wind=True`` a wind that
blows (``wind[c] > 0``) blows ``wind[c]``, ``wind[c] + 1`` or ``wind[c] - 1`` cells, each with
probability 1/3 (their Exercise 6.10).  Only the cell where the agent ends up after the move and
the wind counts: cells it passes on the way (a goal, a hole, a cliff) have no effect.

The outcome of a move is decided by the cell the agent ends up in, also when a wall or the edge
kept it in place.  Outcomes that land in the same state with the same reward are merged.

Reward rule: the entered cell's reward replaces the step reward (entering the goal gives
``goal_reward``, not ``step_reward + goal_reward``), as in Gymnasium's FrozenLake and
CliffWalking.
"""

from __future__ import annotations

import functools
import numbers
from collections import deque
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from . import _validate, render
from ._validate import ArgumentError, ArgumentTypeError
from .mdp import TabularMDP
from .rng import MAX_STEPS_LIMIT

CELLS = "SGHC#.F"
#: What each map character means.
CELL_NAMES = {"S": "start", "G": "goal", "H": "hole", "C": "cliff", "#": "wall", ".": "free", "F": "free"}

#: Moves: letter -> name, (row delta, col delta), arrow used when rendering a policy
#: (:data:`fastq.render.ARROWS`).
MOVES = {
    letter: (name, delta, render.ARROWS[letter])
    for letter, name, delta in (
        ("L", "left", (0, -1)), ("D", "down", (1, 0)), ("R", "right", (0, 1)), ("U", "up", (-1, 0)),
        ("Q", "up-left", (-1, -1)), ("E", "up-right", (-1, 1)), ("Z", "down-left", (1, -1)),
        ("C", "down-right", (1, 1)),
    )
}
#: The four compass moves in FrozenLake's order, and king's moves (the compass, then the diagonals).
COMPASS = "LDRU"
KINGS = "LDRUQEZC"
#: What entering a cliff cell does.
CLIFF_MODES = ("reset", "terminate")
#: Where the slipped probability goes.
SLIP_MODES = ("perpendicular", "uniform")


@dataclass(frozen=True)
class GridWorld:
    """A grid world given as an ASCII map.

    Parameters
    ----------
    rows : sequence of str, or str
        The map, one string per row (or one string with a line per row), all of one length,
        made of the characters ``S G H C # . F`` (see the module docstring).
    slip : float, Fraction or str, default 0
        Probability mass moved from the intended move to other moves (see ``slip_mode``);
        ``0 <= slip <= 1``.  A string such as ``"2/3"`` is read as an exact Fraction.
    step_reward, goal_reward, hole_reward, cliff_reward : float
        Reward for entering a free (or start) cell, a goal, a hole, a cliff.
    max_steps : int, optional
        Truncation limit; default ``max(100, 4 * rows * columns)``.
    actions : str, default "LDRU"
        The moves, in action order, as letters of ``MOVES``: ``"LDRU"`` is Gymnasium's
        FrozenLake (0 left, 1 down, 2 right, 3 up), ``"URDL"`` its CliffWalking; king's moves
        add the diagonals ``Q`` (up-left), ``E`` (up-right), ``Z`` (down-left), ``C``
        (down-right), e.g. ``"URDLECZQ"``.
    name : str
        A label for results and messages.
    wind : sequence of int, optional
        One non-negative integer per column: the number of cells the wind pushes the agent up
        after a move that leaves that column (default: no wind).
    stochastic_wind : bool, default False
        Where the wind blows, it blows one cell more or one cell less than ``wind`` with
        probability 1/3 each (needs ``wind``).
    cliff : {"reset", "terminate"}, default "reset"
        Entering a cliff sends the agent back to a start cell and the episode goes on
        (Gymnasium, Sutton & Barto), or ends the episode.
    slip_mode : {"perpendicular", "uniform"}, default "perpendicular"
        The slipped mass goes to the two moves at right angles to the intended one, split
        equally (Gymnasium), or to every other move among ``actions``, split equally.

    Examples
    --------
    >>> import fastq
    >>> env = fastq.GridWorld(["S..#", ".#.G"], slip=0.1, step_reward=-1.0)
    >>> env.mdp.shape          # 8 states, 4 actions, up to 3 outcomes
    (8, 4, 3)
    >>> print(env.render())
    S..#
    .#.G

    A windy corridor with king's moves: from the start, "up-right" lands two rows higher
    (one for the move, one for the wind of column 0).

    >>> windy = fastq.GridWorld(["...", "...", "S.G"], actions="URDLECZQ", wind=[1, 0, 0])
    >>> windy.action_names[4], int(windy.mdp.next_state[windy.state(2, 0), 4, 0]) == windy.state(0, 1)
    ('up-right', True)
    """

    rows: tuple[str, ...]
    slip: float = 0.0
    step_reward: float = 0.0
    goal_reward: float = 1.0
    hole_reward: float = 0.0
    cliff_reward: float = -100.0
    max_steps: int | None = None
    actions: str = "LDRU"
    name: str = "GridWorld"
    wind: tuple[int, ...] | None = None
    stochastic_wind: bool = False
    cliff: str = "reset"
    slip_mode: str = "perpendicular"
    _cells: np.ndarray = field(init=False, repr=False, compare=False)
    _default_max_steps: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        rows = self.rows
        if isinstance(rows, str):
            rows = rows.strip("\n").splitlines()
        if isinstance(rows, np.ndarray):
            rows = rows.tolist()
        if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (str, bytes)) for r in rows):
            raise ArgumentTypeError("rows", "rows must be a list of strings (one per map row) or a multi-line string")
        rows = tuple(r.decode() if isinstance(r, bytes) else r for r in rows)
        if not rows or not rows[0]:
            raise ArgumentError("rows", "rows must describe a non-empty map")
        width = len(rows[0])
        for i, row in enumerate(rows):
            if len(row) != width:
                raise ArgumentError(
                    "rows",
                    f"rows must form a rectangle: row 0 has {width} cells but row {i} has {len(row)}"
                )
            for j, ch in enumerate(row):
                if ch not in CELLS:
                    raise ArgumentError(
                        "rows",
                        f"rows: unknown cell {ch!r} at row {i}, column {j}; allowed cells are "
                        "S (start), G (goal), H (hole), C (cliff), # (wall), . or F (free)"
                    )
        cells = np.array([list(r) for r in rows])
        if not (cells == "S").any():
            raise ArgumentError("rows", "rows: the map needs at least one start cell 'S'")
        if not (cells == "G").any():
            raise ArgumentError(
                "rows",
                "rows: the map needs at least one goal cell 'G' (a terminal cell the agent can reach)"
            )
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "_cells", cells)

        if isinstance(self.slip, str):  # an exact fraction such as "2/3" (as options() writes it)
            try:
                object.__setattr__(self, "slip", Fraction(self.slip))
            except (ValueError, ZeroDivisionError):
                raise ArgumentTypeError("slip", f"slip must be a real number or a fraction such as '2/3', got {self.slip!r}") from None
        if not isinstance(self.slip, numbers.Real) or isinstance(self.slip, bool):
            raise ArgumentTypeError("slip", f"slip must be a real number, got {self.slip!r}")
        if not 0 <= self.slip <= 1:
            raise ArgumentError("slip", f"slip must be in the range 0 <= value <= 1, got {self.slip!r}")
        for reward in ("step_reward", "goal_reward", "hole_reward", "cliff_reward"):
            _validate.real(reward, getattr(self, reward))
        object.__setattr__(self, "_default_max_steps", self.max_steps is None)
        if self.max_steps is None:
            object.__setattr__(self, "max_steps", max(100, 4 * cells.size))
        _validate.integer("max_steps", self.max_steps, low=1, high=MAX_STEPS_LIMIT)
        if not isinstance(self.actions, str):
            raise ArgumentTypeError("actions", f"actions must be a string of moves from {''.join(MOVES)!r}, got {self.actions!r}")
        if not self.actions or any(m not in MOVES for m in self.actions) or len(set(self.actions)) != len(self.actions):
            raise ArgumentError(
                "actions",
                f"actions must be a string of distinct moves from {''.join(MOVES)!r} "
                f"(L left, D down, R right, U up, Q up-left, E up-right, Z down-left, C down-right), "
                f"got {self.actions!r}"
            )
        if not isinstance(self.name, str):
            raise ArgumentTypeError("name", f"name must be a str, got {type(self.name).__name__}")
        object.__setattr__(self, "wind", self._checked_wind(self.wind, cells.shape[1]))
        if not isinstance(self.stochastic_wind, (bool, np.bool_)):
            raise ArgumentTypeError("stochastic_wind", f"stochastic_wind must be True or False, got {self.stochastic_wind!r}")
        object.__setattr__(self, "stochastic_wind", bool(self.stochastic_wind))
        if self.stochastic_wind and self.wind is None:
            raise ArgumentError("stochastic_wind", "stochastic_wind=True needs a wind (one integer per column)")
        _validate.choice("cliff", self.cliff, CLIFF_MODES)
        _validate.choice("slip_mode", self.slip_mode, SLIP_MODES)
        if self.slip_mode == "uniform" and self.slip > 0 and len(self.actions) < 2:
            raise ArgumentError(
                "slip_mode",
                f"slip_mode='uniform' spreads the slip over the other actions, but actions={self.actions!r} "
                "has only one; use slip=0 or more actions"
            )
        self._check_reachable()

    @staticmethod
    def _checked_wind(wind, ncol: int) -> tuple[int, ...] | None:
        """``wind`` as a tuple of ``ncol`` non-negative ints (or None), with clear errors."""
        if wind is None:
            return None
        if isinstance(wind, (str, bytes)) or not hasattr(wind, "__len__"):
            raise ArgumentTypeError(
                "wind",
                f"wind must be a sequence of {ncol} non-negative integers (one per column), got {wind!r}"
            )
        items = list(np.asarray(wind, dtype=object).ravel()) if isinstance(wind, np.ndarray) else list(wind)
        if isinstance(wind, np.ndarray) and wind.ndim != 1 or len(items) != ncol:
            raise ArgumentError(
                "wind",
                f"wind must have one entry per column ({ncol}), got {len(items)} entries"
            )
        for j, w in enumerate(items):
            if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
                raise ArgumentTypeError("wind", f"wind must hold integers, got {w!r} in column {j}")
            if w < 0:
                raise ArgumentError("wind", f"wind must hold integers >= 0 (the wind blows up), got {int(w)} in column {j}")
        return tuple(int(w) for w in items)

    # ------------------------------------------------------------------ geometry
    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of the map."""
        return self._cells.shape

    @property
    def n_states(self) -> int:
        return self._cells.size

    @property
    def action_names(self) -> tuple[str, ...]:
        """Name of each action, in action order (``("left", "down", "right", "up")``)."""
        return tuple(MOVES[m][0] for m in self.actions)

    def state(self, row: int, col: int) -> int:
        """State index of a cell (row-major)."""
        return row * self.shape[1] + col

    def cell(self, state: int) -> tuple[int, int]:
        """Cell ``(row, col)`` of a state index."""
        return divmod(int(state), self.shape[1])

    def _land(self, row: int, col: int, move: tuple[int, int]) -> tuple[int, int]:
        """Cell reached by a move from (row, col): walls and edges keep the agent in place."""
        nrow, ncol = self.shape
        r, c = row + move[0], col + move[1]
        if not (0 <= r < nrow and 0 <= c < ncol) or self._cells[r, c] == "#":
            return row, col
        return r, c

    def _moves(self, action: str) -> list[tuple[tuple[int, int], float]]:
        """The moves an action can make, with their probabilities (only the positive ones):
        the intended move first, then the slipped ones."""
        slip = self.slip if isinstance(self.slip, numbers.Rational) else float(self.slip)
        p_intended = float(1 - Fraction(slip))
        dr, dc = MOVES[action][1]
        if self.slip_mode == "uniform":
            others = [MOVES[m][1] for m in self.actions if m != action]
            p_other = (1.0 - p_intended) / len(others) if others else 0.0
            moves = [((dr, dc), p_intended)] + [(move, p_other) for move in others]
        else:
            p_side = (1.0 - p_intended) / 2.0
            # at right angles: clockwise on the rendered map, then counter-clockwise
            moves = [((dr, dc), p_intended), ((dc, -dr), p_side), ((-dc, dr), p_side)]
        return [(move, p) for move, p in moves if p > 0]

    def _winds(self, col: int) -> list[tuple[int, float]]:
        """Wind strengths when leaving column ``col``, with their probabilities."""
        w = 0 if self.wind is None else self.wind[col]
        if w > 0 and self.stochastic_wind:
            return [(w, 1.0 / 3.0), (w + 1, 1.0 / 3.0), (w - 1, 1.0 / 3.0)]
        return [(w, 1.0)]

    def _blow(self, row: int, col: int, strength: int) -> tuple[int, int]:
        """Cell reached by a wind of ``strength`` cells up: it stops at the top edge or a wall."""
        for _ in range(min(strength, self.shape[0])):
            if row == 0 or self._cells[row - 1, col] == "#":
                break
            row -= 1
        return row, col

    def _landings(self, row: int, col: int, action: str) -> list[tuple[tuple[int, int], float]]:
        """Cells where ``action`` taken in (row, col) ends (move, then the wind of column
        ``col``), with probabilities, in outcome order and not merged."""
        winds = self._winds(col)
        out = []
        for move, p in self._moves(action):
            landed = self._land(row, col, move)
            for strength, q in winds:
                out.append((self._blow(*landed, strength), p * q))
        return out

    def _check_reachable(self) -> None:
        """Every start cell must reach a goal through moves of positive probability.

        One backward search from the goals over the move graph (holes end the episode and
        cliffs send the agent back or end it, so neither leads on), then a look-up per start
        cell.
        """
        cells = self._cells
        nrow, ncol = self.shape
        arrive: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for r in range(nrow):
            for c in range(ncol):
                if cells[r, c] in "GHC#":
                    continue
                for m in self.actions:
                    for landed, _ in self._landings(r, c, m):
                        arrive.setdefault(landed, []).append((r, c))
        reach = {tuple(g) for g in zip(*np.nonzero(cells == "G"))}
        queue = deque(reach)
        while queue:
            for prev in arrive.get(queue.popleft(), ()):
                if prev not in reach:
                    reach.add(prev)
                    queue.append(prev)
        for r0, c0 in zip(*np.nonzero(cells == "S")):
            if (r0, c0) not in reach:
                raise ArgumentError(
                    "rows",
                    f"rows: no goal can be reached from the start cell at row {r0}, column {c0} "
                    "(walls, holes, cliffs or the wind cut it off)"
                )

    # ------------------------------------------------------------------ compilation
    @functools.cached_property
    def mdp(self) -> TabularMDP:
        """The compiled :class:`TabularMDP` (built once, read-only)."""
        cells = self._cells
        nrow, ncol = self.shape
        S, A = cells.size, len(self.actions)
        flat = cells.ravel()
        terminal = np.isin(flat, ["G", "H", "C"] if self.cliff == "terminate" else ["G", "H"])
        start = (flat == "S").astype(np.float64)
        start /= start.sum()
        start_states = np.flatnonzero(start)

        rows: list[list[list[tuple[int, float, float]]]] = []
        for s in range(S):
            r, c = divmod(s, ncol)
            row_s = []
            for m in self.actions:
                if terminal[s]:
                    row_s.append([(s, 1.0, 0.0)])  # absorbing; never read by the kernels
                    continue
                outcomes: dict[tuple[int, float], float] = {}
                for landed, p in self._landings(r, c, m):
                    for nxt, q, rew in self._enter(landed, start_states, start):
                        outcomes[(nxt, rew)] = outcomes.get((nxt, rew), 0.0) + p * q
                row_s.append([(nxt, p, rew) for (nxt, rew), p in outcomes.items()])
            rows.append(row_s)

        K = max(len(o) for row_s in rows for o in row_s)
        next_state = np.zeros((S, A, K), dtype=np.int64)
        prob = np.zeros((S, A, K))
        reward = np.zeros((S, A, K))
        for s, row_s in enumerate(rows):
            for a, outs in enumerate(row_s):
                for k, (nxt, p, rew) in enumerate(outs):
                    next_state[s, a, k], prob[s, a, k], reward[s, a, k] = nxt, p, rew
                next_state[s, a, len(outs):] = outs[-1][0]  # padding: probability 0, valid index
        return TabularMDP(
            next_state, prob, reward, terminal, start,
            goal=flat == "G", max_steps=self.max_steps, name=self.name,
            action_names=self.action_names,
        )

    def _enter(self, landed, start_states, start):
        """Outcomes ``(next_state, probability, reward)`` of ending a move in cell ``landed``."""
        kind = self._cells[landed]
        s = self.state(*landed)
        if kind == "G":
            return [(s, 1.0, float(self.goal_reward))]
        if kind == "H":
            return [(s, 1.0, float(self.hole_reward))]
        if kind == "C" and self.cliff == "terminate":
            return [(s, 1.0, float(self.cliff_reward))]
        if kind == "C":
            return [(int(s0), float(start[s0]), float(self.cliff_reward)) for s0 in start_states]
        return [(s, 1.0, float(self.step_reward))]

    # ------------------------------------------------------------------ helpers
    def uniform_policy(self) -> np.ndarray:
        """The equiprobable policy of the grid's model, ``(S, A)``
        (:meth:`fastq.TabularMDP.uniform_policy`).

        Examples
        --------
        >>> import fastq
        >>> fastq.make("RandomWalk-5").uniform_policy().shape
        (7, 2)
        """
        return self.mdp.uniform_policy()

    def replace(self, **overrides) -> "GridWorld":
        """A copy with some options changed, e.g. ``env.replace(slip=0.0)``.

        A ``max_steps`` that was left to its default is recomputed for the new map.
        """
        if self._default_max_steps and "max_steps" not in overrides:
            overrides["max_steps"] = None
        return replace(self, **overrides)

    def options(self) -> dict:
        """The map and options as plain JSON types; ``GridWorld(**env.options())`` rebuilds it.

        A Fraction ``slip`` is written as a string such as ``"2/3"`` (``Fraction("2/3")`` reads
        it back exactly); ``wind`` as a list of ints (or None).

        Examples
        --------
        >>> import fastq
        >>> fastq.make("FrozenLake-4x4").options()["slip"]
        '2/3'
        """
        slip = str(self.slip) if isinstance(self.slip, Fraction) else float(self.slip)
        return {
            "rows": list(self.rows), "slip": slip, "step_reward": float(self.step_reward),
            "goal_reward": float(self.goal_reward), "hole_reward": float(self.hole_reward),
            "cliff_reward": float(self.cliff_reward), "max_steps": int(self.max_steps),
            "actions": self.actions, "name": self.name,
            "wind": None if self.wind is None else list(self.wind),
            "stochastic_wind": self.stochastic_wind, "cliff": self.cliff, "slip_mode": self.slip_mode,
        }

    def render(self, policy=None) -> str:
        """The map as text; with ``policy`` (shape ``(S,)``), arrows on the free cells
        (:func:`fastq.render.text_map`).

        Examples
        --------
        >>> import fastq
        >>> env = fastq.GridWorld(["S.G"])
        >>> print(env.render(policy=[2, 2, 0]))
        \u2192\u2192G
        """
        if policy is None:
            return render.text_map(self.rows)
        policies, single = _validate.policy("policy", policy, self.n_states, len(self.actions))
        if not single:
            raise ArgumentError("policy", f"policy must have shape ({self.n_states},), got shape {np.shape(policy)}")
        return render.text_map(self.rows, self.actions, policies[0])
