"""Small Transformers in PyTorch: encoder-only, decoder-only and encoder-decoder (notebook 14).

Shapes in comments follow nanoGPT: ``B`` batch, ``T`` sequence length (the ``N`` of the package's
shape letters; ``S`` for a source sequence), ``C = d_model`` channels, ``h`` heads of ``c = C/h``
channels, ``V`` vocabulary. Token sequences are ``torch.long`` tensors ``(B, T)``. Blocks are
pre-norm: ``x + attn(LN(x))``, then ``x + MLP(LN(x))``. Masks are boolean, True where a query may
attend to a key, as in ``coursekit.attention``. Models draw their initial weights from
``config.seed`` without touching PyTorch's global random state.
"""

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from coursekit.config import torch_threads


@dataclass
class TransformerConfig:
    """Sizes of a small Transformer.

    ``block_size`` is the longest sequence the position table covers; ``d_ff`` the MLP's hidden
    width (default ``4 · d_model``); ``seed`` picks the initial weights.
    """

    vocab_size: int = 251
    block_size: int = 4
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int | None = None
    dropout: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "d_model", "n_heads", "n_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model = {self.d_model} is not divisible by n_heads = "
                             f"{self.n_heads}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run a block with PyTorch's CPU generator seeded, restoring the global state after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def causal_mask(T: int) -> torch.Tensor:
    """Boolean ``(T, T)`` mask, True on and below the diagonal: position t sees positions <= t."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    return torch.ones(T, T, dtype=torch.bool).tril()


def _heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    B, T, C = x.shape
    return x.view(B, T, n_heads, C // n_heads).transpose(1, 2)  # (B, h, T, c)


def _attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, drop: nn.Dropout
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √c) v per head; q (B, h, T, c), k and v (B, h, S, c)."""
    att = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, h, T, S)
    if mask is not None:
        att = att.masked_fill(~mask, float("-inf"))
    att = att.softmax(dim=-1)
    return drop(att) @ v, att  # (B, h, T, c), (B, h, T, S)


def _merge(y: torch.Tensor) -> torch.Tensor:
    B, h, T, c = y.shape
    return y.transpose(1, 2).reshape(B, T, h * c)  # (B, T, C)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention; ``causal`` hides later positions.

    One linear map gives queries, keys and values (``qkv.weight`` stacks ``W_q; W_k; W_v``, the
    layout of ``torch.nn.MultiheadAttention.in_proj_weight``); ``proj`` mixes the heads. The
    last attention weights ``(B, h, T, T)`` are kept in ``last_weights`` for plotting.
    """

    def __init__(self, d_model: int, n_heads: int, causal: bool = False, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not divisible by n_heads = {n_heads}")
        self.n_heads, self.causal = n_heads, causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(dropout)
        self.last_weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(B, T, C)`` -> ``(B, T, C)``."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 x (B, T, C)
        q, k, v = (_heads(t, self.n_heads) for t in (q, k, v))  # 3 x (B, h, T, c)
        mask = causal_mask(T).to(x.device) if self.causal else None
        y, self.last_weights = _attend(q, k, v, mask, self.drop)
        return self.drop(self.proj(_merge(y)))  # (B, T, C)


class MultiHeadCrossAttention(nn.Module):
    """Multi-head attention from a target sequence (queries) to a source ``memory`` (keys,
    values), as in the decoder of an encoder-decoder model."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not divisible by n_heads = {n_heads}")
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(dropout)
        self.last_weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """x ``(B, T, C)``, memory ``(B, S, C)`` -> ``(B, T, C)``."""
        C = x.shape[-1]
        q = _heads(self.q(x), self.n_heads)  # (B, h, T, c)
        k, v = (_heads(t, self.n_heads) for t in self.kv(memory).split(C, dim=2))  # (B, h, S, c)
        y, self.last_weights = _attend(q, k, v, None, self.drop)  # (B, h, T, c), (B, h, T, S)
        return self.drop(self.proj(_merge(y)))  # (B, T, C)


class TransformerBlock(nn.Module):
    """Pre-norm block: self-attention, optional cross-attention to ``memory``, then an MLP."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        causal: bool = False,
        cross_attention: bool = False,
        d_ff: int | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(d_model, n_heads, causal, dropout)
        self.cross = MultiHeadCrossAttention(d_model, n_heads, dropout) if cross_attention else None
        self.ln_cross = nn.LayerNorm(d_model) if cross_attention else None
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model), nn.Dropout(dropout)
        )

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """x ``(B, T, C)`` (and memory ``(B, S, C)`` with cross-attention) -> ``(B, T, C)``."""
        x = x + self.attn(self.ln1(x))
        if self.cross is not None:
            if memory is None:
                raise ValueError("this block has cross-attention: pass memory (B, S, C)")
            x = x + self.cross(self.ln_cross(x), memory)
        return x + self.mlp(self.ln2(x))  # (B, T, C)


class _Embed(nn.Module):
    """Token plus learned position embeddings."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.block_size, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.dtype != torch.long or idx.ndim != 2:
            raise ValueError(f"token ids must be a torch.long tensor (B, T), got {idx.dtype} "
                             f"of shape {tuple(idx.shape)}")
        T = idx.shape[1]
        if not 1 <= T <= self.cfg.block_size:
            raise ValueError(f"sequence length T = {T} must be in [1, block_size = "
                             f"{self.cfg.block_size}]")
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.cfg.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.cfg.vocab_size})")
        pos = torch.arange(T, device=idx.device)  # (T,)
        return self.drop(self.tok(idx) + self.pos(pos))  # (B, T, C)


def _init_weights(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)


class _Stack(nn.Module):
    """Embedding, ``n_layers`` blocks, final LayerNorm and (optionally) the output head."""

    def __init__(self, cfg: TransformerConfig, causal: bool, cross: bool, head: bool):
        super().__init__()
        self.embed = _Embed(cfg)
        self.blocks = nn.ModuleList(
            TransformerBlock(cfg.d_model, cfg.n_heads, causal, cross, cfg.d_ff, cfg.dropout)
            for _ in range(cfg.n_layers)
        )
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size) if head else None

    def forward(self, idx: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed(idx)  # (B, T, C)
        for block in self.blocks:
            x = block(x, memory)
        x = self.ln_f(x)
        return x if self.head is None else self.head(x)  # (B, T, C) or (B, T, V)


class _OneStack(nn.Module):
    causal = False

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        with _seeded(config.seed):
            self.stack = _Stack(config, causal=self.causal, cross=False, head=True)
            _init_weights(self)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx ``(B, T)`` -> logits ``(B, T, V)``."""
        return self.stack(idx)


class EncoderOnly(_OneStack):
    """Bidirectional encoder (BERT-like): logits ``(B, T, V)`` for every position, each seeing
    the whole sequence (for masked-token prediction). ``EncoderOnly(config)``."""

    causal = False


class DecoderOnly(_OneStack):
    """Causal language model (GPT-like): logits ``(B, T, V)``, position t predicting token t+1
    from tokens ``<= t``. ``DecoderOnly(config)``."""

    causal = True


class EncoderDecoder(nn.Module):
    """Encoder over a source ``(B, S)``; causal decoder over a target ``(B, T)`` whose blocks
    also cross-attend to the encoder's output (the memory ``(B, S, C)``)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        with _seeded(config.seed):
            self.encoder = _Stack(config, causal=False, cross=False, head=False)
            self.decoder = _Stack(config, causal=True, cross=True, head=True)
            _init_weights(self)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """src ``(B, S)`` -> memory ``(B, S, C)``."""
        return self.encoder(src)

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """tgt ``(B, T)``, memory ``(B, S, C)`` -> logits ``(B, T, V)``."""
        return self.decoder(tgt, memory)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        """src ``(B, S)``, tgt ``(B, T)`` -> logits ``(B, T, V)``."""
        return self.decode(tgt, self.encode(src))


# ---------------------------------------------------------------- losses for the three models
def next_token_loss(model: nn.Module, batch: torch.Tensor, gen: torch.Generator | None = None):
    """Mean cross-entropy of predicting ``batch[:, 1:]`` from ``batch[:, :-1]`` (decoder-only)."""
    logits = model(batch[:, :-1])  # (B, T-1, V)
    return F.cross_entropy(logits.flatten(0, 1), batch[:, 1:].flatten())


def masked_token_loss(
    model: nn.Module, batch: torch.Tensor, gen: torch.Generator | None = None, mask_id: int = 0
):
    """Encoder-only: replace one random position per row by ``mask_id`` and predict it."""
    B, T = batch.shape
    rows = torch.arange(B)
    pos = torch.randint(T, (B,), generator=gen)  # (B,)
    inputs = batch.clone()
    inputs[rows, pos] = mask_id
    logits = model(inputs)[rows, pos]  # (B, V)
    return F.cross_entropy(logits, batch[rows, pos])


def encoder_decoder_loss(
    model: nn.Module, batch: torch.Tensor, gen: torch.Generator | None = None, n_src: int = -1
):
    """Encoder-decoder: encode ``batch[:, :n_src]`` (default all but the last token), then
    predict ``batch[:, n_src:]`` from the decoder input ``batch[:, n_src-1:-1]``."""
    n_src = batch.shape[1] - 1 if n_src < 0 else n_src
    logits = model(batch[:, :n_src], batch[:, n_src - 1 : -1])  # (B, T-n_src, V)
    return F.cross_entropy(logits.flatten(0, 1), batch[:, n_src:].flatten())


LossFn = Callable[[nn.Module, torch.Tensor, torch.Generator], torch.Tensor]


def _as_tokens(data, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(data))
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.ndim != 2 or t.shape[1] < 2:
        raise ValueError(f"{name} must be an integer array (n, T) with T >= 2, got "
                         f"{t.dtype} of shape {tuple(t.shape)}")
    return t.long()


@torch.no_grad()
def evaluate(model: nn.Module, data, loss_fn: LossFn = next_token_loss, seed: int = 0,
             batch_size: int = 1024) -> float:
    """Mean of ``loss_fn`` over ``data`` ``(n, T)`` in eval mode (rows weighted equally)."""
    tokens = _as_tokens(data, "data")
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    total = 0.0
    with torch_threads(1):
        for start in range(0, len(tokens), batch_size):
            chunk = tokens[start : start + batch_size]
            total += loss_fn(model, chunk, gen).item() * len(chunk)
    model.train(was_training)
    return total / len(tokens)


def train_decoder(
    model: nn.Module,
    data,
    valid=None,
    *,
    loss_fn: LossFn = next_token_loss,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 3e-3,
    weight_decay: float = 0.01,
    seed: int = 0,
    progress: bool = True,
    num_threads: int | None = 1,
) -> dict[str, list[float]]:
    """Train with AdamW on mini-batches of the rows of ``data``, reshuffled every epoch.

    The default objective is next-token cross-entropy (a ``DecoderOnly`` model); pass
    ``masked_token_loss`` or ``encoder_decoder_loss`` for the other two models. Everything random
    (shuffles, dropout, masked positions) comes from ``seed``; the global state is untouched.

    Args:
        model: the model, trained in place on the CPU.
        data: training token sequences, integer array ``(n, T)`` (e.g. 4-grams: ``T = 4``).
        valid: optional validation sequences ``(n_valid, T)``.
        loss_fn: ``(model, batch (B, T), generator) -> scalar loss``.
        epochs, batch_size, lr, weight_decay: the optimisation settings.
        seed: the seed of every random choice.
        progress: show a tqdm progress bar.
        num_threads: PyTorch threads while training (restored after); None leaves it alone.

    Returns:
        history dict: ``"epoch"`` (0, 1, ..., epochs), ``"train"`` and ``"valid"`` (mean
        cross-entropy in nats per predicted token, evaluated in eval mode after each epoch and
        once before training; ``"valid"`` is empty without ``valid``), ``"batch"`` (each
        mini-batch's training loss).
    """
    tokens = _as_tokens(data, "data")
    valid_tokens = None if valid is None else _as_tokens(valid, "valid")
    history: dict[str, list[float]] = {"epoch": [], "train": [], "valid": [], "batch": []}
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)

    def record(epoch: int) -> None:
        history["epoch"].append(epoch)
        history["train"].append(evaluate(model, tokens, loss_fn, seed))
        if valid_tokens is not None:
            history["valid"].append(evaluate(model, valid_tokens, loss_fn, seed))

    n_batches = math.ceil(len(tokens) / batch_size)
    bar = tqdm(total=epochs * n_batches, disable=not progress, desc="training", leave=False)
    # dropout draws from the global generator: fork and seed it
    with _seeded(seed), torch_threads(num_threads):
        record(0)
        for epoch in range(1, epochs + 1):
            model.train()
            order = torch.randperm(len(tokens), generator=gen)
            for start in range(0, len(tokens), batch_size):
                loss = loss_fn(model, tokens[order[start : start + batch_size]], gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                history["batch"].append(loss.item())
                bar.update()
            record(epoch)
            shown = {"train": f"{history['train'][-1]:.3f}"}
            if valid_tokens is not None:
                shown["valid"] = f"{history['valid'][-1]:.3f}"
            bar.set_postfix(shown)
    bar.close()
    model.eval()
    return history


@torch.no_grad()
def sample(
    model: nn.Module,
    prefix,
    n: int,
    rng: np.random.Generator | int,
    temperature: float = 1.0,
) -> np.ndarray:
    """Continue ``prefix`` by ``n`` tokens sampled from a ``DecoderOnly`` model.

    Each new token is drawn from ``softmax(logits / temperature)`` at the last position, the
    context cropped to ``block_size``; ``temperature = 0`` takes the most likely token.

    Args:
        model: a decoder-only model (``(B, T) -> (B, T, V)`` logits).
        prefix: token ids ``(T0,)`` or ``(B, T0)``, ``T0 >= 1``.
        n: number of tokens to add.
        rng: ``numpy.random.Generator`` (or seed) for the draws.
        temperature: ``>= 0``.

    Returns:
        ``(T0 + n,)`` or ``(B, T0 + n)`` int64 array, starting with ``prefix``.
    """
    seq = np.asarray(prefix)
    if seq.dtype.kind not in "iu" or seq.ndim not in (1, 2) or seq.shape[-1] < 1:
        raise ValueError(f"prefix must be integer token ids (T0,) or (B, T0) with T0 >= 1, "
                         f"got {seq.dtype} of shape {seq.shape}")
    if n < 0 or temperature < 0:
        raise ValueError(f"n and temperature must be >= 0, got n={n}, temperature={temperature}")
    rng = np.random.default_rng(rng)
    one = seq.ndim == 1
    seq = seq.reshape(-1, seq.shape[-1]).astype(np.int64)  # (B, T0)
    block = model.config.block_size
    was_training = model.training
    model.eval()
    for _ in range(n):
        with torch_threads(1):
            logits = model(torch.from_numpy(seq[:, -block:]))[:, -1].double().numpy()  # (B, V)
        if temperature == 0:
            nxt = logits.argmax(axis=1)
        else:
            z = logits / temperature
            p = np.exp(z - z.max(axis=1, keepdims=True))
            cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)  # (B, V)
            u = rng.random((len(seq), 1))
            nxt = np.minimum((cdf < u).sum(axis=1), cdf.shape[1] - 1)  # inverse CDF
        seq = np.concatenate([seq, nxt[:, None]], axis=1)  # (B, T0 + step)
    model.train(was_training)
    return seq[0] if one else seq


def n_parameters(model: nn.Module, non_embedding: bool = True) -> int:
    """Number of parameters; without token and position tables by default (the count ``N`` of
    scaling-law studies)."""
    skip = set()
    if non_embedding:
        skip = {id(p) for m in model.modules() if isinstance(m, nn.Embedding)
                for p in m.parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in skip)


def fit_power_law(sizes, losses) -> tuple[float, float]:
    """Fit ``L = a · N^(-alpha)`` by least squares in log space.

    ``log L = log a - alpha · log N`` is a straight line in ``(log N, log L)``; its slope is
    ``-alpha`` and its intercept ``log a``.

    Args:
        sizes: model sizes ``N`` (parameters), ``(k,)``, positive.
        losses: the matching losses ``L``, ``(k,)``, positive.

    Returns:
        ``(a, alpha)``.
    """
    N = np.asarray(sizes, dtype=np.float64)
    L = np.asarray(losses, dtype=np.float64)
    if N.ndim != 1 or N.shape != L.shape or len(N) < 2:
        raise ValueError(f"sizes and losses must be 1-D of the same length >= 2, got shapes "
                         f"{N.shape} and {L.shape}")
    if not (np.isfinite(N).all() and np.isfinite(L).all() and (N > 0).all() and (L > 0).all()):
        raise ValueError("sizes and losses must be finite and positive")
    if np.ptp(np.log(N)) == 0:
        raise ValueError("sizes must not all be equal: the exponent is undetermined")
    slope, intercept = np.polyfit(np.log(N), np.log(L), 1)
    return float(np.exp(intercept)), float(-slope)


def unigram_cross_entropy(train, valid, vocab_size: int) -> float:
    """Cross-entropy (nats per token) of a model that ignores context: a smoothed unigram.

    ``p(w) = (count(w) + 1) / (n + V)`` with counts over the tokens that a next-token model
    predicts, ``train[:, 1:]`` (add-one smoothing, so an unseen word is not impossible), evaluated
    as ``-mean log p(w)`` over ``valid[:, 1:]``: the baseline a decoder-only model must beat.

    Args:
        train: training sequences, integer array ``(n, T)``.
        valid: validation sequences, integer array ``(m, T)``.
        vocab_size: ``V``; token ids lie in ``[0, V)``.

    Returns:
        the mean negative log-probability as a float.
    """
    train, valid = np.asarray(train), np.asarray(valid)
    for name, a in (("train", train), ("valid", valid)):
        if a.dtype.kind not in "iu" or a.ndim != 2 or a.shape[1] < 2:
            raise ValueError(f"{name} must be an integer array (n, T) with T >= 2, got {a.dtype} "
                             f"of shape {a.shape}")
        if a.size and (a.min() < 0 or a.max() >= vocab_size):
            raise ValueError(f"{name} holds token ids outside [0, {vocab_size})")
    # BEGIN SOLUTION
    counts = np.bincount(train[:, 1:].ravel(), minlength=vocab_size) + 1.0  # (V,)
    log_p = np.log(counts) - np.log(counts.sum())
    return float(-log_p[valid[:, 1:]].mean())
    # END SOLUTION


def load_weights(module: nn.Module, weights) -> nn.Module:
    """Copy named weights into ``module``'s parameters, in place, and return the module.

    The names are those of ``module.named_parameters()`` (``"qkv.weight"``, ``"attn.proj.bias"``,
    ...): two modules built with the same attribute names share weights this way, whoever wrote
    them. Buffers are left alone.

    Args:
        module: the module to fill.
        weights: mapping name -> tensor or array of the parameter's shape.

    Raises:
        ValueError: when the names or shapes differ from the module's parameters.
    """
    params = dict(module.named_parameters())
    missing, extra = sorted(set(weights) - set(params)), sorted(set(params) - set(weights))
    if missing or extra:
        raise ValueError(f"the module's parameters are named {sorted(params)}, the weights "
                         f"{sorted(weights)}: missing in the module {missing}, not in the weights "
                         f"{extra}")
    with torch.no_grad():
        for name, p in params.items():
            w = torch.as_tensor(np.asarray(weights[name]) if not torch.is_tensor(weights[name])
                                else weights[name])
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(f"{name}: the module's parameter has shape {tuple(p.shape)}, the "
                                 f"weight {tuple(w.shape)}")
            p.copy_(w.to(p.dtype))
    return module
