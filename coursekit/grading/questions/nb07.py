"""Questions of notebook 07_autodiff_costs: the Hessian of ½ xᵀ V Vᵀ x, Hessian-vector products in
two orders, autodiff Hessian-vector products, and what each order of Z = v vᵀ y1 y2ᵀ costs.

Oracles: ``torch.func`` (hessian, grad, jvp) and ``torch.autograd.functional.hessian`` for values;
for costs, a walk over the shapes of the products actually performed (each (p, q) @ (q, r) product
costs p·q·r multiplications and stores p·r floats), independent of the closed forms.
"""

import numpy as np
import torch

from coursekit import hessian as ref
from coursekit.grading.registry import Case, Question, register

V_WORKED = np.array([3.0, 1.0, 4.0])
X_WORKED = np.array([2.0, 1.0, 3.0])
v_WORKED = np.array([4.0, 1.0, 2.0])
y_WORKED = np.array([2.0, 2.0, 1.0])


def quadratic(V) -> ref.Quadratic:
    return ref.Quadratic(np.asarray(V, dtype=np.float64).reshape(-1))


def _vec(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64).reshape(-1))


def _hessian_oracle(V, x=None) -> np.ndarray:
    """torch.func.hessian of ½ (Vᵀx)² at x (a random point when None: the answer must not care)."""
    V = np.asarray(V, dtype=np.float64).reshape(-1)
    x = np.random.default_rng(0).standard_normal(V.size) if x is None else x
    return torch.func.hessian(quadratic(V))(_vec(x)).numpy()


def _hvp_oracle(v, y) -> np.ndarray:
    """H y for H the Hessian of ½ (vᵀx)², as a Jacobian-vector product of its gradient."""
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    x0 = torch.zeros(v.size, dtype=torch.float64)
    return torch.func.jvp(torch.func.grad(quadratic(v)), (x0,), (_vec(y),))[1].numpy()


def _hvp_autodiff_oracle(f, x, y) -> np.ndarray:
    """The full Hessian by torch.autograd.functional, times y."""
    H = torch.autograd.functional.hessian(f, _vec(x))
    return (H @ _vec(y)).numpy()


def _hessian_cost_oracle(n: int) -> tuple[int, int]:
    return ref.matmul_cost((n, 1), (1, n))  # H = V Vᵀ, one product per entry


def _order_cost_oracle(order: str):
    return lambda n, m: ref.chain_cost(n, m, order)


def _order_cost_reference(order: str):
    def cost(n, m):
        c = ref.zmatrix_costs(n, m)[order]
        return c["multiplications"], c["memory"]

    return cost


def _vec_cases(pairs) -> list[Case]:
    return [Case((np.asarray(v, dtype=float), np.asarray(y, dtype=float)), label) for v, y, label in pairs]


def _hvp_public() -> list[Case]:
    rng = np.random.default_rng(70)
    return _vec_cases([
        (v_WORKED, y_WORKED, "the worked example"),
        (v_WORKED[:, None], y_WORKED[:, None], "the worked example as (3, 1) columns"),
        (rng.standard_normal(5), rng.standard_normal(5), "random n = 5"),
    ])


def _hvp_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    pairs = [(rng.standard_normal(n), rng.standard_normal(n), f"random n = {n}") for n in (1, 2, 7, 300)]
    pairs.append((rng.standard_normal((4, 1)), rng.standard_normal((4, 1)), "(4, 1) columns"))
    pairs.append((np.zeros(3), rng.standard_normal(3), "v = 0"))
    return _vec_cases(pairs)
    # END HIDDEN TESTS


def _hessian_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case((rng.standard_normal(n),), f"random V, n = {n}") for n in (1, 2, 6)]
    cases.append(Case((rng.standard_normal((5, 1)),), "V as a (5, 1) column"))
    cases.append(Case((np.array([1, -2, 0, 3]),), "integer V with a zero"))
    return cases
    # END HIDDEN TESTS


def _hessian_cost_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [Case((int(n),), f"n = {int(n)}") for n in (1, 2, *rng.integers(3, 100_000, size=4))]
    # END HIDDEN TESTS


def _order_cost_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    pairs = [(1, 1), (1, 7), (7, 1), (12, 12)]
    pairs += [(int(n), int(m)) for n, m in rng.integers(1, 100_000, size=(4, 2))]
    pairs += [(int(rng.integers(2, 50)), int(rng.integers(1000, 5000))) for _ in range(2)]  # wide
    pairs += [(int(rng.integers(1000, 5000)), int(rng.integers(2, 50))) for _ in range(2)]  # tall
    return [Case((n, m), f"n = {n}, m = {m}") for n, m in pairs]
    # END HIDDEN TESTS


def _cost_public() -> list[Case]:
    return [Case((n, m), f"n = {n}, m = {m}") for n, m in ((3, 4), (5, 2), (2, 2))]


def _autodiff_public() -> list[Case]:
    lse = ref.LogSumExp()
    return [
        Case((quadratic(V_WORKED), X_WORKED, y_WORKED), "L of the worked example at x = [2, 1, 3]"),
        Case((quadratic(V_WORKED), np.array([-5.0, 0.0, 7.0]), y_WORKED), "the same L at another x"),
        Case((lse, np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -1.0])), "log-sum-exp"),
    ]


def _autodiff_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    funcs = [ref.CubicPlusCross(), ref.SoftplusLayer(rng.standard_normal((3, 4))), ref.SinProduct()]
    cases = []
    for f in funcs:
        n = 4
        cases.append(Case((f, rng.standard_normal(n), rng.standard_normal(n)), f"{f!r}, random x, y"))
    V = rng.standard_normal(6)
    cases.append(Case((quadratic(V), rng.standard_normal(6), rng.standard_normal(6)), "a random quadratic"))
    return cases
    # END HIDDEN TESTS


def _gradient_instead(f, x, y):
    return torch.func.grad(f)(_vec(x)).numpy()


_ORDER_COST_MISTAKES = {
    "reverse": {
        "scalar first": (
            lambda n, m: (n + m + n * m, 1 + m + n * m),
            "that is v((vᵀy1) y2ᵀ), another bracketing; the reverse order here starts at the right "
            "end of the chain, with Y = y1 y2ᵀ.",
        ),
        "no output": (
            lambda n, m: (3 * n * m, n * m + m),
            "the memory leaves out a result: count Y (n·m), w (m) and the output Z (n·m).",
        ),
    },
    "forward": {
        "free matvec": (
            lambda n, m: (n * n + n * m, n * n + n + n * m),
            "h = H y1 is missing from the count: an (n, n) matrix times a vector costs n² multiplications.",
        ),
        "no output": (
            lambda n, m: (2 * n * n + n * m, n * n + n),
            "the memory leaves out the output Z (n·m floats).",
        ),
    },
}


register(
    Question(
        qid="07.hessian_worked",
        func_name="H_worked",
        arg_names=(),
        public=lambda: [Case((), "V = [3, 1, 4] at x = [2, 1, 3]")],
        oracle=lambda: _hessian_oracle(V_WORKED, X_WORKED),
        reference=lambda: ref.quadratic_hessian(V_WORKED),
        hidden=lambda rng: [],
        rtol=0,
        atol=1e-12,
        mistakes={
            "half": (lambda: 0.5 * np.outer(V_WORKED, V_WORKED), "½ V Vᵀ: the ½ cancels the 2 from the square."),
            "x": (
                lambda: np.outer(X_WORKED, X_WORKED),
                "x xᵀ: the Hessian of ½ xᵀ(V Vᵀ)x is built from V alone; x does not appear in it.",
            ),
        },
    ),
    Question(
        qid="07.quadratic_hessian",
        func_name="quadratic_hessian",
        arg_names=("V",),
        public=lambda: [
            Case((V_WORKED,), "V = [3, 1, 4]"),
            Case((V_WORKED[:, None],), "V = [3, 1, 4] as a (3, 1) column"),
        ],
        oracle=_hessian_oracle,
        reference=ref.quadratic_hessian,
        hidden=_hessian_hidden,
        mistakes={
            "half": (
                lambda V: 0.5 * np.outer(V, V),
                "½ V Vᵀ: differentiating ½ (Vᵀx)² twice gives V Vᵀ (the ½ cancels the 2).",
            ),
        },
    ),
    Question(
        qid="07.hessian_cost",
        func_name="hessian_cost",
        arg_names=("n",),
        public=lambda: [Case((3,), "n = 3"), Case((10,), "n = 10")],
        oracle=_hessian_cost_oracle,
        reference=lambda n: tuple(ref.hessian_costs(n).values()),
        hidden=_hessian_cost_hidden,
        rtol=0,
        atol=0,
        mistakes={
            "triangle": (
                lambda n: (n * (n + 1) // 2, n * (n + 1) // 2),
                "one triangle only: symmetry would save half, but this question counts every entry "
                "H_ij = V_i V_j computed and stored.",
            ),
        },
    ),
    Question(
        qid="07.hvp_worked",
        func_name="z_worked",
        arg_names=(),
        public=lambda: [Case((), "v = [4, 1, 2], y = [2, 2, 1]")],
        oracle=lambda: _hvp_oracle(v_WORKED, y_WORKED),
        reference=lambda: ref.hvp_reverse(v_WORKED, y_WORKED),
        hidden=lambda rng: [],
        rtol=0,
        atol=1e-12,
        mistakes={
            "vTv": (
                lambda: (v_WORKED @ v_WORKED) * y_WORKED,
                "(vᵀv) y: the Hessian is the outer product v vᵀ (a matrix), not the number vᵀv.",
            ),
        },
    ),
    *(
        Question(
            qid=f"07.hvp_{order}",
            func_name=f"hvp_{order}",
            arg_names=("v", "y"),
            public=_hvp_public,
            oracle=_hvp_oracle,
            reference=getattr(ref, f"hvp_{order}"),
            hidden=_hvp_hidden,
            mistakes={
                "vTv": (
                    lambda v, y: (np.ravel(v) @ np.ravel(v)) * np.ravel(y),
                    "(vᵀv) y: the Hessian is the outer product v vᵀ, so z = v (vᵀy).",
                ),
            },
        )
        for order in ("reverse", "forward")
    ),
    Question(
        qid="07.hvp_autodiff",
        func_name="hvp_autodiff",
        arg_names=("f", "x", "y"),
        public=_autodiff_public,
        oracle=_hvp_autodiff_oracle,
        reference=ref.hvp_autodiff,
        hidden=_autodiff_hidden,
        rtol=1e-9,
        atol=1e-11,
        mistakes={
            "gradient": (
                _gradient_instead,
                "that is the gradient ∇f(x): differentiate the gradient once more, in the direction y "
                "(a Jacobian-vector product of torch.func.grad(f)).",
            ),
        },
    ),
    *(
        Question(
            qid=f"07.{order}_cost",
            func_name=f"{order}_cost",
            arg_names=("n", "m"),
            public=_cost_public,
            oracle=_order_cost_oracle(order),
            reference=_order_cost_reference(order),
            hidden=_order_cost_hidden,
            rtol=0,
            atol=0,
            mistakes=mistakes,
        )
        for order, mistakes in _ORDER_COST_MISTAKES.items()
    ),
)
