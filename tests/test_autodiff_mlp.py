"""Tests of coursekit.autodiff_mlp: networks made of Var nodes, against PyTorch autograd."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.autodiff import Var, topological_order, torch_values_and_grads
from coursekit.autodiff_mlp import VarMLP, bce_with_logit, skip_mlp_grads_by_var, skip_mlp_graph, train_var_mlp
from coursekit.data.twod import TwoClassData
from coursekit.skip_mlp import skip_mlp_forward, skip_mlp_grads

pytestmark = pytest.mark.nb04


@settings(max_examples=50, deadline=None)
@given(st.floats(-60, 60), st.sampled_from([0.0, 1.0, 0.3]))
def test_bce_with_logit_matches_torch(z, y):
    zv = Var(z)
    loss = bce_with_logit(zv, y)
    loss.backward()
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y, dtype=torch.float64))
    lt.backward()
    assert loss.value == pytest.approx(lt.item(), rel=1e-12, abs=1e-12)
    assert zv.grad == pytest.approx(zt.grad.item(), rel=1e-9, abs=1e-12)


def test_var_mlp_gradient_and_prediction_match_torch():
    rng = np.random.default_rng(0)
    X, y = TwoClassData("moons", noise=0.1, seed=1).sample(12)
    model = VarMLP(2, 5, rng)
    loss = model.loss(X, y)
    loss.backward()
    def leaf(values):
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)

    W1 = leaf([[v.value for v in row] for row in model.W1])
    b1, w2, b2 = leaf([v.value for v in model.b1]), leaf([v.value for v in model.w2]), leaf(model.b2.value)
    logits = torch.tanh(torch.tensor(X) @ W1.T + b1) @ w2 + b2
    lt = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float64))
    lt.backward()
    assert loss.value == pytest.approx(lt.item(), rel=1e-12)
    mine = [p.grad for p in model.parameters()]
    truth = np.concatenate([W1.grad.numpy().ravel(), b1.grad.numpy(), w2.grad.numpy(), [b2.grad.item()]])
    np.testing.assert_allclose(mine, truth, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X), torch.sigmoid(logits).detach().numpy(), rtol=1e-12)
    assert len(model.parameters()) == 5 * 2 + 5 + 5 + 1


def test_training_lowers_the_loss_and_uses_the_given_class():
    calls = {"tanh": 0}

    def counting_tanh(x, out, out_grad):
        calls["tanh"] += 1
        return (1 - out * out) * out_grad

    Mine = Var.with_rules(tanh=counting_tanh)
    rng = np.random.default_rng(3)
    X, y = TwoClassData("moons", noise=0.1, seed=0).sample(40)
    model = VarMLP(2, 4, rng, var_class=Mine)
    history = train_var_mlp(model, X, y, epochs=8, lr=0.5, batch_size=10, rng=rng, progress=False)
    assert len(history) == 8 and history[-1] < history[0]
    assert calls["tanh"] > 0
    assert all(type(p) is Mine for p in model.parameters())


def test_skip_mlp_by_var_matches_the_reference():
    rng = np.random.default_rng(5)
    B, D, H = 3, 2, 4
    x, y = rng.normal(size=(B, D)), (rng.uniform(size=(B, D)) < 0.5).astype(float)
    W1, b1, W2, b2 = rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=(D, H)), rng.normal(size=D)
    mine = skip_mlp_grads_by_var(x, y, W1, b1, W2, b2)
    ref = skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)
    for key in ref:
        assert mine[key].shape == ref[key].shape
        np.testing.assert_allclose(mine[key], ref[key], rtol=1e-9, atol=1e-12, err_msg=key)


def test_skip_mlp_graph_computes_yhat_and_has_the_skip_edge():
    root = skip_mlp_graph(0.5, [2.0, -1.0], [0.5, 0.0], [0.5, 3.0], 0.25)
    assert root.value == pytest.approx(1 / (1 + math.exp(-1.5)), rel=1e-14)
    nodes = topological_order(root)
    x = next(n for n in nodes if n.label == "x")
    z2 = next(n for n in nodes if n.label == "z2")
    assert x in z2.parents  # the skip connection
    root.backward()
    _, grads = torch_values_and_grads(root)
    np.testing.assert_allclose([n.grad for n in nodes], grads, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="hidden unit"):
        skip_mlp_graph(0.5, [], [], [], 0.0)


def test_three_ways_table_reports_agreement_and_problems():
    from coursekit import skip_mlp
    from coursekit.autodiff_mlp import skip_mlp_three_ways

    rng = np.random.default_rng(4)
    B, D, H = 3, 2, 4
    args = (rng.normal(size=(B, D)), (rng.uniform(size=(B, D)) < 0.5).astype(float),
            rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=(D, H)), rng.normal(size=D))

    def unwritten(*a):
        raise NotImplementedError

    table = skip_mlp_three_ways(
        {"W2": skip_mlp.dJ_dW2, "b2": unwritten, "W1": lambda *a: np.zeros((1, 1)), "x": skip_mlp.dJ_dx},
        *args,
        var_class=Var.with_rules(exp=unwritten),
    )
    lines = table.splitlines()
    assert len(lines) == 6
    assert "e-1" in lines[1] and "unwritten is not written yet" in lines[2]
    assert "shape (1, 1) ≠ (4, 2)" in lines[3] and "not given" in lines[4]
    assert all("unwritten is not written yet" in line for line in lines[1:])  # the Var column
    good = skip_mlp_three_ways({"W2": skip_mlp.dJ_dW2}, *args)
    assert good.splitlines()[1].split()[1:] and float(good.splitlines()[1].split()[-1]) < 1e-12
