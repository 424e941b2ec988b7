"""What the notebooks' visible and hidden checks call.

Visible check cell::

    from coursekit.grading import check_visible
    check_visible("02.softmax", softmax)

Hidden test region (instructor side)::

    from coursekit.grading import check_hidden
    check_hidden("02.softmax", softmax)

Both compare ``softmax`` with the truth on many inputs and raise ``CheckFailed`` naming the
input, the index, both values, the tolerance and the likely mistake.
"""

from coursekit.grading.compare import CheckFailed, as_array, compare
from coursekit.grading.gradcheck import GradReport, gradcheck
from coursekit.grading.registry import Case, Question, all_questions, get
from coursekit.grading.runner import check_hidden, check_visible

__all__ = [
    "Case",
    "CheckFailed",
    "GradReport",
    "Question",
    "all_questions",
    "as_array",
    "check_hidden",
    "check_visible",
    "compare",
    "get",
    "gradcheck",
]
