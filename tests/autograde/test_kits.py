"""Withholding functions from a build of coursekit: the bodies go, signatures and docstrings stay."""

import ast
import textwrap

import pytest

from coursekit.autograde.kits import kit_for, kit_without, withheld_names, withhold_source
from tests.autograde.conftest import ROOT

SOURCE = textwrap.dedent('''
    import math


    def helper(x):
        """Doubles x."""
        return 2 * x


    def one_liner(x): return x + 1


    class Layer:
        scale = 3

        def forward(self, x):
            return helper(x) * self.scale

        class Inner:
            def run(self):
                return "inner"


    def untouched(x):
        return math.sqrt(x)
''')


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<withheld>", "exec"), namespace)  # noqa: S102  (test's own source)
    return namespace


def test_withheld_functions_raise_and_name_themselves():
    ns = _load(withhold_source(SOURCE, ["helper", "one_liner", "Layer.forward", "Layer.Inner.run"]))
    for call, name in ((lambda: ns["helper"](1), "helper"), (lambda: ns["one_liner"](1), "one_liner"),
                       (lambda: ns["Layer"]().forward(1), "Layer.forward"),
                       (lambda: ns["Layer"].Inner().run(), "Layer.Inner.run")):
        with pytest.raises(RuntimeError, match=f"coursekit reference {name} is withheld"):
            call()
    assert ns["helper"].__doc__ == "Doubles x."
    assert ns["Layer"].scale == 3 and ns["untouched"](9) == 3.0


def test_names_the_source_does_not_hold_change_nothing():
    assert ast.dump(ast.parse(withhold_source(SOURCE, ["missing", "Layer.missing", "Layer"]))) == ast.dump(
        ast.parse(SOURCE))


def test_a_withheld_build_of_coursekit():
    from coursekit.transformer import MultiHeadSelfAttention

    kit = kit_for(ROOT / "coursekit")
    without = kit_without(kit, [withheld_names(MultiHeadSelfAttention.forward)])
    assert kit_without(kit, [withheld_names(MultiHeadSelfAttention.forward)]) == without  # built once
    text = (without / "coursekit" / "transformer.py").read_text(encoding="utf-8")
    original = (kit / "coursekit" / "transformer.py").read_text(encoding="utf-8")
    assert "MultiHeadSelfAttention.forward is withheld" in text
    assert "is withheld" not in original
    with pytest.raises(ValueError, match="no module 'coursekit.nowhere'"):
        kit_without(kit, [("coursekit.nowhere", "f")])
