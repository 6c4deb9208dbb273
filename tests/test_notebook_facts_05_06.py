"""Every number that notebooks 05 and 06 state in their prose, computed again and pinned."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import (
    conv2d_matrix,
    conv_output_size,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insertion,
    conv_transpose_output_size,
    matching_output_padding,
)

X = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
W = torch.tensor([[[[1.1, 2.2], [3.3, 4.4]]]])


# -- 05 ---------------------------------------------------------------------------------------

def test_05_the_4x16_matrix_and_its_sparsity():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    assert tuple(C.shape) == (4, 16) and tuple(C.T.shape) == (16, 4)
    assert (int((C != 0).sum()), int((C == 0).sum())) == (36, 28)
    big = conv2d_matrix(w, 64)
    assert tuple(big.shape) == (3844, 4096)
    assert f"{float((big == 0).float().mean()):.2%}" == "99.78%"


def test_05_channels_transpose_and_not_an_inverse():
    assert tuple(conv2d_matrix(torch.randn(2, 3, 3, 3), 5, padding=1).shape) == (50, 75)
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    assert not torch.allclose(C.T @ C, torch.eye(16))
    assert int(torch.linalg.matrix_rank(C.T @ C)) == 4
    x = torch.arange(16.0)
    assert not torch.allclose(C.T @ (C @ x), x)
    assert tuple(conv2d_matrix(w, 8, stride=2, padding=1).shape) == (16, 64)
    assert matching_output_padding(8, 3, stride=2, padding=1) == 1


# -- 06 ---------------------------------------------------------------------------------------

def test_06_weight_shapes():
    assert tuple(nn.ConvTranspose2d(3, 1, 3).weight.shape) == (3, 1, 3, 3)
    assert tuple(nn.Conv2d(3, 1, 3).weight.shape) == (1, 3, 3, 3)
    assert tuple(nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape) == (4, 3, 3, 3)
    assert tuple(nn.Conv2d(4, 6, 3, groups=2).weight.shape) == (6, 2, 3, 3)


def test_06_worked_example_statements():
    out = F.conv_transpose2d(X, W)
    assert out[0, 0, 1, 1].item() == pytest.approx(0 * 4.4 + 1 * 3.3 + 2 * 2.2 + 3 * 1.1) == pytest.approx(11)
    assert F.conv_transpose2d(X, W, stride=(1, 2)).shape[-2:] == (3, 4)
    s3 = F.conv_transpose2d(X, W, stride=3)[0, 0]
    assert s3.shape == (5, 5) and (s3[2] == 0).all() and (s3[:, 2] == 0).all()
    op = F.conv_transpose2d(X, W, stride=2, output_padding=1)
    assert op.shape[-2:] == (5, 5)
    torch.testing.assert_close(op[..., :4, :4], F.conv_transpose2d(X, W, stride=2))
    p1op = F.conv_transpose2d(X, W, stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(p1op, op[..., 1:4, 1:4])


def test_06_output_padding_sizes_and_message():
    assert conv_output_size(7, 3, stride=2, padding=1) == conv_output_size(8, 3, stride=2, padding=1) == 4
    assert conv_transpose_output_size(4, 3, stride=2, padding=1) == 7
    assert conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1) == 8
    with pytest.raises(ValueError, match=r"^output_padding \(2\) must be smaller than stride \(2\) or dilation \(1\)$"):
        conv_transpose_output_size(2, 2, stride=2, output_padding=2)


def test_06_three_ways():
    C = conv2d_matrix(W[0, 0], 3, stride=2, padding=1)
    assert tuple(C.shape) == (4, 9)
    expected = F.conv_transpose2d(X, W, stride=2, padding=1, output_padding=1)[0, 0]
    torch.testing.assert_close((C.T @ X.flatten()).reshape(3, 3), expected)
    torch.testing.assert_close(conv_transpose2d_scatter(X, W, 2, 1, 1)[0, 0], expected)
    torch.testing.assert_close(conv_transpose2d_zero_insertion(X, W, 2, 1, 1)[0, 0], expected)
    xb, wb = torch.randn(2, 4, 5, 3), torch.randn(4, 3, 3, 2)
    kw = dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2))
    assert tuple(F.conv_transpose2d(xb, wb, **kw).shape) == (2, 6, 10, 5)


def test_06_sizes():
    assert conv_transpose_output_size(512, 3, stride=2) == (512 - 1) * 2 + 3 == 1025
    with torch.no_grad():
        assert nn.ConvTranspose2d(3, 1, 3, stride=2)(torch.rand(1, 3, 512, 512)).shape == (1, 1, 1025, 1025)
        block = nn.ConvTranspose2d(32, 64, kernel_size=4, stride=2, padding=1)
        assert block(torch.randn(1, 32, 16, 16)).shape == (1, 64, 32, 32)
    assert all(conv_transpose_output_size(h, 4, 2, 1) == 2 * h for h in range(1, 100))
    assert matching_output_padding((15, 20), 3, stride=2, padding=1) == (0, 1)
    assert conv_output_size((15, 20), 3, stride=2, padding=1) == (8, 10)
    assert conv_transpose_output_size((8, 10), 3, 2, 1, (0, 1)) == (15, 20)
