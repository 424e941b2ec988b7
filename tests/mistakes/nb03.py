"""Plausible wrong answers for notebook 03_logic_and_hardcoded_nets: answer cell id -> replacement."""

MISTAKES = {
    # z = 0 on 01 and 10, and step(0) = 1 fires there: this is OR
    "and_neuron": (
        "def and_neuron():\n"
        "    return np.array([1.0, 1.0]), -1.0\n"
        "\n"
        "\n"
        "def and_gate(X):\n"
        "    return threshold_unit(X, *and_neuron())\n"
    ),
    # b = 0 puts 00 on the boundary, where the unit fires
    "or_neuron": (
        "def or_neuron():\n"
        "    return np.array([1.0, 1.0]), 0.0\n"
        "\n"
        "\n"
        "def or_gate(X):\n"
        "    return threshold_unit(X, *or_neuron())\n"
    ),
    "n_threshold_tables": "n_threshold_tables = 15  # forgot XNOR\n",
    # weights that circulate as the answer: they output 0, 1, 0, 2
    "xor_weights": (
        "def xor_weights():\n"
        "    return np.array([[1.0, 1.0], [1.0, -1.0]]), np.zeros(2), np.array([1.0, -1.0]), 0.0\n"
        "\n"
        "\n"
        "def xor_net(X):\n"
        "    return two_layer_relu(X, *xor_weights())\n"
    ),
    "zero_init_trainable": "zero_init_trainable = (False, False, False, False)  # 'all gradients are zero'\n",
    # hidden units test success with step(0) = 1, so a tie counts as superincreasing
    "superincreasing_weights": (
        "def superincreasing_weights():\n"
        "    W1 = np.array([[-1.0, 1.0, 0.0, 0.0], [-1.0, -1.0, 1.0, 0.0], [-1.0, -1.0, -1.0, 1.0]])\n"
        "    return {'W1': W1, 'b1': np.zeros(3), 'w2': np.ones(3), 'b2': -3.0,\n"
        "            'phi1': 'threshold', 'phi2': 'threshold'}\n"
        "\n"
        "\n"
        "def superincreasing_detector(S):\n"
        "    return superincreasing_net(S, **superincreasing_weights())\n"
    ),
    # the cell is never cleared: it holds 'has a 1 arrived yet' instead of the parity
    "parity_lstm_params": (
        "def parity_lstm_params():\n"
        "    return {'W_f': np.array([0.0, 0.0]), 'b_f': 1.0, 'W_i': np.array([-1.0, 1.0]), 'b_i': -0.5,\n"
        "            'W_C': np.array([0.0, 0.0]), 'b_C': 1.0, 'W_o': np.array([0.0, 0.0]), 'b_o': 1.0}\n"
        "\n"
        "\n"
        "def parity_cells(bits):\n"
        "    return hard_lstm_run(bits, parity_lstm_params(), return_cell=True)[1]\n"
    ),
}
