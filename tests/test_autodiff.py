"""Tests of coursekit.autodiff.Var against PyTorch autograd (float64) on random expression
graphs with reused nodes, plus the worked examples of notebook 04."""

import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coursekit.autodiff import Var, graph_edges, topological_order

pytestmark = pytest.mark.nb04

# ------------------------------------------------------------------ random expression graphs
# A program is a list of steps; each step applies one operation to nodes already in the pool
# (indices may repeat, so x * x and shared sub-expressions occur) and appends the result.
# The same program runs on Var and on torch tensors: both support these operators.
CONSTS = st.sampled_from([-2.5, -1.0, -0.5, 0.5, 1.5, 3.0])
UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "pow_int", "pow_real"]
BINARY = ["add", "sub", "mul", "div"]
WITH_CONST = ["c+x", "x+c", "c-x", "x-c", "c*x", "x*c", "c/x", "x/c"]


def apply(op, a, b, c, p):
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 0.5)  # denominator kept away from 0
    if op == "neg":
        return -a
    if op == "exp":
        return a.exp()
    if op == "log":
        return (a * a + 0.25).log()
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "relu":
        return a.relu()
    if op == "pow_int":
        return a ** int(p)
    if op == "pow_real":
        return (a * a + 0.5) ** p
    if op == "c+x":
        return c + a
    if op == "x+c":
        return a + c
    if op == "c-x":
        return c - a
    if op == "x-c":
        return a - c
    if op == "c*x":
        return c * a
    if op == "x*c":
        return a * c
    if op == "c/x":
        return c / (a * a + 0.5)
    if op == "x/c":
        return a / c
    raise AssertionError(op)


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_leaves,
                           max_size=n_leaves))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        pool = n_leaves + k
        op = draw(st.sampled_from(UNARY + BINARY + WITH_CONST))
        i = draw(st.integers(0, pool - 1))
        j = draw(st.integers(0, pool - 1))
        c = draw(CONSTS)
        p = draw(st.sampled_from([2.0, 3.0, -1.0]) if op == "pow_int"
                 else st.sampled_from([-1.5, -0.5, 0.5, 1.5, 2.5]))
        steps.append((op, i, j, c, p))
    # the output adds some earlier nodes to the last one: more shared paths
    extra = draw(st.lists(st.integers(0, n_leaves + len(steps) - 1), max_size=3))
    return leaves, steps, extra


def run(program, make_leaf):
    leaves, steps, extra = program
    inputs = [make_leaf(v) for v in leaves]
    pool = list(inputs)
    for op, i, j, c, p in steps:
        if op == "pow_int" and p < 0:
            pool.append(apply("pow_real", pool[i], pool[j], c, p))
        else:
            pool.append(apply(op, pool[i], pool[j], c, p))
    out = pool[-1]
    for k in extra:
        out = out + pool[k]
    return inputs, pool, out


def torch_leaf(v):
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


@settings(max_examples=150, deadline=None)
@given(programs())
def test_var_matches_torch_on_random_graphs(program):
    try:
        inputs, pool, out = run(program, Var)
    except (ValueError, OverflowError, ZeroDivisionError):
        assume(False)  # a value left the float range; such graphs say nothing
    assume(all(abs(n.value) < 1e6 for n in pool))
    t_inputs, t_pool, t_out = run(program, torch_leaf)
    for node in t_pool:
        if node.requires_grad and not node.is_leaf:
            node.retain_grad()
    t_out.backward()
    out.backward()
    assert out.value == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    assert out.grad == 1.0
    for v, t in zip(inputs, t_inputs, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)
    for v, t in zip(pool, t_pool, strict=True):  # intermediate nodes too
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)


# ------------------------------------------------------------------------ worked examples
def test_product_example():
    a, b = Var(3.0, "a"), Var(5.0, "b")
    f = a * b
    f.backward()
    assert (f.value, f.grad, a.grad, b.grad) == (15.0, 1.0, 5.0, 3.0)


def test_shared_factor_example():
    a, b, d = Var(3.0, "a"), Var(5.0, "b"), Var(9.0, "d")
    c = a * b
    e = a * d
    f = c + e
    f.backward()
    assert (a.grad, b.grad, d.grad) == (14.0, 3.0, 3.0)
    assert (c.grad, e.grad, f.grad) == (1.0, 1.0, 1.0)


def test_log_exp_graph_example():
    # f = ln x + exp(y) z at (1, 3, 2): f = 2e^3, df/dx = 1, df/dy = 2e^3, df/dz = e^3
    x, y, z = Var(1.0), Var(3.0), Var(2.0)
    h1 = x.log()
    h2 = y.exp()
    h3 = h2 * z
    f = h1 + h3
    f.backward()
    assert f.value == pytest.approx(2 * math.e**3, rel=1e-14)
    assert f.value == pytest.approx(40.1711, abs=1e-4)
    assert x.grad == pytest.approx(1.0)
    assert y.grad == pytest.approx(40.1711, abs=1e-4)
    assert z.grad == pytest.approx(20.0855, abs=1e-4)
    assert (h1.grad, h3.grad, h2.grad) == (1.0, 1.0, 2.0)


# ------------------------------------------------------------------ gradient bookkeeping
def test_zero_grad_then_backward_gives_the_same_grads():
    a, b, d = Var(3.0), Var(5.0), Var(9.0)
    f = (a * b + a * d).tanh() * a
    f.backward()
    first = [a.grad, b.grad, d.grad]
    f.zero_grad()
    assert [a.grad, b.grad, d.grad, f.grad] == [0.0, 0.0, 0.0, 0.0]
    f.backward()
    assert [a.grad, b.grad, d.grad] == first


def test_two_backward_passes_accumulate_in_leaves_like_torch():
    a, b = Var(3.0), Var(5.0)
    f = a * b + a
    f.backward()
    f.backward()
    ta, tb = torch_leaf(3.0), torch_leaf(5.0)
    tf = ta * tb + ta
    tf.backward(retain_graph=True)
    tf.backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item()) == (12.0, 6.0)


def test_two_losses_sharing_a_node():
    w, x = Var(2.0), Var(-1.5)
    h = w * x
    (h * 2.0).backward()
    (h * 3.0).sigmoid().backward()
    tw, tx = torch_leaf(2.0), torch_leaf(-1.5)
    th = tw * tx
    (th * 2.0).backward(retain_graph=True)
    (th * 3.0).sigmoid().backward()
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-12)
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)


def test_long_chain_does_not_recurse():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the depth of the graph
    try:
        x = Var(0.3)
        y = x
        for _ in range(10_000):
            y = y * 1.0001 + 0.0
        assert len(topological_order(y)) > 10_000
        y.backward()
        assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)
        y.zero_grad()
        y.backward()
        assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)
    finally:
        sys.setrecursionlimit(old)


def test_reused_node_and_relu_at_zero():
    x = Var(-1.25)
    (x * x).backward()
    assert x.grad == -2.5
    z = Var(0.0)
    z.relu().backward()
    assert z.grad == 0.0  # relu'(0) = 0, as torch
    t = torch_leaf(0.0)
    t.relu().backward()
    assert t.grad.item() == 0.0


def test_numbers_on_either_side_and_numpy_scalars():
    x = Var(2.0)
    for expr, value, grad in [
        (lambda: 3 - x, 1.0, -1.0),
        (lambda: 3 / x, 1.5, -0.75),
        (lambda: np.float64(4.0) * x, 8.0, 4.0),
        (lambda: np.int64(1) + x, 3.0, 1.0),
        (lambda: x**-2, 0.25, -0.25),
        (lambda: -x, -2.0, -1.0),
    ]:
        x.grad = 0.0
        out = expr()
        assert isinstance(out, Var)
        out.backward()
        assert (out.value, x.grad) == (value, grad)


def test_topological_order_and_edges():
    a, b = Var(1.0, "a"), Var(2.0, "b")
    c = a * b
    f = c * a + b
    order = topological_order(f)
    assert order[-1] is f and len(order) == len({id(n) for n in order}) == 5
    position = {id(n): k for k, n in enumerate(order)}
    for n in order:
        assert all(position[id(p)] < position[id(n)] for p in n.parents)
    nodes, edges = graph_edges(f)
    assert len(edges) == sum(len(n.parents) for n in nodes) == 6
    assert f.op == "+" and c.op == "*" and a.op == "" and a.label == "a"
    assert (2 * a).parents[0].op == "const"


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs():
    with pytest.raises(TypeError, match="real number"):
        Var("3")
    with pytest.raises(TypeError, match="real number"):
        Var(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="finite"):
        Var(float("nan"))
    with pytest.raises(ValueError, match="positive"):
        Var(-1.0).log()
    with pytest.raises(ValueError, match="negative"):
        Var(-2.0) ** 0.5
    with pytest.raises(TypeError, match="exponent"):
        Var(2.0) ** Var(2.0)
    with pytest.raises(ZeroDivisionError):
        Var(1.0) / 0.0
    with pytest.raises(TypeError, match="other operand"):
        Var(1.0) + "a"
    with pytest.raises(TypeError, match="root"):
        topological_order(3.0)
