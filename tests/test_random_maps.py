"""fastq.random_maps: random FrozenLake maps equal to Gymnasium's, valid, with clear errors."""

import pytest

import fastq
from fastq import GridWorld


@pytest.mark.parametrize("size, p, seed", [(4, 0.8, 0), (8, 0.8, 1), (8, 0.5, 7), (12, 0.6, 123), (2, 0.3, 5)])
def test_random_map_equals_gymnasium(size, p, seed):
    pytest.importorskip("gymnasium")
    from gymnasium.envs.toy_text.frozen_lake import generate_random_map

    assert fastq.random_map(size, p, seed) == generate_random_map(size=size, p=p, seed=seed)


def test_random_map_is_valid_and_deterministic():
    for seed in range(30):
        rows = fastq.random_map(6, 0.6, seed)
        assert rows == fastq.random_map(size=6, p_frozen=0.6, seed=seed)
        assert len(rows) == 6 and all(len(r) == 6 and set(r) <= set("SFHG") for r in rows)
        assert rows[0][0] == "S" and rows[-1][-1] == "G"
        GridWorld(rows)  # validates: the goal is reachable from the start
    assert len({tuple(fastq.random_map(6, 0.6, seed)) for seed in range(30)}) > 20
    assert fastq.random_map(5, 1.0, 0) == ["SFFFF", "FFFFF", "FFFFF", "FFFFF", "FFFFG"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(size=1), ValueError, r"size must be in the range 2 <= value <= 1000, got 1"),
        (dict(size=8.0), TypeError, r"size must be an integer"),
        (dict(p_frozen=0.0), ValueError, r"p_frozen must be finite and in the range 0.0 < value <= 1.0, got 0.0"),
        (dict(p_frozen=1.5), ValueError, r"p_frozen must be finite and in the range 0.0 < value <= 1.0"),
        (dict(p_frozen="0.8"), TypeError, r"p_frozen must be a real number"),
        (dict(seed=-1), ValueError, r"seed must be >= 0, got -1"),
        (dict(seed=None), TypeError, r"seed must be an integer"),
    ],
)
def test_random_map_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        fastq.random_map(**kwargs)


def test_random_map_gives_up_with_a_clear_error():
    with pytest.raises(ValueError, match=r"random_map found no map with a reachable goal in 10000 draws of size=30, "
                                         r"p_frozen=0.05; use a larger p_frozen"):
        fastq.random_map(30, 0.05, 0)
