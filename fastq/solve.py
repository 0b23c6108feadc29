r"""Exact solvers: value iteration and policy evaluation on the compiled model.

These are the planning counterparts of the learners: given the whole model (a
:class:`fastq.TabularMDP`) they compute the values a learner is trying to estimate, so a learned
Q-table or a learned policy can be scored exactly (Puterman 1994, ch. 6; Sutton & Barto 2018,
ch. 4).

**The Bellman optimality operator.**  In outcome form, action ``a`` in state ``s`` leads to
``next_state[s, a, k]`` with probability ``prob[s, a, k]`` and reward ``reward[s, a, k]``.  With
``r(s, a) = sum_k prob[s, a, k] * reward[s, a, k]`` (``TabularMDP.expected_reward``)::

    (T v)(s) = max_a  Q_v(s, a),    Q_v(s, a) = r(s, a) + gamma * sum_k prob[s, a, k] * v(next_state[s, a, k])

for non-terminal ``s``.  Terminal states are absorbing and no action is taken there: their value
is 0 and their rows in the model are never read (``(T v)(s) = 0``).  For ``gamma < 1``, ``T`` is a
``gamma``-contraction in the sup-norm and its unique fixed point is the optimal value ``v*``.

**Value iteration** starts from ``v_0 = 0`` and applies ``v_{n+1} = T v_n``.  Stopping rule
(Puterman 1994, theorem 6.3.1): for ``0 < gamma < 1``, stop at the first ``n`` with::

    ||v_{n+1} - v_n||_inf  <  tol * (1 - gamma) / (2 * gamma)

then ``||v_{n+1} - v*||_inf < tol / 2`` and the policy greedy with respect to ``Q_{v_n}`` is
``tol``-optimal (its value is within ``tol`` of ``v*`` in every state).  With ``gamma = 0`` one
step is exact.  With ``gamma = 1`` (undiscounted, episodic) ``T`` is not a contraction and there
is no a-priori error bound: the iteration stops when the change is below ``tol``.  From
``v_0 = 0`` it converges to ``v*`` in the usual episodic cases, all rewards ``>= 0`` (FrozenLake)
or all ``<= 0`` (CliffWalking) with ``v*`` finite (Puterman 1994, ch. 7); where ``v*`` is
infinite (a state that can collect positive rewards forever, or that cannot end its episode
and pays for every step) the values drift without end and the caller is warned.

**Policy evaluation.**  For a deterministic policy ``pi``, ``v_pi`` is the solution of the linear
system::

    (I - gamma * P_pi) v = r_pi    on the non-terminal states,    v = 0 on terminal states,

with ``P_pi[s, t] = sum_k prob[s, pi(s), k] * [next_state[s, pi(s), k] == t]`` restricted to
non-terminal ``s, t`` and ``r_pi(s) = r(s, pi(s))``.  A stochastic policy ``pi(a | s)`` mixes the
rows: ``P_pi[s, t] = sum_a pi(a | s) sum_k prob[s, a, k] * [next_state[s, a, k] == t]`` and
``r_pi(s) = sum_a pi(a | s) r(s, a)``; it is evaluated as the deterministic one on a chain whose
outcomes are the ``A * K`` pairs ``(a, k)`` with probabilities ``pi(a | s) * prob[s, a, k]``.  For ``gamma < 1`` the matrix is strictly
diagonally dominant, hence non-singular.  For ``gamma = 1`` the undiscounted return is a sum
over a possibly infinite episode: the states from which the episode may never end are classified
first (see :func:`policy_evaluation`) and the linear system is solved on the rest, where it is
non-singular.

References
----------
M. L. Puterman, *Markov Decision Processes: Discrete Stochastic Dynamic Programming*, Wiley, 1994.
R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*, 2nd ed., MIT Press, 2018.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import _deprecation, _validate
from ._validate import ArgumentError, ArgumentTypeError
from .envs import as_mdp
from .mdp import TabularMDP, sum_tolerance

#: policy_evaluation solves dense linear systems for models with at most this many states and
#: iterates the Bellman operator above it.
DENSE_MAX_STATES = 2000
#: Working memory for one chunk of agents in policy_evaluation (bytes, approximate).
CHUNK_BYTES = 256 * 2**20
#: The iterative evaluation stops when a sweep changes no value by more than this, relative to
#: the largest absolute value of the agent...
ITERATIVE_RTOL = 1e-12
#: ...or after this many sweeps, with a RuntimeWarning.
ITERATIVE_MAX_SWEEPS = 100_000
#: The action probabilities of a stochastic policy must sum to 1 within this tolerance per state.
POLICY_SUM_TOL = 1e-9


@dataclass(frozen=True)
class Solution:
    """What :func:`value_iteration` returns.

    The arrays are read-only.

    Attributes
    ----------
    q : (S, A) float64
        Action values ``Q_{v_n}(s, a)`` of the last iteration; 0 in terminal states.
    v : (S,) float64
        State values ``v_{n+1} = max_a q[s, a]``; 0 in terminal states.
    policy : (S,) int64
        Greedy action with respect to ``q``, ties going to the first maximising action; 0 in
        terminal states.
    iterations : int
        Number of Bellman updates applied (``n + 1``).
    residual : float
        ``||v_{n+1} - v_n||_inf``, the sup-norm change of the last update.
    converged : bool
        Whether the stopping rule was met within ``max_iter`` updates.
    gamma : float
        The discount factor used.

    Examples
    --------
    >>> import fastq
    >>> sol = fastq.value_iteration("FrozenLake-4x4", gamma=0.9)
    >>> sol.q.shape, sol.v.shape, sol.policy.dtype
    ((16, 4), (16,), dtype('int64'))
    """

    q: np.ndarray
    v: np.ndarray
    policy: np.ndarray
    iterations: int
    residual: float
    converged: bool
    gamma: float


@_deprecation.keyword_only("gamma", "tol", "max_iter")
def value_iteration(env, *, gamma: float = 0.99, tol: float = 1e-10, max_iter: int = 100_000) -> Solution:
    """Optimal values and a greedy policy by value iteration.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment (a name from :func:`fastq.list_envs` or a model).
    gamma : float, 0 <= gamma <= 1
        Discount factor.
    tol : float, > 0
        Accuracy.  For ``gamma < 1`` the iteration stops when the sup-norm change falls below
        ``tol * (1 - gamma) / (2 * gamma)``, which makes ``v`` accurate to ``tol / 2`` and the
        greedy policy ``tol``-optimal; for ``gamma = 1`` when the change falls below ``tol``.
    max_iter : int, >= 1
        Largest number of Bellman updates.  If the stopping rule is not met by then, a
        ``RuntimeWarning`` is emitted and ``converged`` is False.

    Returns
    -------
    Solution
        ``q`` (S, A) float64 (``-inf`` for actions a state does not allow), ``v`` (S,)
        float64, ``policy`` (S,) int64, ``iterations``,
        ``residual``, ``converged``, ``gamma``.

    Examples
    --------
    >>> import fastq
    >>> env = fastq.make("FrozenLake-4x4")
    >>> sol = fastq.value_iteration(env, gamma=0.99)
    >>> sol.converged, round(float(sol.v[0]), 4)
    (True, 0.542)
    >>> print(env.render(sol.policy))
    ←↑↑↑
    ←H←H
    ↑↓←H
    H→↓G
    """
    mdp = as_mdp(env)
    gamma = _validate.real("gamma", gamma, low=0.0, high=1.0)
    tol = _validate.real("tol", tol, low=0.0, low_closed=False)
    max_iter = _validate.integer("max_iter", max_iter, low=1)
    if gamma == 1.0:
        threshold = tol
    elif gamma == 0.0:
        threshold = np.inf  # q = r exactly after one update
    else:
        threshold = tol * (1.0 - gamma) / (2.0 * gamma)

    r = mdp.expected_reward
    v = np.zeros(mdp.n_states)
    converged = False
    for iterations in range(1, max_iter + 1):
        q = r + gamma * np.einsum("sak,sak->sa", mdp.prob, v[mdp.next_state])
        q[mdp.terminal] = 0.0  # absorbing: value 0, their rows are never read
        if not mdp.all_allowed:
            q[~mdp.allowed & ~mdp.terminal[:, None]] = -np.inf  # never chosen, never the max
        v_next = q.max(axis=1)
        residual = float(np.abs(v_next - v).max())
        v = v_next
        if residual < threshold:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"value_iteration did not converge in max_iter={max_iter} iterations: the last "
            f"sup-norm change {residual:.3g} is not below the threshold {threshold:.3g}",
            RuntimeWarning,
            stacklevel=2,
        )
    policy = np.argmax(q, axis=1).astype(np.int64)
    for arr in (q, v, policy):
        arr.flags.writeable = False
    return Solution(q=q, v=v, policy=policy, iterations=iterations, residual=residual,
                    converged=converged, gamma=gamma)


@_deprecation.keyword_only("gamma")
def policy_evaluation(env, policy, *, gamma: float = 0.99) -> np.ndarray:
    """Exact state values of deterministic or stochastic policies.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment (a name from :func:`fastq.list_envs` or a model).
    policy : "uniform"; or array of int, shape (S,) or (agents, S); or array of float, shape (S, A) or (agents, S, A)
        ``"uniform"``: the equiprobable policy over the allowed actions
        (:meth:`TabularMDP.uniform_policy`).  *Deterministic* (integer dtype): the action taken in each state, in ``[0, A)``, for one
        policy or for a batch of them (e.g. ``Result.greedy_policy()``).  *Stochastic* (float
        dtype): ``policy[..., s, a]`` is the probability of taking ``a`` in ``s``; every entry
        finite and ``>= 0``, every row of a non-terminal state summing to 1 within
        ``POLICY_SUM_TOL = 1e-9`` (in float64; float32 rows within their own precision,
        ``A * 1.2e-7``, and are then divided by their sum).  Either way a policy may not use an action that the model's
        ``allowed`` mask forbids in a non-terminal state (a stochastic one gives it probability
        0).  Actions in terminal states are ignored.
    gamma : float, 0 <= gamma <= 1
        Discount factor.

    Returns
    -------
    ndarray of float64, shape (S,) or (agents, S)
        ``v_pi(s)``, the expected discounted return from ``s``; 0 in terminal states.  With
        ``gamma = 1`` it may be ``inf``, ``-inf`` or ``nan`` (see Notes).

    Notes
    -----
    *Method.*  For models with at most ``DENSE_MAX_STATES = 2000`` states the linear system
    ``(I - gamma P_pi) v = r_pi`` on the non-terminal states is solved directly
    (``np.linalg.solve`` on stacked matrices, agents in chunks of about 256 MB of working memory).
    Larger models are evaluated iteratively, ``v <- r_pi + gamma P_pi v`` for all agents at once,
    until a sweep changes no value by more than ``1e-12`` times the agent's largest absolute
    value (at most 100,000 sweeps, else a ``RuntimeWarning``); near ``gamma = 1`` the remaining
    error can exceed that change by up to the expected episode length.

    *The undiscounted case* ``gamma = 1``.  Only transitions of positive probability count.
    Per policy:

    1. A state from which no transition with a nonzero reward can be reached has value 0
       (whether or not the episode ends).
    2. A state from which neither a terminal state nor a state of rule 1 can be reached is
       *trapped*: the episode never ends, and every recurrent class it can fall into has a
       nonzero reward.  Its value is ``+inf`` if every reward it can reach is ``>= 0``,
       ``-inf`` if every reward it can reach is ``<= 0``, and ``nan`` if it can reach rewards of
       both signs (the sum may then diverge either way or oscillate: not determined by the
       signs alone).
    3. A state with positive probability of reaching a trapped state takes the trapped value:
       ``+inf`` or ``-inf`` if every trapped state it can reach has that value, ``nan`` otherwise.
    4. Every other non-terminal state reaches a state of value 0 (terminal or rule 1) with
       probability 1; on those states the linear system, with the rule-1 and terminal states
       absorbing with value 0, is non-singular and gives the finite values.

    Examples
    --------
    >>> import numpy as np
    >>> import fastq
    >>> env = fastq.make("FrozenLake-4x4")
    >>> sol = fastq.value_iteration(env, gamma=0.99)
    >>> v = fastq.policy_evaluation(env, sol.policy, gamma=0.99)
    >>> bool(np.allclose(v, sol.v))
    True
    >>> policies = np.zeros((3, 16), dtype=np.int64)    # three agents, "left" everywhere
    >>> fastq.policy_evaluation(env, policies, gamma=0.99).shape
    (3, 16)

    Undiscounted: on CliffWalking (step reward -1, actions up, right, down, left), "up"
    everywhere never ends an episode.

    >>> v = fastq.policy_evaluation("CliffWalking", np.zeros(48, dtype=np.int64), gamma=1.0)
    >>> float(v[36]), float(v[47])                      # the start state; the goal
    (-inf, 0.0)

    Stochastic: the equiprobable random policy of Sutton & Barto's Example 4.1 (Figure 4.1).

    >>> env = fastq.make("Gridworld-4x4")
    >>> v = fastq.policy_evaluation(env, np.full((16, 4), 0.25), gamma=1.0)
    >>> print(np.round(v.reshape(4, 4), 6) + 0.0)
    [[  0. -14. -20. -22.]
     [-14. -18. -20. -20.]
     [-20. -20. -18. -14.]
     [-22. -20. -14.   0.]]
    """
    mdp = as_mdp(env)
    gamma = _validate.real("gamma", gamma, low=0.0, high=1.0)
    S, A, K = mdp.shape
    policy = _named_policy("policy", policy, mdp)
    arr = policy if isinstance(policy, np.ndarray) else np.asarray(policy)
    stochastic = arr.dtype.kind == "f" and arr.ndim in (2, 3) and arr.shape[-2:] == (S, A)
    if stochastic:
        policies, single = _stochastic_policy("policy", arr, mdp)
        outcomes = A * K
    else:
        if arr.dtype.kind == "f":
            raise ArgumentTypeError(
                "policy", f"policy must be an array of integer actions, got dtype {arr.dtype} with shape "
                f"{arr.shape}; action probabilities need shape ({S}, {A}) or (agents, {S}, {A})"
            )
        policies, single = _validate.policy("policy", policy, S, A)
        _check_allowed_actions(mdp, policies)
        outcomes = K
    agents = policies.shape[0]
    _validate.memory(f"policy_evaluation of {agents} policies on {S} states", agents * S * 8,
                     argument="policy", advice="evaluate fewer policies at a time")

    dense = S <= DENSE_MAX_STATES
    n = S - int(mdp.terminal.sum())
    per_agent = 64 * S * outcomes + (24 * n * n if dense else 0)
    chunk = max(1, CHUNK_BYTES // per_agent)
    values = np.empty((agents, S))
    for lo in range(0, agents, chunk):
        hi = min(lo + chunk, agents)
        values[lo:hi] = _evaluate(mdp, *_chains(mdp, policies[lo:hi], stochastic), gamma, dense)
    return values[0] if single else values


# ---------------------------------------------------------------------------------- helpers


def _stochastic_policy(name: str, arr: np.ndarray, mdp: TabularMDP) -> tuple[np.ndarray, bool]:
    """Check action probabilities (S, A) or (agents, S, A); return them as (agents, S, A)
    float64 with the rows of terminal states set to 0, and whether a single policy was given."""
    probs = np.array(arr, dtype=np.float64, ndmin=3)  # a copy: the caller's array is not touched
    if not np.isfinite(probs).all() or (probs < 0).any():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(probs) | (probs < 0))[0])
        at = where[1:] if arr.ndim == 2 else where
        raise ArgumentError(
            name, f"{name} must hold probabilities (finite, >= 0), got {probs[where].item()!r} at index {at}"
        )
    live = ~mdp.terminal
    sums = probs.sum(axis=2)  # in float64, whatever the given type
    tol = sum_tolerance(arr.dtype, mdp.n_actions, POLICY_SUM_TOL)
    off = (np.abs(sums - 1.0) > tol) & live
    if off.any():
        agent, s = (int(i) for i in np.argwhere(off)[0])
        at = s if arr.ndim == 2 else (agent, s)
        precision = "" if tol == POLICY_SUM_TOL else f" (the precision of its dtype {arr.dtype})"
        raise ArgumentError(
            name, f"{name}: the action probabilities of every non-terminal state must sum to 1 within "
            f"{tol:.3g}{precision}, got {sums[agent, s].item()!r} for state {at}"
        )
    if tol != POLICY_SUM_TOL:  # float32 probabilities: exact sums of 1 in float64
        probs[:, live] /= sums[:, live, None]
    if not mdp.all_allowed:
        banned = (probs > 0) & ~mdp.allowed & live[:, None]
        if banned.any():
            agent, s, a = (int(i) for i in np.argwhere(banned)[0])
            at = (s, a) if arr.ndim == 2 else (agent, s, a)
            raise ArgumentError(
                name, f"{name} gives probability {probs[agent, s, a].item()!r} to action {a} in state {s} "
                f"(index {at}), which the model does not allow there; allowed actions: "
                f"{np.flatnonzero(mdp.allowed[s]).tolist()}"
            )
    probs[:, mdp.terminal] = 0.0  # ignored: no action is taken in a terminal state
    return probs, arr.ndim == 2


def policy_probabilities(name: str, policy, mdp: TabularMDP, agents: int) -> tuple[np.ndarray, np.ndarray]:
    """A policy in any of the forms :func:`policy_evaluation` takes -- ``(S,)`` or ``(agents, S)``
    actions, ``(S, A)`` or ``(agents, S, A)`` probabilities -- checked and returned as the
    distinct policies' float64 probabilities ``(rows, S, A)`` (rows of terminal states are 0) and
    each agent's row ``(agents,)`` (one policy is every agent's).

    Examples
    --------
    >>> import fastq
    >>> from fastq.solve import policy_probabilities
    >>> mdp = fastq.make("FrozenLake-4x4").mdp
    >>> probs, rows = policy_probabilities("policy", [1] * 16, mdp, agents=3)
    >>> probs.shape, rows.tolist()
    ((1, 16, 4), [0, 0, 0])
    """
    S, A, _ = mdp.shape
    policy = _named_policy(name, policy, mdp)
    arr = policy if isinstance(policy, np.ndarray) else np.asarray(policy)
    if arr.dtype.kind == "f" and arr.ndim in (2, 3) and arr.shape[-2:] == (S, A):
        probs, single = _stochastic_policy(name, arr, mdp)
    else:
        actions, single = _validate.policy(name, policy, S, A)
        _check_allowed_actions(mdp, actions)
        probs = np.eye(A)[actions]
        probs[:, mdp.terminal] = 0.0
    if single:
        return probs, np.zeros(agents, dtype=np.int64)
    if probs.shape[0] != agents:
        raise ArgumentError(name, f"{name} must be one policy or one per agent (agents={agents}), "
                            f"got {probs.shape[0]} policies")
    distinct, rows = np.unique(probs, axis=0, return_inverse=True)
    return distinct, rows.ravel().astype(np.int64)


#: Policies given by name: ``"uniform"``, the equiprobable policy over the allowed actions.
NAMED_POLICIES = ("uniform",)


def _named_policy(name: str, policy, mdp: TabularMDP):
    """``policy`` itself, or the array of a policy of :data:`NAMED_POLICIES` given by name (a
    form that a config file or the command line can write)."""
    if not isinstance(policy, str):
        return policy
    _validate.choice(name, policy, NAMED_POLICIES)
    return mdp.uniform_policy()


def _check_allowed_actions(mdp: TabularMDP, policies: np.ndarray) -> None:
    """A deterministic policy may not pick an action the model forbids in a non-terminal state."""
    if mdp.all_allowed:
        return
    banned = ~mdp.allowed[np.arange(mdp.n_states), policies] & ~mdp.terminal
    if banned.any():
        agent, s = (int(i) for i in np.argwhere(banned)[0])
        raise ArgumentError(
            "policy", f"policy takes action {int(policies[agent, s])} in state {s} (policy {agent}), which the "
            f"model does not allow there; allowed actions: {np.flatnonzero(mdp.allowed[s]).tolist()}"
        )


def _chains(mdp: TabularMDP, policies: np.ndarray, stochastic: bool):
    """The Markov chains of policies: ``next_state``, ``prob``, ``reward``, each (c, S, K'),
    with ``K' = K`` for deterministic policies (c, S) and ``K' = A * K`` outcomes ``(a, k)``
    for stochastic ones (c, S, A)."""
    if not stochastic:
        states = np.arange(mdp.n_states)
        return (mdp.next_state[states, policies], mdp.prob[states, policies], mdp.reward[states, policies])
    c = policies.shape[0]
    S, A, K = mdp.shape
    prob = (policies[:, :, :, None] * mdp.prob[None]).reshape(c, S, A * K)
    next_state = np.broadcast_to(mdp.next_state.reshape(1, S, A * K), prob.shape)
    reward = np.broadcast_to(mdp.reward.reshape(1, S, A * K), prob.shape)
    return next_state, prob, reward


def _evaluate(mdp: TabularMDP, next_state: np.ndarray, prob: np.ndarray, reward: np.ndarray,
              gamma: float, dense: bool) -> np.ndarray:
    """Values (c, S) of the chains (c, S, K') of c policies."""
    r_pi = np.einsum("csk,csk->cs", prob, reward)
    # Positive-probability transitions out of non-terminal states: the edges of the chain.
    live = (prob > 0) & ~mdp.terminal[None, :, None]
    nonterminal = np.broadcast_to(~mdp.terminal, r_pi.shape)
    if gamma < 1.0:
        return _linear(next_state, prob, r_pi, nonterminal, mdp.terminal, gamma, dense)
    finite, trapped_value, doomed = _undiscounted_split(next_state, reward, live, nonterminal)
    values = _linear(next_state, prob, r_pi, finite, mdp.terminal, 1.0, dense)
    values[doomed] = trapped_value[doomed]
    return values


def _linear(next_state, prob, r_pi, solve, terminal, gamma, dense):
    """Solve ``v = r_pi + gamma P_pi v`` on the states in ``solve`` (c, S), 0 elsewhere.

    Every transition out of a ``solve`` state must land in a ``solve`` state or a state of
    value 0; the system restricted to ``solve`` must be non-singular.
    """
    if dense:
        return _linear_dense(next_state, prob, r_pi, solve, terminal, gamma)
    return _linear_iterative(next_state, prob, r_pi, solve, gamma)


def _linear_dense(next_state, prob, r_pi, solve, terminal, gamma):
    c, S, K = next_state.shape
    rows = np.arange(c)[:, None, None]
    # The unknowns are the non-terminal states (the same for every agent, so the matrices
    # stack); a state outside ``solve`` gets the row of the identity and right-hand side 0.
    unknowns = np.flatnonzero(~terminal)
    n = unknowns.size
    index = np.full(S, -1)
    index[unknowns] = np.arange(n)
    succ = next_state[:, unknowns]  # (c, n, K)
    # Transitions into states outside ``solve`` (terminal, or of value 0) drop out of the system.
    keep = solve[:, unknowns, None] & (prob[:, unknowns] > 0) & solve[rows, succ]
    agent, i, k = np.nonzero(keep)
    flat = (agent * n + i) * n + index[succ[agent, i, k]]
    weights = gamma * prob[:, unknowns][agent, i, k]
    matrix = -np.bincount(flat, weights=weights, minlength=c * n * n).astype(np.float64, copy=False).reshape(c, n, n)
    matrix[:, np.arange(n), np.arange(n)] += 1.0
    rhs = np.where(solve[:, unknowns], r_pi[:, unknowns], 0.0)
    values = np.zeros((c, S))
    values[:, unknowns] = np.linalg.solve(matrix, rhs[..., None])[..., 0]
    return values


def _linear_iterative(next_state, prob, r_pi, solve, gamma):
    weight = gamma * prob
    rhs = np.where(solve, r_pi, 0.0)
    values = np.zeros(r_pi.shape)
    # Each agent stops at its own convergence, so its values do not depend on the batch.
    active = np.arange(r_pi.shape[0])
    for _ in range(ITERATIVE_MAX_SWEEPS):
        rows = np.arange(active.size)[:, None, None]
        old = values[active]
        # States outside ``solve`` stay at 0, so they contribute nothing to their predecessors.
        backup = np.einsum("csk,csk->cs", weight[active], old[rows, next_state[active]])
        new = np.where(solve[active], rhs[active] + backup, 0.0)
        values[active] = new
        done = np.abs(new - old).max(axis=1) <= ITERATIVE_RTOL * np.abs(new).max(axis=1)
        active = active[~done]
        if active.size == 0:
            return values
    warnings.warn(
        f"policy_evaluation: the iterative evaluation of {active.size} policies did not reach a "
        f"relative change of {ITERATIVE_RTOL:g} in {ITERATIVE_MAX_SWEEPS} sweeps; their values "
        "are approximate",
        RuntimeWarning,
        stacklevel=5,
    )
    return values


def _undiscounted_split(next_state, reward, live, nonterminal):
    """Classify states for ``gamma = 1`` (the rules of :func:`policy_evaluation`).

    Returns ``finite`` (c, S): the states whose values the linear system gives (rule 4);
    ``trapped_value`` (c, S): +inf, -inf or nan; ``doomed`` (c, S): the states that take it
    (rules 2 and 3).  Rule-1 and terminal states are in neither mask: their value is 0.
    """
    positive = (live & (reward > 0)).any(axis=2)
    negative = (live & (reward < 0)).any(axis=2)
    to_positive, to_negative = _reaches(next_state, live, np.stack([positive, negative]))
    zero = nonterminal & ~to_positive & ~to_negative  # rule 1
    (settles,) = _reaches(next_state, live, (~nonterminal | zero)[None])
    trapped = ~settles  # rule 2: never reaches a state of value 0, so never terminates
    plus = trapped & ~to_negative
    minus = trapped & ~to_positive
    mixed = trapped & to_positive & to_negative
    to_plus, to_minus, to_mixed = _reaches(next_state, live, np.stack([plus, minus, mixed]))
    doomed = to_plus | to_minus | to_mixed  # rule 3 (includes the trapped states themselves)
    trapped_value = np.where(to_mixed | (to_plus & to_minus), np.nan, np.where(to_plus, np.inf, -np.inf))
    finite = nonterminal & ~zero & ~doomed
    return finite, trapped_value, doomed


def _reaches(next_state, live, targets):
    """Which states can reach a target state: ``targets`` (m, c, S) bool -> (m, c, S) bool.

    A state reaches itself; paths follow the ``live`` edges (c, S, K) of each agent's chain.
    """
    rows = np.arange(next_state.shape[0])[:, None, None]
    reach = targets.copy()
    while True:
        grown = reach | (live & reach[:, rows, next_state]).any(axis=3)
        if np.array_equal(grown, reach):
            return reach
        reach = grown


@_deprecation.keyword_only("gamma")
def greedy_metrics(env, q, *, gamma, backend: str = "numba") -> tuple[np.ndarray, np.ndarray]:
    """Exact value and success probability of the greedy policies of a batch of Q-tables.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment the tables were learned on.
    q : array of float, shape (agents, S, A)
        Action values (``-inf`` for disallowed actions); the greedy policy takes the first
        maximiser in each state (:meth:`fastq.Result.greedy_policy`).
    gamma : float or array of float, shape (agents,)
        Discount factor of each agent.
    backend : {"numba", "numpy"}
        The compiled evaluation kernel (:mod:`fastq.kernels.evaluation`), or its numpy twin
        (:mod:`fastq.reference.evaluation`, which compiles nothing); they agree to rounding.

    Returns
    -------
    value : ndarray of float64, shape (agents,)
        ``sum_s start(s) v_pi(s)``: the expected discounted return of the greedy policy from the
        start distribution (:func:`policy_evaluation`, so ``-inf`` for a policy that never ends
        an episode at ``gamma = 1`` with negative rewards, and so on).
    success : ndarray of float64, shape (agents,)
        The probability that the greedy policy ever enters a goal state, ignoring the time
        limit (``nan`` if the model has no goal state).

    Examples
    --------
    >>> import numpy as np
    >>> import fastq
    >>> env = fastq.make("FrozenLake-4x4")
    >>> q = fastq.value_iteration(env, gamma=0.99).q[None]
    >>> value, success = greedy_metrics(env, q, gamma=0.99)
    >>> round(float(value[0]), 4), round(float(success[0]), 4)
    (0.542, 0.8235)
    """
    mdp = as_mdp(env)
    q = np.asarray(q)
    S, A, K = mdp.shape
    if q.ndim != 3 or q.shape[1:] != (S, A):
        raise ArgumentError("q", f"q must have shape (agents, {S}, {A}), got {q.shape}")
    agents = q.shape[0]
    gammas = _validate.per_agent("gamma", gamma, agents, low=0.0, high=1.0)
    policies = np.argmax(q, axis=2)
    if S > DENSE_MAX_STATES:  # too large for dense systems: the iterative numpy path
        value = np.empty(agents)
        for g in np.unique(gammas):
            which = gammas == g
            value[which] = _from_start(mdp, policy_evaluation(mdp, policies[which], gamma=float(g)))
        success = np.full(agents, np.nan)
        if mdp.goal.any():
            success = _from_start(mdp, _success_probability(mdp, policies, dense=False))
        return value, success
    _validate.choice("backend", backend, ("numba", "numpy"))
    if backend == "numba":
        from .kernels.evaluation import greedy_evaluation
    else:
        from .reference.evaluation import greedy_evaluation

    value, success = np.empty(agents), np.empty(agents)
    greedy_evaluation(mdp.next_state, mdp.prob, mdp.reward, mdp.terminal, mdp.goal, mdp.start,
                      np.ascontiguousarray(policies, dtype=np.int64), np.ascontiguousarray(gammas),
                      value, success)
    undiscounted = gammas >= 1.0
    if undiscounted.any():  # the rules for gamma = 1 (infinite values) live in policy_evaluation
        value[undiscounted] = _from_start(mdp, policy_evaluation(mdp, policies[undiscounted], gamma=1.0))
    if not mdp.goal.any():
        success[:] = np.nan
    return value, success


def _from_start(mdp: TabularMDP, values: np.ndarray) -> np.ndarray:
    """``sum_s start(s) values[:, s]`` over the start states only (``0 * inf`` is not 0)."""
    live = mdp.start > 0
    return values[:, live] @ mdp.start[live]


def _success_probability(mdp: TabularMDP, policies: np.ndarray, dense: bool) -> np.ndarray:
    """``P(ever entering a goal state)`` from each state, (c, S), for deterministic policies.

    On the states that can reach a goal, ``x = P_pi x + b`` with ``b`` the one-step probability
    of entering a goal; from each of them the chain leaves that set with positive probability
    (at the latest by reaching the goal), so the system is non-singular.  Other states: 0.
    """
    next_state, prob, _ = _chains(mdp, policies, stochastic=False)
    live = (prob > 0) & ~mdp.terminal[None, :, None]
    (reach,) = _reaches(next_state, live, np.broadcast_to(mdp.goal, policies.shape)[None])
    b = np.einsum("csk,csk->cs", prob, mdp.goal[next_state].astype(np.float64))
    return _linear(next_state, prob, b, reach & ~mdp.terminal, mdp.terminal, 1.0, dense)
