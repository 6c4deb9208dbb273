"""conv/receptive.py (04_dilated_convolution): coverage maps and measured receptive fields.

The figures and the panel of 04 are tested in test_scene_receptive.py."""

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
from torch import nn

from course_utils import coverage_map, measure_receptive_field, receptive_field
from course_utils.conv.receptive import layer_specs


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


def test_coverage_and_measure_switch_autograd_on_for_themselves(grad_off):
    """A learner may call them inside torch.no_grad(), torch.inference_mode() or after
    torch.set_grad_enabled(False): the results are the same, and the learner's mode is kept."""
    specs = [(3, 1, 1), ((3, 2), (2, 1), (2, 1)), (3, 1, 5)]
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, dilation=2))
    expected = [coverage_map(specs), coverage_map(specs, margin=2), coverage_map(net)]
    fields = [measure_receptive_field(specs), measure_receptive_field(net)]
    with grad_off():
        got = [coverage_map(specs), coverage_map(specs, margin=2), coverage_map(net)]
        got_fields = [measure_receptive_field(specs), measure_receptive_field(net)]
    for g, e in zip(got, expected, strict=True):
        assert torch.equal(g, e) and not g.requires_grad
    assert got_fields == fields == [receptive_field(specs), receptive_field(net)]


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
