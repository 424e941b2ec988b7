"""Plausible wrong answers for notebook 08_glove: answer cell id -> replacement."""

MISTAKES = {
    "parameter_count": "def parameter_count(V, d):\n    return 2 * V * d  # the biases are forgotten\n",
    "grad": (
        "def grad(W, W_tilde, b, b_tilde, log_X):\n"
        "    R = W @ W_tilde.T + b + b_tilde.T - log_X\n"
        "    # R where R.T is needed for the second vectors and biases\n"
        "    return 2 * R @ W_tilde, 2 * R @ W, 2 * R.sum(axis=1, keepdims=True), 2 * R.sum(axis=1, keepdims=True)\n"
    ),
    "tied_grad": (
        "def tied_grad(W, b, log_X):\n"
        "    R = W @ W.T + b + b.T - log_X\n"
        "    return 2 * R @ W, 2 * R.sum(axis=1, keepdims=True)  # only the first slot\n"
    ),
    "symmetric_loss_floor": (
        "def symmetric_loss_floor(log_X):\n"
        "    return float(np.sum((log_X - log_X.T) ** 2))  # the 1/2 of the antisymmetric part is lost\n"
    ),
}
