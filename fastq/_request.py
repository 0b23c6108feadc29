"""A :func:`fastq.train` call checked: every argument in the form the kernels take, and the memory
it will hold.

:func:`request` is the first phase of ``train`` (:mod:`fastq._train`): it checks every argument
-- before anything is compiled or allocated -- and turns them into a :class:`Request`: the
model, the learner (:data:`fastq.algos.LEARNERS`), per-agent hyperparameter arrays and schedule
tables (:class:`fastq._interface.Hyper`), the prediction learners' policies and their exact
values, one stream key per agent (:func:`fastq.rng.stream_keys`), and the estimate of the memory
the run holds (:func:`memory_bytes`), refused up front when it does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _config, _terminal, _validate, algos
from ._interface import Hyper
from .algos import ALGORITHMS, BACKENDS, EXPLORATIONS, LEARNERS, TIE_BREAKS
from .envs import as_env, as_mdp
from .rng import EPISODES_LIMIT, SEED_LIMIT, stream_keys

#: Memory of one agent besides its tables and outputs: its hyperparameters, schedule rows,
#: stream key and seed, and their copies in ``Result.params`` (about 30 numbers).
AGENT_BYTES = 256
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


@dataclass(frozen=True)
class Request:
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
    threads: int  # those the run uses: every thread by default, one for the numpy reference
    progress: bool
    trace: int
    first_visit: bool
    record_loss: bool
    buffer: int
    memory: int  # the estimate of memory_bytes, refused above 80 % of the available memory


def request(env, algo, *, agents, episodes, alpha, gamma, epsilon, q_init, tie_break, exploration, temperature,
             planning_steps, eval_every, seed, agent_ids, backend, dtype, threads, progress, policy, n, lam, trace,
             first_visit, v_init, record_loss, check_memory=True) -> Request:
    """Check every argument of :func:`train` and turn it into the kernels' form."""
    env = as_env(env)
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
    threads = (threads or _config.max_threads()) if backend == "numba" else 1  # the reference runs on one
    if not isinstance(progress, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("progress", f"progress must be True or False, got {progress!r}")
    progress = _terminal.want_progress(progress)
    visits = isinstance(alpha, algos.visits)
    learner = LEARNERS[algo]
    S, A, _ = mdp.shape
    steps = _steps_options(learner, mdp, agents, trace=trace, first_visit=first_visit, n=n, lam=lam, policy=policy,
                           q_init=q_init, v_init=v_init, eval_every=eval_every, visits=visits, epsilon=epsilon,
                           exploration=exploration, temperature=temperature)
    if not isinstance(record_loss, (bool, np.bool_)):
        raise _validate.ArgumentTypeError("record_loss", f"record_loss must be True or False, got {record_loss!r}")
    shown = "" if dtype == np.float64 else f", dtype={dtype.name!r}"
    schedule_rows = sum(_schedule_rows(value) for value in (alpha, epsilon, temperature))
    needed = memory_bytes(learner, mdp, agents, episodes, dtype=dtype, visits=visits, eval_every=eval_every,
                          schedule_rows=schedule_rows, backend=backend, buffer=steps["buffer"],
                          record_loss=bool(record_loss),
                          policy_rows=0 if steps["policy"] is None else len(steps["policy"][0]))
    if check_memory:  # before the per-agent arrays below: the estimate counts them too
        per_episode = (agents * 13 + schedule_rows * 8) * episodes  # outputs and schedule tables
        _validate.memory(
            f"train(agents={agents}, episodes={episodes}{shown}) on {S} states x {A} actions", needed,
            argument="episodes" if 2 * per_episode > needed else "agents")  # the one that dominates
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
    if not np.isfinite(params["q_init"].astype(dtype)).all():  # pragma: no cover - the bound prevents it
        raise _validate.ArgumentError("q_init", f"q_init must be finite in dtype={dtype.name!r}")
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
    return Request(env=env, mdp=mdp, algo=algo, learner=learner, agents=agents, episodes=episodes,
                    hyper=hyper, params=params, schedules=schedules, keys=keys, seeds=seeds,
                    scalar_seed=scalar_seed, ids=ids, agent_ids_given=agent_ids is not None, visits=visits,
                    exploration=exploration, tie_break=tie_break, planning_steps=planning_steps,
                    eval_every=eval_every, backend=backend, dtype=dtype, threads=threads, progress=progress,
                    trace=steps["trace"], first_visit=steps["first_visit"], record_loss=bool(record_loss),
                    buffer=steps["buffer"], memory=needed)


def _steps_options(learner, mdp, agents, *, trace, first_visit, n, lam, policy, q_init, v_init, eval_every, visits,
                   epsilon, exploration, temperature):
    """Check the arguments of the learners with more than one step, and of prediction: each
    applies to some learners only, and a learner that needs one has it.  Returns ``trace``,
    ``first_visit``, ``n`` (per agent, or None), the policy (or None) and the buffer size."""
    name = learner.name

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
    if learner.predicts:  # a prediction learner follows its policy: nothing of the behaviour's applies
        for argument, given in (("epsilon", not (isinstance(epsilon, (int, float)) and epsilon == 0.1)),
                                ("exploration", exploration != "epsilon_greedy"),
                                ("temperature", not (isinstance(temperature, (int, float)) and temperature == 1.0))):
            if given:
                raise _validate.ArgumentError(argument, f"{argument} applies to the control learners; {name} follows "
                                              "its policy (policy=...)")
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
        # int64, as the kernels' step counters: numba types int64 - uint64 as int64, Python
        # (NUMBA_DISABLE_JIT) as uint64, which wraps below zero.
        steps_n = _validate.per_agent_int("n", n, agents, low=1, high=MAX_N).astype(np.int64)
        steps_n.flags.writeable = False
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


def memory_bytes(learner: algos.Learner, mdp, agents: int, episodes: int, *, dtype="float64", visits: bool = False,
                 eval_every: int | None = None, schedule_rows: int = 0, backend: str = "numba", buffer: int = 0,
                 record_loss: bool = False, policy_rows: int = 0) -> int:
    """Most bytes :func:`train` holds at once on ``mdp``: the learner's tables (with traces and
    an episode buffer of ``buffer`` steps), the per-episode outputs (the loss, the RMS error of
    prediction), the per-agent hyperparameters, the schedule tables (``schedule_rows`` rows of
    ``episodes`` values), the ``policy_rows`` distinct policies of prediction (their
    probabilities, sampling thresholds and exact values) and, with ``eval_every``, the
    evaluations and their working arrays.
    The numpy reference also keeps a copy of the tables (to roll an interrupted block back) and
    works on arrays of a few rows per agent at every step.

    :func:`train` refuses a request above 80 % of the available memory with this estimate,
    before anything is allocated; ``tests/test_request.py`` checks that it bounds the peak.

    Examples
    --------
    >>> import fastq
    >>> from fastq import algos
    >>> memory_bytes(algos.LEARNERS["q_learning"], fastq.make("FrozenLake-8x8").mdp, agents=1000, episodes=100)
    3668000
    """
    S, A, K = mdp.shape
    tables = learner.table_bytes(S, A, np.dtype(dtype).itemsize, visits, buffer)
    per_agent = tables + episodes * (8 + 4 + 1 + 8 * bool(record_loss) + 8 * learner.predicts) + AGENT_BYTES
    if backend == "numpy":
        per_agent += tables + 192 * (A + K) * 8
    total = agents * per_agent + schedule_rows * episodes * 8 + policy_rows * (2 * S * A + S) * 8
    if eval_every:
        n = max(1, S - int(mdp.terminal.sum()))  # the unknowns of each policy's linear system
        total += agents * (episodes // eval_every * 2 * 2 * 8 + 8 * S * 8)  # results (list, stack); policies
        if backend == "numpy":
            from .reference.evaluation import BATCH_BYTES  # the systems it solves at once

            batch = min(agents, max(1, BATCH_BYTES // (8 * n * n)))
            total += batch * n * (4 * n + 10 * K + 10) * 8
        else:
            total += _config.max_threads() * 2 * n * n * 8
    return total


def _schedule_rows(value) -> int:
    """Rows of per-episode values a hyperparameter's schedule table will have (at most)."""
    if isinstance(value, algos.Schedule):
        return 1
    if isinstance(value, (list, tuple)) and any(isinstance(v, algos.Schedule) for v in value):
        try:
            return len(dict.fromkeys(value))  # one row per distinct entry (algos.schedule_table)
        except TypeError:  # unhashable entries: schedule_table refuses them
            return len(value)
    return 0


__all__ = ["Request", "memory_bytes", "request"]
