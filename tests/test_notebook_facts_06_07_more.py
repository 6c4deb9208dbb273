"""Facts added to notebooks 06 and 07 (issue 12), computed again and pinned."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import (
    bilinear_profile,
    bilinear_upsampler,
    conv_transpose2d_scatter,
    overlap_count,
)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_06_padding_mode_only_zeros(mode):
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(1, 1, kernel_size=2, padding=1, padding_mode=mode)


def test_06_bias_added_once_per_pixel_and_channels_summed():
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):
        ci, co, s, p = (int(v) for v in torch.randint(1, 4, (4,), generator=gen))
        p -= 1
        x = torch.randn(2, ci, 3, 4, generator=gen, dtype=torch.float64)
        w = torch.randn(ci, co, 3, 2, generator=gen, dtype=torch.float64)
        b = torch.randn(co, generator=gen, dtype=torch.float64)
        without = F.conv_transpose2d(x, w, stride=s, padding=min(p, 1))
        with_b = F.conv_transpose2d(x, w, b, stride=s, padding=min(p, 1))
        torch.testing.assert_close(with_b - without, b.view(1, -1, 1, 1).expand_as(without))
        for o in range(co):
            parts = [F.conv_transpose2d(x[:, c:c + 1], w[c:c + 1, o:o + 1], stride=s, padding=min(p, 1))
                     for c in range(ci)]
            torch.testing.assert_close(sum(parts)[:, 0], without[:, o])
    assert tuple(nn.ConvTranspose2d(3, 2, 3).bias.shape) == (2,)


def test_06_exercise_input2_kernel3_stride2_two_copies():
    counts = conv_transpose2d_scatter(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert tuple(counts.shape) == (5, 5)
    assert sorted(map(tuple, (counts == 2).nonzero().tolist())) == [
        (0, 2), (1, 2), (2, 0), (2, 1), (2, 3), (2, 4), (3, 2), (4, 2)]
    assert (counts == 4).nonzero().tolist() == [[2, 2]] and counts.max() == 4


@pytest.mark.parametrize("n", range(2, 10))
def test_07_tents_sum_to_one_inside_and_075_at_the_ends(n):
    total = F.conv_transpose1d(torch.ones(1, 1, n), bilinear_profile(4).view(1, 1, 4), stride=2, padding=1)[0, 0]
    assert total.tolist() == [0.75] + [1.0] * (2 * n - 2) + [0.75]


@pytest.mark.parametrize("factor", [2, 4, 8, 32])
def test_07_frame_is_one_factor_for_all_classes(factor):
    gen = torch.Generator().manual_seed(factor)
    for _ in range(10):
        h, w = (int(v) for v in torch.randint(1, 7, (2,), generator=gen))
        scores = torch.randn(1, 4, h, w, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            up = bilinear_upsampler(4, factor).double()(scores)
            frame = bilinear_upsampler(1, factor).double()(torch.ones(1, 1, h, w, dtype=torch.float64))
        plain = F.interpolate(scores, scale_factor=factor, mode="bilinear", align_corners=False)
        assert (frame > 0).all()
        torch.testing.assert_close(up / frame, plain)
        assert torch.equal(up.argmax(dim=1), plain.argmax(dim=1))


def test_07_notebook_frame_range():
    with torch.no_grad():
        frame = bilinear_upsampler(1, 2).double()(torch.ones(1, 1, 5, 6, dtype=torch.float64))
    assert (frame.min().item(), frame.max().item()) == (0.5625, 1.0)


def test_07_exercise_kernel4_stride3():
    counts = overlap_count(4, 3, input_size=3)
    assert tuple(counts.shape) == (10, 10) and counts.max() == 4
    assert (counts == 4).nonzero().tolist() == [[3, 3], [3, 6], [6, 3], [6, 6]]
