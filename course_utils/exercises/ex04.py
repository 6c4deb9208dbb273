"""Exercises of 04_dilated_convolution."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..conv.receptive import coverage_map
from ..conv.sizes import receptive_field
from . import exercise


@exercise("04.1", "Four 3x3 convolutions with stride 1 and dilations 1, 2, 4, 8 are stacked. What is "
          "the receptive field (in pixels, along one side) of one output unit?",
          hint="Each layer adds d * (k - 1) pixels when every stride is 1; start from 1.",
          explanation="1 + 2 * (1 + 2 + 4 + 8) = 31: it doubles with every layer, with no extra weights.")
def _field_of_doubling_dilations() -> int:
    layers = nn.Sequential(*(nn.Conv2d(1, 1, 3, dilation=d) for d in (1, 2, 4, 8)))
    return receptive_field(layers)[0]


@exercise("04.2", "Four 3x3 layers with stride 1 and dilations 1, 2, 4, 8 all keep padding=1 (the padding was "
          "not raised with the dilation). A 64 x 64 map goes in: what is its height after the four layers?",
          hint="With stride 1 a layer changes the size by 2p - d(k - 1) (the padding adds 2p, the dilated kernel's "
               "span takes d(k - 1) away); add up the changes of the four layers.",
          explanation="Each layer loses 2d - 2 pixels: 0, 2, 6 and 14, so 64 - 22 = 42. Only the first layer "
                      "keeps the size; padding = dilation would keep it in all four.")
def _size_with_padding_left_at_one() -> int:
    layers = nn.Sequential(*(nn.Conv2d(1, 1, 3, padding=1, dilation=d) for d in (1, 2, 4, 8)))
    with torch.no_grad():
        return layers(torch.zeros(1, 1, 64, 64)).shape[-2]


@exercise("04.3", "Three 3x3 layers with dilations 2, 2 and 4: how many pixels of the receptive field reach "
          "one output unit (have a non-zero gradient)?",
          hint="Along one axis the offsets are sums of one value from {0, 2, 4}, one from {0, 2, 4} and one from "
               "{0, 4, 8}; the 2D count is the square of the 1D count. Or use coverage_map.",
          explanation="9 offsets per axis (0, 2, ..., 16), so 9 * 9 = 81 of the 17 * 17 = 289 pixels: every "
                      "dilation is even, so the odd offsets are never reached.")
def _pixels_reached() -> int:
    return int((coverage_map([(3, 1, 2), (3, 1, 2), (3, 1, 4)]) > 0).sum())


@exercise("04.4", "Three 3x3 layers with dilations 1, 4 and 5 have no common factor greater than 1. How many "
          "pixels of their 21 x 21 receptive field never reach one output unit?",
          hint="Along one axis the offsets are sums of one value from {0, 1, 2}, one from {0, 4, 8} and one "
               "from {0, 5, 10}: which of 0 to 20 are missing? The 2D count of reached pixels is the square "
               "of the 1D one. Or use coverage_map.",
          explanation="Offsets 3 and 17 are never reached, so 19 of 21 per axis: 21 * 21 - 19 * 19 = 80. "
                      "Sorted, 4 is more than 1 + 2 * 1, so offset 3 is skipped (and 17 = 20 - 3 by symmetry).")
def _holes_without_common_factor() -> int:
    return int((coverage_map([(3, 1, 1), (3, 1, 4), (3, 1, 5)]) == 0).sum())


def _stack_case(g: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """1 to 5 layers, each with a kernel of 1, 2, 3, 5 or 7 taps and a dilation of 1 to 4."""
    layers = int(torch.randint(1, 6, (), generator=g))
    sizes = (1, 2, 3, 5, 7)
    kernel_sizes = tuple(sizes[int(i)] for i in torch.randint(0, len(sizes), (layers,), generator=g))
    dilations = tuple(int(d) for d in torch.randint(1, 5, (layers,), generator=g))
    return kernel_sizes, dilations


@exercise("04.5", "Write receptive_field_of(kernel_sizes, dilations): the receptive field (pixels along one side) "
                  "of one output unit of a stack of stride-1 convolutions, layer i having kernel size "
                  "kernel_sizes[i] and dilation dilations[i] (an int).",
          hint="One unit sees 1 pixel; every stride-1 layer widens the window by the span of its kernel minus 1.",
          explanation="1 + sum of d(k - 1) over the layers: with stride 1 the layers' widenings simply add up.",
          cases=_stack_case)
def _receptive_field_reference() -> Callable[[tuple[int, ...], tuple[int, ...]], int]:
    def receptive_field_of(kernel_sizes: tuple[int, ...], dilations: tuple[int, ...]) -> int:
        field = receptive_field([(k, 1, d) for k, d in zip(kernel_sizes, dilations, strict=True)])
        return int(field if isinstance(field, int) else field[0])

    return receptive_field_of
