"""TabularMDP: the compiled model every kernel consumes.

A finite Markov decision process with ``S`` states and ``A`` actions, stored in *outcome form*:
taking action ``a`` in state ``s`` leads to state ``next_state[s, a, k]`` with probability
``prob[s, a, k]`` and reward ``reward[s, a, k]``, for ``k < K``.  ``K`` is the largest number of
outcomes of any state-action pair (1 when deterministic, 3 on a slippery grid); shorter rows are
padded with probability 0 and a valid state index.

Entering a state with ``terminal[s]`` ends the episode: terminal states are absorbing and no
action is taken there, so their rows are never read.  ``goal[s]`` marks the terminal states that
count as success.  Episodes start in a state drawn from ``start`` and are truncated after
``max_steps`` steps.

Every array is C-contiguous, read-only and of one fixed dtype (int64 indices, float64
probabilities and rewards, bool masks), so each kernel compiles exactly once.  For sampling, the
kernels use ``cum_prob``, the running sum of ``prob`` along ``k`` with every entry from the last
positive outcome on set to exactly 1.0: rounding can never select a padding outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validate
from ._validate import ArgumentError, ArgumentTypeError
from .rng import MAX_STEPS_LIMIT

#: Rows of ``prob`` and ``start`` must sum to 1 within this tolerance.
SUM_TOL = 1e-12


def _frozen(arr: np.ndarray, dtype) -> np.ndarray:
    """A read-only copy; returned as a view of a read-only base, so that nobody can set
    ``writeable`` back to True (numpy refuses it for views of read-only memory)."""
    base = np.array(arr, dtype=dtype, order="C", copy=True)
    base.flags.writeable = False
    return base.view()


class TabularMDP:
    """A finite MDP in outcome form, validated and read-only.

    Parameters
    ----------
    next_state : array of int, shape (S, A, K)
        Successor state of outcome ``k`` of action ``a`` in state ``s``.
    prob : array of float, shape (S, A, K)
        Probability of each outcome; every row ``prob[s, a]`` sums to 1 within 1e-12, summed in
        float64.  Float32 rows may miss 1 by their own precision (``K * 1.2e-7``) and are then
        divided by their sum, so that the stored float64 rows sum to 1 within 1e-12.
    reward : array of float, shape (S, A, K)
        Reward received with each outcome.
    terminal : array of bool, shape (S,)
        States that end the episode when entered.
    start : array of float, shape (S,)
        Start distribution; sums to 1 and puts no mass on terminal states.
    goal : array of bool, shape (S,), optional
        Terminal states that count as success (default: none).
    max_steps : int, default 1000
        Episodes are truncated after this many steps (1 <= max_steps <= 2**29).
    name : str, optional
        A label used in results and messages.
    action_names : sequence of str, optional
        One name per action (default ``"0", "1", ...``).
    allowed : array of bool, shape (S, A), optional
        The actions available in each state (default: all).  Exploration, the greedy choice,
        the max and the expectation of every learner range over allowed actions only; every
        non-terminal state needs at least one.  Rows of disallowed actions must still be valid
        (they are never sampled).
    reward_std : array of float, shape (S, A), optional
        Standard deviation of Gaussian noise added to the reward of taking ``a`` in ``s``
        (default: 0, no noise).  ``reward`` holds the mean; the noise is drawn from the agent's
        random stream.

    Examples
    --------
    A two-state chain: action 0 stays, action 1 moves on and ends the episode with reward 1.

    >>> import numpy as np
    >>> from fastq import TabularMDP
    >>> mdp = TabularMDP(
    ...     next_state=[[[0], [1]], [[1], [1]]],
    ...     prob=[[[1.0], [1.0]], [[1.0], [1.0]]],
    ...     reward=[[[0.0], [1.0]], [[0.0], [0.0]]],
    ...     terminal=[False, True], start=[1.0, 0.0], max_steps=10)
    >>> mdp.shape
    (2, 2, 1)
    """

    def __init__(
        self,
        next_state,
        prob,
        reward,
        terminal,
        start,
        *,
        goal=None,
        max_steps: int = 1000,
        name: str = "TabularMDP",
        action_names: Sequence[str] | None = None,
        allowed=None,
        reward_std=None,
    ):
        next_state = _validate.array("next_state", next_state, "iu", 3, "integers")
        prob = _validate.array("prob", prob, "iuf", 3, "real numbers")
        reward = _validate.array("reward", reward, "iuf", 3, "real numbers")
        S, A, K = next_state.shape
        if S < 1 or A < 1 or K < 1:
            raise ArgumentError("next_state", f"next_state must have shape (S, A, K) with S, A, K >= 1, got {next_state.shape}")
        if A >= 2**31:
            raise ArgumentError("next_state", f"the number of actions must be below 2**31, got {A}")
        for label, arr in (("prob", prob), ("reward", reward)):
            if arr.shape != next_state.shape:
                raise ArgumentError(label, f"{label} must have the shape of next_state {next_state.shape}, got {arr.shape}")
            if not np.isfinite(arr).all():
                raise ArgumentError(label, f"{label} must be finite everywhere")
        bad = (next_state < 0) | (next_state >= S)
        if bad.any():
            s, a, k = np.argwhere(bad)[0]
            raise ArgumentError(
                "next_state", f"next_state must hold state indices in [0, {S}), got {next_state[s, a, k].item()} at [{s}, {a}, {k}]"
            )
        if (prob < 0).any():
            s, a, k = np.argwhere(prob < 0)[0]
            raise ArgumentError("prob", f"prob must be >= 0, got {prob[s, a, k].item()} at [{s}, {a}, {k}]")
        prob = _distribution("prob", prob, "every row prob[s, a]", lambda s, a: f" at s={s}, a={a}")
        terminal = _validate.array("terminal", terminal, "b", 1, "bools")
        if terminal.shape != (S,):
            raise ArgumentError("terminal", f"terminal must have shape ({S},), got {terminal.shape}")
        start = _validate.array("start", start, "iuf", 1, "real numbers")
        if start.shape != (S,):
            raise ArgumentError("start", f"start must have shape ({S},), got {start.shape}")
        if not np.isfinite(start).all() or (start < 0).any():
            raise ArgumentError("start", "start must be a probability distribution (finite, >= 0)")
        start = _distribution("start", start, "start", lambda: "")
        if (start[terminal] > 0).any():
            s = int(np.flatnonzero(terminal & (start > 0))[0])
            raise ArgumentError("start", f"start must put no probability on terminal states, got start[{s}] = {start[s].item()}")
        if goal is None:
            goal = np.zeros(S, dtype=bool)
        goal = _validate.array("goal", goal, "b", 1, "bools")
        if goal.shape != (S,):
            raise ArgumentError("goal", f"goal must have shape ({S},), got {goal.shape}")
        if (goal & ~terminal).any():
            s = int(np.flatnonzero(goal & ~terminal)[0])
            raise ArgumentError("goal", f"goal states must be terminal, but state {s} is a goal and not terminal")
        self.max_steps = _validate.integer("max_steps", max_steps, low=1, high=MAX_STEPS_LIMIT)
        if not isinstance(name, str):
            raise ArgumentTypeError("name", f"name must be a str, got {type(name).__name__}")
        self.name = name
        if action_names is None:
            action_names = tuple(str(a) for a in range(A))
        if isinstance(action_names, (str, bytes)) or not isinstance(action_names, (Sequence, np.ndarray)):
            raise ArgumentTypeError("action_names", f"action_names must be a sequence of {A} strings, "
                                                    f"got {type(action_names).__name__}")
        action_names = tuple(action_names)
        if len(action_names) != A or not all(isinstance(n, str) for n in action_names):
            raise ArgumentError("action_names", f"action_names must be {A} strings, got {action_names!r}")
        self.action_names = action_names
        if allowed is None:
            allowed = np.ones((S, A), dtype=bool)
        allowed = _validate.array("allowed", allowed, "b", 2, "bools")
        if allowed.shape != (S, A):
            raise ArgumentError("allowed", f"allowed must have shape (S, A) = {(S, A)}, got {allowed.shape}")
        stuck = ~allowed.any(axis=1) & ~terminal
        if stuck.any():
            raise ArgumentError("allowed", f"allowed must permit at least one action in every non-terminal state, state {int(np.flatnonzero(stuck)[0])} has none")
        if reward_std is None:
            reward_std = np.zeros((S, A))
        reward_std = _validate.array("reward_std", reward_std, "iuf", 2, "real numbers")
        if reward_std.shape != (S, A):
            raise ArgumentError("reward_std", f"reward_std must have shape (S, A) = {(S, A)}, got {reward_std.shape}")
        if not np.isfinite(reward_std).all() or (reward_std < 0).any():
            raise ArgumentError("reward_std", "reward_std must be finite and >= 0 everywhere")

        self.next_state = _frozen(next_state, np.int64)
        self.prob = _frozen(prob, np.float64)
        self.reward = _frozen(reward, np.float64)
        self.terminal = _frozen(terminal, np.bool_)
        self.goal = _frozen(goal, np.bool_)
        self.start = _frozen(start, np.float64)
        self.cum_prob = _frozen(_sampling_table(self.prob), np.float64)
        self.start_cum = _frozen(_sampling_table(self.start[None, :])[0], np.float64)
        self.allowed = _frozen(allowed, np.bool_)
        self.reward_std = _frozen(reward_std, np.float64)
        #: Every action allowed everywhere: kernels then skip the mask.
        self.all_allowed = bool(allowed.all())
        # Exploration tables: state s offers n_allowed[s] actions, allowed_actions[s, :n] (in
        # action order, padded with action 0).  With every action allowed, allowed_actions[s, j]
        # is j, so a uniform random action is the same number with or without a mask.
        order = np.argsort(~allowed, axis=1, kind="stable")
        self.n_allowed = _frozen(allowed.sum(axis=1), np.int64)
        self.allowed_actions = _frozen(np.where(np.take_along_axis(allowed, order, 1), order, 0), np.int64)
        self._sealed = True

    #: The constructor's arguments, in order: what :meth:`arguments` returns and
    #: :meth:`replace` takes.
    ARGUMENTS = ("next_state", "prob", "reward", "terminal", "start", "goal", "max_steps", "name",
                 "action_names", "allowed", "reward_std")

    def arguments(self) -> dict:
        """The constructor arguments that rebuild this model: ``TabularMDP(**mdp.arguments())``.

        The arrays are the model's own (read-only); a worker process rebuilds the model from
        them, so that it is read-only there too.

        Examples
        --------
        >>> import fastq
        >>> mdp = fastq.make("MaxBias")
        >>> sorted(mdp.arguments())[:3]
        ['action_names', 'allowed', 'goal']
        """
        return {name: getattr(self, name) for name in self.ARGUMENTS}

    def replace(self, **changes) -> "TabularMDP":
        """A new model with some constructor arguments changed, checked as at construction.

        Parameters
        ----------
        **changes
            Any of :attr:`ARGUMENTS` (``max_steps``, ``name``, ``reward``, ...).

        Returns
        -------
        TabularMDP

        Examples
        --------
        >>> import fastq
        >>> mdp = fastq.make("MaxBias")
        >>> mdp.replace(max_steps=3).max_steps, mdp.max_steps
        (3, 10)
        """
        unknown = sorted(set(changes) - set(self.ARGUMENTS))
        if unknown:
            raise ArgumentTypeError(unknown[0], f"TabularMDP.replace() got an unknown argument {unknown[0]!r}; "
                                                f"it takes {', '.join(self.ARGUMENTS)}")
        return TabularMDP(**{**self.arguments(), **changes})

    def __reduce__(self):
        # Unpickled (and deep-copied) models are rebuilt by the constructor: checked, read-only,
        # the same numba types as the original.  The default would restore writeable arrays
        # that nothing checks (one stray write then crashes a kernel) and a new kernel signature.
        return (_rebuild, (self.arguments(),))

    def __copy__(self) -> "TabularMDP":
        return self  # immutable: a copy is the model itself

    def __deepcopy__(self, memo) -> "TabularMDP":
        return self

    def __setattr__(self, name, value):
        # The kernels trust these fields (numba does not bounds-check): no changes after checks.
        if getattr(self, "_sealed", False):
            raise AttributeError(f"TabularMDP is read-only: cannot set {name!r}; build a new one")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(S, A, K)``."""
        return self.next_state.shape

    @property
    def n_states(self) -> int:
        return self.next_state.shape[0]

    @property
    def n_actions(self) -> int:
        return self.next_state.shape[1]

    @property
    def n_outcomes(self) -> int:
        return self.next_state.shape[2]

    @property
    def mdp(self) -> "TabularMDP":
        """The model itself, so a TabularMDP is accepted wherever an environment is."""
        return self

    def uniform_policy(self) -> np.ndarray:
        """The equiprobable policy: ``(S, A)`` float64, uniform over the allowed actions of every
        non-terminal state, 0 in terminal states (the policy of Sutton & Barto's random walks).

        Examples
        --------
        >>> import fastq
        >>> fastq.make("RandomWalk-5").uniform_policy()[3]
        array([0.5, 0.5])
        """
        policy = self.allowed / self.n_allowed[:, None]
        policy[self.terminal] = 0.0
        return policy

    @property
    def expected_reward(self) -> np.ndarray:
        """``r(s, a) = sum_k prob[s, a, k] * reward[s, a, k]``, shape (S, A)."""
        return np.einsum("sak,sak->sa", self.prob, self.reward)

    @property
    def reward_range(self) -> tuple[float, float]:
        """Smallest and largest reward of any outcome with positive probability
        (``(-inf, inf)`` where an allowed action has reward noise)."""
        if (self.reward_std[self.allowed & ~self.terminal[:, None]] > 0).any():
            return -np.inf, np.inf
        live = self.reward[self.prob > 0]
        return float(live.min()), float(live.max())

    def __repr__(self) -> str:
        S, A, K = self.shape
        return f"TabularMDP(name={self.name!r}, S={S}, A={A}, K={K}, max_steps={self.max_steps})"

    # ------------------------------------------------------------------ dense form
    @classmethod
    def from_dense(cls, P, R, terminal, start, **kwargs) -> "TabularMDP":
        """Build the outcome form from a dense transition tensor.

        Parameters
        ----------
        P : array, shape (S, A, S)
            ``P[s, a, s2]`` is the probability of moving from ``s`` to ``s2`` under ``a``.
        R : array, shape (S, A) or (S, A, S)
            Reward of taking ``a`` in ``s`` (and landing in ``s2``).
        terminal, start, **kwargs
            As in :class:`TabularMDP`.

        Examples
        --------
        >>> import numpy as np
        >>> from fastq import TabularMDP
        >>> P = np.zeros((2, 1, 2)); P[0, 0, 1] = 1.0; P[1, 0, 1] = 1.0
        >>> mdp = TabularMDP.from_dense(P, R=[[1.0], [0.0]], terminal=[False, True], start=[1, 0])
        >>> int(mdp.next_state[0, 0, 0]), float(mdp.reward[0, 0, 0])
        (1, 1.0)
        """
        P = _validate.array("P", P, "iuf", 3, "real numbers")
        S, A, S2 = P.shape
        if S2 != S:
            raise ArgumentError("P", f"P must have shape (S, A, S), got {P.shape}")
        R = np.asarray(R)
        if R.dtype.kind not in "iuf":
            raise ArgumentTypeError("R", f"R must be an array of real numbers, got dtype {R.dtype}")
        if R.shape == (S, A):
            R = np.broadcast_to(R[:, :, None], (S, A, S))
        elif R.shape != (S, A, S):
            raise ArgumentError("R", f"R must have shape (S, A) = {(S, A)} or (S, A, S) = {(S, A, S)}, got {R.shape}")
        if not np.isfinite(P).all():
            raise ArgumentError("P", "P must be finite everywhere")
        if (P < 0).any():
            s, a, s2 = np.argwhere(P < 0)[0]
            raise ArgumentError("P", f"P must be >= 0, got {P[s, a, s2].item()} at [{s}, {a}, {s2}]")
        support = P > 0
        K = max(int(support.sum(axis=2).max()), 1)
        next_state = np.zeros((S, A, K), dtype=np.int64)
        prob = np.zeros((S, A, K), dtype=P.dtype if P.dtype.kind == "f" else np.float64)  # checked as given
        reward = np.zeros((S, A, K))
        for s in range(S):
            for a in range(A):
                succ = np.flatnonzero(support[s, a])
                n = succ.size
                next_state[s, a, :n] = succ
                next_state[s, a, n:] = succ[-1] if n else s
                prob[s, a, :n] = P[s, a, succ]
                reward[s, a, :n] = R[s, a, succ]
        return cls(next_state, prob, reward, terminal, start, **kwargs)

    def to_dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The dense form ``(P, R)`` with ``P, R`` of shape (S, A, S).

        ``R[s, a, s2]`` is the expected reward of the transitions from ``s`` under ``a`` that
        land in ``s2`` (0 where ``P[s, a, s2] == 0``); with one outcome per successor, as
        :meth:`from_dense` produces, the two functions are inverses.
        """
        S, A, K = self.shape
        P = np.zeros((S, A, S))
        weighted = np.zeros((S, A, S))
        s_idx = np.repeat(np.arange(S), A * K)
        a_idx = np.tile(np.repeat(np.arange(A), K), S)
        flat_next = self.next_state.ravel()
        np.add.at(P, (s_idx, a_idx, flat_next), self.prob.ravel())
        np.add.at(weighted, (s_idx, a_idx, flat_next), (self.prob * self.reward).ravel())
        R = np.divide(weighted, P, out=np.zeros_like(P), where=P > 0)
        return P, R


def _rebuild(arguments: dict) -> TabularMDP:
    """Unpickling: the model built again through its checks (see ``TabularMDP.__reduce__``)."""
    return TabularMDP(**arguments)


def sum_tolerance(dtype, n: int, tol: float = SUM_TOL) -> float:
    """How far from 1 a sum of ``n`` probabilities of ``dtype`` may be: ``tol`` for float64 and
    integers, ``n`` units in the last place of a less precise float (float32: ``n * 1.2e-7``),
    which cannot hold most probabilities closer than that.

    Examples
    --------
    >>> sum_tolerance(np.float64, 3), sum_tolerance(np.float32, 3) > 3e-7
    (1e-12, True)
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return tol
    return max(tol, n * float(np.finfo(dtype).eps))


def _distribution(name: str, values: np.ndarray, what: str, where) -> np.ndarray:
    """``values`` (probabilities along the last axis) as float64 whose sums are 1 within
    :data:`SUM_TOL`.  Converted first, then checked: each sum is taken in float64.  Values of a
    less precise type (float32) may miss 1 by their own precision (:func:`sum_tolerance`); they
    are divided by their sum, so the stored rows sum to 1 within ``SUM_TOL`` as documented."""
    exact = values.astype(np.float64)
    sums = exact.sum(axis=-1)
    tol = sum_tolerance(values.dtype, values.shape[-1])
    off = np.abs(sums - 1.0) > tol
    if off.any():
        at = tuple(int(i) for i in np.argwhere(off)[0]) if off.ndim else ()
        precision = "" if tol == SUM_TOL else f" (the precision of its dtype {values.dtype})"
        raise ArgumentError(
            name, f"{what} must sum to 1 within {tol:.3g}{precision}, got {sums[at].item()!r}{where(*at)}"
        )
    if tol != SUM_TOL:
        exact = exact / sums[..., None]
    return exact


def _sampling_table(prob: np.ndarray) -> np.ndarray:
    """Running sums of ``prob`` along the last axis, exactly 1.0 from the last positive entry on."""
    cum = np.minimum(np.cumsum(prob, axis=-1), 1.0)
    positive = prob > 0
    K = prob.shape[-1]
    last = K - 1 - np.argmax(positive[..., ::-1], axis=-1)
    cum[np.arange(K) >= last[..., None]] = 1.0
    return cum
