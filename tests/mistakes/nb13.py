"""Plausible wrong answers for notebook 13_sequences: answer cell id -> replacement source."""

MISTAKES = {
    "beam_search": (
        "def beam_search(next_log_probs, beam_size, eos, max_len, early_stop=True):\n"
        "    beams, steps = [((), 0.0)], 0\n"
        "    while beams and steps < max_len:\n"
        "        steps += 1\n"
        "        ext = [(y + (v,), s + lp) for y, s in beams for v, lp in enumerate(next_log_probs(y))]\n"
        "        ext = sorted((e for e in ext if e[1] > -np.inf), key=lambda e: (-e[1], e[0]))[:beam_size]\n"
        "        done = [e for e in ext if e[0][-1] == eos]\n"
        "        if done:  # stops at the first completion: a live beam may still win\n"
        "            return done[0][0], done[0][1], steps\n"
        "        beams = ext\n"
        "    return None, -np.inf, steps\n"
    ),
    "hidden_state": (
        "def hidden_state(W, h0, t):\n"
        "    return np.linalg.matrix_power(np.asarray(W, dtype=float), t) @ h0  # W^t, not (W^T)^t\n"
    ),
    "spectral_radius": (
        "def spectral_radius(W):\n"
        "    return float(np.max(np.abs(np.linalg.eigvals(W).real)))  # real parts only\n"
    ),
}
