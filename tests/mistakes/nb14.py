"""Plausible wrong answers for notebook 14_transformers: answer cell id -> replacement source."""

MISTAKES = {
    "worked_update": (
        "def worked_update(H, agg_weights, W, f_scale):\n"
        "    H = np.asarray(H, dtype=float)\n"
        "    agg = np.asarray(agg_weights) @ H[1:]  # f(x) = f_scale * x forgotten\n"
        "    return np.dot(W, H[0]) + np.maximum(agg, 0.0)\n"
    ),
    "edge_count": (
        "def edge_count(n, self_loops):\n"
        "    return n * (n - 1) // 2 + (n if self_loops else 0)  # pairs counted once\n"
    ),
    "message_passing": (
        "def message_passing_attention(H, Wq, Wk, Wv, edges):\n"
        "    H = np.asarray(H, dtype=float)\n"
        "    q, k, v = H @ Wq.T, H @ Wk.T, H @ Wv.T\n"
        "    out = np.zeros((len(H), v.shape[1]))\n"
        "    for i in range(len(H)):\n"
        "        senders = [j for j, target in edges if target == i]\n"
        "        if senders:\n"
        "            s = np.array([q[i] @ k[j] for j in senders])  # no division by sqrt(d_k)\n"
        "            a = np.exp(s - s.max())\n"
        "            out[i] = (a / a.sum()) @ v[senders]\n"
        "    return out\n"
    ),
    "self_attention": (
        "class MultiHeadSelfAttention(nn.Module):\n"
        "    def __init__(self, d_model, n_heads, causal=False):\n"
        "        super().__init__()\n"
        "        self.n_heads = n_heads  # causal is ignored: no mask\n"
        "        self.qkv = nn.Linear(d_model, 3 * d_model)\n"
        "        self.proj = nn.Linear(d_model, d_model)\n"
        "\n"
        "    def forward(self, x):\n"
        "        B, T, C = x.shape\n"
        "        q, k, v = (z.view(B, T, self.n_heads, -1).transpose(1, 2) for z in self.qkv(x).split(C, -1))\n"
        "        w = (q @ k.transpose(-1, -2) / (C // self.n_heads) ** 0.5).softmax(-1)\n"
        "        return self.proj((w @ v).transpose(1, 2).reshape(B, T, C))\n"
    ),
    "transformer_block": (
        "class TransformerBlock(nn.Module):\n"
        "    def __init__(self, d_model, n_heads, causal=False):\n"
        "        super().__init__()\n"
        "        self.ln1 = nn.LayerNorm(d_model)\n"
        "        self.attn = CourseSelfAttention(d_model, n_heads, causal)\n"
        "        self.ln2 = nn.LayerNorm(d_model)\n"
        "        d_ff = 4 * d_model\n"
        "        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))\n"
        "\n"
        "    def forward(self, x):  # post-norm instead of pre-norm\n"
        "        x = self.ln1(x + self.attn(x))\n"
        "        return self.ln2(x + self.mlp(x))\n"
    ),
    "unigram": (
        "def unigram_cross_entropy(train, valid, vocab_size):\n"
        "    counts = np.bincount(np.asarray(train).ravel(), minlength=vocab_size) + 1.0  # all columns\n"
        "    p = counts / counts.sum()\n"
        "    return float(-np.log(p[np.asarray(valid)]).mean())\n"
    ),
}
