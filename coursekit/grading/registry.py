"""The question registry: what each autograded question checks, and against what.

A question lives in ``coursekit/grading/questions/nbNN.py`` (NN = the notebook number) and is
looked up by its id ``"NN.name"``. Visible checks compare a student's function with an
independent ``oracle`` (PyTorch autograd, brute force, stored facts) on ``public`` cases, so they
work in the student build; hidden checks compare it with the coursekit ``reference`` on the
public cases plus ``hidden`` ones drawn from a seeded generator (removed from the student build).
"""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call: positional ``args`` (named by the question's ``arg_names``) and a ``label``."""

    args: tuple
    label: str = ""
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    """An autograded function question.

    Attributes:
        qid: ``"NN.name"``, e.g. ``"02.softmax"``.
        func_name: the name the student's function has in the notebook.
        arg_names: names of the positional arguments, quoted in messages.
        public: () -> visible cases.
        oracle: an independent implementation used by visible checks.
        reference: the coursekit reference used by hidden checks.
        hidden: rng -> hidden cases (random and edge cases).
        mistakes: name -> (function giving a known wrong answer, hint shown when it matches).
        rtol, atol: tolerances.
        forbidden: coursekit functions an answer may not run, besides ``reference``: those the
            student build keeps because the notebook uses them (e.g. the course's attention
            layer). The grader checks the question in a second process whose coursekit has
            their bodies replaced by an error, so an answer that runs one of them fails.
    """

    qid: str
    func_name: str
    arg_names: tuple[str, ...]
    public: Callable[[], list[Case]]
    oracle: Callable[..., Any]
    reference: Callable[..., Any]
    hidden: Callable[[np.random.Generator], list[Case]]
    mistakes: Mapping[str, tuple[Callable[..., Any], str]] = field(default_factory=dict)
    rtol: float = 1e-6
    atol: float = 1e-9
    forbidden: tuple[Callable[..., Any], ...] = ()


_REGISTRY: dict[str, Question] = {}


def register(*questions: Question) -> None:
    """Add questions to the registry (a notebook's question module calls this on import)."""
    for q in questions:
        if q.qid in _REGISTRY and _REGISTRY[q.qid] is not q:
            raise ValueError(f"question id {q.qid!r} registered twice")
        _REGISTRY[q.qid] = q


def get(qid: str) -> Question:
    """The question ``qid`` (``"NN.name"``), importing its notebook's module on first use."""
    notebook = qid.split(".", 1)[0]
    if qid not in _REGISTRY:
        try:
            importlib.import_module(f"coursekit.grading.questions.nb{notebook}")
        except ModuleNotFoundError:
            pass
    if qid not in _REGISTRY:
        known = sorted(k for k in _REGISTRY if k.startswith(notebook + "."))
        raise KeyError(f"no question {qid!r}; notebook {notebook} has {known or 'no questions'}")
    return _REGISTRY[qid]


def all_questions(notebook: str) -> list[Question]:
    """Every registered question of notebook ``notebook`` (``"02"``)."""
    importlib.import_module(f"coursekit.grading.questions.nb{notebook}")
    return [q for k, q in sorted(_REGISTRY.items()) if k.startswith(notebook + ".")]
