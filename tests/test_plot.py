"""fastq.plot: the figures hold the numbers they claim to show (lines, bands, labels, cells)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import fastq  # noqa: E402
from fastq import plot  # noqa: E402
from fastq.stats import interquartile_mean  # noqa: E402


@pytest.fixture(scope="module")
def sw():
    # The numpy reference: the same numbers, and nothing to compile for a plotting test.
    return fastq.sweep("FrozenLake-4x4", algo=["q_learning", "sarsa"],
                       grid={"alpha": [0.1, 0.5], "epsilon": [0.1, 0.2, 0.3]},
                       seeds=4, episodes=20, backend="numpy", progress=False)


def test_smooth_and_curve_are_exact():
    np.testing.assert_array_equal(plot.smooth([2.0, 4.0, 6.0, 8.0, 10.0], 3), [2.0, 3.0, 4.0, 6.0, 8.0])
    np.testing.assert_array_equal(plot.smooth([[1.0, 3.0]], 1), [[1.0, 3.0]])
    values = np.array([[0.0, 2.0, 4.0], [2.0, 6.0, 4.0]])
    mean, low, high = plot.curve(values, window=1, band="ci")
    np.testing.assert_array_equal(mean, [1.0, 4.0, 4.0])
    half = plot.Z95 * values.std(axis=0, ddof=1) / np.sqrt(2)
    np.testing.assert_allclose(high - mean, half, rtol=1e-12)
    np.testing.assert_allclose(mean - low, half, rtol=1e-12)
    assert plot.curve(values, band=None)[1:] == (None, None)
    mean, low, high = plot.curve(values[:1], band="ci")  # one seed: no spread
    np.testing.assert_array_equal(low, high)


def test_learning_curves_one_line_and_band_per_cell(sw):
    fig = plot.learning_curves(sw, window=5)
    ax = fig.axes[0]
    assert len(ax.lines) == 12 and len(ax.collections) == 12
    assert ax.lines[0].get_label() == "algo=q_learning, alpha=0.1, epsilon=0.1"
    assert ax.lines[11].get_label() == "algo=sarsa, alpha=0.5, epsilon=0.3"
    for c in (0, 7):
        x, y = ax.lines[c].get_data()
        np.testing.assert_array_equal(x, np.arange(1, 21))
        np.testing.assert_allclose(y, plot.smooth(sw.returns[c], 5).mean(axis=0), rtol=1e-12, atol=1e-15)
    assert ax.get_xlabel() == "episode" and "5-episode window" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 12


def test_learning_curves_per_algorithm_pool_the_selected_cells(sw):
    fig = plot.learning_curves(sw, by="algo", cells={"alpha": 0.5}, band=None, window=1, metric="length")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["algo=q_learning", "algo=sarsa"]
    assert len(ax.collections) == 0
    members = [c for c, cell in enumerate(sw.cells) if cell["algo"] == "sarsa" and cell["alpha"] == 0.5]
    assert len(members) == 3
    pooled = np.concatenate([sw.lengths[c] for c in members])  # 3 cells x 4 seeds
    np.testing.assert_allclose(ax.lines[1].get_ydata(), pooled.mean(axis=0), rtol=1e-12)
    fig = plot.learning_curves(sw, cells=[0, 5])
    assert len(fig.axes[0].lines) == 2


def test_learning_curves_of_results():
    a = fastq.train("FrozenLake-4x4", agents=6, episodes=15, seed=1)
    b = fastq.train("FrozenLake-4x4", "sarsa", agents=6, episodes=15, seed=1, backend="numpy")  # no compiling
    fig = plot.learning_curves(a, window=1)
    assert [line.get_label() for line in fig.axes[0].lines] == ["q_learning"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), a.returns.mean(axis=0), rtol=1e-12)
    fig = plot.learning_curves({"Q": a, "SARSA": b}, title="two runs", ylim=(0, 1))
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["Q", "SARSA"]
    assert ax.get_title() == "two runs" and ax.get_ylim() == (0.0, 1.0)


def test_learning_curves_of_the_rms_error_and_the_loss():
    # A prediction sweep (the numpy reference: nothing to compile): the rms_error curve starts
    # before the first episode, at episode 0; the loss curve at episode 1, like the returns.
    sw = fastq.sweep("RandomWalk-5", "td", grid={"alpha": [0.1, 0.3]}, seeds=5, episodes=8, gamma=1.0,
                     policy="uniform", v_init=0.5, record_loss=True, backend="numpy", progress=False)
    ax = plot.learning_curves(sw, metric="rms_error", window=1).axes[0]
    x, y = ax.lines[1].get_data()
    np.testing.assert_array_equal(x, np.arange(0, 9))
    np.testing.assert_allclose(y, sw.per_episode("rms_error")[1].mean(axis=0), rtol=1e-12)
    assert y[0] == pytest.approx(np.sqrt(1 / 18), rel=1e-12)  # V = 0.5 against 1/6 .. 5/6
    ax = plot.learning_curves(sw, metric="loss", window=1, cells=[0]).axes[0]
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(1, 9))
    np.testing.assert_allclose(y, sw.per_episode("loss")[0].mean(axis=0), rtol=1e-12)
    assert "loss" in ax.get_ylabel()
    res = sw.result(1)  # one cell as a Result: the same curve
    ax = plot.learning_curves(res, metric="rms_error", window=1).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), res.extra["rms_error"].mean(axis=0), rtol=1e-12)


def test_tail_limits_leave_out_the_first_episodes():
    res = fastq.train("CliffWalking", agents=8, episodes=100, seed=0, gamma=1.0)
    ax = plot.learning_curves(res, window=1, band=None, ylim="tail").axes[0]
    mean = res.returns.mean(axis=0)
    low, high = ax.get_ylim()
    assert low <= mean[10:].min() and high >= mean[10:].max()
    assert low > mean[:10].min()  # the first episodes' -1000s are off the chart


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(metric="reward"), ValueError, "metric must be one of"),
        (dict(by="gamma"), ValueError, r"by must be an axis of the sweep \['algo', 'alpha', 'epsilon'\]"),
        (dict(cells={"gamma": 0.9}), ValueError, "'gamma' is not an axis"),
        (dict(cells={"alpha": 0.7}), ValueError, "no cell has the values"),
        (dict(cells=[12]), ValueError, "cells entry must be in the range 0 <= value <= 11"),
        (dict(band="iqr"), ValueError, "band must be 'ci', 'std' or None"),
        (dict(window=0), ValueError, "window must be >= 1"),
        (dict(ylim="auto"), ValueError, "ylim must be None, 'tail'"),
    ],
)
def test_learning_curves_bad_input(sw, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot.learning_curves(sw, **kwargs)


def test_learning_curves_need_results():
    with pytest.raises(TypeError, match="data must be a SweepResult"):
        plot.learning_curves([1, 2, 3])


def test_grid_values_draws_values_policy_and_special_cells(tmp_path):
    env = fastq.make("CliffWalking")
    solution = fastq.value_iteration(env, gamma=1.0)
    fig = plot.grid_values(env, solution)
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    assert image.shape == (4, 12)
    assert image.mask.sum() == 11  # 10 cliff cells and the goal
    np.testing.assert_array_equal(image.data.ravel()[~image.mask.ravel()], solution.v[~image.mask.ravel()])
    gids = [p.get_gid() for p in ax.patches]
    assert gids.count("C") == 10 and gids.count("G") == 1 and len(gids) == 11
    arrows = [c for c in ax.collections if c.get_gid() == "policy"][0]
    assert len(arrows.U) == 48 - 11  # one per start and free cell
    free = np.flatnonzero(~image.mask.ravel())
    deltas = {"U": (-1, 0), "R": (0, 1), "D": (1, 0), "L": (0, -1)}
    expected = np.array([deltas[env.actions[a]] for a in solution.policy[free]], dtype=float)
    np.testing.assert_array_equal(np.c_[arrows.V, arrows.U], expected)
    texts = [t for t in ax.texts if t.get_gid() == "value"]
    assert len(texts) == 37 and texts[0].get_text() == f"{solution.v[0]:.2f}"
    fig.savefig(tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 1000


def test_grid_values_of_a_learned_q_table_and_walls():
    env = fastq.GridWorld(["S.#.", "..H.", "#..G"], step_reward=-1.0)
    res = fastq.train(env, agents=1, episodes=30, seed=2)
    ax = plot.grid_values(env, res.q[0], annotate=False, title="learned").axes[0]
    assert sorted(p.get_gid() for p in ax.patches) == ["#", "#", "G", "H"]
    arrows = [c for c in ax.collections if c.get_gid() == "policy"][0]
    assert len(arrows.U) == 8 and not [t for t in ax.texts if t.get_gid() == "value"]
    np.testing.assert_array_equal(ax.images[0].get_array().data.ravel()[0], res.q[0, 0].max())
    assert ax.get_title() == "learned"


def test_grid_values_bad_input():
    with pytest.raises(TypeError, match="env must be a grid world"):
        plot.grid_values(fastq.make("MaxBias"), np.zeros(3))
    with pytest.raises(ValueError, match=r"values must have shape \(16,\) or \(16, 4\)"):
        plot.grid_values("FrozenLake-4x4", np.zeros(15))
    with pytest.raises(ValueError, match="policy must hold actions in"):
        plot.grid_values("FrozenLake-4x4", np.zeros(16), np.full(16, 4))
    with pytest.raises(ValueError, match="policy without values"):
        plot.grid_values("FrozenLake-4x4", policy=np.zeros(16, dtype=int))
    with pytest.raises(ValueError, match="gamma applies only when values are left out"):
        plot.grid_values("FrozenLake-4x4", np.zeros(16), gamma=0.9)


def test_plotting_solves_nothing_and_the_old_default_warns(monkeypatch):
    solution = fastq.value_iteration("FrozenLake-4x4", gamma=0.9)
    with pytest.warns(DeprecationWarning, match=r"grid_values\(env\) without values"):
        old = plot.grid_values("FrozenLake-4x4", gamma=0.9).axes[0].images[0].get_array()
    np.testing.assert_array_equal(old, plot.grid_values("FrozenLake-4x4", solution).axes[0].images[0].get_array())
    # Given values, nothing is solved.
    monkeypatch.setattr(fastq.solve, "value_iteration", None)
    plot.grid_values("FrozenLake-4x4", solution.v, solution.policy)


def test_sweep_heatmap_one_panel_per_algorithm(sw):
    fig = plot.sweep_heatmap(sw, x="alpha", y="epsilon", last=10)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 2
    assert [ax.get_title() for ax in panels] == ["algo=q_learning", "algo=sarsa"]
    finals = sw.final("return", 10)
    for p, algo in enumerate(["q_learning", "sarsa"]):
        image = panels[p].images[0].get_array()
        assert image.shape == (3, 2)  # epsilon rows x alpha columns
        for r, epsilon in enumerate([0.1, 0.2, 0.3]):
            for c, alpha in enumerate([0.1, 0.5]):
                cell = sw.index(algo=algo, alpha=alpha, epsilon=epsilon)
                assert image[r, c] == pytest.approx(finals[cell].mean(), abs=1e-12)
        assert [t.get_text() for t in panels[p].get_xticklabels()] == ["0.1", "0.5"]
        assert len([t for t in panels[p].texts if t.get_gid() == "cell"]) == 6
    fig = plot.sweep_heatmap(sw, x="epsilon", y="algo", stat="iqm", last=10, annotate=False)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 2 and panels[0].get_title() == "alpha=0.1"
    image = panels[0].images[0].get_array()
    cell = sw.index(algo="sarsa", alpha=0.1, epsilon=0.3)
    assert image[1, 2] == pytest.approx(interquartile_mean(finals[cell]), abs=1e-12)
    assert not [t for t in panels[0].texts if t.get_gid() == "cell"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x="gamma", y="alpha"), r"x must be an axis of the sweep"),
        (dict(x="alpha", y="alpha"), "x and y must be different axes"),
        (dict(x="alpha", y="epsilon", stat="median"), "stat must be 'mean' or 'iqm'"),
        (dict(x="alpha", y="epsilon", last=21), "last must be in the range 1 <= value <= 20"),
    ],
)
def test_sweep_heatmap_bad_input(sw, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot.sweep_heatmap(sw, **kwargs)
