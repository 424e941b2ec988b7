"""Plausible wrong answers for notebook 05_visualizing_derivatives: answer cell id -> replacement."""

MISTAKES = {
    "forward": (
        "def forward(x, w1, b1, w2, b2):\n"
        "    z = np.asarray(x, dtype=float)[:, None] * w1 + b1\n"
        "    return z @ w2 + b2  # the ReLU is forgotten\n"
    ),
    "dy_db2": "def dy_db2(x, w1, b1, w2, b2):\n    return 1.0  # one number instead of one per x\n",
    "dy_dw2": (
        "def dy_dw2(x, w1, b1, w2, b2):\n"
        "    return np.asarray(x, dtype=float)[:, None] * w1 + b1  # the pre-activation, not h\n"
    ),
    "dy_db1": (
        "def dy_db1(x, w1, b1, w2, b2):\n"
        "    z = np.asarray(x, dtype=float)[:, None] * w1 + b1\n"
        "    return (z >= 0) * np.asarray(w2, dtype=float)  # ReLU'(0) taken as 1\n"
    ),
    "dy_dw1": (
        "def dy_dw1(x, w1, b1, w2, b2):\n"
        "    z = np.asarray(x, dtype=float)[:, None] * w1 + b1\n"
        "    return (z > 0) * np.asarray(w2, dtype=float)  # the factor x is missing\n"
    ),
    "kink_jumps": (
        "def kink_jumps(w1, b1, w2):\n"
        "    w1, b1, w2 = (np.asarray(a, dtype=float) for a in (w1, b1, w2))\n"
        "    x_kink = np.divide(-b1, w1, out=np.zeros_like(b1), where=w1 != 0)\n"
        "    moves = (w1 != 0) * w2  # every unit taken to switch on as x grows\n"
        "    return np.stack([moves, moves * x_kink])\n"
    ),
    "directional_derivative": (
        "def directional_derivative(x, params, direction):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    w1, b1, w2 = (np.asarray(params[n], dtype=float) for n in ('w1', 'b1', 'w2'))\n"
        "    z = x[:, None] * w1 + b1\n"
        "    on = (z > 0).astype(float)\n"
        "    return (np.maximum(z, 0.0) @ np.asarray(direction['w2'], dtype=float)\n"
        "            + (on * w2) @ np.asarray(direction['b1'], dtype=float)\n"
        "            + (on * w2 * x[:, None]) @ np.asarray(direction['w1'], dtype=float))  # b2's step is left out\n"
    ),
}
