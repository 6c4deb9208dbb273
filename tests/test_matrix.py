"""course_utils.conv.matrix.conv2d_matrix against F.conv2d, F.conv_transpose2d and autograd (notebook 05)."""

from __future__ import annotations

import time

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course_utils import conv2d_matrix, conv_output_size, matching_output_padding


@st.composite
def settings(draw):
    """A random convolution PyTorch accepts: channels, groups, rectangles, tuples, padding, dilation."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kh = draw(st.integers(1, max(1, (h + 2 * padding[0] - 1) // dilation[0] + 1)))
    kw = draw(st.integers(1, max(1, (w + 2 * padding[1] - 1) // dilation[1] + 1)))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(1, c_in, h, w, generator=gen, dtype=torch.float64)
    weight = torch.randn(c_out, c_in // groups, min(kh, 4), min(kw, 4), generator=gen, dtype=torch.float64)
    as_int = draw(st.booleans())
    kw_ = dict(stride=stride, padding=padding, dilation=dilation)
    if groups > 1 or draw(st.booleans()):
        kw_["groups"] = groups
    if as_int and len({stride[0], stride[1]}) == 1:
        kw_["stride"] = stride[0]
    return x, weight, kw_


@given(case=settings())
def test_matrix_times_input_is_the_convolution(case):
    x, weight, kw = case
    y = F.conv2d(x, weight, **kw)
    C = conv2d_matrix(weight, tuple(x.shape[-2:]), **kw)
    assert C.shape == (y.numel(), x.numel())
    torch.testing.assert_close(C @ x.flatten(), y.flatten())


@given(case=settings())
def test_transpose_is_the_transposed_convolution_and_the_input_gradient(case):
    x, weight, kw = case
    x = x.clone().requires_grad_(True)
    y = F.conv2d(x, weight, **kw)
    g = torch.randn_like(y)
    y.backward(g)
    C = conv2d_matrix(weight, tuple(x.shape[-2:]), **kw)
    torch.testing.assert_close(C.T @ g.flatten(), x.grad.flatten())
    op = matching_output_padding(tuple(x.shape[-2:]), tuple(weight.shape[-2:]), kw["stride"], kw["padding"],
                                 kw["dilation"])
    back = F.conv_transpose2d(g, weight, stride=kw["stride"], padding=kw["padding"], output_padding=op,
                              dilation=kw["dilation"], groups=kw.get("groups", 1))
    torch.testing.assert_close(C.T @ g.flatten(), back.flatten())


def test_the_4x16_matrix_of_the_notebook():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    assert C.shape == (4, 16)
    assert int((C != 0).sum()) == 36 and int((C == 0).sum()) == 28
    torch.testing.assert_close(C[0], torch.tensor([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0.0]))
    assert C.T.shape == (16, 4)
    assert not torch.allclose(C.T @ C, torch.eye(16))
    assert torch.linalg.matrix_rank(C.T @ C) == 4
    assert tuple(conv2d_matrix(torch.ones(2, 3, 3, 3), 4).shape) == (2 * 4, 3 * 16)
    assert tuple(conv2d_matrix(torch.ones(1, 1, 3, 3), (5, 4), stride=2, padding=1).shape) == (6, 20)


def test_groups_make_the_matrix_block_diagonal():
    weight = torch.arange(1.0, 37.0).reshape(4, 1, 3, 3)  # groups=2: out 0-1 read input 0, out 2-3 read input 1
    C = conv2d_matrix(weight, 5, padding=1, groups=2)
    assert C.shape == (4 * 25, 2 * 25)
    assert bool((C[:50, 25:] == 0).all()) and bool((C[50:, :25] == 0).all())
    torch.testing.assert_close(C[:25, :25], conv2d_matrix(weight[0, 0], 5, padding=1))
    torch.testing.assert_close(C[75:, 25:], conv2d_matrix(weight[3, 0], 5, padding=1))
    x = torch.arange(50.0).reshape(1, 2, 5, 5)
    torch.testing.assert_close(C @ x.flatten(), F.conv2d(x, weight, padding=1, groups=2).flatten())
    # depthwise (groups = channels): one block per channel on the diagonal
    dw = torch.randn(3, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    D = conv2d_matrix(dw, 4, groups=3)
    for o in range(3):
        for c in range(3):
            block = D[o * 4:(o + 1) * 4, c * 16:(c + 1) * 16]
            assert bool((block == 0).all()) == (o != c)


def test_dtype_follows_the_weight():
    assert conv2d_matrix(torch.ones(2, 2, dtype=torch.float64), 3).dtype == torch.float64


@pytest.mark.parametrize(
    "args,kwargs,error,message",
    [
        ((torch.ones(3),), {"input_size": 4}, ValueError, r"weight must be \(kH, kW\) or \(out_channels"),
        (([[1, 2]],), {"input_size": 4}, TypeError, r"weight must be a torch.Tensor, got list"),
        ((torch.ones(3, 3),), {"input_size": 0}, ValueError, r"input_size must be positive, got 0"),
        ((torch.ones(3, 3),), {"input_size": (4, 4, 4)}, ValueError, r"input_size must be one int or 2 ints"),
        ((torch.ones(5, 5),), {"input_size": 4}, ValueError,
         r"^kernel_size \(5\) is larger than the padded input \(4 \+ 2\*0 = 4\)$"),
        ((torch.ones(3, 3),), {"input_size": 4, "dilation": 2}, ValueError,
         r"^kernel_size \(3 with dilation 2 spans 5\) is larger than the padded input"),
        ((torch.ones(3, 3),), {"input_size": (4, 2)}, ValueError,
         r"kernel_size\[1\] \(3\) is larger than the padded input \(2 \+ 2\*0 = 2\)"),
        ((torch.ones(3, 3),), {"input_size": 4, "stride": 0}, ValueError, r"stride must be positive, got 0"),
        ((torch.ones(3, 2, 3, 3),), {"input_size": 4, "groups": 2}, ValueError,
         r"groups=2 must divide the weight's out_channels \(3\)"),
        ((torch.ones(2, 2, 3, 3),), {"input_size": 4, "groups": 0}, ValueError, r"groups must be positive, got 0"),
    ],
)
def test_bad_input_is_explained(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        conv2d_matrix(*args, **kwargs)


# -- dtypes, autograd, NaN, meta and sizes -------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64],
                         ids=str)
def test_the_matrix_has_the_weights_dtype_and_gives_torchs_convolution(dtype):
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(4, 1, 2, 3, generator=gen).to(dtype)
    x = torch.randint(-2, 3, (1, 2, 5, 6), generator=gen).to(dtype)
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    C = conv2d_matrix(weight, (5, 6), **kw)
    assert C.dtype == dtype
    expected = F.conv2d(x, weight, **kw).flatten()
    got = (C.double() @ x.double().flatten()).to(dtype) if dtype.is_floating_point else C @ x.flatten()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool], ids=str)
def test_integer_weights_are_refused(dtype):
    with pytest.raises(TypeError, match=rf"^weight \({dtype}\) holds no floating point numbers.*weight\.float\(\)"):
        conv2d_matrix(torch.ones(3, 3, dtype=dtype), 4)


def test_requires_grad_weight_gives_torchs_gradient():
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    w0 = torch.randn(3, 2, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    grads = []
    for through_matrix in (False, True):
        w = w0.clone().requires_grad_()
        y = conv2d_matrix(w, 5, stride=2, padding=1) @ x.flatten() if through_matrix else F.conv2d(
            x, w, stride=2, padding=1).flatten()
        (y * torch.arange(y.numel(), dtype=y.dtype)).sum().backward()
        grads.append(w.grad)
    torch.testing.assert_close(grads[1], grads[0])


def test_a_nan_weight_lands_exactly_on_its_taps():
    weight = torch.ones(3, 3)
    weight[1, 2] = float("nan")
    tap = torch.zeros(3, 3)
    tap[1, 2] = 1.0
    C = conv2d_matrix(weight, 5, stride=2, padding=1)
    assert torch.equal(C.isnan(), conv2d_matrix(tap, 5, stride=2, padding=1) != 0)
    assert bool((C[~C.isnan()] == conv2d_matrix(torch.ones(3, 3), 5, stride=2, padding=1)[~C.isnan()]).all())


def test_meta_weight_gives_the_shape():
    weight = torch.empty(4, 3, 3, 3, device="meta")
    C = conv2d_matrix(weight, (6, 5), padding=1)
    y = F.conv2d(torch.empty(1, 3, 6, 5, device="meta"), weight, padding=1)
    assert C.device.type == "meta" and C.shape == (y.numel(), 3 * 6 * 5)


def test_many_channels_are_built_at_once():
    # one indexing per matrix, not one per (output channel, input channel, tap): 64 x 64 x 3 x 3 is quick
    weight = torch.randn(64, 64, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    x = torch.randn(1, 64, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    start = time.perf_counter()
    C = conv2d_matrix(weight, 6, padding=1)
    assert time.perf_counter() - start < 5.0
    torch.testing.assert_close(C @ x.flatten(), F.conv2d(x, weight, padding=1).flatten())


@pytest.mark.parametrize(
    ("channels", "size", "padding"), [(1, 224, 0), (1, 4, 10**9), (64, 32, 1), (1, 10**9, 0)],
    ids=["224", "padding 1e9", "64 channels", "1e9"],
)
def test_huge_matrices_are_refused_before_allocating(channels, size, padding):
    weight = torch.ones(channels, channels, 3, 3)
    rows = channels * conv_output_size(size, 3, padding=padding) ** 2  # checked against torch in test_arithmetic
    cols = channels * size * size
    start = time.perf_counter()
    with pytest.raises(ValueError, match=rf"^conv2d_matrix's C .*\({rows:,} x {cols:,}\) would hold "
                                         rf"{rows * cols:,} numbers.*at most 33,554,432.*F.conv2d"):
        conv2d_matrix(weight, size, padding=padding)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("name", ["input_size", "stride", "padding", "dilation", "groups"])
@pytest.mark.parametrize(("value", "error", "message"), [
    ("2", TypeError, r"must be a whole number, got '2' \(str\)"),
    (2.0, TypeError, r"must be a whole number, got 2.0 \(float\)"),
    (True, TypeError, r"must be a whole number, got True \(bool\)"),
    (None, TypeError, r"must be a whole number, got None \(NoneType\)"),
    (-1, ValueError, r"must be (positive|0 or more), got -1"),
], ids=str)
def test_wrong_values_name_the_argument(name, value, error, message):
    kwargs = {"input_size": 4} | {name: value}
    with pytest.raises(error, match=rf"^{name} {message}"):
        conv2d_matrix(torch.ones(3, 3), **kwargs)
