"""Tests of coursekit.sweeps (depth x width grids, Optuna helpers) and coursekit.viz.grids."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.data.twod import TwoClassData
from coursekit.mlp import ACTIVATIONS
from coursekit.sweeps import (
    DEFAULT_SPACE,
    GridResult,
    depth_width_grid,
    make_net,
    make_objective,
    param_importances,
    run_study,
    study_histories,
    study_records,
    suggest_config,
)
from coursekit.training import METRICS
from coursekit.viz.grids import plot_grid_heatmap, plot_importances, plot_parallel_coordinates

pytestmark = [pytest.mark.nb11, pytest.mark.nb12]



def circles(seed=0):
    s = TwoClassData("circles", noise=0.05, seed=seed).splits(160, 80, 10)
    return s.tensors("train"), s.tensors("val")


@pytest.mark.parametrize("depth, width, act", [(0, 7, "relu"), (1, 3, "tanh"), (4, 5, "silu")])
def test_make_net_structure(depth, width, act):
    net = make_net(3, depth, width, activation=act)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    sizes = [3] + [width] * depth + [1]
    assert [(m.in_features, m.out_features) for m in linears] == list(
        zip(sizes[:-1], sizes[1:], strict=True)
    )
    assert sum(isinstance(m, ACTIVATIONS[act]) for m in net) == depth
    assert isinstance(net[-1], nn.Linear)  # logits out
    probs = make_net(3, depth, width, output_activation="sigmoid")
    assert isinstance(probs[-1], nn.Sigmoid)
    out = probs(torch.randn(6, 3))
    assert out.shape == (6, 1) and ((out > 0) & (out < 1)).all()


def test_make_net_errors():
    with pytest.raises(ValueError, match="depth"):
        make_net(2, -1, 3)
    with pytest.raises(ValueError, match="width"):
        make_net(2, 1, 0)
    with pytest.raises(ValueError, match="valid names.*sigmoid"):
        make_net(2, 1, 3, activation="softplus")


def test_grid_is_parallel_safe_and_depth_matters():
    data = circles()
    kwargs = dict(epochs=10, lr=0.1, batch_size=32, activation="tanh", seed=1)
    serial = depth_width_grid([0, 2], [1, 8], 2, data, n_jobs=1, **kwargs)
    parallel = depth_width_grid([0, 2], [1, 8], 2, data, n_jobs=2, **kwargs)
    assert serial.values.shape == (2, 2, 2)
    np.testing.assert_array_equal(serial.values, parallel.values)
    assert serial.mean.shape == serial.std.shape == (2, 2)
    np.testing.assert_allclose(serial.std, np.std(serial.values, axis=2))
    assert serial.values[1, 1, 0] != serial.values[1, 1, 1]  # each repeat has its own seed
    # no line separates two circles: logistic regression stays near log 2
    assert (serial.mean[0] > 0.6).all()
    assert serial.mean[1, 1] < serial.mean[0, 1] - 0.3
    # accuracy is a metric too
    acc = depth_width_grid([2], [8], 1, data, n_jobs=1, metric="dev_acc", **kwargs)
    assert acc.values.shape == (1, 1, 1) and acc.values[0, 0, 0] > 0.9


def test_grid_errors():
    with pytest.raises(ValueError, match="metric"):
        depth_width_grid([1], [2], 1, circles(), metric="loss")
    with pytest.raises(ValueError, match="repeats"):
        depth_width_grid([1], [2], 0, circles())
    with pytest.raises(ValueError, match="valid names"):
        depth_width_grid([1], [2], 1, circles(), activation="nope")


def test_heatmap_annotates_mean_and_std():
    values = np.arange(12, dtype=float).reshape(2, 3, 2) ** 2 / 10
    fig = plot_grid_heatmap(GridResult((0, 3), (1, 5, 10), "dev_loss", values), title="t")
    ax_mean, ax_std = fig.axes[:2]
    mean = [[0.05, 0.65, 2.05], [4.25, 7.25, 11.05]]  # by hand: (a^2 + b^2) / 20
    std = [[0.05, 0.25, 0.45], [0.65, 0.85, 1.05]]  # |b^2 - a^2| / 20
    assert [t.get_text() for t in ax_mean.texts] == [f"{v:.3g}" for row in mean for v in row]
    assert [t.get_text() for t in ax_std.texts] == [f"{v:.3g}" for row in std for v in row]
    assert [t.get_text() for t in ax_mean.get_yticklabels()] == ["0", "3"]


def test_parallel_coordinates():
    records = [
        {"depth": 1, "lr": 0.001, "value": 0.5},
        {"depth": 3, "lr": 0.1, "value": 0.2},
        {"depth": 2, "lr": 0.01, "value": 0.3},
    ]
    fig = plot_parallel_coordinates(records)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 + 3  # one per run, one vertical axis per column
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["depth", "lr\n(log)", "value"]
    # runs are drawn worst first; the lr axis is logarithmic: 0.01 sits halfway
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.5, 0.5, 1 / 3])
    with pytest.raises(ValueError, match=r"records\[1\]"):
        plot_parallel_coordinates([{"a": 1, "value": 1}, {"b": 1, "value": 2}])
    with pytest.raises(ValueError, match="empty"):
        plot_parallel_coordinates([])


def test_importances_plot_sorted():
    fig = plot_importances({"lr": 0.7, "depth": 0.1, "width": 0.2})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["depth", "width", "lr"]
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [0.1, 0.2, 0.7]


class FakeTrial:
    """Stands in for an optuna trial: takes the first choice, the geometric mean of a range."""

    def __init__(self, number):
        self.number, self.user_attrs, self.params = number, {}, {}

    def suggest_categorical(self, name, choices):
        self.params[name] = choices[0]
        return choices[0]

    def suggest_float(self, name, low, high, log=False):
        value = math.sqrt(low * high) if log else (low + high) / 2
        self.params[name] = value
        return value

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value


def test_suggest_config_and_objective_without_optuna():
    trial = FakeTrial(0)
    assert suggest_config(trial) == {"depth": 1, "width": 5, "lr": pytest.approx(0.01),
                                     "batch_size": 32}  # fmt: skip
    with pytest.raises(ValueError, match="space\\['lr'\\].*log_uniform"):
        suggest_config(FakeTrial(0), {"lr": ("loguniform", 1e-3, 1e-1)})

    space = dict(DEFAULT_SPACE, epochs=("categorical", (2,)))
    objective = make_objective(circles(), space=space, metric="dev_acc")
    value = objective(trial)
    assert 0 <= value <= 1
    assert set(trial.user_attrs) == set(METRICS)
    assert trial.user_attrs["dev_acc"][-1] == value and len(trial.user_attrs["dev_acc"]) == 2
    assert objective(FakeTrial(0)) == value  # the trial number fixes the seed

    study = SimpleNamespace(trials=[trial, SimpleNamespace(value=None, params={}, number=1)])
    trial.value = value
    assert study_records(study) == [{**trial.params, "value": value}]
    ((label, history),) = study_histories(study).items()
    assert label.startswith("#0: depth=1") and history.dev_acc == trial.user_attrs["dev_acc"]


def test_optuna_study():
    space = {
        "depth": ("categorical", (1, 2)),
        "width": ("categorical", (4, 8)),
        "lr": ("log_uniform", 1e-3, 1e-1),
        "batch_size": ("categorical", (32, 64)),
    }
    objective = make_objective(circles(), space=space, epochs=3)
    study = run_study(objective, n_trials=4, seed=0)
    again = run_study(objective, n_trials=4, seed=0)
    records = study_records(study)
    assert len(records) == 4 and set(records[0]) == {*space, "value"}
    assert [r["value"] for r in records] == [r["value"] for r in study_records(again)]
    assert len(study_histories(study)) == 4
    importances = param_importances(study)
    assert set(importances) <= set(space) and abs(sum(importances.values()) - 1) < 1e-6


@pytest.mark.parametrize("low, high, n", [(1e-4, 1.0, 5), (0.003, 0.3, 2), (2.0, 2.0, 4), (1e-6, 5e-2, 9)])
def test_log_spaced_has_a_constant_ratio(low, high, n):
    from coursekit.sweeps import log_spaced

    values = log_spaced(low, high, n)
    assert values.shape == (n,) and values.dtype == np.float64
    assert values[0] == pytest.approx(low, rel=1e-12) and values[-1] == pytest.approx(high, rel=1e-12)
    ratios = values[1:] / values[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    np.testing.assert_allclose(values, np.geomspace(low, high, n), rtol=1e-12)


@pytest.mark.parametrize("args, message", [((0.0, 1.0, 3), "low"), ((1.0, -1.0, 3), "high"), ((1.0, 2.0, 1), "n must")])
def test_log_spaced_errors(args, message):
    from coursekit.sweeps import log_spaced

    with pytest.raises(ValueError, match=message):
        log_spaced(*args)


def test_grid_progress_bar_counts_the_runs(capsys):
    data = circles()
    depth_width_grid([0, 1], [2], 2, data, n_jobs=1, epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "depth x width" in err and "4/4" in err
