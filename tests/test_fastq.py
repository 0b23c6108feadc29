"""The package root: the public names, and what loads on first use."""

import sys
import types

import pytest

import fastq


def test_every_public_name_is_there():
    for name in fastq.__all__:
        assert getattr(fastq, name) is not None, name
    assert {"train", "sweep", "make", "load", "as_mdp", "value_iteration"} <= set(fastq.__all__)


def test_lazy_names_are_listed_and_resolve():
    assert {"core", "gym", "from_gymnasium"} <= set(dir(fastq))
    assert fastq.core.make_rng_state is sys.modules["fastq.core"].make_rng_state
    pytest.importorskip("gymnasium")
    assert fastq.from_gymnasium is fastq.gym.from_gymnasium
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        fastq.nothing


def test_functions_do_not_shadow_their_modules():
    import fastq._load
    import fastq._sweep
    import fastq._train

    for name in ("train", "sweep", "load"):
        module = sys.modules[f"fastq._{name}"]
        assert isinstance(module, types.ModuleType) and callable(getattr(module, name))
    assert fastq.sweep is sys.modules["fastq._sweep"].sweep and fastq.load is sys.modules["fastq._load"].load
