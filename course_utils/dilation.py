"""Dilated convolution (空洞卷积 / 膨胀卷积): kernels with holes, coverage maps, the gridding effect.

Introduced in 04_dilated_convolution. A *coverage map* counts, for every input pixel,
how many paths lead from it to one output unit of a stack of layers. It is the
gradient of that output unit with respect to the input when every weight is 1, so
autograd computes it; pixels with count 0 cannot influence the unit at all (the
holes of the gridding effect), and the pixels with a non-zero count span exactly
the receptive field (感受野) that :func:`~course_utils.conv.sizes.receptive_field`
computes by formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ._checks import check_int
from ._small_ops import ReusedAxesFigure
from .conv.receptive import coverage_map, measure_receptive_field
from .conv.sizes import receptive_field
from .plotting import COLORS, draw_grid, new_figure, role_cmap
from .widgets import Explorer, check_in_range, int_slider

__all__ = [
    "dilated_kernel_figure",
    "coverage_figure",
    "dilation_explorer",
]


#: The widest kernel :func:`dilated_kernel_figure` draws (in cells), and the most panels in a row.
_MAX_SPAN, _MAX_PANELS = 32, 8


def dilated_kernel_figure(kernel_size: int = 3, dilations: Sequence[int] = (1, 2, 3)) -> Figure:
    """A ``kernel_size`` x ``kernel_size`` kernel drawn at each dilation: the weights (orange)
    and the holes between them (grey), in the span ``d(k-1)+1`` they cover (at most 32 cells;
    at most 8 dilations). Introduced in 04_dilated_convolution."""
    k = check_int("kernel_size", kernel_size, minimum=1)
    if not isinstance(dilations, Sequence) or isinstance(dilations, str):
        raise TypeError(f"dilations must be a list of dilations, e.g. (1, 2, 3), got {dilations!r}")
    ds = [check_int(f"dilations[{i}]", d, minimum=1) for i, d in enumerate(dilations)]
    if not ds:
        raise ValueError("dilations must contain at least one dilation")
    if len(ds) > _MAX_PANELS:
        raise ValueError(f"dilations must contain at most {_MAX_PANELS} dilations (one panel each), got {len(ds)}")
    span_max = max(d * (k - 1) + 1 for d in ds)
    if span_max > _MAX_SPAN:
        raise ValueError(f"kernel_size ({k}) with dilations up to {max(ds)} spans d(k-1)+1 = {span_max} "
                         f"cells; this figure draws at most {_MAX_SPAN}")
    fig = new_figure(2.3 * len(ds), 2.7, dpi=90)
    axes = fig.subplots(1, len(ds), squeeze=False)[0]
    for ax, d in zip(axes, ds, strict=True):
        span = d * (k - 1) + 1
        holes = np.ones((span, span), dtype=bool)
        holes[::d, ::d] = False
        draw_grid(ax, np.where(holes, 0.0, 1.0), "kernel", zeros=holes, zero_role="inserted",
                  annotate=False, vmin=0, vmax=1)
        ax.set_xlim(-0.5, span_max - 0.5)
        ax.set_ylim(span_max - 0.5, -0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"dilation={d}\nspans {span}x{span}, {k * k} weights", fontsize=9)
    return fig


def _coverage_1d(kernel: int, dilations: Sequence[int]) -> np.ndarray:
    """Path counts along one axis (the 2D map is the outer product of two of these)."""
    counts = np.ones(1)
    for d in dilations[::-1]:
        taps = np.zeros(d * (kernel - 1) + 1)
        taps[::d] = 1
        counts = np.convolve(counts, taps)
    return counts


def _draw_coverage(ax, grad: np.ndarray, title: str) -> None:
    masked = np.ma.masked_equal(grad, 0)
    ax.set_facecolor(COLORS["padding"])
    ax.imshow(masked, cmap=role_cmap("input"), vmin=-0.35 * grad.max(), vmax=grad.max(),
              interpolation="nearest")
    r, c = grad.shape
    ax.plot([(c - 1) / 2], [(r - 1) / 2], marker="s", color=COLORS["output"], markersize=5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)


def coverage_figure(stacks: Mapping[str, object]) -> Figure:
    """Coverage maps side by side, one per labelled stack (``{"(2, 2, 2)": layers, ...}``).

    Blue: pixels that reach the central output unit (darker: more paths);
    grey: pixels inside the receptive field that never reach it. At most 8 stacks.
    Introduced in 04_dilated_convolution.
    """
    if not isinstance(stacks, Mapping):
        raise TypeError(f"stacks must be a dict {{label: layers}}, got {type(stacks).__name__}")
    if not 1 <= len(stacks) <= _MAX_PANELS:
        raise ValueError(f"stacks must contain 1 to {_MAX_PANELS} stacks of layers (one panel each), "
                         f"got {len(stacks)}")
    fig = new_figure(3.0 * len(stacks), 3.6, dpi=90)
    axes = fig.subplots(1, len(stacks), squeeze=False)[0]
    for ax, (label, layers) in zip(axes, stacks.items(), strict=True):
        try:
            grad = coverage_map(layers).numpy()
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"stacks[{label!r}]: {exc}") from None
        reached = int((grad > 0).sum())
        _draw_coverage(ax, grad, f"{label}\nRF {grad.shape[0]}x{grad.shape[1]}, "
                                 f"{reached} of {grad.size} pixels reached")
    return fig


def _explorer_draw(fig: Figure, kernel: int, d1: int, d2: int, d3: int) -> str:
    dilations = (d1, d2, d3)
    layers = [(kernel, 1, d) for d in dilations]
    grad = coverage_map(layers).numpy()
    field = receptive_field(layers)
    measured = measure_receptive_field(layers)
    profile = _coverage_1d(kernel, dilations)
    reached = int((grad > 0).sum())
    if isinstance(fig, ReusedAxesFigure):
        ax_map, ax_row = fig.panel_axes(2, width_ratios=[1, 1.3], left=0.03, right=0.98, top=0.9,
                                        bottom=0.1, wspace=0.15)
    else:
        ax_map, ax_row = fig.subplots(1, 2, width_ratios=[1, 1.3])
    _draw_coverage(ax_map, grad, f"{reached} of {grad.size} pixels reached")
    ax_map.set_xlim(-0.5, grad.shape[1] - 0.5)
    ax_map.set_ylim(grad.shape[0] - 0.5, -0.5)
    half = profile.size // 2
    xs = np.arange(profile.size) - half
    hit = profile > 0
    ax_row.vlines(xs[hit], 0, profile[hit], color=COLORS["input"], linewidth=3)
    ax_row.plot(xs[~hit], np.zeros((~hit).sum()), "x", color="#888888", markersize=4)
    ax_row.set_xlim(-half - 1, half + 1)
    ax_row.set_ylim(-0.04 * profile.max(), 1.08 * profile.max())
    ax_row.set_xticks([-half, 0, half])
    ax_row.set_yticks([0, int(profile.max())])
    ax_row.tick_params(labelsize=7)
    ax_row.set_title(f"paths per offset along one axis: {int(hit.sum())} of {profile.size} reached", fontsize=9)
    terms = " + ".join(f"{d}*{kernel - 1}" for d in dilations)
    layer_code = ", ".join(
        f"nn.Conv2d(1, 1, {kernel}, dilation={d}" + (f", padding={d * (kernel - 1) // 2})"
                                                     if kernel % 2 else ")")
        for d in dilations
    )
    return (
        "left: paths from each pixel to the output unit (green), grey: none; right: paths per offset"
        " along one axis, the map being their outer product (x: never reached)\n"
        f"receptive field = 1 + {terms} = {field}   (receptive_field: {field} x {field}; "
        f"autograd: {measured[0]} x {measured[1]})\n"
        f"pixels that reach the output unit: {reached} of {grad.size} "
        f"({100 * reached / grad.size:.0f}%)\n"
        f"nn.Sequential({layer_code})"
    )


def dilation_explorer(kernel_size: int = 3, dilations: Sequence[int] = (2, 2, 2)) -> Explorer:
    """Panel for 04_dilated_convolution: choose the kernel size and the dilations of three
    stacked layers; see the coverage map of one output unit, the receptive field by formula
    and by autograd, and how many pixels in it are never reached (the gridding effect).
    Every argument must be a value its control can show."""
    k = check_in_range("kernel_size", kernel_size, 2, 5)
    if not isinstance(dilations, Sequence) or isinstance(dilations, str) or len(dilations) != 3:
        raise ValueError(f"dilations must have 3 entries (one per layer), got {dilations!r}")
    ds = [check_in_range(f"dilations[{i}]", d, 1, 5) for i, d in enumerate(dilations)]
    controls = {
        "kernel": int_slider("kernel_size", k, 2, 5),
        "d1": int_slider("dilation, layer 1", ds[0], 1, 5),
        "d2": int_slider("dilation, layer 2", ds[1], 1, 5),
        "d3": int_slider("dilation, layer 3", ds[2], 1, 5),
    }
    return Explorer(_explorer_draw, controls, dpi=80,
                        figure=ReusedAxesFigure(figsize=(7.0, 3.0), dpi=80),  # axes kept between redraws
                        title="Three stacked dilated convolutions: who reaches one output unit?")
