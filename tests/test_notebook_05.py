"""Notebook 05 (convolution as a matrix): the facts added by the second expert reading, computed again.

Doubly block Toeplitz, im2col, C.T with channels, the weight's gradient at a stride, the right inverse,
the flattened output's column, and the exercises that need reasoning (their answers worked out here by
other means than the solutions in course_utils/exercises/ex05.py).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from _notebooks import prose

from course_utils import check, conv2d_matrix, conv_matrix_figure, conv_output_size
from course_utils.exercises import _load
from course_utils.exercises._code import CASE_SEED

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_conv_as_matrix.ipynb"
W = torch.arange(1.0, 10.0).reshape(3, 3)


def _prose() -> str:
    return prose("05", lines=True)


@pytest.mark.parametrize(("size", "kernel", "padding"), [((4, 4), (3, 3), 0), ((6, 5), (3, 2), 1),
                                                          ((5, 7), (2, 4), (1, 2)), ((3, 3), (1, 1), 0)])
def test_c_is_doubly_block_toeplitz_at_stride_1(size, kernel, padding):
    w = torch.randn(kernel)
    C = conv2d_matrix(w, size, padding=padding)
    ho, wo = conv_output_size(size, kernel, 1, padding)
    blocks = C.reshape(ho, wo, *size).transpose(1, 2)  # (output row, input row, Wo, W)
    for i, r in itertools.product(range(ho - 1), range(size[0] - 1)):
        assert torch.equal(blocks[i, r], blocks[i + 1, r + 1])  # block Toeplitz
    for b in blocks.reshape(-1, wo, size[1]):
        assert torch.equal(b[:-1, :-1], b[1:, 1:])  # each block Toeplitz


def test_a_stride_breaks_the_block_toeplitz_pattern():
    C = conv2d_matrix(W, 7, stride=2)  # 3 x 3 output
    blocks = C.reshape(3, 3, 7, 7).transpose(1, 2)
    assert not torch.equal(blocks[0, 0], blocks[1, 1]) and torch.equal(blocks[0, 0], blocks[1, 2])


def test_im2col_numbers_of_the_notebook():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    cols = F.unfold(x, kernel_size=3)[0]
    assert tuple(cols.shape) == (9, 4) and cols.numel() == 36
    assert (W.flatten() @ cols).tolist() == [303.0, 348.0, 483.0, 528.0]
    assert F.unfold(torch.zeros(1, 1, 64, 64), kernel_size=3).numel() == 9 * 62 * 62 == 34_596
    assert conv2d_matrix(W, 64).numel() == 3844 * 4096 == 15_745_024
    # an input element is copied at most kH * kW = 9 times (the centre ones of a larger input)
    counts = F.fold(torch.ones(1, 9, 62 * 62), (64, 64), kernel_size=3)
    assert int(counts.max()) == 9
    # with channels: one (out, in*k*k) @ (in*k*k, L) product is the convolution
    xc, wc = torch.randn(2, 3, 6, 5, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    by_gemm = (wc.reshape(4, -1) @ F.unfold(xc, 3)).reshape(2, 4, 4, 3)
    torch.testing.assert_close(by_gemm, F.conv2d(xc, wc))


def test_ct_with_channels_is_conv_transpose_with_the_same_weight():
    for out_c, in_c, s, p in [(2, 3, 1, 1), (3, 2, 2, 1), (4, 1, 2, 0)]:
        weight = torch.randn(out_c, in_c, 3, 3, dtype=torch.float64)
        C = conv2d_matrix(weight, 6, stride=s, padding=p)
        ho = conv_output_size(6, 3, s, p)
        y = torch.randn(1, out_c, ho, ho, dtype=torch.float64)
        op = 6 - ((ho - 1) * s - 2 * p + 3)
        torch.testing.assert_close(C.T @ y.flatten(),
                                   F.conv_transpose2d(y, weight, stride=s, padding=p, output_padding=op).flatten())


@pytest.mark.parametrize(("size", "k", "s", "p"), [(4, 3, 1, 0), (6, 3, 2, 1), (5, 3, 2, 0), (7, 2, 3, 1),
                                                   (9, 4, 2, 2), (8, 3, 3, 0)])
def test_weight_gradient_is_a_convolution_with_grad_output_dilated_by_the_stride(size, k, s, p):
    x = torch.randn(1, 1, size, size, dtype=torch.float64)
    w = torch.randn(1, 1, k, k, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x, w, stride=s, padding=p)
    g = torch.randn_like(out)
    out.backward(g)
    by_conv = F.conv2d(F.pad(x, (p,) * 4), g, dilation=s)[..., :k, :k]
    torch.testing.assert_close(by_conv, w.grad)
    if s > 1:  # the stride ignored: another shape (or, by chance of size, other values)
        plain = F.conv2d(F.pad(x, (p,) * 4), g)
        assert plain.shape[-2:] != (k, k) or not torch.allclose(plain, w.grad)


def test_notebook_weight_gradient_cell():
    x6 = torch.arange(36.0).reshape(1, 1, 6, 6)
    w6 = W[None, None].clone().requires_grad_(True)
    g6 = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    F.conv2d(x6, w6, stride=2, padding=1).backward(g6)
    padded = F.pad(x6, (1, 1, 1, 1))
    assert tuple(F.conv2d(padded, g6, dilation=2).shape[-2:]) == (4, 4)  # cut to 3 x 3
    assert tuple(F.conv2d(padded, g6).shape) == (1, 1, 6, 6)
    assert w6.grad[0, 0].tolist() == [[430, 608, 647], [609, 858, 903], [807, 1128, 1173]]


def test_right_inverse_but_never_left_inverse_when_shrinking():
    C = conv2d_matrix(torch.full((2, 2), 0.5), 4, stride=2)
    assert torch.equal(C @ C.T, torch.eye(4)) and not torch.equal(C.T @ C, torch.eye(16))
    assert int(torch.linalg.matrix_rank(C.T @ C)) == 4
    y = torch.randn(4)
    torch.testing.assert_close(C @ (C.T @ y), y)
    # any shrinking convolution: C.T @ C has rank at most the number of outputs (a small search)
    for n, k, s, p in itertools.product(range(2, 6), range(1, 4), range(1, 3), range(2)):
        if k > n + 2 * p:
            continue
        C = conv2d_matrix(torch.randn(k, k, dtype=torch.float64), n, stride=s, padding=p)
        if C.shape[0] < C.shape[1]:
            assert int(torch.linalg.matrix_rank(C.T @ C)) <= C.shape[0] < C.shape[1]


def test_output_column_is_titled_as_positions():
    text = conv_matrix_figure(W, input_size=4).text
    assert "y index (4 x 1): 0; 1; 2; 3" in text and "y = C @ x" not in text
    assert "`y index`" in _prose()


def test_exercise_answers_worked_out_by_other_means():
    # 05.3: per axis 2 + 3 + 3 + 3 + 2 taps inside; squared
    per_axis = sum(sum(0 <= o - 1 + t < 5 for t in range(3)) for o in range(5))
    assert per_axis == 13 and check("05.3", per_axis ** 2).correct and per_axis ** 2 == 169
    # 05.6: cells of the 5x5 output reached by more than one 3x3 copy placed at stride 2
    counts = F.conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert int((counts > 1).sum()) == 9 and counts[2, 2] == 4 and check("05.6", 9).correct
    assert not check("05.6", 8).correct and not check("05.6", 1).correct
    # 05.7: w[1, 2] meets x at (1 + 2i, 2 + 2j)
    x = torch.arange(25.0).reshape(5, 5)
    assert int(x[1::2, 2::2][:2, :2].sum()) == 7 + 9 + 17 + 19 == 52 and check("05.7", 52).correct
    assert not check("05.7", 48).correct  # w[1, 1]
    # the panel setting of 05.6 is one the panel can show and no figure of the notebook draws
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    sources = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "input_size=5" not in sources and "conv_matrix_figure(w, input_size=5" not in sources


@pytest.mark.parametrize("key", ["05.1", "05.2", "05.3", "05.4", "05.5", "05.6", "05.7"])
def test_every_exercise_has_two_hints_that_do_not_give_the_answer(key):
    item = _load(key)
    assert item.hint and item.hint2 and item.hint != item.hint2
    if item.cases is None:
        answer = item.solution()
        forms = [str(a) for a in (answer if isinstance(answer, tuple) else (answer,))]
        if isinstance(answer, torch.Tensor):
            forms = []
        for hint in (item.hint, item.hint2):
            for form in forms:
                if len(form) > 1:
                    assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d.])", hint), (key, hint)


def test_05_5_cases_have_fractions_so_an_integer_matrix_fails():
    item = _load("05.5")
    cases = [item.cases(torch.Generator().manual_seed(CASE_SEED + i)) for i in range(item.n_cases)]
    assert all(bool((w != w.round()).any()) for w, _ in cases)

    def integer_matrix(w, n):
        k = len(w)
        C = torch.tensor([[0] * n for _ in range(n - k + 1)])  # an integer tensor: fractions truncated
        for i in range(n - k + 1):
            C[i, i:i + k] = w
        return C

    def right(w, n):
        k = len(w)
        C = torch.zeros(n - k + 1, n)
        for i in range(n - k + 1):
            C[i, i:i + k] = w
        return C

    assert not check("05.5", integer_matrix).correct and check("05.5", right).correct


@pytest.mark.parametrize(("n", "k", "s", "p"), [(7, 3, 2, 0), (8, 3, 2, 1), (9, 2, 3, 0), (10, 4, 3, 2)])
def test_a_stride_keeps_every_s_th_output_row_and_column_of_the_stride_1_matrix(n, k, s, p):
    w = torch.randn(k, k)
    ho1, ho = conv_output_size(n, k, 1, p), conv_output_size(n, k, s, p)
    kept = conv2d_matrix(w, n, padding=p).reshape(ho1, ho1, n * n)[::s, ::s][:ho, :ho].reshape(-1, n * n)
    assert torch.equal(kept, conv2d_matrix(w, n, stride=s, padding=p))
    assert "At stride `s`, `C` keeps every `s`-th output row and column of the stride-1 matrix" in _prose()


def test_im2col_copies_each_input_at_most_4_times_here():
    counts = F.fold(torch.ones(1, 9, 4), (4, 4), kernel_size=3)[0, 0]
    assert int(counts.max()) == 4 and (counts == 4).nonzero().tolist() == [[1, 1], [1, 2], [2, 1], [2, 2]]
    assert "(here at most 4 times, for the four centre inputs;" in _prose()


def test_overlapping_orthonormal_rows_give_a_right_inverse():
    h = torch.tensor([1.0, 1.0, 1.0, -1.0], dtype=torch.float64) / 2
    assert float(h @ h) == 1 and float(h[:2] @ h[2:]) == 0
    for n in (6, 8, 10):
        C = conv2d_matrix(torch.outer(h, h), n, stride=2)
        torch.testing.assert_close(C @ C.T, torch.eye(C.shape[0], dtype=torch.float64))
        assert ((C != 0).sum(0) > 1).any()  # the windows overlap
        assert int(torch.linalg.matrix_rank(C.T @ C)) == C.shape[0] < C.shape[1]
    assert "rows of `C` are orthonormal" in _prose() and "length 1" not in _prose()


def test_05_4_largest_entry_worked_out_from_the_windows():
    # entry (r, c) collects w[r - i, c - j] from every window (i, j) covering it
    grid = torch.zeros(4, 4)
    for i, j, u, v in itertools.product(range(2), range(2), range(3), range(3)):
        grid[i + u, j + v] += W[u, v]
    assert int(grid.max()) == 28 and grid[2, 2] == W[1:, 1:].sum() and int((grid == 28).sum()) == 1
    assert check("05.4", (2, 2, 28)).correct and not check("05.4", (1, 1, 12)).correct
    assert "Without building `C`" in _prose()
