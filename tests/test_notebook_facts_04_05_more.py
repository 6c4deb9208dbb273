"""The numbers of the additions to notebooks 04 (segmentation and dilation, the photo, a prediction with the
dilation panel) and 05 (a prediction with the conv-matrix panel), computed again with PyTorch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course_utils import conv2d_matrix, coverage_map, load_image, receptive_field, to_tensor


def _field(kernel_sizes, strides, dilations) -> int:
    r, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations, strict=True):
        r += d * (k - 1) * jump
        jump *= s
    return r


def test_04_stride_shrinks_the_map_dilation_keeps_it():
    x = torch.zeros(1, 1, 64, 64)
    strided = [nn.Conv2d(1, 1, 3, stride=2, padding=1) for _ in range(3)]
    dilated = [nn.Conv2d(1, 1, 3, padding=d, dilation=d) for d in (1, 2, 4)]
    for layers, sizes in ((strided, [32, 16, 8]), (dilated, [64, 64, 64])):
        h = x
        for layer, size in zip(layers, sizes, strict=True):
            with torch.no_grad():
                h = layer(h)
            assert h.shape[-2:] == (size, size)
    for i, field in enumerate([3, 7, 15], start=1):
        assert _field([3] * i, [2] * i, [1] * i) == field == receptive_field(strided[:i])[0]
        assert _field([3] * i, [1] * i, [1, 2, 4][:i]) == field == receptive_field(dilated[:i])[0]


def test_04_yu_koltun_context_module():
    context = [1, 1, 2, 4, 8, 16, 1]
    fields = [_field([3] * i, [1] * i, context[:i]) for i in range(1, 8)]
    assert fields == [3, 5, 9, 17, 33, 65, 67]
    assert fields == [receptive_field([(3, 1, d) for d in context[:i]]) for i in range(1, 8)]
    assert all(fields[i] == 2 * fields[i - 1] - 1 for i in range(2, 6))  # layers 3 to 6
    assert _field([3] * 7 + [1], [1] * 8, context + [1]) == 67  # the 1 x 1 layer adds nothing


def test_04_photo_maps_keep_the_size():
    grey = to_tensor(load_image("photo")).mean(dim=0)[None, None]
    assert grey.shape == (1, 1, 512, 512)
    edge = torch.tensor([[-1., -1., -1.], [-1., 8., -1.], [-1., -1., -1.]])[None, None]
    for d in (1, 4):
        assert F.conv2d(grey, edge, padding=d, dilation=d).shape == (1, 1, 512, 512)
    # a sharp vertical step edge lights a band 2d columns wide: wider with dilation 4
    step = torch.zeros(1, 1, 32, 32)
    step[..., 16:] = 1
    for d in (1, 4):
        out = F.conv2d(step, edge, dilation=d)[0, 0]
        assert int((out.abs() > 0).any(dim=0).sum()) == 2 * d


def test_04_prediction_kernel_2_dilations_1_2_4():
    assert _field([2] * 3, [1] * 3, [1, 2, 4]) == 8 == receptive_field([(2, 1, d) for d in (1, 2, 4)])
    paths = coverage_map([(2, 1, d) for d in (1, 2, 4)])
    assert paths.shape == (8, 8)
    assert bool((paths == 1).all())  # no holes, one path per pixel: each offset 0..7 in base 2 once


def test_05_prediction_columns_of_ct():
    w = torch.arange(1., 10.).reshape(3, 3)
    C = conv2d_matrix(w, 4)
    assert C.shape == (4, 16)
    lit = [set((C.T[:, j] != 0).nonzero().flatten().tolist()) for j in range(4)]
    assert all(len(cells) == 9 for cells in lit)
    assert set.intersection(*lit) == {5, 6, 9, 10}  # the centre: inside every 3 x 3 window of a 4 x 4 input
    counts = F.conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3))[0, 0]
    assert counts.tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    for corner in (0, 3, 12, 15):
        assert sum(corner in cells for cells in lit) == 1
