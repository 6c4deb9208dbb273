"""bilinear_kernel, bilinear_upsampler and the overlap maps, checked against PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from _refusals import LIMIT, raises_fast
from hypothesis import given
from hypothesis import strategies as st

from course_utils import bilinear_kernel, bilinear_upsampler, overlap_count
from course_utils.conv.bilinear import bilinear_profile, steady_counts
from course_utils.scenes.overlap import overlap_scene


def test_profile_k4_and_odd_sizes():
    assert bilinear_profile(4).tolist() == [0.25, 0.75, 0.75, 0.25]
    assert bilinear_profile(3).tolist() == [0.5, 1.0, 0.5]
    torch.testing.assert_close(bilinear_profile(5), torch.tensor([1, 2, 3, 2, 1]) / 3)
    assert bilinear_profile(1).tolist() == [1.0]


def test_kernel_is_outer_product_on_the_diagonal():
    w = bilinear_kernel(3, 3, 4)
    assert w.shape == (3, 3, 4, 4) and w.dtype == torch.float32
    tent = torch.tensor([0.25, 0.75, 0.75, 0.25])
    for i in range(3):
        for j in range(3):
            expected = torch.outer(tent, tent) if i == j else torch.zeros(4, 4)
            torch.testing.assert_close(w[i, j], expected)
    assert w[0, 0, 1, 1].item() == 0.5625


def test_kernel_and_profile_follow_the_default_dtype():
    before = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        w, tent = bilinear_kernel(2, 2, 5), bilinear_profile(5)
        assert w.dtype == tent.dtype == torch.float64
        torch.testing.assert_close(w[1, 1], torch.outer(tent, tent))
        assert bilinear_upsampler(2, 2)(torch.ones(1, 2, 3, 3)).dtype == torch.float64
    finally:
        torch.set_default_dtype(before)
    assert bilinear_kernel(1, 1, 3).dtype == torch.float32


def test_seed_formula_matches():
    """The classic code (as written in the course's source) gives the same weight for in == out."""
    def classic(in_channels, out_channels, kernel_size):
        factor = (kernel_size + 1) // 2
        center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
        og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
        filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
        weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
        weight[range(in_channels), range(out_channels), :, :] = filt
        return weight

    for k in (1, 2, 3, 4, 5, 16, 64):
        torch.testing.assert_close(bilinear_kernel(4, 4, k), classic(4, 4, k))
    with pytest.raises(IndexError):
        classic(3, 5, 4)  # why the course's version checks the channels


@pytest.mark.parametrize(("factor", "kernel", "padding"), [(2, 4, 1), (8, 16, 4), (32, 64, 16), (3, 5, 1)])
def test_upsampler_settings(factor, kernel, padding):
    layer = bilinear_upsampler(2, factor)
    assert layer.kernel_size == (kernel, kernel)
    assert layer.stride == (factor, factor) and layer.padding == (padding, padding)
    assert layer.bias is None
    assert layer(torch.rand(1, 2, 5, 7)).shape == (1, 2, 5 * factor, 7 * factor)


@given(
    factor=st.integers(1, 9), h=st.integers(1, 8), w=st.integers(1, 8), c=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_equals_interpolate_away_from_border(factor, h, w, c, seed):
    x = torch.rand(1, c, h, w, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        mine = bilinear_upsampler(c, factor)(x)
    ref = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    b = factor // 2
    inner = (..., slice(b, mine.shape[-2] - b), slice(b, mine.shape[-1] - b))
    torch.testing.assert_close(mine[inner], ref[inner], atol=1e-5, rtol=1e-5)


def test_border_values_k4():
    with torch.no_grad():
        y = bilinear_upsampler(1, 2)(torch.ones(1, 1, 6, 6))[0, 0]
    assert y[0, 0].item() == 0.5625
    assert y[0, 3].item() == 0.75 and y[3, 0].item() == 0.75
    torch.testing.assert_close(y[1:-1, 1:-1], torch.ones(10, 10))


def test_border_values_fcn_head():
    layer = torch.nn.ConvTranspose2d(21, 21, kernel_size=64, padding=16, stride=32)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(21, 21, 64))
        layer.bias.zero_()
        y = layer(torch.ones(1, 21, 10, 15))
    assert y.shape == (1, 21, 320, 480)
    assert y[0, 0, 0, 240].item() == pytest.approx(33 / 64)  # 0.515625
    assert y[0, 0, 0, 0].item() == pytest.approx((33 / 64) ** 2)  # 0.265869140625
    torch.testing.assert_close(y[0, :, 16:-16, 16:-16], torch.ones(21, 288, 448))
    assert y[0, 0, 160, :16].tolist() == pytest.approx([(33 + 2 * i) / 64 for i in range(16)])


def test_k16_s8_p4_gives_x8():
    layer = torch.nn.ConvTranspose2d(21, 21, kernel_size=16, stride=8, padding=4, bias=False)
    layer.weight.data = bilinear_kernel(21, 21, 16)
    assert layer(torch.rand(1, 21, 40, 60)).shape == (1, 21, 320, 480)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"in_channels \(3\) must equal out_channels \(5\)"):
        bilinear_kernel(3, 5, 4)
    with pytest.raises(ValueError, match="kernel_size must be positive, got 0"):
        bilinear_kernel(1, 1, 0)
    with pytest.raises(TypeError, match="kernel_size must be a whole number, got 4.0"):
        bilinear_kernel(1, 1, 4.0)
    with pytest.raises(ValueError, match="factor must be positive, got 0"):
        bilinear_upsampler(3, 0)
    with pytest.raises(ValueError, match="stride must be positive"):
        overlap_count(3, 0)


@given(k=st.integers(1, 8), s=st.integers(1, 4), n=st.integers(1, 6))
def test_overlap_count_matches_a_direct_count(k, s, n):
    counts = overlap_count(k, s, n)
    size = (n - 1) * s + k
    direct = torch.zeros(size)
    for j in range(n):
        direct[j * s: j * s + k] += 1
    torch.testing.assert_close(counts, torch.outer(direct, direct).double())


def test_steady_counts():
    assert steady_counts(4, 2) == (4, 4)
    assert steady_counts(3, 2) == (1, 4)
    assert steady_counts(64, 32) == (4, 4)
    assert steady_counts(1, 2) == (0, 1)
    assert steady_counts(16, 8) == (4, 4)
    for k in range(1, 9):
        for s in range(1, 5):
            lo, hi = steady_counts(k, s)
            assert (lo == hi) == (k % s == 0), (k, s)


# -- the overlap maps against F.conv_transpose2d, and bad values ---------------------------------

def torch_overlap(k, s, n, layers):
    """The reference: ones through F.conv_transpose2d with a kernel of ones, layer after layer."""
    x = torch.ones(1, 1, n, n, dtype=torch.float64)
    for _ in range(layers):
        x = F.conv_transpose2d(x, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)
    return x[0, 0]


@given(k=st.integers(1, 6), s=st.integers(1, 4), n=st.integers(1, 5), layers=st.integers(1, 3))
def test_overlap_count_equals_torch_for_stacked_layers(k, s, n, layers):
    torch.testing.assert_close(overlap_count(k, s, n, layers=layers), torch_overlap(k, s, n, layers))


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_steady_counts_are_the_central_period_of_torchs_map(layers):
    for k in range(1, 7):
        for s in range(1, 4):
            counts = torch_overlap(k, s, 4 * k + 8, layers)
            middle, period = counts.shape[0] // 2, s**layers
            window = counts[middle: middle + period, middle: middle + period]
            assert steady_counts(k, s, layers) == (int(window.min()), int(window.max())), (k, s, layers)


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (lambda: bilinear_profile(10**9), ValueError, rf"^bilinear_profile\(kernel_size=1000000000\) {LIMIT}"),
        (lambda: bilinear_kernel(1, 1, 10**5), ValueError, rf"^bilinear_kernel\(1, 1, 100000\) would hold "
                                                           rf"{10**10:,} numbers"),
        (lambda: bilinear_kernel(10**5, 10**5, 4), ValueError, rf"^bilinear_kernel\(100000, 100000, 4\) {LIMIT}"),
        (lambda: bilinear_upsampler(10**5, 2), ValueError, rf"^bilinear_upsampler\(100000, 2\)'s weight \(100000 x 100000 x 4 x 4\) {LIMIT}"),
        (lambda: bilinear_upsampler(1, 10**9), ValueError, rf"\(1 x 1 x 2000000000 x 2000000000\) {LIMIT}"),
        (lambda: overlap_count(3, 2, 10**9), ValueError, rf"^overlap_count's map \(2000000001 x 2000000001\) {LIMIT}"),
        (lambda: overlap_count(10**9, 2), ValueError, rf"^overlap_count's map \(1000000006 x 1000000006\) {LIMIT}"),
        (lambda: overlap_count(3, 2, layers=12), ValueError, r"^layers must be at most 8, got 12"),
        (lambda: overlap_count(1, 1, layers=10**9), ValueError, r"^layers must be at most 8"),
        (lambda: overlap_count(3, 4, layers=8), ValueError, rf"^overlap_count's map \(\d+ x \d+\) {LIMIT}"),
        (lambda: steady_counts(10**9, 2), ValueError, rf"^steady_counts' row of counts \(\d+\) {LIMIT}"),
        (lambda: steady_counts(2, 10**9, layers=10**9), ValueError, r"^layers must be at most 8"),
        (lambda: bilinear_upsampler(2, 2, bias="yes"), TypeError, r"^bias must be True or False, got 'yes'"),
        (lambda: bilinear_upsampler(2, 2, bias=1), TypeError, r"^bias must be True or False, got 1 \(int\)"),
    ],
)
def test_huge_and_wrong_values_are_refused_quickly(fn, error, message):
    raises_fast(error, message, fn)


KERNEL_INT_ARGS = [
    (bilinear_profile, {"kernel_size": 4}), (bilinear_kernel, {"in_channels": 2, "out_channels": 2, "kernel_size": 4}),
    (bilinear_upsampler, {"channels": 2, "factor": 2}),
    (overlap_count, {"kernel_size": 3, "stride": 2, "input_size": 4, "layers": 1}),
    (steady_counts, {"kernel_size": 3, "stride": 2, "layers": 1}),
    (overlap_scene, {"kernel_size": 3, "stride": 2, "layers": 1, "input_size": 3}),
]


@pytest.mark.parametrize(("fn", "name"), [(f, n) for f, kw in KERNEL_INT_ARGS for n in kw],
                         ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize(("value", "error", "message"), [
    ("2", TypeError, r"must be a whole number, got '2' \(str\)"),
    (2.0, TypeError, r"must be a whole number, got 2.0 \(float\)"),
    (True, TypeError, r"must be a whole number, got True \(bool\)"),
    (None, TypeError, r"must be a whole number, got None \(NoneType\)"),
    (["a"], TypeError, r"must be a whole number, got \['a'\] \(list\)"),
    (-1, ValueError, r"must be positive, got -1"),
    (0, ValueError, r"must be positive, got 0"),
], ids=str)
def test_wrong_values_name_the_argument(fn, name, value, error, message):
    kwargs = dict(KERNEL_INT_ARGS)[fn] | {name: value}
    if fn is bilinear_kernel and name != "kernel_size":
        kwargs |= {"in_channels": value, "out_channels": value}
        name = "in_channels"
    raises_fast(error, rf"^{name} {message}", lambda: fn(**kwargs))
