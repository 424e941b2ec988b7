"""Questions of notebook 05_visualizing_derivatives: y(x) of a scalar ReLU network, its
derivatives with respect to every parameter as functions of x, the jumps at the kinks, and the
directional derivative of a coupled parameter motion.

Oracles use PyTorch autograd (``relu_net.autograd_derivatives``: one copy of the parameters per
x, one backward pass; ``autograd_kink_jumps``: its one-sided limits at each kink) and forward
mode (``relu_net.autograd_directional``: ``torch.func.jvp``); none calls a reference body, so
visible checks work in the student build.
"""

import numpy as np

from coursekit import relu_net as ref
from coursekit.grading.registry import Case, Question, register

_NET_ARGS = ("x", "w1", "b1", "w2", "b2")
_HANDOUT_X = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])  # both kinks, 0.5 and 1, exactly
# a second network with a unit that faces left (w1 < 0); its kinks -0.5, 0.5, 0.5 are on the grid
_THREE = (
    np.array([1.0, -2.0, 0.5]),
    np.array([0.5, 1.0, -0.25]),
    np.array([-1.0, 0.75, 1.5]),
    0.3,
)
_THREE_X = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
_COUPLED = {"w1": [0.0, 0.02], "b1": [0.01, 0.0], "w2": [0.0, 0.0], "b2": 0.0}


def _handout() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    p = ref.HANDOUT_PARAMS
    return p["w1"].copy(), p["b1"].copy(), p["w2"].copy(), float(p["b2"])


def _net_public() -> list[Case]:
    w1, b1, w2, b2 = _THREE
    return [
        Case((_HANDOUT_X.copy(), *_handout()), "the parameters of the notebook, x on both kinks"),
        Case((_THREE_X.copy(), w1.copy(), b1.copy(), w2.copy(), b2), "k = 3, x on every kink"),
    ]


def _net_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for k in (1, 4, 5):
        w1, b1, w2 = (rng.normal(scale=1.5, size=k) for _ in range(3))
        cases.append(Case((rng.normal(scale=2.0, size=9), w1, b1, w2, float(rng.normal())), f"random k={k}"))
    # kinks exactly representable, every one of them among the inputs
    k = 4
    w1 = rng.choice([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0], size=k)
    at = rng.choice(np.arange(-8, 9) / 4, size=k)
    x = np.sort(np.concatenate([at, rng.uniform(-3, 3, size=5)]))
    cases.append(Case((x, w1, -w1 * at, rng.normal(size=k), 0.7), "x exactly on every kink"))
    # w1_i = 0: unit always on (b1 > 0), always off (b1 < 0), and z = 0 for every x
    cases.append(
        Case(
            (
                rng.normal(size=6),
                np.array([0.0, 0.0, 0.0, 1.3]),
                np.array([0.8, -0.4, 0.0, -0.2]),
                np.array([1.5, -2.0, 0.6, 0.9]),
                -0.25,
            ),
            "units with w1 = 0",
        )
    )
    cases.append(Case((np.array([0.3]), np.array([-1.2]), np.array([0.9]), np.array([2.5]), 1.0), "one x, k=1"))
    return cases
    # END HIDDEN TESTS


def _truth(x, w1, b1, w2, b2):
    return ref.autograd_derivatives(x, w1, b1, w2, b2)


def _z(x, w1, b1) -> np.ndarray:
    return np.outer(x, w1) + b1


def _grad(name: str):
    def oracle(x, w1, b1, w2, b2):
        return _truth(x, w1, b1, w2, b2)[1][name]

    return oracle


def _at_kink(x, w1, b1, value, grads):
    """``grads`` with the entries where z = 0 exactly replaced by ``value`` (the z >= 0 slip)."""
    return np.where(_z(x, w1, b1) == 0, value, grads)


# ---- the jumps at the kinks -----------------------------------------------------------------


def _jump_public() -> list[Case]:
    w1, b1, w2, _ = _handout()
    return [
        Case((w1, b1, w2), "the parameters of the notebook"),
        Case(tuple(a.copy() for a in _THREE[:3]), "k = 3, unit 2 faces left (w1 < 0)"),
    ]


def _jump_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    signs = rng.choice([-1.0, 1.0], size=5)
    return [
        Case((signs * rng.uniform(0.5, 3, size=5), rng.normal(size=5), rng.normal(size=5)), "random k=5"),
        Case(
            (np.array([0.0, 1.5, -1.0]), np.array([0.7, 0.0, 0.0]), np.array([2.0, -1.0, 0.5])),
            "w1 = 0 (no kink) and b1 = 0 (kink at x = 0)",
        ),
        Case((np.array([-0.8]), np.array([-2.0]), np.array([-1.5])), "k=1, kink at x = -2.5"),
    ]
    # END HIDDEN TESTS


def _jumps_unsigned(w1, b1, w2):
    return ref.autograd_kink_jumps(w1, b1, w2) * np.sign(np.asarray(w1, dtype=float))


def _jumps_without_x(w1, b1, w2):
    j = ref.autograd_kink_jumps(w1, b1, w2)
    return np.stack([j[0], j[0]])


# ---- the directional derivative -------------------------------------------------------------


def _dir_public() -> list[Case]:
    w1, b1, w2, b2 = _handout()
    x = np.array([-0.5, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
    three = dict(
        zip(("w1", "b1", "w2", "b2"), (a.copy() if isinstance(a, np.ndarray) else a for a in _THREE), strict=True)
    )
    step = {
        "w1": np.array([0.5, -1.0, 0.25]),
        "b1": np.array([-0.5, 0.25, 1.0]),
        "w2": np.array([1.0, 0.5, -2.0]),
        "b2": 0.75,
    }
    return [
        Case(
            (x, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, dict(_COUPLED)),
            "the coupled motion: b1_1 by 0.01, w1_2 by 0.02",
        ),
        Case((_THREE_X.copy(), three, step), "k = 3, every parameter moves"),
    ]


def _dir_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for k in (1, 3, 5):
        params = {n: rng.normal(scale=1.5, size=k) for n in ("w1", "b1", "w2")} | {"b2": float(rng.normal())}
        step = {n: rng.normal(size=k) for n in ("w1", "b1", "w2")} | {"b2": float(rng.normal())}
        cases.append(Case((rng.normal(scale=2.0, size=8), params, step), f"random k={k}"))
    w1 = np.array([1.0, -2.0])
    params = {"w1": w1, "b1": np.array([-0.25, 1.5]), "w2": np.array([1.5, -0.5]), "b2": 0.0}
    step = {"w1": np.array([0.3, 0.2]), "b1": np.array([-0.1, 0.4]), "w2": np.array([0.0, 1.0]), "b2": -1.0}
    cases.append(Case((np.array([-1.0, 0.25, 0.75, 2.0]), params, step), "x exactly on both kinks"))
    return cases
    # END HIDDEN TESTS


def _dir_without_b2(x, params, direction):
    return ref.autograd_directional(x, params, direction) - float(direction["b2"])


def _dir_without_x(x, params, direction):
    """The w1 step used as if it were a b1 step: the factor x of ∂y/∂w1 is missing."""
    _, g = _truth(x, params["w1"], params["b1"], params["w2"], params["b2"])
    dw1 = np.asarray(direction["w1"], dtype=float)
    return ref.autograd_directional(x, params, direction) - g["w1"] @ dw1 + g["b1"] @ dw1


register(
    Question(
        qid="05.forward",
        func_name="forward",
        arg_names=_NET_ARGS,
        public=_net_public,
        oracle=lambda x, w1, b1, w2, b2: _truth(x, w1, b1, w2, b2)[0],
        reference=ref.forward,
        hidden=_net_hidden,
        mistakes={
            "no ReLU": (
                lambda x, w1, b1, w2, b2: _z(x, w1, b1) @ w2 + b2,
                "the ReLU is missing: negative pre-activations w1_i x + b1_i must count as 0.",
            ),
            "no b2": (
                lambda x, w1, b1, w2, b2: _truth(x, w1, b1, w2, b2)[0] - b2,
                "the output bias b2 is missing.",
            ),
        },
    ),
    Question(
        qid="05.dy_db2",
        func_name="dy_db2",
        arg_names=_NET_ARGS,
        public=_net_public,
        oracle=_grad("b2"),
        reference=ref.dy_db2,
        hidden=_net_hidden,
        mistakes={
            "a number": (
                lambda x, w1, b1, w2, b2: 1.0,
                "a single number: return one derivative per input x, an array of shape (n,).",
            ),
        },
    ),
    Question(
        qid="05.dy_dw2",
        func_name="dy_dw2",
        arg_names=_NET_ARGS,
        public=_net_public,
        oracle=_grad("w2"),
        reference=ref.dy_dw2,
        hidden=_net_hidden,
        mistakes={
            "pre-activation": (
                lambda x, w1, b1, w2, b2: _z(x, w1, b1),
                "w1_i x + b1_i: w2_i multiplies the unit's output after the ReLU, max(0, w1_i x + b1_i).",
            ),
            "times w2": (
                lambda x, w1, b1, w2, b2: _grad("w2")(x, w1, b1, w2, b2) * w2,
                "an extra factor w2_i: y is linear in w2_i, its coefficient does not contain w2_i.",
            ),
        },
    ),
    Question(
        qid="05.dy_db1",
        func_name="dy_db1",
        arg_names=_NET_ARGS,
        public=_net_public,
        oracle=_grad("b1"),
        reference=ref.dy_db1,
        hidden=_net_hidden,
        mistakes={
            "one at the kink": (
                lambda x, w1, b1, w2, b2: _at_kink(x, w1, b1, w2, _grad("b1")(x, w1, b1, w2, b2)),
                "w2_i at the kink itself: with ReLU'(0) = 0 a unit with w1_i x + b1_i = 0 is off (use > 0, not >= 0).",
            ),
            "w2 missing": (
                lambda x, w1, b1, w2, b2: (_z(x, w1, b1) > 0).astype(float),
                "only the on/off pattern: the chain rule also multiplies by w2_i.",
            ),
        },
    ),
    Question(
        qid="05.dy_dw1",
        func_name="dy_dw1",
        arg_names=_NET_ARGS,
        public=_net_public,
        oracle=_grad("w1"),
        reference=ref.dy_dw1,
        hidden=_net_hidden,
        mistakes={
            "x missing": (
                _grad("b1"),
                "this is ∂y/∂b1: w1_i multiplies x, so ∂z_i/∂w1_i = x is a factor too.",
            ),
            "one at the kink": (
                lambda x, w1, b1, w2, b2: _at_kink(x, w1, b1, np.outer(x, w2), _grad("w1")(x, w1, b1, w2, b2)),
                "w2_i x at the kink itself: with ReLU'(0) = 0 a unit with w1_i x + b1_i = 0 is off "
                "(use > 0, not >= 0).",
            ),
        },
    ),
    Question(
        qid="05.kink_jumps",
        func_name="kink_jumps",
        arg_names=("w1", "b1", "w2"),
        public=_jump_public,
        oracle=ref.autograd_kink_jumps,
        reference=ref.kink_jumps,
        hidden=_jump_hidden,
        mistakes={
            "no sign": (
                _jumps_unsigned,
                "a unit with w1_i < 0 switches OFF as x grows through its kink: its jumps are −w2_i and −w2_i x_i.",
            ),
            "x missing": (
                _jumps_without_x,
                "∂y/∂w1_i = w2_i x when the unit is on, so its jump is w2_i times the kink's position x_i.",
            ),
        },
    ),
    Question(
        qid="05.directional_derivative",
        func_name="directional_derivative",
        arg_names=("x", "params", "direction"),
        public=_dir_public,
        oracle=ref.autograd_directional,
        reference=ref.directional_derivative,
        hidden=_dir_hidden,
        mistakes={
            "no b2": (_dir_without_b2, "the step of b2 is missing: ∂y/∂b2 = 1 contributes Δb2 at every x."),
            "x missing": (_dir_without_x, "the w1 steps lack the factor x of ∂y/∂w1_i = w2_i·1[on]·x."),
        },
    ),
)
