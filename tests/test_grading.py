"""coursekit.grading: strict comparison, useful messages, and every question's checks."""

import numpy as np
import pytest
import torch

from coursekit.grading import CheckFailed, all_questions, check_hidden, check_visible, compare, get
from coursekit.grading.registry import Case
from tests.conftest import ROOT

EXP = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_exact_and_close_answers_pass():
    assert compare(EXP.copy(), EXP, label="f") == 0.0
    assert compare(EXP + 1e-12, EXP, label="f") < 1e-11


@pytest.mark.parametrize(
    "actual, fragment",
    [
        (np.array([1.0, 2.0]), "shape (2,), expected (2, 2)"),  # would broadcast
        (np.array([[1.0, 2.0]]), "shape (1, 2)"),  # would broadcast too
        (np.float64(1.0), "shape ()"),
        (np.zeros((0,)), "empty array"),
        (np.array([[1.0, np.nan], [3.0, 4.0]]), "returned nan at index (0, 1)"),
        (np.array([[1.0, 2.0], [np.inf, 4.0]]), "returned inf at index (1, 0)"),
        (EXP.astype(int), "dtype int64"),
        (EXP > 0, "booleans"),
        (None, "forget to `return`"),
        (np.array([[1, "a"], [2, 3]], dtype=object), "dtype object"),
        ([[1.0, 2.0], [3.0]], "cannot be read as an array"),
        (EXP.astype(np.complex128), "complex128"),
    ],
)
def test_wrong_kinds_of_answer_never_pass(actual, fragment):
    with pytest.raises(CheckFailed, match=None) as info:
        compare(actual, EXP, label="f")
    assert fragment in str(info.value)


def test_message_names_input_index_values_tolerance_and_mistake():
    with pytest.raises(CheckFailed) as info:
        compare(EXP.T, EXP, label="jac", inputs={"X": np.eye(2)}, rtol=1e-6, atol=1e-9)
    msg = str(info.value)
    for part in (
        "jac on input X=",
        "index (0, 1)",
        "got 3",
        "expected 2",
        "tolerance",
        "transposed",
    ):
        assert part in msg, (part, msg)


@pytest.mark.parametrize(
    "actual, hint",
    [
        (-EXP, "sign is flipped"),
        (2 * EXP, "2 times the expected value"),
        (EXP + 0.5, "same constant 0.5"),
        (EXP.T, "transposed"),
        (np.diag(np.diag(EXP)) + 5 * (1 - np.eye(2)), "off-diagonal entries are wrong"),
    ],
)
def test_generic_mistakes_are_recognised(actual, hint):
    with pytest.raises(CheckFailed, match=hint):
        compare(actual, EXP, label="f")


def test_permuted_axes_are_recognised():
    expected = np.arange(24.0).reshape(2, 3, 2, 2) + 1
    with pytest.raises(CheckFailed, match=r"np.transpose\(result, \(2, 1, 0, 3\)\)"):
        compare(expected.transpose(2, 1, 0, 3), expected, label="J")


def test_known_mistake_wins_over_generic_guess():
    with pytest.raises(CheckFailed, match="forgot the factor"):
        compare(2 * EXP, EXP, label="f", mistakes={"f2": (2 * EXP, "forgot the factor")})


def test_torch_tensors_are_accepted_even_with_grad():
    t = torch.tensor(EXP, requires_grad=True) * 1.0
    assert compare(t, EXP, label="f") == 0.0
    assert compare(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]), label="f") == 0.0


def test_integer_answers_compare_exactly():
    assert compare((1, 3), np.array([1, 3]), label="shape", rtol=0, atol=0) == 0.0
    with pytest.raises(CheckFailed, match="got 2, expected 3"):
        compare((1, 2), np.array([1, 3]), label="shape", rtol=0, atol=0)
    with pytest.raises(CheckFailed, match=r"shape \(3,\)"):
        compare((1, 3, 1), np.array([1, 3]), label="shape")


# ---- every registered question: the reference passes, the known mistakes fail -------------

_MODULES = sorted(p.stem[2:] for p in (ROOT / "coursekit" / "grading" / "questions").glob("nb[0-9][0-9].py"))
QUESTIONS = [q for nb in _MODULES for q in all_questions(nb)]


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.qid for q in QUESTIONS])
def test_reference_passes_visible_and_hidden_checks(q, capsys):
    copy_of_reference = lambda *a, **k: q.reference(*a, **k)  # noqa: E731
    check_visible(q.qid, copy_of_reference)
    assert "✓" in capsys.readouterr().out
    check_hidden(q.qid, copy_of_reference)


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.qid for q in QUESTIONS])
def test_oracle_agrees_with_reference_on_hidden_cases(q):
    rng = np.random.default_rng(7)
    for case in [*q.public(), *q.hidden(rng)]:
        np.testing.assert_allclose(
            np.asarray(q.oracle(*case.args, **case.kwargs), dtype=float),
            np.asarray(q.reference(*case.args, **case.kwargs), dtype=float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{q.qid} {case.label}",
        )


MISTAKES = [(q, name) for q in QUESTIONS for name in q.mistakes]


@pytest.mark.parametrize("q, name", MISTAKES, ids=[f"{q.qid}-{n}" for q, n in MISTAKES])
def test_each_known_mistake_fails_hidden_checks_with_its_hint(q, name):
    wrong, hint = q.mistakes[name]
    with pytest.raises(CheckFailed) as info:
        check_hidden(q.qid, wrong)
    msg = str(info.value)
    assert hint in msg or "shape" in msg or "returned nan" in msg, msg


def test_the_reference_itself_earns_nothing():
    from coursekit import activations

    with pytest.raises(CheckFailed, match="reference itself"):
        check_hidden("02.softmax", activations.softmax)


def test_student_errors_become_explanations():
    def broken(z, axis=-1):
        raise KeyError("oops")

    def unfinished(z, axis=-1):
        raise NotImplementedError

    def in_place(z, axis=-1):
        z -= z.max(axis=axis, keepdims=True)
        return np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)

    with pytest.raises(CheckFailed, match="raised KeyError: 'oops'"):
        check_visible("02.softmax", broken)
    with pytest.raises(CheckFailed, match="not written yet"):
        check_visible("02.softmax", unfinished)
    with pytest.raises(CheckFailed, match="in place"):
        check_visible("02.softmax", in_place)
    with pytest.raises(CheckFailed, match="should be a function"):
        check_visible("02.softmax", 3.0)


def test_warnings_in_student_code_do_not_leak_to_stderr(capfd):
    def noisy_sigmoid(z):
        import warnings

        warnings.warn("harmless", stacklevel=1)
        with np.errstate(over="warn"):
            return 1 / (1 + np.exp(-np.asarray(z, float)))

    check_hidden("02.sigmoid", noisy_sigmoid)  # nbgrader fails a test cell that writes to stderr
    assert capfd.readouterr().err == ""


def test_unknown_question_lists_known_ones():
    with pytest.raises(KeyError, match="02.softmax"):
        get("02.softmaxx")


def test_hidden_cases_are_reproducible():
    q = get("02.softmax")
    a = q.hidden(np.random.default_rng(3))
    b = q.hidden(np.random.default_rng(3))
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b, strict=True))
    assert isinstance(a[0], Case)


def test_value_questions_take_the_value_itself():
    from coursekit.grading.registry import Question, register

    register(
        Question(
            qid="99.value", func_name="answer", arg_names=(), public=lambda: [Case(())],
            oracle=lambda: np.array([1.0, 2.0]), reference=lambda: np.array([1.0, 2.0]), hidden=lambda rng: [],
        )
    )
    check_visible("99.value", [1.0, 2.0], quiet=True)
    with pytest.raises(CheckFailed, match="got 3, expected 2"):
        check_visible("99.value", (1.0, 3.0))
