"""Random FrozenLake maps, as Gymnasium draws them: :func:`random_map`."""

from __future__ import annotations

from collections import deque

import numpy as np

from . import _validate


def random_map(size: int = 8, p_frozen: float = 0.8, seed: int = 0) -> list[str]:
    """A random FrozenLake map whose goal can be reached, as Gymnasium's ``generate_random_map``.

    The map is ``size`` x ``size``: the start in the top-left corner, the goal in the
    bottom-right one, every other cell frozen (``F``) with probability ``p_frozen`` and a hole
    (``H``) otherwise.  Maps are drawn until one has a path of frozen cells from the start to the
    goal (compass moves, no holes).  The draws are Gymnasium's
    (``np.random.default_rng(seed).choice(["F", "H"], (size, size), p=[p_frozen, 1 - p_frozen])``
    per attempt), so the result equals
    ``gymnasium.envs.toy_text.frozen_lake.generate_random_map(size, p_frozen, seed)``.

    Parameters
    ----------
    size : int, 2 <= size <= 1000
        Side of the square map.
    p_frozen : float, 0 < p_frozen <= 1
        Probability that a cell (other than start and goal) is frozen.
    seed : int, >= 0
        The map is a function of ``(size, p_frozen, seed)``.

    Returns
    -------
    list of str
        ``size`` rows, ready for :class:`fastq.GridWorld` (e.g. with FrozenLake's
        ``slip=Fraction(2, 3)``).

    Raises
    ------
    ValueError
        If no valid map turns up within 10,000 draws (``p_frozen`` too small for ``size``).

    Examples
    --------
    >>> import fastq
    >>> rows = fastq.random_map(size=4, p_frozen=0.8, seed=3)
    >>> rows
    ['SFHF', 'FFFF', 'FFFF', 'FFFG']
    >>> env = fastq.GridWorld(rows, slip="2/3", max_steps=100)
    """
    size = _validate.integer("size", size, low=2, high=1000)
    p_frozen = _validate.real("p_frozen", p_frozen, low=0.0, high=1.0, low_closed=False)
    seed = _validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)  # Gymnasium's seeding.np_random(seed) is this generator
    for _ in range(10_000):
        board = rng.choice(["F", "H"], (size, size), p=[p_frozen, 1 - p_frozen])
        board[0, 0] = "S"
        board[-1, -1] = "G"
        if _goal_reachable(board != "H"):
            return ["".join(row) for row in board]
    raise ValueError(
        f"random_map found no map with a reachable goal in 10000 draws of size={size}, "
        f"p_frozen={p_frozen}; use a larger p_frozen"
    )


def _goal_reachable(open_cells: np.ndarray) -> bool:
    """Whether the bottom-right cell can be reached from the top-left one through open cells."""
    n = open_cells.shape[0]
    seen = np.zeros_like(open_cells)
    seen[0, 0] = True
    queue = deque([(0, 0)])
    while queue:
        r, c = queue.popleft()
        for r2, c2 in ((r + 1, c), (r, c + 1), (r - 1, c), (r, c - 1)):
            if 0 <= r2 < n and 0 <= c2 < n and open_cells[r2, c2] and not seen[r2, c2]:
                if (r2, c2) == (n - 1, n - 1):
                    return True
                seen[r2, c2] = True
                queue.append((r2, c2))
    return False


__all__ = ["random_map"]
