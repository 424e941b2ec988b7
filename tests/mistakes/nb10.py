"""Plausible wrong answers for notebook 10_mlp_classifier: answer cell id -> replacement."""

MISTAKES = {
    "n_parameters": (
        "def n_parameters(input_dim, hidden_dims, n_classes=2):\n"
        "    sizes = [input_dim, *hidden_dims, n_classes]\n"
        "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))  # biases forgotten\n"
    ),
    "sentiment_classifier": (
        "class SentimentClassifier(nn.Module):\n"
        "    def __init__(self, input_dim, hidden_dims=(), activation='relu', n_classes=2):\n"
        "        super().__init__()\n"
        "        sizes = [input_dim, *hidden_dims, n_classes]\n"
        "        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])\n"
        "        self.activation = {'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh, 'relu': nn.ReLU, 'gelu': nn.GELU,\n"
        "                           'leaky_relu': nn.LeakyReLU, 'elu': nn.ELU, 'silu': nn.SiLU}[activation]()\n"
        "\n"
        "    def forward(self, x):\n"
        "        for layer in self.layers:\n"
        "            x = self.activation(layer(x))  # the logits go through the activation too\n"
        "        return x\n"
    ),
    "log_spaced": (
        "def log_spaced(low, high, n):\n"
        "    return np.linspace(low, high, n)  # evenly spaced, not at a constant ratio\n"
    ),
}
