"""The synthetic shapes data set, mean IoU, the FCN models and a tiny training run."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import (
    SHAPE_CLASSES,
    ShapesData,
    bilinear_kernel,
    build_shapes_fcn,
    confusion_matrix,
    fcn32s,
    fcn_head,
    iou_per_class,
    make_shapes,
    make_shapes_data,
    mean_iou,
    measure_receptive_field,
    predict,
    receptive_field,
    segmentation_grid,
    segmentation_loss,
    soft_dice_loss,
    train_segmentation,
)
from course_utils.segmentation import colorize


@pytest.fixture(scope="module")
def small_data() -> ShapesData:
    return make_shapes_data(num_train=60, num_test=20, size=32, seed=3)


def test_deterministic_from_seed():
    a = make_shapes(5, 32, seed=7)
    b = make_shapes(5, 32, seed=7)
    c = make_shapes(5, 32, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_shapes_and_types(small_data):
    d = small_data
    assert d.train_images.shape == (60, 3, 32, 32) and d.train_images.dtype == torch.float32
    assert d.train_masks.shape == (60, 32, 32) and d.train_masks.dtype == torch.int64
    assert d.test_images.shape == (20, 3, 32, 32)
    assert 0 <= float(d.train_images.min()) and float(d.train_images.max()) <= 1
    assert d.num_classes == len(SHAPE_CLASSES) == 5
    assert "60 training + 20 held-out" in repr(d)


def test_held_out_split_is_not_training_data():
    d = make_shapes_data(num_train=50, num_test=50, size=32, seed=0)
    for image in d.test_images:
        assert not any(torch.equal(image, t) for t in d.train_images)
    again = make_shapes_data(num_train=50, num_test=50, size=32, seed=0)
    assert torch.equal(d.test_masks, again.test_masks)


def test_class_balance(small_data):
    """Every class appears; each shape class is a few per cent of the pixels, none dominates."""
    data = make_shapes_data(num_train=400, num_test=10, size=32, seed=0)
    fraction = torch.bincount(data.train_masks.flatten(), minlength=5).double() / data.train_masks.numel()
    assert 0.5 < fraction[0] < 0.95
    shapes = fraction[1:]
    assert (shapes > 0.02).all(), fraction
    assert shapes.max() / shapes.min() < 2.0, fraction  # the four shapes are roughly balanced
    per_image = [(m > 0).any() for m in data.train_masks]
    assert all(per_image)  # every image has at least one shape


def test_masks_match_images(small_data):
    """Inside a shape the colour is nearly uniform; the mask's edge is where the image changes."""
    d = small_data
    for image, mask in zip(d.train_images[:20], d.train_masks[:20], strict=True):
        for c in mask.unique().tolist():
            if c == 0:
                continue
            region = mask == c
            # erode by one pixel so that pixels covered by a later shape's edge do not count
            inner = region.clone()
            inner[1:] &= region[:-1]
            inner[:-1] &= region[1:]
            inner[:, 1:] &= region[:, :-1]
            inner[:, :-1] &= region[:, 1:]
            if inner.sum() < 4:
                continue
            pixels = image[:, inner]
            assert float(pixels.std(dim=1).max()) < 0.08  # one colour plus light shading
        background = image[:, mask == 0]
        assert float(background.std(dim=1).mean()) > 0.02  # textured, not flat


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_images must be positive, got 0"):
        make_shapes(0)
    with pytest.raises(ValueError, match="size must be >= 16, got 8"):
        make_shapes(2, 8)
    with pytest.raises(ValueError, match="max_shapes must be at most 4"):
        make_shapes(2, 32, max_shapes=5)
    with pytest.raises(TypeError, match="seed must be a whole number"):
        make_shapes_data(seed=1.5)


def test_mean_iou_hand_computed():
    truth, guess = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 1, 1])
    assert mean_iou(guess, truth, 2) == pytest.approx(7 / 12)
    assert iou_per_class(guess, truth, 2).tolist() == pytest.approx([0.5, 2 / 3])
    truth = torch.tensor([0, 0, 0, 1, 1, 2])
    guess = torch.tensor([0, 0, 1, 1, 2, 2])
    assert mean_iou(guess, truth, 3) == pytest.approx(0.5)
    assert confusion_matrix(guess, truth, 3).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_mean_iou_skips_absent_classes_and_is_perfect_on_truth():
    truth = torch.tensor([[0, 1], [1, 0]])
    assert mean_iou(truth, truth, 5) == 1.0
    assert torch.isnan(iou_per_class(truth, truth, 5)[2:]).all()


@settings(max_examples=50)
@given(n=st.integers(1, 60), k=st.integers(1, 5), seed=st.integers(0, 1000))
def test_mean_iou_against_a_direct_count(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    truth, guess = torch.randint(0, k, (n,), generator=g), torch.randint(0, k, (n,), generator=g)
    ious = []
    for c in range(k):
        inter = ((truth == c) & (guess == c)).sum().item()
        union = ((truth == c) | (guess == c)).sum().item()
        if union:
            ious.append(inter / union)
    assert mean_iou(guess, truth, k) == pytest.approx(sum(ious) / len(ious))


def test_mean_iou_bad_inputs():
    with pytest.raises(TypeError, match="prediction must hold integer class indices"):
        mean_iou(torch.rand(2, 3), torch.zeros(2, 3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"prediction \(2, 3\) and target \(3, 2\) must have the same shape"):
        mean_iou(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"target holds class 4; classes must be 0 to 2"):
        mean_iou(torch.zeros(3, dtype=torch.long), torch.tensor([0, 1, 4]), 3)
    with pytest.raises(TypeError, match="target must be a tensor"):
        mean_iou(torch.zeros(3, dtype=torch.long), [0, 1, 2], 3)


def test_fcn_head_exactly_as_the_seed():
    final_conv, transpose_conv = fcn_head(512, 21)
    assert (final_conv.in_channels, final_conv.out_channels, final_conv.kernel_size) == (512, 21, (1, 1))
    assert transpose_conv.kernel_size == (64, 64) and transpose_conv.stride == (32, 32)
    assert transpose_conv.padding == (16, 16)
    assert transpose_conv.weight.shape == (21, 21, 64, 64)
    with torch.no_grad():
        assert float(transpose_conv.weight[0, 1].abs().sum()) == 0
        assert float(transpose_conv.bias.abs().sum()) == 0


def test_fcn32s_walkthrough_shapes():
    net = fcn32s(21).eval()
    x = torch.rand(size=(1, 3, 320, 480))
    shapes = []
    with torch.no_grad():
        for layer in net.children():
            x = layer(x)
            shapes.append(tuple(x.shape))
    assert shapes[0] == (1, 32, 160, 240)
    assert shapes[5] == (1, 512, 10, 15)
    assert shapes[-2:] == [(1, 21, 10, 15), (1, 21, 320, 480)]


def test_shapes_fcn_shapes_init_and_errors():
    model = build_shapes_fcn(5, "bilinear", seed=0)
    assert model(torch.rand(2, 3, 32, 48)).shape == (2, 5, 32, 48)
    assert model(torch.rand(1, 3, 40, 24)).shape == (1, 5, 40, 24)
    random_model = build_shapes_fcn(5, "random", seed=0)
    # same seed: every layer but the upsampling layers is identical
    for (name, p), (_, q) in zip(model.named_parameters(), random_model.named_parameters(), strict=True):
        assert torch.equal(p, q) == (not name.startswith("up")), name
    for layer in (model.up8, model.up4, model.up2):
        assert torch.equal(layer.weight.detach(), bilinear_kernel(5, 5, 4))
        assert (layer.kernel_size, layer.stride, layer.padding) == ((4, 4), (2, 2), (1, 1))
    assert not torch.equal(random_model.up2.weight.detach(), bilinear_kernel(5, 5, 4))
    with pytest.raises(ValueError, match="init must be one of 'bilinear', 'random'; got 'zeros'"):
        build_shapes_fcn(5, "zeros")
    with pytest.raises(ValueError, match="H and W divisible by 8"):
        model(torch.rand(1, 3, 36, 32))
    with pytest.raises(ValueError, match="widths must have 4 entries"):
        build_shapes_fcn(5, widths=(8, 8, 16))


def test_shapes_fcn_untrained_output_is_the_coarse_prediction_upsampled():
    """The skip score layers start at zero, so the output is score8 passed through the three x2 layers."""
    model = build_shapes_fcn(5, "bilinear", seed=4).eval()
    x = torch.rand(2, 3, 48, 48)
    with torch.no_grad():
        coarse = model.score8(model.encoder()(x))
        assert coarse.shape == (2, 5, 6, 6)
        expected = model.up2(model.up4(model.up8(coarse)))
        assert torch.allclose(model(x), expected, atol=1e-6)
    with torch.no_grad():
        for layer in (model.score4, model.score2, model.score1):
            assert float(layer.weight.abs().sum()) == 0 and float(layer.bias.abs().sum()) == 0
        assert float(model.score8.weight.abs().sum()) > 0


def test_shapes_fcn_receptive_field_covers_the_image():
    model = build_shapes_fcn(5, seed=0).eval()
    encoder = model.encoder()
    assert receptive_field(encoder) == (57, 57)
    # by autograd through the same stack with all-ones kernels (notebook 04's coverage map)
    assert measure_receptive_field(encoder) == (57, 57)


def test_tiny_training_run_is_deterministic(small_data):
    def run():
        torch.manual_seed(123)  # training must not depend on the global seed
        model = build_shapes_fcn(5, seed=1, widths=(8, 8, 16, 16))
        result = train_segmentation(model, small_data, steps=4, batch_size=4, seed=2, eval_every=2)
        return model, result

    m1, r1 = run()
    m2, r2 = run()
    assert r1.losses == r2.losses and len(r1.losses) == 4
    assert r1.eval_steps == [2, 4] and r1.eval_miou == r2.eval_miou
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters(), strict=True))
    assert not m1.training
    p = predict(m1, small_data.test_images)
    assert p.shape == (20, 32, 32) and p.dtype == torch.int64


def test_training_bad_arguments(small_data):
    model = build_shapes_fcn(5, widths=(8, 8, 16, 16))
    with pytest.raises(ValueError, match="steps must be positive, got 0"):
        train_segmentation(model, small_data, steps=0)
    with pytest.raises(ValueError, match="lr must be positive"):
        train_segmentation(model, small_data, steps=1, lr=0.0)
    with pytest.raises(TypeError, match="data must be a ShapesData"):
        train_segmentation(model, (1, 2), steps=1)
    with pytest.raises(ValueError, match="dice_weight must be 0 or more"):
        train_segmentation(model, small_data, steps=1, dice_weight=-1.0)
    assert isinstance(model, nn.Module)


def _dice_by_loops(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> float:
    p = logits.double().softmax(dim=1)
    scores = []
    for c in range(logits.shape[1]):
        inter = total = 0.0
        for n in range(logits.shape[0]):
            for i in range(logits.shape[2]):
                for j in range(logits.shape[3]):
                    g = 1.0 if int(target[n, i, j]) == c else 0.0
                    inter += float(p[n, c, i, j]) * g
                    total += float(p[n, c, i, j]) + g
        scores.append((2 * inter + smooth) / (total + smooth))
    return 1 - sum(scores) / len(scores)


def test_soft_dice_loss_hand_computed_and_against_loops():
    # two pixels, two classes, equal logits: p = 0.5 everywhere; truth [0, 1]
    logits = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[0, 1]]])
    # class 0: (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3; class 1 the same; loss 1 - 2/3
    assert soft_dice_loss(logits, target).item() == pytest.approx(1 / 3)
    # confident and right: near 0; confident and wrong: near 1 - (smooth / (2 + smooth)) averaged
    sure = torch.tensor([[[[20.0, -20.0]], [[-20.0, 20.0]]]])
    assert soft_dice_loss(sure, target).item() == pytest.approx(0, abs=1e-6)
    assert soft_dice_loss(-sure, target).item() == pytest.approx(1 - 1 / 3, abs=1e-6)
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(2, 4, 3, 5, generator=g)
    target = torch.randint(0, 4, (2, 3, 5), generator=g)
    assert soft_dice_loss(logits, target).item() == pytest.approx(_dice_by_loops(logits, target), rel=1e-5)
    with pytest.raises(ValueError, match="logits must be"):
        soft_dice_loss(logits, target[0])


def test_dice_of_hard_predictions_is_2iou_over_1_plus_iou():
    """Notebook 08: for hard 0/1 predictions, Dice = 2 IoU / (1 + IoU), class by class."""
    g = torch.Generator().manual_seed(7)
    truth = torch.randint(0, 3, (2, 6, 6), generator=g)
    guess = torch.where(torch.rand(2, 6, 6, generator=g) < 0.7, truth, torch.randint(0, 3, (2, 6, 6), generator=g))
    logits = 40.0 * torch.nn.functional.one_hot(guess, 3).permute(0, 3, 1, 2).double()
    iou = iou_per_class(guess, truth, 3)
    assert not torch.isnan(iou).any()
    expected = 1 - float((2 * iou / (1 + iou)).mean())
    assert soft_dice_loss(logits, truth, smooth=0.0).item() == pytest.approx(expected, abs=1e-9)


def test_segmentation_loss_is_cross_entropy_plus_dice():
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(2, 5, 8, 8, generator=g, requires_grad=True)
    target = torch.randint(0, 5, (2, 8, 8), generator=g)
    ce = torch.nn.functional.cross_entropy(logits, target)
    both = segmentation_loss(logits, target, dice_weight=0.5)
    assert both.item() == pytest.approx(ce.item() + 0.5 * soft_dice_loss(logits, target).item(), rel=1e-6)
    assert segmentation_loss(logits, target, dice_weight=0).item() == pytest.approx(ce.item())
    both.backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0


def test_segmentation_grid_and_colorize(small_data):
    d = small_data
    fig = segmentation_grid(d.test_images[:3], d.test_masks[:3], d.test_masks[:3])
    assert len(fig.axes) == 9
    assert colorize(d.test_masks[0]).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="predictions"):
        segmentation_grid(d.test_images[:3], d.test_masks[:3], d.test_masks[:2])
