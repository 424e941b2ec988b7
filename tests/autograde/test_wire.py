"""The grader's wire format: plain data round-trips exactly; anything else is refused.

Frames travel through a real pipe here, as between the grader and a submission's process.
"""

import base64
import json
import math
import os
import struct

import numpy as np
import pytest

from coursekit.autograde import wire
from coursekit.autograde.wire import Opaque, WireError
from coursekit.glove import GloveParams
from coursekit.grading.gradcheck import GradReport, GradRow


def _through_pipe(value, callbacks=None, make_callback=None):
    """``value`` encoded, sent as one frame through a pipe, read back and decoded."""
    r, w = os.pipe()
    try:
        message = wire.encode(value, callbacks)
        size = len(wire.dumps(message))
        assert size < 60000, "keep test frames under a pipe's buffer"
        wire.write_frame(w, message)
        return wire.decode(wire.read_frame(r), make_callback)
    finally:
        os.close(r)
        os.close(w)


def _same(a, b) -> bool:
    """Equal values of equal types, all the way down (NaN equal to NaN, -0.0 not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, complex):
        return _same(a.real, b.real) and _same(a.imag, b.imag)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, GloveParams | GradReport | GradRow):
        return _same(tuple(vars(a).values()) if not isinstance(a, tuple) else tuple(a),
                     tuple(vars(b).values()) if not isinstance(b, tuple) else tuple(b))
    return a == b


ARRAYS = [
    np.array(0.7),  # 0-d
    np.array(3, dtype=np.int8),
    np.array([], dtype=float),
    np.zeros((2, 0, 3)),
    np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    np.arange(12.0).reshape(3, 4).T,  # not contiguous
    np.arange(10)[::3],
    np.array([True, False]),
    np.array([1, 2**63 - 1], dtype=np.int64),
    np.array([0, 65535], dtype=np.uint16),
    np.array([1 + 2j, np.nan * 1j], dtype=np.complex128),
    np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
    np.array([1.5, 2.5], dtype=">f8"),  # big-endian stays big-endian
]


@pytest.mark.parametrize("arr", ARRAYS, ids=[f"{a.dtype.str}{a.shape}" for a in ARRAYS])
def test_arrays_round_trip_exactly(arr):
    back = _through_pipe(arr)
    assert isinstance(back, np.ndarray) and back.flags.writeable
    assert back.dtype == arr.dtype and back.shape == arr.shape
    assert back.tobytes() == np.ascontiguousarray(arr).tobytes()


VALUES = [
    None, True, False, 0, -7, 2**80, 1.25, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324,
    complex(1, -2), complex(float("nan"), float("inf")), "", "text with \"quotes\", \\ and ünïcode ✓",
    np.float32(0.5), np.int64(-3), np.bool_(True),
    [], (), (1,), [1, (2, [3, {"a": (4.5, None)}])], {"k": [1, 2]}, {1: "int key", (2, 3): "tuple key"},
    {"__nd__": "a key that looks like a tag"}, {"__float__": "nan"}, {"__record__": 1, "x": 2},
    {1, 2, 3}, frozenset({"a", "b"}), {("x", 1), ("y", 2)},
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(VALUES)])
def test_plain_values_round_trip(value):
    back = _through_pipe(value)
    expected = value.item() if isinstance(value, np.generic) else value
    assert _same(back, expected), (value, back)


def test_records_round_trip_as_their_own_classes():
    rows = (GradRow("W", (2, 3), 1e-9, 2e-9, (0, 1), 0.5, 0.5, True),)
    report = GradReport(rows, 1e-6)
    params = GloveParams(np.eye(2), np.eye(2), np.zeros((2, 1)), np.ones((2, 1)))
    back = _through_pipe({"report": report, "params": params})
    assert isinstance(back["report"], GradReport) and isinstance(back["report"].rows[0], GradRow)
    assert back["report"] == report and back["report"].ok
    params = back["params"]
    assert isinstance(params, GloveParams) and np.array_equal(params.W, np.eye(2)) and params.b_tilde.shape == (2, 1)


def test_callbacks_are_sent_as_handles_and_called_back():
    calls = []

    def model(x, scale=1.0):
        calls.append(x)
        return x * scale

    callbacks = []
    back = _through_pipe({"model": model, "nested": [(model,)]}, callbacks,
                         make_callback=lambda i: (lambda *a, **k: callbacks[i](*a, **k)))
    assert callbacks == [model, model]
    assert back["model"](2.0, scale=3.0) == 6.0 and back["nested"][0][0](1) == 1 and calls == [2.0, 1]
    with pytest.raises(WireError, match="callback"):
        wire.decode(wire.encode(model, []))  # nobody to answer it


def test_anything_else_arrives_opaque_and_equal_to_nothing():
    class Liar:
        def __eq__(self, other):
            return True

        def __repr__(self):
            raise RuntimeError("no repr for you")

    values = [Liar(), np.array([Liar()], dtype=object), np.array(["a", "b"]), object(), print, int]
    for value in values:
        back = _through_pipe(value)
        assert isinstance(back, Opaque), value
        assert back != back and back != Opaque(back.type_name, back.text) and back != 0, "an Opaque equals nothing"
    assert _through_pipe(Liar()).text == "?"


def test_subclasses_of_plain_types_lose_their_lies():
    class Half(float):
        def __eq__(self, other):
            return True

    class Sub(np.ndarray):
        def __eq__(self, other):
            return True

    assert type(_through_pipe(Half(7.0))) is float and _through_pipe(Half(7.0)) == 7.0
    back = _through_pipe(np.zeros(3).view(Sub))
    assert type(back) is np.ndarray and not (back == np.ones(3)).any()


def _frame(body: bytes) -> bytes:
    return struct.pack(">Q", len(body)) + body


@pytest.mark.parametrize("data, match", [
    ({"__nd__": ["|O8", [1], base64.b64encode(b"\0" * 8).decode()]}, "not plain data"),
    ({"__nd__": ["<U1", [1], base64.b64encode(b"\0" * 4).decode()]}, "not plain data"),
    ({"__nd__": ["<f8", [3], base64.b64encode(b"\0" * 8).decode()]}, "does not match"),
    ({"__nd__": ["<f8", [1], "not base64!"]}, "malformed"),
    ({"__nd__": ["<f8", [1]]}, "malformed"),
    ({"__nd__": ["no such dtype", [1], ""]}, "malformed"),
    ({"__record__": ["os:system", {}]}, "not a coursekit record"),
    ({"__record__": ["coursekit.bundle:_private", {}]}, "not a coursekit record"),
    ({"__record__": ["coursekit.grading.registry:get", {}]}, "not a coursekit record"),
    ({"__record__": ["coursekit.grading.gradcheck:GradReport", {"rows": [], "bogus": 1}]}, "malformed"),
    ({"__float__": "1e400"}, "bad float"),
    ({"__complex__": ["a"]}, "malformed"),
    ({"__callback__": 0}, "callback"),
    ({"__dict__": [[[1], 2]]}, "malformed"),  # an unhashable key
])
def test_malformed_tags_are_refused(data, match):
    with pytest.raises(WireError, match=match):
        wire.decode(data)


def test_malformed_frames_are_refused():
    for body in (b"{not json", b"\xff\xfe", b"[" * 100000 + b"]" * 100000, b""):
        with pytest.raises(WireError):
            wire.parse(body)
    deep = json.loads("[" * 200 + "]" * 200)
    with pytest.raises(WireError, match="deep"):
        wire.decode(deep)
    nested: list = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(WireError, match="deep"):
        wire.encode(nested)
    with pytest.raises(WireError, match="unexpected"):
        wire.decode({"x": object()})


def test_oversized_frames_are_refused_without_reading_them(monkeypatch):
    r, w = os.pipe()
    try:
        os.write(w, struct.pack(">Q", wire.MAX_FRAME + 1) + b"{}")
        with pytest.raises(WireError, match="exceeds"):
            wire.read_frame(r)
    finally:
        os.close(r)
        os.close(w)
    monkeypatch.setattr(wire, "MAX_FRAME", 1000)
    with pytest.raises(WireError, match="exceeds"):
        wire.dumps(wire.encode(np.zeros(1000)))


def test_a_closed_channel_is_end_of_file():
    r, w = os.pipe()
    os.write(w, _frame(b'{"a": 1}')[:6])
    os.close(w)
    try:
        with pytest.raises(EOFError):
            wire.read_frame(r)
    finally:
        os.close(r)
