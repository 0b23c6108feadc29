"""train(): validate, canonicalise, allocate, dispatch in blocks, wrap a Result.

:func:`train` runs in phases, one function each:

1. :func:`_request` checks every argument -- before anything is compiled or allocated -- and
   turns them into a :class:`_Request`: the model, the learner (:data:`fastq.algos.LEARNERS`),
   per-agent hyperparameter arrays and schedule tables (:class:`fastq._interface.Hyper`), one
   stream key per agent (:func:`fastq.rng.stream_keys`);
2. the memory the tables and outputs will take is checked against what is available;
3. the learner allocates its tables (:meth:`fastq.algos.Learner.allocate`);
4. :mod:`fastq._dispatch` picks the kernel (its variant and backend) and compiles it;
5. :func:`_run_blocks` runs the episodes in blocks, the tables carried from block to block, so
   that progress can be shown, ``eval_every`` checkpoints taken, and an interrupt (Ctrl-C)
   keeps every finished block;
6. :func:`_result` wraps the arrays and the metadata in a :class:`fastq.Result`.
"""

from __future__ import annotations

import inspect
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import _config, _dispatch, _terminal, _validate, algos
from ._interface import Hyper, Outputs, kernel_model
from ._platform import versions
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS, LEARNERS, TIE_BREAKS
from .envs import as_mdp, make
from .grid import GridWorld
from .results import Result
from .rng import EPISODES_LIMIT, SEED_LIMIT, stream_keys
from .solve import greedy_metrics

#: Most agent-steps in one block (counting every episode at ``max_steps``): a block is the unit
#: of progress reporting and of interrupt safety, and a compiled block cannot be interrupted, so
#: this bounds how long Ctrl-C waits (about a second at full speed, usually far less).
BLOCK_AGENT_STEPS = 2**26
#: Hyperparameters that take one value per agent (a number or an (agents,) array); a sweep passes
#: every grid cell's value of these per agent, so cells differing only in them share a call.
PER_AGENT_ARGUMENTS = ("alpha", "gamma", "epsilon", "q_init", "temperature", "n", "lam", "v_init")
#: Those of them that also take a schedule, or a sequence of numbers and schedules.
SCHEDULE_ARGUMENTS = ("alpha", "epsilon", "temperature")
#: Dyna-Q's planning updates per real step when not given (Sutton & Barto's Figure 8.2 uses 5 and 50).
DEFAULT_PLANNING_STEPS = 5
#: Most planning updates per real step.
MAX_PLANNING_STEPS = 10_000
#: Largest n of the n-step learners.
MAX_N = 1 << 20


def train(
    env,
    algo: str = "q_learning",
    *,
    agents: int = 1,
    episodes: int = 1000,
    alpha=0.1,
    gamma=0.99,
    epsilon=0.1,
    q_init=0.0,
    tie_break: str = "random",
    exploration: str = "epsilon_greedy",
    temperature=1.0,
    planning_steps: int | None = None,
    eval_every: int | None = None,
    seed=0,
    agent_ids=None,
    backend: str = "numba",
    dtype="float64",
    threads: int | None = None,
    progress: bool = False,
    policy=None,
    n=None,
    lam=None,
    trace: str = "accumulating",
    first_visit: bool | None = None,
    v_init=0.0,
    record_loss: bool = False,
) -> Result:
    """Train a population of independent tabular agents.

    Parameters
    ----------
    env : str, GridWorld or TabularMDP
        The environment (a name from :func:`fastq.list_envs` or a model).
    algo : str, one of :data:`fastq.ALGORITHMS`
        The learning rule: the one-step control learners ``"q_learning"``, ``"sarsa"``,
        ``"expected_sarsa"``, ``"double_q"``, ``"dyna_q"`` (:mod:`fastq.kernels.learners`);
        the multi-step control learners ``"n_step_sarsa"``, ``"sarsa_lambda"``, ``"q_lambda"``
        (Watkins's), ``"mc_control"``; the prediction learners ``"td"``, ``"n_step_td"``,
        ``"td_lambda"``, ``"mc_prediction"``, which learn the state values ``v`` of a given
        ``policy`` (:mod:`fastq.kernels.multistep`, ``docs/algorithms.md``).
    agents : int, >= 1
        Number of independent agents; agent ``i`` uses the random stream ``(seed, i)``.
    episodes : int, >= 1
        Episodes per agent.
    alpha : float, (agents,) array, schedule, sequence of numbers and schedules, or visits
        Step size, ``0 < alpha <= 1``: per agent, per episode (:func:`fastq.linear`,
        :func:`fastq.exponential`) or count-based (:func:`fastq.visits`).
    gamma : float or (agents,) array, 0 <= gamma <= 1
        Discount factor.
    epsilon : float, (agents,) array, schedule, or sequence of numbers and schedules
        Exploration rate of the epsilon-greedy policy, ``0 <= epsilon <= 1``.
    q_init : float or (agents,) array
        Initial value of every non-terminal, allowed ``Q(s, a)`` (terminal states keep 0,
        disallowed actions hold ``-inf``).
    tie_break : {"random", "first"}
        How the greedy action is chosen among equal values.
    exploration : {"epsilon_greedy", "softmax"}
        The behaviour policy: epsilon-greedy, or Boltzmann with ``temperature``.
    temperature : float, (agents,) array, schedule, or sequence of numbers and schedules
        Softmax temperature, ``> 0`` (used with ``exploration="softmax"``).
    planning_steps : int, >= 0, optional
        Dyna-Q's planning updates per real step (default 5; ``dyna_q`` only).
    eval_every : int, >= 1, optional
        Every ``eval_every`` episodes, evaluate every agent's current greedy policy exactly on
        the model (:func:`fastq.solve.greedy_metrics`): its expected discounted return from
        the start distribution (with the agent's ``gamma``) and, where the model has goal
        states, its probability of ever reaching one.  Stored in ``extra`` as
        ``eval_episodes`` (checkpoints,), ``eval_value`` and ``eval_success``
        (agents, checkpoints).
    seed : int or (agents,) array of int, 0 <= seed < 2**64
        Root seed; results are a pure function of it (and of the other arguments).  An array
        gives every agent its own root seed.
    agent_ids : (agents,) array of int, optional
        The stream of agent ``j`` is ``(seed[j], agent_ids[j])`` (default ``0 .. agents-1``):
        agent ``j`` then reproduces agent ``agent_ids[j]`` of a run with root seed ``seed[j]``.
        This is how :func:`fastq.sweep` makes every (cell, seed) pair independent of chunking.
    backend : {"numba", "numpy"}
        Compiled kernels, or the numpy reference (bit-identical, slower).
    dtype : {"float64", "float32"} or np.float64, np.float32
        Element type of the learner tables (``q``, Double Q's two, Dyna-Q's model rewards);
        everything else stays float64.  ``"float32"`` halves their memory: each update is
        computed in float64 from the float32 values read and rounded to float32 when stored,
        identically on both backends (docs/semantics.md, "float32 tables").  ``q_init`` is
        rounded to float32 too.  Numba compiles a kernel for float32 tables on first use.
    threads : int, optional
        Numba threads (default: every core).  Results do not depend on it.
    progress : bool
        Show a progress bar over blocks of episodes (needs tqdm: ``fastq-rl[progress]``).
    policy : "uniform", (S,) or (agents, S) actions, or (S, A) or (agents, S, A) probabilities
        The policy whose values the prediction learners learn (needed by them, refused by the
        others), in the forms of :func:`fastq.policy_evaluation`, one shared or one per agent.
    n : int or (agents,) array of int, >= 1
        Steps of the n-step returns (``n_step_td`` and ``n_step_sarsa``, needed by them).
    lam : float or (agents,) array, 0 <= lam <= 1
        Trace decay lambda (``td_lambda``, ``sarsa_lambda``, ``q_lambda``, needed by them).
    trace : {"accumulating", "replacing", "dutch"}
        Eligibility traces of the lambda learners; ``"dutch"`` is true online TD(lambda)
        (``td_lambda`` only; Sutton & Barto section 12.5).
    first_visit : bool, optional
        Monte Carlo's visits: ``mc_prediction`` updates every visit by default,
        ``mc_control`` the first (section 5.4).
    v_init : float or (agents,) array
        Initial value of every non-terminal ``V(s)`` of the prediction learners.
    record_loss : bool
        Store the mean squared TD error of each episode's updates, the loss each update takes a
        step on, in ``extra["loss"]`` (agents, episodes).  Off by default and free when off.

    Returns
    -------
    Result
        ``q`` (agents, S, A) of ``dtype``, ``returns`` / ``lengths`` / ``successes`` (agents, episodes),
        ``params``, ``meta``; for the prediction learners ``v`` (agents, S), ``q`` (agents, S,
        0) and ``extra["rms_error"]`` (agents, episodes + 1): the RMS error of V over the
        non-terminal states against the policy's exact values, before learning and after every
        episode.  If interrupted with Ctrl-C, the finished episodes (a whole number
        of blocks, the same for every agent) with ``meta["interrupted"] = True``.

    Examples
    --------
    >>> import fastq
    >>> res = fastq.train("FrozenLake-8x8", agents=16, episodes=100,
    ...                   alpha=0.1, gamma=0.99, epsilon=0.1, seed=0)
    >>> res.q.shape, res.returns.shape, res.lengths.shape
    ((16, 64, 4), (16, 100), (16, 100))
    >>> walk = fastq.train("RandomWalk-19", "n_step_td", n=4, policy="uniform", agents=100,
    ...                    episodes=10, alpha=0.4, gamma=1.0, seed=0)
    >>> walk.v.shape, walk.extra["rms_error"].shape
    ((100, 21), (100, 11))
    >>> bool(walk.extra["rms_error"][:, -1].mean() < walk.extra["rms_error"][:, 0].mean())
    True
    """
    request = _request(env, algo, agents=agents, episodes=episodes, alpha=alpha, gamma=gamma, epsilon=epsilon,
                       q_init=q_init, tie_break=tie_break, exploration=exploration, temperature=temperature,
                       planning_steps=planning_steps, eval_every=eval_every, seed=seed, agent_ids=agent_ids,
                       backend=backend, dtype=dtype, threads=threads, progress=progress, policy=policy, n=n,
                       lam=lam, trace=trace, first_visit=first_visit, v_init=v_init, record_loss=record_loss)
    mdp, learner = request.mdp, request.learner
    init = request.params["v_init" if learner.predicts else "q_init"]
    state = learner.allocate(mdp, init, request.dtype, request.visits, request.buffer)
    size = (request.agents, request.episodes)
    out = Outputs(np.zeros(size), np.zeros(size, dtype=np.int32), np.zeros(size, dtype=np.bool_),
                  np.full(size, np.nan) if request.record_loss else np.zeros((1, 1)),
                  np.zeros((request.agents, request.episodes + 1)) if learner.predicts else np.zeros((1, 1)))
    if learner.predicts:  # before any learning
        out.rms_error[:, 0] = _rms_error(state.v, request.hyper, mdp.terminal)
    variant = _dispatch.variant(learner.code, mdp, softmax=request.exploration == "softmax",
                                tie_random=request.tie_break == "random", visits=request.visits,
                                trace=request.trace, first_visit=request.first_visit, loss=request.record_loss)
    run = _dispatch.learner(variant, request.backend)
    arguments = (kernel_model(mdp), request.hyper, request.keys)
    compile_time = 0.0
    if request.backend == "numba":
        compile_time = _dispatch.compile(run.kernel, (*arguments, 0, 0, state, out, 0, 0))
    done, interrupted, evaluations, eval_time, wall = _run_blocks(request, run, arguments, state, out)
    return _result(request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time)


@dataclass(frozen=True)
class _Request:
    """A validated :func:`train` call: every argument in the form the kernels take."""

    env: object
    mdp: object
    algo: str
    learner: algos.Learner
    agents: int
    episodes: int
    hyper: Hyper
    params: dict
    schedules: dict
    keys: np.ndarray
    seeds: np.ndarray
    scalar_seed: bool
    ids: np.ndarray
    agent_ids_given: bool
    visits: bool
    exploration: str
    tie_break: str
    planning_steps: int
    eval_every: int | None
    backend: str
    dtype: np.dtype
    threads: int | None
    progress: bool
    trace: int
    first_visit: bool
    record_loss: bool
    buffer: int


def check_arguments(env, algo: str, agents: int, episodes: int, settings: dict) -> None:
    """Check :func:`train` arguments exactly as train() does, without training or compiling:
    ``settings`` are keyword arguments of train() (the others take their defaults).  Leaves out
    the memory estimate (a sweep runs its agents in chunks and sizes them itself).

    Raises
    ------
    ArgumentError, ArgumentTypeError
        train()'s, naming the argument in ``.argument``.

    Examples
    --------
    >>> from fastq._train import check_arguments
    >>> check_arguments("FrozenLake-4x4", "n_step_td", 2, 10, {"n": [1, 0], "policy": [0] * 16})
    Traceback (most recent call last):
    ...
    fastq._validate.ArgumentError: n must hold integers in the range 1 <= value <= 1048576, got 0 (entry 1)
    """
    defaults = {name: p.default for name, p in inspect.signature(train).parameters.items()
                if p.kind is p.KEYWORD_ONLY and name not in ("agents", "episodes")}
    _request(env, algo, agents=agents, episodes=episodes, **{**defaults, **settings}, check_memory=False)


def _request(env, algo, *, agents, episodes, alpha, gamma, epsilon, q_init, tie_break, exploration, temperature,
             planning_steps, eval_every, seed, agent_ids, backend, dtype, threads, progress, policy, n, lam, trace,
             first_visit, v_init, record_loss, check_memory=True) -> _Request:
    """Check every argument of :func:`train` and turn it into the kernels' form."""
    if isinstance(env, str):
        env = make(env)
    mdp = as_mdp(env)
    _validate.choice("algo", algo, ALGORITHMS)
    agents = _validate.integer("agents", agents, low=1)
    episodes = _validate.integer("episodes", episodes, low=1, high=EPISODES_LIMIT - 1)
    _validate.choice("exploration", exploration, EXPLORATIONS)
    if planning_steps is None:
        planning_steps = DEFAULT_PLANNING_STEPS if algo == "dyna_q" else 0
    elif algo != "dyna_q":
        raise _validate.ArgumentError(
            "planning_steps", f"planning_steps applies to algo='dyna_q' only, got algo={algo!r}")
    planning_steps = _validate.integer("planning_steps", planning_steps, low=0, high=MAX_PLANNING_STEPS)
    if eval_every is not None:
        eval_every = _validate.integer("eval_every", eval_every, low=1)
    dtype = _validate.table_dtype("dtype", dtype)
    _validate.choice("tie_break", tie_break, TIE_BREAKS)
    _validate.choice("backend", backend, BACKENDS)
    if threads is not None:
        threads = _validate.integer("threads", threads, low=1, high=_config.max_threads())
    if not isinstance(progress, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("progress", f"progress must be True or False, got {progress!r}")
    progress = _terminal.want_progress(progress)
    visits = isinstance(alpha, algos.visits)
    learner = LEARNERS[algo]
    S, A, _ = mdp.shape
    steps = _steps_options(learner, mdp, agents, trace=trace, first_visit=first_visit, n=n, lam=lam, policy=policy,
                           q_init=q_init, v_init=v_init, eval_every=eval_every, visits=visits)
    if not isinstance(record_loss, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("record_loss", f"record_loss must be True or False, got {record_loss!r}")
    shown = "" if dtype == np.float64 else f", dtype={dtype.name!r}"
    per_episode = 8 + 4 + 1 + 8 * bool(record_loss) + 8 * learner.predicts  # outputs per agent-episode
    if check_memory:  # before the per-agent arrays below: the estimate counts them too
        _validate.memory(
            f"train(agents={agents}, episodes={episodes}{shown}) on {S} states x {A} actions",
            agents * learner.table_bytes(S, A, dtype.itemsize, visits, steps["buffer"]) + agents * episodes * per_episode,
        )
    if visits:
        alpha_table, alpha_row = np.ones((1, 1)), np.zeros(agents, dtype=np.int64)
        alpha_power = np.full(agents, alpha.power)
        alpha_rows = [repr(alpha)]
    else:
        alpha_table, alpha_row, alpha_rows = algos.schedule_table(
            "alpha", alpha, agents, episodes, **_validate.HYPERPARAMETERS["alpha"])
        alpha_power = np.ones(agents)
    eps_table, eps_row, eps_rows = algos.schedule_table(
        "epsilon", epsilon, agents, episodes, **_validate.HYPERPARAMETERS["epsilon"])
    temp_table, temp_row, temp_rows = algos.schedule_table(
        "temperature", temperature, agents, episodes, **_validate.HYPERPARAMETERS["temperature"])
    params = {
        "gamma": _validate.per_agent("gamma", gamma, agents, **_validate.HYPERPARAMETERS["gamma"]),
        "q_init": _validate.per_agent("q_init", q_init, agents, **_validate.HYPERPARAMETERS["q_init"]),
    }
    if learner.predicts:
        params["v_init"] = _validate.per_agent("v_init", v_init, agents, **_validate.HYPERPARAMETERS["q_init"])
    if learner.traces:
        params["lam"] = _validate.per_agent("lam", lam, agents, low=0.0, high=1.0)
    if steps["n"] is not None:
        params["n"] = steps["n"]
    schedules = {}
    for name, table, row, rows in (("alpha", alpha_table, alpha_row, alpha_rows),
                                   ("epsilon", eps_table, eps_row, eps_rows),
                                   ("temperature", temp_table, temp_row, temp_rows)):
        if table.shape[1] == 1 and not (name == "alpha" and visits):
            params[name] = table[row, 0]  # one number per agent
        else:
            params[name], params[name + "_row"] = table, row
            schedules[name] = rows
    if visits:
        params["alpha_power"] = alpha_power
    scalar_seed = isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
    seeds = _validate.per_agent_int("seed", seed, agents, high=SEED_LIMIT)
    ids = (np.arange(agents, dtype=np.uint64) if agent_ids is None
           else _validate.per_agent_int("agent_ids", agent_ids, agents, high=2**63 - 1))
    keys = stream_keys(seeds, ids)
    policy_threshold, policy_row, true_values, true_row = _policy_tables(learner, mdp, steps["policy"], params["gamma"])
    hyper = Hyper(params["gamma"], alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row,
                  planning_steps, params.get("lam", np.zeros(agents)),
                  params["n"] if "n" in params else np.full(agents, mdp.max_steps, dtype=np.int64),
                  policy_threshold, policy_row, true_values, true_row)
    for arr in (keys, alpha_table, alpha_row, alpha_power, eps_table, eps_row, temp_table, temp_row):
        arr.flags.writeable = False
    return _Request(env=env, mdp=mdp, algo=algo, learner=learner, agents=agents, episodes=episodes,
                    hyper=hyper, params=params, schedules=schedules, keys=keys, seeds=seeds,
                    scalar_seed=scalar_seed, ids=ids, agent_ids_given=agent_ids is not None, visits=visits,
                    exploration=exploration, tie_break=tie_break, planning_steps=planning_steps,
                    eval_every=eval_every, backend=backend, dtype=dtype, threads=threads, progress=progress,
                    trace=steps["trace"], first_visit=steps["first_visit"], record_loss=bool(record_loss),
                    buffer=steps["buffer"])


def _steps_options(learner, mdp, agents, *, trace, first_visit, n, lam, policy, q_init, v_init, eval_every, visits):
    """Check the arguments of the learners with more than one step, and of prediction: each
    applies to some learners only, and a learner that needs one has it.  Returns ``trace``,
    ``first_visit``, ``n`` (per agent, or None), the policy (or None) and the buffer size."""
    name, code = learner.name, learner.code

    def only(argument, given, which, what):
        if given and name not in which:
            raise _validate.ArgumentError(argument, f"{argument} applies to {what} only, got algo={name!r}")

    _validate.choice("trace", trace, algos.TRACE_KINDS)
    only("trace", trace != "accumulating", ("td_lambda", "sarsa_lambda", "q_lambda"), "td_lambda, sarsa_lambda and q_lambda")
    only("trace", trace == "dutch", ("td_lambda",), "td_lambda (true online TD(lambda))")
    if first_visit is not None and not isinstance(first_visit, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("first_visit", f"first_visit must be True, False or None, got {first_visit!r}")
    only("first_visit", first_visit is not None, ("mc_prediction", "mc_control"), "mc_prediction and mc_control")
    only("n", n is not None, ("n_step_td", "n_step_sarsa"), "n_step_td and n_step_sarsa")
    only("lam", lam is not None, ("td_lambda", "sarsa_lambda", "q_lambda"), "td_lambda, sarsa_lambda and q_lambda")
    only("policy", policy is not None, algos.PREDICTION_ALGORITHMS, "the prediction learners")
    only("eval_every", eval_every is not None, algos.CONTROL_ALGORITHMS, "the control learners")
    only("v_init", not (isinstance(v_init, (int, float)) and v_init == 0.0), algos.PREDICTION_ALGORITHMS,
         "the prediction learners (control starts from q_init)")
    if learner.predicts and not (isinstance(q_init, (int, float)) and q_init == 0.0):
        raise _validate.ArgumentError("q_init", f"q_init applies to the control learners; {name} starts from v_init")
    if learner.traces and visits:
        raise _validate.ArgumentError("alpha", f"alpha=visits(...) does not apply to {name} (a trace updates many "
                                      "values by one step size); give a number or a schedule")
    if name in ("n_step_td", "n_step_sarsa") and n is None:
        raise _validate.ArgumentError("n", f"{name} needs n, the number of steps of its returns (n >= 1)")
    if learner.traces and lam is None:
        raise _validate.ArgumentError("lam", f"{name} needs lam, the trace decay lambda (0 <= lam <= 1)")
    if learner.predicts and policy is None:
        raise _validate.ArgumentError("policy", f"{name} needs policy, the policy whose values it learns: an (S,) "
                                      "array of actions or an (S, A) array of probabilities (e.g. "
                                      "fastq.make(name).uniform_policy()), or one per agent")
    steps_n = None
    if n is not None:
        steps_n = _validate.per_agent_int("n", n, agents, low=1, high=MAX_N)
    buffer = 0
    if name in ("n_step_td", "n_step_sarsa"):
        # A ring of n steps, rounded up to a power of two: the kernels wrap it with a mask.
        buffer = 1 << (int(min(steps_n.max(), mdp.max_steps)) - 1).bit_length()
    elif name in ("mc_prediction", "mc_control"):
        buffer = mdp.max_steps
    kind = algos.TRACE_KINDS.index(trace)
    visit = bool(first_visit) if first_visit is not None else name == "mc_control"
    checked = None
    if policy is not None:
        from .solve import policy_probabilities

        checked = policy_probabilities("policy", policy, mdp, agents)
    return {"trace": kind, "first_visit": visit, "n": steps_n, "policy": checked, "buffer": buffer}


def _policy_tables(learner, mdp, policies, gammas):
    """The kernels' form of a prediction run's policies: the thresholds of each distinct policy
    ``(rows, S, A)`` int64 and each agent's row; the exact values of each distinct (policy,
    gamma) ``(rows, S)`` float64 (:func:`fastq.policy_evaluation`) and each agent's row.  Small
    placeholders for the control learners."""
    if not learner.predicts:
        agents = len(gammas)
        return (np.zeros((1, 1, 1), np.int64), np.zeros(agents, np.int64), np.zeros((1, 1)),
                np.zeros(agents, np.int64))
    from .mdp import _sampling_table
    from .solve import policy_evaluation

    distinct, policy_row = policies
    threshold = np.ceil(_sampling_table(distinct) * 2.0**53).astype(np.int64)
    pairs = sorted(set(zip(policy_row.tolist(), gammas.tolist())))
    true_values = np.stack([policy_evaluation(mdp, distinct[p], gamma=g) for p, g in pairs])
    where = {pair: row for row, pair in enumerate(pairs)}
    true_row = np.array([where[pair] for pair in zip(policy_row.tolist(), gammas.tolist())], dtype=np.int64)
    for arr in (threshold, policy_row, true_values, true_row):
        arr.flags.writeable = False
    return threshold, policy_row, true_values, true_row


def _rms_error(v, hyper, terminal) -> np.ndarray:
    """Each agent's RMS error of ``v`` over the non-terminal states, summed in state order as the
    kernels sum it (:func:`fastq.reference.multistep.rms_error`)."""
    from .reference.multistep import rms_error

    return np.array([rms_error(v[i], hyper.true_values[hyper.true_row[i]], terminal) for i in range(len(v))])


def _blocks(request: _Request) -> tuple[list[int], list[int]]:
    """The episode at which each block ends, and the ``eval_every`` checkpoints (blocks end at
    every checkpoint)."""
    mdp, episodes = request.mdp, request.episodes
    per_block = BLOCK_AGENT_STEPS // (request.agents * mdp.max_steps * (1 + request.planning_steps))
    block = max(1, min(episodes, per_block))
    checkpoints = list(range(request.eval_every, episodes + 1, request.eval_every)) if request.eval_every else []
    return sorted(set(range(block, episodes, block)) | {episodes} | set(checkpoints)), checkpoints


def _run_blocks(request: _Request, run, arguments: tuple, state, out):
    """Run the episodes block by block; ``(episodes done, interrupted, evaluations, seconds spent
    evaluating, wall seconds)``.

    Python sees Ctrl-C only between bytecodes: a compiled kernel has always finished its block by
    then (every episode has a length >= 1), and the block is kept.  The numpy reference may stop
    half-way through a block: it is rolled back to the block's start.
    """
    stops, checkpoints = _blocks(request)
    bar = _progress_bar(request.episodes, request.agents) if request.progress else None
    threads = (request.threads or _config.max_threads()) if request.backend == "numba" else 1
    evaluations, eval_time, done, interrupted = [], 0.0, 0, False
    started = time.perf_counter()
    try:
        for start, stop in zip([0, *stops[:-1]], stops):
            snapshot = [a.copy() for a in state] if request.backend == "numpy" else None
            try:
                run(*arguments, start, stop, state, out, threads=threads)
            except KeyboardInterrupt:
                if (out.lengths[:, start:stop] > 0).all():
                    done = stop
                elif snapshot is not None:
                    for a, saved in zip(state, snapshot):
                        a[:] = saved
                raise
            done = stop
            if request.eval_every and stop % request.eval_every == 0:
                tic = time.perf_counter()
                evaluations.append(greedy_metrics(request.mdp, state.q, gamma=request.params["gamma"], backend=request.backend))
                eval_time += time.perf_counter() - tic
            if bar is not None:
                bar.update(stop - start)
    except KeyboardInterrupt:
        interrupted = True
        warnings.warn(f"train() interrupted: keeping the {done} of {request.episodes} episodes that finished",
                      RuntimeWarning, stacklevel=3)
    finally:
        if bar is not None:
            bar.close()
    return done, interrupted, evaluations, eval_time, time.perf_counter() - started


def _result(request: _Request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time) -> Result:
    """The :class:`fastq.Result` of a finished (or interrupted) run."""
    env, agents = request.env, request.agents
    meta = {
        "algo": request.algo,
        "env": request.mdp.name,
        "env_options": env.options() if isinstance(env, GridWorld) else None,
        "seed": int(request.seeds[0]) if request.scalar_seed else None,
        "backend": request.backend,
        "threads": (request.threads or _config.max_threads()) if request.backend == "numba" else 1,
        "tie_break": request.tie_break,
        "exploration": request.exploration,
        "dtype": request.dtype.name,
        "planning_steps": request.planning_steps,
        "schedules": request.schedules,
        "eval_every": request.eval_every,
        "agents": agents,
        "episodes": done,
        "episodes_requested": request.episodes,
        "interrupted": interrupted,
        "wall_time": wall,
        "compile_time": compile_time,
        "versions": versions(),
    }
    returns, lengths, successes = out[:3]
    if done < request.episodes:  # views, not copies: the outputs may fill most of the memory
        returns, lengths, successes = (a[:, :done] for a in (returns, lengths, successes))
    params = dict(request.params)
    if not request.scalar_seed:
        params["seed"] = request.seeds
    if request.agent_ids_given:
        params["agent_ids"] = request.ids
    table, extra = request.learner.finish(state)
    v = None
    if request.learner.predicts:  # V, and no Q: an (agents, S, 0) table
        v, table = table, np.zeros((agents, request.mdp.n_states, 0), dtype=request.dtype)
        extra["rms_error"] = out.rms_error[:, : done + 1]
        meta["first_visit"] = request.first_visit
    if request.learner.traces:
        meta["trace"] = algos.TRACE_KINDS[request.trace]
    if request.record_loss:
        extra["loss"] = out.loss[:, :done]
    if request.eval_every:
        checkpoints = list(range(request.eval_every, request.episodes + 1, request.eval_every))
        extra["eval_episodes"] = np.array(checkpoints[: len(evaluations)], dtype=np.int64)
        extra["eval_value"] = np.stack([v for v, _ in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        extra["eval_success"] = np.stack([p for _, p in evaluations], axis=1) if evaluations else np.zeros((agents, 0))
        meta["eval_time"] = eval_time  # included in wall_time
    return Result(table, returns, lengths, successes, params={k: np.array(value) for k, value in params.items()},
                  meta=meta, extra=extra, v=v)


def _progress_bar(episodes: int, agents: int):
    from tqdm.auto import tqdm

    return tqdm(total=episodes, unit="episode", desc=f"{agents} agents", file=sys.stderr, leave=False)


def warmup() -> None:
    """Compile the kernel of every learner now, for the 4-action, 3-outcome grids of the
    built-ins (FrozenLake's), with its default options (otherwise the first call compiles, or
    loads the kernel from the on-disk cache).

    Examples
    --------
    >>> import fastq
    >>> fastq.warmup()
    """
    for algo in ALGORITHMS:
        train("FrozenLake-8x8", algo, agents=1, episodes=1, backend="numba",
              **algos.default_arguments(algo))


__all__ = ["train", "warmup"]
