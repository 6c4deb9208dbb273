"""The panel factories' argument checks (never clamped, never changed) and the sampling helpers of
01_rand_vs_randn. The Explorer itself is tested in test_svg_and_view.py."""

from __future__ import annotations

import json
import random
import statistics
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_utils import (
    conv2d_explorer,
    conv_matrix_explorer,
    dilation_explorer,
    histogram_explorer,
    overlap_explorer,
    scatter_explorer,
)
from course_utils.distributions import describe, draw_histogram, histogram_scene, sample
from course_utils.panels.explorer import check_option, checked_slider
from course_utils.scenes import check_scene


def test_checked_slider_and_check_option_refuse_instead_of_clamping():
    bins = checked_slider("bins", np.int64(40), 5, 100, step=5)
    assert (bins.value, bins.min, bins.max, bins.step, bins.description) == (40, 5, 100, 5, "bins")
    assert type(bins.value) is int
    assert checked_slider("input_size", 4, 1, 4).description == "input size"  # "_" shown as a space
    assert checked_slider("kernel", 3, 1, 5, label="kernel_size").description == "kernel_size"
    with pytest.raises(ValueError, match=r"^input_size must be between 1 and 4 in this panel, got 10$"):
        checked_slider("input_size", 10, 1, 4)
    with pytest.raises(ValueError, match=r"^bins must be a multiple of 5 between 5 and 100 in this panel, got 42$"):
        checked_slider("bins", 42, 5, 100, step=5)
    with pytest.raises(TypeError, match=r"^input_size must be a whole number, got '4' \(str\)$"):
        checked_slider("input_size", "4", 1, 4)
    assert check_option("padding", np.int64(1), [0, 1, "same"]) == 1
    with pytest.raises(TypeError, match=r"padding must be one of 0, 1, 'same'; got True \(bool\)"):
        check_option("padding", True, [0, 1, "same"])
    with pytest.raises(TypeError, match=r"padding must be one of 0, 1, 'same'; got 1.0 \(float\)"):
        check_option("padding", 1.0, [0, 1, "same"])
    with pytest.raises(ValueError, match=r"distribution must be one of 'both', 'rand'; got 'uniform'"):
        check_option("distribution", "uniform", ["both", "rand"])


def _values_of(factory, kwargs):
    """What a factory's controls should hold for ``kwargs`` (dilation_explorer renames its arguments)."""
    if factory is dilation_explorer:
        d = kwargs.get("dilations", (2, 2, 2))
        return {"kernel": kwargs.get("kernel_size", 3), "d1": d[0], "d2": d[1], "d3": d[2]}
    return kwargs


VALID_SETTINGS = [
    (histogram_explorer, {"distribution": "rand", "sample_size": 10, "bins": 5, "seed": 9}),
    (histogram_explorer, {"distribution": "randn", "sample_size": 1_000, "bins": 100, "seed": 0}),
    (histogram_explorer, {"distribution": "both", "sample_size": 100, "bins": 55, "seed": 4}),
    (conv2d_explorer, {"height": 1, "width": 8, "kernel": 1, "stride": 3, "padding": "valid", "dilation": 3,
                       "groups": 2, "padding_mode": "reflect"}),
    (conv2d_explorer, {"height": 8, "width": 4, "kernel": 5, "stride": 1, "padding": "same", "dilation": 2,
                       "groups": 4, "padding_mode": "circular"}),
    (conv2d_explorer, {"height": 5, "width": 5, "kernel": 5, "stride": 2, "padding": 0, "dilation": 1,
                       "groups": 1, "padding_mode": "zeros"}),
    (dilation_explorer, {"kernel_size": 2, "dilations": (1, 5, 3)}),
    (dilation_explorer, {"kernel_size": 5, "dilations": [5, 5, 5]}),
    (conv_matrix_explorer, {"input_size": 2, "kernel_size": 4, "stride": 3, "padding": 1, "dilation": 1}),
    (conv_matrix_explorer, {"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 0, "dilation": 2}),
    (conv_matrix_explorer, {"input_size": 3, "kernel_size": 1, "stride": 1, "padding": 2, "dilation": 3}),
    (scatter_explorer, {"input_size": 4, "kernel_size": 3, "stride": 3, "dilation": 2, "output_padding": 2,
                        "padding": 3}),
    (scatter_explorer, {"input_size": 1, "kernel_size": 1, "stride": 1, "dilation": 2, "output_padding": 1,
                        "padding": 0}),
    (scatter_explorer, {"input_size": 3, "kernel_size": 2, "stride": 2, "dilation": 1, "output_padding": 1,
                        "padding": 2}),
]


@pytest.mark.parametrize(("factory", "kwargs"), VALID_SETTINGS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(VALID_SETTINGS)])
def test_factories_hold_exactly_the_arguments(factory, kwargs):
    panel = factory(**kwargs)
    expected = _values_of(factory, kwargs)
    assert {name: panel.values[name] for name in expected} == expected
    assert panel.unexpected is None


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: scatter_explorer(input_size=10), ValueError, r"^input_size must be between 1 and 4 in this panel, got 10$"),
        (lambda: scatter_explorer(stride=0), ValueError, r"^stride must be between 1 and 3 in this panel, got 0$"),
        (lambda: scatter_explorer(stride=1, output_padding=1), ValueError,
         r"^output_padding \(1\) must be smaller than stride \(1\) or dilation \(1\)$"),
        (lambda: scatter_explorer(input_size=1, kernel_size=1, padding=1), ValueError, r"^padding \(1\) crops 2"),
        (lambda: scatter_explorer(kernel_size=2.0), TypeError, r"^kernel_size must be a whole number, got 2.0"),
        (lambda: histogram_explorer(bins=0), ValueError, r"^bins must be a multiple of 5 between 5 and 100"),
        (lambda: histogram_explorer(bins=42), ValueError, r"^bins must be a multiple of 5 between 5 and 100"),
        (lambda: histogram_explorer(seed=10), ValueError, r"^seed must be between 0 and 9 in this panel, got 10$"),
        (lambda: histogram_explorer(distribution="uniform"), ValueError,
         r"^distribution must be one of 'both', 'rand', 'randn'; got 'uniform'$"),
        (lambda: histogram_explorer(sample_size=500), ValueError, r"^sample_size must be one of 10, 100, 1000"),
        (lambda: histogram_explorer(sample_size=10.0), TypeError, r"^sample_size must be one of .* got 10.0 \(float\)"),
        (lambda: conv_matrix_explorer(input_size="4"), TypeError, r"^input_size must be a whole number, got '4'"),
        (lambda: conv_matrix_explorer(input_size=2, kernel_size=4, padding=0), ValueError,
         r"^kernel_size \(4\) is larger than the padded input \(2 \+ 2\*0 = 2\)$"),
        (lambda: conv_matrix_explorer(input_size=2, kernel_size=2, dilation=3), ValueError,
         r"^kernel_size \(2 with dilation 3 spans 4\) is larger than the padded input"),
        (lambda: conv_matrix_explorer(padding=3), ValueError, r"^padding must be between 0 and 2 in this panel"),
        (lambda: conv2d_explorer(padding=True), TypeError, r"^padding must be one of 0, 1, 2, 3, 'valid', 'same'; got True"),
        (lambda: conv2d_explorer(groups=2.0), TypeError, r"^groups must be one of 1, 2, 4; got 2.0 \(float\)"),
        (lambda: conv2d_explorer(kernel=0), ValueError, r"^kernel must be between 1 and 5 in this panel, got 0$"),
        (lambda: dilation_explorer(dilations=2), ValueError, r"^dilations must have 3 entries \(one per layer\), got 2$"),
        (lambda: dilation_explorer(dilations=(1, 2, True)), TypeError, r"^dilations\[2\] must be a whole number"),
        (lambda: histogram_explorer().snapshot(step=0), ValueError, r"^step: this panel draws a plot, which has no steps"),
        (lambda: overlap_explorer().snapshot(step=0), ValueError, r"^step: this panel's drawing has no steps"),
        (lambda: conv_matrix_explorer().snapshot(step=-1), ValueError, r"^step must be a whole number from 1 to 4 \(the player's step n of 4\), got -1$"),
    ],
)
def test_factories_refuse_instead_of_clamping(call, error, match):
    with pytest.raises(error, match=match):
        call()


FACTORY_ARGUMENTS = {  # each argument: values its control can show, and values just outside or of a wrong type
    histogram_explorer: {"distribution": (["both", "rand", "randn"], ["uniform"]),
                         "sample_size": ([10, 100, 1_000], [50, 10.0]),
                         "bins": ([5, 45, 100], [0, 47, 105]), "seed": ([0, 5, 9], [-1, 10])},
    conv2d_explorer: {"height": ([1, 4, 8], [0, 9]), "width": ([1, 3, 8], [0, 9]), "kernel": ([1, 3, 5], [0, 6]),
                      "stride": ([1, 2, 3], [0, 4]), "padding": ([0, 1, 3, "valid", "same"], [4, "full", True]),
                      "dilation": ([1, 2, 3], [0, 4]), "groups": ([1, 2, 4], [3, 8]),
                      "padding_mode": (["zeros", "reflect", "replicate", "circular"], ["mirror"])},
    conv_matrix_explorer: {"input_size": ([2, 3, 5], [1, 6]), "kernel_size": ([1, 2, 4], [0, 5]),
                           "stride": ([1, 2, 3], [0, 4]), "padding": ([0, 1, 2], [-1, 3]),
                           "dilation": ([1, 2, 3], [0, 4]), "transposed": ([False, True], ["yes"])},
    scatter_explorer: {"input_size": ([1, 2, 4], [0, 5]), "kernel_size": ([1, 2, 3], [0, 4]),
                       "stride": ([1, 2, 3], [0, 4]), "dilation": ([1, 2], [0, 3]),
                       "output_padding": ([0, 1, 2], [-1, 3]), "padding": ([0, 1, 3], [-1, 4])},
}


@pytest.mark.slow
@pytest.mark.parametrize("factory", list(FACTORY_ARGUMENTS), ids=lambda f: f.__name__)
def test_factories_never_change_an_argument(factory):
    """Random arguments, now and then one outside its control's range: the factory refuses
    them with a ValueError/TypeError, or every control holds exactly the value passed."""
    rng = random.Random(0)
    built = refused = 0
    for _ in range(200):
        kwargs = {name: rng.choice(bad if rng.random() < 0.08 else good)
                  for name, (good, bad) in FACTORY_ARGUMENTS[factory].items()}
        try:
            panel = factory(**kwargs)
        except (ValueError, TypeError):
            refused += 1
            continue
        built += 1
        assert panel.values == kwargs and panel.unexpected is None, kwargs
    assert built >= 10 and refused >= 5, (built, refused)


def test_conv2d_explorer_refuses_huge_channel_counts_at_once():
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"^in_channels must be between 1 and 64: the diagram draws one cell"):
        conv2d_explorer(in_channels=10**9)
    with pytest.raises(ValueError, match=r"^out_channels must be between 1 and 64"):
        conv2d_explorer(out_channels=10**12)
    assert time.perf_counter() - start < 0.5


# --- distributions (01_rand_vs_randn) ----------------------------------------------------------

def test_sample_hands_out_a_copy_of_its_cache():
    values = sample("randn", 1_000, seed=3)
    reference = torch.randn(1_000, generator=torch.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(values, reference)
    values *= 2
    values[:10] = np.nan
    np.testing.assert_array_equal(sample("randn", 1_000, seed=3), reference)


@pytest.mark.parametrize(
    "values",
    [torch.randn(50, requires_grad=True), torch.randn(50).half(), torch.randn(50).bfloat16(),
     torch.arange(-3, 7), np.arange(5, dtype=np.uint8), [1, 2, 3.5]],
    ids=["requires_grad", "half", "bfloat16", "int64", "uint8", "list"],
)
def test_describe_agrees_with_torch_for_every_dtype(values):
    t = torch.as_tensor(values).detach().double()
    stats = describe(values)
    assert stats == pytest.approx({"mean": t.mean().item(), "variance": t.var(unbiased=False).item(),
                                   "min": t.min().item(), "max": t.max().item()})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: describe(torch.tensor([1.0, float("nan")])), ValueError, r"^values contains 1 NaN or inf"),
        (lambda: describe(np.array([np.inf, 1])), ValueError, r"^values contains 1 NaN or inf"),
        (lambda: describe(torch.zeros(0)), ValueError, r"^values must contain at least one number"),
        (lambda: describe(["a", "b"]), TypeError, r"^values must hold real numbers"),
        (lambda: describe(torch.ones(2, dtype=torch.complex64)), TypeError, r"^values must hold real numbers"),
        (lambda: sample("rand", 10**9), ValueError, r"^n must be at most 10,000,000"),
        (lambda: sample("rand", 0), ValueError, r"^n must be positive, got 0"),
        (lambda: sample("uniform", 10), ValueError, r"^name must be one of 'rand', 'randn'"),
        (lambda: draw_histogram(Figure(), bins=10**9), ValueError, r"^bins must be at most 1,000"),
        (lambda: draw_histogram(Figure(), sample_size=10**9), ValueError, r"^sample_size must be at most 10,000,000"),
        (lambda: draw_histogram(Figure(), bins=0), ValueError, r"^bins must be positive"),
        (lambda: draw_histogram(Figure(), seed=-1), ValueError, r"^seed must be 0 or more"),
        (lambda: histogram_scene(bins=10**9), ValueError, r"^bins must be at most 1,000"),
        (lambda: histogram_scene(sample_size=10**9), ValueError, r"^sample_size must be at most 10,000,000"),
        (lambda: histogram_scene(distribution="uniform"), ValueError, r"^distribution must be one of 'rand'"),
        (lambda: histogram_scene(bins=2.5), TypeError, r"^bins must be a whole number"),
        (lambda: histogram_scene(seed=-1), ValueError, r"^seed must be 0 or more"),
    ],
)
def test_distribution_helpers_refuse_bad_input_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5


def test_histogram_panel_sweeps_as_svg_and_keeps_its_values(capsys):
    """Every setting draws an SVG plot (a drawing scene, JSON-serialisable) with the table as its
    caption; no control ever changes. The SVG is read back bar by bar in test_plotting.py."""
    panel = histogram_explorer()
    count = 0
    for values in panel.sweep({"sample_size": [10, 1_000_000], "bins": [5, 100], "seed": [3]}):
        count += 1
        assert panel.unexpected is None and not panel.error and panel.values == values
        assert set(panel.scene) == {"svg", "caption"} and check_scene(panel.scene) is panel.scene
        assert panel.markup == panel.scene["svg"] == panel.view.markup
        assert panel.view.links == {} and panel.view.steps == []
        json.dumps(panel.scene)
        root = ET.fromstring(panel.markup)
        drawn = 2 * values["bins"] if values["distribution"] == "both" else values["bins"]
        title = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "title"]
        assert title == [f"{values['sample_size']:,} samples, {drawn} bins on "
                         f"{'[0, 1]' if values['distribution'] == 'rand' else '[-4, 4]'}, seed 3"]
        assert panel.caption == "\n".join(panel.scene["caption"])
        assert ("U(0, 1)" in panel.caption) == (values["distribution"] != "randn")
    assert count == 3 * 2 * 2 * 1
    assert panel.values == {"distribution": "both", "sample_size": 10_000, "bins": 40, "seed": 0}
    picture = panel.snapshot()  # the static copy: the same SVG, the table printed above it
    assert picture.data == panel.markup
    assert capsys.readouterr().out == panel.caption + "\n"


def test_histogram_panel_redraws_in_a_few_milliseconds():
    """A redraw is an SVG string, not a rendering (it was a 2x PNG from matplotlib: about 70 ms);
    benchmarks/widget_latency.py measures it. Loose here: shared CI machines are slow."""
    panel = histogram_explorer(sample_size=10_000)
    panel.render_ms.clear()
    for _ in range(3):
        for bins in range(5, 101, 5):
            panel.set(bins=bins)
    assert statistics.median(panel.render_ms) < 25, panel.render_ms
