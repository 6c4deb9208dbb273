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
)
def nonzeros() -> int:
    return int((conv2d_matrix(torch.ones(2, 3), (5, 6)) != 0).sum())


@exercise(
    "05.3",
    "With padding 1, a 4x4 input and a 3x3 kernel of ones: how many kernel weights does the row of the "
    "top-left output element hold?",
    "The window of the top-left output sticks out by one row and one column: those taps read padding.",
    "Only 2x2 = 4 taps fall on the input; padding adds no columns to C, so the other 5 taps are missing.",
)
def padded_corner_row() -> int:
    return int((conv2d_matrix(torch.ones(3, 3), 4, padding=1)[0] != 0).sum())


@exercise(
    "05.4",
    "Compute C.T @ y for C = conv2d_matrix(w, 4) with w = torch.arange(1., 10.).reshape(3, 3) and "
    "y = torch.ones(4); give the result reshaped to 4x4 (a tensor).",
    "Build C with conv2d_matrix and compute C.T @ y, or think of C.T @ y as a transposed convolution: "
    "y, seen as a 2x2 image, scatters one copy of w per element. Reshape the 16 values to 4x4.",
    "Each input position collects the weights of every output window that covers it.",
)
def transpose_times_ones() -> torch.Tensor:
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    return F.conv_transpose2d(torch.ones(1, 1, 2, 2), w[None, None])[0, 0]


def _kernel_and_length(g: torch.Generator) -> tuple[torch.Tensor, int]:
    """A kernel of 1 to 4 small whole numbers and an input length n of at least its size, up to 8."""
    k = int(torch.randint(1, 5, (), generator=g))
    n = k + int(torch.randint(0, 5, (), generator=g))
    return torch.randint(-4, 5, (k,), generator=g).float(), n


@exercise(
    "05.5",
    "Write conv_matrix_1d(w, n): the matrix C, of shape (n - k + 1, n), such that C @ x equals "
    "F.conv1d(x[None, None], w[None, None])[0, 0] for every x of length n (w has k taps; no padding, "
    "stride 1).",
    "One row per output element, one column per input element. Row i holds the weights output i multiplies "
    "the input with: which columns does its window cover, and in which order?",
    "Row i is w placed at columns i to i + k - 1, zeros elsewhere: every row is the row above shifted right "
    "by one (a Toeplitz matrix).",
    cases=_kernel_and_length,
)
def _conv_matrix_reference() -> Callable[[torch.Tensor, int], torch.Tensor]:
    def conv_matrix_1d(w: torch.Tensor, n: int) -> torch.Tensor:
        basis = torch.eye(n)[:, None, :]  # column j of C is the convolution of the j-th basis vector
        return F.conv1d(basis, w[None, None])[:, 0, :].T  # (n - k + 1, n)

    return conv_matrix_1d
