"""Speed of the NumPy GloVe gradient against PyTorch autograd and against a loop over words.

Each row computes the gradient of L = Σ_ij (w_iᵀ w̃_j + b_i + b̃_j - log X_ij)² for all four
parameter arrays, in float64, three ways: ``coursekit.glove.grad`` (vectorised NumPy), the same
loss differentiated by PyTorch autograd (forward and backward, on CPU), and
``coursekit.glove.grad_looped`` (a Python loop over the V words). The NumPy and PyTorch runs
take turns and each reports its fastest run, the least disturbed by other work on the machine.

The gradient costs three V x V x d matrix products, 6 V² d floating-point operations; the
GFLOP/s columns divide that by the time, and "% peak" compares it with a large float64 matrix
product measured first with the same number of threads.

    .venv/bin/python benchmarks/bench_glove.py [--threads N]

``--threads N`` (default 1) limits NumPy's BLAS (threadpoolctl) and PyTorch to N threads each.
"""

import argparse
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from coursekit import glove

SIZES = [(251, 16), (251, 64), (251, 256), (2000, 16), (2000, 64), (2000, 256)]


def best_time(fn, repeats: int, budget: float = 2.0) -> float:
    """Fastest of up to ``repeats`` runs (after one warm-up), stopping after ``budget`` seconds."""
    fn()
    times, start = [], time.perf_counter()
    while len(times) < repeats and (not times or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_gflops(n: int = 1536) -> float:
    """float64 matrix-product rate, the faster of NumPy and PyTorch (GFLOP/s)."""
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    t = min(best_time(lambda: a @ b, 5), best_time(lambda: ta @ tb, 5))
    return 2 * n**3 / t / 1e9


def torch_grad(leaves, log_X):
    W, Wt, b, bt = leaves
    loss = ((W @ Wt.T + b + bt.T - log_X) ** 2).sum()
    return torch.autograd.grad(loss, leaves)


def bench(V: int, d: int) -> tuple[float, float, float]:
    """Best times (s) of the NumPy, PyTorch and looped gradients on one random problem."""
    rng = np.random.default_rng(V * d)
    W, Wt = 0.1 * rng.standard_normal((2, V, d))
    b, bt = 0.1 * rng.standard_normal((2, V, 1))
    log_X = np.log1p(rng.poisson(2.0, size=(V, V)).astype(np.float64))
    leaves = [torch.tensor(a, requires_grad=True) for a in (W, Wt, b, bt)]
    t_log_X = torch.from_numpy(log_X)
    np.testing.assert_allclose(glove.grad(W, Wt, b, bt, log_X)[0],
                               torch_grad(leaves, t_log_X)[0].numpy(), rtol=1e-9)
    t_np, t_torch = np.inf, np.inf
    for _ in range(3):  # take turns
        t_np = min(t_np, best_time(lambda: glove.grad(W, Wt, b, bt, log_X), 5))
        t_torch = min(t_torch, best_time(lambda: torch_grad(leaves, t_log_X), 5))
    t_loop = best_time(lambda: glove.grad_looped(W, Wt, b, bt, log_X), 2, budget=1.0)
    return t_np, t_torch, t_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    threads = parser.parse_args().threads
    torch.set_num_threads(threads)
    with threadpool_limits(threads, "blas"):
        peak = peak_gflops()
        print(f"threads: {threads}; float64 matmul peak: {peak:.1f} GFLOP/s")
        print(f"{'V':>5} {'d':>4} {'numpy ms':>9} {'torch ms':>9} {'np/torch':>8} {'loop ms':>9} "
              f"{'loop/np':>8} {'np GFLOP/s':>10} {'% peak':>6} {'torch GF/s':>10} {'% peak':>6}")
        ratios = []
        for V, d in SIZES:
            t_np, t_torch, t_loop = bench(V, d)
            flops = 6 * V * V * d / 1e9
            ratios.append(t_np / t_torch)
            print(f"{V:>5} {d:>4} {1e3 * t_np:>9.2f} {1e3 * t_torch:>9.2f} {t_np / t_torch:>8.2f} "
                  f"{1e3 * t_loop:>9.1f} {t_loop / t_np:>8.0f} {flops / t_np:>10.1f} "
                  f"{100 * flops / t_np / peak:>5.0f}% {flops / t_torch:>10.1f} "
                  f"{100 * flops / t_torch / peak:>5.0f}%")
        print(f"numpy / torch: geometric mean {np.exp(np.mean(np.log(ratios))):.2f}, "
              f"worst {max(ratios):.2f} (below 1: NumPy faster)")


if __name__ == "__main__":
    main()
