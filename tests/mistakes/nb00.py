"""Plausible wrong answers for notebook 00_concepts: answer cell id -> replacement source."""

MISTAKES = {
    "q1": 'q1 = {"B"}  # "one step of gradient descent breaks the symmetry"\n',
    "q2": "q2 = True  # vectorisation removes every loop\n",
    "q3": "q3 = False\n",
    "q4": 'q4 = {"C"}  # early stopping taken for a non-regulariser\n',
    "q9": 'q9 = {"B", "C"}  # the cache taken to go both ways\n',
    "q10": 'q10 = {"A"}\n',
    "mlp_forward": (
        "def mlp_forward(X, weights, biases):\n"
        "    h = np.asarray(X, dtype=float)\n"
        "    for W, b in zip(weights, biases):\n"
        "        h = np.maximum(h @ np.asarray(W).T + b, 0.0)  # ReLU on the output layer too\n"
        "    return h\n"
    ),
}
