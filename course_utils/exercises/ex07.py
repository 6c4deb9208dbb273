"""Exercises of 07_bilinear_upsampling."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..conv.bilinear import bilinear_kernel, bilinear_upsampler
from . import exercise


def _upsampler(channels: int, factor: int) -> torch.nn.ConvTranspose2d:
    """``bilinear_upsampler`` without drawing from the global generator (layer init draws, then is replaced)."""
    with torch.random.fork_rng(devices=[]):
        return bilinear_upsampler(channels, factor)


@exercise("07.1", "What is the corner weight bilinear_kernel(1, 1, 8)[0, 0, 0, 0]?",
          hint="Section 1's two numbers for kernel size 8, then the tent at tap 0.",
          hint2="factor = (k + 1) // 2, and for an even k the centre lies between the two middle taps. The 2D "
                "weight at (0, 0) is the tent at tap 0 times the tent at tap 0.",
          explanation="(1 - 3.5/4)^2 = 0.125^2 = 0.015625.")
def _corner_weight() -> float:
    return bilinear_kernel(1, 1, 8)[0, 0, 0, 0].item()


@exercise("07.2", "Which (kernel_size, stride, padding) make a bilinear ConvTranspose2d multiply H and W by 12?",
          hint="Section 3's recipe for an even factor; verify your answer with the output-size formula.",
          hint2="The size (H - 1)s - 2p + k must equal 12H for every H: the terms in H and the constant terms "
                "must agree separately. Which kernel size makes the result bilinear, not only the size right?",
          explanation="(24, 12, 6): (H - 1) * 12 - 2 * 6 + 24 = 12H.")
def _factor_twelve() -> tuple[int, int, int]:
    layer = _upsampler(1, 12)
    return (layer.kernel_size[0], layer.stride[0], layer.padding[0])


@exercise("07.3", "The x8 layer (k16 s8 p4, bilinear) upsamples a 6 x 6 input of ones: what is the output "
                  "at row 1, column 24?",
          hint="Rows and columns are separate: the value is a row factor times a column factor. Row 1 is in the "
               "border ring, column 24 far inside.",
          hint2="Row 1: padding 4 crops the first 4 rows of the full output, so it is row 5 of the full output; "
                "which input rows reach it, and with which tap of the 16-tap tent (factor 8)? Column 24: what do "
                "the taps that reach an interior pixel add up to?",
          explanation="Only input row 0 reaches full row 5, with tap 5: 1 - |5 - 7.5| / 8 = 0.6875, times 1 from the "
                      "columns.")
def _x8_border() -> float:
    with torch.no_grad():
        return _upsampler(1, 8)(torch.ones(1, 1, 6, 6))[0, 0, 1, 24].item()


@exercise("07.4", "A strided convolution nn.Conv2d(1, 1, kernel_size=5, stride=2) with every weight 1 runs on a "
                  "large image x; then y.sum().backward(). Far from the border, what are the smallest and the "
                  "largest values of x.grad? Answer as (smallest, largest).",
          hint="The gradient of a convolution with respect to its input is a transposed convolution with the "
               "same weight and stride (notebook 05). Which section of this notebook counts what it adds up?",
          hint2="x.grad at a pixel counts the 5 x 5 windows, starting every 2 pixels, that cover it. Along one "
                "axis count the windows over each pixel; in 2D the count is the row count times the column count.",
          explanation="(4, 9): along one axis a pixel is covered by 2 or 3 of the windows, so 2 x 2 to 3 x 3. The "
                      "backward pass of a strided convolution is a transposed convolution, so an uneven overlap "
                      "(5 is not a multiple of 2) puts a checkerboard into the gradients too.")
def _gradient_k5_s2() -> tuple[int, int]:
    x = torch.zeros(1, 1, 40, 40, requires_grad=True)
    with torch.enable_grad():
        F.conv2d(x, torch.ones(1, 1, 5, 5), stride=2).sum().backward()
    inner = x.grad[0, 0, 10:30, 10:30]
    return int(inner.min()), int(inner.max())


def _row_and_factor(g: torch.Generator) -> tuple[torch.Tensor, int]:
    """A row of 1 to 8 random values and a whole factor from 1 to 4."""
    n, f = int(torch.randint(1, 9, (), generator=g)), int(torch.randint(1, 5, (), generator=g))
    return torch.rand(n, generator=g), f


@exercise("07.5", "Write upsample_linear(x, f): linear interpolation of the row x (n,) to n * f values by hand, "
                  "with align_corners=False, as F.interpolate(x[None, None], scale_factor=f, mode='linear', "
                  "align_corners=False)[0, 0] computes it.",
          hint="Output j sits at input position (j + 0.5) / f - 0.5 (section 1). Between two input samples, "
               "weight each by how close the position is to it.",
          hint2="What should a position below 0, or above n - 1, read? F.interpolate repeats the edge sample "
                "there. Test with f = 2 and x = torch.tensor([0., 1.]): F.interpolate gives [0, 0.25, 0.75, 1].",
          explanation="pos = max((j + 0.5) / f - 0.5, 0); i0 = floor(pos), i1 = min(i0 + 1, n - 1), "
                      "t = pos - i0; y[j] = (1 - t) * x[i0] + t * x[i1]. Outside [0, n - 1] the edge sample "
                      "repeats, which the transposed convolution does not do: the dark frame of section 2.",
          cases=_row_and_factor)
def _upsample_reference() -> Callable[[torch.Tensor, int], torch.Tensor]:
    def upsample_linear(x: torch.Tensor, f: int) -> torch.Tensor:
        return F.interpolate(x[None, None], scale_factor=f, mode="linear", align_corners=False)[0, 0]

    return upsample_linear


@exercise("07.6", "Two bilinear x2 layers (k4 s2 p1, bilinear_upsampler(1, 2) twice) upsample a 4 x 4 input of "
                  "ones to 16 x 16. What is the value of the output's corner pixel (row 0, column 0)?",
          hint="One layer at a time, along one axis: what does the first layer give on a row of ones (section 2)? "
               "That row is the input of the second layer.",
          hint2="The second layer's outermost output reads one input only, with the same tap as in section 2, but "
                "that input is no longer 1. In 2D, multiply the row factor by the column factor.",
          explanation="0.75 x 0.75 = 0.5625 along each axis, so 0.5625 ** 2 = 0.31640625 in the corner: the frames "
                      "multiply. One x4 layer (k8 s4 p2) has (5/8) ** 2 = 0.390625 there.")
def _stacked_corner() -> float:
    with torch.no_grad():
        out = _upsampler(1, 2)(_upsampler(1, 2)(torch.ones(1, 1, 4, 4)))
    return out[0, 0, 0, 0].item()
