"""Exercises of 04_dilated_convolution."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..conv.receptive import coverage_map
from ..conv.sizes import receptive_field
from . import exercise


def reached_by_autograd(kernel_sizes: Sequence[int], strides: Sequence[int],
                        dilations: Sequence[int]) -> torch.Tensor:
    """Which input positions reach output 0 of a real stack of ``nn.Conv1d`` layers (weights 1, no bias).

    Autograd answers, not a formula: the input is long enough for one output (an upper bound on the field),
    ``y[0].backward()`` runs, and the result is ``x.grad != 0`` from the first to the last reached
    position (a 1D bool tensor, as long as the receptive field). Draws nothing from the global generator.
    """
    jump_bound = math.prod(strides)
    length = 1 + jump_bound * sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations, strict=True))
    with torch.random.fork_rng(devices=[]), torch.enable_grad():  # layer init draws random weights
        layers = [nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
                  for k, s, d in zip(kernel_sizes, strides, dilations, strict=True)]
        for layer in layers:
            nn.init.ones_(layer.weight)  # weights 1: nothing cancels, every path counts
        x = torch.zeros(1, 1, length, requires_grad=True)
        nn.Sequential(*layers)(x)[0, 0, 0].backward()
    hit = (x.grad[0, 0] != 0).nonzero().flatten()
    return x.grad[0, 0, int(hit.min()): int(hit.max()) + 1] != 0


@exercise("04.1", "Four 3x3 convolutions with stride 1 and dilations 1, 2, 4, 8 are stacked. What is "
          "the receptive field (in pixels, along one side) of one output unit?",
          hint="Section 3's formula: with every stride 1, what is the jump at every layer?",
          hint2="With stride 1 each layer widens the window by its dilated span minus one, d(k - 1); the first "
                "layer alone sees 3 pixels. Add the widenings of the other three.",
          explanation="1 + 2 * (1 + 2 + 4 + 8) = 31: it about doubles (3, 7, 15, 31) while each layer keeps its 9 "
                      "weights.")
def _field_of_doubling_dilations() -> int:
    return receptive_field([(3, 1, d) for d in (1, 2, 4, 8)])


@exercise("04.2", "Four 3x3 layers with stride 1 and dilations 1, 2, 4, 8 all keep padding=1 (the padding was "
          "not raised with the dilation). A 64 x 64 map goes in: what is its height after the four layers?",
          hint="Which of the four layers keep the size? Section 2 says which padding does.",
          hint2="With stride 1 a layer changes the size by 2p - d(k - 1): the padding adds 2p, the dilated "
                "kernel's span takes d(k - 1) away. Work out the change for each of the four layers.",
          explanation="Each layer loses 2d - 2 pixels: 0, 2, 6 and 14, so 64 - 22 = 42. Only the first layer "
                      "keeps the size; padding = dilation would keep it in all four.")
def _size_with_padding_left_at_one() -> int:
    layers = [(3, d) for d in (1, 2, 4, 8)]
    size = 64
    for k, d in layers:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            conv = nn.Conv2d(1, 1, k, padding=1, dilation=d)
            size = conv(torch.zeros(1, 1, size, size)).shape[-2]
    return size


@exercise("04.3", "Three 3x3 layers with dilations 2, 4 and 4: how many pixels of the receptive field reach "
          "one output unit (have a non-zero gradient)?",
          hint="Work along one axis first: which offsets can a sum of one tap step per layer make? Then go to 2D.",
          hint2="Every step here is even, so only even offsets are reached. Halve the dilations: do the halved "
                "ones fill their own field (section 4's rule)? The 2D map is the outer product of two such rows.",
          explanation="Every dilation is even; halved, (1, 2, 2) fill their field by section 4's rule (2 <= 1 + 2 x 1, "
                      "2 <= 1 + 2 x 3), so every even offset 0, 2, ..., 20 is reached: 11 per axis, so 11 * 11 = 121 "
                      "of the 21 * 21 = 441 pixels. The odd offsets are never reached.")
def _pixels_reached() -> int:
    return int((coverage_map([(3, 1, 2), (3, 1, 4), (3, 1, 4)]) > 0).sum())


@exercise("04.4", "Three 3x3 layers with dilations 1, 4 and 5 have no common factor greater than 1. How many "
          "pixels of their 21 x 21 receptive field never reach one output unit?",
          hint="Section 4's rule, sorted dilations: which one breaks it, and which offset does it jump over?",
          hint2="Along one axis, list the offsets 0 to 20 that a sum of one step from each layer can make, and "
                "those it cannot. The map is symmetric. The 2D count of reached pixels is the square of the 1D one.",
          explanation="Offsets 3 and 17 are never reached, so 19 of 21 per axis: 21 * 21 - 19 * 19 = 80. "
                      "Sorted, 4 is more than 1 + 2 * 1, so offset 3 is skipped (and 17 = 20 - 3 by symmetry).")
def _holes_without_common_factor() -> int:
    return int((coverage_map([(3, 1, 1), (3, 1, 4), (3, 1, 5)]) == 0).sum())


def _stack_case(g: torch.Generator) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """1 to 4 layers, each with a kernel of 1, 2, 3, 5 or 7 taps, a stride of 1 to 3 and a dilation of 1 to 4."""
    layers = int(torch.randint(1, 5, (), generator=g))
    sizes = (1, 2, 3, 5, 7)
    kernel_sizes = tuple(sizes[int(i)] for i in torch.randint(0, len(sizes), (layers,), generator=g))
    strides = tuple(int(s) for s in torch.randint(1, 4, (layers,), generator=g))
    dilations = tuple(int(d) for d in torch.randint(1, 5, (layers,), generator=g))
    return kernel_sizes, strides, dilations


@exercise("04.5", "Write receptive_field_of(kernel_sizes, strides, dilations): the receptive field (pixels along "
                  "one side) of one output unit of a stack of convolutions, layer i having kernel size "
                  "kernel_sizes[i], stride strides[i] and dilation dilations[i] (an int). check compares it "
                  "with autograd on a real stack of nn.Conv1d layers.",
          hint="Walk from the input to the output and keep two numbers: the field so far, and the distance in "
               "input pixels between neighbouring units of the current layer (the jump).",
          hint2="A layer's taps are d units of its input apart, and those units are `jump` input pixels apart; "
                "a layer's stride changes the jump of the layers after it, not its own widening.",
          explanation="Start with field 1 and jump 1; per layer: field += d * (k - 1) * jump, then jump *= s. "
                      "The last layer's stride changes nothing.",
          cases=_stack_case)
def _receptive_field_reference() -> Callable[[tuple[int, ...], tuple[int, ...], tuple[int, ...]], int]:
    def receptive_field_of(kernel_sizes: tuple[int, ...], strides: tuple[int, ...],
                           dilations: tuple[int, ...]) -> int:
        return len(reached_by_autograd(kernel_sizes, strides, dilations))

    return receptive_field_of


@exercise("04.6", "A 3x3 layer with stride 2 is followed by two 3x3 layers with dilation 2 and stride 1. Its "
                  "receptive field is 19 x 19 pixels: how many of those 19 x 19 pixels reach one output unit?",
          hint="After a stride-2 layer, how many input pixels apart are the taps of a dilation-2 layer?",
          hint2="Along one axis each layer adds a step of d x jump input pixels, 0, 1 or 2 times: list the "
                "three step sizes, then which offsets from 0 to 18 the sums reach, then square it. Section 4's "
                "rule works on those steps.",
          explanation="The steps are 1, 2 x 2 = 4 and 2 x 2 = 4: offsets {0, 1, 2} + {0, 4, 8, 12, 16} miss 3, 7, "
                      "11 and 15, so 15 of 19 pixels per axis and 15 x 15 = 225 of the 19 x 19 = 361 in 2D. Sorted, "
                      "4 > 1 + 2 x 1: a dilation that fills its holes at stride 1 leaves them after a stride.")
def _stride_then_dilation_reached() -> int:
    return int(reached_by_autograd((3, 3, 3), (2, 1, 1), (1, 2, 2)).sum()) ** 2  # the 2D map is an outer product
