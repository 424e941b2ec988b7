"""Speed of the NumPy multi-branch forward + backward pass against PyTorch autograd.

Both sides compute the same thing in float64 on the same batch: the summed cross-entropy of the
multi-branch network and the gradients of every parameter and of the input. PyTorch gets as many
threads as NumPy's BLAS. The two take turns, and each row reports the fastest of several runs
(the least disturbed by other work on the machine) and the ratio numpy / torch (below 1: NumPy is
faster). On a busy machine the times still vary from run to run.

    .venv/bin/python benchmarks/bench_backprop.py [--threads N]

``--threads N`` limits NumPy's BLAS (through threadpoolctl) and PyTorch to N threads each.
"""

import argparse
import os
import time

import numpy as np
import torch

from coursekit.backprop import multibranch_backward, multibranch_forward, multibranch_init

# (B, D = H = G), K = 10 classes
SIZES = [(64, 64), (256, 64), (1024, 64), (64, 256), (256, 256), (1024, 256), (1024, 512)]
N_CLASSES = 10


def numpy_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    blas = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return blas[0] if blas else os.cpu_count() or 1


def numpy_step(params, x, t):
    _, cache = multibranch_forward(params, x, t)
    return multibranch_backward(params, cache)


def torch_step(leaves, x, t):
    a1 = x @ leaves["W1"].T + leaves["b1"]
    u = a1 + (x @ leaves["W2"].T + leaves["b2"])
    h = torch.cat([torch.sigmoid(a1), torch.relu(u)], dim=1)
    y = (h @ leaves["Wg"].T + leaves["bg"]) @ leaves["W3"].T + x @ leaves["W4"].T
    J = torch.nn.functional.cross_entropy(y, t, reduction="sum")
    return torch.autograd.grad(J, list(leaves.values()) + [x])


def best_times(steps, budget: float = 1.0, max_runs: int = 10) -> list[float]:
    """Fastest run of each (step, args) pair; the steps take turns so they share any load."""
    for step, args in steps:
        step(*args)  # warm-up
    best, spent, runs = [np.inf] * len(steps), 0.0, 0
    while runs < 3 or (spent < budget and runs < max_runs):
        for i, (step, args) in enumerate(steps):
            start = time.perf_counter()
            step(*args)
            elapsed = time.perf_counter() - start
            best[i], spent = min(best[i], elapsed), spent + elapsed
        runs += 1
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries")
    threads = parser.parse_args().threads
    if threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, user_api="blas")
    threads = numpy_threads()
    torch.set_num_threads(threads)
    print(f"multi-branch forward + backward, float64, {threads} thread(s), K = {N_CLASSES}")
    print(f"{'B':>6}{'D=H=G':>7}{'numpy ms':>11}{'torch ms':>11}{'numpy/torch':>13}")
    rng = np.random.default_rng(0)
    for B, D in SIZES:
        params = multibranch_init(D, D, D, N_CLASSES, rng)
        x, t = rng.standard_normal((B, D)), rng.integers(0, N_CLASSES, size=B)
        leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)
        ours, theirs = numpy_step(params, x, t), torch_step(leaves, xt, tt)
        for key, reference in zip(list(params) + ["x"], theirs, strict=True):
            np.testing.assert_allclose(ours[key], reference.numpy(), rtol=1e-8, atol=1e-10)
        t_np, t_torch = best_times([(numpy_step, (params, x, t)), (torch_step, (leaves, xt, tt))])
        print(f"{B:>6}{D:>7}{1e3 * t_np:>11.3f}{1e3 * t_torch:>11.3f}{t_np / t_torch:>13.2f}")


if __name__ == "__main__":
    main()
