"""A convolution written as one matrix (introduced in 05_conv_as_matrix).

A convolution is linear in its input, so it is a matrix ``C``: flatten the
input into a vector ``x`` and ``C @ x`` is the flattened output. Each row of
``C`` is one output element: the kernel's weights placed at the input positions
that the kernel covers there, zeros everywhere else. ``C.T`` is the transposed
convolution (and the gradient of the convolution with respect to its input).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._checks import check_elements, check_int, check_tuple
from .sizes import _compute_dtype, conv_output_size

__all__ = ["conv2d_matrix"]

IntOrPair = int | Sequence[int]


def conv2d_matrix(
    weight: torch.Tensor,
    input_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> torch.Tensor:
    """The matrix ``C`` with ``C @ x.flatten() == F.conv2d(x, weight, ...).flatten()`` (05).

    ``weight`` is ``(kH, kW)`` (one channel in, one out), or PyTorch's Conv2d layout
    ``(out_channels, in_channels // groups, kH, kW)``. ``input_size`` is ``H`` or
    ``(H, W)``. ``C`` has shape ``(out_channels * Ho * Wo, in_channels * H * W)``:
    rows in the order of the flattened output ``(C_out, Ho, Wo)``, columns in the
    order of the flattened input ``(C_in, H, W)``. Zero padding adds no columns: a
    kernel tap that falls on padding reads a zero, so it simply has no entry. With
    ``groups > 1`` the output channels of group ``g`` read only the input channels
    of group ``g``, so ``C`` is block-diagonal: one block per group, zeros elsewhere.

    ``C`` has the weight's dtype (an integer or bool weight is refused: use
    ``weight.float()``) and carries its graph when it requires grad. A ``C`` of more
    than ``MAX_ELEMENTS`` numbers is refused before it is allocated.

    >>> conv2d_matrix(torch.ones(3, 3), 4).shape
    torch.Size([4, 16])
    """
    _compute_dtype(weight=weight)
    if weight.dim() == 2:
        w4 = weight[None, None]
    elif weight.dim() == 4:
        w4 = weight
    else:
        raise ValueError(
            f"weight must be (kH, kW) or (out_channels, in_channels, kH, kW), got shape {tuple(weight.shape)}"
        )
    if w4.numel() == 0:
        raise ValueError(f"weight must not be empty, got shape {tuple(weight.shape)}")
    size = check_tuple("input_size", input_size, 2, minimum=1)
    stride_t = check_tuple("stride", stride, 2, minimum=1)
    padding_t = check_tuple("padding", padding, 2, minimum=0)
    dilation_t = check_tuple("dilation", dilation, 2, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    c_out, c_per_group, kh, kw = w4.shape
    if c_out % groups:
        raise ValueError(
            f"groups={groups} must divide the weight's out_channels ({c_out}): each group needs the same "
            "number of output channels"
        )
    c_in = c_per_group * groups
    out_per_group = c_out // groups
    if all(isinstance(v, int) for v in (input_size, stride, padding, dilation)):
        for k in (kh, kw):  # one value for both axes: word any error without an axis index
            conv_output_size(input_size, k, stride, padding, dilation)  # type: ignore[arg-type]
    ho, wo = conv_output_size(size, (kh, kw), stride_t, padding_t, dilation_t)  # type: ignore[misc]
    (h, w), (sh, sw), (ph, pw), (dh, dw) = size, stride_t, padding_t, dilation_t
    rows, cols = c_out * ho * wo, c_in * h * w
    check_elements(
        f"conv2d_matrix's C for a {h} x {w} input and a {ho} x {wo} output ({rows:,} x {cols:,})",
        rows * cols, "Use a smaller input_size or padding, or F.conv2d for big inputs.",
    )

    # Along each axis, every (output position, kernel tap) pair whose input pixel is inside the
    # input (a tap on padding reads a zero: no entry). Each combination is its own entry of C.
    oy, ky, iy = _taps(ho, kh, sh, ph, dh, h)
    ox, kx, ix = _taps(wo, kw, sw, pw, dw, w)
    o = torch.arange(c_out)[:, None, None, None]
    c = torch.arange(c_per_group)[None, :, None, None]
    first = (o // out_per_group) * c_per_group  # the first input channel of o's group
    y, x = (slice(None), None), (None, slice(None))  # pairs along y, then along x
    C = w4.new_zeros(c_out, ho, wo, c_in, h, w)
    index = (o, oy[y], ox[x], first + c, iy[y], ix[x])
    C[tuple(i.to(w4.device) for i in index)] = w4[o, c, ky[y], kx[x]]
    return C.reshape(rows, cols)


def _taps(n_out: int, k: int, s: int, p: int, d: int, n_in: int) -> tuple[torch.Tensor, ...]:
    """Along one axis: (output position, kernel tap, input position) of every tap inside the input."""
    at = torch.arange(n_out)[:, None] * s - p + torch.arange(k)[None, :] * d
    out, tap = torch.nonzero((at >= 0) & (at < n_in), as_tuple=True)
    return out, tap, at[out, tap]
