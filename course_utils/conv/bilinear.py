"""Bilinear kernels and overlap counts of transposed convolutions (07_bilinear_upsampling).

``bilinear_kernel`` builds the weight that turns ``nn.ConvTranspose2d`` into
bilinear interpolation (双线性插值); ``bilinear_upsampler`` builds such a layer
for a whole-number factor. ``overlap_count`` counts how many kernel copies a
transposed convolution adds into each output pixel, the cause of checkerboard
artifacts (棋盘效应).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_elements, check_int

__all__ = ["bilinear_profile", "bilinear_kernel", "bilinear_upsampler", "overlap_count", "steady_counts",
           "MAX_LAYERS"]


def bilinear_profile(kernel_size: int) -> torch.Tensor:
    """The 1D tent ``1 - |i - centre| / factor`` for ``i = 0 .. kernel_size - 1``.

    ``factor = (kernel_size + 1) // 2`` is the upsampling factor the kernel is made
    for. For odd ``kernel_size`` the centre is the middle tap ``factor - 1`` (value
    1); for even ``kernel_size`` it lies between the two middle taps, at
    ``factor - 0.5``. ``bilinear_profile(4)`` is ``[0.25, 0.75, 0.75, 0.25]``, in the
    default dtype (``torch.get_default_dtype()``, float32 unless changed). Introduced in
    07_bilinear_upsampling.
    """
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    check_elements(f"bilinear_profile(kernel_size={kernel_size})", kernel_size, "Use a smaller kernel_size.")
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    taps = torch.arange(kernel_size, dtype=torch.float64)
    return (1 - (taps - centre).abs() / factor).to(torch.get_default_dtype())


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
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size, dtype=filt.dtype)
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
