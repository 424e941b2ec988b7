"""Plain data between the grader and a student's process: JSON frames, never pickle.

A frame is an 8-byte big-endian length followed by that many bytes of UTF-8 JSON. Values are
JSON's own types plus a few tagged objects, each a dict with one key:

* ``{"__nd__": [dtype, shape, base64 bytes]}``: a NumPy array of a numeric or bool dtype,
* ``{"__tuple__": [...]}``, ``{"__set__": [...]}``, ``{"__frozenset__": [...]}``,
* ``{"__float__": "nan" | "inf" | "-inf"}``, ``{"__complex__": [re, im]}``,
* ``{"__dict__": [[key, value], ...]}``: a dict whose keys are not all strings,
* ``{"__record__": ["coursekit.module:Class", {field: value}]}``: a coursekit dataclass or
  named tuple (only coursekit's own types are rebuilt),
* ``{"__callback__": index}``: a function of the sender that the receiver may call back,
* ``{"__opaque__": [type name, repr]}``: anything else; it decodes to an :class:`Opaque` that
  compares unequal to everything, so a grader never runs code it received.

Decoding only builds these types; a malformed frame raises :class:`WireError`.
"""

import base64
import dataclasses
import importlib
import json
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_FRAME = 256 * 2**20  # bytes
_ALLOWED_KINDS = set("biufc")  # bool, int, unsigned, float, complex
_TAGS = (
    "__record__",
    "__callback__",
    "__nd__",
    "__tuple__",
    "__set__",
    "__frozenset__",
    "__float__",
    "__complex__",
    "__dict__",
    "__opaque__",
)


class WireError(ValueError):
    """A frame that is not well-formed plain data, or too large."""


@dataclass(frozen=True, eq=False)
class Opaque:
    """An object the other side could not send as plain data: its type name and repr. It
    equals nothing, not even itself, so no check can pass by comparing with one."""

    type_name: str
    text: str

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text[:200]}>"


def encode(value: Any, callbacks: list | None = None, _depth: int = 0) -> Any:
    """``value`` as JSON-ready data (see the module docstring for the tags). With a list
    ``callbacks``, a function inside ``value`` is appended to it and sent as its index."""
    if _depth > 64:
        raise WireError("value nested more than 64 levels deep")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [encode(value.real), encode(value.imag)]}
    if isinstance(value, np.generic):
        return encode(value.item(), callbacks, _depth)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            return _opaque(value)
        arr = np.array(value, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode()]}
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor":  # no torch import here
        return encode(value.detach().cpu().numpy(), callbacks, _depth)
    d = _depth + 1

    def enc(v: Any) -> Any:
        return encode(v, callbacks, d)

    record = _record_class(type(value))
    if record is not None:
        fields = (
            value._asdict()
            if isinstance(value, tuple)
            else {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        )
        return {"__record__": [record, {k: enc(v) for k, v in fields.items()}]}
    if isinstance(value, tuple):
        return {"__tuple__": [enc(v) for v in value]}
    if isinstance(value, list):
        return [enc(v) for v in value]
    if isinstance(value, frozenset):
        return {"__frozenset__": [enc(v) for v in _sorted(value)]}
    if isinstance(value, set):
        return {"__set__": [enc(v) for v in _sorted(value)]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in value):
            return {k: enc(v) for k, v in value.items()}
        return {"__dict__": [[enc(k), enc(v)] for k, v in value.items()]}
    if callbacks is not None and callable(value) and not isinstance(value, type):
        callbacks.append(value)
        return {"__callback__": len(callbacks) - 1}
    return _opaque(value)


def _record_class(cls: type) -> str | None:
    """``"module:qualname"`` of a coursekit dataclass or named tuple, else None."""
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith("coursekit."):
        return None
    if dataclasses.is_dataclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        return f"{module}:{cls.__qualname__}"
    return None


def _load_record(spec: str) -> type:
    module, _, qualname = str(spec).partition(":")
    public = all(p.isidentifier() and not p.startswith("_") for p in qualname.split("."))
    if not module.startswith("coursekit.") or not public:
        raise WireError(f"{spec!r} is not a coursekit record type")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type) or _record_class(obj) is None:
        raise WireError(f"{spec!r} is not a coursekit record type")
    return obj


def decode(data: Any, make_callback: Callable[[int], Any] | None = None, _depth: int = 0) -> Any:
    """The value ``encode`` produced ``data`` from; raises ``WireError`` on anything else.
    ``make_callback(index)`` stands in for a function the other side sent as a callback."""
    if _depth > 66:
        raise WireError("data nested too deeply")
    if data is None or isinstance(data, bool | int | float | str):
        return data
    d = _depth + 1
    if isinstance(data, list):
        return [decode(v, make_callback, d) for v in data]
    if not isinstance(data, dict):
        raise WireError(f"unexpected {type(data).__name__} in a frame")
    if len(data) == 1:
        ((tag, body),) = data.items()
        if tag in _TAGS:
            return _decode_tagged(tag, body, make_callback, d)
    return {k: decode(v, make_callback, d) for k, v in data.items()}


def _decode_tagged(tag: str, body: Any, make_callback: Callable[[int], Any] | None, d: int) -> Any:
    def decode(v: Any, _d: int) -> Any:
        return _decode_any(v, make_callback, _d)

    try:
        if tag == "__callback__":
            if make_callback is None or not isinstance(body, int):
                raise WireError("a callback where none can be answered")
            return make_callback(body)
        if tag == "__record__":
            spec, fields = body
            cls = _load_record(spec)
            return cls(**{str(k): decode(v, d) for k, v in fields.items()})
        if tag == "__nd__":
            dtype, shape, payload = body
            dt = np.dtype(str(dtype))
            if dt.kind not in _ALLOWED_KINDS or dt.hasobject:
                raise WireError(f"array of dtype {dt} is not plain data")
            shape = tuple(int(n) for n in shape)
            raw = base64.b64decode(payload, validate=True)
            if math.prod(shape) * dt.itemsize != len(raw):
                raise WireError(f"array of shape {shape} and dtype {dt} does not match its {len(raw)} bytes")
            return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        if tag == "__tuple__":
            return tuple(decode(v, d) for v in body)
        if tag == "__set__":
            return {decode(v, d) for v in body}
        if tag == "__frozenset__":
            return frozenset(decode(v, d) for v in body)
        if tag == "__float__":
            if body not in ("nan", "inf", "-inf"):
                raise WireError(f"bad float {body!r}")
            return float(body)
        if tag == "__complex__":
            re, im = (decode(v, d) for v in body)
            return complex(float(re), float(im))
        if tag == "__dict__":
            return {decode(k, d): decode(v, d) for k, v in body}
        type_name, text = body
        return Opaque(str(type_name), str(text))
    except WireError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, ImportError) as exc:
        raise WireError(f"malformed {tag}: {exc}") from None


_decode_any = decode


def _opaque(value: Any) -> dict:
    try:
        text = repr(value)[:500]
    except Exception:  # a hostile __repr__ must not break the protocol
        text = "?"
    return {"__opaque__": [type(value).__qualname__, text]}


def _sorted(items: Any) -> list:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def dumps(message: Any) -> bytes:
    """A frame holding ``message`` (already encoded with :func:`encode`)."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_FRAME:
        raise WireError(f"message of {len(body)} bytes exceeds the {MAX_FRAME}-byte limit")
    return struct.pack(">Q", len(body)) + body


def write_frame(fd: int, message: Any) -> None:
    """Write one frame to the file descriptor ``fd``."""
    data = memoryview(dumps(message))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def parse(body: bytes) -> Any:
    """The JSON of one frame's body; raises ``WireError`` if it is not valid JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"frame is not valid JSON: {exc}") from None


def read_frame(fd: int) -> Any:
    """Read one frame from ``fd`` (blocking); ``EOFError`` when the other side has closed."""
    header = _read_exact(fd, 8)
    (size,) = struct.unpack(">Q", header)
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
    return parse(_read_exact(fd, size))


def _read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 2**20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
