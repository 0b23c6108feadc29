"""fastq: tabular reinforcement learning on grid worlds as a batched, compiled experiment engine.

>>> import fastq
>>> env = fastq.make("FrozenLake-8x8")
>>> res = fastq.train(env, "q_learning", agents=64, episodes=200, seed=0)
>>> sol = fastq.value_iteration(env, gamma=0.99)
"""

__version__ = "0.1.0"

from .envs import list_envs, make
from .grid import GridWorld
from .mdp import TabularMDP
from .results import Result
from .solve import Solution, policy_evaluation, value_iteration
from .train import train, warmup

__all__ = [
    "GridWorld",
    "Result",
    "Solution",
    "TabularMDP",
    "list_envs",
    "make",
    "policy_evaluation",
    "train",
    "value_iteration",
    "warmup",
]
