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
from matplotlib.figure import Figure
from torch import nn

from ._checks import check_int
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
    k = 2 * factor - factor % 2
    layer = nn.ConvTranspose2d(channels, channels, kernel_size=k, stride=factor, padding=factor // 2,
                               bias=bias)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(channels, channels, k))
        if bias:
            layer.bias.zero_()
    return layer


def overlap_count(kernel_size: int, stride: int, input_size: int = 4, *, layers: int = 1) -> torch.Tensor:
    """How many kernel copies land on each output pixel of a transposed convolution.

    A transposed convolution adds one scaled copy of the k x k kernel per input
    pixel, ``stride`` apart. Feeding ones through it with a kernel of ones counts
    the copies that overlap at each output pixel. When ``kernel_size`` is a
    multiple of ``stride`` every interior pixel gets the same count; otherwise the
    counts alternate, and a learned kernel paints that pattern as a checkerboard.
    ``layers`` applies the same layer that many times (stacked upsampling).
    Returns an ``(H_out, W_out)`` tensor of whole numbers. Introduced in 07_bilinear_upsampling.
    """
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    input_size = check_int("input_size", input_size, minimum=1)
    layers = check_int("layers", layers, minimum=1)
    x = torch.ones(1, 1, input_size, input_size, dtype=torch.float64)
    w = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    for _ in range(layers):
        x = F.conv_transpose2d(x, w, stride=stride)
    return x[0, 0]


def steady_counts(kernel_size: int, stride: int, layers: int = 1) -> tuple[int, int]:
    """Smallest and largest overlap count far from the border (the pattern that repeats).

    Computed on a large input, in a central window one period (``stride ** layers``) wide.
    """
    period = stride**layers
    counts = overlap_count(kernel_size, stride, 4 * kernel_size + 8, layers=layers)
    middle = counts.shape[0] // 2
    window = counts[middle: middle + period, middle: middle + period]
    return int(window.min()), int(window.max())


def draw_overlap(fig: Figure, kernel_size: int = 3, stride: int = 2, layers: int = 1, *,
                 input_size: int = 4, annotate_up_to: int = 9) -> str:
    """Draw the overlap map of a transposed convolution into ``fig`` and return a caption.

    Left: the count of kernel copies at every output pixel (numbers when the map is
    at most ``annotate_up_to`` pixels wide). Right: the counts along the fullest row.
    Used by :func:`overlap_explorer` and in 07_bilinear_upsampling.
    """
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

    Introduced in 07_bilinear_upsampling.
    """
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
