"""fastq: tabular reinforcement learning on grid worlds as a batched, compiled experiment engine.

>>> import fastq
>>> env = fastq.make("FrozenLake-8x8")
>>> res = fastq.train(env, "q_learning", agents=64, episodes=200, seed=0)
>>> sol = fastq.value_iteration(env, gamma=0.99)
"""

from ._version import __version__

from .algos import ALGORITHMS, exponential, linear, visits
from .envs import list_envs, make, random_map
from .grid import GridWorld
from .mdp import TabularMDP
from .results import Result, SweepResult, load
from .solve import Solution, policy_evaluation, value_iteration
from ._sweep import sweep
from ._train import train, warmup


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


def _register_gymnasium_ids() -> None:
    """Make ``gymnasium.make("fastq/...")`` work once fastq is imported, without importing
    gymnasium: register now if it is imported already, else right after its import runs."""
    import importlib
    import importlib.abc
    import importlib.util
    import sys

    if "gymnasium" in sys.modules:
        try:
            importlib.import_module("fastq.gym")
        except Exception:  # never break ``import fastq``; ``import fastq.gym`` shows the error
            pass
        return

    class _AfterGymnasium(importlib.abc.MetaPathFinder):
        searching = False

        def find_spec(self, fullname, path=None, target=None):
            if fullname != "gymnasium" or self.searching:
                return None
            self.searching = True  # let the other finders locate gymnasium
            try:
                spec = importlib.util.find_spec(fullname)
            finally:
                self.searching = False
            loader = getattr(spec, "loader", None)
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            run = loader.exec_module

            def exec_module(module):
                run(module)
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                try:
                    importlib.import_module("fastq.gym")  # registers the ids
                except Exception:  # never break gymnasium's own import
                    pass

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _AfterGymnasium())


_register_gymnasium_ids()

__all__ = [
    "ALGORITHMS",
    "GridWorld",
    "Result",
    "Solution",
    "SweepResult",
    "TabularMDP",
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
