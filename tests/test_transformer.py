"""Tests of coursekit.transformer: attention layers against torch.nn.MultiheadAttention, masking,
the three model shapes, training, sampling and the power-law fit."""

import math
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.transformer import (
    DecoderOnly,
    EncoderDecoder,
    EncoderOnly,
    MultiHeadCrossAttention,
    MultiHeadSelfAttention,
    TransformerBlock,
    TransformerConfig,
    causal_mask,
    encoder_decoder_loss,
    evaluate,
    fit_power_law,
    load_weights,
    masked_token_loss,
    n_parameters,
    next_token_loss,
    sample,
    train_decoder,
    unigram_cross_entropy,
)

pytestmark = pytest.mark.nb14


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, above all on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

V = 11


def small(**kw):
    return TransformerConfig(**({"vocab_size": V, "block_size": 6, "d_model": 16, "n_heads": 2,
                                 "n_layers": 2} | kw))


def chain_data(n, T, seed):
    """Sequences that follow next = (3 * previous + 1) mod V from a random first token."""
    first = np.random.default_rng(seed).integers(V, size=n)
    cols = [first]
    for _ in range(T - 1):
        cols.append((3 * cols[-1] + 1) % V)
    return np.stack(cols, axis=1)  # (n, T)


def _chain_from(first, T):
    seq = [first]
    for _ in range(T - 1):
        seq.append((3 * seq[-1] + 1) % V)
    return np.array(seq)


def test_causal_mask():
    m = causal_mask(5)
    assert m.dtype == torch.bool and m.shape == (5, 5)
    for i in range(5):
        for j in range(5):
            assert bool(m[i, j]) == (j <= i)
    with pytest.raises(ValueError):
        causal_mask(0)


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_matches_torch_multihead(causal):
    torch.manual_seed(0)
    B, T, C, h = 3, 5, 8, 2
    ours = MultiHeadSelfAttention(C, h, causal=causal).double()
    ref = torch.nn.MultiheadAttention(C, h, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
    x = torch.randn(B, T, C, dtype=torch.float64)
    # torch's boolean attn_mask marks the entries that may NOT be attended to
    forbid = ~causal_mask(T) if causal else None
    want, want_w = ref(x, x, x, attn_mask=forbid, average_attn_weights=False)
    got = ours(x)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(ours.last_weights, want_w)
    if causal:
        assert torch.all(ours.last_weights[..., ~causal_mask(T)] == 0)


def test_cross_attention_matches_torch_multihead():
    torch.manual_seed(1)
    B, T, S, C, h = 2, 3, 7, 8, 4
    ours = MultiHeadCrossAttention(C, h).double()
    ref = torch.nn.MultiheadAttention(C, h, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.kv.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.kv.bias]))
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
    x = torch.randn(B, T, C, dtype=torch.float64)
    memory = torch.randn(B, S, C, dtype=torch.float64)
    got = ours(x, memory)
    assert got.shape == (B, T, C)
    assert ours.last_weights.shape == (B, h, T, S)
    torch.testing.assert_close(got, ref(x, memory, memory)[0])


def test_self_attention_causality_by_perturbation():
    torch.manual_seed(2)
    attn = MultiHeadSelfAttention(8, 2, causal=True).double()
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    for k in range(6):
        y = x.clone()
        y[:, k] += 1.0
        a, b = attn(x), attn(y)
        torch.testing.assert_close(a[:, :k], b[:, :k], rtol=0, atol=0)
        assert not torch.allclose(a[:, k:], b[:, k:])


def test_block_shapes_and_memory_requirement():
    block = TransformerBlock(16, 4, causal=True, cross_attention=True)
    x, memory = torch.randn(2, 5, 16), torch.randn(2, 3, 16)
    assert block(x, memory).shape == (2, 5, 16)
    with pytest.raises(ValueError, match="memory"):
        block(x)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadSelfAttention(10, 3)


@pytest.mark.parametrize("model_cls", [EncoderOnly, DecoderOnly])
def test_single_stack_shapes(model_cls):
    model = model_cls(small())
    idx = torch.randint(V, (3, 6))
    assert model(idx).shape == (3, 6, V)
    assert model(idx[:, :2]).shape == (3, 2, V)


def changed_positions(model_fn, idx, k):
    other = idx.clone()
    other[:, k] = (other[:, k] + 1) % V
    with torch.no_grad():
        diff = (model_fn(idx) - model_fn(other)).abs().amax(dim=(0, 2))  # (T,)
    return diff


def test_decoder_only_is_causal_and_encoder_only_is_not():
    idx = torch.randint(V, (2, 6), generator=torch.Generator().manual_seed(0))
    dec, enc = DecoderOnly(small()).double(), EncoderOnly(small()).double()
    for k in range(6):
        d = changed_positions(dec, idx, k)
        assert torch.all(d[:k] == 0), f"changing token {k} changed an earlier output"
        assert d[k] > 0
        e = changed_positions(enc, idx, k)
        assert torch.all(e > 0), "an encoder position ignores a token"


def test_encoder_decoder_shapes_and_masks():
    model = EncoderDecoder(small()).double()
    src = torch.randint(V, (4, 5))
    tgt = torch.randint(V, (4, 3))
    memory = model.encode(src)
    assert memory.shape == (4, 5, 16)
    logits = model(src, tgt)
    assert logits.shape == (4, 3, V)
    torch.testing.assert_close(logits, model.decode(tgt, memory))
    for block in model.decoder.blocks:
        assert block.cross.last_weights.shape == (4, 2, 3, 5)  # (B, h, T, S)
    for k in range(3):  # the decoder is causal in the target ...
        d = changed_positions(lambda t: model(src, t), tgt, k)
        assert torch.all(d[:k] == 0) and d[k] > 0
    for k in range(5):  # ... and every target position sees the whole source
        d = changed_positions(lambda s: model(s, tgt), src, k)
        assert torch.all(d > 0)


def test_bad_inputs_and_config():
    with pytest.raises(ValueError, match="divisible"):
        TransformerConfig(d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="vocab_size"):
        TransformerConfig(vocab_size=0)
    model = DecoderOnly(small())
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 7, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        model(torch.full((1, 3), V))
    with pytest.raises(ValueError, match="long"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="integer array"):
        train_decoder(model, np.zeros((4, 3)), progress=False)


def test_initialisation_is_seeded_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a, b, c = DecoderOnly(small(seed=3)), DecoderOnly(small(seed=3)), DecoderOnly(small(seed=4))
    assert torch.equal(torch.get_rng_state(), state)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.stack.embed.tok.weight, c.stack.embed.tok.weight)


def test_next_token_loss_by_hand():
    model = DecoderOnly(small()).double()
    batch = torch.randint(V, (3, 5))
    with torch.no_grad():
        logp = model(batch[:, :-1]).log_softmax(-1).numpy()  # (3, 4, V)
        loss = next_token_loss(model, batch).item()
    targets = batch[:, 1:].numpy()
    by_hand = -np.mean([logp[b, t, targets[b, t]] for b in range(3) for t in range(4)])
    assert loss == pytest.approx(by_hand, rel=1e-12)


def test_evaluate_weights_rows_equally():
    model = DecoderOnly(small())
    data = chain_data(50, 4, 0)
    assert evaluate(model, data, batch_size=7) == pytest.approx(evaluate(model, data), rel=1e-5)


def test_decoder_training_lowers_the_loss_and_is_reproducible():
    train, valid = chain_data(1500, 4, 1), chain_data(300, 4, 2)
    state = torch.get_rng_state()
    start = time.perf_counter()
    model = DecoderOnly(small())
    history = train_decoder(model, train, valid, epochs=3, batch_size=64, progress=False)
    elapsed = time.perf_counter() - start
    assert torch.equal(torch.get_rng_state(), state)
    assert history["epoch"] == [0, 1, 2, 3]
    assert len(history["batch"]) == 3 * math.ceil(1500 / 64)
    assert history["valid"][0] == pytest.approx(math.log(V), abs=0.3)  # untrained: ~uniform
    assert history["valid"][-1] < 0.3 * history["valid"][0]
    assert history["train"][-1] < history["train"][0]
    print(f"\ntrained on 1500 sequences x 3 epochs in {elapsed:.1f} s; valid cross-entropy "
          f"{history['valid'][0]:.3f} -> {history['valid'][-1]:.3f}")
    # the chain is deterministic: greedy sampling must follow it
    out = sample(model, [2], 5, rng=0, temperature=0)
    np.testing.assert_array_equal(out, _chain_from(2, 6))
    again = DecoderOnly(small())
    history2 = train_decoder(again, train[:200], epochs=1, progress=False, seed=5)
    history3 = train_decoder(DecoderOnly(small()), train[:200], epochs=1, progress=False, seed=5)
    assert history2 == history3


@pytest.mark.parametrize(
    "model_cls, loss_fn",
    [(EncoderOnly, masked_token_loss), (EncoderDecoder, encoder_decoder_loss)],
)
def test_other_objectives_train(model_cls, loss_fn):
    train = chain_data(1500, 4, 3)
    history = train_decoder(model_cls(small()), train, train[:100], loss_fn=loss_fn, epochs=3,
                            batch_size=64, progress=False)
    assert history["valid"][-1] < 0.6 * history["valid"][0]


def test_sample_shapes_and_determinism():
    model = DecoderOnly(small(block_size=4))
    one = sample(model, [1, 2], 7, rng=np.random.default_rng(0))
    assert one.shape == (9,) and one.dtype == np.int64
    np.testing.assert_array_equal(one[:2], [1, 2])
    assert one.min() >= 0 and one.max() < V
    np.testing.assert_array_equal(one, sample(model, [1, 2], 7, rng=np.random.default_rng(0)))
    batch = sample(model, np.array([[1, 2], [3, 4], [5, 6]]), 4, rng=1)
    assert batch.shape == (3, 6)
    np.testing.assert_array_equal(batch[:, :2], [[1, 2], [3, 4], [5, 6]])
    with pytest.raises(ValueError, match="prefix"):
        sample(model, [], 3, rng=0)
    # temperature 0 is the argmax of the last position's logits
    greedy = sample(model, [4, 4, 4], 1, rng=0, temperature=0)
    with torch.no_grad():
        want = model(torch.tensor([[4, 4, 4]]))[0, -1].argmax().item()
    assert greedy[-1] == want


def test_sample_frequencies_follow_the_softmax():
    model = DecoderOnly(small(block_size=2))
    with torch.no_grad():  # a far from uniform next-token distribution
        model.stack.head.bias.copy_(torch.linspace(-3.0, 3.0, V))
    prefix = np.full((4000, 1), 3)
    draws = sample(model, prefix, 1, rng=0, temperature=2.0)[:, 1]
    with torch.no_grad():
        p = (model(torch.tensor([[3]]))[0, -1].double() / 2.0).softmax(-1).numpy()
    freq = np.bincount(draws, minlength=V) / len(draws)
    assert np.abs(freq - p).max() < 4 * np.sqrt(p.max() / len(draws)) + 1e-3


def test_n_parameters():
    cfg = small()
    C, F, L = cfg.d_model, cfg.d_ff, cfg.n_layers
    per_block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (C * F + F + F * C + C)
    expected = L * per_block + 2 * C + (C * V + V)
    model = DecoderOnly(cfg)
    assert n_parameters(model) == expected
    assert n_parameters(model, non_embedding=False) == expected + V * C + cfg.block_size * C


@settings(max_examples=50, deadline=None)
@given(
    a=st.floats(0.1, 100), alpha=st.floats(0.01, 2.0), seed=st.integers(0, 2**32 - 1),
    k=st.integers(2, 10),
)
def test_power_law_fit_recovers_known_parameters(a, alpha, seed, k):
    N = np.sort(np.random.default_rng(seed).uniform(1e3, 1e8, size=k))
    if np.ptp(np.log(N)) < 0.1:
        N[-1] = N[0] * 10
    a_hat, alpha_hat = fit_power_law(N, a * N**-alpha)
    assert a_hat == pytest.approx(a, rel=1e-6)
    assert alpha_hat == pytest.approx(alpha, rel=1e-6, abs=1e-9)


def test_power_law_fit_with_noise_and_bad_input():
    rng = np.random.default_rng(0)
    N = np.logspace(3, 8, 30)
    L = 7.0 * N**-0.076 * np.exp(rng.normal(0, 0.01, size=30))
    a, alpha = fit_power_law(N, L)
    assert alpha == pytest.approx(0.076, abs=0.005)
    assert a == pytest.approx(7.0, rel=0.1)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 10], [1, -1])
    with pytest.raises(ValueError, match="same length"):
        fit_power_law([1, 10, 100], [1, 2])
    with pytest.raises(ValueError, match="equal"):
        fit_power_law([5, 5], [1, 2])


def test_load_weights_shares_weights_between_modules():
    a, b = MultiHeadSelfAttention(8, 2, causal=True), MultiHeadSelfAttention(8, 2, causal=True)
    x = torch.randn(2, 5, 8)
    assert not torch.allclose(a(x), b(x))
    out = load_weights(b, {k: v.detach().numpy() for k, v in a.state_dict().items()})
    assert out is b
    torch.testing.assert_close(a(x), b(x))
    with pytest.raises(ValueError, match="missing in the module"):
        load_weights(b, {**a.state_dict(), "extra.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="not in the weights"):
        load_weights(b, {k: v for k, v in a.state_dict().items() if k != "proj.bias"})
    with pytest.raises(ValueError, match=r"proj.bias: .* shape \(8,\), the weight \(3,\)"):
        load_weights(b, {**a.state_dict(), "proj.bias": torch.zeros(3)})


def test_unigram_cross_entropy_by_hand():
    train = np.array([[3, 1, 2, 2], [0, 2, 2, 1]])
    valid = np.array([[1, 2, 3, 4]])
    V = 5
    counts = {0: 0, 1: 2, 2: 4, 3: 0, 4: 0}  # train[:, 1:] only
    p = {w: (c + 1) / (6 + V) for w, c in counts.items()}
    want = -np.mean([np.log(p[w]) for w in (2, 3, 4)])
    assert unigram_cross_entropy(train, valid, V) == pytest.approx(want, rel=1e-12)
    rng = np.random.default_rng(0)
    big = rng.integers(V, size=(2000, 4))
    assert unigram_cross_entropy(big, big, V) == pytest.approx(np.log(V), abs=0.01)
    with pytest.raises(ValueError, match="outside"):
        unigram_cross_entropy(train, valid, 4)
    with pytest.raises(ValueError, match="integer array"):
        unigram_cross_entropy(train.astype(float), valid, V)
