"""Notebook 04's extra hidden check: each local backward rule run inside random graphs."""

import numpy as np
import pytest

from coursekit import autodiff
from coursekit.grading import CheckFailed, all_questions, check_hidden, check_visible
from coursekit.grading.questions.nb04 import check_rule_in_graphs

pytestmark = pytest.mark.nb04

RULES = [q for q in all_questions("04") if q.qid.endswith("_backward")]


@pytest.mark.parametrize("q", RULES, ids=[q.qid for q in RULES])
def test_a_copy_of_the_reference_rule_passes_in_graphs(q):
    check_rule_in_graphs(q.qid, lambda *args: q.reference(*args))


@pytest.mark.parametrize("q", RULES, ids=[q.qid for q in RULES])
def test_each_known_mistake_fails_in_graphs(q):
    for wrong, _hint in q.mistakes.values():
        with pytest.raises(CheckFailed, match="inside a graph"):
            check_rule_in_graphs(q.qid, wrong)


def test_the_reference_itself_and_unwritten_rules_earn_nothing():
    with pytest.raises(CheckFailed, match="reference itself"):
        check_rule_in_graphs("04.mul_backward", autodiff.mul_backward)

    def unwritten(a, b, out, out_grad):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not written yet"):
        check_rule_in_graphs("04.mul_backward", unwritten)

    def crashing(x, out, out_grad):
        return {}[x]

    with pytest.raises(CheckFailed, match=r"raised KeyError.*graph|graph.*raised KeyError"):
        check_rule_in_graphs("04.exp_backward", crashing)


def test_a_rule_wrong_only_at_a_reused_node_is_caught():
    def wrong_when_equal(a, b, out, out_grad):  # x * x: forgets that both inputs are the same node
        return (b * out_grad, 0.0) if a == b else (b * out_grad, a * out_grad)

    check_visible("04.mul_backward", wrong_when_equal, quiet=True)  # the visible cases miss it
    with pytest.raises(CheckFailed):
        check_hidden("04.mul_backward", wrong_when_equal)
    with pytest.raises(CheckFailed, match="inside a graph"):
        check_rule_in_graphs("04.mul_backward", wrong_when_equal)


def test_value_questions_accept_integers_where_the_answer_is_whole():
    check_visible("04.upstream_grads", (1, 2, 1), quiet=True)
    check_hidden("04.upstream_grads", (1, 2, 1))
    check_visible("04.input_grads", (1.0, 2 * np.exp(3.0), np.exp(3.0)), quiet=True)
    check_visible("04.forward_values", (0.0, 20.0855369, 40.1710738, 40.1710738), quiet=True)  # 9 digits
    with pytest.raises(CheckFailed):
        check_visible("04.forward_values", (0.0, 20.09, 40.17, 40.17))  # four digits are too few
