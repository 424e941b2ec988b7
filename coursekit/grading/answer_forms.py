"""Checks for answers that the registry cannot compare as they are.

Most questions grade a function of arrays, and ``coursekit.grading.check_visible`` /
``check_hidden`` compare its outputs with an oracle and the reference. Two kinds of answer need
one step more:

* a concept question answered with a set of letters or a bool (notebook 00): its visible check
  may only look at the *form* of the answer (anything more would give the answer away), and its
  hidden check compares the ticks with the stored key;
* a function that talks to an Optuna trial (notebook 12): it returns a dict or raises
  ``optuna.TrialPruned``, so it is run against a recording fake trial by a *probe*, a callable
  object that answers the registry's cases with numbers.

A question module registers an ``Adapter`` for such a question; ``check_visible`` and
``check_hidden`` here apply it and then run the usual checks, and pass every other question
straight through. A notebook that has adapted questions imports these two functions instead of
the ones in ``coursekit.grading``; the test cells read the same.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coursekit.grading import runner
from coursekit.grading.compare import CheckFailed
from coursekit.grading.registry import get

__all__ = ["Adapter", "CheckFailed", "adapter_for", "check_hidden", "check_visible", "register_adapter"]


@dataclass(frozen=True)
class Adapter:
    """How to turn a student's answer into what the registered question checks.

    Attributes:
        prepare: answer -> the value or callable the question's cases are run on. It raises
            ``CheckFailed`` explaining the expected form when the answer has the wrong form.
        form_only: the visible check stops after ``prepare`` (it only checks the form), and
            prints ``describe(answer)``; the hidden check compares as usual.
        describe: answer -> the one-line summary a form-only visible check prints.
    """

    prepare: Callable[[Any], Any]
    form_only: bool = False
    describe: Callable[[Any], str] | None = None


_ADAPTERS: dict[str, Adapter] = {}


def register_adapter(qid: str, adapter: Adapter) -> None:
    """Attach ``adapter`` to question ``qid`` (a question module calls this on import)."""
    if qid in _ADAPTERS and _ADAPTERS[qid] is not adapter:
        raise ValueError(f"question {qid!r} has an adapter already")
    _ADAPTERS[qid] = adapter


def adapter_for(qid: str) -> Adapter | None:
    """The adapter of ``qid`` (importing its question module first), or None."""
    get(qid)
    return _ADAPTERS.get(qid)


def check_visible(qid: str, answer: Any, *, quiet: bool = False) -> float:
    """The visible check of ``qid`` on ``answer``, through its adapter when it has one."""
    adapter = adapter_for(qid)
    if adapter is None:
        return runner.check_visible(qid, answer, quiet=quiet)
    prepared = adapter.prepare(answer)
    if adapter.form_only:
        if not quiet:
            summary = adapter.describe(answer) if adapter.describe else f"{get(qid).func_name} has the right form"
            print(f"✓ {summary}")
        return 0.0
    return runner.check_visible(qid, prepared, quiet=quiet)


def check_hidden(qid: str, answer: Any) -> None:
    """The hidden check of ``qid`` on ``answer``, through its adapter when it has one."""
    adapter = adapter_for(qid)
    if adapter is None:
        runner.check_hidden(qid, answer)
        return
    runner.check_hidden(qid, adapter.prepare(answer))
