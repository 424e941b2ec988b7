"""Tests of coursekit.autodiff.Var against PyTorch autograd (float64) on random expression
graphs with reused nodes, plus the worked examples of notebook 04."""

import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coursekit import autodiff
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


# ------------------------------------------------------------------ the local rules
def _torch_local(op, *args, out_grad):
    ts = [torch_leaf(a) for a in args]
    fn = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "neg": lambda a: -a, "exp": torch.exp, "log": torch.log,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    }[op]
    grads = torch.autograd.grad(fn(*ts), ts, torch.tensor(out_grad, dtype=torch.float64))
    return [g.item() for g in grads]


@settings(max_examples=60, deadline=None)
@given(st.floats(-5, 5), st.floats(-5, 5), st.floats(-3, 3))
def test_each_rule_is_the_local_chain_rule(a, b, g):
    for op in ("add", "sub", "mul", "div"):
        if op == "div" and abs(b) < 1e-3:
            continue
        rule = getattr(autodiff, f"{op}_backward")
        out = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b if b else 0.0}[op]
        np.testing.assert_allclose(rule(a, b, out, g), _torch_local(op, a, b, out_grad=g), rtol=1e-12, atol=1e-12)
    for op, x in (("neg", a), ("exp", a), ("log", abs(a) + 0.01), ("tanh", a), ("sigmoid", a), ("relu", a)):
        rule = getattr(autodiff, f"{op}_backward")
        forward = {"neg": lambda v: -v, "exp": math.exp, "log": math.log, "tanh": math.tanh,
                   "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "relu": lambda v: max(v, 0.0)}
        out = forward[op](x)
        assert rule(x, out, g) == pytest.approx(_torch_local(op, x, out_grad=g)[0], rel=1e-12, abs=1e-12)
    x = abs(a) + 0.1
    for p in (2.0, 3.0, -1.0, 0.5, -1.5):
        t = torch_leaf(x)
        (expected,) = torch.autograd.grad(t**p, t, torch.tensor(g, dtype=torch.float64))
        assert autodiff.pow_backward(x, p, x**p, g) == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)


def test_relu_rule_at_zero_and_rules_return_floats():
    assert autodiff.relu_backward(0.0, 0.0, 3.0) == 0.0
    assert isinstance(autodiff.relu_backward(-1.0, 0.0, 3.0), float)


# ------------------------------------------------------------------ plugging rules in
def test_with_rules_replaces_only_the_named_rule():
    def doubled_mul(a, b, out, out_grad):
        return 2 * b * out_grad, 2 * a * out_grad

    Mine = Var.with_rules(mul=doubled_mul)
    assert issubclass(Mine, Var) and Mine.rules["add"] is autodiff.add_backward
    a, b = Mine(3.0), Mine(5.0)
    f = 2.0 * (a * b) + a.exp()  # the lifted constant 2.0 is a Mine too
    assert type(f) is Mine
    f.backward()
    assert a.grad == pytest.approx(2 * 2 * (2 * 5) + math.exp(3.0))  # both products doubled, plus exp
    a0, b0 = Var(3.0), Var(5.0)
    (a0 * b0).backward()
    assert a0.grad == 5.0  # the base class is unchanged


def test_with_rules_rejects_unknown_names_and_non_functions():
    with pytest.raises(ValueError, match="unknown rule names"):
        Var.with_rules(mull=lambda *a: a)
    with pytest.raises(TypeError, match="function"):
        Var.with_rules(mul=3.0)


@pytest.mark.parametrize(
    "op, rule, fragment",
    [
        ("mul", lambda a, b, out, g: g, "must return 2 numbers"),
        ("mul", lambda a, b, out, g: (g, g, g), "must return 2 numbers"),
        ("exp", lambda x, out, g: None, "must return one number"),
        ("exp", lambda x, out, g: "1", None),  # a numeric string converts: fine
    ],
)
def test_a_rule_returning_the_wrong_thing_is_named(op, rule, fragment):
    Mine = Var.with_rules(**{op: rule})
    x = Mine(0.5)
    f = x * x if op == "mul" else x.exp()
    if fragment is None:
        f.backward()
        return
    with pytest.raises(TypeError, match=fragment):
        f.backward()


def test_one_tuple_from_a_unary_rule_is_accepted():
    Mine = Var.with_rules(exp=lambda x, out, g: (out * g,))
    x = Mine(1.0)
    x.exp().backward()
    assert x.grad == pytest.approx(math.e)


def test_recursive_order_matches_and_fails_on_deep_graphs():
    a, b = Var(1.0), Var(2.0)
    f = (a * b + a).tanh() * b
    assert [id(n) for n in autodiff.topological_order_recursive(f)] == [id(n) for n in topological_order(f)]
    y = Var(1.0)
    for _ in range(3000):
        y = y + 1.0
    with pytest.raises(RecursionError):
        autodiff.topological_order_recursive(y)
    assert len(topological_order(y)) == 6001


@settings(max_examples=60, deadline=None)
@given(programs())
def test_torch_replay_matches_var(program):
    try:
        _inputs, pool, out = run(program, Var)
    except (ValueError, OverflowError, ZeroDivisionError):
        assume(False)
    assume(all(abs(n.value) < 1e6 for n in pool))
    out.backward()
    values, grads = autodiff.torch_values_and_grads(out)
    nodes = topological_order(out)
    np.testing.assert_allclose(values, [n.value for n in nodes], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads, [n.grad for n in nodes], rtol=1e-9, atol=1e-9)


def test_named_and_exponent():
    x = Var(2.0)
    h = (x**3).named("h")
    assert h.label == "h" and h.exponent == 3.0 and h.op == "**3"
    assert x.exponent is None


# ------------------------------------------------------------------ the worked graph by hand
@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 5), st.floats(-3, 3), st.floats(-3, 3))
def test_log_exp_functions_match_torch(x, y, z):
    tx, ty, tz = torch_leaf(x), torch_leaf(y), torch_leaf(z)
    h1, h2 = torch.log(tx), torch.exp(ty)
    h3 = h2 * tz
    f = h1 + h3
    for h in (h1, h2, h3):
        h.retain_grad()
    f.backward()
    np.testing.assert_allclose(autodiff.log_exp_forward(x, y, z), [h1.item(), h2.item(), h3.item(), f.item()],
                               rtol=1e-12)
    np.testing.assert_allclose(autodiff.log_exp_upstream_grads(x, y, z), [h.grad.item() for h in (h1, h2, h3)],
                               rtol=1e-12)
    np.testing.assert_allclose(autodiff.log_exp_input_grads(x, y, z), [t.grad.item() for t in (tx, ty, tz)],
                               rtol=1e-12)
    np.testing.assert_allclose(autodiff.log_exp_local_grads(x, y, z), [1 / x, math.exp(y), z, math.exp(y)],
                               rtol=1e-12)
    assert autodiff.log_exp_forward(1.0, 3.0, 2.0)[3] == pytest.approx(40.1711, abs=1e-4)


def test_try_backward_explains_failures_in_one_line():
    def unwritten(a, b, out, out_grad):
        raise NotImplementedError

    def broken(x, out, out_grad):
        return {}["nope"]

    x = Var.with_rules(mul=unwritten)(2.0)
    assert autodiff.try_backward(x * x) == "unwritten is not written yet"
    y = Var.with_rules(exp=broken)(1.0)
    assert autodiff.try_backward(y.exp()) == "broken raised KeyError: 'nope'"
    z = Var(1.5)
    assert autodiff.try_backward(z * z) is None and z.grad == 3.0
