"""The numbers of the additions to notebook 03 (the un-floored tutorial formula, a stride figure, 'same' padding
with dilation, when padding keeps the size, full padding, multiply-adds, depthwise convolution, the
depthwise-separable convolution and bias before batch normalisation), computed again with PyTorch."""

from __future__ import annotations

import warnings
from fractions import Fraction
from math import floor

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from course_utils import conv2d_scene


def _size(H, k, s=1, p=0, d=1) -> int:
    with torch.no_grad():
        return F.conv2d(torch.zeros(1, 1, H, H), torch.zeros(1, 1, k, k), stride=s, padding=p,
                        dilation=d).shape[-1]


def _torch_macs(layer: nn.Conv2d, H: int, W: int) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        layer(torch.zeros(1, layer.in_channels, H, W))
    return counter.get_total_flops() // 2


def test_03_unfloored_formula_is_floored_by_torch():
    assert Fraction(8 - 3 + 2, 2) + 1 == Fraction(9, 2) and _size(8, 3, 2, 1) == 4
    for H in range(1, 21):
        for k in range(1, 6):
            for s in range(1, 5):
                for p in range(3):
                    if H + 2 * p < k:
                        continue
                    exact = Fraction(H - k + 2 * p, s) + 1
                    assert floor(exact) == _size(H, k, s, p)
                    # right without the floor exactly when s divides H + 2p - k
                    assert (exact.denominator == 1) == ((H + 2 * p - k) % s == 0)
    # the notebook's sweep asks F.conv1d: 1,148 settings where the kernel fits
    assert sum(1 for n in range(1, 21) for k in range(1, 6) for s in range(1, 5) for p in range(3)
               if n + 2 * p >= k) == 1148


def test_03_stride_figure_second_window():
    x = torch.arange(1.0, 26.0).reshape(5, 5)
    out = F.conv2d(x[None, None], torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert out.int().tolist() == [[63, 81], [153, 171]]
    step = conv2d_scene(x, torch.ones(3, 3), stride=2)["steps"][1]
    assert step["target"] == "output/0/1"
    assert sorted({int(c.split("/")[2]) for c in step["cells"]}) == [2, 3, 4]
    assert sorted(int(x[int(c.split("/")[1]), int(c.split("/")[2])]) for c in step["cells"]) == [
        3, 4, 5, 8, 9, 10, 13, 14, 15]
    assert step["text"].endswith("= 81")


def test_03_same_padding_is_d_k_minus_1_in_total_the_odd_pixel_after():
    """'same' pads d(k-1) per axis, d(k-1) // 2 before and the rest after, for every kernel and dilation."""
    torch.manual_seed(0)
    for k in range(1, 8):
        for d in range(1, 5):
            for H in (d * (k - 1) + 1, 7, 12):
                x, w = torch.randn(1, 1, H, H + 1, dtype=torch.float64), torch.randn(1, 1, k, k, dtype=torch.float64)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    same = F.conv2d(x, w, padding="same", dilation=d)
                total = d * (k - 1)
                before, after = total // 2, total - total // 2
                torch.testing.assert_close(same, F.conv2d(F.pad(x, (before, after, before, after)), w, dilation=d))
                assert same.shape == x.shape
                assert (after > before) == (k % 2 == 0 and d % 2 == 1)  # odd total: even k, odd d
    # the notebook's examples: 3x3 d=2 -> 2 and 2; 4x4 d=2 -> 3 and 3; 2x2 d=3 -> 1 and 2; 4x4 d=1 -> 1 and 2
    for (k, d), sides in {(3, 2): (2, 2), (4, 2): (3, 3), (2, 3): (1, 2), (4, 1): (1, 2)}.items():
        assert (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) == sides


def test_03_padding_keeps_the_size_exactly_when_2p_is_d_k_minus_1():
    grid = [(H, k, p, d) for H in range(5, 10) for k in range(1, 7) for p in range(5)
            for d in range(1, 4) if H + 2 * p >= d * (k - 1) + 1]
    assert len(grid) == 380
    for H, k, p, d in grid:
        assert (_size(H, k, p=p, d=d) == H) == (2 * p == d * (k - 1))
    # an even kernel without dilation: no symmetric padding keeps the size
    assert not any(_size(H, k, p=p) == H for H in range(2, 12) for k in (2, 4, 6) for p in range(6)
                   if H + 2 * p >= k)
    # more generally: d(k-1) odd (an even kernel, an odd dilation), and no symmetric padding keeps the size
    assert not any(_size(H, k, p=p, d=d) == H for H in range(2, 14) for k in (2, 4, 6) for d in (1, 3)
                   for p in range(9) if H + 2 * p >= d * (k - 1) + 1)


def test_03_full_padding():
    for H in range(1, 9):
        for k in range(1, 6):
            ones = torch.ones(1, 1, H, H)
            seen = F.conv2d(ones, torch.ones(1, 1, k, k), padding=k - 1)[0, 0]
            assert seen.shape[-1] == H + k - 1 == nn.Conv2d(1, 1, k, padding=k - 1)(ones).shape[-1]
            assert seen.min() >= 1
            assert F.conv2d(ones, torch.ones(1, 1, k, k), padding=k)[0, 0, 0, 0] == 0
    seen = F.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), padding=2)[0, 0]
    assert (seen.shape[-1], int(seen.min()), int(seen.max())) == (7, 1, 9)


def test_03_multiply_adds():
    settings = [(nn.Conv2d(64, 128, 3, padding=1), 231211008, 56, 576),
                (nn.Conv2d(64, 128, 3, padding=1, groups=4), 57802752, 56, 144),
                (nn.Conv2d(64, 128, 3, padding=2, dilation=2), 231211008, 56, 576),
                (nn.Conv2d(64, 128, 3, padding=1, dilation=2), 214990848, 54, 576),
                (nn.Conv2d(64, 128, 5, stride=2, padding=2), 160563200, 28, 1600)]
    for layer, count, size, per_value in settings:
        with torch.no_grad():
            out = layer(torch.zeros(1, 64, 56, 56)).shape
        kH, kW = layer.kernel_size
        assert out[1] * out[2] * out[3] * (64 // layer.groups) * kH * kW == count == _torch_macs(layer, 56, 56)
        assert out[2] == out[3] == size and count == out[1] * out[2] * out[3] * per_value
    assert 231211008 == 4 * 57802752
    # without more padding, dilation shrinks the output and the total, not the cost per value
    assert [_torch_macs(nn.Conv2d(8, 8, 3, dilation=d), 32, 32) for d in (1, 2, 3)] == [518400, 451584, 389376]
    assert [(32 - 2 * d) ** 2 * 8 * 8 * 9 for d in (1, 2, 3)] == [518400, 451584, 389376]
    # groups divide and dilation keeps the count, for random settings
    g = torch.Generator().manual_seed(0)
    for _ in range(10):
        groups, k, d = (int(torch.randint(1, 5, (1,), generator=g)) for _ in range(3))
        same = nn.Conv2d(8, 8, k, padding=d * (k - 1) // 2, dilation=d, groups=groups if 8 % groups == 0 else 1)
        plain = nn.Conv2d(8, 8, k, padding=d * (k - 1) // 2)
        H_out = same(torch.zeros(1, 8, 16, 16)).shape[-1]
        assert _torch_macs(same, 16, 16) * same.groups == H_out * H_out * 8 * 8 * k * k
        if H_out == plain(torch.zeros(1, 8, 16, 16)).shape[-1]:
            assert _torch_macs(same, 16, 16) * same.groups == _torch_macs(plain, 16, 16)


def test_03_depthwise_separable():
    full3 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
    dw = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
    pw = nn.Conv2d(64, 64, 1, bias=False)
    full, d, p = (_torch_macs(layer, 56, 56) for layer in (full3, dw, pw))
    assert (full, d, p, d + p) == (115605504, 1806336, 12845056, 14651392)
    assert round(full / (d + p), 1) == 7.9 and Fraction(full, d + p) == Fraction(9 * 64, 9 + 64)
    assert full3.weight.numel() == 36864 and dw.weight.numel() + pw.weight.numel() == 4672
    torch.manual_seed(0)
    x = torch.randn(1, 64, 8, 8)
    kernel = pw.weight[:, :, 0, 0, None, None].double() * dw.weight[:, 0][None].double()
    torch.testing.assert_close(pw(dw(x)).double(), F.conv2d(x.double(), kernel, padding=1), rtol=1e-4, atol=1e-5)
    for c in range(64):
        assert torch.linalg.matrix_rank(kernel[:, c].reshape(64, 9)) == 1
        assert torch.linalg.matrix_rank(full3.weight[:, c].reshape(64, 9).detach().double()) == 9


def test_03_depthwise_with_more_filters_per_channel():
    """groups = in_channels with out_channels = m * in_channels: m filters of kH x kW per input channel."""
    assert tuple(nn.Conv2d(32, 64, 3, groups=32).weight.shape) == (64, 1, 3, 3)
    torch.manual_seed(0)
    layer = nn.Conv2d(4, 8, 3, groups=4, bias=False)
    x = torch.randn(1, 4, 6, 6)
    for c in range(4):  # output channels 2c and 2c + 1 see input channel c only
        torch.testing.assert_close(layer(x)[:, 2 * c:2 * c + 2], F.conv2d(x[:, c:c + 1], layer.weight[2 * c:2 * c + 2]))


def test_03_bias_cancels_under_batch_normalisation():
    torch.manual_seed(0)
    for _ in range(5):
        conv, norm = nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16)
        x = torch.randn(4, 3, 8, 8)
        assert torch.allclose(norm(conv(x)), norm(F.conv2d(x, conv.weight)), atol=1e-5)
