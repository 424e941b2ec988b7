"""A scalar reverse-mode autodiff value, ``Var`` (notebook 04).

Every operation builds a new ``Var`` that remembers its parents and a local backward rule
``_backward`` which adds ``∂out/∂parent · out.grad`` to each parent's ``grad``. ``backward()``
visits the graph once in reverse topological order, so a node used several times (``x * x``,
``a*b + a*d``) receives the sum of the gradients of all its paths.

Gradient bookkeeping (the same as PyTorch): ``backward()`` clears the gradients of the
intermediate nodes of the graph it runs on, then *adds* into the leaves (the ``Var`` objects
with no parents). Two calls of ``backward()`` therefore double the leaf gradients;
``zero_grad()`` resets every ``grad`` in the graph to 0.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator

__all__ = ["Var", "topological_order", "graph_edges"]


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

    Supported: ``+ - * /`` with a ``Var`` or a plain number on either side, ``**`` by a
    number, unary ``-``, and the methods ``exp log tanh sigmoid relu`` (``relu'(0) = 0``).
    """

    __slots__ = ("value", "grad", "op", "label", "_parents", "_backward", "__weakref__")
    __array_ufunc__ = None  # NumPy scalars defer to Var's reflected operators

    def __init__(
        self,
        value: float,
        label: str = "",
        *,
        _parents: tuple[Var, ...] = (),
        _op: str = "",
    ) -> None:
        self.value = _check_number(value, "Var value")
        self.grad = 0.0
        self.label = str(label)
        self.op = _op
        self._parents = _parents
        self._backward: Callable[[], None] = _noop

    @property
    def parents(self) -> tuple[Var, ...]:
        """The nodes this one was computed from (empty for an input)."""
        return self._parents

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Var({name}value={self.value:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _lift(other: Var | float) -> Var:
        if isinstance(other, Var):
            return other
        return Var(_check_number(other, "the other operand"), _op="const")

    def _result(self, value: float, parents: tuple[Var, ...], op: str) -> Var:
        if not math.isfinite(value):
            raise ValueError(f"'{op}' produced a non-finite value ({value}) from {parents}")
        return Var(value, _parents=parents, _op=op)

    # ------------------------------------------------------------------ binary operations
    def __add__(self, other: Var | float) -> Var:
        other = Var._lift(other)
        out = self._result(self.value + other.value, (self, other), "+")

        def _add_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.grad
            other.grad += out.grad
            # END SOLUTION

        out._backward = _add_backward
        return out

    def __sub__(self, other: Var | float) -> Var:
        other = Var._lift(other)
        out = self._result(self.value - other.value, (self, other), "-")

        def _sub_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.grad
            other.grad -= out.grad
            # END SOLUTION

        out._backward = _sub_backward
        return out

    def __mul__(self, other: Var | float) -> Var:
        other = Var._lift(other)
        out = self._result(self.value * other.value, (self, other), "*")

        def _mul_backward() -> None:
            # BEGIN SOLUTION
            self.grad += other.value * out.grad
            other.grad += self.value * out.grad
            # END SOLUTION

        out._backward = _mul_backward
        return out

    def __truediv__(self, other: Var | float) -> Var:
        other = Var._lift(other)
        if other.value == 0.0:
            raise ZeroDivisionError(f"division of {self!r} by a Var whose value is 0")
        out = self._result(self.value / other.value, (self, other), "/")

        def _div_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.grad / other.value
            other.grad -= out.grad * self.value / other.value**2
            # END SOLUTION

        out._backward = _div_backward
        return out

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

        def _pow_backward() -> None:
            # BEGIN SOLUTION
            self.grad += p * self.value ** (p - 1) * out.grad
            # END SOLUTION

        out._backward = _pow_backward
        return out

    def __radd__(self, other: float) -> Var:
        return Var._lift(other) + self

    def __rsub__(self, other: float) -> Var:
        return Var._lift(other) - self

    def __rmul__(self, other: float) -> Var:
        return Var._lift(other) * self

    def __rtruediv__(self, other: float) -> Var:
        return Var._lift(other) / self

    def __neg__(self) -> Var:
        out = self._result(-self.value, (self,), "neg")

        def _neg_backward() -> None:
            # BEGIN SOLUTION
            self.grad -= out.grad
            # END SOLUTION

        out._backward = _neg_backward
        return out

    # ------------------------------------------------------------------ elementary functions
    def exp(self) -> Var:
        """``exp(x)``; local derivative ``exp(x)``."""
        if self.value > 709.0:
            raise OverflowError(f"exp({self.value}) overflows a float")
        out = self._result(math.exp(self.value), (self,), "exp")

        def _exp_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.value * out.grad
            # END SOLUTION

        out._backward = _exp_backward
        return out

    def log(self) -> Var:
        """Natural logarithm ``ln(x)`` for x > 0; local derivative ``1 / x``."""
        if self.value <= 0.0:
            raise ValueError(f"log needs a positive value, got {self.value}")
        out = self._result(math.log(self.value), (self,), "log")

        def _log_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.grad / self.value
            # END SOLUTION

        out._backward = _log_backward
        return out

    def tanh(self) -> Var:
        """``tanh(x)``; local derivative ``1 - tanh(x)²``."""
        out = self._result(math.tanh(self.value), (self,), "tanh")

        def _tanh_backward() -> None:
            # BEGIN SOLUTION
            self.grad += (1.0 - out.value**2) * out.grad
            # END SOLUTION

        out._backward = _tanh_backward
        return out

    def sigmoid(self) -> Var:
        """``σ(x) = 1 / (1 + e^{-x})`` (computed without overflow); local derivative
        ``σ(x)(1 - σ(x))``."""
        x = self.value
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = self._result(s, (self,), "sigmoid")

        def _sigmoid_backward() -> None:
            # BEGIN SOLUTION
            self.grad += out.value * (1.0 - out.value) * out.grad
            # END SOLUTION

        out._backward = _sigmoid_backward
        return out

    def relu(self) -> Var:
        """``max(0, x)``; local derivative ``1 if x > 0 else 0`` (0 at x = 0)."""
        out = self._result(max(0.0, self.value), (self,), "relu")

        def _relu_backward() -> None:
            # BEGIN SOLUTION
            self.grad += (1.0 if self.value > 0 else 0.0) * out.grad
            # END SOLUTION

        out._backward = _relu_backward
        return out

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
