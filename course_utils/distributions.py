"""torch.rand against torch.randn: theory, measurements and the histogram panel (01_rand_vs_randn)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from matplotlib.figure import Figure

from ._checks import check_choice, check_int
from .draw.plots import COLORS, _finite_array
from .panels.explorer import Explorer, check_option, checked_slider, dropdown

__all__ = ["DISTRIBUTIONS", "THEORY", "sample", "describe", "draw_histogram", "histogram_explorer"]

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


class _HistogramView:
    """The axes and artists of the histogram figure, created once and then only updated."""

    def __init__(self, fig: Figure) -> None:
        self.ax = ax = fig.subplots()
        fig.set_layout_engine("none")  # fixed margins (for the panel's 7 x 3.2 in): no layout pass per redraw
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

    def update(self, distribution: str, sample_size: int, bins: int, seed: int) -> str:
        names = DISTRIBUTIONS if distribution == "both" else (distribution,)
        lo, hi = (-0.1, 1.1) if distribution == "rand" else (-4.2, 4.2)
        self.ax.set_xlim(lo, hi)
        tallest = 1.0
        lines = [f"{'':6} {'law':8} {'mean':>9} {'theory':>7} {'variance':>9} {'theory':>7} {'min':>10} {'max':>10}"]
        for name in DISTRIBUTIONS:
            shown = name in names
            self.bars[name].set_visible(shown)
            self.curves[name].set_visible(shown)
            if not shown:
                continue
            values = sample(name, sample_size, seed)
            if distribution == "both":
                span = np.linspace(-4, 4, 2 * bins + 1)  # one grid for both: equal bar widths
            else:
                span = np.linspace(*((0, 1) if name == "rand" else (-4, 4)), bins + 1)
            counts, span = np.histogram(values, bins=span, density=True)
            self.bars[name].set_data(counts, span)
            tallest = max(tallest, float(counts.max()))
            x = np.linspace(lo, hi, 400)
            self.curves[name].set_data(x, _pdf(name, x))
            stats, theory = describe(values), THEORY[name]
            lines.append(
                f"{name:6} {theory['law']:8} {stats['mean']:9.4f} {theory['mean']:7.4f} "
                f"{stats['variance']:9.4f} {theory['variance']:7.4f} {stats['min']:10.7f} {stats['max']:10.7f}"
            )
        if names != self.legend_for:  # a new legend only when the samplers shown change
            handles = [a for n in names for a in (self.bars[n], self.curves[n])]
            self.ax.legend(handles=handles, fontsize=9, loc="upper right", frameon=False)
            self.legend_for = names
        self.ax.set_ylim(0, 1.12 * tallest)
        if distribution == "both":  # the grid of both: 2 * bins on [-4, 4]
            drawn, where = 2 * bins, "[-4, 4]"
        else:
            drawn, where = bins, "[0, 1]" if distribution == "rand" else "[-4, 4]"
        self.title.set_text(f"{sample_size:,} samples, {drawn} bins on {where}, seed {seed}")
        return "\n".join(lines)


def draw_histogram(fig: Figure, distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                   seed: int = 0) -> str:
    """Histogram(s) of ``sample_size`` draws with the theoretical density on top; returns a caption.

    The first call on a figure creates its axes; later calls only update the data,
    which keeps the panel's redraw fast. Used by :func:`histogram_explorer` (01_rand_vs_randn).
    """
    check_choice("distribution", distribution, ("rand", "randn", "both"))
    bins = check_int("bins", bins, minimum=1)
    if bins > MAX_BINS:
        raise ValueError(f"bins must be at most {MAX_BINS:,} (more bars than the figure has pixels), "
                         f"got {bins:,}")
    sample_size = check_int("sample_size", sample_size, minimum=1)
    if sample_size > MAX_SAMPLES:
        raise ValueError(f"sample_size must be at most {MAX_SAMPLES:,} (memory), got {sample_size:,}")
    seed = check_int("seed", seed, minimum=0)
    view = getattr(fig, "_course_histogram", None)
    if view is None or view.ax not in fig.axes:
        fig.clear()
        view = _HistogramView(fig)
        fig._course_histogram = view  # type: ignore[attr-defined]
    return view.update(distribution, sample_size, bins, seed)


#: Size of the histogram panel's figure in inches, and its dpi (the browser shows it at this size,
#: drawn at twice the dpi so that it stays sharp on high-density screens).
HISTOGRAM_FIGSIZE, HISTOGRAM_DPI = (7.0, 3.2), 80


def histogram_explorer(distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                       seed: int = 0) -> Explorer:
    """Panel of 01_rand_vs_randn: choose the sampler, the sample size, the bins and the seed;
    see the histogram. Every argument must be a value its control can show.

    The panel keeps one figure and :func:`draw_histogram` updates its artists in place, so a redraw
    costs one Agg rendering. Its scene is ``{"figure": fig, "caption": [the table's lines]}``.
    """
    check_option("distribution", distribution, ("both", "rand", "randn"))
    check_option("sample_size", sample_size, SAMPLE_SIZES)
    import ipywidgets as widgets

    controls = {
        "distribution": dropdown("distribution", [("both", "both"), ("torch.rand", "rand"),
                                                  ("torch.randn", "randn")], distribution),
        "sample_size": widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in SAMPLE_SIZES], value=sample_size, description="samples",
            style={"description_width": "initial"}, layout=widgets.Layout(width="280px"),
        ),
        "bins": checked_slider("bins", bins, 5, 100, step=5),
        "seed": checked_slider("seed", seed, 0, 9),
    }
    fig = Figure(figsize=HISTOGRAM_FIGSIZE, dpi=HISTOGRAM_DPI)

    def build(distribution: str, sample_size: int, bins: int, seed: int) -> dict:
        caption = draw_histogram(fig, distribution, sample_size, bins, seed)
        return {"figure": fig, "caption": caption.splitlines()}

    return Explorer(build, controls, title="Histograms of torch.rand and torch.randn against their densities")
