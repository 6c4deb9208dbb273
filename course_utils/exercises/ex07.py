"""Exercises of 07_bilinear_upsampling."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..conv.bilinear import bilinear_kernel, bilinear_upsampler, steady_counts
from . import exercise


@exercise("07.1", "What is the corner weight bilinear_kernel(1, 1, 8)[0, 0, 0, 0]?",
          hint="Find the factor and the centre for k = 8 as in section 1, evaluate the tent at tap 0; the 2D "
               "filter is an outer product of two tents.",
          explanation="(1 - 3.5/4)^2 = 0.125^2 = 0.015625.")
def _corner_weight() -> float:
    return bilinear_kernel(1, 1, 8)[0, 0, 0, 0].item()


@exercise("07.2", "Which (kernel_size, stride, padding) make a bilinear ConvTranspose2d multiply H and W by 12?",
          hint="Section 3's recipe for an even factor; verify your answer with the output-size formula.",
          explanation="(24, 12, 6): (H - 1) * 12 - 2 * 6 + 24 = 12H.")
def _factor_twelve() -> tuple[int, int, int]:
    layer = bilinear_upsampler(1, 12)
    return (layer.kernel_size[0], layer.stride[0], layer.padding[0])


@exercise("07.3", "The x8 layer (k16 s8 p4, bilinear) upsamples a 6 x 6 input of ones: what is the output "
                  "at row 0, column 24?",
          hint="Row 0 is the outermost row: how many input rows reach it, and which tap of the 16-tap tent lands "
               "there once padding 4 has cropped the first rows? Column 24 is far from the border: what do the "
               "weights reaching an interior pixel add up to?",
          explanation="1 - |4 - 7.5| / 8 = 0.5625, times 1 from the columns.")
def _x8_border() -> float:
    with torch.no_grad():
        return bilinear_upsampler(1, 8)(torch.ones(1, 1, 6, 6))[0, 0, 0, 24].item()


@exercise("07.4", "Kernel 5, stride 2: smallest and largest number of kernel copies on one interior "
                  "output pixel, as (smallest, largest)?",
          hint="Along one axis, copies start every 2 pixels and are 5 long: count how many cover a pixel. "
               "In 2D the count is row count times column count.",
          explanation="(4, 9): 2 x 2 and 3 x 3; 5 is not a multiple of 2, so the counts are uneven.")
def _overlap_k5_s2() -> tuple[int, int]:
    return steady_counts(5, 2)


def _row_and_factor(g: torch.Generator) -> tuple[torch.Tensor, int]:
    """A row of 1 to 8 random values and a whole factor from 1 to 4."""
    n, f = int(torch.randint(1, 9, (), generator=g)), int(torch.randint(1, 5, (), generator=g))
    return torch.rand(n, generator=g), f


@exercise("07.5", "Write upsample_linear(x, f): linear interpolation of the row x (n,) to n * f values by hand, "
                  "with align_corners=False, as F.interpolate(x[None, None], scale_factor=f, mode='linear', "
                  "align_corners=False)[0, 0] computes it.",
          hint="Output j sits at input position (j + 0.5) / f - 0.5 (section 1). Between two input samples, "
               "weight each by how close the position is to it. What should a position below 0, or above "
               "n - 1, read? Test with f = 2 and x = torch.tensor([0., 1.]) first.",
          explanation="pos = max((j + 0.5) / f - 0.5, 0); i0 = floor(pos), i1 = min(i0 + 1, n - 1), "
                      "t = pos - i0; y[j] = (1 - t) * x[i0] + t * x[i1]. Outside [0, n - 1] the edge sample "
                      "repeats, which the transposed convolution does not do: the dark frame of section 2.",
          cases=_row_and_factor)
def _upsample_reference() -> Callable[[torch.Tensor, int], torch.Tensor]:
    def upsample_linear(x: torch.Tensor, f: int) -> torch.Tensor:
        return F.interpolate(x[None, None], scale_factor=f, mode="linear", align_corners=False)[0, 0]

    return upsample_linear
