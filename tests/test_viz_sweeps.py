"""Figures and the explorer of notebook 12 read a study's logged curves, pruned trials included."""

import io

import numpy as np
import optuna
import pytest

from coursekit import sweeps as s
from coursekit.viz import sweeps as v

pytestmark = pytest.mark.nb12

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


@pytest.fixture(scope="module")
def study():
    """A small study with made-up curves: every third trial is pruned after two epochs."""
    st = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        config = s.search_space(trial)
        epochs = 2 if trial.number % 3 == 2 else 5
        base = 0.2 + 10 * abs(np.log10(config["lr"]) + 1.3) / config["width"]
        curve = [float(base + 0.5 / e) for e in range(1, epochs + 1)]
        for name in s.METRICS:
            trial.set_user_attr(name, curve if "loss" in name else [1 - c / 2 for c in curve])
        for e, value in enumerate(curve, start=1):
            trial.report(value, e)
        if epochs == 2:
            raise optuna.TrialPruned()
        return curve[-1]

    st.optimize(objective, n_trials=9)
    return st


def test_trial_curves_keep_pruned_trials(study):
    rows = v.trial_curves(study)
    assert len(rows) == 9
    pruned = [r for r in rows if r["state"] == "PRUNED"]
    assert len(pruned) == 3 and all(r["value"] is None and r["curves"]["dev_loss"].size == 2 for r in pruned)


def test_study_explorer_redraws_on_every_control(study):
    e = v.study_explorer(study)
    seen = [_pixels(e.png)]
    for name, value in (("metric", "dev_acc"), ("colour", "lr"), ("pruned", False), ("highlight", 4)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)
    ax = e.figure.axes[0]
    dashed = [line for line in ax.lines[:-1] if line.get_visible() and line.get_linestyle() == "--"]
    assert not dashed  # pruned trials hidden
    assert "#4" in ax.get_title()


def test_explorer_and_figures_handle_an_empty_study():
    empty = optuna.create_study()
    e = v.study_explorer(empty)
    e.controls["metric"].value = "train_loss"
    assert len(e.png) > 1000
    assert "no trial" in v.plot_trial_values(empty).axes[0].texts[0].get_text()


def test_static_figures(study):
    fig = v.plot_trial_values(study)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("pruned" in label for label in labels) and any("best so far" in label for label in labels)
    draws = v.plot_draws({"a": np.geomspace(1e-3, 1e-1, 50)}, 1e-3, 1e-1)
    assert draws.axes[0].get_xscale() == "log"
    fig.savefig(io.BytesIO(), format="png")
