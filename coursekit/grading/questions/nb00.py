"""Questions of notebook 00_concepts: six concept questions and a vectorised forward pass.

A concept question is answered with a set of letters (``q1 = {"C"}``) or a bool (``q2 = False``).
Its visible check only looks at the form of the answer; the key lives in a hidden region, out of
the student build, and the hidden check compares the answer, as one tick per option, with it.
"""

from collections.abc import Callable

import numpy as np
import torch

from coursekit import concepts as ref
from coursekit.grading.answer_forms import Adapter, register_adapter
from coursekit.grading.compare import CheckFailed
from coursekit.grading.registry import Case, Question, register

#: The options of each concept question: its letters, or ``bool`` for a true/false question.
OPTIONS: dict[str, str | type] = {
    "q1": "ABCD",
    "q2": bool,
    "q3": bool,
    "q4": "ABCD",
    "q9": "ABC",
    "q10": "AB",
}


def _key() -> dict[str, object]:
    """The right answers."""
    # BEGIN HIDDEN TESTS
    return {"q1": {"C"}, "q2": False, "q3": True, "q4": {"D"}, "q9": {"B"}, "q10": {"B"}}
    # END HIDDEN TESTS


def _not_answered(name: str) -> CheckFailed:
    return CheckFailed(f"{name} is not written yet: it is still None.")


def ticks(name: str, answer: object) -> np.ndarray:
    """A concept answer as the hidden check compares it: one bool per option (or one bool).

    Raises ``CheckFailed`` saying what form is expected when ``answer`` has another form.
    """
    options = OPTIONS[name]
    if answer is None:
        raise _not_answered(name)
    if options is bool:
        if not isinstance(answer, (bool, np.bool_)):
            raise CheckFailed(
                f"{name} should be True or False (a bool, without quotes); got {answer!r} "
                f"of type {type(answer).__name__}."
            )
        return np.array(bool(answer))
    example = "{" + ", ".join(repr(c) for c in options[:2]) + "}"
    if isinstance(answer, str):
        answer = {answer}
    if not isinstance(answer, (set, frozenset, list, tuple)):
        raise CheckFailed(
            f"{name} should be a set of letters among {', '.join(options)}, such as {example}; "
            f"got {answer!r} of type {type(answer).__name__}."
        )
    letters = set()
    for item in answer:
        if not isinstance(item, str) or item.strip().upper() not in options or len(item.strip()) != 1:
            raise CheckFailed(
                f"{name}: {item!r} is not one of the options {', '.join(options)}; write a set of "
                f"letters such as {example}."
            )
        letters.add(item.strip().upper())
    return np.array([letter in letters for letter in options])


def _describe(name: str) -> Callable[[object], str]:
    def describe(answer: object) -> str:
        options = OPTIONS[name]
        if options is bool:
            form = "True or False"
            shown = repr(bool(answer))
        else:
            form = f"letters among {', '.join(options)}"
            shown = "{" + ", ".join(repr(c) for c in options if ticks(name, answer)[options.index(c)]) + "}"
            shown = "set()" if shown == "{}" else shown
        return f"{name} = {shown} has the right form ({form}). The hidden test checks whether it is right."

    return describe


def _key_ticks(name: str) -> Callable[[], np.ndarray]:
    def key() -> np.ndarray:
        return ticks(name, _key()[name])

    key.__name__ = f"key_{name}"
    return key


def _wrong(name: str, answer: object) -> Callable[[], np.ndarray]:
    return lambda: ticks(name, answer)


_HINTS: dict[str, dict[str, tuple[object, str]]] = {
    "q1": {
        "symmetry breaks": (
            {"B"},
            "identical units get identical gradients, so one step keeps them identical: nothing "
            "ever makes them differ.",
        ),
        "layers differ": (
            {"D"},
            "units of different layers differing does not help: within each layer every unit "
            "still computes the same function.",
        ),
    },
    "q2": {
        "true": (True, "layer l needs the output of layer l − 1: the layers run one after another."),
    },
    "q3": {
        "false": (False, "tanh outputs lie in (−1, 1) around 0; sigmoid outputs are all positive."),
    },
    "q4": {
        "dropout": ({"B"}, "dropout is a regulariser: it does help against overfitting."),
        "early stopping": ({"C"}, "stopping when the validation loss rises does limit overfitting."),
        "augmentation": ({"A"}, "more (augmented) training data does limit overfitting."),
    },
    "q9": {
        "backward to forward": (
            {"C"},
            "the cache goes the other way: the forward pass stores what the backward pass needs.",
        ),
        "hyperparameters": ({"A"}, "the cache holds values of one forward pass, not hyperparameters."),
    },
    "q10": {
        "reversed": ({"A"}, "early layers find simple features (edges); deeper layers combine them."),
    },
}


def _case_label(name: str) -> str:
    options = OPTIONS[name]
    return "your True/False" if options is bool else f"your ticks for {', '.join(options)}"


def _concept_question(name: str) -> Question:
    return Question(
        qid=f"00.{name}",
        func_name=name,
        arg_names=(),
        public=lambda: [],  # the visible check looks at the form only (see the adapter)
        oracle=_key_ticks(name),
        reference=_key_ticks(name),
        hidden=lambda rng: [Case((), _case_label(name))],
        rtol=0,
        atol=0,
        mistakes={label: (_wrong(name, wrong), hint) for label, (wrong, hint) in _HINTS[name].items()},
    )


# --- the vectorised forward pass ----------------------------------------------------------


def _torch_forward(X, weights, biases) -> np.ndarray:
    """The network with torch.nn.functional, in float64."""
    h = torch.as_tensor(np.asarray(X, dtype=np.float64))
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.nn.functional.linear(h, torch.as_tensor(np.asarray(W, float)), torch.as_tensor(np.asarray(b, float)))
        if layer < len(weights) - 1:
            h = torch.relu(h)
    return h.numpy()


def _net(rng: np.random.Generator, sizes: list[int], batch: int) -> tuple:
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(size=n_out) for n_out in sizes[1:]]
    return rng.normal(size=(batch, sizes[0])), weights, biases


def _forward_public() -> list[Case]:
    rng = np.random.default_rng(0)
    return [
        Case(_net(rng, [3, 4, 2], 5), "B=5, sizes 3 -> 4 -> 2"),
        Case(_net(rng, [2, 3, 3, 1], 4), "B=4, sizes 2 -> 3 -> 3 -> 1"),
    ]


def _forward_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case(_net(rng, [4, 3], 6), "one layer: no ReLU at all"),
        Case(_net(rng, [5, 8, 8, 8, 8, 3], 10), "five layers"),
        Case(_net(rng, [2, 6, 1], 1), "a batch of one"),
        Case(_net(rng, [3, 3, 3], 7), "square weights"),
    ]
    # END HIDDEN TESTS


def _relu_everywhere(X, weights, biases) -> np.ndarray:
    return np.maximum(_torch_forward(X, weights, biases), 0.0)


def _no_relu(X, weights, biases) -> np.ndarray:
    h = np.asarray(X, float)
    for W, b in zip(weights, biases, strict=True):
        h = h @ np.asarray(W).T + b
    return h


register(
    *(_concept_question(name) for name in OPTIONS),
    Question(
        qid="00.mlp_forward",
        func_name="mlp_forward",
        arg_names=("X", "weights", "biases"),
        public=_forward_public,
        oracle=_torch_forward,
        reference=ref.mlp_forward,
        hidden=_forward_hidden,
        mistakes={
            "relu on the output": (
                _relu_everywhere,
                "the last layer has no ReLU: its outputs may be negative.",
            ),
            "no relu": (_no_relu, "the hidden layers need a ReLU, or the whole network is one linear map."),
        },
    ),
)

for _name in OPTIONS:
    register_adapter(
        f"00.{_name}",
        Adapter(prepare=lambda answer, name=_name: ticks(name, answer), form_only=True, describe=_describe(_name)),
    )
