"""A scalar reverse-mode autodiff value, ``Var`` (notebook 04).

Every operation builds a new ``Var`` that remembers its parents and the *local backward rule*
of its operation. A rule is a plain function that sees what the node saw in the forward pass
(its input values, its output value) and the gradient arriving from above, ``out_grad =
∂L/∂out``, and returns one gradient contribution per input::

    mul_backward(a, b, out, out_grad) -> (grad_a, grad_b)      # out = a * b
    exp_backward(x, out, out_grad)    -> grad_x                # out = exp(x)
    pow_backward(x, p, out, out_grad) -> grad_x                # out = x ** p, p a number

The engine adds each contribution into the parent's ``grad``, so a node used several times
(``x * x``, ``a*b + a*d``) receives the sum over all its paths. ``backward()`` visits the graph
once in reverse topological order (found without recursion: a chain of any length works).

The rules live in ``Var.rules`` (operation name -> function). ``Var.with_rules(mul=...)``
returns a subclass that uses other rules for some operations; notebook 04 plugs the student's
rules in this way, and its checks swap in one rule at a time.

Gradient bookkeeping (as in PyTorch): ``backward()`` clears the gradients of the intermediate
nodes of the graph it runs on, then *adds* into the leaves (nodes with no parents). Two calls
of ``backward()`` therefore double the leaf gradients; ``zero_grad()`` resets every ``grad``
in the graph to 0.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import ClassVar

__all__ = [
    "RULE_NAMES",
    "Var",
    "add_backward",
    "div_backward",
    "exp_backward",
    "explain_failure",
    "graph_edges",
    "log_backward",
    "log_exp_forward",
    "log_exp_input_grads",
    "log_exp_local_grads",
    "log_exp_upstream_grads",
    "mul_backward",
    "neg_backward",
    "pow_backward",
    "relu_backward",
    "sigmoid_backward",
    "sub_backward",
    "tanh_backward",
    "topological_order",
    "topological_order_recursive",
    "torch_values_and_grads",
    "try_backward",
]


# ---------------------------------------------------------------------------- local rules
# Binary rules: (a, b, out, out_grad) -> (grad_a, grad_b). Unary: (x, out, out_grad) -> grad_x.
def add_backward(a: float, b: float, out: float, out_grad: float) -> tuple[float, float]:
    """Local backward rule of ``out = a + b``: returns ``(∂L/∂a, ∂L/∂b)`` from ``out_grad = ∂L/∂out``."""
    # BEGIN SOLUTION
    return out_grad, out_grad
    # END SOLUTION


def sub_backward(a: float, b: float, out: float, out_grad: float) -> tuple[float, float]:
    """Local backward rule of ``out = a - b`` (a worked example, not an exercise):
    ∂out/∂a = 1 and ∂out/∂b = -1, each multiplied by ``out_grad``."""
    return out_grad, -out_grad


def mul_backward(a: float, b: float, out: float, out_grad: float) -> tuple[float, float]:
    """Local backward rule of ``out = a * b``: returns ``(∂L/∂a, ∂L/∂b)`` from ``out_grad = ∂L/∂out``."""
    # BEGIN SOLUTION
    return b * out_grad, a * out_grad
    # END SOLUTION


def div_backward(a: float, b: float, out: float, out_grad: float) -> tuple[float, float]:
    """Local backward rule of ``out = a / b`` (b ≠ 0): returns ``(∂L/∂a, ∂L/∂b)``."""
    # BEGIN SOLUTION
    return out_grad / b, -out_grad * a / (b * b)
    # END SOLUTION


def pow_backward(x: float, p: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = x ** p`` for a plain number ``p``: returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return p * x ** (p - 1) * out_grad
    # END SOLUTION


def neg_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = -x`` (a worked example, not an exercise): ∂out/∂x = -1."""
    return -out_grad


def exp_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = exp(x)``: returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return out * out_grad  # the output is its own derivative: no second exp
    # END SOLUTION


def log_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = ln(x)`` (x > 0): returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return out_grad / x
    # END SOLUTION


def tanh_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = tanh(x)``: returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return (1.0 - out * out) * out_grad
    # END SOLUTION


def sigmoid_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = σ(x)``: returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return out * (1.0 - out) * out_grad
    # END SOLUTION


def relu_backward(x: float, out: float, out_grad: float) -> float:
    """Local backward rule of ``out = max(0, x)``, with the course's convention at x = 0 (as
    PyTorch): returns ``∂L/∂x``."""
    # BEGIN SOLUTION
    return out_grad if x > 0 else 0.0
    # END SOLUTION


_DEFAULT_RULES: dict[str, Callable[..., object]] = {
    "add": add_backward,
    "sub": sub_backward,
    "mul": mul_backward,
    "div": div_backward,
    "pow": pow_backward,
    "neg": neg_backward,
    "exp": exp_backward,
    "log": log_backward,
    "tanh": tanh_backward,
    "sigmoid": sigmoid_backward,
    "relu": relu_backward,
}
RULE_NAMES: tuple[str, ...] = tuple(_DEFAULT_RULES)
_BINARY = {"add", "sub", "mul", "div"}


# ----------------------------------------------------------------------------------- Var
def _check_number(value: object, what: str) -> float:
    """``value`` as a finite float; TypeError for non-numbers, ValueError for NaN/inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(value).__name__}: {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{what} must be finite, got {out}")
    return out


def _noop() -> None:
    return None


def _contributions(result: object, n: int, rule: Callable[..., object]) -> tuple[float, ...]:
    """A rule's return value as ``n`` floats, or a TypeError that says what was expected."""
    try:
        if n == 1:
            if isinstance(result, (tuple, list)) and len(result) == 1:
                result = result[0]
            return (float(result),)  # type: ignore[arg-type]
        a, b = result  # type: ignore[misc]
        return float(a), float(b)
    except (TypeError, ValueError):
        name = getattr(rule, "__name__", "a backward rule")
        what = "one number" if n == 1 else f"{n} numbers (one gradient per input)"
        raise TypeError(f"{name} must return {what}; it returned {result!r}") from None


class Var:
    """A scalar that records how it was computed, for reverse-mode differentiation.

    Attributes:
        value: the number this node holds (float).
        grad: ∂(root)/∂(this node) after ``root.backward()`` (float, 0.0 before).
        op: the operation that produced the node, e.g. ``"*"``, ``"exp"``, ``"**2"``;
            ``""`` for an input and ``"const"`` for a plain number lifted into the graph
            (``x * 2``). Used to draw the graph.
        label: an optional name for drawings (``"a"``, ``"h1"``).
        parents: the input nodes of ``op`` (empty tuple for an input).
        exponent: the plain-number exponent of a ``**`` node (None otherwise).
        rules: (class attribute) operation name -> local backward rule; see ``with_rules``.

    Supported: ``+ - * /`` with a ``Var`` or a plain number on either side, ``**`` by a
    number, unary ``-``, and the methods ``exp log tanh sigmoid relu``.
    """

    __slots__ = ("value", "grad", "op", "label", "exponent", "_parents", "_backward", "__weakref__")
    __array_ufunc__ = None  # NumPy scalars defer to Var's reflected operators
    rules: ClassVar[Mapping[str, Callable[..., object]]] = _DEFAULT_RULES

    def __init__(
        self,
        value: float,
        label: str = "",
        *,
        _parents: tuple[Var, ...] = (),
        _op: str = "",
    ) -> None:
        self.value = value if type(value) is float and math.isfinite(value) else _check_number(value, "Var value")
        self.grad = 0.0
        self.label = str(label)
        self.op = _op
        self.exponent: float | None = None
        self._parents = _parents
        self._backward: Callable[[], None] = _noop

    @classmethod
    def with_rules(cls, **rules: Callable[..., object]) -> type[Var]:
        """A subclass of this class whose operations use the given local rules.

        ``Var.with_rules(mul=my_mul_backward, exp=my_exp_backward)`` keeps every other rule.
        Rule names: ``add sub mul div pow neg exp log tanh sigmoid relu``.
        """
        unknown = sorted(set(rules) - set(RULE_NAMES))
        if unknown:
            raise ValueError(f"unknown rule names {unknown}; valid names are: {', '.join(RULE_NAMES)}")
        for name, rule in rules.items():
            if not callable(rule):
                raise TypeError(f"the rule for {name!r} must be a function, got {type(rule).__name__}")
        return type(cls.__name__, (cls,), {"__slots__": (), "rules": {**cls.rules, **rules}})

    @property
    def parents(self) -> tuple[Var, ...]:
        """The nodes this one was computed from (empty for an input)."""
        return self._parents

    def named(self, label: str) -> Var:
        """Set ``label`` (for drawings) and return the node itself: ``h1 = x.log().named("h1")``."""
        self.label = str(label)
        return self

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Var({name}value={self.value:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ construction helpers
    def _lift(self, other: Var | float) -> Var:
        if isinstance(other, Var):
            return other
        return type(self)(_check_number(other, "the other operand"), _op="const")

    def _result(self, value: float, parents: tuple[Var, ...], op: str) -> Var:
        if not math.isfinite(value):
            raise ValueError(f"'{op}' produced a non-finite value ({value}) from {parents}")
        return type(self)(value, _parents=parents, _op=op)

    def _binary(self, name: str, symbol: str, other: Var, value: float) -> Var:
        out = self._result(value, (self, other), symbol)
        rule = type(self).rules[name]

        def _backward() -> None:
            grad_a, grad_b = _contributions(rule(self.value, other.value, out.value, out.grad), 2, rule)
            self.grad += grad_a
            other.grad += grad_b

        out._backward = _backward
        return out

    def _unary(self, name: str, value: float) -> Var:
        out = self._result(value, (self,), name)
        rule = type(self).rules[name]

        def _backward() -> None:
            (grad,) = _contributions(rule(self.value, out.value, out.grad), 1, rule)
            self.grad += grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ binary operations
    def __add__(self, other: Var | float) -> Var:
        other = self._lift(other)
        return self._binary("add", "+", other, self.value + other.value)

    def __sub__(self, other: Var | float) -> Var:
        other = self._lift(other)
        return self._binary("sub", "-", other, self.value - other.value)

    def __mul__(self, other: Var | float) -> Var:
        other = self._lift(other)
        return self._binary("mul", "*", other, self.value * other.value)

    def __truediv__(self, other: Var | float) -> Var:
        other = self._lift(other)
        if other.value == 0.0:
            raise ZeroDivisionError(f"division of {self!r} by a Var whose value is 0")
        return self._binary("div", "/", other, self.value / other.value)

    def __pow__(self, exponent: float) -> Var:
        if isinstance(exponent, Var):
            raise TypeError("Var ** Var is not supported: the exponent must be a plain number")
        p = _check_number(exponent, "the exponent")
        x = self.value
        if x == 0.0 and p < 1:
            raise ValueError(f"0 ** {p}: with p < 1 the derivative p * x**(p-1) is not finite at 0")
        if x < 0 and not p.is_integer():
            raise ValueError(f"({x}) ** {p}: a non-integer power of a negative number")
        out = self._result(x**p, (self,), f"**{p:g}")
        out.exponent = p
        rule = type(self).rules["pow"]

        def _backward() -> None:
            (grad,) = _contributions(rule(self.value, p, out.value, out.grad), 1, rule)
            self.grad += grad

        out._backward = _backward
        return out

    def __radd__(self, other: float) -> Var:
        return self._lift(other) + self

    def __rsub__(self, other: float) -> Var:
        return self._lift(other) - self

    def __rmul__(self, other: float) -> Var:
        return self._lift(other) * self

    def __rtruediv__(self, other: float) -> Var:
        return self._lift(other) / self

    def __neg__(self) -> Var:
        return self._unary("neg", -self.value)

    # ------------------------------------------------------------------ elementary functions
    def exp(self) -> Var:
        """``exp(x)``."""
        if self.value > 709.0:
            raise OverflowError(f"exp({self.value}) overflows a float")
        return self._unary("exp", math.exp(self.value))

    def log(self) -> Var:
        """Natural logarithm ``ln(x)`` for x > 0."""
        if self.value <= 0.0:
            raise ValueError(f"log needs a positive value, got {self.value}")
        return self._unary("log", math.log(self.value))

    def tanh(self) -> Var:
        """``tanh(x)``."""
        return self._unary("tanh", math.tanh(self.value))

    def sigmoid(self) -> Var:
        """``σ(x) = 1 / (1 + e^{-x})``, computed without overflow."""
        x = self.value
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return self._unary("sigmoid", s)

    def relu(self) -> Var:
        """``max(0, x)``."""
        return self._unary("relu", max(0.0, self.value))

    # ------------------------------------------------------------------ differentiation
    def backward(self, grad: float = 1.0) -> None:
        """Set ``node.grad`` to ∂self/∂node for every node of the graph below ``self``.

        The intermediate nodes are cleared first; the leaves accumulate (call
        ``zero_grad()`` between two backward passes that should not add up).

        Args:
            grad: the seed ∂L/∂self (1.0 to differentiate ``self`` itself).
        """
        seed = _check_number(grad, "the seed gradient")
        order = topological_order(self)
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad += seed
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Reset ``grad`` to 0.0 on every node of the graph below (and including) ``self``."""
        for node in topological_order(self):
            node.grad = 0.0


def explain_failure(exc: BaseException) -> str:
    """One line on why a computation failed, naming the function that raised: ``"mul_backward
    is not written yet"`` for a ``NotImplementedError``, else ``"exp_backward raised TypeError:
    ..."``. Notebook demos print it instead of a traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_name if tb is not None else "the computation"
    if isinstance(exc, NotImplementedError):
        return f"{where} is not written yet"
    return f"{where} raised {type(exc).__name__}: {exc}"


def try_backward(root: Var) -> str | None:
    """``root.backward()``; None when it worked, else :func:`explain_failure`'s one line."""
    try:
        root.backward()
    except Exception as exc:  # a student's rule may fail in any way: report, do not crash
        return explain_failure(exc)
    return None


def topological_order(root: Var) -> list[Var]:
    """Every node ``root`` depends on, each once, parents before children (``root`` last).

    Iterative depth-first search with an explicit stack, so a chain of any length works
    without touching Python's recursion limit.
    """
    if not isinstance(root, Var):
        raise TypeError(f"root must be a Var, got {type(root).__name__}")
    order: list[Var] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Var, Iterator[Var]]] = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent._parents)))
                break
        else:  # all parents placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def topological_order_recursive(root: Var) -> list[Var]:
    """The same order as :func:`topological_order`, found by a recursive depth-first search.

    Short and clear, but every node of a chain adds a Python stack frame: a graph deeper than
    ``sys.getrecursionlimit()`` (1000 by default) raises ``RecursionError``. Kept to show why
    the engine does not do it this way.
    """
    order: list[Var] = []
    seen: set[int] = set()

    def visit(node: Var) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node._parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def graph_edges(root: Var) -> tuple[list[Var], list[tuple[int, int]]]:
    """Nodes and edges of the graph below ``root``, for drawing.

    Returns:
        nodes: ``topological_order(root)``; edges: ``(i, j)`` index pairs into ``nodes``
        meaning "node i is an input of node j" (one pair per use, so ``x * x`` gives two).
    """
    nodes = topological_order(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    edges = [(index[id(p)], j) for j, n in enumerate(nodes) for p in n._parents]
    return nodes, edges


def torch_values_and_grads(root: Var) -> tuple[list[float], list[float]]:
    """An independent check: the graph below ``root`` rebuilt in PyTorch (float64) from each
    node's ``op``, and PyTorch autograd's value and ∂root/∂node for every node, in the order
    of ``topological_order(root)``. Uses the graph's structure only, never its rules."""
    import torch

    nodes = topological_order(root)
    tensors: dict[int, torch.Tensor] = {}
    for node in nodes:
        ins = [tensors[id(p)] for p in node._parents]
        op = node.op
        if not ins:
            t = torch.tensor(node.value, dtype=torch.float64, requires_grad=True)
        elif op in ("+", "-", "*", "/"):
            a, b = ins
            t = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
        elif op.startswith("**"):
            t = ins[0] ** (node.exponent if node.exponent is not None else float(op[2:]))
        elif op == "neg":
            t = -ins[0]
        elif op in ("exp", "log", "tanh", "sigmoid", "relu"):
            t = getattr(torch, op)(ins[0])
        else:
            raise ValueError(f"unknown operation {op!r} in the graph")
        if node._parents:
            t.retain_grad()
        tensors[id(node)] = t
    out = tensors[id(root)]
    if out.requires_grad:
        out.backward()
    values = [float(tensors[id(n)].item()) for n in nodes]
    grads = [0.0 if tensors[id(n)].grad is None else float(tensors[id(n)].grad.item()) for n in nodes]
    return values, grads


# ------------------------------------------------------------ the worked graph, by hand
# f(x, y, z) = ln x + exp(y) · z with h1 = ln x, h2 = exp(y), h3 = h2 · z, f = h1 + h3.
def log_exp_forward(x: float, y: float, z: float) -> tuple[float, float, float, float]:
    """The forward pass ``(h1, h2, h3, f)`` of f = ln x + exp(y)·z (x > 0)."""
    # BEGIN SOLUTION
    h1, h2 = math.log(x), math.exp(y)
    h3 = h2 * z
    return h1, h2, h3, h1 + h3
    # END SOLUTION


def log_exp_local_grads(x: float, y: float, z: float) -> tuple[float, float, float, float]:
    """The local derivatives ``(∂h1/∂x, ∂h2/∂y, ∂h3/∂h2, ∂h3/∂z)`` at (x, y, z)."""
    # BEGIN SOLUTION
    return 1.0 / x, math.exp(y), z, math.exp(y)
    # END SOLUTION


def log_exp_upstream_grads(x: float, y: float, z: float) -> tuple[float, float, float]:
    """The gradients of f with respect to the intermediate nodes, ``(∂f/∂h1, ∂f/∂h2, ∂f/∂h3)``."""
    # BEGIN SOLUTION
    df_dh1, df_dh3 = 1.0, 1.0  # f = h1 + h3
    return df_dh1, df_dh3 * z, df_dh3  # h3 = h2 · z
    # END SOLUTION


def log_exp_input_grads(x: float, y: float, z: float) -> tuple[float, float, float]:
    """The gradient ``(∂f/∂x, ∂f/∂y, ∂f/∂z)`` by the chain rule along the graph."""
    # BEGIN SOLUTION
    h2 = math.exp(y)
    return 1.0 * (1.0 / x), 1.0 * z * h2, 1.0 * h2
    # END SOLUTION
