"""The numbers that notebooks 00 and 01 state in prose, computed independently."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from course_utils import set_seed
from course_utils.distributions import THEORY, describe, histogram_explorer, sample
from course_utils.environment import check_environment


def phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_theory_table():
    assert THEORY["rand"]["mean"] == 0.5 and math.isclose(THEORY["rand"]["variance"], 1 / 12)
    assert f"{1 / 12:.4f}" == "0.0833"
    assert THEORY["randn"]["mean"] == 0 and THEORY["randn"]["variance"] == 1


def test_normal_fractions_stated_in_prose():
    assert f"{phi(1) - phi(-1):.1%}" == "68.3%"
    assert f"{phi(3) - phi(-3):.1%}" == "99.7%"
    assert f"{phi(1) - phi(0):.4f}" == "0.3413"  # "only about a third", "about 34%"
    assert f"{1 - phi(1):.0%}" == "16%"  # at or above 1: white when clipped
    assert f"{2 * (1 - phi(2)):.2%}" == "4.55%"  # outside [0, 1] after 0.5 + 0.25 Z


def test_measured_values_agree_with_theory_at_a_million_samples():
    set_seed(0)
    torch.rand(6), torch.randn(6)  # the notebook's first two cells
    for name, values in {"rand": torch.rand(1_000_000), "randn": torch.randn(1_000_000)}.items():
        stats = describe(values)
        assert abs(stats["mean"] - THEORY[name]["mean"]) < 2e-3
        assert abs(stats["variance"] - THEORY[name]["variance"]) < 3e-3
    assert describe(sample("rand", 10_000))["max"] < 1


def test_rand_maximum_is_shown_below_one():
    # The table prints max 1.0000 at four decimals; the line under it shows the value is below 1.
    set_seed(0)
    torch.rand(6), torch.randn(6)
    top = torch.rand(1_000_000).max().item()
    assert f"{top:9.4f}".strip() == "1.0000"  # "its maximum reads 1.0000 at four decimals"
    assert top < 1 and f"{top:.7f}" == "0.9999990" and f"{1 - top:.2e}" == "1.01e-06"
    assert (1 - top) * 2**24 == 17  # a multiple of 2**-24: exact on any CPU, far from a rounding edge


def test_histogram_title_counts_the_bins_drawn():
    # "In the both view the two samplers share one grid on [-4, 4] with twice the slider's bins"
    from matplotlib.figure import Figure

    from course_utils.distributions import draw_histogram

    for bins in (5, 40, 100):
        for distribution, drawn, where in (("both", 2 * bins, "[-4, 4]"), ("rand", bins, "[0, 1]"),
                                           ("randn", bins, "[-4, 4]")):
            fig = Figure()
            draw_histogram(fig, distribution, 1_000, bins, 0)
            view = fig._course_histogram
            assert view.title.get_text() == f"1,000 samples, {drawn} bins on {where}, seed 0"
            for name in ("rand", "randn") if distribution == "both" else (distribution,):
                edges = view.bars[name].get_data().edges
                assert len(edges) - 1 == drawn
                assert (edges[0], edges[-1]) == ((0, 1) if where == "[0, 1]" else (-4, 4))


def test_image_tensor_facts():
    X = torch.rand(size=(1, 3, 320, 480))
    assert tuple(X.shape) == (1, 3, 320, 480) and X.numel() == 460_800
    set_seed(1)
    Y = torch.randn(size=(1, 3, 320, 480))
    outside = ((Y < 0) | (Y > 1)).float().mean().item()
    assert abs(outside - (0.5 + 1 - phi(1))) < 0.005
    assert abs(((0.5 + 0.25 * Y < 0) | (0.5 + 0.25 * Y > 1)).float().mean().item() - 0.0455) < 0.002


def test_histogram_panel_every_setting_renders():
    """Each setting draws into the panel's one figure (the same axes, updated), shown as a PNG at
    twice the figure's dpi in an <img> of the figure's width; no control ever changes."""
    import base64
    import io
    import re

    from PIL import Image

    panel = histogram_explorer()
    fig = panel.scene["figure"]
    axes = list(fig.axes)
    count = 0
    for values in panel.sweep({"bins": [5, 100], "seed": [3]}):
        count += 1
        assert panel.unexpected is None and not panel.error and panel.values == values
        assert panel.scene["figure"] is fig and fig.axes == axes and fig.dpi == 80
        width, data = re.fullmatch(r'<img alt="plot" width="(\d+)" src="data:image/png;base64,([^"]+)">',
                                   panel.markup).groups()
        assert int(width) == 560
        assert Image.open(io.BytesIO(base64.b64decode(data))).size == (1120, 512)
        assert "U(0, 1)" in panel.caption or "N(0, 1)" in panel.caption
        assert panel.caption == "\n".join(panel.scene["caption"])
    assert count == 3 * 6 * 2 * 1
    assert panel.values == {"distribution": "both", "sample_size": 10_000, "bins": 40, "seed": 0}


def test_start_here_colour_example_is_conv2d():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    k = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).reshape(1, 1, 3, 3)
    y = F.conv2d(x, k, padding=1)[0, 0]
    expected = np.zeros((3, 3))
    padded = np.pad(x[0, 0].numpy(), 1)
    for i in range(3):
        for j in range(3):
            expected[i, j] = (padded[i:i + 3, j:j + 3] * k[0, 0].numpy()).sum()
    np.testing.assert_allclose(y.numpy(), expected)


def test_environment_report_reads_the_pins():
    rows = check_environment()
    assert {r.name for r in rows} >= {"torch", "numpy", "matplotlib", "pillow", "ipywidgets"}
    assert all(r.ok for r in rows), [str(r) for r in rows if not r.ok]


def test_histogram_caption_never_shows_the_max_of_rand_as_1():
    """The notebook says 1 never comes out of torch.rand; the panel's table prints min and max with 7
    decimals, enough to show every float32 below 1 (the largest is 1 - 2**-24 = 0.99999994) below 1."""
    from matplotlib.figure import Figure

    from course_utils.distributions import SAMPLE_SIZES, draw_histogram

    assert f"{1 - 2**-24:.7f}" == "0.9999999"
    fig = Figure()
    for n in SAMPLE_SIZES:
        for seed in range(10):
            caption = draw_histogram(fig, "rand", n, 40, seed)
            row = next(line for line in caption.splitlines() if line.startswith("rand "))
            assert float(row.split()[-1]) < 1, row


def _notebook_text(name: str) -> tuple[str, str]:
    """(markdown, stored text outputs) of a notebook."""
    from pathlib import Path

    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / name, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    outputs = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                        for c in nb.cells for o in c.get("outputs", []))
    return prose, outputs


def test_conv2d_default_init_is_uniform_with_bound_one_over_sqrt_fan_in():
    """01 section 5: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias too."""
    import inspect

    from torch import nn

    source = inspect.getsource(nn.modules.conv._ConvNd.reset_parameters)
    assert "kaiming_uniform_(self.weight, a=math.sqrt(5))" in source
    assert "bound = 1 / math.sqrt(fan_in)" in source and "uniform_(self.bias, -bound, bound)" in source
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert math.isclose(gain, math.sqrt(2 / (1 + 5))) and math.isclose(gain, math.sqrt(1 / 3))
    for cin, cout, k, groups in ((3, 16, 3, 1), (64, 128, 3, 1), (512, 21, 1, 1), (8, 4, 5, 2), (6, 6, (3, 1), 3)):
        layer = nn.Conv2d(cin, cout, k, groups=groups)
        kh, kw = layer.kernel_size
        fan_in = cin // groups * kh * kw
        assert layer.weight[0].numel() == fan_in
        bound = 1 / math.sqrt(fan_in)
        assert math.isclose(gain * math.sqrt(3 / fan_in), bound)
        assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
    # a large layer fills the interval: flat histogram, nothing outside
    set_seed(0)
    layer = nn.Conv2d(64, 128, kernel_size=3)
    w = layer.weight.detach().flatten()
    assert w.numel() == 73_728 and 64 * 3 * 3 == 576 and 1 / math.sqrt(576) == 1 / 24
    counts = torch.histc(w, bins=10, min=-1 / 24, max=1 / 24)
    assert counts.min() > 0.9 * w.numel() / 10 and counts.max() < 1.1 * w.numel() / 10
    assert f"{1 / 24:.4f}" == "0.0417" and f"{1 / math.sqrt(27):.4f}" == "0.1925" and f"{1 / math.sqrt(512):.4f}" == "0.0442"
    prose, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    assert "fan_in 576: 1 / sqrt(fan_in) = 0.041667, gain * sqrt(3 / fan_in) = 0.041667" in outputs
    assert "73,728 weights between -0.0417 and 0.0417" in outputs
    assert "fan-in is 64 x 3 x 3 = 576 and the bound 1/24, about 0.0417" in prose
    assert "The histogram of the layer's 73,728 weights" in prose
    for line in ("fan_in   27, bound 0.1925", "fan_in  576, bound 0.0417", "fan_in  512, bound 0.0442"):
        assert line in outputs


def test_exercise_answers_of_01_are_not_printed_before_the_exercises():
    from course_utils import check

    assert check("01.3", 8 * 3 * 224 * 224)
    prose, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    for form in ("1204224", "1,204,224"):
        assert form not in prose and form not in outputs


def test_start_here_has_prerequisites_notation_times_and_atrous():
    prose, _ = _notebook_text("00_start_here.ipynb")
    assert "## What you need first" in prose and "## Notation" in prose
    for symbol in ("| N |", "| C |", "| H, W |", "| k |", "| s |", "| p |", "| d |"):
        assert symbol in prose
    assert "| atrous convolution | 空洞卷积 |" in prose
    assert prose.count(" min |") == 9  # one time per notebook 00-08
