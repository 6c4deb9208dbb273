"""Which cells a window touches, along one axis (03, 06): the geometry that scenes and panels read.

A convolution's output ``i`` reads the padded input at ``i*s + t*d`` for its taps ``t = 0 .. k-1``;
a transposed convolution's input element ``a`` adds its kernel copy at ``a*s + t*d - p`` of the
(cropped) output, where that lands inside it. Computed here once, in plain integers, so no diagram
restates the rule.
"""

from __future__ import annotations

__all__ = ["window_taps", "copy_taps", "padding_pair"]


def window_taps(out_index: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> list[int]:
    """Positions in the padded input that output ``out_index`` reads, one per kernel tap."""
    return [out_index * stride + t * dilation for t in range(kernel_size)]


def copy_taps(in_index: int, kernel_size: int, stride: int, padding: int, dilation: int,
              out_size: int) -> list[tuple[int, int]]:
    """``(tap, output position)`` of each tap of input ``in_index``'s kernel copy that lands inside the
    cropped output of ``out_size`` cells (``padding`` crops the start, ``output_padding`` adds at the end)."""
    spots = [(t, in_index * stride + t * dilation - padding) for t in range(kernel_size)]
    return [(t, o) for t, o in spots if 0 <= o < out_size]


def padding_pair(padding: int | str, kernel_size: int, dilation: int) -> tuple[int, int]:
    """Padding (before, after) along one axis; ``'same'`` puts the odd cell after, as PyTorch does."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = dilation * (kernel_size - 1)
        return total // 2, total - total // 2
    return int(padding), int(padding)
