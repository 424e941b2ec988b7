"""Inputs that print as a short label in feedback.

A failing check quotes the inputs it used (``multibranch_backward(params=..., cache=...)``); the
full repr of a dict of arrays or of a torch function would bury the message. These wrappers
behave as what they wrap and print as the label given.
"""

import copy
from collections.abc import Callable
from typing import Any


class _Label:
    """Mixed into a container type ``_plain``: prints as ``label``; a deep copy keeps the label."""

    _plain: type

    def __init__(self, data, label: str):
        super().__init__(data)
        self.label = label

    def __repr__(self) -> str:
        return self.label

    def __deepcopy__(self, memo):
        return type(self)(copy.deepcopy(self._plain(self), memo), self.label)


class Labeled(_Label, dict):
    """A dict that prints as a short label: ``Labeled(params, "params(B=4, D=3)")``."""

    _plain = dict


class LabeledList(_Label, list):
    """A list that prints as a short label."""

    _plain = list


class Named:
    """A function that prints as a short label: ``Named(lambda x: x.sum(), "f(x) = Σ x_i")``."""

    def __init__(self, func: Callable[..., Any], label: str):
        self.func, self.label = func, label

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return self.label
