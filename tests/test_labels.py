"""coursekit.grading.labels: inputs that print as a short label in feedback."""

import copy

import numpy as np

from coursekit.grading.labels import Labeled, LabeledList, Named


def test_labeled_dict_prints_short_and_copies_deeply():
    params = {"W1": np.zeros((2, 3)), "b1": np.ones(2)}
    labeled = Labeled(params, "params(small)")
    assert repr(labeled) == "params(small)" and labeled == params
    twin = copy.deepcopy(labeled)
    assert isinstance(twin, Labeled) and repr(twin) == "params(small)"
    twin["W1"][0, 0] += 1.0
    assert twin["W1"][0, 0] != labeled["W1"][0, 0]


def test_labeled_list_prints_short_and_copies_deeply():
    layers = LabeledList([(np.ones((2, 2)), np.zeros(2))], "layers(2-2)")
    twin = copy.deepcopy(layers)
    assert isinstance(twin, LabeledList) and repr(twin) == "layers(2-2)"
    twin[0][0][0, 0] = 5.0
    assert layers[0][0][0, 0] == 1.0


def test_named_function_calls_through_and_prints_its_label():
    f = Named(lambda x, scale=1.0: scale * x.sum(), "f(x) = Σ x_i")
    assert f(np.arange(4.0)) == 6.0 and f(np.arange(4.0), scale=2.0) == 12.0
    assert repr(f) == "f(x) = Σ x_i" and f.label == "f(x) = Σ x_i"
    assert repr(copy.deepcopy(f)) == "f(x) = Σ x_i"
