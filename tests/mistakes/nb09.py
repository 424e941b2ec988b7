"""Plausible wrong answers for notebook 09_masked_language_model: answer cell id -> replacement."""

MISTAKES = {
    "compute_loss_derivative": (
        "def compute_loss_derivative(output_activations, expanded_target_batch, target_mask):\n"
        "    V = output_activations.shape[1] // target_mask.shape[1]\n"
        "    # np.tile lays the mask out as m_0..m_{N-1}, m_0..: the wrong column order\n"
        "    return (output_activations - expanded_target_batch) * np.tile(target_mask, V)\n"
    ),
    "back_propagate": (
        "def back_propagate(params, input_batch, activations, loss_derivative):\n"
        "    B, N = input_batch.shape\n"
        "    V, E = params.word_embedding_weights.shape\n"
        "    h, x = activations.hidden_layer, activations.embedding_layer\n"
        "    d_u = (loss_derivative @ params.hid_to_output_weights) * h * (1.0 - h)\n"
        "    grad_C = np.zeros((V, E))\n"
        "    d_x = (d_u @ params.embed_to_hid_weights).reshape(B * N, E)\n"
        "    grad_C[input_batch.reshape(-1)] = d_x  # a repeated word keeps only one slice\n"
        "    return Params(grad_C, d_u.T @ x, d_u.sum(axis=0), loss_derivative.T @ h, loss_derivative.sum(axis=0))\n"
    ),
}
