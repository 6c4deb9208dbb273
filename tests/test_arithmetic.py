"""course_utils.conv.sizes against PyTorch: output sizes and receptive fields (02-04, 06).

The property tests compare thousands of random settings with what PyTorch computes
(zero mismatches allowed); the message tests check that each impossible setting is
explained in words that name the argument.
"""

from __future__ import annotations

import random
import re
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import conv_output_size, conv_transpose_output_size, receptive_field


def torch_conv_size(h, w, k, s, p, d, groups=1, channels=(1, 1)):
    """The output (H, W) PyTorch computes, or None when PyTorch refuses the setting."""
    cin, cout = channels
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # 'same' with an even kernel
            x = torch.zeros(1, cin, h, w)
            weight = torch.zeros(cout, cin // groups, *k)
            return tuple(F.conv2d(x, weight, stride=s, padding=p, dilation=d, groups=groups).shape[-2:])
    except RuntimeError:
        return None


def ours(h, w, k, s, p, d):
    try:
        return conv_output_size((h, w), k, stride=s, padding=p, dilation=d)
    except ValueError:
        return None


# --- conv_output_size: a seeded loop over thousands of settings ------------------------------

def test_conv_output_size_matches_torch_on_4000_random_settings():
    rng = random.Random(2024)
    mismatches, refused = [], 0
    for _ in range(4000):
        h, w = rng.randint(1, 40), rng.randint(1, 40)
        k = (rng.randint(1, 7), rng.randint(1, 7))
        s = (rng.randint(1, 4), rng.randint(1, 4))
        d = (rng.randint(1, 4), rng.randint(1, 4))
        p = (rng.randint(0, 4), rng.randint(0, 4))
        groups = rng.choice([1, 2, 3, 4])
        channels = (groups * rng.randint(1, 2), groups * rng.randint(1, 2))
        expected = torch_conv_size(h, w, k, s, p, d, groups, channels)
        got = ours(h, w, k, s, p, d)
        refused += expected is None
        if got != expected:
            mismatches.append(((h, w, k, s, p, d, groups), got, expected))
    assert not mismatches, mismatches[:5]
    assert 200 < refused < 3800  # both possible and impossible settings were tried


def test_conv_output_size_ints_match_torch_conv1d_on_2000_settings():
    rng = random.Random(7)
    for _ in range(2000):
        n, k, s, p, d = (rng.randint(1, 60), rng.randint(1, 9), rng.randint(1, 5),
                         rng.randint(0, 5), rng.randint(1, 5))
        try:
            with torch.no_grad():
                expected = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p,
                                    dilation=d).shape[-1]
        except RuntimeError:
            expected = None
        try:
            got = conv_output_size(n, k, s, p, d)
        except ValueError:
            got = None
        assert got == expected, (n, k, s, p, d)


def test_padding_strings_match_torch_on_1000_settings():
    rng = random.Random(11)
    for _ in range(1000):
        h, w = rng.randint(1, 30), rng.randint(1, 30)
        k = (rng.randint(1, 6), rng.randint(1, 6))
        d = (rng.randint(1, 3), rng.randint(1, 3))
        padding = rng.choice(["same", "valid"])
        expected = torch_conv_size(h, w, k, 1, padding, d)
        assert ours(h, w, k, 1, padding, d) == expected, (h, w, k, d, padding)
        if padding == "same":
            assert expected == (h, w)


@settings(max_examples=300)
@given(
    size=st.integers(1, 64), kernel=st.integers(1, 9), stride=st.integers(1, 6),
    padding=st.integers(0, 6), dilation=st.integers(1, 6), width=st.integers(1, 64),
)
def test_conv_output_size_property(size, kernel, stride, padding, dilation, width):
    expected = torch_conv_size(size, width, (kernel, kernel), stride, padding, dilation)
    assert ours(size, width, kernel, stride, padding, dilation) == expected


@given(size=st.integers(1, 50), kernel=st.integers(1, 9), dilation=st.integers(1, 4))
def test_padding_d_k_minus_1_over_2_keeps_the_size_for_odd_kernels(size, kernel, dilation):
    kernel = 2 * (kernel // 2) + 1
    assert conv_output_size(size, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation) == size


def test_known_values():
    assert conv_output_size(512, 3) == 510
    assert conv_output_size((7, 8), 3, stride=2, padding=1) == (4, 4)
    assert conv_output_size(224, 7, stride=2, padding=3) == 112
    assert conv_output_size(10, 3, padding=2, dilation=2) == 10
    assert conv_output_size((5, 6), (3, 2), stride=(1, 2), padding=(1, 0)) == (5, 3)


# --- conv_output_size: messages ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"size": 3, "kernel_size": 5}, ValueError, ["kernel_size (5)", "larger than the padded input", "3 + 2*0 = 3"]),
        ({"size": 10, "kernel_size": 7, "dilation": 2}, ValueError, ["kernel_size (7 with dilation 2 spans 13)", "(10"]),
        ({"size": 8, "kernel_size": 3, "stride": 2, "padding": "same"}, ValueError, ["padding='same'", "stride"]),
        ({"size": 8, "kernel_size": 3, "padding": "full"}, ValueError, ["padding", "'valid' or 'same'", "'full'"]),
        ({"size": 0, "kernel_size": 3}, ValueError, ["size must be positive", "0"]),
        ({"size": 8, "kernel_size": 0}, ValueError, ["kernel_size must be positive"]),
        ({"size": 8, "kernel_size": 3, "stride": 0}, ValueError, ["stride must be positive"]),
        ({"size": 8, "kernel_size": 3, "padding": -1}, ValueError, ["padding must be 0 or more", "-1"]),
        ({"size": 8, "kernel_size": 3, "dilation": 0}, ValueError, ["dilation must be positive"]),
        ({"size": 8.5, "kernel_size": 3}, TypeError, ["size must be a whole number", "8.5"]),
        ({"size": 8, "kernel_size": True}, TypeError, ["kernel_size must be a whole number", "bool"]),
        ({"size": (8, 8), "kernel_size": (3, 3, 3)}, ValueError, ["same length", "kernel_size"]),
        ({"size": (8, 2), "kernel_size": 3}, ValueError, ["kernel_size[1] (3)", "(2 + 2*0 = 2)"]),
    ],
)
def test_conv_output_size_messages(kwargs, error, words):
    with pytest.raises(error) as info:
        conv_output_size(**kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize(
    ("fn", "name"),
    [(conv_output_size, n) for n in ("size", "kernel_size", "stride", "padding", "dilation")]
    + [(conv_transpose_output_size, n)
       for n in ("size", "kernel_size", "stride", "padding", "output_padding", "dilation")],
    ids=lambda v: getattr(v, "__name__", str(v)),  # stable ids: xdist workers must collect the same
)
@pytest.mark.parametrize("empty", [(), []], ids=repr)
def test_an_empty_tuple_is_named(fn, name, empty):
    kwargs = {"size": (8, 8), "kernel_size": 3, name: empty}
    message = rf"^{name} must be one int or a tuple of ints \(one per axis\), got {re.escape(repr(empty))}$"
    with pytest.raises(ValueError, match=message):
        fn(**kwargs)


# --- conv_transpose_output_size (owned by 06; a light check only) ------------------------------

@pytest.mark.parametrize(("size", "k", "s", "p", "op", "d"),
                         [(512, 3, 2, 0, 0, 1), (16, 4, 2, 1, 0, 1), (2, 2, 1, 0, 0, 2), (4, 3, 2, 1, 1, 1)])
def test_conv_transpose_output_size_spot_checks(size, k, s, p, op, d):
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)
    with torch.no_grad():
        expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
    assert conv_transpose_output_size(size, k, s, p, op, d) == expected


def test_conv_transpose_output_padding_message():
    with pytest.raises(ValueError, match=r"output_padding \(2\) must be smaller than stride \(2\)"):
        conv_transpose_output_size(4, 3, stride=2, output_padding=2)


# --- receptive_field ---------------------------------------------------------------------------

def autograd_field(layers: list[nn.Module], in_channels: int) -> tuple[int, int]:
    """Independent measurement: real layers with random positive weights, float64; the extent of
    the input pixels whose gradient is non-zero for the central output unit."""
    net = nn.Sequential(*layers).double()
    with torch.no_grad():
        for module in net:
            if isinstance(module, nn.Conv2d):
                module.weight.uniform_(0.5, 1.5)
    field = receptive_field(net)
    jump = [1, 1]
    for module in net:
        stride = module.stride if isinstance(module.stride, tuple) else (module.stride,) * 2
        jump = [jump[0] * stride[0], jump[1] * stride[1]]
    size = [field[a] + 2 * jump[a] for a in range(2)]  # one extra output unit on each side
    x = torch.randn(1, in_channels, *size, dtype=torch.float64, requires_grad=True)
    y = net(x)
    assert tuple(y.shape[-2:]) == (3, 3)
    y[0, 0, 1, 1].backward()
    hit = x.grad[0].abs().sum(0) != 0
    rows, cols = hit.any(1).nonzero().flatten(), hit.any(0).nonzero().flatten()
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def random_stack(rng: random.Random) -> tuple[list[nn.Module], int]:
    """1 to 4 layers: a convolution first, then convolutions or average pools."""
    in_channels = channels = rng.randint(1, 2)
    layers: list[nn.Module] = []
    for i in range(rng.randint(1, 4)):
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s = (rng.randint(1, 2), rng.randint(1, 2))
        if i == 0 or rng.random() < 0.7:
            out = rng.randint(1, 2)
            layers.append(nn.Conv2d(channels, out, k, stride=s, dilation=(rng.randint(1, 3), rng.randint(1, 3))))
            channels = out
        else:
            layers.append(nn.AvgPool2d(k, stride=s))
    return layers, in_channels


def test_receptive_field_matches_autograd_on_600_random_stacks():
    rng = random.Random(3)
    mismatches = []
    for _ in range(600):
        layers, in_channels = random_stack(rng)
        expected = autograd_field(layers, in_channels)
        got = receptive_field(layers)
        if got != expected:
            mismatches.append((layers, got, expected))
    assert not mismatches, mismatches[:3]


@settings(max_examples=150)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 4)), min_size=1, max_size=4))
def test_receptive_field_formula_property(specs):
    # Independent formula: the last layer's field, walked back to the input.
    r = 1
    for k, s, d in reversed(specs):
        r = (r - 1) * s + d * (k - 1) + 1
    assert receptive_field(specs) == r


def test_receptive_field_known_values():
    assert receptive_field([(3, 1, 1)] * 3) == 7
    assert receptive_field([(3, 1, 2)] * 3) == 13
    assert receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 5)]) == 17
    assert receptive_field([(3, 1), (2, 2), (3,)]) == 8
    assert receptive_field([((3, 5), 1, 1), (3, 1, (1, 2))]) == (5, 9)
    vgg = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                        nn.BatchNorm2d(8), nn.MaxPool2d(2), nn.Sequential(nn.Conv2d(8, 8, 3), nn.Dropout()))
    assert receptive_field(vgg) == (10, 10)
    assert receptive_field(nn.Conv2d(1, 1, (3, 5), dilation=(1, 2))) == (3, 9)
    assert receptive_field(nn.Conv1d(1, 1, 5, dilation=3)) == (13,)
    assert receptive_field([nn.MaxPool2d(3, stride=2, dilation=2), nn.Conv2d(1, 1, 3)]) == (9, 9)


@pytest.mark.parametrize(
    ("layers", "error", "words"),
    [
        ([], ValueError, ["at least one Conv"]),
        (nn.Sequential(nn.ReLU()), ValueError, ["at least one Conv"]),
        (5, TypeError, ["layers must be", "int"]),
        ("conv", TypeError, ["layers must be", "str"]),
        ([(0, 1, 1)], ValueError, ["layers[0] kernel_size must be positive"]),
        ([(3, 1, 1), (3, 0, 1)], ValueError, ["layers[1] stride must be positive"]),
        ([(3, 1, -2)], ValueError, ["layers[0] dilation must be positive"]),
        ([(3, 1, 1, 1)], ValueError, ["layers[0] must be (kernel_size,)", "(3, 1, 1, 1)"]),
        ([(3.5, 1, 1)], TypeError, ["layers[0] kernel_size must be a whole number"]),
        ([nn.Linear(2, 2)], TypeError, ["layers[0] is a Linear", "nn.Conv1d/2d/3d"]),
        ([nn.ConvTranspose2d(1, 1, 3)], TypeError, ["layers[0] is a ConvTranspose2d", "upsamples"]),
        ([((3, 3), 1, 1), ((3, 3, 3), 1, 1)], ValueError, ["layers[1] has 3 axes", "2"]),
        ([object()], TypeError, ["layers[0] must be a Conv/MaxPool/AvgPool module"]),
        (nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()), TypeError, ["layers[1] is a Flatten"]),
    ],
)
def test_receptive_field_messages(layers, error, words):
    with pytest.raises(error) as info:
        receptive_field(layers)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_docstring_examples():
    import doctest

    import course_utils.conv.sizes

    result = doctest.testmod(course_utils.conv.sizes, extraglobs={"nn": nn})
    assert result.attempted >= 6 and result.failed == 0


# -- bad values for every argument of the size functions ----------------------------------------

SIZE_ARGS = {
    conv_output_size: {"size": 8, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1},
    conv_transpose_output_size: {"size": 8, "kernel_size": 3, "stride": 1, "padding": 0, "output_padding": 0,
                                 "dilation": 1},
}


@pytest.mark.parametrize(("fn", "name"), [(f, n) for f, kw in SIZE_ARGS.items() for n in kw],
                         ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize(("value", "error", "message"), [
    (2.0, TypeError, r"must be a whole number, got 2.0 \(float\)"),
    (True, TypeError, r"must be a whole number, got True \(bool\)"),
    (None, TypeError, r"must be a whole number, got None \(NoneType\)"),
    (-1, ValueError, r"must be (positive|0 or more), got -1"),
], ids=str)
def test_wrong_values_name_the_argument(fn, name, value, error, message):
    with pytest.raises(error, match=rf"^{name} {message}"):
        fn(**SIZE_ARGS[fn] | {name: value})


@pytest.mark.parametrize(("fn", "name"), [(f, n) for f, kw in SIZE_ARGS.items() for n in kw],
                         ids=lambda v: getattr(v, "__name__", v))
def test_lists_of_strings_name_the_entry(fn, name):
    error = ValueError if fn is conv_output_size and name == "padding" else TypeError  # 'valid'/'same' exist
    with pytest.raises(error, match=rf"^{name}\[0\] must be"):
        fn(**SIZE_ARGS[fn] | {name: ["a", "b"]})


@pytest.mark.parametrize("padding", ["same", "valid", ("valid", 0)])
def test_transposed_padding_strings_are_explained(padding):
    name = "padding[0]" if isinstance(padding, tuple) else "padding"
    with pytest.raises(TypeError, match=rf"^{re.escape(name)} must be a whole number, got '\w+': a transposed "
                                        r"convolution has no 'valid' or 'same' padding"):
        conv_transpose_output_size((8, 8) if isinstance(padding, tuple) else 8, 3, padding=padding)
    with pytest.raises((TypeError, RuntimeError)):  # torch has no string padding here either
        F.conv_transpose2d(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 3, 3), padding=padding)


@pytest.mark.parametrize(("kwargs", "expected_args"), [
    ({"size": 10**9, "kernel_size": 3, "stride": 2}, (10**9, 3, 2, 0, 0, 1)),
    ({"size": 5, "kernel_size": 10**9}, (5, 10**9, 1, 0, 0, 1)),
    ({"size": 5, "kernel_size": 3, "stride": 10**9, "dilation": 10**9}, (5, 3, 10**9, 0, 0, 10**9)),
])
def test_huge_sizes_are_plain_arithmetic(kwargs, expected_args):
    n, k, s, p, op, d = expected_args  # torch cannot build these: the formula is the reference
    assert conv_transpose_output_size(**kwargs) == (n - 1) * s - 2 * p + d * (k - 1) + op + 1
