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
    panel = histogram_explorer()
    count = 0
    for _ in panel.sweep({"bins": [5, 100], "seed": [3]}):
        count += 1
        assert panel.unexpected is None and not panel.error and panel.png
        assert "U(0, 1)" in panel.caption or "N(0, 1)" in panel.caption
    assert count == 3 * 6 * 2 * 1


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
