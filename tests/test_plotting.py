"""The colour language, the figure helpers and the plots drawn by hand as SVG (the histogram of 01)."""

from __future__ import annotations

import io
import math
import re
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from course_utils import figure_to_png, new_figure, show_images
from course_utils.distributions import THEORY, draw_histogram, histogram_scene, sample
from course_utils.draw.colors import COLORS
from course_utils.draw.plot_svg import Bars, Curve, nice_ticks, plot_svg, tick_text


def pixels(fig):
    return np.asarray(Image.open(io.BytesIO(figure_to_png(fig))).convert("RGB"))


def test_new_figure_displays_as_png_in_jupyter():
    fig = new_figure(2, 1, dpi=40)
    fig.subplots().plot([0, 1])
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size == (80, 40)


def test_figure_to_png_honours_dpi():
    fig = new_figure(2, 1, dpi=40)
    assert Image.open(io.BytesIO(figure_to_png(fig, dpi=80))).size == (160, 80)


def test_show_images_accepts_pil_arrays_and_tensors():
    images = [Image.new("RGB", (8, 4)), np.zeros((4, 8)), torch.rand(3, 4, 8), torch.rand(1, 4, 8)]
    fig = show_images(images, ["a", "b", "c", "d"], ncols=2)
    assert len(fig.axes) == 4 and [a.get_title() for a in fig.axes] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="titles has 1 entries for 4 images"):
        show_images(images, ["a"])
    with pytest.raises(ValueError, match="at least one image"):
        show_images([])


def test_show_images_draws_requires_grad_half_and_bool_images():
    images = [torch.rand(3, 4, 6, requires_grad=True), torch.rand(4, 6).half(), torch.rand(1, 4, 6).bfloat16(),
              np.zeros((4, 6, 1)), np.ones((4, 6), dtype=bool), Image.new("1", (6, 4))]
    fig = show_images(images)
    shown = [ax.images[0].get_array() for ax in fig.axes]
    np.testing.assert_allclose(shown[0], images[0].detach().permute(1, 2, 0).numpy())
    np.testing.assert_allclose(shown[1], images[1].float().numpy())
    assert [a.shape for a in shown] == [(4, 6, 3)] + [(4, 6)] * 5


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda ax: show_images([np.array([[0.0, np.nan]])]), ValueError, r"^images\[0\] contains NaN or inf"),
        (lambda ax: show_images([torch.zeros(4, 4), torch.randint(0, 255, (3, 4, 4))]), TypeError,
         r"^images\[1\] must hold floats in \[0, 1\] or uint8 values in \[0, 255\], got int64"),
        (lambda ax: show_images([torch.zeros(2, 4, 4)]), ValueError, r"^images\[0\] must be a non-empty \(H, W\)"),
        (lambda ax: show_images([np.zeros((0, 4))]), ValueError, r"^images\[0\] must be a non-empty"),
        (lambda ax: show_images(["photo.png"]), TypeError, r"^images\[0\] must be a PIL image, an array or a tensor"),
        (lambda ax: show_images(Image.new("L", (4, 4))), TypeError, r"^images must be a list of images, got Image"),
        (lambda ax: show_images([np.zeros((4, 4))], ncols=10**9), ValueError,
         r"^ncols must be between 1 and the number of images \(1\), got 1000000000"),
        (lambda ax: show_images([np.zeros((4, 4))], width=10**9), ValueError,
         r"^new_figure\(width=1e\+09, height=1e\+09, dpi=100\) would be"),
        (lambda ax: new_figure(10**9, 3), ValueError,
         r"^new_figure\(width=1e\+09, height=3, dpi=100\) would be 100,000,000,000 x 300 pixels; at most 33,554,432"),
        (lambda ax: new_figure(0, 3), ValueError, r"^width must be at least 0.1, got 0"),
        (lambda ax: new_figure(3, float("nan")), ValueError, r"^height must be a finite number"),
        (lambda ax: new_figure(3, 3, dpi=2.5), TypeError, r"^dpi must be a whole number"),
        (lambda ax: figure_to_png(ax.figure, dpi=10**6), ValueError,
         r"^figure_to_png of a 2 x 2 inch figure at dpi 1e\+06 would be 2,000,000 x 2,000,000 pixels"),
        (lambda ax: figure_to_png(ax.figure, dpi=0), ValueError, r"^dpi must be at least 1"),
    ],
)
def test_bad_input_is_refused_quickly(call, error, match):
    ax = new_figure(2, 2, dpi=50).subplots()
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call(ax)
    assert time.perf_counter() - start < 0.5


# --- plots drawn by hand as SVG (course_utils.draw.plot_svg) -----------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
_NUMBER = r"-?\d+(?:\.\d+)?"


def read_plot(svg: str) -> SimpleNamespace:
    """A plot_svg picture read back: the plot area, the data limits, each bar path's edges and heights
    in pixels, each curve's points in data units, and the texts by class."""
    root = ET.fromstring(svg)
    area = next(r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "area")
    left, top, w, h = (float(area.get(k)) for k in ("x", "y", "width", "height"))
    (x0, x1), (y0, y1) = (tuple(map(float, root.get(k).split())) for k in ("data-xlim", "data-ylim"))
    plot = SimpleNamespace(root=root, left=left, top=top, width=w, height=h, bottom=top + h,
                           xlim=(x0, x1), ylim=(y0, y1), bars={}, curves={}, texts={})
    plot.px = lambda x: left + (np.asarray(x, float) - x0) * w / (x1 - x0)
    plot.py = lambda y: top + h - (np.asarray(y, float) - y0) * h / (y1 - y0)
    for path in root.iter(f"{SVG_NS}path"):
        if path.get("class") != "bars":
            continue
        m = re.fullmatch(rf"M({_NUMBER}),({_NUMBER})((?:V{_NUMBER}H{_NUMBER})*)V({_NUMBER})Z", path.get("d"))
        assert m, path.get("d")[:80]
        steps = [(float(y), float(x)) for y, x in re.findall(rf"V({_NUMBER})H({_NUMBER})", m[3])]
        assert float(m[2]) == float(m[4]), "a bar path starts and ends on the base line"
        plot.bars[path.get("data-label")] = SimpleNamespace(
            edges=np.array([float(m[1])] + [x for _, x in steps]), tops=np.array([y for y, _ in steps]),
            base=float(m[2]), fill=path.get("fill"), opacity=float(path.get("fill-opacity")))
    for line in root.iter(f"{SVG_NS}polyline"):
        points = np.array([[float(v) for v in p.split(",")] for p in line.get("points").split()])
        plot.curves[line.get("data-label")] = SimpleNamespace(
            points=points, x=x0 + (points[:, 0] - left) * (x1 - x0) / w, stroke=line.get("stroke"))
    for text in root.iter(f"{SVG_NS}text"):
        for css in (text.get("class") or "").split():
            plot.texts.setdefault(css, []).append(text.text)
    return plot


def test_nice_ticks_are_round_and_written_exactly():
    assert nice_ticks(-0.1, 1.1, 10) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert nice_ticks(-4.2, 4.2, 10) == ([-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0], 0)
    assert nice_ticks(0, 1.12, 7) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert nice_ticks(0, 112.0, 7) == ([0.0, 20.0, 40.0, 60.0, 80.0, 100.0], 0)
    assert nice_ticks(0, 0.0301, 7)[0][-1] == 0.03
    for lo, hi in [(0, 1.12), (0, 3.7), (-4.2, 4.2), (0, 123.4), (0.001, 0.0042)]:
        ticks, decimals = nice_ticks(lo, hi, 7)
        assert 2 <= len(ticks) <= 7 and lo <= ticks[0] and ticks[-1] <= hi
        assert len({tick_text(t, decimals) for t in ticks}) == len(ticks)  # no two ticks read alike
    assert [tick_text(t, 1) for t in (-1.0, -0.0, 0.25)] == ["\u22121.0", "0.0", "0.2"]
    with pytest.raises(ValueError, match="finite with lo < hi"):
        nice_ticks(1, 1)


def test_plot_svg_draws_bars_and_curves_where_the_data_says():
    edges, heights = [0.0, 0.5, 1.0, 1.5, 2.0], [0.25, 1.0, 0.0, 0.5]
    x = np.linspace(0, 2, 9)
    svg = plot_svg([Bars(edges, heights, "#3b75af", "bars"), Curve(x, x / 2, "#ef8636", "line")],
                   xlim=(-0.2, 2.2), ylim=(0, 1.25), title="t <1>", xlabel="value", ylabel="density")
    plot = read_plot(svg)
    assert plot.root.get("width") == "660" and plot.root.get("aria-label") == "t <1>"
    bars = plot.bars["bars"]
    np.testing.assert_allclose(bars.edges, plot.px(edges), atol=0.06)
    np.testing.assert_allclose(bars.tops, plot.py(heights), atol=0.06)
    assert bars.base == pytest.approx(plot.bottom, abs=0.06) and (bars.fill, bars.opacity) == ("#3b75af", 0.45)
    np.testing.assert_allclose(plot.curves["line"].points, np.c_[plot.px(x), plot.py(x / 2)], atol=0.06)
    assert plot.texts["title"] == ["t <1>"] and plot.texts["lg"] == ["bars", "line"]
    assert plot.texts["label"] == ["value", "density"]
    assert plot.texts["xtick"] == ["0.0", "0.5", "1.0", "1.5", "2.0"] and plot.texts["ytick"][-1] == "1.2"
    svg_no_text = plot_svg([], xlim=(0, 1), ylim=(0, 1))
    assert "<text class=\"title\"" not in svg_no_text and read_plot(svg_no_text).texts.keys() == {"tick", "xtick", "ytick"}
    with pytest.raises(ValueError, match="from low to high"):
        plot_svg([], xlim=(1, 0), ylim=(0, 1))
    with pytest.raises(ValueError, match="3 edges for 1 heights"):
        plot_svg([Bars([0, 1, 2], [1], "#000000", "b")], xlim=(0, 2), ylim=(0, 1))
    with pytest.raises(ValueError, match="leaves no room"):
        plot_svg([], xlim=(0, 1), ylim=(0, 1), width=100, height=100)


# --- the histogram of 01 -------------------------------------------------------------------------

def _grid(distribution: str, bins: int) -> tuple[int, tuple[int, int]]:
    """The bins drawn and their range: both samplers share 2 * bins on [-4, 4]."""
    if distribution == "both":
        return 2 * bins, (-4, 4)
    return bins, (0, 1) if distribution == "rand" else (-4, 4)


def _pdf(name: str, x: np.ndarray) -> np.ndarray:
    if name == "rand":
        return ((x >= 0) & (x < 1)).astype(float)
    return np.exp(-x**2 / 2) / math.sqrt(2 * math.pi)


SETTINGS = [(d, n, b, s) for d in ("both", "rand", "randn") for n, b, s in
            [(10, 5, 0), (100, 55, 4), (10_000, 40, 0), (1_000_000, 100, 9)]]


@pytest.mark.parametrize(("distribution", "n", "bins", "seed"), SETTINGS, ids=lambda v: str(v))
def test_histogram_svg_bars_are_np_histogram(distribution, n, bins, seed):
    plot = read_plot(histogram_scene(distribution, n, bins, seed)["svg"])
    drawn, (lo, hi) = _grid(distribution, bins)
    names = ("rand", "randn") if distribution == "both" else (distribution,)
    assert list(plot.bars) == [f"torch.{name} samples" for name in names]
    tallest = 1.0
    for name in names:
        density, edges = np.histogram(sample(name, n, seed), np.linspace(lo, hi, drawn + 1), density=True)
        bars = plot.bars[f"torch.{name} samples"]
        assert len(bars.tops) == drawn  # one step per bin drawn
        np.testing.assert_allclose(bars.edges, plot.px(edges), atol=0.06)
        np.testing.assert_allclose(plot.bottom - bars.tops, plot.bottom - plot.py(density), atol=0.06)
        assert bars.base == pytest.approx(plot.bottom, abs=0.06)
        assert (bars.fill, bars.opacity) == ({"rand": COLORS["input"], "randn": COLORS["kernel"]}[name], 0.45)
        assert bars.tops.min() >= plot.top  # the tallest bar is inside the plot area
        tallest = max(tallest, density.max())
    assert plot.ylim == (0, pytest.approx(1.12 * tallest, rel=1e-5))
    assert plot.xlim == ((-0.1, 1.1) if distribution == "rand" else (-4.2, 4.2))


@pytest.mark.parametrize("distribution", ["both", "rand", "randn"])
def test_histogram_svg_curves_lie_on_the_densities(distribution):
    plot = read_plot(histogram_scene(distribution, 1_000, 20, 1)["svg"])
    names = ("rand", "randn") if distribution == "both" else (distribution,)
    assert list(plot.curves) == [f"{THEORY[name]['law']} density" for name in names]
    for name in names:
        curve = plot.curves[f"{THEORY[name]['law']} density"]
        assert curve.stroke == {"rand": COLORS["input"], "randn": COLORS["kernel"]}[name]
        x, y_px = curve.x, curve.points[:, 1]
        assert x[0] == pytest.approx(plot.xlim[0], abs=0.01) and x[-1] == pytest.approx(plot.xlim[1], abs=0.01)
        assert np.all(np.diff(x) >= 0)
        # every point on the density (at a jump of U(0, 1): on one of its two sides)
        off = np.minimum(abs(y_px - plot.py(_pdf(name, x - 1e-3))), abs(y_px - plot.py(_pdf(name, x + 1e-3))))
        assert off.max() < 0.15, off.max()
        if name == "rand":  # straight up at 0 and straight down at 1, 1 in between
            jumps = x[y_px < plot.bottom - 1]
            assert abs(jumps - 0).min() < 0.005 and abs(jumps - 1).min() < 0.005
            assert np.minimum(abs(jumps), abs(jumps - 1)).max() < 0.005
        else:
            assert len(x) > 100 and y_px.min() == pytest.approx(plot.py(1 / math.sqrt(2 * math.pi)), abs=0.15)


def test_histogram_svg_texts_title_legend_axes_and_size():
    plot = read_plot(histogram_scene("both", 10_000, 40, 0)["svg"])
    assert plot.texts["title"] == ["10,000 samples, 80 bins on [-4, 4], seed 0"]
    assert plot.texts["lg"] == ["torch.rand samples", "U(0, 1) density", "torch.randn samples", "N(0, 1) density"]
    assert plot.texts["label"] == ["value", "density"]
    assert plot.texts["xtick"] == ["\u22124", "\u22123", "\u22122", "\u22121", "0", "1", "2", "3", "4"]
    assert plot.texts["ytick"] == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert 560 <= float(plot.root.get("width")) <= 700
    sizes = [int(px) for px in re.findall(r"font-size:(\d+)px", ET.tostring(plot.root, encoding="unicode"))]
    assert sizes and min(sizes) >= 12
    rand = read_plot(histogram_scene("rand", 1_000, 25, 3)["svg"])
    assert rand.texts["title"] == ["1,000 samples, 25 bins on [0, 1], seed 3"]
    assert rand.texts["lg"] == ["torch.rand samples", "U(0, 1) density"]
    assert rand.texts["xtick"] == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    randn = read_plot(histogram_scene("randn", 100, 5, 9)["svg"])
    assert randn.texts["title"] == ["100 samples, 5 bins on [-4, 4], seed 9"]
    assert randn.texts["lg"] == ["torch.randn samples", "N(0, 1) density"]


def test_histogram_svg_and_the_matplotlib_figure_say_the_same():
    fig = Figure(figsize=(7, 3.2))
    for setting in [("both", 100, 15, 2), ("rand", 10, 5, 0), ("randn", 1_000_000, 100, 1)]:
        caption = draw_histogram(fig, *setting)
        scene = histogram_scene(*setting)
        assert scene["caption"] == caption.splitlines()
        view = fig._course_histogram
        assert read_plot(scene["svg"]).texts["title"] == [view.title.get_text()]
        assert read_plot(scene["svg"]).xlim == view.ax.get_xlim()


def test_histogram_caption_is_the_table_the_notebook_stores():
    assert histogram_scene()["caption"] == [
        "       law           mean  theory  variance  theory        min        max",
        "rand   U(0, 1)     0.5003  0.5000    0.0829  0.0833  0.0000797  0.9999433",
        "randn  N(0, 1)    -0.0107  0.0000    1.0038  1.0000 -4.3432803  4.1014934",
    ]
