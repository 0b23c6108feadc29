"""fastq.results: Result's summary, its stable params, and save / load without pickle."""

import json
import os

import numpy as np
import pytest

import fastq
from fastq.results import RUN_EXTRAS, SCHEDULED, Params, Result
from helpers import OUTPUTS, assert_same


@pytest.fixture(scope="module")
def res():
    return fastq.train("FrozenLake-4x4", agents=5, episodes=40, seed=4, backend="numpy", eval_every=20)


def test_summary_window_is_last_episodes(res):
    s = res.summary(last=8)
    assert s["return_first"] == res.returns[:, :8].mean() and s["return_last"] == res.returns[:, 32:].mean()
    assert s["success_last"] == res.successes[:, 32:].mean()
    assert res.summary() == {**res.summary(last=4), "wall_time": res.summary()["wall_time"]}  # 10 %
    with pytest.raises(ValueError, match="last must be in the range 1 <= value <= 40, got 41") as info:
        res.summary(last=41)
    assert info.value.argument == "last"


def test_summary_fraction_still_works_with_a_warning(res):
    with pytest.warns(DeprecationWarning, match=r"Result.summary\(fraction=...\) is deprecated"):
        assert res.summary(fraction=0.2) == res.summary(last=8)
    with pytest.warns(DeprecationWarning, match=r"Result.summary\(fraction\)"):
        assert res.summary(0.2) == res.summary(last=8)


def test_params_have_one_shape_per_key_whatever_the_input():
    numbers = fastq.train("FrozenLake-4x4", agents=3, episodes=5, epsilon=[0.1, 0.2, 0.3], backend="numpy")
    scheduled = fastq.train("FrozenLake-4x4", agents=3, episodes=5, backend="numpy",
                            epsilon=[0.1, fastq.linear(1.0, 0.0, 4), 0.3], alpha=fastq.visits(1.0))
    for r in (numbers, scheduled):
        for name in SCHEDULED:
            assert dict.__getitem__(r.params, f"{name}_schedule").shape == (3,)
    assert numbers.params["epsilon_schedule"].tolist() == ["", "", ""]
    assert scheduled.params["epsilon_schedule"].tolist() == ["", "linear(start=1.0, end=0.0, episodes=4)", ""]
    assert scheduled.params["alpha_schedule"].tolist() == ["visits(power=1.0)"] * 3
    assert scheduled.params["gamma"].shape == (3,)


def test_the_table_form_of_a_schedule_warns(recwarn):
    res = fastq.train("FrozenLake-4x4", agents=2, episodes=5, backend="numpy", epsilon=fastq.linear(1.0, 0.0, 4))
    with pytest.warns(DeprecationWarning, match=r"params\['epsilon'\] of a run with a schedule"):
        table = res.params["epsilon"]
    assert table.shape == (1, 5)
    with pytest.warns(DeprecationWarning, match=r"params\['epsilon_row'\]"):
        assert res.params["epsilon_row"].tolist() == [0, 0]
    res.params["gamma"], res.params.get("epsilon_schedule")  # stable keys: no warning
    assert not [w for w in recwarn if "gamma" in str(w.message) or "_schedule'] is" in str(w.message)]


def test_save_and_load_round_trip(res, tmp_path):
    res.save(tmp_path / "run")  # .npz added
    assert os.listdir(tmp_path) == ["run.npz"]  # written atomically: no temporary file left
    back = Result.load(tmp_path / "run.npz")
    assert_same(res, back, OUTPUTS)
    assert back.meta == json.loads(json.dumps(res.meta))
    assert isinstance(back.params, Params) and set(dict(back.params)) == set(dict(res.params))
    for name, value in res.extra.items():
        np.testing.assert_array_equal(back.extra[name], value)
    with np.load(tmp_path / "run.npz", allow_pickle=False) as data:  # readable without pickle
        assert "meta" in data.files


def test_a_failed_save_leaves_the_old_file(res, tmp_path, monkeypatch):
    res.save(tmp_path / "run.npz")
    before = (tmp_path / "run.npz").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        res.save(tmp_path / "run.npz")
    assert (tmp_path / "run.npz").read_bytes() == before and os.listdir(tmp_path) == ["run.npz"]


def test_extras_per_run_are_named(res):
    assert RUN_EXTRAS == ("eval_episodes",)
    assert res.extra["eval_episodes"].shape == (2,) and res.extra["eval_value"].shape == (5, 2)


def test_properties(res):
    assert (res.agents, res.episodes) == (5, 40)
    assert res.agent_steps == int(res.lengths.sum())
    assert res.greedy_policy().tolist() == np.argmax(res.q, axis=2).tolist()


def test_prediction_results_keep_v_and_have_no_greedy_policy(tmp_path):
    walk = fastq.make("RandomWalk-5")
    res = fastq.train(walk, "td", agents=2, episodes=6, policy=walk.uniform_policy(), record_loss=True)
    assert res.q.shape == (2, 7, 0) and res.v.shape == (2, 7)
    assert res.per_episode("rms_error").shape == (2, 7) and res.per_episode("loss").shape == (2, 6)
    res.save(tmp_path / "walk.npz")
    back = fastq.load(tmp_path / "walk.npz")
    assert np.array_equal(back.v, res.v) and np.array_equal(back.extra["rms_error"], res.extra["rms_error"])
    with pytest.raises(ValueError, match="no greedy policy"):
        res.greedy_policy()
    with pytest.raises(ValueError, match="metric 'loss' is not recorded here"):
        fastq.train(walk, "td", agents=1, episodes=2, policy=walk.uniform_policy()).per_episode("loss")
def test_save_refuses_what_only_pickle_could_store_naming_the_key(res, tmp_path):
    res.extra["notes"] = np.array([None])
    with pytest.raises(TypeError, match="Result cannot save 'extra.notes': it is an array of Python objects") as info:
        res.save(tmp_path / "run")
    assert info.value.argument == "extra.notes" and os.listdir(tmp_path) == []
    del res.extra["notes"]
    res.meta["note"] = np.float32(1.0)
    with pytest.raises(TypeError, match="Result.meta must hold JSON types only") as info:
        res.save(tmp_path / "run")
    assert info.value.argument == "meta" and os.listdir(tmp_path) == []
    del res.meta["note"]


def test_save_refuses_a_folder(res, tmp_path):
    for path in (str(tmp_path) + os.sep, tmp_path):
        with pytest.raises(ValueError, match="path must name a file, got the folder") as info:
            res.save(path)
        assert info.value.argument == "path"
    assert os.listdir(tmp_path) == []  # no hidden ".npz"


def test_three_threads_saving_one_path_leave_a_readable_file(res, tmp_path):
    # Issue 14: with one temporary name per pid, 10 of 15 rounds left an unreadable file.
    import concurrent.futures as cf

    path = tmp_path / "run.npz"
    for _ in range(15):
        with cf.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: res.save(path), range(3)))
        assert_same(Result.load(path), res, OUTPUTS)
        assert os.listdir(tmp_path) == ["run.npz"]
