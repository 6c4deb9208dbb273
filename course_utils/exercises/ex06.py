"""Exercises of 06_transposed_conv_step_by_step (answers computed with PyTorch)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..conv.sizes import conv_transpose_output_size
from ..conv.transposed import matching_output_padding
from . import exercise


@exercise(
    "06.1",
    "What is the output height of nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, "
    "output_padding=1) on a 7x7 input?",
    "Start from the full result: how many rows do 7 copies of a 3-row kernel, 2 apart, cover? Then padding "
    "crops rows on both sides and output_padding adds rows at the bottom.",
    "(7-1)*2 - 2 + 2 + 1 + 1 = 14: exactly twice the input.",
    hint2="The last of the 7 copies starts at row 6 * 2 and is 3 rows tall: that is the full height. Take 1 "
    "row off the top and 1 off the bottom for padding 1, then add output_padding's row.",
)
def output_height() -> int:
    return int(conv_transpose_output_size(7, 3, stride=2, padding=1, output_padding=1))


@exercise(
    "06.2",
    "A transposed convolution with stride 1 takes the input [[1, 2], [3, 4]] and the kernel [[1, 0], [2, 1]]. "
    "Which value lands in the centre of the 3x3 output?",
    "Draw the four scaled copies of the kernel: the copy of input (i, j) starts at (i, j). Each of them "
    "covers the centre with a different tap.",
    "1*1 + 2*2 + 3*0 + 4*1 = 9: input (0, 0) meets it with the kernel's bottom-right tap, input (1, 1) "
    "with its top-left tap.",
    hint2="The copy of input (i, j) puts kernel tap (1 - i, 1 - j) on the centre (1, 1). Multiply each input "
    "element by that tap and add the four products.",
)
def centre_value() -> float:
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = torch.tensor([[[[1.0, 0.0], [2.0, 1.0]]]])
    return float(F.conv_transpose2d(x, w)[0, 0, 1, 1])


@exercise(
    "06.3",
    "nn.Conv2d(1, 1, 5, stride=3, padding=1) turns a 14x14 input into 4x4. Which output_padding must the "
    "matching nn.ConvTranspose2d(1, 1, 5, stride=3, padding=1) use to give 14x14 back?",
    "What size does the transposed convolution return without output_padding?",
    "It returns (4-1)*3 - 2 + 5 = 12 without it; 12, 13 and 14 all give 4, and output_padding=2 picks 14.",
    hint2="Compute (H - 1)*stride - 2*padding + kernel_size for H = 4: output_padding adds what is missing to "
    "reach 14, and it must stay smaller than the stride.",
)
def output_padding_for_14() -> int:
    return int(matching_output_padding(14, 5, stride=3, padding=1))


@exercise(
    "06.4",
    "nn.Conv2d(8, 12, kernel_size=3, groups=4) maps 8 channels to 12. Its transpose maps the 12 channels back "
    "to 8 with the same kernel size and groups: what is the shape of that nn.ConvTranspose2d's weight? (a tuple)",
    "Write the transpose as a layer: nn.ConvTranspose2d(in_channels=?, out_channels=?, 3, groups=4). Its weight "
    "is (in_channels, out_channels / groups, kH, kW), the other way round from nn.Conv2d.",
    "(12, 2, 3, 3): nn.ConvTranspose2d(12, 8, 3, groups=4), whose weight has exactly the shape of the "
    "Conv2d's weight (12, 8/4, 3, 3). The transpose reuses the convolution's weight as it is (notebook 05).",
    hint2="The transpose takes the Conv2d's 12 output channels as its input channels and gives back 8. Divide "
    "the right one of the two by groups = 4.",
)
def weight_shape() -> tuple[int, ...]:
    return tuple(nn.ConvTranspose2d(12, 8, 3, groups=4, device="meta").weight.shape)  # no random init


def _scatter_case(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """An input of 1 to 3 x 1 to 3 and a kernel of 1 to 3 x 1 to 3, stride 1 to 3, and a padding that leaves
    at least one output cell. The values are quarters that are never whole (exact in binary), so an
    output accumulated in an integer tensor, which truncates them, fails."""
    h, w, kh, kw = (int(v) for v in torch.randint(1, 4, (4,), generator=g))
    x = (torch.randint(-6, 7, (h, w), generator=g) + 0.5) / 2
    k = (torch.randint(-6, 7, (kh, kw), generator=g) + 0.5) / 2
    stride = int(torch.randint(1, 4, (), generator=g))
    full = min((h - 1) * stride + kh, (w - 1) * stride + kw)
    padding = int(torch.randint(0, min(2, (full - 1) // 2) + 1, (), generator=g))
    return x, k, stride, padding


@exercise(
    "06.5",
    "Write trans_conv(x, k, stride, padding): the transposed convolution of x (H, W) with the kernel k (kH, kW), "
    "computed by scattering one scaled copy of k per input element, the copies stride apart, then padding rows "
    "and columns cropped from every side: a tensor of shape ((H - 1) * stride + kH - 2 * padding, "
    "(W - 1) * stride + kW - 2 * padding).",
    "Start from the scatter_by_hand of section 2: zeros of the full size, (H - 1) * stride + kH rows, and the "
    "copy of element (i, j) starting at (i * stride, j * stride). Crop at the end, not before.",
    "Equal to F.conv_transpose2d(x[None, None], k[None, None], stride=stride, padding=padding)[0, 0].",
    hint2="Build the full sum in a float tensor (the values are fractions), then return full[padding:rows - "
    "padding, padding:cols - padding]: the same number of rows cut at the top and at the bottom.",
    cases=_scatter_case,
)
def _trans_conv_reference() -> Callable[[torch.Tensor, torch.Tensor, int, int], torch.Tensor]:
    def trans_conv(x: torch.Tensor, k: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
        return F.conv_transpose2d(x[None, None], k[None, None], stride=stride, padding=padding)[0, 0]

    return trans_conv
