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
    assert tuple(nn.Conv2d(1, 3, 3).weight.shape) == (3, 1, 3, 3)
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


def test_05_input_gradient_is_ct_times_grad_output():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    target = torch.randn(1, 1, 2, 2, dtype=torch.float64)
    out = F.conv2d(x, w.double()[None, None])
    loss = ((out - target) ** 2).sum()  # a scalar function of the output
    grad_output = 2 * (out - target)  # d loss / d out
    loss.backward()
    torch.testing.assert_close(x.grad.flatten(), C.double().T @ grad_output.detach().flatten())


def test_05_matrix_figure_panels_number_the_elements():
    from course_utils.scenes.matrix import conv_matrix_scene

    scene = conv_matrix_scene(torch.arange(1.0, 10.0).reshape(3, 3), 4)
    grids = {g["name"]: g for g in scene["grids"]}
    assert grids["input"]["values"] == torch.arange(16.0).reshape(4, 4).tolist()  # x0..x15
    assert grids["output"]["role"] == "output" and grids["output"]["values"] == [[0, 1], [2, 3]]  # y0..y3
    y = F.conv2d(torch.arange(16.0).reshape(1, 1, 4, 4), torch.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    assert y.flatten().tolist() != [0, 1, 2, 3]  # the panel shows positions, not these values
    # the structural zeros are blank cells; hovering row 0 lights output 0 and its 9 input cells
    assert sum(k == "empty" for row in grids["matrix"]["kinds"] for k in row) == 28
    lit = scene["links"]["matrix/0/15"]
    assert "output/0/0" in lit and len([c for c in lit if c.startswith("input/")]) == 9


def test_05_column_of_ct_is_a_kernel_copy():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    column = C.T[:, 0]
    assert column.nonzero().flatten().tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10]  # outputs 0-2, 4-6, 8-10
    assert column[column != 0].tolist() == list(range(1, 10))  # the weights 1 to 9
    y = torch.zeros(1, 1, 2, 2)
    y[0, 0, 0, 0] = 1.0
    assert torch.equal(F.conv_transpose2d(y, w[None, None]).flatten(), column)  # the scatter copy of 06


def test_06_output_padding_with_stride_1_only_adds_zeros_or_cropped_cells():
    out = F.conv_transpose2d(X, W, dilation=2, output_padding=1)
    assert out.shape[-2:] == (5, 5)
    torch.testing.assert_close(out[..., :4, :4], F.conv_transpose2d(X, W, dilation=2))
    assert out[0, 0, 4].tolist() == [0.0] * 5 and out[0, 0, :, 4].tolist() == [0.0] * 5
    # in general (stride 1): the full result, zero-extended at the bottom/right, then cropped
    gen = torch.Generator().manual_seed(0)
    for d in (2, 3, 4):
        for op in range(1, d):
            for p in range(3):
                for k in (2, 3):
                    x = torch.randn(1, 1, 4, 5, generator=gen, dtype=torch.float64)
                    w = torch.randn(1, 1, k, k, generator=gen, dtype=torch.float64)
                    got = F.conv_transpose2d(x, w, dilation=d, padding=p, output_padding=op)
                    full = F.pad(F.conv_transpose2d(x, w, dilation=d), (0, op, 0, op))
                    h, wd = full.shape[-2:]
                    torch.testing.assert_close(got, full[..., p:h - p, p:wd - p])
                    # a stride-1 convolution maps each input size to its own output size: no floor
                    sizes = [conv_output_size(n, k, stride=1, padding=p, dilation=d) for n in range(9, 20)]
                    assert len(set(sizes)) == len(sizes)


def _zero_insertion_as_written(x, weight, stride, padding, output_padding, groups, dilation):
    """The recipe of notebook 06, section 8, step by step as its text says it."""
    n, c_in, h, w = x.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    kh, kw = weight.shape[-2:]
    spread = x.new_zeros(n, c_in, (h - 1) * sh + 1, (w - 1) * sw + 1)
    spread[..., ::sh, ::sw] = x  # stride - 1 zeros between the input elements
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw  # dilation*(k-1) - padding around them
    padded = F.pad(spread, (qw, qw + opw, qh, qh + oph))  # plus output_padding at the bottom/right
    # (in, out/groups, kH, kW) -> swap the first two axes within each group -> (out, in/groups, kH, kW)
    c_out_g = weight.shape[1]
    swapped = weight.reshape(groups, c_in // groups, c_out_g, kh, kw).transpose(1, 2)
    swapped = swapped.reshape(groups * c_out_g, c_in // groups, kh, kw)
    flipped = swapped.flip(-2, -1)  # flipped in both axes
    return F.conv2d(padded, flipped, stride=1, padding=0, dilation=dilation, groups=groups)


def test_06_zero_insertion_recipe_as_written():
    gen = torch.Generator().manual_seed(0)
    cases = [  # (c_in, c_out, groups, stride, padding, output_padding, dilation, kernel)
        ((3, 2, 1, (2, 2), (1, 1), (1, 1), (2, 2), (3, 3))),
        ((4, 6, 2, (2, 1), (1, 0), (1, 0), (1, 2), (3, 2))),
        ((2, 5, 1, (3, 2), (2, 1), (2, 0), (3, 2), (2, 3))),
        ((6, 3, 3, (1, 1), (0, 2), (1, 1), (2, 3), (3, 3))),
    ]
    for c_in, c_out, g, s, p, op, d, k in cases:
        x = torch.randn(2, c_in, 5, 4, generator=gen, dtype=torch.float64)
        w = torch.randn(c_in, c_out // g, *k, generator=gen, dtype=torch.float64)
        expected = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        torch.testing.assert_close(_zero_insertion_as_written(x, w, s, p, op, g, d), expected)
