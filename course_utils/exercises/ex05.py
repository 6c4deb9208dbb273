"""Exercises of 05_conv_as_matrix (answers computed with course_utils and PyTorch)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..conv.matrix import conv2d_matrix
from . import exercise


@exercise(
    "05.1",
    "What is the shape of the matrix C for a 5x5 input, a 3x3 kernel, stride 2 and padding 1?",
    "Rows: one per output element (Ho*Wo); columns: one per input element (H*W). How many windows fit along "
    "one axis of the padded input with stride 2? conv_output_size (imported above) can check your count.",
    "The output is 3x3 (9 rows) and the input 5x5 (25 columns).",
    hint2="Padding 1 makes the input 7 wide; a 3-wide window at stride 2 starts at 0, 2, 4, ... How many starts "
    "leave the window inside 7? Square that for the rows, and padding adds no columns.",
)
def shape_of_c() -> tuple[int, int]:
    return tuple(conv2d_matrix(torch.ones(3, 3), 5, stride=2, padding=1).shape)


@exercise(
    "05.2",
    "How many entries of C are kernel weights (not structural zeros) for a 5x6 input and a 2x3 kernel, "
    "no padding?",
    "How many rows does C have (one per output element)? Without padding every window lies inside the "
    "input, so how many weights does each row hold?",
    "The output is 4x4: 16 rows x 6 weights = 96 of the 16 * 30 = 480 entries; the other 384 are zeros.",
    hint2="A 2-tall window fits into 5 rows in 5 - 2 + 1 positions, a 3-wide one into 6 columns in 6 - 3 + 1. "
    "Multiply the number of rows of C by the kernel's 6 weights.",
)
def nonzeros() -> int:
    return int((conv2d_matrix(torch.ones(2, 3), (5, 6)) != 0).sum())


@exercise(
    "05.3",
    "With padding 1, a 5x5 input and a 3x3 kernel: how many entries of C are kernel weights (not structural "
    "zeros)?",
    "Padding adds no columns to C: a tap that falls on padding has no entry. Count along one axis first: for "
    "each of the 5 window positions along a row, how many of its 3 taps land inside the 5 input columns?",
    "Along one axis the taps inside are 2 + 3 + 3 + 3 + 2 = 13; a tap of the 3x3 window lands inside when both "
    "its row and its column do, so 13 * 13 = 169 (of 25 * 25 = 625 entries).",
    hint2="A 2D tap lands inside exactly when its row tap and its column tap both do, so the 2D count is the "
    "product of the two 1D counts (the sum of taps inside over the window positions, along each axis).",
)
def padded_weights() -> int:
    return int((conv2d_matrix(torch.ones(3, 3), 5, padding=1) != 0).sum())


@exercise(
    "05.4",
    "Take C = conv2d_matrix(w, 4) with w = torch.arange(1., 10.).reshape(3, 3). Without building C: which entry "
    "of C.T @ torch.ones(4), reshaped to 4x4, is the largest, and what is it? Answer (row, column, value).",
    "C.T @ y is a transposed convolution: y, seen as a 2x2 image of ones, scatters one copy of w per element, "
    "and entry (r, c) adds the weights that land on input (r, c), one from each window covering it.",
    "The four centre cells are covered by all four windows; each collects one 2x2 block of w, the block facing "
    "the opposite corner of the 4x4 grid. Cell (2, 2) collects w[1:, 1:] = 5 + 6 + 8 + 9 = 28, the largest, "
    "since the weights grow towards the bottom right.",
    hint2="Only the four centre cells are covered by all four windows. Write down which four weights of w each "
    "of them collects (the window starting at (i, j) puts w[r - i, c - j] on (r, c)) and add them.",
)
def transpose_times_ones() -> tuple[int, int, int]:
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    grid = F.conv_transpose2d(torch.ones(1, 1, 2, 2), w[None, None])[0, 0]
    row, col = divmod(int(grid.argmax()), 4)
    return row, col, int(grid[row, col])


def _kernel_and_length(g: torch.Generator) -> tuple[torch.Tensor, int]:
    """A kernel of 1 to 4 weights and an input length n of at least its size, up to 8.

    The weights are quarters that are never whole (-3.75 to 4.25, exact in binary), so a matrix built in
    an integer tensor, which truncates them, fails."""
    k = int(torch.randint(1, 5, (), generator=g))
    n = k + int(torch.randint(0, 5, (), generator=g))
    return (torch.randint(-8, 9, (k,), generator=g) + 0.5) / 2, n


@exercise(
    "05.5",
    "Write conv_matrix_1d(w, n): the matrix C, of shape (n - k + 1, n), such that C @ x equals "
    "F.conv1d(x[None, None], w[None, None])[0, 0] for every x of length n (w has k taps; no padding, "
    "stride 1).",
    "One row per output element, one column per input element. Row i holds the weights output i multiplies "
    "the input with: which columns does its window cover, and in which order?",
    "Row i is w placed at columns i to i + k - 1, zeros elsewhere: every row is the row above shifted right "
    "by one (a Toeplitz matrix).",
    hint2="Start from torch.zeros(n - k + 1, n) (a float tensor: the weights are fractions) and, for each row "
    "i, write w into the k columns that window i covers. F.conv1d does not flip the kernel.",
    cases=_kernel_and_length,
)
def _conv_matrix_reference() -> Callable[[torch.Tensor, int], torch.Tensor]:
    def conv_matrix_1d(w: torch.Tensor, n: int) -> torch.Tensor:
        basis = torch.eye(n)[:, None, :]  # column j of C is the convolution of the j-th basis vector
        return F.conv1d(basis, w[None, None])[:, 0, :].T  # (n - k + 1, n)

    return conv_matrix_1d


@exercise(
    "05.6",
    "Panel of section 5 at input 5, kernel 3, stride 2, padding 0, showing C.T: how many of the 25 output "
    "cells are lit by more than one column of C.T?",
    "Each column of C.T is one element of the 2x2 grid y: its 3x3 kernel copy, placed at stride 2. Where do "
    "the four copies start, and which rows and columns do two neighbouring copies share?",
    "The copies start at rows 0, 2 and columns 0, 2 and cover 3 rows and columns each, so neighbours share "
    "row 2 or column 2: 5 + 5 - 1 = 9 cells, and the centre (2, 2) gets all four copies.",
    hint2="Two copies side by side start 2 columns apart but are 3 wide: in which column do they meet? "
    "Likewise for two copies one above the other. A cell in both such lines is counted once.",
)
def overlapping_cells() -> int:
    columns = conv2d_matrix(torch.ones(3, 3), 5, stride=2).T  # (25, 4): column a is y[a]'s kernel copy
    return int(((columns != 0).sum(dim=1) > 1).sum())


@exercise(
    "05.7",
    "A stride-2 convolution with a 3x3 kernel w (no padding) on x = torch.arange(25.).reshape(5, 5); the loss "
    "is the sum of the outputs. What is the gradient of the loss with respect to w[1, 2]?",
    "The loss's gradient with respect to every output is 1, so w[1, 2]'s gradient adds up the input pixels it "
    "multiplies. In each of the 2x2 windows it multiplies one pixel: which, given the windows start 2 apart?",
    "The windows start at (0, 0), (0, 2), (2, 0) and (2, 2); w[1, 2] sits 1 row down and 2 columns right of a "
    "window's corner: x at (1, 2), (1, 4), (3, 2), (3, 4) = 7 + 9 + 17 + 19 = 52.",
    hint2="Add x at (1 + 2i, 2 + 2j) for i, j in {0, 1}: the pixels are stride apart, as in the weight's "
    "gradient with dilation stride of section 3. x at (r, c) is 5r + c.",
)
def weight_gradient() -> int:
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    w = torch.zeros(1, 1, 3, 3, requires_grad=True)
    with torch.enable_grad():
        F.conv2d(x, w, stride=2).sum().backward()
    return int(w.grad[0, 0, 1, 2])
