"""The sweep configuration file: a TOML file read into :func:`fastq.sweep`'s arguments.

::

    env = "CliffWalking"                 # a name, a list of names, or a table with rows = [...]
    algo = ["q_learning", "sarsa"]       # a name or a list (an axis)
    episodes = 500
    seeds = 200                          # a count (with seed = root), or a list of root seeds
    last = 100                           # the summary window
    metric = "return"                    # what the summary averages (see fastq.results.METRICS)

    [grid]                               # the axes: setting = [values to try]
    alpha = [0.1, 0.3, 0.5]
    epsilon = [0.05, { linear = { start = 1.0, end = 0.05, episodes = 200 } }]

    [params]                             # fixed settings: train() arguments, environment options
    gamma = 1.0

Every :func:`fastq.train` argument that takes a number, a string or a boolean can be an axis or a
fixed setting, the prediction and multi-step learners' included (``policy = "uniform"``, ``n``,
``lam``, ``trace``, ``first_visit``, ``v_init``, ``record_loss``); in ``[params]``, ``policy``
may also name a ``.npy`` file of actions or probabilities (relative to the configuration's
folder).  ``fastq sweep CONFIG.toml`` reads it with :func:`read_config`; an error names the file, the line
and the key (:func:`config_error` reads the key from the error's ``.argument``, never from its
message).  ``examples/`` has some.
"""

from __future__ import annotations

import numbers
import os
import re

import numpy as np

from . import algos
from ._validate import ArgumentError
from .grid import GridWorld
from .results import METRICS

#: Top-level keys of a sweep configuration file, and what each holds.
CONFIG_KEYS = {
    "env": "an environment name, a list of names, or a table with a custom map (rows = [...])",
    "algo": "an algorithm name or a list of names",
    "episodes": "episodes per agent",
    "seeds": "the number of seeds, or a list of root seeds",
    "seed": "the root seed (with a number of seeds)",
    "out": "the directory to keep the sweep in",
    "chunk_agents": "agents per chunk",
    "last": "the summary window in episodes",
    "metric": "what the summary averages: " + ", ".join(METRICS),
    "grid": "a table: setting = [values to try]",
    "params": "a table: setting = fixed value",
}
#: Arguments of :func:`fastq.sweep` that are not settings of the cells: ``[params]`` refuses them
#: (``out`` or ``episodes`` there would silently replace the top-level key).
SWEEP_ARGUMENTS = ("env", "algo", "grid", "seeds", "episodes", "seed", "out", "executor", "workers",
                   "chunk_agents", "memory", "threads", "progress")
#: Schedules a configuration can write as an inline table, e.g.
#: ``epsilon = { linear = { start = 1.0, end = 0.05, episodes = 200 } }``.
CONFIG_SCHEDULES = ("linear", "exponential", "visits")


class ConfigError(ArgumentError):
    """A bad sweep configuration; :attr:`key` (also ``.argument``) is the dotted key it is about,
    or None."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(key, message)

    @property
    def key(self) -> str | None:
        return self.argument


def read_config(path: str) -> dict:
    r"""Read a sweep configuration (TOML) into :func:`fastq.sweep` arguments.

    Parameters
    ----------
    path : str
        The TOML file.  Top-level keys: ``env``, ``algo``, ``episodes``, ``seeds``, ``seed``,
        ``out``, ``chunk_agents``, ``last``, ``metric``; tables ``[grid]`` (axes:
        ``setting = [values]``) and ``[params]`` (fixed settings: train() arguments and
        environment options only).  A schedule is an inline table such as
        ``{ linear = { start = 1.0, end = 0.05, episodes = 200 } }``; a ``[params]`` ``policy``
        other than ``"uniform"`` is a ``.npy`` file, read with :func:`read_policy` relative to
        the configuration's folder.

    Returns
    -------
    dict
        ``sweep``: keyword arguments of :func:`fastq.sweep`; ``options``: ``last`` and
        ``metric`` if given; ``text``: the file's text.

    Raises
    ------
    ConfigError
        A message naming the file, the line and the key (``.key``, also ``.argument``).

    Examples
    --------
    >>> import os, tempfile
    >>> from fastq.config import read_config
    >>> path = os.path.join(tempfile.mkdtemp(), "sweep.toml")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('env = "FrozenLake-4x4"\nseeds = 4\nepisodes = 50\n[grid]\nalpha = [0.1, 0.5]\n')
    >>> read_config(path)["sweep"]
    {'env': 'FrozenLake-4x4', 'algo': 'q_learning', 'episodes': 50, 'seeds': 4, 'grid': {'alpha': [0.1, 0.5]}}
    """
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise ConfigError("reading a sweep configuration on Python < 3.11 needs tomli: "
                              "pip install 'fastq-rl[config]'") from None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at "
                          f"offset {exc.start}); TOML files are UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return {**_config_arguments(data, os.path.dirname(os.path.abspath(path))), "text": text}
    except ConfigError as exc:
        raise ConfigError(locate(path, text, exc.key, str(exc)), exc.key) from None


def _config_arguments(data: dict, folder: str | None = None) -> dict:
    unknown = [k for k in data if k not in CONFIG_KEYS]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; the keys are: {', '.join(CONFIG_KEYS)}", unknown[0])
    if "env" not in data:
        raise ConfigError("the key 'env' is missing (an environment name, e.g. env = \"CliffWalking\")")
    env = data["env"]
    if isinstance(env, dict):
        if "rows" not in env:
            raise ConfigError("a custom environment table needs rows = [\"S..\", \"..G\"]", "env")
        try:
            env = GridWorld(**env)
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), "env") from None
    elif not (isinstance(env, str) or (isinstance(env, list) and env and all(isinstance(e, str) for e in env))):
        raise ConfigError(f"env must be {CONFIG_KEYS['env']}, got {env!r}", "env")
    kwargs = {"env": env, "algo": data.get("algo", "q_learning")}
    for key in ("episodes", "seeds", "seed", "out", "chunk_agents"):
        if key in data:
            kwargs[key] = data[key]
    if "episodes" not in kwargs:
        raise ConfigError("the key 'episodes' is missing (episodes per agent, e.g. episodes = 500)")
    if not isinstance(kwargs["episodes"], int) or isinstance(kwargs["episodes"], bool):
        raise ConfigError(f"episodes must be an integer, got {kwargs['episodes']!r}", "episodes")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise ConfigError(f"grid must be a table of setting = [values], got {grid!r}", "grid")
    kwargs["grid"] = {}
    for key, values in grid.items():
        if not isinstance(values, list):
            raise ConfigError(f"grid values must be a list such as [0.1, 0.5], got {values!r}", f"grid.{key}")
        kwargs["grid"][key] = [_config_value(v, f"grid.{key}") for v in values]
    if not kwargs["grid"]:
        del kwargs["grid"]
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"params must be a table of setting = value, got {params!r}", "params")
    for key, value in params.items():
        if key in CONFIG_KEYS or key in SWEEP_ARGUMENTS:
            where = (f"a top-level key ({key} = ... before any table)" if key in CONFIG_KEYS
                     else "set on the command line (--workers, --scheduler)" if key in ("executor", "workers")
                     else "an argument of fastq.sweep, not a setting of the cells")
            raise ConfigError(f"[params] takes training and environment settings (gamma, epsilon, slip, ...); "
                              f"{key!r} is {where}", f"params.{key}")
        kwargs[key] = _config_value(value, f"params.{key}")
    policy = kwargs.get("policy")
    if isinstance(policy, str) and policy != "uniform":
        try:
            kwargs["policy"] = read_policy(policy, folder)
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), "params.policy") from None
    options = {}
    if "last" in data:
        options["last"] = data["last"]
        if not isinstance(data["last"], int) or isinstance(data["last"], bool) or data["last"] < 1:
            raise ConfigError(f"last must be a positive integer, got {data['last']!r}", "last")
    if "metric" in data:
        options["metric"] = data["metric"]
        if not isinstance(data["metric"], str) or data["metric"] not in METRICS:
            raise ConfigError(f"metric must be one of {', '.join(map(repr, METRICS))}, got {data['metric']!r}", "metric")
    return {"sweep": kwargs, "options": options}


def read_policy(path: str, folder: str | None = None) -> np.ndarray:
    """Read a policy for the prediction learners from a ``.npy`` file (``numpy.save``).

    Parameters
    ----------
    path : str
        The file: an ``(S,)`` integer array of actions or an ``(S, A)`` array of action
        probabilities (or one per agent), in the forms :func:`fastq.train`'s ``policy`` takes;
        :func:`fastq.train` checks the shape and values against the environment.
    folder : str, optional
        Where a relative ``path`` is (default: the working directory).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ConfigError
        The file cannot be read or holds no plain array (``.argument`` is ``"policy"``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import fastq
    >>> from fastq.config import read_policy
    >>> path = os.path.join(tempfile.mkdtemp(), "right.npy")
    >>> np.save(path, np.ones(7, dtype=np.int64))      # RandomWalk-5: always "right"
    >>> read_policy(path)
    array([1, 1, 1, 1, 1, 1, 1])
    """
    if not isinstance(path, str) or not path.endswith(".npy"):
        raise ConfigError(f"policy must be 'uniform' or a .npy file of actions or probabilities, got {path!r}",
                          "policy")
    if folder is not None and not os.path.isabs(path):
        path = os.path.join(folder, path)
    try:
        policy = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise ConfigError(f"cannot read {path!r}: {exc.strerror or exc}", "policy") from None
    except ValueError as exc:  # not a .npy file, or an object array
        raise ConfigError(f"{path!r} is not a plain numpy array file: {exc}", "policy") from None
    return policy


def _config_value(value, key: str):
    """A setting's value: TOML scalars as they are, schedule tables as fastq schedules."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in CONFIG_SCHEDULES:
            raise ConfigError(f"a table value must be one schedule ({', '.join(CONFIG_SCHEDULES)}), "
                              f"e.g. {{ linear = {{ start = 1.0, end = 0.05, episodes = 200 }} }}; got {value!r}", key)
        (name, arguments), = value.items()
        if not isinstance(arguments, dict):
            raise ConfigError(f"{name} needs a table of its arguments, got {arguments!r}", key)
        try:
            return getattr(algos, name)(**arguments)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name}: {exc}", key) from None
    if isinstance(value, (list, dict)) or not isinstance(value, (str, bool, numbers.Real)):
        raise ConfigError(f"expected a number, a string, a boolean or a schedule, got {value!r}", key)
    return value


def _key_line(text: str, key: str | None) -> int | None:
    """Line (1-based) where the dotted ``key`` (``"grid.alpha"``, ``"episodes"``) is set."""
    if not key:
        return None
    table, _, name = key.rpartition(".")
    current = ""
    header = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if m:
            current = m.group(1).strip().strip('"')
            if current == key:
                header = number
            continue
        m = re.match(r"^([A-Za-z0-9_.\-\"]+)\s*=", stripped)
        if not m:
            continue
        written = m.group(1).replace('"', "")
        if (current == table and written == name) or (current == "" and written == key):
            return number
    return header


def locate(path: str, text: str, key: str | None, message: str) -> str:
    r"""``message`` prefixed with the file, the line of the dotted ``key`` (if it is set in
    ``text``) and the key.

    Examples
    --------
    >>> locate("c.toml", "episodes = 10\n[grid]\nalpha = [2.0]\n", "grid.alpha", "alpha must be ...")
    'c.toml, line 3: grid.alpha: alpha must be ...'
    """
    line = _key_line(text, key)
    where = f"{path}, line {line}" if line else path
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


def config_error(path: str, text: str, exc: Exception) -> str:
    r"""The message of an error :func:`fastq.sweep` raised for a configuration, with the key and
    line of the setting it is about (the error's ``.argument``), where it can be found.

    Parameters
    ----------
    path, text : str
        The file and its text.
    exc : Exception
        What :func:`fastq.sweep` raised; its ``.argument`` (see :mod:`fastq._validate`) names
        the setting: a ``[grid]`` or ``[params]`` key, or a top-level one.

    Returns
    -------
    str

    Examples
    --------
    >>> from fastq.config import config_error
    >>> from fastq._validate import ArgumentError
    >>> text = "env = 'CliffWalking'\nepisodes = 10\n[grid]\nalpha = [0.5, 2.0]\n"
    >>> config_error("c.toml", text, ArgumentError("alpha", "sweep cell 1 (alpha=2.0): alpha must be ..."))
    'c.toml, line 4: grid.alpha: sweep cell 1 (alpha=2.0): alpha must be ...'
    """
    message = str(exc)
    name = getattr(exc, "argument", None)
    if name == "name":  # fastq.make's argument: the environment
        name = "env"
    if name:
        for key in (f"grid.{name}", f"params.{name}", name):
            if _key_line(text, key):
                return locate(path, text, key, message)
    return f"{path}: {message}"


__all__ = ["CONFIG_KEYS", "CONFIG_SCHEDULES", "SWEEP_ARGUMENTS", "ConfigError", "config_error", "read_config",
           "read_policy"]
