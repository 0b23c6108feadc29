"""Gymnasium -> fastq: the :class:`fastq.TabularMDP` of a tabular Gymnasium environment.

See :mod:`fastq.gym` for the rules (terminal and goal states, start distribution, time limit).
"""

from __future__ import annotations

import math
import numbers

import gymnasium
import numpy as np
from gymnasium import spaces

from .. import _deprecation, _validate
from .._validate import ArgumentError, ArgumentTypeError
from ..mdp import SUM_TOL, TabularMDP
from ..rng import MAX_STEPS_LIMIT

#: ``max_steps`` of an imported environment whose spec sets no time limit (fastq's CliffWalking cap).
DEFAULT_MAX_STEPS = 10_000

# Action names of the Gymnasium environments fastq knows (by class name).
_ACTION_NAMES = {
    "FrozenLakeEnv": ("left", "down", "right", "up"),
    "CliffWalkingEnv": ("up", "right", "down", "left"),
    "TaxiEnv": ("south", "north", "east", "west", "pickup", "dropoff"),
}


@_deprecation.renamed(env_or_id="env")
def from_gymnasium(env, **make_kwargs) -> TabularMDP:
    """The :class:`fastq.TabularMDP` of a tabular Gymnasium environment.

    Parameters
    ----------
    env : str or gymnasium.Env
        A registered id (``"FrozenLake-v1"``, ``"Taxi-v4"``, ...), made with
        ``gymnasium.make(env, **make_kwargs)``, or an environment (wrapped or not) whose
        ``unwrapped`` has a transition table ``P``.  (``env_or_id=`` is its deprecated name.)
    **make_kwargs
        Passed to ``gymnasium.make`` (``is_slippery``, ``desc``, ``success_rate``,
        ``is_rainy``, ``max_episode_steps``, ...); only with an id.

    Returns
    -------
    TabularMDP
        Outcome form of ``P`` (same outcomes, same order), start distribution, terminal and goal
        states, ``max_steps`` from the spec's time limit (see the module docstring), the id as
        ``name`` and the action names where fastq knows them.

    Raises
    ------
    ValueError
        The environment has no ``P``, no Discrete spaces or no start distribution, its ``P`` is
        malformed, or its termination is not a property of the state entered.

    Examples
    --------
    >>> import fastq
    >>> taxi = fastq.from_gymnasium("Taxi-v4")
    >>> taxi.shape, taxi.max_steps, int(taxi.terminal.sum()), int((taxi.start > 0).sum())
    ((500, 6, 1), 200, 4, 300)
    >>> lake = fastq.from_gymnasium("FrozenLake-v1", is_slippery=True, success_rate=0.5)
    >>> [float(p) for p in lake.prob[0, 1]]            # down from the start: 1/4, 1/2, 1/4
    [0.25, 0.5, 0.25]
    """
    if isinstance(env, str):
        made = gymnasium.make(env, **make_kwargs)
        try:
            return _from_env(made)
        finally:
            made.close()
    if not isinstance(env, gymnasium.Env):
        raise ArgumentTypeError(
            "env", f"env must be a Gymnasium id (str) or a gymnasium.Env, got {type(env).__name__}"
        )
    if make_kwargs:
        raise ArgumentTypeError(
            sorted(make_kwargs)[0],
            f"from_gymnasium() takes keyword arguments ({', '.join(sorted(make_kwargs))}) only with an "
            "environment id: they are passed to gymnasium.make"
        )
    return _from_env(env)


def _from_env(env) -> TabularMDP:
    unwrapped = env.unwrapped
    spec = env.spec if env.spec is not None else unwrapped.spec
    label = spec.id if spec is not None else type(unwrapped).__name__
    P = getattr(unwrapped, "P", None)
    if P is None:
        raise ArgumentError(
            "env", f"{label} has no transition table: fastq imports environments whose env.unwrapped.P "
            "lists P[s][a] = [(probability, next_state, reward, terminated), ...] (FrozenLake, "
            "CliffWalking, Taxi)"
        )
    for what in ("observation_space", "action_space"):
        space = getattr(unwrapped, what)
        if not isinstance(space, spaces.Discrete) or int(space.start) != 0:
            raise ArgumentError("env", f"{label}: the {what} must be Discrete(n) starting at 0, got {space}")
    if getattr(unwrapped, "fickle_passenger", False):
        raise ArgumentError(
            "env", f"{label}: fickle_passenger=True changes the destination inside step(), not in P; "
            "fastq can import only the dynamics that P describes (use fickle_passenger=False)"
        )
    S, A = int(unwrapped.observation_space.n), int(unwrapped.action_space.n)
    start = getattr(unwrapped, "initial_state_distrib", getattr(unwrapped, "isd", None))
    if start is None:
        raise ArgumentError("env", f"{label} has no start distribution (env.unwrapped.initial_state_distrib)")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (S,):
        raise ArgumentError("env", f"{label}: initial_state_distrib must have shape ({S},), got {start.shape}")

    rows = [[_outcomes(P, s, a, S, label) for a in range(A)] for s in range(S)]
    terminal = np.zeros(S, dtype=bool)
    for row in rows:
        for outs in row:
            for p, nxt, _, ends in outs:
                if ends and p > 0:
                    terminal[nxt] = True
    _check_termination(rows, terminal, start, label)

    K = max(len(outs) for row in rows for outs in row)
    next_state = np.zeros((S, A, K), dtype=np.int64)
    prob = np.zeros((S, A, K))
    reward = np.zeros((S, A, K))
    for s, row in enumerate(rows):
        for a, outs in enumerate(row):
            if terminal[s]:
                outs = [(1.0, s, 0.0, True)]  # absorbing; never read
            for k, (p, nxt, r, _) in enumerate(outs):
                next_state[s, a, k], prob[s, a, k], reward[s, a, k] = nxt, p, r
            next_state[s, a, len(outs):] = outs[-1][1]  # padding: probability 0, valid index

    desc = getattr(unwrapped, "desc", None)
    goal = terminal.copy()
    if desc is not None and np.size(desc) == S and np.asarray(desc).dtype.kind == "S":
        goal = terminal & (np.asarray(desc).ravel() == b"G")
    max_steps = DEFAULT_MAX_STEPS
    if spec is not None and spec.max_episode_steps is not None:
        max_steps = _validate.integer("max_episode_steps", spec.max_episode_steps, low=1, high=MAX_STEPS_LIMIT)
    names = _ACTION_NAMES.get(type(unwrapped).__name__)
    try:
        return TabularMDP(
            next_state, prob, reward, terminal, start,
            goal=goal, max_steps=max_steps, name=label,
            action_names=names if names is not None and len(names) == A else None,
        )
    except ArgumentError as exc:  # the start distribution, say: about the environment given
        raise ArgumentError("env", f"{label}: {exc}") from None


def _outcomes(P, s: int, a: int, S: int, label: str) -> list[tuple[float, int, float, bool]]:
    """``P[s][a]`` checked and converted to ``(p, next, r, terminated)`` with Python types."""
    try:
        row = P[s][a]
    except (KeyError, IndexError, TypeError):
        raise ArgumentError(
            "env", f"{label}: P[{s}][{a}] is missing; P must list the outcomes of every state and action"
        ) from None
    try:
        outs = list(row)
    except TypeError:
        raise ArgumentError(
            "env", f"{label}: P[{s}][{a}] must be a list of (probability, next_state, reward, terminated), got {row!r}"
        ) from None
    if not outs:
        raise ArgumentError("env", f"{label}: P[{s}][{a}] is empty; every action needs at least one outcome")
    checked = []
    for j, item in enumerate(outs):
        if not isinstance(item, (tuple, list)) or len(item) != 4:
            raise ArgumentError(
                "env", f"{label}: P[{s}][{a}][{j}] must be (probability, next_state, reward, terminated), got {item!r}"
            )
        p, nxt, r, ends = item
        if not isinstance(nxt, numbers.Integral) or not 0 <= nxt < S:
            raise ArgumentError("env", f"{label}: P[{s}][{a}][{j}] has next_state {nxt!r}, outside [0, {S})")
        try:
            p, r = float(p), float(r)
        except (TypeError, ValueError):
            p = r = math.nan
        if not (math.isfinite(p) and p >= 0) or not math.isfinite(r):
            raise ArgumentError("env", f"{label}: P[{s}][{a}][{j}] needs a probability >= 0 and a finite reward, got {item!r}")
        checked.append((p, int(nxt), r, bool(ends)))
    total = math.fsum(p for p, *_ in checked)
    if abs(total - 1.0) > SUM_TOL:
        raise ArgumentError("env", f"{label}: the probabilities of P[{s}][{a}] sum to {total!r}, not 1 (within {SUM_TOL})")
    return checked


def _check_termination(rows, terminal: np.ndarray, start: np.ndarray, label: str) -> None:
    """Termination must be a property of the state entered, on every reachable transition."""
    first = np.flatnonzero((start > 0) & terminal)
    if first.size:
        raise ArgumentError(
            "env", f"{label}: state {first[0]} is a start state and is also entered by a terminating "
            "transition; fastq ends episodes by the state entered, so it cannot be both"
        )
    seen = start > 0
    queue = list(np.flatnonzero(seen))
    while queue:
        s = queue.pop()
        for a, outs in enumerate(rows[s]):
            for p, nxt, _, ends in outs:
                if p <= 0:
                    continue
                if ends != terminal[nxt]:
                    raise ArgumentError(
                        "env", f"{label}: the transition from state {s} with action {a} to state {nxt} has "
                        f"terminated={ends}, but other transitions into state {nxt} have "
                        f"terminated={not ends}; fastq ends episodes by the state entered, so "
                        "termination must be the same for every transition into a state"
                    )
                if not ends and not seen[nxt]:
                    seen[nxt] = True
                    queue.append(nxt)
