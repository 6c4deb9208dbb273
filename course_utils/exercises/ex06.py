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
)
def output_padding_for_14() -> int:
    return int(matching_output_padding(14, 5, stride=3, padding=1))


@exercise(
    "06.4",
    "What is the shape of nn.ConvTranspose2d(in_channels=6, out_channels=4, kernel_size=3, groups=2).weight? "
    "(a tuple)",
    "Which channel count comes first in a transposed convolution's weight, the reverse of nn.Conv2d? "
    "Which of the two is divided by groups?",
    "(6, 2, 3, 3): the in_channels come first, the reverse of nn.Conv2d.",
)
def weight_shape() -> tuple[int, ...]:
    return tuple(nn.ConvTranspose2d(6, 4, 3, groups=2, device="meta").weight.shape)  # no random init


def _scatter_case(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, int]:
    """An input of 1 to 3 x 1 to 3 and a kernel of 1 to 3 x 1 to 3 small whole numbers, stride 1 to 3."""
    h, w, kh, kw = (int(v) for v in torch.randint(1, 4, (4,), generator=g))
    x = torch.randint(-3, 4, (h, w), generator=g).float()
    k = torch.randint(-3, 4, (kh, kw), generator=g).float()
    return x, k, int(torch.randint(1, 4, (), generator=g))


@exercise(
    "06.5",
    "Write trans_conv(x, k, stride): the transposed convolution of x (H, W) with the kernel k (kH, kW) and "
    "the given stride, no padding, computed by scattering one scaled copy of k per input element, as a "
    "tensor of shape ((H - 1) * stride + kH, (W - 1) * stride + kW).",
    "Start from zeros of the output shape; every input element adds one copy of k scaled by its value. With "
    "stride s, how far apart do the copies of two neighbouring elements start? Where copies overlap, they add.",
    "Equal to F.conv_transpose2d(x[None, None], k[None, None], stride=stride)[0, 0].",
    cases=_scatter_case,
)
def _trans_conv_reference() -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
    def trans_conv(x: torch.Tensor, k: torch.Tensor, stride: int) -> torch.Tensor:
        return F.conv_transpose2d(x[None, None], k[None, None], stride=stride)[0, 0]

    return trans_conv
