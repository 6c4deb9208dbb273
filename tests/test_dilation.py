"""course_utils.dilation (04_dilated_convolution): coverage maps, measured receptive fields, the panel."""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from torch import nn

from course_utils import (
    coverage_figure,
    coverage_map,
    dilated_kernel_figure,
    dilation_explorer,
    measure_receptive_field,
    receptive_field,
)
from course_utils.conv.receptive import layer_specs
from course_utils.dilation import _coverage_1d


def paths_1d(kernel: int, dilations: list[int]) -> np.ndarray:
    """Independent path count along one axis (stride 1): enumerate every choice of taps."""
    field = 1 + sum(d * (kernel - 1) for d in dilations)
    counts = np.zeros(field)
    for taps in itertools.product(range(kernel), repeat=len(dilations)):
        counts[sum(t * d for t, d in zip(taps, dilations, strict=True))] += 1
    return counts


@settings(max_examples=120)
@given(kernel=st.integers(1, 4), dilations=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_coverage_map_counts_every_path(kernel, dilations):
    expected = np.outer(paths_1d(kernel, dilations), paths_1d(kernel, dilations))
    got = coverage_map([(kernel, 1, d) for d in dilations]).numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(_coverage_1d(kernel, dilations), paths_1d(kernel, dilations))


def test_measure_matches_formula_on_1500_random_stacks():
    rng = random.Random(5)
    mismatches = []
    for _ in range(1500):
        specs = [((rng.randint(1, 5), rng.randint(1, 5)), (rng.randint(1, 3), rng.randint(1, 3)),
                  (rng.randint(1, 4), rng.randint(1, 4))) for _ in range(rng.randint(1, 3))]
        if receptive_field(specs) != measure_receptive_field(specs):
            mismatches.append(specs)
    assert not mismatches, mismatches[:3]


def test_measure_with_modules_including_max_pooling():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, dilation=2),
                        nn.MaxPool2d(3, stride=2, dilation=2))
    assert measure_receptive_field(net) == receptive_field(net) == (20, 20)


def test_gridding_numbers():
    gridded = coverage_map([(3, 1, 2)] * 3)
    hybrid = coverage_map([(3, 1, 1), (3, 1, 2), (3, 1, 5)])
    assert tuple(gridded.shape) == (13, 13) and int((gridded > 0).sum()) == 49
    assert tuple(hybrid.shape) == (17, 17) and int((hybrid > 0).sum()) == 289
    # the total number of paths is 9 ** 3 whatever the dilations
    assert gridded.sum().item() == hybrid.sum().item() == 9**3


def test_coverage_map_holes_over_every_panel_setting():
    """The panel's 2D coverage map has holes exactly when the 1D offsets a stack reaches leave a gap
    (the rule notebook 04 states is checked against those offsets in its facts test). Every common
    factor leaves holes; of the 115 triples without one, this many still do, per kernel size:"""
    coprime_with_holes = {k: 0 for k in range(2, 6)}
    for k in range(2, 6):
        for ds in itertools.product(range(1, 6), repeat=3):
            offsets = {0}
            for d in ds:
                offsets = {o + t * d for o in offsets for t in range(k)}
            no_holes = bool((coverage_map([(k, 1, d) for d in ds]) > 0).all())
            assert no_holes == (len(offsets) == max(offsets) + 1), (k, ds)
            if math.gcd(*ds) > 1:
                assert not no_holes, (k, ds)
            elif not no_holes:
                coprime_with_holes[k] += 1
    assert coprime_with_holes == {2: 93, 3: 66, 4: 57, 5: 54}


def test_explorer_right_plot_is_labelled_as_the_one_axis_profile():
    explorer = dilation_explorer()
    assert "right: paths per offset along one axis" in explorer.caption
    titles = [ax.get_title() for ax in explorer.fig.axes]
    assert "paths per offset along one axis: 7 of 13 reached" in titles
    profile = _coverage_1d(3, (2, 2, 2))
    grad = coverage_map([(3, 1, 2)] * 3).numpy()
    np.testing.assert_array_equal(grad, np.outer(profile, profile))   # what "outer product" claims


def test_coverage_map_margin_and_specs():
    assert tuple(coverage_map([(3, 2, 1), (3, 1, 1)], margin=1).shape) == (7 + 2 * 2, 7 + 2 * 2)
    assert layer_specs([nn.Conv2d(1, 1, (3, 5), stride=2)]) == [((3, 5), (2, 2), (1, 1))]
    with pytest.raises(ValueError, match="margin must be 0 or more"):
        coverage_map([(3, 1, 1)], margin=-1)
    with pytest.raises(ValueError, match="at least one"):
        coverage_map([])
    with pytest.raises(TypeError, match="layers must be"):
        coverage_map(3)
    with pytest.raises(ValueError, match="2D layer"):
        coverage_map([nn.Conv3d(1, 1, 3)])


def test_figures_and_their_messages():
    assert isinstance(dilated_kernel_figure(3, (1, 2, 3)), Figure)
    assert isinstance(coverage_figure({"a": [(3, 1, 2)] * 3}), Figure)
    with pytest.raises(ValueError, match="dilations must contain"):
        dilated_kernel_figure(3, ())
    with pytest.raises(ValueError, match=r"dilations\[1\] must be positive"):
        dilated_kernel_figure(3, (1, 0))
    with pytest.raises(ValueError, match="stacks must contain"):
        coverage_figure({})


def test_explorer_factory_messages():
    with pytest.raises(ValueError, match="kernel_size must be between 2 and 5 in this panel, got 7"):
        dilation_explorer(kernel_size=7)
    with pytest.raises(ValueError, match="kernel_size must be between 2 and 5 in this panel, got 1"):
        dilation_explorer(kernel_size=1)
    with pytest.raises(ValueError, match="dilations must have 3 entries"):
        dilation_explorer(dilations=(1, 2))
    with pytest.raises(ValueError, match=r"dilations\[2\] must be between 1 and 5 in this panel, got 9"):
        dilation_explorer(dilations=(1, 2, 9))


@pytest.mark.slow
def test_dilation_explorer_sweep():
    """Every kernel size and every first dilation, with the other two over their whole range
    in steps: each setting renders a figure whose caption agrees with the formula."""
    explorer = dilation_explorer()
    seen = 0
    for values in explorer.sweep(choices={"d2": [1, 3, 5], "d3": [1, 2, 4, 5]}):
        assert explorer.unexpected is None, values
        assert not explorer.message, (values, explorer.message)
        assert explorer.png.startswith(b"\x89PNG")
        layers = [(values["kernel"], 1, values[f"d{i}"]) for i in (1, 2, 3)]
        field = receptive_field(layers)
        assert f"receptive_field: {field} x {field}; autograd: {field} x {field}" in explorer.caption
        seen += 1
    assert seen == 4 * 5 * 3 * 4
    assert explorer.values == {"kernel": 3, "d1": 2, "d2": 2, "d3": 2}


def test_dilated_kernel_figure_draws_the_taps_torch_uses():
    """The orange cells of each panel are where a dilated kernel reads: the non-zero
    gradient of a conv2d with that dilation."""
    fig = dilated_kernel_figure(3, (1, 2, 4))
    for ax, d in zip(fig.axes, (1, 2, 4), strict=True):
        span = 2 * d + 1
        x = torch.zeros(1, 1, span, span, requires_grad=True)
        torch.nn.functional.conv2d(x, torch.ones(1, 1, 3, 3), dilation=d).sum().backward()
        taps = np.ma.filled(ax.images[0].get_array(), 0) > 0
        np.testing.assert_array_equal(taps, x.grad[0, 0].numpy() != 0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: coverage_map([(10**9, 1, 1)]), ValueError,
         r"^coverage_map of a 1000000000 x 1000000000 receptive field \(margin 0\) would hold"),
        (lambda: coverage_map([(3, 1, 1)], margin=10**9), ValueError, r"\(margin 1000000000\) would hold"),
        (lambda: coverage_map([(2000, 1, 1), (2000, 1, 1)]), ValueError,
         r"^coverage_map for these layers would need 16,000,004,000,000 multiply-adds"),
        (lambda: measure_receptive_field([(3, 1, 10**9)]), ValueError, r"^coverage_map of a 2000000001 x"),
        (lambda: coverage_map([(3, 1, 0)]), ValueError, r"dilation must be positive, got 0"),
        (lambda: coverage_map([(3.5, 1, 1)]), TypeError, r"kernel_size must be a whole number, got 3.5"),
        (lambda: coverage_map([(3, 1, 1)], margin=1.0), TypeError, r"^margin must be a whole number"),
        (lambda: dilated_kernel_figure(10**9), ValueError,
         r"^kernel_size \(1000000000\) with dilations up to 3 spans d\(k-1\)\+1 = 2999999998 cells; this figure draws at most 32"),
        (lambda: dilated_kernel_figure(3, (1, 10**9)), ValueError, r"with dilations up to 1000000000 spans"),
        (lambda: dilated_kernel_figure(3, 2), TypeError, r"^dilations must be a list of dilations"),
        (lambda: dilated_kernel_figure(3, [1] * 50), ValueError, r"^dilations must contain at most 8"),
        (lambda: dilated_kernel_figure(0), ValueError, r"^kernel_size must be positive, got 0"),
        (lambda: coverage_figure([[(3, 1, 1)]]), TypeError, r"^stacks must be a dict \{label: layers\}, got list"),
        (lambda: coverage_figure({str(i): [(3, 1, 1)] for i in range(20)}), ValueError,
         r"^stacks must contain 1 to 8 stacks"),
        (lambda: coverage_figure({"big": [(10**6, 1, 1)]}), ValueError, r"^stacks\['big'\]: coverage_map of a 1000000 x"),
        (lambda: coverage_figure({"a": "conv"}), TypeError, r"^stacks\['a'\]: layers must be an nn.Sequential"),
    ],
)
def test_bad_input_is_refused_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5


def test_a_large_but_cheap_stack_is_still_measured():
    """The work limit leaves real networks alone: 15 layers of 3x3 with three stride-2 pools."""
    layers = [(3, 1, 1)] * 5 + [(2, 2, 1)] + [(3, 1, 1)] * 5 + [(2, 2, 1)] + [(3, 1, 1)] * 5 + [(2, 2, 1)]
    assert measure_receptive_field(layers) == (receptive_field(layers),) * 2
