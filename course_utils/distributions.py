"""torch.rand against torch.randn: theory, measurements and the histogram panel (01_rand_vs_randn)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from matplotlib.figure import Figure

from ._checks import check_choice, check_int
from .plotting import COLORS
from .widgets import Explorer, dropdown, int_slider

__all__ = ["DISTRIBUTIONS", "THEORY", "sample", "describe", "draw_histogram", "histogram_explorer"]

#: The two samplers, by the name of the PyTorch function.
DISTRIBUTIONS = ("rand", "randn")

#: What theory says: mean, variance and the range of values each function can return.
THEORY: dict[str, dict[str, object]] = {
    "rand": {"law": "U(0, 1)", "mean": 0.5, "variance": 1 / 12, "range": "[0, 1)"},
    "randn": {"law": "N(0, 1)", "mean": 0.0, "variance": 1.0, "range": "(-inf, +inf)"},
}

SAMPLE_SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000)
_COLOURS = {"rand": COLORS["input"], "randn": COLORS["kernel"]}


@lru_cache(maxsize=16)
def _cached(name: str, n: int, seed: int) -> np.ndarray:
    generator = torch.Generator().manual_seed(seed)
    draw = torch.rand if name == "rand" else torch.randn
    return draw(n, generator=generator).numpy()


def sample(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` numbers from ``torch.rand`` or ``torch.randn`` with their own generator seeded by ``seed``."""
    check_choice("name", name, DISTRIBUTIONS)
    n = check_int("n", n, minimum=1)
    if n > 10_000_000:
        raise ValueError(f"n must be at most 10,000,000 (memory), got {n:,}")
    seed = check_int("seed", seed, minimum=0)
    return _cached(name, n, seed)


def describe(values: np.ndarray | torch.Tensor) -> dict[str, float]:
    """Mean, (population) variance, minimum and maximum of a sample, as floats."""
    array = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    array = array.astype(np.float64).ravel()
    if array.size == 0:
        raise ValueError("values must contain at least one number")
    return {"mean": float(array.mean()), "variance": float(array.var()),
            "min": float(array.min()), "max": float(array.max())}


def _pdf(name: str, x: np.ndarray) -> np.ndarray:
    if name == "rand":
        return ((x >= 0) & (x < 1)).astype(float)
    return np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def draw_histogram(fig: Figure, distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                   seed: int = 0) -> str:
    """Histogram(s) of ``sample_size`` draws with the theoretical density on top; returns a caption."""
    check_choice("distribution", distribution, ("rand", "randn", "both"))
    bins = check_int("bins", bins, minimum=1)
    names = DISTRIBUTIONS if distribution == "both" else (distribution,)
    ax = fig.subplots()
    edges = np.linspace(-4, 4, 2 * bins + 1) if distribution == "both" else None
    lines = [f"{'':6} {'law':8} {'mean':>9} {'theory':>7} {'variance':>9} {'theory':>7} {'min':>8} {'max':>8}"]
    for name in names:
        values = sample(name, sample_size, seed)
        colour = _COLOURS[name]
        span = edges if edges is not None else np.linspace(*((0, 1) if name == "rand" else (-4, 4)), bins + 1)
        counts, span = np.histogram(values, bins=span, density=True)
        ax.stairs(counts, span, fill=True, alpha=0.45, color=colour, label=f"torch.{name} ({sample_size:,})")
        x = np.linspace(span[0], span[-1], 400)
        ax.plot(x, _pdf(name, x), color=colour, lw=2, label=f"{THEORY[name]['law']} density")
        stats, theory = describe(values), THEORY[name]
        lines.append(
            f"{name:6} {theory['law']:8} {stats['mean']:9.4f} {theory['mean']:7.4f} {stats['variance']:9.4f} "
            f"{theory['variance']:7.4f} {stats['min']:8.3f} {stats['max']:8.3f}"
        )
    ax.set_xlim(-4.2, 4.2) if distribution != "rand" else ax.set_xlim(-0.1, 1.1)
    ax.set_xlabel("value")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.set_title(f"{sample_size:,} samples, {bins} bins, seed {seed}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return "\n".join(lines)


def histogram_explorer(distribution: str = "both", sample_size: int = 10_000, bins: int = 40,
                       seed: int = 0) -> Explorer:
    """Panel: choose the sampler, the sample size, the bins and the seed; see the histogram."""
    if sample_size not in SAMPLE_SIZES:
        raise ValueError(f"sample_size must be one of {SAMPLE_SIZES}, got {sample_size}")
    import ipywidgets as widgets

    controls = {
        "distribution": dropdown("distribution", [("both", "both"), ("torch.rand", "rand"),
                                                  ("torch.randn", "randn")], distribution),
        "sample_size": widgets.SelectionSlider(
            options=[(f"{n:,}", n) for n in SAMPLE_SIZES], value=sample_size, description="samples",
            style={"description_width": "initial"}, layout=widgets.Layout(width="280px"),
        ),
        "bins": int_slider("bins", bins, 5, 100, 5),
        "seed": int_slider("seed", seed, 0, 9),
    }
    return Explorer(draw_histogram, controls, figsize=(7.0, 3.2), dpi=80)
