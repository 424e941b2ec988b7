"""Plausible wrong answers for notebook 02_activations_softmax: answer cell id -> replacement."""

MISTAKES = {
    "sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(np.asarray(z, dtype=float)))  # e^{+z}\n",
    "sigmoid_grad": (
        "def sigmoid_grad(z):\n"
        "    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))  # sigma itself, (1 - sigma) missing\n"
    ),
    "relu": "def relu(z):\n    return np.abs(np.asarray(z, dtype=float))\n",
    "relu_grad": "def relu_grad(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)  # 1 at zero\n",
    "tanh": "def tanh(z):\n    return np.sinh(z) / np.cosh(z)  # nan for |z| = 1000\n",
    "tanh_grad": "def tanh_grad(z):\n    return 1 - np.tanh(z)  # not squared\n",
    "sigmoid_chain_bound": "def sigmoid_chain_bound(L):\n    return 0.5 ** L\n",
    "softmax": (
        "def softmax(z, axis=-1):\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    e = np.exp(z - z.max(axis=axis, keepdims=True))\n"
        "    return e / e.sum(axis=0, keepdims=True)  # wrong axis\n"
    ),
    "softmax_jacobian": (
        "def softmax_jacobian(z):\n"
        "    s = softmax(z)\n"
        "    return -s[..., :, None] * s[..., None, :]  # diag(s) is missing\n"
    ),
}
