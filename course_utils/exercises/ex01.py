"""Exercises of 01_rand_vs_randn."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from . import exercise


@exercise("01.1", "A default nn.Conv2d(3, 16, 3, bias=False) gets a torch.rand image (values uniform in [0, 1), not "
                  "centred). In theory, what is the variance of its output?",
          hint="Section 5 gives Var(y) for any input; what it needs from the input is not its variance.",
          hint2="Var(y) = fan_in x Var(w) x E[x**2]: you need the fan-in, the variance of U(-b, b) with "
                "b = 1 / sqrt(fan_in), and E[U**2] from section 1.",
          explanation="fan_in = 27 and Var(w) = b**2 / 3 = 1/81, so Var(y) = 27 x 1/81 x E[U**2] = 1/3 x 1/3 = 1/9 "
                      "= 0.1111. With Var(U) = 1/12 in place of E[U**2] = 1/3 you would get 1/36: the input's mean "
                      "counts too.")
def _variance_on_a_rand_image() -> float:
    fan_in = 3 * 3 * 3
    weight_variance = (1 / math.sqrt(fan_in)) ** 2 / 3
    return fan_in * weight_variance * (1 / 3)


@exercise("01.2", "X = torch.rand(size=(1, 3, 320, 480)). What is X[0, 1].shape, as a tuple?",
          hint="Each index removes one axis, counted from the left of (N, C, H, W).",
          hint2="X[0] picks the only image of the batch; [1] then picks one of its channels. Which axes are left?",
          explanation="X[0, 1] is the green channel of the one image: 320 rows, 480 columns.")
def _shape_of_one_channel() -> tuple[int, ...]:
    return tuple(torch.rand(size=(1, 3, 320, 480))[0, 1].shape)


@exercise("01.3", "How many random numbers does torch.rand(size=(8, 3, 224, 224)) draw?",
          hint="One number per element of the tensor.",
          hint2="Multiply the sizes of all four axes (or make the tensor and use .numel()).",
          explanation="8 * 3 * 224 * 224 = 1,204,224: a batch of 8 RGB images of 224 x 224 pixels.")
def _number_of_elements() -> int:
    return torch.rand(size=(8, 3, 224, 224)).numel()


@exercise("01.4", "What fraction of torch.randn values lies in [-1, 1]? (2 significant digits are "
          "enough, so a measurement on a million samples is right too)",
          hint="Section 1 computes the fractions in [-2, 2] and [-3, 3]; do the same for 1, or measure it.",
          hint2="The fraction in [-z, z] is erf(z / sqrt(2)); with a million samples, count (Z.abs() <= 1).",
          explanation="About 68.3% of a normal distribution lies within one standard deviation.",
          digits=2)
def _one_sigma_fraction() -> float:
    return math.erf(1 / math.sqrt(2))


@exercise("01.5", "What is the standard deviation of torch.rand(n) - torch.rand(n), the difference of two "
                  "independent uniform tensors?",
          hint="Section 5 says how the variances of independent terms combine; subtracting is adding -U.",
          hint2="Var(-U) = Var(U) = 1/12, and the variances of independent terms add. Then take the square root.",
          explanation="Var = 1/12 + 1/12 = 1/6, so the standard deviation is sqrt(1/6) = 0.4082 (the difference "
                      "is not uniform: it has a triangular density on (-1, 1)).")
def _std_of_a_difference() -> float:
    return math.sqrt(2 / 12)


def _layer_case(g: torch.Generator) -> tuple[nn.Module]:
    """One layer, nn.Conv2d or nn.ConvTranspose2d, with groups, a rectangular kernel, stride and dilation.
    Built on the meta device: only the shapes exist, so building it draws no random numbers."""
    def draw(low: int, high: int) -> int:
        return int(torch.randint(low, high, (), generator=g))

    groups = (1, 3, 1, 4, 2)[draw(0, 5)]  # the 8 cases hold both kinds, grouped and not (a test checks)
    cin, cout = groups * draw(1, 9), groups * draw(1, 9)
    kernel, stride, dilation = (draw(1, 6), draw(1, 6)), draw(1, 4), draw(1, 3)
    kind = (nn.Conv2d, nn.ConvTranspose2d)[draw(0, 2)]
    return (kind(cin, cout, kernel, stride=stride, dilation=dilation, groups=groups, device="meta"),)


@exercise("01.6", "Write init_bound(layer): the bound b of the uniform U(-b, b) from which PyTorch's default draws "
                  "the weights of layer, an nn.Conv2d or an nn.ConvTranspose2d (with any groups).",
          hint="b = 1 / sqrt(fan_in); the question is what fan_in is for each kind of layer. Section 5 builds both.",
          hint2="The default reads fan_in from the weight's shape: weight.size(1) x kH x kW. What is weight.size(1) "
                "for each kind of layer, and do stride or dilation change it?",
          explanation="b = 1 / sqrt(weight.size(1) * kH * kW): in_channels / groups for a Conv2d, out_channels / "
                      "groups for a ConvTranspose2d (its weight is (in, out / groups, kH, kW)); stride and dilation "
                      "play no part.",
          cases=_layer_case)
def _init_bound_reference() -> Callable[[nn.Module], float]:
    def init_bound(layer: nn.Module) -> float:
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)  # what reset_parameters uses
        return 1 / math.sqrt(fan_in)

    return init_bound


@exercise("01.7", "Predict, then check with the panel: in the 'both' view with 10 bins on the slider (20 bars on "
                  "[-4, 4], each 0.4 wide) and 10,000 samples or more, how tall does theory say the torch.rand bar "
                  "on [0.8, 1.2) is?",
          hint="A bar's height is the fraction of the samples in it divided by its width. What fraction of U(0, 1) "
               "lies in [0.8, 1.2)?",
          hint2="No torch.rand value reaches 1, so only [0.8, 1) holds samples: that part of the bar is 0.2 wide.",
          explanation="0.2 of the samples in a bar 0.4 wide: height 0.2 / 0.4 = 0.5, half the density 1, because "
                      "the edge 1 of the uniform falls inside the bar. The same happens to any bar that straddles "
                      "an edge of a distribution.")
def _straddling_bar_height() -> float:
    return (1.0 - 0.8) / 0.4


@exercise("01.8", "He's initialisation for ReLU networks draws weights with variance 2 / fan_in. Which bound b makes "
                  "U(-b, b) do that for nn.Conv2d(128, 64, 3)? (4 significant digits)",
          hint="Two steps: the fan-in of this layer, then the b whose uniform has that variance.",
          hint2="fan_in = in_channels / groups x kH x kW, and U(-b, b) has variance b**2 / 3 (section 5, 'What the default start does').",
          explanation="fan_in = 128 x 9 = 1152; b**2 / 3 = 2 / 1152 gives b = sqrt(6 / 1152) = 0.07217, what "
                      "nn.init.kaiming_uniform_(weight, nonlinearity='relu') uses: sqrt(6) times the default's "
                      "1 / sqrt(fan_in).")
def _he_uniform_bound() -> float:
    return math.sqrt(6 / (128 * 3 * 3))
