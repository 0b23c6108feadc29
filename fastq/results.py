"""Result: the arrays and metadata of one training run; save / load as npz without pickle.

Axis order, kept everywhere: ``q`` is ``(agents, S, A)``, per-episode arrays are
``(agents, episodes)``, per-agent hyperparameters ``(agents,)``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

_ARRAYS = ("q", "returns", "lengths", "successes")


@dataclass(eq=False)
class Result:
    """What :func:`fastq.train` returns.

    Attributes
    ----------
    q : (agents, S, A) float64
        Final action values of every agent.
    returns : (agents, episodes) float64
        Undiscounted sum of rewards of each episode.
    lengths : (agents, episodes) int32
        Number of steps of each episode (terminated or truncated).
    successes : (agents, episodes) bool
        Whether the episode ended by entering a goal state.
    params : dict of str -> (agents,) array
        The per-agent hyperparameters actually used (``alpha``, ``gamma``, ``epsilon``, ``q_init``).
    meta : dict
        ``algo``, ``env``, ``seed``, ``backend``, ``threads``, ``tie_break``, ``agents``,
        ``episodes`` (completed), ``episodes_requested``, ``interrupted``, ``wall_time`` (s,
        training only), ``compile_time`` (s spent compiling the kernel in this call, 0 if it was
        compiled already), ``versions``, and ``env_options`` (the map and options of a grid
        world, so the environment can be rebuilt).

    Examples
    --------
    >>> import fastq
    >>> res = fastq.train("FrozenLake-4x4", agents=8, episodes=50, seed=1)
    >>> res.returns.shape, res.greedy_policy().shape
    ((8, 50), (8, 16))
    """

    q: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    successes: np.ndarray
    params: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def agents(self) -> int:
        return self.q.shape[0]

    @property
    def episodes(self) -> int:
        """Number of completed episodes per agent."""
        return self.returns.shape[1]

    @property
    def agent_steps(self) -> int:
        """Environment steps taken by all agents together."""
        return int(self.lengths.sum(dtype=np.int64))

    @property
    def steps_per_second(self) -> float:
        """Agent-steps per second of wall time."""
        wall = self.meta.get("wall_time", 0.0)
        return self.agent_steps / wall if wall > 0 else float("nan")

    def greedy_policy(self) -> np.ndarray:
        """Greedy action of every agent in every state, ``(agents, S)`` int64.

        Ties go to the first maximising action (``argmax``), so the result is deterministic.
        """
        return np.argmax(self.q, axis=2)

    def summary(self, fraction: float = 0.1) -> dict:
        """Headline numbers: mean return over the first and last ``fraction`` of episodes,
        success rate over the last ``fraction``, wall time and agent-steps per second.

        Examples
        --------
        >>> import fastq
        >>> s = fastq.train("FrozenLake-4x4", agents=4, episodes=20).summary()
        >>> sorted(s)
        ['agent_steps', 'agents', 'episodes', 'return_first', 'return_last', 'steps_per_second', 'success_last', 'wall_time']
        """
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in the range 0 < value <= 1, got {fraction!r}")
        n = max(1, int(round(self.episodes * fraction))) if self.episodes else 0
        head, tail = self.returns[:, :n], self.returns[:, self.episodes - n:]
        nan = float("nan")
        return {
            "agents": self.agents,
            "episodes": self.episodes,
            "return_first": float(head.mean()) if n else nan,
            "return_last": float(tail.mean()) if n else nan,
            "success_last": float(self.successes[:, self.episodes - n:].mean()) if n else nan,
            "wall_time": float(self.meta.get("wall_time", nan)),
            "agent_steps": self.agent_steps,
            "steps_per_second": self.steps_per_second,
        }

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the result to ``path`` (an ``.npz`` file: arrays plus JSON metadata, no pickle).

        The file is written to a temporary name and renamed, so a crash never leaves a
        half-written result behind.
        """
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        arrays.update({f"params.{k}": np.asarray(v) for k, v in self.params.items()})
        arrays["meta"] = np.array(json.dumps(self.meta))
        tmp = f"{path}.tmp-{os.getpid()}.npz"
        try:
            np.savez(tmp, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Result":
        """Read a result written by :meth:`save`."""
        with np.load(os.fspath(path), allow_pickle=False) as data:
            params = {k.split(".", 1)[1]: data[k] for k in data.files if k.startswith("params.")}
            meta = json.loads(str(data["meta"]))
            return cls(*(data[name] for name in _ARRAYS), params=params, meta=meta)
