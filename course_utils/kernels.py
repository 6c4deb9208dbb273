"""Bilinear upsampling kernels and the overlap maps of transposed convolutions (07_bilinear_upsampling).

``bilinear_kernel`` builds the weight that turns ``nn.ConvTranspose2d`` into
bilinear interpolation (双线性插值); ``bilinear_upsampler`` builds such a layer
for a whole-number factor. ``overlap_count`` counts how many kernel copies a
transposed convolution adds into each output pixel, the cause of checkerboard
artifacts (棋盘效应), and ``overlap_explorer`` shows it live.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure, FigureBase
from torch import nn

from ._checks import check_elements, check_int
from .plotting import COLORS, draw_grid, role_cmap
from .widgets import Explorer, int_slider

__all__ = [
    "bilinear_profile",
    "bilinear_kernel",
    "bilinear_upsampler",
    "overlap_count",
    "steady_counts",
    "overlap_explorer",
    "draw_overlap",
]


def bilinear_profile(kernel_size: int) -> torch.Tensor:
    """The 1D tent ``1 - |i - centre| / factor`` for ``i = 0 .. kernel_size - 1``.

    ``factor = (kernel_size + 1) // 2`` is the upsampling factor the kernel is made
    for. For odd ``kernel_size`` the centre is the middle tap ``factor - 1`` (value
    1); for even ``kernel_size`` it lies between the two middle taps, at
    ``factor - 0.5``. ``bilinear_profile(4)`` is ``[0.25, 0.75, 0.75, 0.25]``.
    Introduced in 07_bilinear_upsampling.
    """
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    check_elements(f"bilinear_profile(kernel_size={kernel_size})", kernel_size, "Use a smaller kernel_size.")
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    taps = torch.arange(kernel_size, dtype=torch.float64)
    return (1 - (taps - centre).abs() / factor).float()


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int) -> torch.Tensor:
    """A ``(in_channels, out_channels, k, k)`` weight for ``nn.ConvTranspose2d`` that upsamples bilinearly.

    The 2D filter is the outer product of two tents (:func:`bilinear_profile`),
    placed on the channel diagonal: input channel ``c`` feeds only output channel
    ``c``, so every channel is interpolated on its own. As the weight of a
    transposed convolution with ``stride = factor = (k + 1) // 2`` and
    ``padding = factor // 2`` (k4 s2 p1, k16 s8 p4, k64 s32 p16) it gives
    ``F.interpolate(mode="bilinear", align_corners=False)`` everywhere except a
    border ring ``factor // 2`` pixels wide.

    ``in_channels`` must equal ``out_channels``: a diagonal needs a square
    channel matrix, and mixing channels is not interpolation (the course's
    version raises a ``ValueError`` where the classic code fails with an
    indexing error). Introduced in 07_bilinear_upsampling.
    """
    in_channels = check_int("in_channels", in_channels, minimum=1)
    out_channels = check_int("out_channels", out_channels, minimum=1)
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    if in_channels != out_channels:
        raise ValueError(
            f"in_channels ({in_channels}) must equal out_channels ({out_channels}): the bilinear filter "
            "sits on the channel diagonal (channel c -> channel c); change the number of channels "
            "with a 1x1 convolution before or after upsampling"
        )
    check_elements(
        f"bilinear_kernel({in_channels}, {out_channels}, {kernel_size})",
        in_channels * out_channels * kernel_size**2, "Use fewer channels or a smaller kernel_size.",
    )
    tent = bilinear_profile(kernel_size)
    filt = tent[:, None] * tent[None, :]
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size)
    channels = torch.arange(in_channels)
    weight[channels, channels] = filt
    return weight


def bilinear_upsampler(channels: int, factor: int, *, bias: bool = False) -> nn.ConvTranspose2d:
    """``nn.ConvTranspose2d`` that multiplies H and W by ``factor``, initialised with :func:`bilinear_kernel`.

    It uses ``kernel_size = 2 * factor - factor % 2``, ``stride = factor`` and
    ``padding = factor // 2``, so an H x W input gives exactly
    ``factor * H x factor * W`` (factor 2: k4 s2 p1; 8: k16 s8 p4; 32: k64 s32 p16).
    The weights stay trainable. Introduced in 07_bilinear_upsampling.
    """
    channels = check_int("channels", channels, minimum=1)
    factor = check_int("factor", factor, minimum=1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r} ({type(bias).__name__})")
    k = 2 * factor - factor % 2
    check_elements(
        f"bilinear_upsampler({channels}, {factor})'s weight ({channels} x {channels} x {k} x {k})",
        channels * channels * k * k, "Use fewer channels or a smaller factor.",
    )
    layer = nn.ConvTranspose2d(channels, channels, kernel_size=k, stride=factor, padding=factor // 2,
                               bias=bias)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(channels, channels, k))
        if bias:
            layer.bias.zero_()
    return layer


#: Most stacked layers the overlap helpers apply: the pattern of a stack shows after two or three
#: layers, and each layer is one more F.conv_transpose1d call.
MAX_LAYERS = 8


def _overlap_line(kernel_size: int, stride: int, input_size: int, layers: int, what: str,
                  dims: int) -> torch.Tensor:
    """The 1D copy counts along one axis (float64), after checking the arguments and that ``what``,
    the caller's result of ``dims`` axes, stays within ``MAX_ELEMENTS``."""
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    input_size = check_int("input_size", input_size, minimum=1)
    layers = check_int("layers", layers, minimum=1)
    if layers > MAX_LAYERS:
        raise ValueError(
            f"layers must be at most {MAX_LAYERS}, got {layers}: the overlap pattern of a stack "
            "shows after two or three layers"
        )
    size = input_size
    for _ in range(layers):  # Python ints: the size (it grows with every layer) before anything is built
        size = (size - 1) * stride + kernel_size
    check_elements(f"{what} ({' x '.join([str(size)] * dims)})", size**dims,
                   "Use a smaller kernel_size, stride, input_size or fewer layers.")
    line = torch.ones(1, 1, input_size, dtype=torch.float64)
    ones = torch.ones(1, 1, kernel_size, dtype=torch.float64)
    for _ in range(layers):
        line = F.conv_transpose1d(line, ones, stride=stride)
    return line[0, 0]


def overlap_count(kernel_size: int, stride: int, input_size: int = 4, *, layers: int = 1) -> torch.Tensor:
    """How many kernel copies land on each output pixel of a transposed convolution.

    A transposed convolution adds one scaled copy of the k x k kernel per input
    pixel, ``stride`` apart. Feeding ones through it with a kernel of ones counts
    the copies that overlap at each output pixel. When ``kernel_size`` is a
    multiple of ``stride`` every interior pixel gets the same count; otherwise the
    counts alternate, and a learned kernel paints that pattern as a checkerboard.
    ``layers`` (at most ``MAX_LAYERS``) applies the same layer that many times
    (stacked upsampling). The ones input and the kernel of ones are outer products
    of 1D ones, so the map is the outer product of the 1D counts (the same numbers
    as ``F.conv_transpose2d``, without its k x k-times-larger work buffer). Returns
    an ``(H_out, W_out)`` float64 tensor of whole numbers; a map of more than
    ``MAX_ELEMENTS`` pixels is refused. Introduced in 07_bilinear_upsampling.
    """
    line = _overlap_line(kernel_size, stride, input_size, layers, "overlap_count's map", 2)
    return torch.outer(line, line)


def steady_counts(kernel_size: int, stride: int, layers: int = 1) -> tuple[int, int]:
    """Smallest and largest overlap count far from the border (the pattern that repeats).

    Computed on a large input (``4 * kernel_size + 8`` pixels), in a central window one
    period (``stride ** layers``) wide. Introduced in 07_bilinear_upsampling.
    """
    input_size = 4 * check_int("kernel_size", kernel_size, minimum=1) + 8
    line = _overlap_line(kernel_size, stride, input_size, layers, "steady_counts' row of counts", 1)
    period = stride**layers
    middle = line.shape[0] // 2
    window = line[middle: middle + period]
    # the map is the outer product of the line with itself, and the counts are >= 0
    return int(window.min()) ** 2, int(window.max()) ** 2


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
