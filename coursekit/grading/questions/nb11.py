"""Questions of notebook 11_deep_vs_wide: BCE from logits, early stopping, momentum and Adam."""

import numpy as np
import torch
import torch.nn.functional as F

from coursekit import losses, optimizers, training
from coursekit.grading.registry import Case, Question, register

# --- binary cross-entropy from logits --------------------------------------------------------

# The first entry (z = 100, y = 1) is where the literal formula gives 0 * log(0) = nan.
_Z = np.array([100.0, -3.0, -0.5, 0.0, 0.5, 3.0, 40.0, 100.0, -800.0])
_Y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0])


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _torch_bce(z, y):
    return F.binary_cross_entropy_with_logits(_t(z), _t(y), reduction="none").numpy()


def _torch_bce_grad(z, y):
    zt = _t(z).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(zt, _t(y), reduction="sum"), zt)
    return grad.numpy()


def _literal_bce(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-z))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_public() -> list[Case]:
    soft_z, soft_y = np.array([[2.0, -1.0], [0.0, 5.0]]), np.array([[0.25, 1.0], [0.5, 0.0]])
    return [Case((_Z, _Y), "z from -800 to 100"), Case((soft_z, soft_y), "soft targets, 2-D")]


def _bce_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.normal(scale=5.0, size=30), rng.integers(0, 2, size=30).astype(float)), "random (30,)"),
        Case((rng.normal(scale=50.0, size=(4, 6)), rng.uniform(size=(4, 6))), "soft targets (4, 6)"),
        Case((np.array([-1e4, -745.0, 745.0, 1e4]), np.array([0.0, 1.0, 0.0, 1.0])), "|z| up to 1e4"),
        Case((np.array(1.5), np.array(1.0)), "a 0-d array"),
    ]
    # END HIDDEN TESTS


# --- early stopping ----------------------------------------------------------------------------


def _oracle_early_stop(val_losses, patience):
    """Vectorised: the running best, then the first epoch ``patience`` after the latest best."""
    losses = np.asarray(val_losses, dtype=np.float64)
    epochs = np.arange(1, losses.size + 1)
    running_min = np.minimum.accumulate(losses)
    improved = np.r_[True, losses[1:] < running_min[:-1]]  # strictly below all earlier ones
    latest_best = np.maximum.accumulate(np.where(improved, epochs, 0))
    waiting = np.flatnonzero(epochs - latest_best >= patience)
    stop = int(epochs[waiting[0]]) if waiting.size else int(losses.size)
    return np.array([stop, int(latest_best[stop - 1])])


_U_SHAPE = [0.9, 0.7, 0.55, 0.5, 0.48, 0.49, 0.5, 0.53, 0.6, 0.7]
_TIES = [1.0, 0.8, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6, 0.5]


def _stop_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [
        Case(([0.3], 1), "a single epoch"),
        Case((list(np.linspace(1, 0, 12)), 2), "always improving"),
        Case(([0.5, 0.6, 0.7, 0.8], 1), "patience 1, worse from epoch 2"),
        Case(([2.0, 1.0, np.inf, np.inf, 0.5, np.inf], 2), "infinite losses"),
    ]
    for _ in range(4):
        walk = 1 + np.cumsum(rng.normal(scale=0.05, size=int(rng.integers(5, 60))))
        values = [float(v) for v in np.round(walk, 2)]  # rounding makes ties
        patience = int(rng.integers(1, 8))
        cases.append(Case((values, patience), f"{len(values)} epochs, patience {patience}"))
    return cases
    # END HIDDEN TESTS


def _zero_based(val_losses, patience):
    return _oracle_early_stop(val_losses, patience) - 1


def _keeps_last(val_losses, patience):
    stop, _ = _oracle_early_stop(val_losses, patience)
    return np.array([stop, stop])


def _ties_improve(val_losses, patience):
    losses = np.asarray(val_losses, dtype=np.float64)
    best = 1
    for epoch in range(2, losses.size + 1):
        if losses[epoch - 1] <= losses[best - 1]:
            best = epoch
        elif epoch - best >= patience:
            return np.array([epoch, best])
    return np.array([losses.size, best])


# --- momentum and Adam ------------------------------------------------------------------------


def _torch_momentum(theta, grad, velocity, lr, mu=0.9):
    p = torch.nn.Parameter(_t(theta).clone())
    opt = torch.optim.SGD([p], lr=lr, momentum=mu, foreach=False)
    opt.state[p] = {"momentum_buffer": _t(velocity).clone()}
    p.grad = _t(grad).clone()
    opt.step()
    # with momentum 0, torch.optim.SGD keeps no buffer: the velocity is then the gradient itself
    velocity = opt.state[p]["momentum_buffer"] if mu != 0 else _t(grad)
    return np.stack([p.detach().numpy(), velocity.numpy()])


def _torch_adam(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = torch.nn.Parameter(_t(theta).clone())
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": _t(m).clone(), "exp_avg_sq": _t(v).clone()}
    p.grad = _t(grad).clone()
    opt.step()
    state = opt.state[p]
    return np.stack([p.detach().numpy(), state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()])


def _momentum_public() -> list[Case]:
    return [
        Case((np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.4, -1.0]), np.zeros(3), 0.1, 0.9), "first step"),
        Case((np.array([1.0, -2.0]), np.array([0.5, -0.5]), np.array([1.0, 2.0]), 0.05, 0.8), "a running velocity"),
    ]


def _momentum_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((*rng.normal(size=(3, 4, 3)), float(rng.uniform(0.001, 1)), float(rng.uniform(0, 0.99))), "random (4, 3)"),
        Case((*rng.normal(size=(3, 7)), 0.3, 0.0), "mu = 0: plain gradient descent"),
        Case((np.array(2.0), np.array(-1.0), np.array(0.5), 0.1, 0.5), "0-d arrays"),
    ]
    # END HIDDEN TESTS


def _adam_public() -> list[Case]:
    theta, grad = np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.4, -1.0])
    return [
        Case((theta, grad, np.zeros(3), np.zeros(3), 1, 0.1), "first step, lr 0.1"),
        Case((theta, grad, np.array([0.1, -0.2, 0.3]), np.array([0.04, 0.01, 0.2]), 5, 0.01), "step 5"),
    ]


def _adam_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    theta, grad, m = rng.normal(size=(3, 2, 5))
    v = rng.normal(size=(2, 5)) ** 2
    small = 1e-4 * rng.normal(size=6)
    return [
        Case((theta, grad, m, v, int(rng.integers(2, 50)), 0.02, 0.8, 0.99, 1e-6), "random (2, 5), other betas"),
        Case((theta, grad, m, v, 10_000, 0.001), "step 10000: bias correction ~ 1"),
        Case((rng.normal(size=6), small, np.zeros(6), np.zeros(6), 1, 0.01), "tiny gradients, first step"),
        Case((rng.normal(size=6), small, small, small**2 / 2, 3, 0.01), "tiny gradients, step 3"),
    ]
    # END HIDDEN TESTS


def _adam_no_correction(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return np.stack([theta - lr * m / (np.sqrt(v) + eps), m, v])


def _adam_eps_inside(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return np.stack([theta - lr * m_hat / np.sqrt(v_hat + eps), m, v])


register(
    Question(
        qid="11.bce_with_logits",
        func_name="bce_with_logits",
        arg_names=("z", "y"),
        public=_bce_public,
        oracle=_torch_bce,
        reference=losses.bce_with_logits,
        hidden=_bce_hidden,
        mistakes={
            "literal": (
                _literal_bce,
                "the formula with log(sigmoid(z)) breaks once sigmoid(z) rounds to 0 or 1: "
                "rewrite it with max(z, 0) and log1p(exp(-|z|)).",
            ),
            "sign of y z": (
                lambda z, y: np.maximum(z, 0) + y * z + np.log1p(np.exp(-np.abs(z))),
                "the y·z term has the wrong sign: it is max(z, 0) − y·z + log(1 + e^{−|z|}).",
            ),
        },
    ),
    Question(
        qid="11.bce_with_logits_grad",
        func_name="bce_with_logits_grad",
        arg_names=("z", "y"),
        public=_bce_public,
        oracle=_torch_bce_grad,
        reference=losses.bce_with_logits_grad,
        hidden=_bce_hidden,
        mistakes={
            "y minus sigmoid": (
                lambda z, y: y - _torch_bce_grad(z, np.zeros_like(np.asarray(z, dtype=float))),
                "y − σ(z): that is minus the derivative (the direction of steepest descent).",
            ),
            "sigmoid only": (
                lambda z, y: _torch_bce_grad(z, np.zeros_like(np.asarray(z, dtype=float))),
                "σ(z) alone: the target y is missing.",
            ),
        },
    ),
    Question(
        qid="11.early_stopping_epoch",
        func_name="early_stopping_epoch",
        arg_names=("val_losses", "patience"),
        public=lambda: [
            Case((_U_SHAPE, 3), "U-shaped, patience 3"),
            Case((_TIES, 2), "ties, patience 2"),
            Case((_U_SHAPE[:6], 10), "patience longer than the run"),
        ],
        oracle=_oracle_early_stop,
        reference=training.early_stopping_epoch,
        hidden=_stop_hidden,
        rtol=0,
        atol=0,
        mistakes={
            "zero-based": (_zero_based, "both epochs are one too small: epochs count from 1 here."),
            "keeps the last epoch": (
                _keeps_last,
                "best should be the epoch with the lowest loss, not the epoch where training stops.",
            ),
            "ties improve": (_ties_improve, "a loss equal to the best so far is not an improvement: use a strict <."),
        },
    ),
    Question(
        qid="11.momentum_step",
        func_name="momentum_step",
        arg_names=("theta", "grad", "velocity", "lr", "mu"),
        public=_momentum_public,
        oracle=_torch_momentum,
        reference=optimizers.momentum_step,
        hidden=_momentum_hidden,
        mistakes={
            "no momentum": (
                lambda theta, grad, velocity, lr, mu=0.9: np.stack([theta - lr * grad, grad]),
                "the old velocity is ignored: the new one is mu·velocity + grad.",
            ),
            "averaged": (
                lambda theta, grad, velocity, lr, mu=0.9: np.stack(
                    [theta - lr * (mu * velocity + (1 - mu) * grad), mu * velocity + (1 - mu) * grad]
                ),
                "a moving average mu·v + (1 − mu)·g: PyTorch's velocity adds the whole gradient, v = mu·v + g.",
            ),
            "lr inside the velocity": (
                lambda theta, grad, velocity, lr, mu=0.9: np.stack(
                    [theta + mu * velocity - lr * grad, mu * velocity - lr * grad]
                ),
                "the velocity includes −lr: in this convention v = mu·v + g and θ = θ − lr·v.",
            ),
        },
    ),
    Question(
        qid="11.adam_step",
        func_name="adam_step",
        arg_names=("theta", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
        public=_adam_public,
        oracle=_torch_adam,
        reference=optimizers.adam_step,
        hidden=_adam_hidden,
        rtol=1e-7,
        atol=1e-12,
        mistakes={
            "no bias correction": (
                _adam_no_correction,
                "no bias correction: divide m by (1 − beta1^t) and v by (1 − beta2^t) before the step.",
            ),
            "eps inside the root": (
                _adam_eps_inside,
                "eps sits inside the square root: the step divides by sqrt(v_hat) + eps.",
            ),
        },
    ),
)
