"""Plausible wrong answers for notebook 07_autodiff_costs: answer cell id -> replacement source."""

MISTAKES = {
    "H_worked": "H_worked = 0.5 * np.outer([3.0, 1.0, 4.0], [3.0, 1.0, 4.0])  # kept the 1/2\n",
    "quadratic_hessian": (
        "def quadratic_hessian(V):\n"
        "    v = np.asarray(V, dtype=float).reshape(-1)\n"
        "    return 0.5 * np.outer(v, v)  # the 1/2 cancels the 2 of the square\n"
    ),
    "hessian_cost": (
        "def hessian_cost(n):\n"
        "    return n * (n + 1) // 2, n * (n + 1) // 2  # one triangle only\n"
    ),
    "z_worked": "z_worked = np.array([42.0, 42.0, 21.0])  # (v^T v) y\n",
    "hvp_reverse": (
        "def hvp_reverse(v, y):\n"
        "    v, y = np.ravel(v).astype(float), np.ravel(y).astype(float)\n"
        "    return np.outer(v, v) @ y  # forms H: that is the forward order\n"
    ),
    "hvp_forward": (
        "def hvp_forward(v, y):\n"
        "    v, y = np.ravel(v).astype(float), np.ravel(y).astype(float)\n"
        "    return v * (v @ y)  # never forms H: that is the reverse order\n"
    ),
    "hvp_autodiff": (
        "def hvp_autodiff(f, x, y):\n"
        "    x_t = torch.as_tensor(np.asarray(x, dtype=float))\n"
        "    return torch.func.grad(f)(x_t).numpy()  # the gradient, not H y\n"
    ),
    "reverse_cost": (
        "def reverse_cost(n, m):\n"
        "    return n + m + n * m, 1 + m + n * m  # the bracketing v((v^T y1) y2^T)\n"
    ),
    "forward_cost": (
        "def forward_cost(n, m):\n"
        "    return n * n + n * m, n * n + n + n * m  # forgot that H y1 costs n^2\n"
    ),
}
