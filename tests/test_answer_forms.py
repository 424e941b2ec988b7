"""coursekit.grading.answer_forms: form-only visible checks for concept answers, probes for
Optuna code, and plain questions passed straight through."""

import numpy as np
import pytest

from coursekit import sweeps
from coursekit.grading import CheckFailed
from coursekit.grading.answer_forms import adapter_for, check_hidden, check_visible

pytestmark = [pytest.mark.nb00, pytest.mark.nb12]


def test_concept_visible_check_looks_at_the_form_only(capsys):
    check_visible("00.q1", {"A", "b"})  # wrong, but well formed
    assert "has the right form" in capsys.readouterr().out
    check_visible("00.q2", True)
    check_visible("00.q4", "d")
    for bad, message in (
        (None, "not written yet"),
        ("AB", "not one of the options"),
        ({"E"}, "not one of the options"),
        (["A", 1], "not one of the options"),
        (3, "a set of letters"),
    ):
        with pytest.raises(CheckFailed, match=message):
            check_visible("00.q1", bad)
    with pytest.raises(CheckFailed, match="True or False"):
        check_visible("00.q2", "False")
    with pytest.raises(CheckFailed, match="True or False"):
        check_visible("00.q3", 1)


def test_concept_hidden_check_compares_with_the_key():
    check_hidden("00.q1", {"C"})
    check_hidden("00.q4", "D")
    check_hidden("00.q2", False)
    with pytest.raises(CheckFailed, match="identical gradients"):
        check_hidden("00.q1", {"B"})
    with pytest.raises(CheckFailed, match="entries are off"):
        check_hidden("00.q1", {"C", "A"})
    with pytest.raises(CheckFailed):
        check_hidden("00.q2", True)


def test_every_concept_question_has_a_key_with_a_valid_form():
    from coursekit.grading.questions import nb00

    for name, options in nb00.OPTIONS.items():
        key = nb00._key()[name]
        ticks = nb00.ticks(name, key)
        assert ticks.dtype == bool and (ticks.shape == () if options is bool else ticks.shape == (len(options),))
        check_hidden(f"00.{name}", key)


def test_probes_wrap_functions_and_refuse_the_reference():
    assert adapter_for("12.search_space") is not None and adapter_for("12.fraction_below") is None

    def search_space(trial):
        return sweeps.search_space(trial)  # a student's wrapper: fine for the checks

    check_visible("12.search_space", search_space, quiet=True)
    with pytest.raises(CheckFailed, match="reference itself"):
        check_hidden("12.search_space", sweeps.search_space)
    with pytest.raises(CheckFailed, match="should be a function"):
        check_visible("12.report_epoch", 3)


def test_plain_questions_pass_through():
    check_visible("00.mlp_forward", lambda X, W, b: _forward(X, W, b), quiet=True)
    with pytest.raises(CheckFailed, match="last layer has no ReLU"):
        check_hidden("00.mlp_forward", lambda X, W, b: np.maximum(_forward(X, W, b), 0))


def _forward(X, weights, biases):
    h = X
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ W.T + b
        h = np.maximum(h, 0) if i < len(weights) - 1 else h
    return h
