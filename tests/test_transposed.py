"""course_utils.transposed against torch.nn.functional.conv_transpose2d (notebook 06)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course_utils import (
    conv_output_size,
    conv_transpose2d_scatter,
    conv_transpose2d_steps,
    conv_transpose2d_zero_insertion,
    conv_transpose_output_size,
    matching_output_padding,
)

METHODS = [conv_transpose2d_scatter, conv_transpose2d_zero_insertion]
X = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
W = torch.tensor([[[[1.1, 2.2], [3.3, 4.4]]]])


def pair_or_int(draw, lo, hi):
    a, b = draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
    return draw(st.sampled_from([a, (a, b), [a, b]]))


@st.composite
def settings(draw):
    """A random transposed convolution that PyTorch accepts."""
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    stride = pair_or_int(draw, 1, 3)
    dilation = pair_or_int(draw, 1, 3)
    s2, d2 = (stride,) * 2 if isinstance(stride, int) else stride, (dilation,) * 2 if isinstance(dilation, int) else dilation
    op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(s2, d2, strict=True))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    full = [(n - 1) * s + d * (k - 1) + 1 + o for n, s, d, k, o in zip((h, w), s2, d2, (kh, kw), op, strict=True)]
    padding = tuple(draw(st.integers(0, (f - 1) // 2)) for f in full)
    batch = draw(st.sampled_from([None, 1, 2]))
    shape = (c_in, h, w) if batch is None else (batch, c_in, h, w)
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    weight = torch.randn(c_in, c_out // groups, kh, kw, generator=gen, dtype=torch.float64)
    return x, weight, dict(stride=stride, padding=padding, output_padding=op, groups=groups, dilation=dilation)


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
@given(case=settings())
def test_equals_torch_on_random_settings(method, case):
    x, weight, kw = case
    expected = F.conv_transpose2d(x, weight, None, **kw)
    torch.testing.assert_close(method(x, weight, **kw), expected)


@given(case=settings())
def test_steps_sum_to_torch(case):
    x, weight, kw = case
    x1, w1 = x.reshape(-1, *x.shape[-2:])[0], weight[0, 0]
    one = dict(kw, groups=1)
    del one["groups"]
    steps = list(conv_transpose2d_steps(x1, w1, **one))
    assert len(steps) == x1.numel()
    expected = F.conv_transpose2d(x1[None, None], w1[None, None], None, **one)[0, 0]
    torch.testing.assert_close(steps[-1].output, expected)
    torch.testing.assert_close(sum(s.copy for s in steps), steps[-1].total)


def test_float32_and_module_weight_layout():
    layer = nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 1), padding=1, output_padding=(1, 0), groups=2,
                               dilation=(1, 2), bias=False)
    assert tuple(layer.weight.shape) == (4, 3, 3, 2)  # (in, out/groups, kH, kW)
    x = torch.randn(2, 4, 5, 3)
    for method in METHODS:
        torch.testing.assert_close(
            method(x, layer.weight.detach(), stride=(2, 1), padding=1, output_padding=(1, 0), groups=2,
                   dilation=(1, 2)),
            layer(x).detach(), rtol=1e-5, atol=1e-5,
        )


# -- the worked example (DESIGN.md facts) ----------------------------------------------------

EXAMPLE = {
    "default": ({}, [[0, 1.1, 2.2], [2.2, 11, 11], [6.6, 18.7, 13.2]]),
    "stride (1,2)": ({"stride": (1, 2)}, [[0, 0, 1.1, 2.2], [2.2, 4.4, 6.6, 11], [6.6, 8.8, 9.9, 13.2]]),
    "stride 2": ({"stride": 2}, [[0, 0, 1.1, 2.2], [0, 0, 3.3, 4.4], [2.2, 4.4, 3.3, 6.6], [6.6, 8.8, 9.9, 13.2]]),
    "stride 3": ({"stride": 3}, [[0, 0, 0, 1.1, 2.2], [0, 0, 0, 3.3, 4.4], [0, 0, 0, 0, 0],
                                 [2.2, 4.4, 0, 3.3, 6.6], [6.6, 8.8, 0, 9.9, 13.2]]),
    "dilation 2": ({"dilation": 2}, [[0, 1.1, 0, 2.2], [2.2, 3.3, 4.4, 6.6], [0, 3.3, 0, 4.4],
                                     [6.6, 9.9, 8.8, 13.2]]),
    "padding 1": ({"padding": 1}, [[11]]),
    "stride 2, output_padding 1": ({"stride": 2, "output_padding": 1},
                                   [[0, 0, 1.1, 2.2, 0], [0, 0, 3.3, 4.4, 0], [2.2, 4.4, 3.3, 6.6, 0],
                                    [6.6, 8.8, 9.9, 13.2, 0], [0, 0, 0, 0, 0]]),
}


@pytest.mark.parametrize("name", list(EXAMPLE))
def test_worked_example_values(name):
    kw, values = EXAMPLE[name]
    expected = torch.tensor([[values]], dtype=torch.float32)
    layer = nn.ConvTranspose2d(1, 1, 2, bias=False, **kw)
    with torch.no_grad():
        layer.weight.copy_(W)
    torch.testing.assert_close(layer(X).detach(), expected)
    for method in METHODS:
        torch.testing.assert_close(method(X, W, **kw), expected)


def test_dilation_2_equals_zero_inserted_3x3_kernel():
    holes = torch.tensor([[[[1.1, 0, 2.2], [0, 0, 0], [3.3, 0, 4.4]]]])
    torch.testing.assert_close(F.conv_transpose2d(X, W, dilation=2), F.conv_transpose2d(X, holes))


def test_output_padding_with_padding_keeps_real_values():
    out = F.conv_transpose2d(X, W, stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(out, torch.tensor([[[[0, 3.3, 4.4], [4.4, 3.3, 6.6], [8.8, 9.9, 13.2]]]]))
    assert (out[0, 0, -1] != 0).all() and (out[0, 0, :, -1] != 0).all()


def test_sizes_of_the_notebook():
    assert conv_transpose_output_size(512, 3, stride=2) == 1025
    layer = nn.ConvTranspose2d(3, 1, 3, stride=2)
    assert layer(torch.rand(1, 3, 512, 512)).shape == (1, 1, 1025, 1025)
    assert nn.ConvTranspose2d(32, 64, 4, stride=2, padding=1)(torch.randn(1, 32, 16, 16)).shape == (1, 64, 32, 32)
    assert conv_output_size(7, 3, stride=2, padding=1) == conv_output_size(8, 3, stride=2, padding=1) == 4
    assert conv_transpose_output_size(4, 3, stride=2, padding=1) == 7
    assert conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1) == 8
    assert matching_output_padding(8, 3, stride=2, padding=1) == 1
    assert matching_output_padding(7, 3, stride=2, padding=1) == 0
    assert matching_output_padding((8, 7), 3, stride=2, padding=1) == (1, 0)


@given(size=st.integers(1, 40), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_matching_output_padding_restores_the_shape(size, k, s, p, d):
    if d * (k - 1) + 1 > size + 2 * p:
        return
    op = matching_output_padding(size, k, s, p, d)
    assert 0 <= op < s or op < d
    x = torch.zeros(1, 1, size, size)
    y = F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    back = F.conv_transpose2d(y, torch.zeros(1, 1, k, k), stride=s, padding=p, output_padding=op, dilation=d)
    assert back.shape == x.shape


# -- bad input: worded errors ------------------------------------------------------------------

BAD = [
    (dict(stride=2, output_padding=2), ValueError, r"^output_padding \(2\) must be smaller than stride \(2\) or dilation \(1\)$"),
    (dict(padding=2), ValueError, r"^padding \(2\) crops 4 from a full output of 3"),
    (dict(stride=0), ValueError, r"stride must be positive, got 0"),
    (dict(stride=(1, 2, 3)), ValueError, r"stride must be one int or 2 ints"),
    (dict(padding=-1), ValueError, r"padding must be 0 or more, got -1"),
    (dict(dilation=1.5), TypeError, r"dilation must be a whole number, got 1.5"),
    (dict(stride=(2, 1), output_padding=(0, 1)), ValueError,
     r"output_padding\[1\] \(1\) must be smaller than stride \(1\) or dilation \(1\)"),
    (dict(groups=2), ValueError, r"in_channels \(1\) must be divisible by groups \(2\)"),
]


@pytest.mark.parametrize("method", METHODS + [conv_transpose2d_steps], ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs,error,message", BAD)
def test_bad_settings_are_explained(method, kwargs, error, message):
    if method is conv_transpose2d_steps:
        if "groups" in kwargs:
            return
        with pytest.raises(error, match=message):
            list(method(X[0, 0], W[0, 0], **kwargs))
        return
    with pytest.raises(error, match=message):
        method(X, W, **kwargs)


def test_bad_tensors_are_explained():
    with pytest.raises(ValueError, match=r"weight.shape\[0\] \(1\) must equal the input's channels \(3\)"):
        conv_transpose2d_scatter(torch.zeros(1, 3, 2, 2), W)
    with pytest.raises(ValueError, match=r"x must be \(N, C, H, W\) or \(C, H, W\), got shape \(2, 2\)"):
        conv_transpose2d_zero_insertion(torch.zeros(2, 2), W)
    with pytest.raises(ValueError, match=r"weight must be \(in_channels, out_channels // groups, kH, kW\)"):
        conv_transpose2d_scatter(X, torch.zeros(2, 2))
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got list"):
        conv_transpose2d_scatter([[0, 1]], W)
    with pytest.raises(ValueError, match=r"x must be one channel"):
        list(conv_transpose2d_steps(torch.zeros(1, 2, 2, 2), W))
