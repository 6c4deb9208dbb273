"""Exercises of 01_rand_vs_randn."""

from __future__ import annotations

import math

import torch

from . import exercise


@exercise("01.1", "What is the theoretical variance of 2 * torch.rand(n) - 1, uniform on [-1, 1)?",
          hint="Scaling by a multiplies the variance by a**2; shifting does not change it. Start from 1/12.",
          explanation="Var(2U - 1) = 4 * Var(U) = 4/12 = 1/3.")
def _variance_of_scaled_uniform() -> float:
    low, high = -1.0, 1.0
    return (high - low) ** 2 / 12


@exercise("01.2", "X = torch.rand(size=(1, 3, 320, 480)). What is X[0, 1].shape, as a tuple?",
          hint="X[0] drops the batch axis, then [1] picks one channel (green): what is left is (H, W).",
          explanation="X[0, 1] is the green channel of the one image: 320 rows, 480 columns.")
def _shape_of_one_channel() -> tuple[int, ...]:
    return tuple(torch.rand(size=(1, 3, 320, 480))[0, 1].shape)


@exercise("01.3", "How many random numbers does torch.rand(size=(8, 3, 224, 224)) draw?",
          hint="Multiply the sizes of all four axes (or make the tensor and use .numel()).",
          explanation="8 * 3 * 224 * 224 = 1,204,224: a batch of 8 RGB images of 224 x 224 pixels.")
def _number_of_elements() -> int:
    return torch.rand(size=(8, 3, 224, 224)).numel()


@exercise("01.4", "What fraction of torch.randn values lies in [-1, 1]? (2 significant digits are "
          "enough, so a measurement on a million samples is right too)",
          hint="For N(0, 1), P(|Z| <= 1) = erf(1 / sqrt(2)); or measure it on a million samples.",
          explanation="About 68.3% of a normal distribution lies within one standard deviation.",
          digits=2)
def _one_sigma_fraction() -> float:
    return math.erf(1 / math.sqrt(2))


@exercise("01.5", "What is the standard deviation of 5 + 2 * torch.randn(n)?",
          hint="Adding 5 moves the mean; multiplying by 2 stretches every distance from the mean.",
          explanation="mu + sigma * randn samples N(mu, sigma**2): here mean 5, standard deviation 2.")
def _std_of_shifted_normal() -> float:
    return 2.0
