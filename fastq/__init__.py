"""fastq: tabular reinforcement learning on grid worlds as a batched, compiled experiment engine.

The package root re-exports the public API; ``fastq.core`` (batched primitives),
``fastq.gym`` (Gymnasium bridge, needs the ``gym`` extra) and ``fastq.from_gymnasium`` load on
first use, so ``import fastq`` never imports Gymnasium.  ``docs/architecture.md`` maps the
modules.

>>> import fastq
>>> env = fastq.make("FrozenLake-8x8")
>>> res = fastq.train(env, "q_learning", agents=64, episodes=200, seed=0)
>>> sol = fastq.value_iteration(env, gamma=0.99)
"""

from ._version import __version__

from . import _deprecation, envs, mdp, results, stats
from ._load import load
from .algos import ALGORITHMS, exponential, linear, visits
from .envs import as_mdp, list_envs, make
from .random_maps import random_map
from .grid import GridWorld
from .mdp import TabularMDP
from .results import Result
from .solve import Solution, policy_evaluation, value_iteration
from .sweep_result import SweepResult
from ._sweep import sweep
from ._train import train, warmup

# Names that moved, readable at their old homes for one release (with a DeprecationWarning).
# Installed here, where both homes are imported, so that no old home imports its new one.
_deprecation.moved(mdp, {"as_mdp": (as_mdp, "fastq.envs.as_mdp")})
_deprecation.moved(envs, {"random_map": (random_map, "fastq.random_map (fastq.random_maps)")})
_deprecation.moved(results, {
    "SweepResult": (SweepResult, "fastq.SweepResult (fastq.sweep_result)"),
    "load": (load, "fastq.load"),
    "interquartile_mean": (stats.interquartile_mean, "fastq.stats.interquartile_mean"),
    "bootstrap_ci": (stats.bootstrap_ci, "fastq.stats.bootstrap_ci"),
    "BOOTSTRAP_RESAMPLES": (stats.BOOTSTRAP_RESAMPLES, "fastq.stats.BOOTSTRAP_RESAMPLES"),
})

_LAZY = ("core", "gym", "from_gymnasium")


def __getattr__(name):
    # fastq.from_gymnasium (and fastq.gym, fastq.core) resolve on first use: ``import fastq``
    # never imports gymnasium.
    if name == "from_gymnasium":
        from .gym import from_gymnasium

        return from_gymnasium
    if name in ("gym", "core"):
        import importlib

        return importlib.import_module(f"fastq.{name}")
    raise AttributeError(f"module 'fastq' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ALGORITHMS",
    "GridWorld",
    "Result",
    "Solution",
    "SweepResult",
    "TabularMDP",
    "as_mdp",
    "exponential",
    "linear",
    "list_envs",
    "load",
    "make",
    "policy_evaluation",
    "random_map",
    "sweep",
    "train",
    "value_iteration",
    "visits",
    "warmup",
]
