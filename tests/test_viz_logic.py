"""The notebook-03 figures and explorer: redraw on every control, with or without student code."""

import numpy as np
import pytest

from coursekit import logic
from coursekit.viz.logic import (
    plot_lstm_trace,
    plot_xor_networks,
    plot_xor_training,
    threshold_explorer,
)

pytestmark = pytest.mark.nb03


def _pixels(png: bytes) -> np.ndarray:
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def _and_gate(X):
    return logic.threshold_unit(X, np.array([1.0, 1.0]), -1.5)


def _titles(fig) -> str:
    return " | ".join(ax.get_title() for ax in fig.axes)


def test_threshold_explorer_redraws_on_every_control():
    e = threshold_explorer({"AND": _and_gate})
    seen = [_pixels(e.png)]
    for name, value in (("w1", -1.0), ("w2", 2.0), ("b", 0.7), ("target", "XOR"), ("target", "OR")):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)


def test_threshold_explorer_counts_and_shows_that_xor_needs_more_than_a_line():
    e = threshold_explorer()
    e.controls["w1"].value, e.controls["w2"].value, e.controls["b"].value = 1.0, 1.0, -1.5
    assert "AND: 4 of 4 right" in e.figure.axes[0].get_title()
    assert "best over every (w1, w2, b) tried: 4 of 4" in e.figure.axes[1].get_title()
    e.controls["target"].value = "XOR"
    assert "XOR: 1 of 4 right" in e.figure.axes[0].get_title()
    assert "tried: 3 of 4" in e.figure.axes[1].get_title()  # no line gets all four
    e.controls["b"].value = -1.0  # z = 0 on 01 and 10: step(0) = 1 fires there
    assert "01: z = +0.0 → 1" in [t.get_text() for t in e.figure.axes[0].texts]


def test_threshold_explorer_reports_the_students_gate():
    e = threshold_explorer({"AND": _and_gate, "OR": lambda X: np.zeros(len(X))})
    note = e.figure.texts[-1].get_text()
    assert "matches AND" in note and "NOT" not in note
    e.controls["target"].value = "OR"
    assert "does NOT match OR" in e.figure.texts[-1].get_text()


def test_broken_or_missing_student_gates_do_not_break_the_explorer():
    def broken(X):
        raise ValueError("bad")

    def unfinished(X):
        raise NotImplementedError

    e = threshold_explorer({"AND": broken, "OR": unfinished})
    assert "raised ValueError: bad" in e.figure.texts[-1].get_text()
    e.controls["target"].value = "OR"
    assert "not written yet" in e.figure.texts[-1].get_text()
    e.controls["target"].value = "XOR"
    assert len(e.png) > 1000
    assert len(threshold_explorer().png) > 1000


def test_xor_figure_flags_right_and_wrong_weights():
    def wrong():
        return np.array([[1.0, 1.0], [1.0, -1.0]]), np.zeros(2), np.array([1.0, -1.0]), 0.0

    def unfinished():
        raise NotImplementedError

    fig = plot_xor_networks({"good": logic.xor_weights, "bad": wrong, "mine": unfinished})
    titles = _titles(fig)
    assert "good (XOR ✓)" in titles and "bad (NOT XOR)" in titles
    assert any("not written yet" in t.get_text() for ax in fig.axes for t in ax.texts)
    with pytest.raises(ValueError, match="empty"):
        plot_xor_networks({})


def test_xor_figure_accepts_more_hidden_units():
    def three():
        return np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]), np.array([0.0, -1.0, 0.0]), np.array(
            [1.0, -2.0, 0.0]
        ), 0.0

    fig = plot_xor_networks({"H = 3": three})
    assert "first 2 of H = 3" in _titles(fig)


def test_training_figure_and_lstm_trace():
    runs = {k: logic.train_xor(k, steps=50) for k in ("zero", "random")}
    fig = plot_xor_training(runs)
    assert len(fig.axes[0].lines) == 2
    trace = plot_lstm_trace(logic.parity_lstm_params, [1, 0, 1, 1])
    assert "✓" in trace.axes[0].get_title()

    def never_forgets():
        return dict(logic.parity_lstm_params(), W_f=np.zeros(2), b_f=1.0)

    assert "differs" in plot_lstm_trace(never_forgets, [1, 1]).axes[0].get_title()
    assert "raised KeyError" in plot_lstm_trace(lambda: {}.pop("x"), [1]).axes[0].get_title()
