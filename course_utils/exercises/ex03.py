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
          hint2="The kernel spans 11 pixels; count how many stride-4 steps fit into the 227 - 11 pixels left over, "
                "then add the first window.",
          explanation="floor((227 - 10 - 1) / 4) + 1 = 216 / 4 + 1 = 55.")
def _alexnet_output_height() -> int:
    return conv_output_size(227, 11, stride=4)


@exercise("03.2", "How many learnable parameters does nn.Conv2d(64, 128, 3, groups=4) have "
          "(weights and biases)?",
          hint="With groups=g the weight is (out, in/g, kH, kW); the bias still has one entry per "
               "output channel.",
          hint2="Each of the 128 filters sees 64 / 4 input channels through a 3 x 3 window; then add the biases.",
          explanation="128 * 16 * 3 * 3 = 18432 weights + 128 biases = 18560, a quarter of the weights "
                      "of groups=1.")
def _grouped_parameters() -> int:
    return sum(p.numel() for p in nn.Conv2d(64, 128, 3, groups=4).parameters())


@exercise("03.3", "F.conv2d(x, w, padding='same', dilation=3) with a 4 x 4 kernel w: how many pixels of padding "
          "does PyTorch add before (top, left) and after (bottom, right) along each axis? Give (before, after).",
          hint="'same' pads d(k - 1) pixels in total along each axis, half on each side; section 2 says where "
               "an odd pixel goes.",
          hint2="Compute the total d(k - 1) first; when it is odd, the smaller half goes before (top, left).",
          explanation="d(k - 1) = 3 * 3 = 9 in total, an odd number: 4 before and 5 after, the extra pixel at "
                      "the end. F.pad(x, (4, 5, 4, 5)) and then a convolution without padding give the same output.")
def _same_padding_with_dilation() -> tuple[int, int]:
    x, w = torch.arange(1.0, 101.0).reshape(1, 1, 10, 10), torch.ones(1, 1, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the padded copy that an uneven 'same' makes
        same = F.conv2d(x, w, padding="same", dilation=3)
    return next((before, total - before) for total in range(20) for before in range(total + 1)
                if torch.equal(F.conv2d(F.pad(x, (before, total - before) * 2), w, dilation=3), same))


@exercise("03.4", "A convolution with kernel 2, stride 3 and no padding runs over an input 10 pixels wide. Which "
          "input columns (counting from 0) does no window ever read? Give them as a tuple, smallest first.",
          hint="Write down where each window starts (0, 3, ...) and which columns its two taps cover; the output-size "
               "formula says how many windows there are.",
          hint2="There are floor((10 - 2) / 3) + 1 windows. List the columns they cover; the columns of 0..9 that "
                "are left over are the answer, the ones between windows as well as the ones at the end.",
          explanation="(2, 5, 8, 9): the 3 windows cover columns 0-1, 3-4 and 6-7. A stride larger than the kernel's "
                      "span skips pixels between the windows too, not only after the last one.")
def _columns_never_read() -> tuple[int, ...]:
    x = torch.ones(1, 1, 10, requires_grad=True)
    with torch.enable_grad():
        F.conv1d(x, torch.ones(1, 1, 2), stride=3).sum().backward()
    return tuple(i for i in range(10) if x.grad[0, 0, i] == 0)


def _size_case(g: torch.Generator) -> tuple[int, int, int, int, int]:
    """(n, k, s, p, d): a kernel of 1 to 7 taps, stride 1 to 4, padding 0 to 3, dilation 1 to 3, and an
    input at least as large as the dilated kernel, so that the layer exists."""
    k, s, p, d = (int(torch.randint(low, high, (), generator=g)) for low, high in ((1, 8), (1, 5), (0, 4), (1, 4)))
    span = d * (k - 1) + 1
    n = max(1, span - 2 * p) + int(torch.randint(0, 12, (), generator=g))
    return n, k, s, p, d


def _torch_length(n: int, k: int, s: int, p: int, d: int) -> int:
    """The output length of F.conv1d on zeros: PyTorch's own answer."""
    with torch.no_grad():
        return F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]


@exercise("03.5", "Write output_size(n, k, s, p, d): the output length of a convolution with input length n, "
                  "kernel size k, stride s, padding p and dilation d (an int), by counting window positions.",
          hint="The span of the dilated kernel is d(k - 1) + 1 and the padded input has n + 2p pixels. How far from "
               "0 can the last window start?",
          hint2="The last window starts at most n + 2p - span from 0. Count the multiples of s from 0 up to there "
                "(integer division), 0 included.",
          explanation="floor((n + 2p - d(k - 1) - 1) / s) + 1: the formula of section 2, found by counting.",
          cases=_size_case)
def _output_size_reference() -> Callable[[int, int, int, int, int], int]:
    def output_size(n: int, k: int, s: int, p: int, d: int) -> int:
        return _torch_length(n, k, s, p, d)

    return output_size


def _inverse_case(g: torch.Generator) -> tuple[int, int, int, int, int]:
    """(out, k, s, p, d): 1 to 6 outputs, a kernel of 1 to 6 taps, stride 1 to 4, dilation 1 to 3, and a
    padding of 0 to 3 small enough that some input of at least 1 pixel gives ``out`` values."""
    out, k, s, p, d = (int(torch.randint(low, high, (), generator=g))
                       for low, high in ((1, 7), (1, 7), (1, 5), (0, 4), (1, 4)))
    reach = (out - 1) * s + d * (k - 1) + 1  # the padded input the out windows need
    return out, k, s, min(p, (reach - 1) // 2), d


@exercise("03.6", "Write smallest_input(out, k, s, p, d): the smallest input length n for which a convolution with "
                  "kernel k, stride s, padding p and dilation d returns out values (an int).",
          hint="Make the last window end exactly on the last pixel of the padded input: with out windows, the last "
               "one starts (out - 1) s from the first.",
          hint2="The padded input must hold that start plus the span of the dilated kernel, d(k - 1) + 1; the padding "
                "supplies 2p of those pixels.",
          explanation="n = (out - 1) s + d(k - 1) + 1 - 2p; the s - 1 lengths above it give out values too. It is the "
                      "output size of a transposed convolution with the same settings (notebook 06), which is why "
                      "that layer needs output_padding to reach the others.",
          cases=_inverse_case)
def _smallest_input_reference() -> Callable[[int, int, int, int, int], int]:
    def smallest_input(out: int, k: int, s: int, p: int, d: int) -> int:
        span = d * (k - 1) + 1
        return next(n for n in range(max(1, span - 2 * p), 200) if _torch_length(n, k, s, p, d) == out)

    return smallest_input
