"""Questions of notebook 06_backprop: the multi-branch network's forward and backward pass, and
the delta rule of an L-layer network.

The answers return a tuple (forward), a dict (multi-branch backward) or a dict of lists (delta
rule), so each question has an adapter (:mod:`coursekit.grading.answer_forms`) that checks one
entry at a time through :func:`coursekit.grading.parts.part`: every case here ends with the entry
to compare (``0`` for J, ``(1, "u")`` for cache["u"], ``"W1"``, ``("W", 0)``, ...). The notebook
imports ``check_visible`` and ``check_hidden`` from ``coursekit.grading.answer_forms``. Oracles are
PyTorch autograd in float64 (:mod:`coursekit.grading.backprop_checks`); known mistakes are the same
PyTorch networks with one deliberate slip.
"""

import numpy as np

from coursekit import backprop as ref
from coursekit.grading import backprop_checks as bc
from coursekit.grading.answer_forms import Adapter, register_adapter
from coursekit.grading.labels import Labeled
from coursekit.grading.parts import part
from coursekit.grading.registry import Case, Question, register

_FORWARD_PARTS = (0, *((1, k) for k in ("a1", "c1", "a2", "u", "c2", "h", "g", "y", "p")))


def _dig(value, path):
    for step in path if isinstance(path, tuple) else (path,):
        value = value[step]
    return value


def _part_name(path, loss: str = "J") -> str:
    if path == 0:
        return "J"
    if isinstance(path, tuple) and path[0] == 1:
        return f"cache[{path[1]!r}]"
    if isinstance(path, tuple):
        key, l = path
        return {"W": f"∂L/∂W_{l + 1}", "b": f"∂L/∂b_{l + 1}", "delta": f"δ^({l + 1})"}[key]
    return f"∂{loss}/∂{path}"


def _mistake(oracle, variant: str):
    """The answer of ``oracle`` with a deliberate slip (a ``variant`` of the PyTorch network)."""
    return lambda *args: oracle(*args, variant=variant)


# ------------------------------------------------------------------- multi-branch network
def _multibranch_cases(problems, with_cache: bool, paths) -> list[Case]:
    """One case per problem and entry of the answer: ``(params, x, t, path)`` for the forward pass,
    ``(params, cache, key)`` (the cache computed by PyTorch) for the backward pass."""
    cases = []
    for params, x, t, note in problems:
        label = bc.sizes_label(params, len(x)) + (f", {note}" if note else "")
        args = (Labeled(params, f"params({label})"),)
        if with_cache:
            args += (Labeled(bc.multibranch_cache(params, x, t)[1], f"cache({label})"),)
        else:
            args += (x, t)
        cases += [Case((*args, path), f"{label}: {_part_name(path)}") for path in paths]
    return cases


def _public_problems(seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [
        (*bc.random_multibranch_problem(4, 3, 4, 3, 3, rng), ""),
        (*bc.random_multibranch_problem(1, 2, 2, 2, 2, rng), "one example"),
    ]


def _random_size_problems(rng: np.random.Generator, count: int, largest: int) -> list[tuple]:
    problems = []
    for _ in range(count):
        B, D, H, G, K = (int(v) for v in rng.integers(1, largest + 1, size=5))
        problems.append((*bc.random_multibranch_problem(B, D, H, G, K, rng), "random sizes"))
    return problems


def _forward_public() -> list[Case]:
    return _multibranch_cases(_public_problems(6), False, _FORWARD_PARTS)


def _forward_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    problems = _random_size_problems(rng, 3, 6)
    params, x, t = bc.random_multibranch_problem(5, 3, 4, 2, 4, rng)
    params["W4"] = params["W4"] * 1e4  # logits of order 1e4: exp overflows without the shift
    problems.append((params, x, t, "logits ~ 1e4"))
    problems.append((*bc.random_multibranch_problem(3, 2, 3, 2, 1, rng), "a single class"))
    return _multibranch_cases(problems, False, _FORWARD_PARTS)
    # END HIDDEN TESTS


def _forward_oracle(params, x, t, path, variant=""):
    J, cache = bc.multibranch_cache(params, x, t, variant)
    return _dig((J, cache), path)


def _forward_reference(params, x, t, path):
    return _dig(ref.multibranch_forward(params, x, t), path)


def _backward_public() -> list[Case]:
    return _multibranch_cases(_public_problems(60), True, bc.GRAD_KEYS)


def _backward_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    problems = _random_size_problems(rng, 3, 7)
    params, x, t = bc.random_multibranch_problem(6, 4, 5, 3, 4, rng)
    params["W2"], params["b2"] = -params["W1"], -params["b1"]  # u = a1 + a2 = 0 exactly ...
    params["W2"][:2] = rng.standard_normal((2, 4))  # ... except in the first two units
    problems.append((params, x, t, "u = 0 in some units"))
    problems.append((*bc.random_multibranch_problem(64, 5, 6, 4, 5, rng), "a batch of 64"))
    return _multibranch_cases(problems, True, bc.GRAD_KEYS)
    # END HIDDEN TESTS


def _backward_oracle(params, cache, key, variant=""):
    return bc.multibranch_gradients(params, cache["x"], cache["t"], variant)[key]


def _backward_reference(params, cache, key):
    return ref.multibranch_backward(params, cache)[key]


def _bias_mean(params, cache, key):
    value = _backward_oracle(params, cache, key)
    return value / len(cache["x"]) if key in ("b1", "b2", "bg") else value


# ----------------------------------------------------------------------------- delta rule
def _ffnn_cases(configs, rng) -> list[Case]:
    cases = []
    for widths, act, out_act in configs:
        layers, cache, upstream = bc.ffnn_problem(widths, act, out_act, rng)
        label = cache.label.removeprefix("cache(").removesuffix(")")
        paths = [(k, l) for l in range(len(layers)) for k in ("W", "b", "delta")] + ["x"]
        for path in paths:
            cases.append(Case((layers, cache, upstream, path), f"{label}: {_part_name(path, 'L')}"))
    return cases


def _ffnn_public() -> list[Case]:
    return _ffnn_cases(bc.FFNN_TABLE_CONFIGS, np.random.default_rng(61))


def _ffnn_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    configs = []
    for depth in (1, 2, 5, 6):
        widths = [int(w) for w in rng.integers(1, 7, size=depth + 1)]
        act = str(rng.choice(["sigmoid", "tanh", "relu"]))
        out_act = [None, "identity", "sigmoid", "tanh", "relu"][int(rng.integers(0, 5))]
        configs.append((widths, act, out_act))
    configs += [([3, 3, 3, 3], "sigmoid", "identity"), ([5, 4, 1], "relu", None)]
    cases = _ffnn_cases(configs, rng)
    # a unit with a = 0 exactly for every input: ReLU'(0) = 0 must stop its gradient
    layers, cache, upstream = bc.ffnn_problem([3, 4, 2], "relu", "identity", rng)
    W1, b1 = layers[0]
    W1[1], b1[1] = 0.0, 0.0
    from coursekit.backprop import ffnn_forward

    _, fresh = ffnn_forward(list(layers), cache["z"][0], "relu", "identity")
    cache = Labeled(fresh, "cache(2 layers 3-4-2, relu, output identity, a unit with a = 0)")
    for path in [("W", 0), ("b", 0), ("delta", 0), "x"]:
        cases.append(Case((layers, cache, upstream, path), f"a ReLU unit at a = 0: {_part_name(path, 'L')}"))
    return cases
    # END HIDDEN TESTS


def _ffnn_oracle(params, cache, dL_dout, path, variant=""):
    hidden, last = cache["activations"]
    grads = bc.ffnn_gradients(params, cache["z"][0], hidden, last, dL_dout, variant)
    return _dig(grads, path)


def _ffnn_reference(params, cache, dL_dout, path):
    return _dig(ref.ffnn_backward(params, cache, dL_dout), path)


register(
    Question(
        qid="06.multibranch_forward",
        func_name="multibranch_forward",
        arg_names=("params", "x", "t", "part"),
        public=_forward_public,
        oracle=_forward_oracle,
        reference=_forward_reference,
        hidden=_forward_hidden,
        rtol=1e-8,
        atol=1e-10,
        mistakes={
            "relu on a2": (
                _mistake(_forward_oracle, "relu on a2"),
                "c2 = ReLU(a2): the ReLU takes u = a1 + a2, where the two branches meet.",
            ),
            "mean": (
                _mistake(_forward_oracle, "mean over the batch"),
                "J averaged over the batch: here J is the sum of the examples' cross-entropies.",
            ),
            "naive softmax": (
                _mistake(_forward_oracle, "naive softmax"),
                "exp(y) overflows for large logits: subtract each row's maximum before exp "
                "(or compute log-softmax as y - max - log Σ exp(y - max)).",
            ),
        },
    ),
    Question(
        qid="06.multibranch_backward",
        func_name="multibranch_backward",
        arg_names=("params", "cache", "part"),
        public=_backward_public,
        oracle=_backward_oracle,
        reference=_backward_reference,
        hidden=_backward_hidden,
        rtol=1e-8,
        atol=1e-10,
        mistakes={
            "one path into a1": (
                _mistake(_backward_oracle, "one path into a1"),
                "a1 reaches J along two paths (through c1 and through u): ā1 = c̄1 ⊙ σ'(a1) + ū.",
            ),
            "no sigmoid derivative": (
                _mistake(_backward_oracle, "no sigmoid derivative"),
                "c̄1 reaches a1 without the sigmoid's derivative: ā1 = c̄1 ⊙ c1 ⊙ (1 − c1) + ū.",
            ),
            "no skip path": (
                _mistake(_backward_oracle, "no skip path"),
                "x reaches J along three paths: x̄ = ā1 W1 + ā2 W2 + ȳ W4 (the skip term ȳ W4 is missing).",
            ),
            "relu at zero": (
                _mistake(_backward_oracle, "relu'(0) = 1"),
                "ReLU'(0) is taken as 1: this course (like PyTorch) uses 1[u > 0], so u = 0 passes nothing.",
            ),
            "bias mean": (
                _bias_mean,
                "a bias gradient averaged over the batch: J is a sum over examples, so sum the rows.",
            ),
        },
    ),
    Question(
        qid="06.ffnn_backward",
        func_name="ffnn_backward",
        arg_names=("params", "cache", "dL_dout", "part"),
        public=_ffnn_public,
        oracle=_ffnn_oracle,
        reference=_ffnn_reference,
        hidden=_ffnn_hidden,
        rtol=1e-8,
        atol=1e-10,
        mistakes={
            "no h'": (
                _mistake(_ffnn_oracle, "no h'"),
                "the factor h'(a⁽ˡ⁾) is missing: δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W_{l+1}) ⊙ h'(a⁽ˡ⁾).",
            ),
            "no output h'": (
                _mistake(_ffnn_oracle, "no output h'"),
                "δ⁽ᴸ⁾ is the upstream gradient alone: multiply it by h'(a⁽ᴸ⁾) of the output activation.",
            ),
        },
    ),
)
for _qid in ("06.multibranch_forward", "06.multibranch_backward", "06.ffnn_backward"):
    register_adapter(_qid, Adapter(prepare=part))
