"""Bilinear upsampling kernels and the overlap maps of transposed convolutions (07_bilinear_upsampling).

``bilinear_kernel`` builds the weight that turns ``nn.ConvTranspose2d`` into
bilinear interpolation (双线性插值); ``bilinear_upsampler`` builds such a layer
for a whole-number factor. ``overlap_count`` counts how many kernel copies a
transposed convolution adds into each output pixel, the cause of checkerboard
artifacts (棋盘效应), and ``overlap_explorer`` shows it live.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure, FigureBase

from ._checks import check_int
from .conv.bilinear import MAX_LAYERS, _overlap_line, bilinear_kernel, overlap_count, steady_counts  # noqa: F401
from .plotting import COLORS, draw_grid, role_cmap
from .widgets import Explorer, int_slider

__all__ = ["overlap_explorer", "draw_overlap"]


#: Widest overlap map that draw_overlap prints a number in every pixel of.
MAX_ANNOTATED = 30


def draw_overlap(fig: Figure, kernel_size: int = 3, stride: int = 2, layers: int = 1, *,
                 input_size: int = 4, annotate_up_to: int = 9) -> str:
    """Draw the overlap map of a transposed convolution into ``fig`` and return a caption.

    Left: the count of kernel copies at every output pixel (numbers when the map is
    at most ``annotate_up_to`` pixels wide). Right: the counts along the fullest row.
    ``annotate_up_to`` is at most ``MAX_ANNOTATED`` (every number is a text on the figure).
    Used by :func:`overlap_explorer` and in 07_bilinear_upsampling.
    """
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or SubFigure, got {type(fig).__name__}")
    if check_int("annotate_up_to", annotate_up_to, minimum=0) > MAX_ANNOTATED:
        raise ValueError(
            f"annotate_up_to must be at most {MAX_ANNOTATED} (one text per pixel), got {annotate_up_to}"
        )
    counts = overlap_count(kernel_size, stride, input_size, layers=layers)
    size = counts.shape[0]
    ax_map, ax_row = fig.subplots(1, 2, width_ratios=(1.0, 1.3))
    if size <= annotate_up_to:  # small enough to print every count
        draw_grid(ax_map, counts, "output", fmt=".0f", vmin=0)
    else:  # one image, no per-cell artists: fast to redraw
        ax_map.imshow(counts.numpy(), cmap=role_cmap("output"), vmin=0, interpolation="nearest")
        ax_map.set_xticks([])
        ax_map.set_yticks([])
    ax_map.set_title(f"copies per output pixel ({size} x {size})", fontsize=9, color=COLORS["output"])
    r = int(counts.sum(dim=1).argmax())  # the fullest row (a middle row may fall in a gap)
    row = counts[r].numpy()
    x = np.arange(size)
    ax_row.fill_between(x, row, step="mid", color=role_cmap("output")(0.7), linewidth=0)
    ax_row.step(x, row, where="mid", color=COLORS["output"], linewidth=1.2)
    ax_row.set_xlim(-0.6, size - 0.4)
    ax_row.set_ylim(0, max(float(row.max()), 1.0) * 1.15)
    ax_row.set_title(f"counts along row {r}", fontsize=9)
    ax_row.tick_params(labelsize=7)
    ax_row.spines[["top", "right"]].set_visible(False)
    lo, hi = steady_counts(kernel_size, stride, layers)
    even = lo == hi
    ax_row.axhline(hi, color=COLORS["highlight"] if not even else "#888888", lw=0.8, ls="--")
    if even:
        verdict = f"even: every interior pixel gets {lo} copies"
    elif lo == 0:
        verdict = f"holes: some interior pixels get no copy at all (0 to {hi}) -> grid of gaps"
    else:
        verdict = f"uneven: interior pixels get {lo} to {hi} copies -> checkerboard"
    divides = "a multiple" if kernel_size % stride == 0 else "not a multiple"
    stack = "" if layers == 1 else f", applied {layers} times"
    line = f"nn.ConvTranspose2d(C, C, kernel_size={kernel_size}, stride={stride})"
    return (
        f"kernel_size {kernel_size} is {divides} of stride {stride}{stack}: {verdict}\n"
        f"output size ({input_size} - 1) x {stride} + {kernel_size} = {(input_size - 1) * stride + kernel_size}"
        f"{' per layer' if layers > 1 else ''}; PyTorch: {line}"
    )


def overlap_explorer(kernel_size: int = 3, stride: int = 2, layers: int = 1) -> Explorer:
    """A panel with sliders for kernel size, stride and number of stacked layers showing the overlap map.

    The starting values must lie in the sliders' ranges (kernel_size 1..8, stride 1..4,
    layers 1..2). Introduced in 07_bilinear_upsampling.
    """
    for name, value, top in (("kernel_size", kernel_size, 8), ("stride", stride, 4), ("layers", layers, 2)):
        if check_int(name, value, minimum=1) > top:
            raise ValueError(f"{name} must be between 1 and {top} in this panel, got {value}")
    controls = {
        "kernel_size": int_slider("kernel_size", kernel_size, 1, 8),
        "stride": int_slider("stride", stride, 1, 4),
        "layers": int_slider("stacked layers", layers, 1, 2),
    }

    def draw(fig: Figure, kernel_size: int, stride: int, layers: int) -> str:
        fig.set_layout_engine("none")  # fixed margins: faster than constrained layout
        fig.subplotpars.update(left=0.04, right=0.98, bottom=0.1, top=0.9, wspace=0.15)
        return draw_overlap(fig, kernel_size, stride, layers, input_size=3, annotate_up_to=0)

    return Explorer(draw, controls, figsize=(7.0, 3.0), dpi=80,
                    title="Overlap of kernel copies in a transposed convolution (3 x 3 ones in, kernel of ones)")
