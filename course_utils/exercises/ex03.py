"""Exercises of 03_conv2d_parameters."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..conv.sizes import conv_output_size
from . import exercise


@exercise("03.1", "AlexNet's first layer, nn.Conv2d(3, 96, kernel_size=11, stride=4), gets a 227 x 227 image. "
          "What is the output height?",
          hint="Use the output-size formula of section 2; this layer has no padding and no dilation.",
          explanation="floor((227 - 10 - 1) / 4) + 1 = 216 / 4 + 1 = 55.")
def _alexnet_output_height() -> int:
    return conv_output_size(227, 11, stride=4)


@exercise("03.2", "How many learnable parameters does nn.Conv2d(64, 128, 3, groups=4) have "
          "(weights and biases)?",
          hint="With groups=g the weight is (out, in/g, kH, kW); the bias still has one entry per "
               "output channel.",
          explanation="128 * 16 * 3 * 3 = 18432 weights + 128 biases = 18560, a quarter of the weights "
                      "of groups=1.")
def _grouped_parameters() -> int:
    return sum(p.numel() for p in nn.Conv2d(64, 128, 3, groups=4).parameters())


@exercise("03.3", "F.conv2d(x, w, padding='same', dilation=3) with a 4 x 4 kernel w: how many pixels of padding "
          "does PyTorch add before (top, left) and after (bottom, right) along each axis? Give (before, after).",
          hint="'same' pads d(k - 1) pixels in total along each axis, half on each side; section 2 says where "
               "an odd pixel goes.",
          explanation="d(k - 1) = 3 * 3 = 9 in total, an odd number: 4 before and 5 after, the extra pixel at "
                      "the end. F.pad(x, (4, 5, 4, 5)) and then a convolution without padding give the same output.")
def _same_padding_with_dilation() -> tuple[int, int]:
    x, w = torch.arange(1.0, 101.0).reshape(1, 1, 10, 10), torch.ones(1, 1, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the padded copy that an uneven 'same' makes
        same = F.conv2d(x, w, padding="same", dilation=3)
    return next((before, total - before) for total in range(20) for before in range(total + 1)
                if torch.equal(F.conv2d(F.pad(x, (before, total - before) * 2), w, dilation=3), same))


@exercise("03.4", "Which input widths W give an output width of 5 with kernel 3, stride 3 and no padding? "
          "Give them as a tuple, smallest first.",
          hint="The formula floors: floor((W - 3) / 3) + 1 = 5 means floor((W - 3) / 3) = 4. Which W satisfy "
               "12 <= W - 3 < 15?",
          explanation="(15, 16, 17): floor((W - 3) / 3) + 1 = 5 for W = 15, 16 and 17. With stride s, up to s input "
                      "sizes share one output size, which is why a transposed convolution needs output_padding.")
def _widths_giving_five() -> tuple[int, ...]:
    conv = nn.Conv1d(1, 1, 3, stride=3)
    with torch.no_grad():
        return tuple(w for w in range(3, 40) if conv(torch.zeros(1, 1, w)).shape[-1] == 5)


def _size_case(g: torch.Generator) -> tuple[int, int, int, int, int]:
    """(n, k, s, p, d): a kernel of 1 to 7 taps, stride 1 to 4, padding 0 to 3, dilation 1 to 3, and an
    input at least as large as the dilated kernel, so that the layer exists."""
    k, s, p, d = (int(torch.randint(low, high, (), generator=g)) for low, high in ((1, 8), (1, 5), (0, 4), (1, 4)))
    span = d * (k - 1) + 1
    n = max(1, span - 2 * p) + int(torch.randint(0, 12, (), generator=g))
    return n, k, s, p, d


@exercise("03.5", "Write output_size(n, k, s, p, d): the output length of a convolution with input length n, "
                  "kernel size k, stride s, padding p and dilation d (an int).",
          hint="First the span of the dilated kernel, d(k - 1) + 1; count how many stride-s steps it can take "
               "across the padded input n + 2p, and add the first position. Check with nn.Conv1d on torch.zeros.",
          explanation="floor((n + 2p - d(k - 1) - 1) / s) + 1, the formula of this notebook.",
          cases=_size_case)
def _output_size_reference() -> Callable[[int, int, int, int, int], int]:
    def output_size(n: int, k: int, s: int, p: int, d: int) -> int:
        return int(conv_output_size(n, k, stride=s, padding=p, dilation=d))

    return output_size
