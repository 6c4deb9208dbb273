"""torch.rand against torch.randn: theory, measurements and the histogram panel (01_rand_vs_randn)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch

from ._checks import check_choice, check_int
from .draw.plot_svg import Bars, Curve, plot_svg
from .draw.plots import COLORS, _finite_array
from .panels.explorer import Explorer, check_option, checked_slider, dropdown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DISTRIBUTIONS", "THEORY", "sample", "describe", "histogram_scene", "draw_histogram",
           "histogram_explorer"]

#: The two samplers, by the name of the PyTorch function.
DISTRIBUTIONS = ("rand", "randn")

#: What theory says: mean, variance and the range of values each function can return.
THEORY: dict[str, dict[str, object]] = {
    "rand": {"law": "U(0, 1)", "mean": 0.5, "variance": 1 / 12, "range": "[0, 1)"},
    "randn": {"law": "N(0, 1)", "mean": 0.0, "variance": 1.0, "range": "(-inf, +inf)"},
}

SAMPLE_SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000)
MAX_SAMPLES = 10_000_000  # 40 MB of float32: plenty for a histogram
MAX_BINS = 1_000  # more bars than a figure has pixels across
_COLOURS = {"rand": COLORS["input"], "randn": COLORS["kernel"]}


@lru_cache(maxsize=16)
def _cached(name: str, n: int, seed: int) -> np.ndarray:
    generator = torch.Generator().manual_seed(seed)
    draw = torch.rand if name == "rand" else torch.randn
    return draw(n, generator=generator).numpy()


def sample(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` numbers from ``torch.rand`` or ``torch.randn`` with their own generator seeded by ``seed``.

    Repeated calls reuse the draws (cached), but each call returns its own copy, so
    changing the array in place cannot change later results. Used in 01_rand_vs_randn.
    """
    check_choice("name", name, DISTRIBUTIONS)
    n = check_int("n", n, minimum=1)
    if n > MAX_SAMPLES:
        raise ValueError(f"n must be at most {MAX_SAMPLES:,} (memory), got {n:,}")
    seed = check_int("seed", seed, minimum=0)
    return _cached(name, n, seed).copy()


def describe(values: np.ndarray | torch.Tensor) -> dict[str, float]:
    """Mean, (population) variance, minimum and maximum of a sample, as floats (01_rand_vs_randn).

    ``values`` is a tensor (``requires_grad`` is fine), an array or a list of real numbers;
    NaN and inf are refused (they would make every statistic NaN or inf).
    """
    array = _finite_array("values", values).astype(np.float64, copy=False).ravel()
    if array.size == 0:
        raise ValueError("values must contain at least one number")
    return {"mean": float(array.mean()), "variance": float(array.var()),
            "min": float(array.min()), "max": float(array.max())}


def _pdf(name: str, x: np.ndarray) -> np.ndarray:
    if name == "rand":
        return ((x >= 0) & (x < 1)).astype(float)
    return np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def _density_curve(name: str, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of the theoretical density on ``[lo, hi]``; the uniform one jumps straight up and down."""
    if name == "rand":
        return np.array([lo, 0, 0, 1, 1, hi], float), np.array([0, 0, 1, 1, 0, 0], float)
    x = np.linspace(lo, hi, 241)
    return x, _pdf(name, x)


class _Histogram(NamedTuple):
    """What the histogram shows for one setting: the samplers, their bars, the axes and the texts."""

    names: tuple[str, ...]
    edges: dict[str, np.ndarray]
    densities: dict[str, np.ndarray]  # np.histogram(values, edges, density=True)
    xlim: tuple[float, float]
    ylim: tuple[float, float]  # 0 to 1.12 x the tallest bar (at least 1)
    title: str
    caption: str  # the table: measured against theory


def _check_setting(distribution: str, sample_size: int, bins: int, seed: int) -> tuple[int, int, int]:
    check_choice("distribution", distribution, ("rand", "randn", "both"))
    bins = check_int("bins", bins, minimum=1)
    if bins > MAX_BINS:
        raise ValueError(f"bins must be at most {MAX_BINS:,} (more bars than the figure has pixels), "
                         f"got {bins:,}")
    sample_size = check_int("sample_size", sample_size, minimum=1)
    if sample_size > MAX_SAMPLES:
        raise ValueError(f"sample_size must be at most {MAX_SAMPLES:,} (memory), got {sample_size:,}")
    seed = check_int("seed", seed, minimum=0)
    return sample_size, bins, seed


@lru_cache(maxsize=64)
def _stats_row(name: str, n: int, seed: int) -> str:
    """The caption's line for one sampler (cached: moving the bins slider does not recompute it)."""
    stats, theory = describe(_cached(name, n, seed)), THEORY[name]
    return (f"{name:6} {theory['law']:8} {stats['mean']:9.4f} {theory['mean']:7.4f} "
            f"{stats['variance']:9.4f} {theory['variance']:7.4f} {stats['min']:10.7f} {stats['max']:10.7f}")


@lru_cache(maxsize=64)
def _densities(name: str, n: int, seed: int, lo: float, hi: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram(values, bins on [lo, hi], density=True)``: (densities, edges), cached."""
    counts, edges = np.histogram(_cached(name, n, seed), bins=np.linspace(lo, hi, bins + 1), density=True)
    counts.flags.writeable = edges.flags.writeable = False  # shared by the cache
    return counts, edges


def _histogram(distribution: str, sample_size: int, bins: int, seed: int) -> _Histogram:
    """The bars, axes, title and caption of one setting (checked): shared by the SVG and matplotlib forms."""
    sample_size, bins, seed = _check_setting(distribution, sample_size, bins, seed)
    names = DISTRIBUTIONS if distribution == "both" else (distribution,)
    if distribution == "both":  # one grid for both: equal bar widths
        drawn, (lo, hi), where = 2 * bins, (-4, 4), "[-4, 4]"
    else:
        drawn = bins
        (lo, hi), where = ((0, 1), "[0, 1]") if distribution == "rand" else ((-4, 4), "[-4, 4]")
    densities, edges = {}, {}
    for name in names:
        densities[name], edges[name] = _densities(name, sample_size, seed, lo, hi, drawn)
    tallest = max(1.0, *(float(d.max()) for d in densities.values()))
    lines = [f"{'':6} {'law':8} {'mean':>9} {'theory':>7} {'variance':>9} {'theory':>7} {'min':>10} {'max':>10}"]
    lines += [_stats_row(name, sample_size, seed) for name in names]
    return _Histogram(names, edges, densities, (-0.1, 1.1) if distribution == "rand" else (-4.2, 4.2),
                      (0.0, 1.12 * tallest), f"{sample_size:,} samples, {drawn} bins on {where}, seed {seed}",
                      "\n".join(lines))


def histogram_scene(distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                    seed: int = 0) -> dict[str, Any]:
    """The histogram panel's drawing: ``{"svg": markup, "caption": [the table's lines]}`` (01_rand_vs_randn).

    ``sample_size`` draws of ``torch.rand`` and/or ``torch.randn`` (``distribution`` ``"rand"``,
    ``"randn"`` or ``"both"``) seeded by ``seed``, as a histogram of ``bins`` bars on [0, 1] or
    [-4, 4] (``"both"``: one grid of ``2 * bins`` bars on [-4, 4], so that the bars of the two have
    the same width) scaled as a density, with the theoretical density drawn over it. The caption
    compares the measured mean, variance, minimum and maximum with theory. A plain SVG drawn by
    hand (:func:`course_utils.draw.plot_svg.plot_svg`): a redraw costs a few milliseconds.
    """
    h = _histogram(distribution, sample_size, bins, seed)
    series: list[Bars | Curve] = []
    for name in h.names:
        colour = _COLOURS[name]
        series.append(Bars(h.edges[name].tolist(), h.densities[name].tolist(), colour, f"torch.{name} samples"))
        x, y = _density_curve(name, *h.xlim)
        series.append(Curve(x.tolist(), y.tolist(), colour, f"{THEORY[name]['law']} density"))
    markup = plot_svg(series, xlim=h.xlim, ylim=h.ylim, title=h.title, xlabel="value", ylabel="density")
    return {"svg": markup, "caption": h.caption.splitlines()}


class _HistogramView:
    """The axes and artists of the histogram figure, created once and then only updated."""

    def __init__(self, fig: Figure) -> None:
        self.ax = ax = fig.subplots()
        fig.set_layout_engine("none")  # fixed margins (for a 7 x 3.2 in figure): no layout pass per redraw
        fig.subplots_adjust(left=0.085, right=0.99, bottom=0.15, top=0.91)
        self.bars = {}
        self.curves = {}
        for name in DISTRIBUTIONS:
            colour = _COLOURS[name]
            self.bars[name] = ax.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.45, color=colour,
                                        label=f"torch.{name} samples")
            (self.curves[name],) = ax.plot([], [], color=colour, lw=2, label=f"{THEORY[name]['law']} density")
        ax.set_xlabel("value")
        ax.set_ylabel("density")
        ax.set_ylim(0, 1.15)
        ax.spines[["top", "right"]].set_visible(False)
        self.title = ax.set_title("", fontsize=10)
        self.legend_for: tuple[str, ...] = ()

    def update(self, h: _Histogram) -> str:
        self.ax.set_xlim(*h.xlim)
        for name in DISTRIBUTIONS:
            shown = name in h.names
            self.bars[name].set_visible(shown)
            self.curves[name].set_visible(shown)
            if shown:
                self.bars[name].set_data(h.densities[name], h.edges[name])
                self.curves[name].set_data(*_density_curve(name, *h.xlim))
        if h.names != self.legend_for:  # a new legend only when the samplers shown change
            handles = [a for n in h.names for a in (self.bars[n], self.curves[n])]
            self.ax.legend(handles=handles, fontsize=9, loc="upper right", frameon=False)
            self.legend_for = h.names
        self.ax.set_ylim(*h.ylim)
        self.title.set_text(h.title)
        return h.caption


def draw_histogram(fig: Figure, distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                   seed: int = 0) -> str:
    """The histogram of :func:`histogram_scene` drawn with matplotlib on ``fig``; returns the caption.

    For a static figure of your own (the panel draws SVG). The first call on a figure creates its
    axes; later calls only update the data (01_rand_vs_randn).
    """
    h = _histogram(distribution, sample_size, bins, seed)
    view = getattr(fig, "_course_histogram", None)
    if view is None or view.ax not in fig.axes:
        fig.clear()
        view = _HistogramView(fig)
        fig._course_histogram = view  # type: ignore[attr-defined]
    return view.update(h)


def histogram_explorer(distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                       seed: int = 0) -> Explorer:
    """Panel of 01_rand_vs_randn: choose the sampler, the sample size, the bins and the seed;
    see the histogram. Every argument must be a value its control can show.

    Its scene is :func:`histogram_scene`'s ``{"svg": markup, "caption": [the table's lines]}``: a
    redraw costs a few milliseconds, and :meth:`~course_utils.panels.explorer.Explorer.snapshot`
    gives the same SVG for the static copy.
    """
    check_option("distribution", distribution, ("both", "rand", "randn"))
    check_option("sample_size", sample_size, SAMPLE_SIZES)
    import ipywidgets as widgets

    controls = {
        "distribution": dropdown("distribution", [("both", "both"), ("torch.rand", "rand"),
                                                  ("torch.randn", "randn")], distribution),
        "sample_size": widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in SAMPLE_SIZES], value=sample_size, description="samples",
            style={"description_width": "initial"},
            # room on the right for the readout ("1,000,000" is wider than a slider's readout box)
            layout=widgets.Layout(width="280px", margin="2px 44px 2px 2px"),
        ),
        "bins": checked_slider("bins", bins, 5, 100, step=5),
        "seed": checked_slider("seed", seed, 0, 9),
    }
    return Explorer(histogram_scene, controls,
                    title="Histograms of torch.rand and torch.randn against their densities")
