"""Questions of notebook 04_computation_graphs.

* the graph of f(x, y, z) = ln x + exp(y)·z at (1, 3, 2): four value questions;
* the local backward rules of the scalar autodiff ``Var`` (one question per operation), each
  also run inside random expression graphs by :func:`check_rule_in_graphs`;
* the skip-connection MLP with binary cross-entropy: ŷ and the five derivatives of J.

Every oracle is PyTorch autograd in float64.
"""

import math
import warnings

import numpy as np
import torch

from coursekit import autodiff as ref
from coursekit import skip_mlp as skip_ref
from coursekit.grading.compare import CheckFailed, compare
from coursekit.grading.registry import Case, Question, get, register

__all__ = ["check_rule_in_graphs"]

POINT = (1.0, 3.0, 2.0)  # (x, y, z)


def _t(v: float, grad: bool = True) -> torch.Tensor:
    return torch.tensor(float(v), dtype=torch.float64, requires_grad=grad)


def _maybe_int(values: list[float]) -> np.ndarray:
    """Integers as an int array (so that an answer written as (1, 2, 1) is fine), else floats."""
    arr = np.array(values, dtype=np.float64)
    return arr.astype(np.int64) if np.all(arr == np.round(arr)) else arr


# ------------------------------------------------------------------- f = ln x + exp(y) z
def _torch_graph():
    x, y, z = (_t(v) for v in POINT)
    h1 = torch.log(x)
    h2 = torch.exp(y)
    h3 = h2 * z
    f = h1 + h3
    for h in (h1, h2, h3):
        h.retain_grad()
    return (x, y, z), (h1, h2, h3), f


def _forward_oracle() -> np.ndarray:
    _, (h1, h2, h3), f = _torch_graph()
    return _maybe_int([h1.item(), h2.item(), h3.item(), f.item()])


def _local_oracle() -> np.ndarray:
    (x, y, z), (h1, h2, h3), _ = _torch_graph()
    (dh1_dx,) = torch.autograd.grad(h1, x, retain_graph=True)
    (dh2_dy,) = torch.autograd.grad(h2, y, retain_graph=True)
    dh3_dh2, dh3_dz = torch.autograd.grad(h3, (h2, z), retain_graph=True)
    return _maybe_int([dh1_dx.item(), dh2_dy.item(), dh3_dh2.item(), dh3_dz.item()])


def _upstream_oracle() -> np.ndarray:
    _, hs, f = _torch_graph()
    f.backward()
    return _maybe_int([h.grad.item() for h in hs])


def _input_oracle() -> np.ndarray:
    xs, _, f = _torch_graph()
    f.backward()
    return _maybe_int([v.grad.item() for v in xs])


def _value_question(name: str, oracle, reference, mistakes) -> Question:
    return Question(
        qid=f"04.{name}",
        func_name=name,
        arg_names=(),
        public=lambda: [Case((), "at (x, y, z) = (1, 3, 2)")],
        oracle=oracle,
        reference=lambda: _maybe_int(list(reference(*POINT))),
        hidden=lambda rng: [],
        mistakes=mistakes,
        rtol=1e-5,  # six significant digits written by hand are fine
        atol=1e-6,
    )


E3 = math.exp(3.0)

# --------------------------------------------------------------------------- local rules
_BINARY_TORCH = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
_UNARY_TORCH = {
    "neg": lambda x: -x,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}


def _binary_oracle(op: str):
    def oracle(a, b, out, out_grad):
        ta, tb = _t(a), _t(b)
        ga, gb = torch.autograd.grad(_BINARY_TORCH[op](ta, tb), (ta, tb), _t(out_grad, False))
        return np.array([ga.item(), gb.item()])

    return oracle


def _unary_oracle(op: str):
    def oracle(x, out, out_grad):
        tx = _t(x)
        (g,) = torch.autograd.grad(_UNARY_TORCH[op](tx), tx, _t(out_grad, False))
        return np.float64(g.item())

    return oracle


def _pow_oracle(x, p, out, out_grad):
    tx = _t(x)
    (g,) = torch.autograd.grad(tx**p, tx, _t(out_grad, False))
    return np.float64(g.item())


def _out(op: str, *args: float) -> float:
    """The forward value of an operation, so that cases carry a consistent ``out``."""
    with torch.no_grad():
        if op == "pow":
            return float(_t(args[0], False) ** args[1])
        if op in _BINARY_TORCH:
            return float(_BINARY_TORCH[op](_t(args[0], False), _t(args[1], False)))
        return float(_UNARY_TORCH[op](_t(args[0], False)))


def _binary_case(op: str, a: float, b: float, g: float, label: str = "") -> Case:
    return Case((float(a), float(b), _out(op, a, b), float(g)), label)


def _unary_case(op: str, x: float, g: float, label: str = "") -> Case:
    return Case((float(x), _out(op, x), float(g)), label)


_PUBLIC = {
    "add": lambda: [_binary_case("add", 3.0, 5.0, 1.0), _binary_case("add", -1.5, 2.0, 0.5)],
    "mul": lambda: [
        _binary_case("mul", 3.0, 5.0, 1.0, "f = a·b with a = 3, b = 5"),
        _binary_case("mul", 2.0, -1.5, 0.5),
    ],
    "div": lambda: [_binary_case("div", 6.0, 3.0, 1.0), _binary_case("div", -1.0, 0.5, 2.0)],
    "pow": lambda: [
        Case((3.0, 2.0, 9.0, 1.0), "x = 3, p = 2"),
        Case((4.0, 0.5, 2.0, 2.0), "x = 4, p = 0.5"),
    ],
    "exp": lambda: [_unary_case("exp", 3.0, 2.0), _unary_case("exp", -1.0, 0.5)],
    "log": lambda: [_unary_case("log", 1.0, 1.0), _unary_case("log", 4.0, 3.0)],
    "tanh": lambda: [_unary_case("tanh", 0.5, 1.0), _unary_case("tanh", -2.0, 0.5)],
    "sigmoid": lambda: [_unary_case("sigmoid", 0.0, 1.0), _unary_case("sigmoid", 1.5, 0.5)],
    "relu": lambda: [
        _unary_case("relu", 2.0, 0.5),
        _unary_case("relu", -1.0, 0.5),
        _unary_case("relu", 0.0, 0.5, "x = 0, where ReLU has a kink"),
    ],
}


def _rule_hidden(op: str):
    def hidden(rng: np.random.Generator) -> list[Case]:
        # BEGIN HIDDEN TESTS
        g = lambda: float(rng.normal(scale=2.0))  # noqa: E731
        if op in _BINARY_TORCH:
            cases = [_binary_case(op, *rng.normal(scale=2.0, size=2), g(), "random") for _ in range(6)]
            a = float(rng.normal())
            cases.append(_binary_case(op, a, a, g(), "a node used twice (a ∘ a)"))
            cases.append(_binary_case(op, 0.0, 1.5 if op == "div" else 0.0, g(), "zeros"))
            cases.append(_binary_case(op, 1e3, -2e-3, 1e-3, "large and small values"))
            return cases
        if op == "pow":
            xs = [abs(float(v)) + 0.1 for v in rng.normal(size=4)]
            ps = [2.0, 3.0, -1.0, 0.5, 1.5, -0.5, 1.0, 0.0]
            cases = [Case((x, p, x**p, g()), f"p = {p:g}") for x, p in zip(xs * 2, ps, strict=True)]
            cases.append(Case((-1.5, 3.0, -3.375, g()), "negative x, p = 3"))
            cases.append(Case((0.0, 2.0, 0.0, g()), "x = 0, p = 2"))
            return cases
        lo, hi = (0.05, 5.0) if op == "log" else (-6.0, 6.0)
        cases = [_unary_case(op, rng.uniform(lo, hi), g(), "random") for _ in range(6)]
        cases.append(_unary_case(op, 1.0 if op == "log" else 0.0, g(), "x = 1" if op == "log" else "x = 0"))
        if op in ("tanh", "sigmoid"):
            cases.append(_unary_case(op, 30.0, g(), "saturated, x = 30"))
        if op == "exp":
            cases.append(_unary_case(op, 20.0, 1e-6, "x = 20"))
        return cases
        # END HIDDEN TESTS

    return hidden


_RULE_MISTAKES = {
    "add": {
        "ones": (lambda a, b, out, g: (1.0, 1.0), "(1, 1): the local derivatives are 1, but each must be "
                 "multiplied by out_grad, the gradient arriving from above."),
    },
    "mul": {
        "swapped": (lambda a, b, out, g: (a * g, b * g),
                    "(a·out_grad, b·out_grad): the gradient for a is b·out_grad and the one for b is a·out_grad."),
    },
    "div": {
        "sign": (lambda a, b, out, g: (g / b, g * a / b**2),
                 "a/b decreases when b grows: ∂(a/b)/∂b = −a/b² has a minus sign."),
    },
    "pow": {
        "power kept": (lambda x, p, out, g: p * x**p * g,
                       "p·x^p: the exponent drops by one, ∂(x^p)/∂x = p·x^(p−1)."),
    },
    "exp": {
        "no out_grad": (lambda x, out, g: out, "exp(x) alone: multiply by out_grad, the gradient from above."),
    },
    "log": {
        "no out_grad": (lambda x, out, g: 1.0 / x, "1/x alone: multiply by out_grad, the gradient from above."),
    },
    "tanh": {
        "not squared": (lambda x, out, g: (1.0 - out) * g, "(1 − tanh x)·out_grad: the tanh should be squared."),
    },
    "sigmoid": {
        "no (1-s)": (lambda x, out, g: out * g, "σ(x)·out_grad: the factor (1 − σ(x)) is missing."),
    },
    "relu": {
        "one at zero": (lambda x, out, g: g if x >= 0 else 0.0,
                        "out_grad at x = 0: this course (like PyTorch) uses ReLU'(0) = 0, i.e. x > 0, not x >= 0."),
    },
}


def _rule_question(op: str) -> Question:
    if op in _BINARY_TORCH:
        args, oracle = ("a", "b", "out", "out_grad"), _binary_oracle(op)
    elif op == "pow":
        args, oracle = ("x", "p", "out", "out_grad"), _pow_oracle
    else:
        args, oracle = ("x", "out", "out_grad"), _unary_oracle(op)
    return Question(
        qid=f"04.{op}_backward",
        func_name=f"{op}_backward",
        arg_names=args,
        public=_PUBLIC[op],
        oracle=oracle,
        reference=getattr(ref, f"{op}_backward"),
        hidden=_rule_hidden(op),
        mistakes=_RULE_MISTAKES.get(op, {}),
        rtol=1e-9,
        atol=1e-12,
    )


# ------------------------------------------------------------ rules inside random graphs
def _apply(op: str, a, b, c: float, p: float):
    """One step of a random program; works on Var and on torch tensors alike."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 0.5)  # the denominator stays away from 0
    if op == "neg":
        return -a
    if op == "exp":
        return a.exp()
    if op == "log":
        return (a * a + 0.25).log()
    if op in ("tanh", "sigmoid", "relu"):
        return getattr(a, op)()
    if op == "pow":
        return a ** int(p) if p in (2.0, 3.0) else (a * a + 0.5) ** p
    if op == "c+x":
        return c + a
    if op == "x-c":
        return a - c
    if op == "c-x":
        return c - a
    if op == "c*x":
        return c * a
    if op == "c/x":
        return c / (a * a + 0.5)
    raise AssertionError(op)


_STEP_OPS = ("add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu", "pow",
             "c+x", "x-c", "c-x", "c*x", "c/x")


def _random_program(rng: np.random.Generator, op: str) -> tuple[list[float], list[tuple], list[int]]:
    # BEGIN HIDDEN TESTS
    n_leaves = int(rng.integers(1, 4))
    leaves = [float(v) for v in np.round(rng.uniform(-2, 2, size=n_leaves), 3)]
    if op == "relu" and rng.random() < 0.5:
        leaves[0] = 0.0  # the kink itself
    steps = []
    for k in range(int(rng.integers(2, 9))):
        pool = n_leaves + k
        this = op if k == 0 or rng.random() < 0.4 else str(rng.choice(_STEP_OPS))
        i = 0 if k == 0 else int(rng.integers(pool))
        j = i if rng.random() < 0.3 else int(rng.integers(pool))  # a node reused as both inputs
        c = float(rng.choice([-2.5, -1.0, 0.5, 1.5, 3.0]))
        p = float(rng.choice([2.0, 3.0, -1.0, 0.5, 1.5, 2.5]))
        steps.append((this, i, j, c, p))
    extra = [int(v) for v in rng.integers(0, n_leaves + len(steps), size=int(rng.integers(0, 3)))]
    return leaves, steps, extra
    # END HIDDEN TESTS


def _run_program(program, make_leaf):
    leaves, steps, extra = program
    pool = [make_leaf(v) for v in leaves]
    for step_op, i, j, c, p in steps:
        pool.append(_apply(step_op, pool[i], pool[j], c, p))
    out = pool[-1]
    for k in extra:
        out = out + pool[k]  # more paths through the earlier nodes
    return pool, out


def _describe(program) -> str:
    leaves, steps, extra = program
    names = [chr(ord("a") + k) for k in range(len(leaves))]
    lines = [", ".join(f"{n} = {v:g}" for n, v in zip(names, leaves, strict=True))]
    for k, (step_op, i, j, c, p) in enumerate(steps):
        a, b, new = names[i], names[j], f"v{k + 1}"
        text = {
            "add": f"{a} + {b}", "sub": f"{a} - {b}", "mul": f"{a} * {b}",
            "div": f"{a} / ({b}*{b} + 0.5)", "neg": f"-{a}", "exp": f"exp({a})",
            "log": f"log({a}*{a} + 0.25)", "tanh": f"tanh({a})", "sigmoid": f"sigmoid({a})",
            "relu": f"relu({a})",
            "pow": f"{a} ** {int(p)}" if p in (2.0, 3.0) else f"({a}*{a} + 0.5) ** {p:g}",
            "c+x": f"{c:g} + {a}", "x-c": f"{a} - {c:g}", "c-x": f"{c:g} - {a}",
            "c*x": f"{c:g} * {a}", "c/x": f"{c:g} / ({a}*{a} + 0.5)",
        }[step_op]
        lines.append(f"{new} = {text}")
        names.append(new)
    lines.append("f = " + " + ".join([names[-1], *(names[k] for k in extra)]))
    return "; ".join(lines)


def check_rule_in_graphs(qid: str, rule, n_graphs: int = 40) -> None:
    """Run ``rule`` (the student's local rule of question ``qid``) inside random expression
    graphs with reused nodes, every other operation using the reference rules, and compare the
    gradient of every node with PyTorch autograd (float64). Raises ``CheckFailed``."""
    q = get(qid)
    op = q.func_name.removesuffix("_backward")
    if rule is q.reference or getattr(rule, "__code__", None) is getattr(q.reference, "__code__", 0):
        raise CheckFailed(f"{q.func_name}: this answer is the coursekit reference itself, not your own code.")
    # BEGIN HIDDEN TESTS
    import zlib

    rng = np.random.default_rng(zlib.crc32(f"{qid} in graphs".encode()))
    mixed = ref.Var.with_rules(**{op: rule})
    tried = 0
    while tried < n_graphs:
        program = _random_program(rng, op)
        try:  # graphs whose values leave a sensible range say nothing: draw another
            pool, _ = _run_program(program, ref.Var)
            if any(abs(v.value) > 1e6 for v in pool):
                continue
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        tried += 1
        pool, out = _run_program(program, mixed)
        t_pool, t_out = _run_program(program, lambda v: _t(v))
        for node in t_pool:
            if node.requires_grad and not node.is_leaf:
                node.retain_grad()
        t_out.backward()
        expected = np.array([0.0 if t.grad is None else t.grad.item() for t in t_pool])
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out.backward()
        except NotImplementedError:
            raise CheckFailed(f"{q.func_name} is not written yet (it raises NotImplementedError).") from None
        except Exception as exc:  # the student's bug, reported with the graph that triggered it
            raise CheckFailed(
                f"{q.func_name} inside the graph {_describe(program)}: backward() raised "
                f"{type(exc).__name__}: {exc}"
            ) from None
        compare(
            np.array([v.grad for v in pool]),
            expected,
            label=f"{q.func_name} inside a graph (the gradients of a, b, …, v1, v2, … in order)",
            inputs={"graph": _describe(program)},
            rtol=1e-7,
            atol=1e-9,
        )
    # END HIDDEN TESTS


# --------------------------------------------------------------- the skip-connection MLP
def _torch_skip(x, y, W1, b1, W2, b2):
    """ŷ and the gradients of the summed BCE by autograd: (yhat (B, D), dict of five grads)."""
    t = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
         for k, v in {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    z2 = torch.relu(t["x"] @ t["W1"].T + t["b1"]) @ t["W2"].T + t["b2"] + t["x"]
    J = torch.nn.functional.binary_cross_entropy_with_logits(
        z2, torch.tensor(np.asarray(y, dtype=np.float64)), reduction="sum"
    )
    J.backward()
    return torch.sigmoid(z2).detach().numpy(), {k: v.grad.numpy() for k, v in t.items()}


def _skip_problem(rng: np.random.Generator, B: int, D: int, H: int, scale: float = 1.0, soft: bool = False):
    x = rng.normal(scale=scale, size=(B, D))
    y = rng.uniform(size=(B, D)) if soft else (rng.uniform(size=(B, D)) < 0.5).astype(float)
    return (x, y, rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=(D, H)), rng.normal(size=D))


def _skip_public() -> list[Case]:
    by_hand = (
        np.array([[0.5]]), np.array([[1.0]]),
        np.array([[2.0], [-1.0]]), np.array([0.5, 0.0]), np.array([[0.5, 3.0]]), np.array([0.25]),
    )
    rng = np.random.default_rng(404)
    return [
        Case(by_hand, "B=1, D=1, H=2, one hidden unit off"),
        Case(_skip_problem(rng, 4, 2, 3), "random, B=4, D=2, H=3"),
    ]


def _skip_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case(_skip_problem(rng, B, D, H), f"random, B={B}, D={D}, H={H}")
             for B, D, H in ((1, 1, 1), (5, 1, 4), (3, 3, 2), (6, 2, 5), (2, 4, 4))]
    cases.append(Case(_skip_problem(rng, 4, 2, 3, soft=True), "soft labels y in [0, 1]"))
    cases.append(Case(_skip_problem(rng, 3, 2, 3, scale=6.0), "large inputs (saturated σ)"))
    x, y, W1, b1, W2, b2 = _skip_problem(rng, 1, 2, 3)
    x, W1 = rng.integers(-4, 5, size=x.shape) / 4, rng.integers(-4, 5, size=W1.shape) / 2  # exact sums
    b1 = -(x @ W1.T)[0]  # every hidden pre-activation exactly 0: ReLU'(0) = 0
    cases.append(Case((x, y, W1, b1, W2, b2), "z1 = 0 exactly"))
    return cases
    # END HIDDEN TESTS


def _yhat_args(case: Case) -> Case:
    x, _y, W1, b1, W2, b2 = case.args
    return Case((x, W1, b1, W2, b2), case.label)


def _np_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _np_parts(x, y, W1, b1, W2, b2):
    z1 = x @ W1.T + b1
    a1 = np.maximum(z1, 0)
    yhat = _np_sigmoid(a1 @ W2.T + b2 + x)
    return z1, a1, yhat - y


def _grad_question(key: str, mistakes) -> Question:
    return Question(
        qid=f"04.dJ_d{key}",
        func_name=f"dJ_d{key}",
        arg_names=("x", "y", "W1", "b1", "W2", "b2"),
        public=_skip_public,
        oracle=lambda *args: _torch_skip(*args)[1][key],
        reference=getattr(skip_ref, f"dJ_d{key}"),
        hidden=_skip_hidden,
        mistakes=mistakes,
        rtol=1e-7,
        atol=1e-10,
    )


def _no_mask_delta1(x, y, W1, b1, W2, b2):
    return _np_parts(x, y, W1, b1, W2, b2)[2] @ W2


register(
    _value_question(
        "forward_values", _forward_oracle, ref.log_exp_forward,
        {"ln 1 = 1": (lambda: np.array([1.0, E3, 2 * E3, 1 + 2 * E3]), "h1 = ln 1 is 0, not 1.")},
    ),
    _value_question(
        "local_grads", _local_oracle, ref.log_exp_local_grads,
        {"swapped": (lambda: np.array([1.0, E3, E3, 2.0]),
                     "∂h3/∂h2 and ∂h3/∂z are swapped: for h3 = h2·z, ∂h3/∂h2 = z and ∂h3/∂z = h2.")},
    ),
    _value_question(
        "upstream_grads", _upstream_oracle, ref.log_exp_upstream_grads,
        {"no z": (lambda: np.array([1.0, 1.0, 1.0]),
                  "∂f/∂h2 = ∂f/∂h3 · ∂h3/∂h2 = 1 · z: the factor z is missing.")},
    ),
    _value_question(
        "input_grads", _input_oracle, ref.log_exp_input_grads,
        {"no z": (lambda: np.array([1.0, E3, E3]),
                  "∂f/∂y = ∂f/∂h3 · ∂h3/∂h2 · ∂h2/∂y = 1 · z · e^y: the factor z is missing.")},
    ),
    *(_rule_question(op) for op in ("add", "mul", "div", "pow", "exp", "log", "tanh", "sigmoid", "relu")),
    Question(
        qid="04.skip_mlp_yhat",
        func_name="skip_mlp_yhat",
        arg_names=("x", "W1", "b1", "W2", "b2"),
        public=lambda: [_yhat_args(c) for c in _skip_public()],
        oracle=lambda x, W1, b1, W2, b2: _torch_skip(x, np.zeros_like(x), W1, b1, W2, b2)[0],
        reference=skip_ref.skip_mlp_yhat,
        hidden=lambda rng: [_yhat_args(c) for c in _skip_hidden(rng)],
        mistakes={
            "no skip": (
                lambda x, W1, b1, W2, b2: _np_sigmoid(np.maximum(x @ W1.T + b1, 0) @ W2.T + b2),
                "σ(W2 a1 + b2) without + x: the skip connection adds the input to z2.",
            )
        },
        rtol=1e-9,
        atol=1e-12,
    ),
    _grad_question("W2", {
        "transposed": (lambda *a: _np_parts(*a)[1].T @ _np_parts(*a)[2],
                       "a1ᵀ δ2 is (H, D): ∂J/∂W2 has W2's shape (D, H), i.e. δ2ᵀ a1."),
    }),
    _grad_question("b2", {
        "mean": (lambda *a: _np_parts(*a)[2].mean(axis=0),
                 "the mean over the batch: J sums the losses of the rows, so sum δ2 over the rows."),
    }),
    _grad_question("W1", {
        "no ReLU mask": (lambda *a: _no_mask_delta1(*a).T @ a[0],
                         "δ2 W2 passed through the ReLU unchanged: multiply by 1[z1 > 0]."),
    }),
    _grad_question("b1", {
        "no ReLU mask": (lambda *a: _no_mask_delta1(*a).sum(axis=0),
                         "δ2 W2 passed through the ReLU unchanged: multiply by 1[z1 > 0]."),
    }),
    _grad_question("x", {
        "no skip path": (lambda *a: ((_np_parts(*a)[2] @ a[4]) * (_np_parts(*a)[0] > 0)) @ a[2],
                         "only the path through the hidden layer: the skip connection adds δ2 itself."),
    }),
)
