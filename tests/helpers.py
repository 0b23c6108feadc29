"""Helpers shared by the test files (importable as ``helpers``: ``tests/`` is on the path because
``tests/conftest.py`` lives there).  One copy of each; a test file does not redefine them."""

from __future__ import annotations

import re

import numpy as np

import fastq
from fastq import TabularMDP

#: The arrays a training run or a sweep produces.
OUTPUTS = ("q", "returns", "lengths", "successes")


def assert_same(a, b, fields=OUTPUTS) -> None:
    """Two results (Result or SweepResult) hold the same numbers, bit for bit."""
    for field in fields:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    if hasattr(a, "cells"):  # sweeps: the same cells, finished alike
        assert a.cells == b.cells
        np.testing.assert_array_equal(a.done, b.done)


def chain(max_steps: int) -> TabularMDP:
    """0 -> 1 -> 2 (terminal, a goal) with action 0; action 1 stays put.  Reward 1 per move."""
    return TabularMDP(
        next_state=[[[1], [0]], [[2], [1]], [[2], [2]]], prob=np.ones((3, 2, 1)),
        reward=[[[1.0], [0.0]], [[1.0], [0.0]], [[0.0], [0.0]]],
        terminal=[False, False, True], goal=[False, False, True], start=[1.0, 0.0, 0.0], max_steps=max_steps)


def is_png(path) -> bool:
    """The file exists and starts with the PNG signature."""
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


def summary_fields(text: str) -> dict[str, str]:
    """The ``label  value`` lines of a printed report (:func:`fastq._format.row`) as a dict."""
    fields = {}
    for line in text.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        if len(parts) == 2:
            fields[parts[0]] = parts[1]
    return fields


#: The sweep every executor must reproduce: 2 algorithms x 2 step sizes, 6 seeds, 30 episodes.
SMALL_SWEEP = dict(env="CliffWalking", algo=["q_learning", "sarsa"], grid={"alpha": [0.1, 0.5]},
                   gamma=1.0, seeds=6, episodes=30, seed=11, progress=False)


def small_sweep(**overrides):
    """:data:`SMALL_SWEEP`, with some arguments changed."""
    kwargs = {**SMALL_SWEEP, **overrides}
    return fastq.sweep(kwargs.pop("env"), **kwargs)
