"""Plausible wrong answers for notebook 04_computation_graphs: answer cell id -> replacement source."""

MISTAKES = {
    "forward_values": (
        "forward_values = (1.0, math.exp(3.0), 2 * math.exp(3.0), 1.0 + 2 * math.exp(3.0))  # ln 1 taken as 1\n"
    ),
    "local_grads": "local_grads = (1.0, math.exp(3.0), math.exp(3.0), 2.0)  # dh3/dh2 and dh3/dz swapped\n",
    "upstream_grads": "upstream_grads = (1.0, 1.0, 1.0)  # the factor z on the way to h2 is missing\n",
    "input_grads": "input_grads = (1.0, math.exp(3.0), math.exp(3.0))  # df/dy without the factor z\n",
    "add_backward": "def add_backward(a, b, out, out_grad):\n    return 1.0, 1.0  # out_grad forgotten\n",
    "mul_backward": "def mul_backward(a, b, out, out_grad):\n    return a * out_grad, b * out_grad  # swapped\n",
    "div_backward": "def div_backward(a, b, out, out_grad):\n    return out_grad / b, out_grad * a / b**2  # sign\n",
    "pow_backward": "def pow_backward(x, p, out, out_grad):\n    return p * x**p * out_grad  # exponent not lowered\n",
    "exp_backward": "def exp_backward(x, out, out_grad):\n    return out  # out_grad forgotten\n",
    "log_backward": "def log_backward(x, out, out_grad):\n    return 1.0 / x  # out_grad forgotten\n",
    "tanh_backward": "def tanh_backward(x, out, out_grad):\n    return (1.0 - out) * out_grad  # not squared\n",
    "sigmoid_backward": "def sigmoid_backward(x, out, out_grad):\n    return out * out_grad  # (1 - out) missing\n",
    "relu_backward": "def relu_backward(x, out, out_grad):\n    return out_grad if x >= 0 else 0.0  # 1 at zero\n",
    "skip_mlp_yhat": (
        "def skip_mlp_yhat(x, W1, b1, W2, b2):\n"
        "    a1 = np.maximum(x @ W1.T + b1, 0.0)\n"
        "    return 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2)))  # the skip connection is missing\n"
    ),
    "dJ_dW2": (
        "def dJ_dW2(x, y, W1, b1, W2, b2):\n"
        "    a1 = np.maximum(x @ W1.T + b1, 0.0)\n"
        "    delta2 = 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2 + x))) - y\n"
        "    return a1.T @ delta2  # (H, D): transposed\n"
    ),
    "dJ_db2": (
        "def dJ_db2(x, y, W1, b1, W2, b2):\n"
        "    a1 = np.maximum(x @ W1.T + b1, 0.0)\n"
        "    delta2 = 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2 + x))) - y\n"
        "    return delta2.mean(axis=0)  # J sums over the batch\n"
    ),
    "dJ_dW1": (
        "def dJ_dW1(x, y, W1, b1, W2, b2):\n"
        "    a1 = np.maximum(x @ W1.T + b1, 0.0)\n"
        "    delta2 = 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2 + x))) - y\n"
        "    return (delta2 @ W2).T @ x  # the ReLU mask is missing\n"
    ),
    "dJ_db1": (
        "def dJ_db1(x, y, W1, b1, W2, b2):\n"
        "    a1 = np.maximum(x @ W1.T + b1, 0.0)\n"
        "    delta2 = 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2 + x))) - y\n"
        "    return (delta2 @ W2).sum(axis=0)  # the ReLU mask is missing\n"
    ),
    "dJ_dx": (
        "def dJ_dx(x, y, W1, b1, W2, b2):\n"
        "    z1 = x @ W1.T + b1\n"
        "    delta2 = 1.0 / (1.0 + np.exp(-(np.maximum(z1, 0.0) @ W2.T + b2 + x))) - y\n"
        "    return ((delta2 @ W2) * (z1 > 0)) @ W1  # the skip path (+ delta2) is missing\n"
    ),
}
