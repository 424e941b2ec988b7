"""Tests of coursekit.training (the shared training loop) and its figures."""

import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from coursekit.training import (
    History,
    evaluate,
    make_optimizer,
    seed_everything,
    train,
    visualize_configs,
    visualize_epochs,
)

pytestmark = [pytest.mark.nb10, pytest.mark.nb11, pytest.mark.nb12]


def blobs(n: int, seed: int, dim: int = 5, classes: int = 3):
    """Well separated Gaussian blobs: an easy problem."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    centres = 4 * torch.eye(classes, dim)
    X = centres[y] + torch.randn(n, dim, generator=g)
    return X, y


def mlp(dim: int = 5, classes: int = 3, dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, classes))


def run(seed: int, **kwargs) -> tuple[History, nn.Module]:
    seed_everything(seed)
    model = mlp(dropout=0.3)
    options = dict(lr=0.01, epochs=3, batch_size=16, seed=seed, progress=False)
    history = train(model, blobs(96, 1), blobs(48, 2), **(options | kwargs))
    return history, model


def test_same_seed_gives_identical_history_and_weights():
    h1, m1 = run(3)
    h2, m2 = run(3)
    assert h1 == h2
    assert h1.epochs == 3
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(p1, p2)
    h3, _ = run(4)
    assert h3.train_loss != h1.train_loss


def test_training_seed_alone_changes_the_batches():
    seed_everything(0)
    model = mlp()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    opts = dict(lr=0.01, epochs=2, batch_size=8, progress=False)
    h1 = train(model, blobs(64, 1), blobs(32, 2), seed=0, **opts)
    model.load_state_dict(start)
    h2 = train(model, blobs(64, 1), blobs(32, 2), seed=1, **opts)
    assert h1.train_loss != h2.train_loss


def test_train_leaves_global_generators_alone():
    model = mlp(dropout=0.5)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(model, blobs(32, 1), blobs(16, 2), epochs=1, progress=False)
    assert torch.equal(torch.rand(3), expected)


def test_seed_everything_seeds_python_numpy_and_torch():
    seed_everything(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_loss_decreases_on_an_easy_problem(device):
    seed_everything(0)
    model = mlp()
    history = train(
        model, blobs(300, 1), blobs(150, 2), lr=0.01, epochs=8, batch_size=32, device=device,
        progress=False,
    )  # fmt: skip
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.dev_loss[-1] < history.dev_loss[0]
    assert history.dev_acc[-1] > 0.95
    assert next(model.parameters()).device.type == "cpu"
    assert not model.training


def test_progress_bar_runs(capsys):
    train(mlp(), blobs(32, 1), blobs(16, 2), epochs=2, progress=True, desc="demo")
    assert "demo" in capsys.readouterr().err


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(1, 50), st.integers(0, 1000))
def test_evaluate_matches_one_batch_oracle(n, batch_size, seed):
    """Batched evaluation weights each batch by its size: same as one pass over all of it."""
    torch.manual_seed(seed)
    model = mlp().double()
    X, y = blobs(n, seed)
    X = X.double()
    logits = model(X)
    expected_loss = nn.functional.cross_entropy(logits, y).item()
    expected_acc = (logits.argmax(1) == y).double().mean().item()
    loss, acc = evaluate(model, (X, y), batch_size=batch_size)
    assert loss == pytest.approx(expected_loss, rel=1e-10)
    assert acc == pytest.approx(expected_acc)


def test_binary_outputs_logits_and_probabilities():
    torch.manual_seed(0)
    X = torch.randn(50, 2)
    y = (X[:, 0] > 0).float()
    linear = nn.Linear(2, 1)
    logit = linear(X)[:, 0].detach()
    expected_acc = ((logit > 0).float() == y).float().mean().item()
    p = torch.sigmoid(logit)
    expected_bce = -(y * p.log() + (1 - y) * (1 - p).log()).mean().item()

    loss, acc = evaluate(linear, (X, y), loss_fn=nn.BCEWithLogitsLoss())
    assert (loss, acc) == pytest.approx((expected_bce, expected_acc), rel=1e-5)
    loss, acc = evaluate(nn.Sequential(linear, nn.Sigmoid()), (X, y), loss_fn=nn.BCELoss())
    assert (loss, acc) == pytest.approx((expected_bce, expected_acc), rel=1e-5)
    # integer labels are cast for BCE; training runs end to end
    history = train(
        nn.Linear(2, 1), (X, y.long()), (X, y.long()), loss_fn=nn.BCEWithLogitsLoss(), lr=0.1,
        epochs=5, batch_size=10, optimizer="momentum", progress=False,
    )  # fmt: skip
    assert history.train_acc[-1] > 0.9


def test_optimizer_names_and_factories():
    params = list(mlp().parameters())
    assert isinstance(make_optimizer("sgd", params, 0.1), torch.optim.SGD)
    assert make_optimizer("momentum", params, 0.1).defaults["momentum"] == 0.9
    assert isinstance(make_optimizer("adam", params, 0.1), torch.optim.Adam)
    made = make_optimizer(lambda ps, lr: torch.optim.Adagrad(ps, lr=lr), params, 0.5)
    assert isinstance(made, torch.optim.Adagrad) and made.defaults["lr"] == 0.5
    with pytest.raises(ValueError, match="adamax.*sgd, momentum, adam"):
        make_optimizer("adamax", params, 0.1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.0), "lr"),
        (dict(epochs=0), "epochs"),
        (dict(batch_size=2.5), "batch_size"),
        (dict(train_data=(torch.zeros(4, 5), torch.zeros(3))), r"\(4, 5\).*\(3,\)"),
        (dict(train_data=(torch.full((4, 5), float("nan")), torch.zeros(4))), "NaN"),
        (dict(dev_data=torch.zeros(4, 5)), "pair"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    args = dict(train_data=blobs(8, 1), dev_data=blobs(8, 2), progress=False) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        train(mlp(), args.pop("train_data"), args.pop("dev_data"), **args)


def test_history_helpers():
    h = History([3.0, 2.0, 2.5], [0.1, 0.5, 0.4], [4.0, 1.0, 2.0], [0.2, 0.9, 0.7])
    assert h.epochs == 3
    assert h.best("dev_loss") == (2, 1.0)
    assert h.best("dev_acc") == (2, 0.9)
    assert h.metric("train_acc").dtype == np.float64
    with pytest.raises(ValueError, match="dev_los.*train_loss"):
        h.metric("dev_los")
    with pytest.raises(ValueError, match="empty"):
        History().best()


def test_figures():
    h1 = History([3.0, 2.0], [0.1, 0.5], [4.0, 1.0], [0.2, 0.9])
    h2 = History([2.0, 1.0], [0.3, 0.6], [3.0, 2.0], [0.4, 0.8])
    fig = visualize_epochs(h1, "one run")
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata(), [4.0, 1.0])
    fig = visualize_configs({"a": h1, "b": h2}, "dev_acc")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 2
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata(), [0.4, 0.8])
    assert len(visualize_configs({"a": h1, "b": h2}).axes) == 2
    with pytest.raises(ValueError, match="accuracy"):
        visualize_configs({"a": h1}, "accuracy")


def test_test_set_curves_are_recorded_and_drawn():
    seed_everything(0)
    model = mlp()
    history = train(model, blobs(64, 1), blobs(32, 2), test_data=blobs(40, 3), lr=0.01, epochs=3,
                    batch_size=16, progress=False)  # fmt: skip
    assert len(history.test_loss) == len(history.test_acc) == 3
    assert history.test_loss[-1] == pytest.approx(evaluate(model, blobs(40, 3))[0], rel=1e-6)
    assert history.metric("test_acc").shape == (3,)
    # the test set changes nothing about training
    seed_everything(0)
    plain = train(mlp(), blobs(64, 1), blobs(32, 2), lr=0.01, epochs=3, batch_size=16, progress=False)
    assert plain.train_loss == history.train_loss and plain.test_loss == []
    fig = visualize_epochs(history, dev_name="validation", log_loss=True, log_epochs=True, mark_epoch=2)
    ax_loss = fig.axes[0]
    assert [line.get_label() for line in ax_loss.lines] == ["train", "validation", "test", "epoch 2"]
    assert ax_loss.get_yscale() == "log" and ax_loss.get_xscale() == "log"


def _stop_by_brute_force(losses, patience):
    """Try every stopping epoch: the first e whose latest strict best is patience epochs back."""
    for e in range(1, len(losses) + 1):
        seen = losses[:e]
        bests = [i + 1 for i in range(e) if all(seen[i] < seen[j] for j in range(i))]
        if e - bests[-1] >= patience:
            return e, bests[-1]
    bests = [i + 1 for i in range(len(losses)) if all(losses[i] < losses[j] for j in range(i))]
    return len(losses), bests[-1]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.4, 0.5, float("inf")]), min_size=1, max_size=25),
    st.integers(1, 6),
)
def test_early_stopping_matches_brute_force(losses, patience):
    from coursekit.training import early_stopping_epoch

    stop, best = early_stopping_epoch(losses, patience)
    assert (stop, best) == _stop_by_brute_force(losses, patience)
    assert isinstance(stop, int) and isinstance(best, int)


def test_early_stopping_examples_and_errors():
    from coursekit.training import early_stopping_epoch

    losses = [0.9, 0.7, 0.75, 0.72, 0.71, 0.6]
    assert early_stopping_epoch(losses, 3) == (5, 2)
    assert early_stopping_epoch(losses, 4) == (6, 6)
    assert early_stopping_epoch(np.array([0.5, 0.5, 0.5]), 1) == (2, 1)  # a tie is no improvement
    with pytest.raises(ValueError, match="patience"):
        early_stopping_epoch(losses, 0)
    with pytest.raises(ValueError, match="non-empty"):
        early_stopping_epoch([], 2)
