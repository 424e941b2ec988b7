"""Plausible wrong answers for notebook 01_jacobians: answer cell id -> replacement source."""

MISTAKES = {
    "jac_constant": "def jac_constant(w, c):\n    return np.zeros((1, len(w)))  # a paper-style row, not (d,)\n",
    "jac_sqnorm": "def jac_sqnorm(w):\n    return np.asarray(w, dtype=float)  # the 2 is missing\n",
    "jac_dot": "def jac_dot(w, x):\n    return np.asarray(w, dtype=float)  # differentiated w.r.t. x\n",
    "jac_matvec": "def jac_matvec(X, w):\n    return np.asarray(X, dtype=float).T  # transposed\n",
    "jac_identity": "def jac_identity(w):\n    return np.ones(len(w))\n",
    "jac_square": "def jac_square(w):\n    return 2 * np.asarray(w, dtype=float)  # the diagonal only\n",
    "jacobian_shape": (
        "def jacobian_shape(item, n, d, k):\n"
        "    return {1: (d,), 2: (d,), 3: (d,), 4: (n, d), 5: (d, d), 6: (d, d), 7: (n, k, k, d)}[item]\n"
    ),
    "jacobian_xwt": (
        "def jacobian_xwt(X, W):\n"
        "    n, d = X.shape\n"
        "    k = W.shape[0]\n"
        "    J = np.zeros((n, k, k, d))\n"
        "    for j in range(k):\n"
        "        J[:, j, :, :] = X[:, None, :]  # forgot that only row j of W matters\n"
        "    return J\n"
    ),
}
