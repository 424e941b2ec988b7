"""Training throughput of the NumPy masked language model against the same model in PyTorch.

One training step on a mini-batch of 4-grams of the course corpus: mask one position per row,
forward pass, masked cross-entropy, gradients of all five parameter arrays, momentum update.
NumPy runs ``coursekit.masked_lm_train.train_step`` (the model's own ``compute_loss_derivative``
and ``back_propagate``); PyTorch runs the same network and loss in float64 with autograd and
``torch.optim.SGD(momentum=0.9)`` (the same update rule), with the same batches, batch size and
number of threads. The two take turns; each reports its best block of steps, in examples/s.

A step costs about 2·B·H·(3·N·V + 3·N·E) floating-point operations (the six matrix products of
the forward and backward passes); "% peak" compares that rate with a large float64 matrix
product measured first with the same number of threads.

    .venv/bin/python benchmarks/bench_masked_lm.py [--threads N]
"""

import argparse
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from coursekit.data.corpus import load_corpus
from coursekit.masked_lm import Model, Params
from coursekit.masked_lm_train import torch_loss, train_step

CONFIGS = [(100, 16, 128), (100, 64, 256), (1000, 16, 128)]  # (B, E, H)
STEPS = 40  # per timed block


def peak_gflops(n: int = 1536) -> float:
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    best = np.inf
    for _ in range(4):
        for mm in (lambda: a @ b, lambda: ta @ tb):
            t0 = time.perf_counter()
            mm()
            best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def numpy_block(model, velocity, batches, masks_rng):
    for rows in batches:
        train_step(model, velocity, rows, rows, masks_rng, 0.1, 0.9)


def torch_block(leaves, opt, batches, masks_rng, N):
    for rows in batches:
        mask = np.zeros((len(rows), N), dtype=np.int64)
        mask[np.arange(len(rows)), masks_rng.integers(N, size=len(rows))] = 1
        opt.zero_grad()
        (torch_loss(leaves, rows * (1 - mask), rows, mask) / len(rows)).backward()
        opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    threads = parser.parse_args().threads
    torch.set_num_threads(threads)
    data = load_corpus(0, size=40_000)
    vocab, inputs = data["vocab"], data["train_inputs"]
    V, N = len(vocab), inputs.shape[1]
    with threadpool_limits(threads, "blas"):
        peak = peak_gflops()
        print(f"threads: {threads}; float64 matmul peak: {peak:.1f} GFLOP/s; V = {V}, N = {N}")
        print(f"{'B':>5} {'E':>4} {'H':>4} {'numpy ex/s':>11} {'torch ex/s':>11} {'np/torch':>9} "
              f"{'np GFLOP/s':>10} {'% peak':>6} {'torch GF/s':>10} {'% peak':>6}")
        ratios = []
        for B, E, H in CONFIGS:
            model = Model.random_init(vocab, 0, N, E, H, init_wt=0.01)
            velocity = Params.zeros(V, N, E, H)
            leaves = {k: torch.tensor(getattr(model.params, k), requires_grad=True)
                      for k in Params.names()}
            opt = torch.optim.SGD(list(leaves.values()), lr=0.1, momentum=0.9)
            order = np.random.default_rng(B).permutation(len(inputs))
            batches = [inputs[order[i * B:(i + 1) * B]] for i in range(STEPS)]
            t_np, t_torch = np.inf, np.inf
            for turn in range(4):  # take turns; the first turn warms up
                t0 = time.perf_counter()
                numpy_block(model, velocity, batches, np.random.default_rng(turn))
                t1 = time.perf_counter()
                torch_block(leaves, opt, batches, np.random.default_rng(turn), N)
                t2 = time.perf_counter()
                if turn:
                    t_np, t_torch = min(t_np, t1 - t0), min(t_torch, t2 - t1)
            examples = STEPS * B
            flops = STEPS * 2 * B * H * (3 * N * V + 3 * N * E) / 1e9
            ratios.append(t_np / t_torch)
            print(f"{B:>5} {E:>4} {H:>4} {examples / t_np:>11.0f} {examples / t_torch:>11.0f} "
                  f"{t_np / t_torch:>9.2f} {flops / t_np:>10.1f} "
                  f"{100 * flops / t_np / peak:>5.0f}% {flops / t_torch:>10.1f} "
                  f"{100 * flops / t_torch / peak:>5.0f}%")
        print(f"numpy / torch time: geometric mean {np.exp(np.mean(np.log(ratios))):.2f}, "
              f"worst {max(ratios):.2f} (below 1: NumPy faster)")


if __name__ == "__main__":
    main()
