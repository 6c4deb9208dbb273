"""The worked examples the diagrams of 05-06 use (numbers easy to follow by hand)."""

from __future__ import annotations

import torch

from .._checks import check_elements, check_int

__all__ = ["example_input", "example_kernel"]


def _example_size(name: str, size: object) -> int:
    size = check_int("size", size, minimum=1)
    check_elements(f"{name}(size={size:,})", size * size, "The figures use sizes 1 to 4.")
    return size


def example_input(size: int = 2) -> torch.Tensor:
    """The ``size x size`` input ``0, 1, 2, ...`` (``size=2`` is the worked example [[0,1],[2,3]]; 06)."""
    size = _example_size("example_input", size)
    return torch.arange(size * size, dtype=torch.float32).reshape(size, size)


def example_kernel(size: int = 2) -> torch.Tensor:
    """The kernel ``1.1, 2.2, 3.3, ...`` (``size=2`` is the worked example [[1.1,2.2],[3.3,4.4]]; 06)."""
    size = _example_size("example_kernel", size)
    # 11 * i / 10 in float64 is the double nearest to 1.1 * i, as round(1.1 * i, 1) gives
    return (torch.arange(1, size * size + 1, dtype=torch.float64) * 11 / 10).float().reshape(size, size)
