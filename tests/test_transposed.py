"""course_utils.conv.transposed against torch.nn.functional.conv_transpose2d (notebook 06)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from _refusals import LIMIT, raises_fast
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


# -- dtypes, autograd, NaN, devices and sizes (checked against F.conv_transpose2d) ---------------

def steps_result(x, weight, **kw):
    """conv_transpose2d_steps' final output, shaped like F.conv_transpose2d's."""
    return list(conv_transpose2d_steps(x[0, 0], weight[0, 0], **kw))[-1].output[None, None]


ENGINES = [*METHODS, steps_result]


@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"stride": 2, "padding": 1, "output_padding": 1}], ids=str)
def test_integer_input_with_float_kernel_gives_the_float_answer(engine, kw):
    x = torch.tensor([[[[0, 1], [2, 3]]]])  # int64, as a learner types it
    expected = F.conv_transpose2d(x.float(), W, **kw)
    got = engine(x, W, **kw)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected)
    if not kw:
        assert got[0, 0, 1, 1].item() == pytest.approx(11.0)  # not 10: nothing truncated


def test_integer_steps_keep_every_copy_exact():
    x = torch.tensor([[0, 1], [2, 3]])
    steps = list(conv_transpose2d_steps(x, W[0, 0]))
    for step in steps:
        torch.testing.assert_close(step.copy[step.row: step.row + 2, step.col: step.col + 2],
                                   x[step.row, step.col].float() * W[0, 0])
    torch.testing.assert_close(sum(s.copy for s in steps), steps[-1].total)


# (x dtype, weight dtype): what torch computes in, as F.conv_transpose2d does for the same dtype
# or, where torch refuses a mix, for both converted to torch.result_type.
DTYPES = [
    (torch.float16, torch.float16), (torch.bfloat16, torch.bfloat16), (torch.float64, torch.float64),
    (torch.complex64, torch.complex64), (torch.int64, torch.float32), (torch.bool, torch.float64),
    (torch.uint8, torch.float16), (torch.float32, torch.float64), (torch.float16, torch.float32),
    (torch.complex64, torch.float32),
]


@pytest.mark.parametrize("engine", METHODS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("x_dtype", "w_dtype"), DTYPES, ids=str)
def test_dtypes_follow_torch_promotion(engine, x_dtype, w_dtype):
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 2 if x_dtype == torch.bool else 4, (2, 2, 3, 4), generator=gen).to(x_dtype)
    weight = torch.randn(2, 3, 2, 3, generator=gen).to(w_dtype)
    dtype = torch.result_type(x, weight)
    kw = dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2))
    got = engine(x, weight, **kw)
    assert got.dtype == dtype
    expected = F.conv_transpose2d(x.to(dtype), weight.to(dtype), **kw)
    torch.testing.assert_close(got, expected, **low_precision(expected))


def low_precision(expected):
    """float16/bfloat16 sums round after every addition, so a different order may differ by a few
    units in the last place of the largest value; other dtypes use assert_close's defaults."""
    if expected.dtype not in (torch.float16, torch.bfloat16):
        return {}
    return dict(rtol=0, atol=4 * torch.finfo(expected.dtype).eps * float(expected.abs().max()))


@pytest.mark.parametrize(("x_dtype", "w_dtype"), DTYPES[:3] + DTYPES[4:9], ids=str)
def test_steps_dtypes_follow_torch_promotion(x_dtype, w_dtype):
    x, weight = torch.tensor([[[[0, 1], [1, 1]]]]).to(x_dtype), W.to(w_dtype)
    dtype = torch.result_type(x, weight)
    got = steps_result(x, weight, stride=2)
    assert got.dtype == dtype
    expected = F.conv_transpose2d(x.to(dtype), weight.to(dtype), stride=2)
    torch.testing.assert_close(got, expected, **low_precision(expected))


@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("x_dtype", "w_dtype"), [(torch.int64, torch.int64), (torch.int32, torch.uint8),
                                                  (torch.bool, torch.bool)], ids=str)
def test_two_integer_tensors_are_refused(engine, x_dtype, w_dtype):
    message = rf"x \({x_dtype}\) and weight \({w_dtype}\) hold no floating point numbers.*x\.float\(\)"
    with pytest.raises(TypeError, match=message):
        engine(X.to(x_dtype), W.to(w_dtype))


@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
def test_requires_grad_gives_torch_gradients(engine):
    kw = dict(stride=2, padding=1, output_padding=1)
    x = torch.randn(1, 1, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    weight = torch.randn(1, 1, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    grads = []
    for fn in (F.conv_transpose2d, engine):
        xs, ws = x.clone().requires_grad_(), weight.clone().requires_grad_()
        out = fn(xs, ws, **kw)
        assert out.requires_grad
        (out * torch.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
        grads.append((xs.grad, ws.grad))
    torch.testing.assert_close(grads[1], grads[0])


def with_value(t, index, value):
    t = t.clone()
    t[index] = value
    return t


@pytest.mark.parametrize("engine", ENGINES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")], ids=str)
@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"dilation": 2, "padding": 1}], ids=str)
def test_non_finite_input_gives_torch_result(engine, value, kw):
    x = with_value(X, (0, 0, 0, 1), value)
    torch.testing.assert_close(engine(x, W, **kw), F.conv_transpose2d(x, W, **kw), equal_nan=True)


@pytest.mark.parametrize("engine", [conv_transpose2d_scatter, steps_result], ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=str)
@pytest.mark.parametrize("kw", [{}, {"stride": 3}, {"dilation": 2, "padding": 1}], ids=str)
def test_non_finite_weight_gives_torch_result(engine, value, kw):
    weight = with_value(W, (0, 0, 1, 1), value)
    torch.testing.assert_close(engine(X, weight, **kw), F.conv_transpose2d(X, weight, **kw), equal_nan=True)


def test_zero_insertion_refuses_non_finite_weights():
    # why: zero insertion multiplies the weights by inserted zeros too, and 0 * nan is nan where
    # torch's answer is a number
    weight = with_value(W, (0, 0, 1, 1), float("nan"))
    assert not torch.isnan(F.conv_transpose2d(X, weight, stride=2)).all()
    with pytest.raises(ValueError, match=r"weight holds NaN or inf.*use conv_transpose2d_scatter"):
        conv_transpose2d_zero_insertion(X, weight, stride=2)


@pytest.mark.parametrize("engine", METHODS, ids=lambda f: f.__name__)
def test_meta_tensors_give_torch_shape(engine):
    x, weight = torch.empty(2, 4, 5, 3, device="meta"), torch.empty(4, 3, 3, 2, device="meta")
    kw = dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2, dilation=(1, 2))
    got = engine(x, weight, **kw)
    assert got.device.type == "meta" and got.shape == F.conv_transpose2d(x, weight, **kw).shape


@pytest.mark.parametrize("engine", METHODS, ids=lambda f: f.__name__)
def test_empty_batch_gives_torch_result(engine):
    x = torch.zeros(0, 1, 2, 2)
    assert engine(x, W, stride=2).shape == F.conv_transpose2d(x, W, stride=2).shape


@pytest.mark.parametrize(
    ("engine", "x", "weight", "error", "message"),
    [
        (conv_transpose2d_scatter, X.to("meta"), W, ValueError, r"x is on meta and weight is on cpu"),
        (conv_transpose2d_zero_insertion, X, W.to("meta"), ValueError, r"x is on cpu and weight is on meta"),
        (conv_transpose2d_scatter, torch.zeros(1, 1, 0, 2), W, ValueError, r"x must not be empty"),
        (conv_transpose2d_zero_insertion, X, torch.zeros(1, 1, 0, 2), ValueError, r"weight must not be empty"),
        (conv_transpose2d_scatter, torch.zeros(1, 0, 2, 2), torch.zeros(0, 1, 2, 2), ValueError,
         r"x must not be empty"),
        (conv_transpose2d_scatter, X, [[1.0]], TypeError, r"weight must be a torch.Tensor, got list"),
        (steps_result, X.to("meta"), W.to("meta"), TypeError, r"x is on the meta device.*conv_transpose2d_scatter"),
        (steps_result, X.cfloat(), W, TypeError, r"x is complex.*conv_transpose2d_scatter"),
        (steps_result, X, W.cdouble(), TypeError, r"weight is complex"),
    ],
)
def test_bad_tensors_name_the_argument(engine, x, weight, error, message):
    with pytest.raises(error, match=message):
        engine(x, weight)




@pytest.mark.parametrize("engine", METHODS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kw", [{"stride": 10**9}, {"dilation": 10**9}, {"stride": 10**5, "dilation": 10**5,
                                                                        "output_padding": 10**5 - 1}], ids=str)
def test_huge_settings_are_refused_before_allocating(engine, kw):
    raises_fast(ValueError, rf"^{engine.__name__}.*{LIMIT}.*Use a smaller", lambda: engine(X, W, **kw))


def test_zero_insertion_counts_the_unfolded_columns():
    # a 100 x 100 input and a 50 x 50 kernel: small tensors, but F.conv2d unfolds 2,500 x 149**2
    # numbers for float64 (430 MB measured); the scatter needs only its canvas
    x, weight = torch.ones(1, 1, 100, 100, dtype=torch.float64), torch.ones(1, 1, 50, 50, dtype=torch.float64)
    side = conv_transpose_output_size(100, 50)
    raises_fast(ValueError, rf"2500 x {side * side} columns\) would hold {50 * 50 * side * side:,} numbers",
                lambda: conv_transpose2d_zero_insertion(x, weight))
    assert conv_transpose2d_scatter(x[..., :2, :], weight).shape == F.conv_transpose2d(x[..., :2, :], weight).shape


def test_steps_of_a_big_input_are_refused_when_called():
    x, weight = torch.ones(96, 96), torch.ones(2, 2)
    steps, canvas = 96 * 96, conv_transpose_output_size(96, 2) ** 2
    # refused at the call, not at the first next(): the steps would keep a copy and a total each
    raises_fast(ValueError, rf"^conv_transpose2d_steps for a 96 x 96 input, a 2 x 2 kernel, stride \(1, 1\) and "
                            rf"dilation \(1, 1\) \(9216 steps.* would hold "
                            rf"{2 * steps * canvas:,} numbers", lambda: conv_transpose2d_steps(x, weight))
    assert len(list(conv_transpose2d_steps(torch.ones(40, 40), torch.ones(3, 3)))) == 1600


# -- every integer argument, every kind of bad value ---------------------------------------------

def steps_call(x, weight, **kw):
    return conv_transpose2d_steps(x[0, 0], weight[0, 0], **kw)


INT_ARGS = [(engine, name) for engine in METHODS for name in ("stride", "padding", "output_padding", "groups",
                                                              "dilation")]
INT_ARGS += [(steps_call, name) for name in ("stride", "padding", "output_padding", "dilation")]
WRONG_TYPES = [("2", r"'2'"), (2.0, r"2.0 \(float\)"), (True, r"True \(bool\)"),
               (None, r"None \(NoneType\)"), (["a", "b"], r"'a' \(str\)")]
HUGE = {  # 10**9 for one argument: what must be said
    # a size error names the settings that make the tensors large
    "stride": rf"a 2 x 2 kernel, stride \(1000000000, 1000000000\) and dilation \(1, 1\) .*{LIMIT}",
    "dilation": rf"a 2 x 2 kernel, stride \(1, 1\) and dilation \(1000000000, 1000000000\) .*{LIMIT}",
    "padding": r"^padding \(1000000000\) crops 2000000000",
    "output_padding": r"^output_padding \(1000000000\) must be smaller than stride \(1\)",
    "groups": r"^in_channels \(1\) must be divisible by groups \(1000000000\)",
}


@pytest.mark.parametrize(("fn", "name"), INT_ARGS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize(("value", "shown"), WRONG_TYPES, ids=str)
def test_wrong_types_name_the_argument(fn, name, value, shown):
    if isinstance(value, list) and name == "groups":
        index, shown = "", r"\['a', 'b'\] \(list\)"
    else:
        index = r"\[0\]" if isinstance(value, list) else ""
    raises_fast(TypeError, rf"^{name}{index} must be a whole number, got {shown}",
                lambda: fn(X, W, **{name: value}))


@pytest.mark.parametrize(("fn", "name"), INT_ARGS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("value", [-1, 0, 10**9])
def test_out_of_range_values_name_the_argument(fn, name, value):
    if value == 0 and name in ("padding", "output_padding"):
        torch.testing.assert_close(fn(X, W, **{name: 0}) if fn is not steps_call else steps_result(X, W),
                                   F.conv_transpose2d(X, W))
        return
    message = HUGE[name] if value > 0 else rf"^{name} must be (positive|0 or more), got {value}$"
    raises_fast(ValueError, message, lambda: fn(X, W, **{name: value}))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(size=8, kernel_size=3, stride=2, padding="valid"), TypeError,
         r"^padding must be a whole number, got 'valid': a transposed convolution has no 'valid' or 'same'"),
        (dict(size=8, kernel_size=3, padding="same"), TypeError, r"^padding must be a whole number, got 'same'"),
        (dict(size=(8, 8), kernel_size=3, stride=2, padding=(1, "same")), TypeError,
         r"^padding\[1\] must be a whole number, got 'same'"),
        (dict(size=(8, 8), kernel_size=3, stride=(2, 2, 2)), ValueError, r"same length"),
        (dict(size=8, kernel_size=3, stride=0), ValueError, r"^stride must be positive, got 0"),
        (dict(size=8, kernel_size=3, padding=-1), ValueError, r"^padding must be 0 or more, got -1"),
        (dict(size=0, kernel_size=3), ValueError, r"^size must be positive, got 0"),
        (dict(size=8, kernel_size=0), ValueError, r"^kernel_size must be positive, got 0"),
        (dict(size=8, kernel_size=3, dilation=-2), ValueError, r"^dilation must be positive, got -2"),
        (dict(size=8.0, kernel_size=3), TypeError, r"^size must be a whole number, got 8.0"),
        (dict(size=8, kernel_size=True), TypeError, r"^kernel_size must be a whole number, got True"),
        (dict(size=8, kernel_size=3, stride=None), TypeError, r"^stride must be a whole number, got None"),
        (dict(size=8, kernel_size=["a"]), TypeError, r"^kernel_size\[0\] must be a whole number, got 'a'"),
        (dict(size=8, kernel_size=9), ValueError, r"^kernel_size \(9\) is larger than the padded input"),
        (dict(size=8, kernel_size=3, stride=()), ValueError,
         r"^stride must be one int or a tuple of ints \(one per axis\), got \(\)$"),
        (dict(size=(8, 8), kernel_size=3, padding=[]), ValueError,
         r"^padding must be one int or a tuple of ints \(one per axis\), got \[\]$"),
    ],
)
def test_matching_output_padding_bad_arguments(kwargs, error, message):
    raises_fast(error, message, lambda: matching_output_padding(**kwargs))


@pytest.mark.parametrize("engine", METHODS, ids=lambda f: f.__name__)
def test_string_padding_is_explained(engine):
    with pytest.raises(TypeError, match=r"^padding must be a whole number, got 'same': a transposed convolution"):
        engine(X, W, padding="same")
    with pytest.raises(TypeError, match=r"^padding must be a whole number, got 'valid'"):
        conv_transpose_output_size(8, 3, padding="valid")
    with pytest.raises(TypeError, match=r"padding"):  # torch refuses strings too
        F.conv_transpose2d(X, W, padding="same")
