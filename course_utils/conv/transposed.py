"""Transposed convolution computed by hand, the ways 06_transposed_conv_step_by_step draws it.

* :func:`conv_transpose2d_scatter`: every input element scales the kernel, the
  scaled copy is placed in the output at ``stride`` offsets, the copies are
  summed; then ``padding`` crops every side and ``output_padding`` keeps extra
  rows/columns at the bottom/right.
* :func:`conv_transpose2d_zero_insertion`: insert ``stride - 1`` zeros between
  input elements, pad, and run an ordinary convolution with the flipped kernel.
* :func:`conv_transpose2d_steps`: the scatter one input element at a time, for
  the step-by-step diagrams.

Both functions take the same arguments as ``torch.nn.functional.conv_transpose2d``
(without bias) and give the same result: batches, channels, groups, dilation,
tuples and ``output_padding`` included. The weight has PyTorch's transposed
layout ``(in_channels, out_channels // groups, kH, kW)``.

They compute in ``torch.result_type(x, weight)``: an integer ``x`` with a float
``weight`` gives ``F.conv_transpose2d(x.float(), weight)``; float32 with float64
computes in float64 (where torch refuses the mix); two integer/bool tensors are
refused. Inputs that require grad give a result that carries the graph. A size
setting whose tensors would pass ``MAX_ELEMENTS`` numbers is refused before
anything is allocated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_elements, check_int, check_tuple
from .sizes import (
    _compute_dtype,
    _no_padding_string,
    conv_output_size,
    conv_transpose_output_size,
)

__all__ = [
    "ScatterStep",
    "conv_transpose2d_scatter",
    "conv_transpose2d_steps",
    "conv_transpose2d_zero_insertion",
    "matching_output_padding",
]

IntOrPair = int | Sequence[int]


@dataclass(frozen=True)
class _Setup:
    x: torch.Tensor  # (N, C_in, H, W)
    weight: torch.Tensor  # (C_in, C_out // groups, kH, kW)
    batched: bool
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_size: tuple[int, int]  # after cropping and output_padding
    full_size: tuple[int, int]  # before cropping: (H-1)s + d(k-1) + 1

    @property
    def canvas_size(self) -> tuple[int, int]:
        """Rows/columns the copies are summed on: the full output plus output_padding."""
        return (self.full_size[0] + self.output_padding[0], self.full_size[1] + self.output_padding[1])


def _setup(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: IntOrPair,
    padding: IntOrPair,
    output_padding: IntOrPair,
    groups: int,
    dilation: IntOrPair,
) -> _Setup:
    """Check the arguments the way ``F.conv_transpose2d`` does, with worded messages; convert
    ``x`` and ``weight`` to the dtype they compute in."""
    dtype = _compute_dtype(x=x, weight=weight)
    if x.dim() not in (3, 4):
        raise ValueError(f"x must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    if weight.dim() != 4:
        raise ValueError(
            "weight must be (in_channels, out_channels // groups, kH, kW) "
            f"(the transposed layout), got shape {tuple(weight.shape)}"
        )
    groups = check_int("groups", groups, minimum=1)
    batched = x.dim() == 4
    xb = (x if batched else x.unsqueeze(0)).to(dtype)
    weight = weight.to(dtype)
    c_in = xb.shape[1]
    if weight.shape[0] != c_in:
        raise ValueError(
            f"weight.shape[0] ({weight.shape[0]}) must equal the input's channels ({c_in}): "
            "a transposed convolution's weight is (in_channels, out_channels // groups, kH, kW)"
        )
    if c_in % groups:
        raise ValueError(f"in_channels ({c_in}) must be divisible by groups ({groups})")
    _no_padding_string("padding", padding)
    stride_t = check_tuple("stride", stride, 2, minimum=1)
    padding_t = check_tuple("padding", padding, 2, minimum=0)
    output_padding_t = check_tuple("output_padding", output_padding, 2, minimum=0)
    dilation_t = check_tuple("dilation", dilation, 2, minimum=1)
    size = (xb.shape[2], xb.shape[3])
    if min(xb.shape[1:]) < 1:  # an empty batch is fine: torch gives an empty result
        raise ValueError(f"x must not be empty, got shape {tuple(x.shape)}")
    kernel = (weight.shape[2], weight.shape[3])
    if weight.numel() == 0:
        raise ValueError(f"weight must not be empty, got shape {tuple(weight.shape)}")
    if all(isinstance(v, int) for v in (stride, padding, output_padding, dilation)):
        # one value for both axes: word any error without an axis index, as the learner typed it
        for n, k in zip(size, kernel, strict=True):
            conv_transpose_output_size(n, k, stride, padding, output_padding, dilation)  # type: ignore[arg-type]
    out = conv_transpose_output_size(size, kernel, stride_t, padding_t, output_padding_t, dilation_t)
    full = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride_t, dilation_t, kernel,
                                                                       strict=True))
    return _Setup(xb, weight, batched, stride_t, padding_t, output_padding_t, dilation_t, groups,
                  out, full)  # type: ignore[arg-type]


def _settings(setup: _Setup) -> str:
    """The sizes that make the engines' tensors large, for a size error: what to make smaller."""
    (h, w), (kh, kw) = setup.x.shape[2:], setup.weight.shape[2:]
    return f"a {h} x {w} input, a {kh} x {kw} kernel, stride {setup.stride} and dilation {setup.dilation}"


def _finish(setup: _Setup, canvas: torch.Tensor) -> torch.Tensor:
    """Crop ``padding`` from every side of the canvas (output_padding stays at the bottom/right)."""
    (ph, pw), (ho, wo) = setup.padding, setup.out_size
    out = canvas[..., ph: ph + ho, pw: pw + wo]
    return out if setup.batched else out.squeeze(0)


def _grouped_weight(setup: _Setup) -> torch.Tensor:
    """The weight as (groups, in_channels // groups, out_channels // groups, kH, kW)."""
    w = setup.weight
    return w.reshape(setup.groups, w.shape[0] // setup.groups, *w.shape[1:])


def conv_transpose2d_scatter(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> torch.Tensor:
    """Transposed convolution as a scatter (introduced in 06_transposed_conv_step_by_step).

    For each input position ``(i, j)`` the kernel, scaled by the input value there,
    is added to the output with its top-left corner at ``(i * stride, j * stride)``
    (kernel taps ``dilation`` apart). The summed copies form the full output of
    ``(H-1)s + d(k-1) + 1`` rows; ``padding`` then crops that many rows/columns from
    every side, and ``output_padding`` keeps that many more at the bottom/right.

    Same arguments and result as ``F.conv_transpose2d(x, weight, None, stride,
    padding, output_padding, groups, dilation)``; ``weight`` is
    ``(in_channels, out_channels // groups, kH, kW)``.
    """
    setup = _setup(x, weight, stride, padding, output_padding, groups, dilation)
    xb, g = setup.x, setup.groups
    n, c_in, h, w = xb.shape
    wg = _grouped_weight(setup)  # (G, Cin/G, Cout/G, kH, kW)
    kh, kw = wg.shape[-2:]
    (sh, sw), (dh, dw) = setup.stride, setup.dilation
    c_out = g * wg.shape[2]
    check_elements(
        f"conv_transpose2d_scatter for {_settings(setup)} (its canvas is {n} x {c_out} x "
        f"{setup.canvas_size[0]} x {setup.canvas_size[1]})",
        n * c_out * setup.canvas_size[0] * setup.canvas_size[1],
        "Use a smaller input, stride or dilation.",
    )
    canvas = xb.new_zeros(n, c_out, *setup.canvas_size)
    xg = xb.reshape(n, g, c_in // g, h, w)
    for i in range(h):
        for j in range(w):
            # every input value at (i, j) times its kernel, summed over the input channels
            copy = torch.einsum("ngc,gcokl->ngokl", xg[:, :, :, i, j], wg).reshape(n, c_out, kh, kw)
            top, left = i * sh, j * sw
            canvas[:, :, top: top + dh * (kh - 1) + 1: dh, left: left + dw * (kw - 1) + 1: dw] += copy
    return _finish(setup, canvas)


def conv_transpose2d_zero_insertion(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> torch.Tensor:
    """Transposed convolution as zero insertion + an ordinary convolution (06).

    1. insert ``stride - 1`` zeros between neighbouring input elements;
    2. pad ``dilation * (kernel_size - 1) - padding`` zeros on every side (a negative
       amount crops), plus ``output_padding`` more at the bottom/right;
    3. convolve (stride 1, same dilation) with the kernel flipped in both spatial
       axes and its two channel axes swapped.

    Same arguments and result as ``F.conv_transpose2d`` (bias aside). A weight holding
    NaN or inf is refused: step 3 multiplies every weight by the inserted zeros too, and
    ``0 * inf`` is NaN where ``F.conv_transpose2d`` adds nothing.
    """
    setup = _setup(x, weight, stride, padding, output_padding, groups, dilation)
    xb, g = setup.x, setup.groups
    if setup.weight.device.type != "meta" and not bool(torch.isfinite(setup.weight).all()):
        raise ValueError(
            "weight holds NaN or inf: zero insertion multiplies every weight by the inserted and padding "
            "zeros too, and 0 * nan or 0 * inf is nan, so the result would differ from "
            "F.conv_transpose2d's; use conv_transpose2d_scatter"
        )
    n, c_in, h, w = xb.shape
    (sh, sw), (dh, dw) = setup.stride, setup.dilation
    (ph, pw), (oph, opw) = setup.padding, setup.output_padding
    kh, kw = setup.weight.shape[-2:]
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    spread_size = ((h - 1) * sh + 1, (w - 1) * sw + 1)
    padded_size = (spread_size[0] + 2 * qh + oph, spread_size[1] + 2 * qw + opw)
    ho, wo = setup.out_size
    # the largest tensor: the spread or padded input, the output, or F.conv2d's columns (every
    # kernel-sized window of the padded input unfolded; torch's CPU convolution builds them for float64)
    c_out = g * setup.weight.shape[1]
    check_elements(
        f"conv_transpose2d_zero_insertion for {_settings(setup)} (its padded input is {n} x {c_in} x "
        f"{padded_size[0]} x {padded_size[1]}; F.conv2d unfolds it into {n} x {c_in * kh * kw} x "
        f"{ho * wo} columns)",
        n * max(c_in * spread_size[0] * spread_size[1], c_in * padded_size[0] * padded_size[1],
                c_in * kh * kw * ho * wo, c_out * ho * wo),
        "Use a smaller input, kernel, stride or dilation.",
    )
    spread = xb.new_zeros(n, c_in, *spread_size)
    spread[:, :, ::sh, ::sw] = xb  # step 1: the input with zeros inserted
    padded = F.pad(spread, (qw, qw + opw, qh, qh + oph))  # step 2 (negative pads crop)
    wg = _grouped_weight(setup).transpose(1, 2)  # (G, Cout/G, Cin/G, kH, kW)
    flipped = wg.reshape(-1, c_in // g, kh, kw).flip(-2, -1)
    out = F.conv2d(padded, flipped, stride=1, dilation=setup.dilation, groups=g)  # step 3
    return out if setup.batched else out.squeeze(0)


@dataclass(frozen=True)
class ScatterStep:
    """One step of the scatter: input element ``(row, col)`` adds its scaled kernel copy.

    ``copy`` and ``total`` are on the uncropped canvas (full output + output_padding);
    ``top``/``left`` is where the copy's top-left kernel tap lands. ``crop`` is the
    ``(top, left, height, width)`` of the final output inside the canvas.

    Made by :func:`conv_transpose2d_steps` (notebook 06), which checks its arguments; the record
    itself checks nothing (it is built once per step, and holds NaN or inf where ``x`` or
    ``weight`` does, as ``F.conv_transpose2d``'s output would).
    """

    index: int
    row: int
    col: int
    value: float
    top: int
    left: int
    copy: torch.Tensor
    total: torch.Tensor
    crop: tuple[int, int, int, int]

    @property
    def output(self) -> torch.Tensor:
        """The running sum cropped to the final output (what the output holds so far)."""
        top, left, height, width = self.crop
        return self.total[top: top + height, left: left + width]


def conv_transpose2d_steps(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> Iterator[ScatterStep]:
    """Yield the scatter one input element at a time, in row-major order (06).

    ``x`` is one channel, ``(H, W)`` (or ``(1, 1, H, W)``); ``weight`` is ``(kH, kW)``
    (or ``(1, 1, kH, kW)``). After the last step, ``step.output`` equals
    ``F.conv_transpose2d`` of the same arguments. The arguments are checked when this
    is called, before the first step; every step keeps a canvas-sized ``copy`` and
    ``total``, so an input whose steps would pass ``MAX_ELEMENTS`` numbers is refused.
    """
    for name, t in (("x", x), ("weight", weight)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not (t.dim() == 2 or (t.dim() == 4 and t.shape[:2] == (1, 1))):
            raise ValueError(
                f"{name} must be one channel, (H, W) or (1, 1, H, W), for the step-by-step view; "
                f"got shape {tuple(t.shape)} (use conv_transpose2d_scatter for channels)"
            )
        if t.is_complex() or t.device.type == "meta":
            what = "is complex" if t.is_complex() else "is on the meta device (shapes, no values)"
            raise TypeError(
                f"{name} {what}: the step-by-step view shows real numbers; "
                "use conv_transpose2d_scatter for the result"
            )
    x2, w2 = x.reshape(x.shape[-2:]), weight.reshape(weight.shape[-2:])
    setup = _setup(x2[None, None], w2[None, None], stride, padding, output_padding, 1, dilation)
    (h, w), (ch, cw) = x2.shape, setup.canvas_size
    check_elements(
        f"conv_transpose2d_steps for {_settings(setup)} ({h * w} steps, each keeping a {ch} x {cw} "
        "copy and total)",
        2 * h * w * ch * cw,
        "Use a smaller x, stride or dilation for the step-by-step view, or conv_transpose2d_scatter "
        "for the result.",
    )
    return _steps(setup)


def _steps(setup: _Setup) -> Iterator[ScatterStep]:
    x2, w2 = setup.x[0, 0], setup.weight[0, 0]
    kh, kw = w2.shape
    (sh, sw), (dh, dw) = setup.stride, setup.dilation
    crop = (setup.padding[0], setup.padding[1], *setup.out_size)
    total = x2.new_zeros(setup.canvas_size)
    for i in range(x2.shape[0]):
        for j in range(x2.shape[1]):
            copy = x2.new_zeros(setup.canvas_size)
            top, left = i * sh, j * sw
            copy[top: top + dh * (kh - 1) + 1: dh, left: left + dw * (kw - 1) + 1: dw] = x2[i, j] * w2
            total = total + copy
            yield ScatterStep(i * x2.shape[1] + j, i, j, float(x2[i, j].detach()), top, left, copy, total, crop)


def matching_output_padding(
    size: IntOrPair,
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> int | tuple[int, ...]:
    """The ``output_padding`` that makes a ConvTranspose2d undo a Conv2d's shape change (05, 06).

    A convolution maps ``size`` to ``conv_output_size(size, ...)``; the transposed
    convolution with the same settings maps that back to ``size`` only with this
    ``output_padding`` (the rows the convolution's floor dropped), always < stride.
    ``padding`` is a number (or one per axis): the transposed convolution has no
    ``'valid'``/``'same'`` padding, so those strings are refused (write 0 for ``'valid'``).

    >>> matching_output_padding(8, 3, stride=2, padding=1)  # 8 -> 4 -> 8
    1
    >>> matching_output_padding(7, 3, stride=2, padding=1)  # 7 -> 4 -> 7
    0
    """
    if isinstance(padding, Sequence) and not isinstance(padding, str):
        for i, p in enumerate(padding):
            _no_padding_string(f"padding[{i}]", p)
    _no_padding_string("padding", padding)
    small = conv_output_size(size, kernel_size, stride, padding, dilation)  # checks the arguments
    if not isinstance(small, tuple):
        return size - ((small - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1)  # type: ignore[operator]
    n = len(small)

    def axis(v: IntOrPair, i: int) -> int:
        return v[i] if isinstance(v, Sequence) else v  # type: ignore[return-value]

    return tuple(
        axis(size, i) - ((small[i] - 1) * axis(stride, i) - 2 * axis(padding, i)
                         + axis(dilation, i) * (axis(kernel_size, i) - 1) + 1)
        for i in range(n)
    )
