"""Reproducible randomness (introduced in 01_rand_vs_randn)."""

from __future__ import annotations

import random

import numpy as np
import torch

from ._checks import check_int


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (every CUDA device too, when present).

    After ``set_seed(s)`` the same code draws the same numbers, so a notebook run
    top to bottom prints the same values every time. Returns nothing, so a setup
    cell that ends with it prints nothing.

    >>> set_seed(0); a = torch.rand(2)
    >>> set_seed(0); torch.equal(a, torch.rand(2))
    True
    """
    seed = check_int("seed", seed, minimum=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be below 2**32 (NumPy's limit), got {seed}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what np.random.* uses
    torch.manual_seed(seed)  # also seeds every CUDA device


def pick_device() -> torch.device:
    """The GPU when PyTorch sees one, otherwise the CPU (used by 08_fcn_segmentation)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
