"""Every number stated in the prose of notebooks 02, 03 and 04, computed again independently.

Where possible the numbers are recomputed with PyTorch alone (not with course_utils), so
a helper and the prose cannot drift together.
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import (
    conv2d_explorer,
    conv2d_step_explorer,
    coverage_map,
    load_image,
    receptive_field,
    set_seed,
    to_tensor,
)


def out_size(layer: nn.Module, *shape: int) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(layer(torch.zeros(*shape)).shape)


# --- 02_convolution_dimensions -------------------------------------------------------------

def test_02_dimensions_and_weight_shapes():
    assert out_size(nn.Conv1d(2, 4, 3), 1, 2, 64) == (1, 4, 62)
    assert out_size(nn.Conv2d(3, 4, 3), 1, 3, 64, 64) == (1, 4, 62, 62)
    assert out_size(nn.Conv3d(3, 4, 3), 1, 3, 8, 64, 64) == (1, 4, 6, 62, 62)
    assert tuple(nn.Conv2d(3, 4, 3).weight.shape[1:]) == (3, 3, 3)  # one output channel: 3D block
    assert nn.Conv2d(3, 4, 3).weight[0].numel() == 27                # "adds up all 27 products"
    assert tuple(nn.Conv3d(3, 4, 3).weight.shape) == (4, 3, 3, 3, 3)  # 5 axes
    conv = nn.Conv2d(3, 2, 3)
    assert tuple(conv.weight.shape) == (2, 3, 3, 3) and tuple(conv.bias.shape) == (2,)
    assert out_size(conv, 1, 3, 5, 6) == (1, 2, 3, 4)


def test_02_no_flip_unless_symmetric():
    torch.manual_seed(0)
    x, w = torch.randn(1, 3, 5, 6), torch.randn(1, 3, 3, 3)
    assert not torch.allclose(F.conv2d(x, w), F.conv2d(x, w.flip(-2, -1)))
    sym = (w + w.flip(-2, -1)) / 2
    torch.testing.assert_close(F.conv2d(x, sym), F.conv2d(x, sym.flip(-2, -1)))


def test_02_photo_experiment():
    photo = to_tensor(load_image("photo"))
    assert tuple(photo.shape) == (3, 512, 512)
    assert 512 - 3 + 1 == 510
    lows, highs, clipped, sums = [], [], [], []
    for seed in (1, 2, 3):
        set_seed(seed)
        layer = nn.Conv2d(3, 1, 3)
        nn.init.xavier_normal_(layer.weight)
        assert layer.weight.numel() == 27 and layer.bias.numel() == 1
        sums.append(round(layer.weight.sum().item(), 2))
        with torch.no_grad():
            fm = layer(photo[None])[0]
        assert tuple(fm.shape) == (1, 510, 510)
        lows.append(fm.min().item())
        highs.append(fm.max().item())
        clipped.append(((fm < 0) | (fm > 1)).float().mean().item())
    assert round(min(lows), 1) == -0.8 and round(max(highs), 1) == 1.4   # "from about -0.8 to 1.4"
    assert round(100 * min(clipped)) == 27 and round(100 * max(clipped)) == 44  # "between 27% and 44%"
    assert min(lows) < 0 < 1 < max(highs)
    assert sums == [-0.17, 0.77, -0.09]  # "seed 2 sums to +0.77, seeds 1 and 3 to -0.17 and -0.09"


def test_02_one_by_one_convolution():
    layer = nn.Conv2d(512, 21, kernel_size=1)
    assert out_size(layer, 1, 512, 10, 15) == (1, 21, 10, 15)
    assert 21 * 512 == 10752 == layer.weight.numel()
    assert sum(p.numel() for p in layer.parameters()) == 10773
    assert out_size(nn.Conv2d(512, 21, kernel_size=1, stride=2), 1, 512, 10, 15) == (1, 21, 5, 8)  # every 2nd pixel


# 02: sliding axes from the weight, kernel naming, figure titles -----------------------------

def test_02_sliding_axes_are_counted_on_the_weight():
    # "the weight has an axis for the output channels, one for the input channels, and one per
    # sliding axis, so the count is weight.dim() - 2"; an unbatched input has one axis fewer.
    for d, layer in ((1, nn.Conv1d(2, 4, 3)), (2, nn.Conv2d(3, 4, 3)), (3, nn.Conv3d(3, 4, 3)),
                     (2, nn.Conv2d(4, 6, 3, groups=2)), (2, nn.ConvTranspose2d(3, 4, 3))):
        assert layer.weight.dim() - 2 == d
    conv = nn.Conv2d(3, 4, 3)
    unbatched = torch.zeros(3, 8, 8)
    assert out_size(conv, 3, 8, 8) == (4, 6, 6) and unbatched.dim() - 2 == 1 != conv.weight.dim() - 2


def test_02_weight_holds_one_3d_kernel_per_output_channel():
    # "It holds out_channels kernels: weight[o] is the 3D kernel (in_channels / groups, kH, kW)"
    for cin, cout, k, g in ((3, 2, 3, 1), (3, 4, 3, 1), (4, 6, (3, 5), 2), (8, 8, 1, 8)):
        layer = nn.Conv2d(cin, cout, k, groups=g)
        kh, kw = layer.kernel_size
        assert len(layer.weight) == cout
        assert all(tuple(kernel.shape) == (cin // g, kh, kw) for kernel in layer.weight)


def test_02_multichannel_titles_say_cross_correlation():
    # The notebook defines * as the flipped convolution; the figure's results are cross-correlations (⋆).
    import xml.etree.ElementTree as ET

    from course_utils import multichannel_figure

    svg = ET.fromstring(multichannel_figure(torch.ones(3, 4, 4), torch.ones(3, 3, 3)).data)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("class") in ("t", "sym")]
    assert [t for t in texts if "⋆ slice" in t] == [f"channel {n} ⋆ slice {c}" for c, n in enumerate("RGB")]
    assert not any("*" in t for t in texts)


# --- 03_conv2d_parameters ------------------------------------------------------------------

def test_03_formula_examples_and_floor():
    examples = {(5, 3, 1, 0, 1): 3, (5, 3, 1, 1, 1): 5, (7, 3, 2, 1, 1): 4, (8, 3, 2, 1, 1): 4,
                (10, 3, 1, 2, 2): 10, (512, 3, 1, 0, 1): 510, (224, 7, 2, 3, 1): 112, (6, 4, 2, 1, 1): 3}
    for (h, k, s, p, d), expected in examples.items():
        assert out_size(nn.Conv2d(1, 1, k, s, p, d), 1, 1, h, h)[-1] == expected
    layer = nn.Conv2d(3, 8, kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))
    assert out_size(layer, 2, 3, 5, 6) == (2, 8, 5, 3)


def test_03_same_padding_with_even_kernel():
    torch.manual_seed(1)
    x, w = torch.randn(1, 1, 5, 5), torch.randn(1, 1, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        same = F.conv2d(x, w, padding="same")
    assert 4 - 1 == 3  # "3 pixels of padding per axis": 1 before, 2 after
    torch.testing.assert_close(same, F.conv2d(F.pad(x, (1, 2, 1, 2)), w))
    assert tuple(same.shape) == (1, 1, 5, 5)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")


def test_03_explorer_default_and_things_to_try():
    explorer = conv2d_explorer(height=5, width=5, kernel=3, stride=2, padding=1)
    assert "(1, 8, 3, 3)" in explorer.caption
    # "output[0,0] = 16": the kernel of ones sums the taps 1 + 2 + 6 + 7 (the rest is padding)
    output = explorer.scene["grids"][2]["values"]
    assert output == [[16, 33, 28], [69, 117, 87], [76, 123, 88]]
    # "stride 2 on a 6-pixel-wide input: the last padding column is never read"
    padded, covered = 6 + 2, (3 - 1) * 2 + 3
    assert padded - covered == 1
    explorer.set(width=6)
    assert "the last 1 padding column never read" in explorer.caption
    # "stride 1 with padding 1: the size is kept"
    assert out_size(nn.Conv2d(1, 1, 3, 1, 1), 1, 1, 5, 5)[-1] == 5


STEP_PREDICTION = -5  # notebook 03: "predict output[0,1]"; the answer in the text below the panel


def test_03_step_explorer_prediction():
    """The stepped panel's default: output[0,1] is the prompt's answer, F.conv2d of the panel's numbers."""
    explorer = conv2d_step_explorer()
    grids = {g["name"]: torch.tensor(g["values"]) for g in explorer.scene["grids"] if "." in g["name"]
             and not g["name"].startswith(("products", "sum"))}
    x, w = (grids["input.0"], grids["input.1"]), (grids["kernel.0"], grids["kernel.1"])
    out = F.conv2d(torch.stack(x)[None], torch.stack(w)[None])[0, 0]  # the inputs are drawn padded already
    assert out.tolist() == next(g for g in explorer.scene["grids"] if g["name"] == "output")["values"]
    assert explorer.scene["steps"][1]["target"] == "output/0/1" and len(explorer.scene["steps"]) == 16  # "step 2 of 16"
    assert out[0, 1].item() == STEP_PREDICTION
    # the folded answer: channel 0's products add up to -2, channel 1's to -3 (the sums the panel shows)
    sums = [explorer.scene["steps"][1]["patch"][f"sum.{c}"]["values"][0][0] for c in range(2)]
    assert sums == [-2.0, -3.0] and sum(sums) == STEP_PREDICTION
    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "03_conv2d_parameters.ipynb", as_version=4)
    answer = next(c.source for c in nb.cells if c.source.startswith("<details><summary><b>The answer</b>"))
    assert "add up to -2 and channel 1's to -3, so `output[0,1] = -2 + (-3) = -5`" in " ".join(answer.split())
    assert not any("stepper.scene" in c.source for c in nb.cells)  # the answer is not printed below the question


def test_03_groups_counts():
    assert [nn.Conv2d(8, 8, 3, groups=g, bias=False).weight.numel() for g in (1, 2, 8)] == [576, 288, 72]
    alexnet = nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2)
    assert tuple(alexnet.weight.shape) == (256, 48, 5, 5)
    assert alexnet.weight.numel() == 307_200
    assert nn.Conv2d(96, 256, kernel_size=5, padding=2).weight.numel() == 614_400
    depthwise = nn.Conv2d(32, 32, 3, padding=1, groups=32).weight.numel()
    pointwise = nn.Conv2d(32, 64, 1).weight.numel()
    ordinary = nn.Conv2d(32, 64, 3, padding=1).weight.numel()
    assert (depthwise, pointwise, depthwise + pointwise, ordinary) == (288, 2048, 2336, 18432)
    assert round(ordinary / (depthwise + pointwise)) == 8  # "about 8 times fewer"
    assert out_size(nn.Conv2d(96, 256, 5, padding=2, groups=2), 1, 96, 27, 27) == (1, 256, 27, 27)
    assert tuple(nn.Conv2d(32, 64, 3, groups=32).weight.shape) == (64, 1, 3, 3)


def test_03_padding_modes_on_one_to_nine():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    assert F.pad(x, (1, 1, 1, 1), mode="reflect")[0, 0, 0].tolist() == [5, 4, 5, 6, 5]
    assert F.pad(x, (1, 1, 1, 1), mode="replicate")[0, 0, 0].tolist() == [1, 1, 2, 3, 3]
    assert F.pad(x, (1, 1, 1, 1), mode="circular")[0, 0, 0].tolist() == [9, 7, 8, 9, 7]


def test_03_two_layers_built_alike():
    torch.manual_seed(0)
    a, b = nn.Conv2d(3, 2, 3), nn.Conv2d(3, 2, 3)
    x = torch.rand(1, 3, 8, 8)
    assert a(x).shape == b(x).shape and not torch.equal(a(x), b(x))
    b.load_state_dict(a.state_dict())
    assert torch.equal(a(x), b(x))


# --- 04_dilated_convolution ----------------------------------------------------------------

def test_04_span_and_weights():
    for d, span in zip((1, 2, 3, 4), (3, 5, 7, 9), strict=True):
        assert nn.Conv2d(1, 1, 3, dilation=d).weight.numel() == 9
        assert out_size(nn.Conv2d(1, 1, 3, dilation=d), 1, 1, span, span)[-1] == 1  # spans exactly
    assert out_size(nn.Conv2d(1, 1, 3, dilation=2), 1, 1, 9, 9)[-1] == 9 - 5 + 1 == 5


def test_04_padding_that_keeps_the_size():
    assert out_size(nn.Conv2d(1, 16, 3, padding=2, dilation=(2, 2)), 1, 1, 10, 10) == (1, 16, 10, 10)
    for k, d in itertools.product((3, 5, 7), (1, 2, 3)):
        assert out_size(nn.Conv2d(1, 1, k, padding=d * (k - 1) // 2, dilation=d), 1, 1, 10, 10)[-1] == 10
    # "a whole number when k is odd or d even": exactly then, and then it keeps the size
    for k, d in itertools.product(range(1, 10), range(1, 7)):
        whole = d * (k - 1) % 2 == 0
        assert whole == (k % 2 == 1 or d % 2 == 0), (k, d)
        kept = out_size(nn.Conv2d(1, 1, k, padding=d * (k - 1) // 2, dilation=d), 1, 1, 40, 40)[-1] == 40
        assert kept == whole, (k, d)
    assert 2 * (4 - 1) // 2 == 3   # k = 4, d = 2 in the notebook


def walk_field(specs):
    """Independent receptive field: walk back from one output unit to the input."""
    r = 1
    for k, s, d in reversed(specs):
        r = (r - 1) * s + d * (k - 1) + 1
    return r


def test_04_receptive_fields():
    assert walk_field([(3, 1, 1)] * 3) == 7
    assert walk_field([(3, 1, 2)] * 3) == 13
    assert walk_field([(3, 1, 1), (3, 1, 2), (3, 1, 5)]) == 17
    assert walk_field([(3, 1, 1)] * 8) == 17
    assert min(n for n in range(1, 20) if walk_field([(3, 1, 1)] * n) >= 17) == 8   # eight layers
    assert 8 * 9 == 72 and 3 * 9 == 27 and 17 * 17 == 289
    assert walk_field([(17, 1, 1)]) == 17  # one 17x17 kernel
    vgg = [(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (2, 2, 1)]
    assert walk_field(vgg) == 16
    assert walk_field([(3, 2, 1), (3, 1, 2), (3, 1, 1)]) == 15
    assert walk_field([(7, 2, 1), (3, 2, 1), (3, 1, 1)]) == 19
    assert (walk_field([(3, 1, 1), (3, 1, 1)]), walk_field([(5, 1, 2), (3, 1, 1)])) == (5, 11)
    # the notebook shows every field as (height, width): an int from receptive_field becomes a pair
    for layers in ([(3, 2, 1), (3, 1, 2), (3, 1, 1)], [(7, 2, 1), (3, 2, 1), (3, 1, 1)]):
        assert isinstance(receptive_field(layers), int)
    assert receptive_field([((3, 5), 1, (1, 2)), (3, 1, 1)]) == (5, 11)


def test_04_autograd_measurement_in_the_notebook():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, dilation=1), nn.Conv2d(4, 4, 3, dilation=2),
                        nn.Conv2d(4, 1, 3, dilation=5))
    x = torch.randn(1, 1, 41, 41, requires_grad=True)
    y = net(x)
    assert tuple(y.shape) == (1, 1, 25, 25) and 41 - 16 == 25 and 25 // 2 == 12
    y[0, 0, 12, 12].backward()
    hit = x.grad[0, 0] != 0
    rows, cols = hit.any(1).nonzero().flatten(), hit.any(0).nonzero().flatten()
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (17, 17)


def reached_offsets(kernel, dilations):
    return {sum(t * d for t, d in zip(taps, dilations, strict=True))
            for taps in itertools.product(range(kernel), repeat=len(dilations))}


def test_04_gridding_numbers():
    gridded = reached_offsets(3, (2, 2, 2))
    assert len(gridded) == 7 and max(gridded) + 1 == 13 and 7 * 7 == 49 and 13 * 13 == 169
    hybrid = reached_offsets(3, (1, 2, 5))
    assert len(hybrid) == 17 == max(hybrid) + 1 and 17 * 17 == 289
    assert int((coverage_map([(3, 1, 2)] * 3) > 0).sum()) == 49
    # one scale: both stacks have 9 x 9 x 9 = 729 paths, on 49 pixels or spread over 289
    hybrid_map = coverage_map([(3, 1, 1), (3, 1, 2), (3, 1, 5)])
    assert coverage_map([(3, 1, 2)] * 3).sum() == hybrid_map.sum() == 9 * 9 * 9 == 729
    # "counts 1 to 4" for (1, 2, 5), up to 49 for (2, 2, 2)
    assert (hybrid_map[hybrid_map > 0].min(), hybrid_map.max()) == (1, 4)
    assert coverage_map([(3, 1, 2)] * 3).max() == 49
    assert int((hybrid_map > 0).sum()) == 289
    # things to try
    assert len(reached_offsets(3, (1, 2, 3))) == max(reached_offsets(3, (1, 2, 3))) + 1  # no holes
    assert reached_offsets(3, (3, 3, 3)) == set(range(0, 19, 3))                    # every third
    for k in (4, 5):
        assert all(o % 2 == 0 for o in reached_offsets(k, (2, 2, 2)))                 # even offsets
    assert len(reached_offsets(3, (1, 1, 2))) == max(reached_offsets(3, (1, 1, 2))) + 1
    assert receptive_field([(3, 1, 2)] * 3) == 13


def fills_its_field(k, dilations):
    """The notebook's rule: sorted, the smallest dilation is 1 and each is at most
    1 + (k - 1) times the sum of the smaller ones."""
    smaller = 0
    for d in sorted(dilations):
        if d > 1 + (k - 1) * smaller:
            return False
        smaller += d
    return True


def has_holes(kernel, dilations):
    offsets = reached_offsets(kernel, dilations)
    return len(offsets) < max(offsets) + 1


def test_04_no_common_factor_is_not_enough():
    triples = list(itertools.product(range(1, 6), repeat=3))
    coprime = [ds for ds in triples if math.gcd(*ds) == 1]
    assert len(coprime) == 115
    assert sum(has_holes(3, ds) for ds in coprime) == 66
    assert all(has_holes(3, ds) for ds in [(1, 4, 5), (1, 5, 5), (2, 3, 5)])
    assert all(has_holes(k, ds) for k in range(2, 6) for ds in triples if math.gcd(*ds) > 1)  # needed
    assert 2 <= 1 + 2 * 1 and 5 <= 1 + 2 * 3 and 4 > 1 + 2 * 1 and 2 <= 1 + 2 * 2
    assert not has_holes(3, (1, 2, 5)) and not has_holes(3, (1, 1, 2))


def test_04_rule_for_no_holes_over_the_panel_and_beyond():
    # every setting of the panel: k from 2 to 5, three dilations from 1 to 5
    panel = [(k, ds) for k in range(2, 6) for ds in itertools.product(range(1, 6), repeat=3)]
    assert len(panel) == 500
    assert [ds for k, ds in panel if fills_its_field(k, ds) == has_holes(k, ds)] == []
    # "k >= 2": a 1 x 1 kernel's field is one pixel, without holes, where the rule would say holes
    assert not has_holes(1, (2, 2, 2)) and not fills_its_field(1, (2, 2, 2))
    # and on stacks of one to four layers, k from 2 to 6, dilations from 1 to 7 (offsets built layer by layer)
    for k, n in itertools.product(range(2, 7), range(1, 5)):
        for ds in itertools.product(range(1, 8), repeat=n):
            offsets = {0}
            for d in ds:
                offsets = {o + t * d for o in offsets for t in range(k)}
            assert fills_its_field(k, ds) == (len(offsets) == max(offsets) + 1), (k, ds)


def test_04_exercise_four():
    offsets = reached_offsets(3, (1, 4, 5))
    assert max(offsets) + 1 == 21 and sorted(set(range(21)) - offsets) == [3, 17]
    assert 21 * 21 - 19 * 19 == 80 == int((coverage_map([(3, 1, 1), (3, 1, 4), (3, 1, 5)]) == 0).sum())
