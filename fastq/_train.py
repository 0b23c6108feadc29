"""train(): validate, canonicalise, allocate, dispatch in blocks, wrap a Result.

:func:`train` runs in phases, one function each:

1. :func:`fastq._request.request` checks every argument -- before anything is compiled or
   allocated -- and turns them into a :class:`fastq._request.Request`: the model, the learner
   (:data:`fastq.algos.LEARNERS`), per-agent hyperparameter arrays and schedule tables
   (:class:`fastq._interface.Hyper`), one stream key per agent (:func:`fastq.rng.stream_keys`);
2. the memory the tables and outputs will take (:func:`fastq._request.memory_bytes`) is
   checked against what is available;
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

import numpy as np

from . import _dispatch, _request, algos
from ._interface import Outputs, kernel_model
from ._platform import versions
from .algos import ALGORITHMS
from .grid import GridWorld
from .results import Result
from .solve import greedy_metrics

#: Seconds a block of episodes should take.  A block is the unit of progress reporting and of
#: interrupt safety: a compiled block cannot be interrupted (Ctrl-C waits for it) and the numpy
#: reference rolls an interrupted block back (its work is lost), so each block after the first
#: is sized from the speed measured on the one before to take about this long (``None``: every
#: block has the first one's size).  See docs/semantics.md, "Interrupts".
BLOCK_SECONDS = 0.25
#: Most a block grows over the one before (episodes lengthen as agents learn).
BLOCK_GROWTH = 2
#: Agent-steps of the first block, counting every episode at ``max_steps`` (and each planning
#: update as a step), for the compiled kernels: about a second at their slowest, usually far less.
BLOCK_AGENT_STEPS = 2**26
#: The same for the numpy reference, which is 10 to 1000 times slower per agent-step.
NUMPY_BLOCK_AGENT_STEPS = 2**14


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
        ``policy`` (:mod:`fastq.kernels.multistep`; ``docs/semantics.md``).
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
    request = _request.request(env, algo, agents=agents, episodes=episodes, alpha=alpha, gamma=gamma, epsilon=epsilon,
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
        if request.eval_every:  # the evaluation kernel too, so its compilation is not training time
            tic = time.perf_counter()
            greedy_metrics(mdp, state.q[:1], gamma=request.params["gamma"][:1], backend="numba")
            compile_time += time.perf_counter() - tic
    done, interrupted, evaluations, eval_time, wall = _run_blocks(request, run, arguments, state, out)
    return _result(request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time)


def check_arguments(env, algo: str, agents: int, episodes: int, settings: dict) -> _request.Request:
    """Check :func:`train` arguments exactly as train() does, without training or compiling:
    ``settings`` are keyword arguments of train() (the others take their defaults).  Leaves out
    the memory estimate (a sweep runs its agents in chunks and sizes them itself); returns the
    checked request, whose sizes (``buffer``, ``record_loss``...) a sweep's estimate reads.

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
    return _request.request(env, algo, agents=agents, episodes=episodes, **{**defaults, **settings}, check_memory=False)


def _rms_error(v, hyper, terminal) -> np.ndarray:
    """Each agent's RMS error of ``v`` over the non-terminal states, summed in state order as the
    kernels sum it (:func:`fastq.reference.multistep.rms_error`): one state at a time over all
    agents, with no temporary as large as the tables."""
    live = np.flatnonzero(~terminal)
    total = np.zeros(len(v))
    for s in live:
        d = v[:, s].astype(np.float64) - hyper.true_values[hyper.true_row, s]
        total += d * d
    return np.sqrt(total / live.size)


def _first_block(request: _request.Request) -> int:
    """Episodes of the first block: ``budget // (agents * max_steps * (1 + planning_steps))``,
    between 1 and ``episodes``, the budget :data:`BLOCK_AGENT_STEPS` or, for the numpy
    reference, :data:`NUMPY_BLOCK_AGENT_STEPS`."""
    budget = BLOCK_AGENT_STEPS if request.backend == "numba" else NUMPY_BLOCK_AGENT_STEPS
    per_block = budget // (request.agents * request.mdp.max_steps * (1 + request.planning_steps))
    return max(1, min(request.episodes, per_block))


def _next_block(size: int, episodes: int, seconds: float) -> int:
    """The size of the next block, after one of nominal ``size`` that ran ``episodes`` episodes
    in ``seconds``: what takes :data:`BLOCK_SECONDS` at that speed, at most :data:`BLOCK_GROWTH`
    times ``size``, at least 1."""
    if BLOCK_SECONDS is None:
        return size
    if seconds <= 0:
        return BLOCK_GROWTH * size
    return max(1, min(BLOCK_GROWTH * size, round(episodes * BLOCK_SECONDS / seconds)))


def _run_blocks(request: _request.Request, run, arguments: tuple, state, out):
    """Run the episodes block by block; ``(episodes done, interrupted, evaluations, seconds spent
    evaluating, wall seconds)``.

    Python sees Ctrl-C only between bytecodes: a compiled kernel has always finished its block by
    then (every episode has a length >= 1), and the block is kept.  The numpy reference may stop
    half-way through a block: it is rolled back to the block's start.
    """
    bar = _progress_bar(request.episodes, request.agents) if request.progress else None
    evaluations, eval_time, done, interrupted = [], 0.0, 0, False
    size, every = _first_block(request), request.eval_every
    started = time.perf_counter()
    try:
        while done < request.episodes:
            start = done
            stop = min(start + size, request.episodes)
            if every:  # blocks end at every checkpoint
                stop = min(stop, (start // every + 1) * every)
            snapshot = [a.copy() for a in state] if request.backend == "numpy" else None
            tic = time.perf_counter()
            try:
                run(*arguments, start, stop, state, out, threads=request.threads)
            except KeyboardInterrupt:
                if (out.lengths[:, start:stop] > 0).all():
                    done = stop
                elif snapshot is not None:
                    for a, saved in zip(state, snapshot):
                        a[:] = saved
                raise
            done = stop
            size = _next_block(size, stop - start, time.perf_counter() - tic)
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


def _result(request: _request.Request, state, out, done, interrupted, evaluations, eval_time, wall, compile_time) -> Result:
    """The :class:`fastq.Result` of a finished (or interrupted) run."""
    env, agents = request.env, request.agents
    meta = {
        "algo": request.algo,
        "env": request.mdp.name,
        "env_options": env.options() if isinstance(env, GridWorld) else None,
        "seed": int(request.seeds[0]) if request.scalar_seed else None,
        "backend": request.backend,
        "threads": request.threads,
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
    if request.learner.name in ("mc_prediction", "mc_control"):
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
