"""Receptive fields measured with autograd: coverage maps (04_dilated_convolution).

A *coverage map* counts, for every input pixel, how many paths lead from it to one output
unit of a stack of layers. It is the gradient of that output unit with respect to the input
when every weight is 1, so autograd computes it; pixels with count 0 cannot influence the
unit at all (the holes of the gridding effect), and the pixels with a non-zero count span
exactly the receptive field (感受野) that :func:`~course_utils.conv.sizes.receptive_field`
computes by formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._checks import check_elements, check_int
from .._grad import autograd_on
from .._threads import one_thread
from .sizes import _flatten_layers, _layer_spec, _per_axis, receptive_field

__all__ = ["layer_specs", "coverage_map", "measure_receptive_field"]

Spec = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]

#: The most multiply-adds a coverage map may cost (forward pass; about a second on one core).
_MAX_WORK = 2**30


def layer_specs(layers: object) -> list[Spec]:
    """Each layer's ``((kH, kW), (sH, sW), (dH, dW))``, from modules or tuples (2D only)."""
    if isinstance(layers, torch.nn.Module):
        items = _flatten_layers(layers)
    elif isinstance(layers, Sequence) and not isinstance(layers, str):
        items = []
        for i, layer in enumerate(layers):
            items.extend(_flatten_layers(layer, f"layers[{i}]") if isinstance(layer, torch.nn.Module)
                         else [(f"layers[{i}]", layer)])
    else:
        raise TypeError(f"layers must be an nn.Sequential or a list of layers, got {type(layers).__name__}")
    if not items:
        raise ValueError("layers must contain at least one Conv, MaxPool or AvgPool layer")
    specs = []
    for name, layer in items:
        kernel, stride, dilation = _layer_spec(name, layer)
        k, s, d = (_per_axis(f"{name} {what}", v, 2) for what, v in
                   (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)))
        if len(k) != 2 or len(s) != 2 or len(d) != 2:
            raise ValueError(f"{name} must be a 2D layer (two spatial axes) for a coverage map")
        specs.append((k, s, d))
    return specs


def coverage_map(layers: object, margin: int = 0) -> torch.Tensor:
    """Number of paths from each input pixel to the central output unit of a stack.

    Every layer is replaced by a convolution with all weights 1 (a max pool counts
    every pixel it could pick), without padding; the input is the receptive field
    plus ``margin`` output steps on each side. The result is the gradient of the
    central output unit with respect to that input, as a ``(H, W)`` float tensor.
    With ``margin=0`` it is exactly the receptive field, e.g. 13 x 13 for three 3 x 3
    layers of dilation 2. Introduced in 04_dilated_convolution.

    Stacks whose map would hold more than ``2**25`` pixels, or cost more than ``2**30``
    multiply-adds, are refused at once (a typo in a kernel size would otherwise take hours).
    Autograd is switched on for the computation, so the map is the same inside
    ``torch.no_grad()`` or ``torch.inference_mode()``; the caller's mode is kept.
    """
    margin = check_int("margin", margin, minimum=0)
    specs = layer_specs(layers)
    field = receptive_field([(k, s, d) for k, s, d in specs])
    jump = [math.prod(s[a] for _, s, _ in specs) for a in range(2)]
    size = [field[a] + 2 * margin * jump[a] for a in range(2)]
    check_elements(f"coverage_map of a {field[0]} x {field[1]} receptive field (margin {margin})",
                   size[0] * size[1], "Use fewer or smaller layers, or a smaller margin.")
    work, (h, w) = 0, size
    for k, s, d in specs:  # each layer's output size times its kernel's taps
        h, w = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1, (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
        work += h * w * k[0] * k[1]
    if work > _MAX_WORK:
        raise ValueError(f"coverage_map for these layers would need {work:,} multiply-adds, more than "
                         f"{_MAX_WORK:,} (about a second); use fewer or smaller layers")
    with one_thread(), autograd_on():  # the learner may have turned gradients off
        x = torch.ones(1, 1, *size, dtype=torch.float64, requires_grad=True)
        y = x
        for k, s, d in specs:
            y = F.conv2d(y, torch.ones(1, 1, *k, dtype=torch.float64), stride=s, dilation=d)
        y[0, 0, margin, margin].backward()
    return x.grad[0, 0].detach()


def measure_receptive_field(layers: object) -> tuple[int, int]:
    """Receptive field measured with autograd: the extent (rows, columns) of the input
    pixels whose gradient is non-zero for one output unit (see :func:`coverage_map`).

    Agrees with :func:`~course_utils.arithmetic.receptive_field`; the tests check it on
    thousands of random stacks. Introduced in 04_dilated_convolution.
    """
    grad = coverage_map(layers, margin=1)
    rows = torch.nonzero(grad.abs().sum(1)).flatten()
    cols = torch.nonzero(grad.abs().sum(0)).flatten()
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
