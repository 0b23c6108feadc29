"""fastq: tabular reinforcement learning on grid worlds as a batched, compiled experiment engine.

>>> import fastq
>>> env = fastq.make("FrozenLake-8x8")
>>> res = fastq.train(env, "q_learning", agents=64, episodes=200, seed=0)
>>> sol = fastq.value_iteration(env, gamma=0.99)
"""

__version__ = "0.1.0"

from .algos import ALGORITHMS, exponential, linear, visits
from .envs import list_envs, make, random_map
from .grid import GridWorld
from .mdp import TabularMDP
from .results import Result, SweepResult, load
from .solve import Solution, policy_evaluation, value_iteration
from .sweep import sweep
from .train import train, warmup


def __getattr__(name):
    # fastq.from_gymnasium resolves on first use: ``import fastq`` never imports gymnasium.
    if name == "from_gymnasium":
        from .gym import from_gymnasium

        return from_gymnasium
    raise AttributeError(f"module 'fastq' has no attribute {name!r}")


def _register_gymnasium_ids() -> None:
    """Make ``gymnasium.make("fastq/...")`` work once fastq is imported, without importing
    gymnasium: register now if it is imported already, else right after its import runs."""
    import importlib
    import importlib.abc
    import importlib.util
    import sys

    if "gymnasium" in sys.modules:
        importlib.import_module("fastq.gym")
        return

    class _AfterGymnasium(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname != "gymnasium":
                return None
            sys.meta_path.remove(self)  # one shot; also keeps the search below from finding us
            spec = importlib.util.find_spec(fullname)
            loader = getattr(spec, "loader", None)
            if loader is None or not hasattr(loader, "exec_module"):
                return spec

            def exec_module(module, _run=loader.exec_module):
                _run(module)
                del loader.exec_module  # back to the class's method
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
