"""Plausible wrong answers for notebook 11_deep_vs_wide: answer cell id -> replacement."""

MISTAKES = {
    "bce_with_logits": (
        "def bce_with_logits(z, y):\n"
        "    p = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n"
        "    return -(y * np.log(p) + (1 - y) * np.log(1 - p))  # log(0) once p rounds to 0 or 1\n"
    ),
    "bce_with_logits_grad": (
        "def bce_with_logits_grad(z, y):\n"
        "    return y - 1 / (1 + np.exp(-np.asarray(z, dtype=float)))  # the sign is flipped\n"
    ),
    "early_stopping_epoch": (
        "def early_stopping_epoch(val_losses, patience):\n"
        "    best = 1\n"
        "    for epoch in range(2, len(val_losses) + 1):\n"
        "        if val_losses[epoch - 1] <= val_losses[best - 1]:  # a tie counts as a new best\n"
        "            best = epoch\n"
        "        elif epoch - best >= patience:\n"
        "            return epoch, best\n"
        "    return len(val_losses), best\n"
    ),
    "momentum_step": (
        "def momentum_step(theta, grad, velocity, lr, mu=0.9):\n"
        "    velocity = mu * velocity + (1 - mu) * grad  # an average, not PyTorch's sum\n"
        "    return theta - lr * velocity, velocity\n"
    ),
    "adam_step": (
        "def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    m = beta1 * m + (1 - beta1) * grad\n"
        "    v = beta2 * v + (1 - beta2) * grad ** 2\n"
        "    return theta - lr * m / (np.sqrt(v) + eps), m, v  # no bias correction\n"
    ),
}
