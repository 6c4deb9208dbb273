"""The synthetic shapes data set, mean IoU, the FCN models and a tiny training run."""

from __future__ import annotations

import contextlib
import hashlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import (
    SHAPE_CLASSES,
    ShapesData,
    ShapesFCN,
    TrainingMonitor,
    TrainResult,
    bilinear_kernel,
    build_shapes_fcn,
    confusion_matrix,
    fcn,
    fcn32s,
    fcn_head,
    iou_per_class,
    make_shapes,
    make_shapes_data,
    mean_iou,
    measure_receptive_field,
    predict,
    receptive_field,
    resnet_like_backbone,
    segmentation,
    segmentation_grid,
    segmentation_loss,
    soft_dice_loss,
    steps_to_reach,
    train_segmentation,
)
from course_utils._checks import MAX_ELEMENTS
from course_utils.segmentation import CLASS_COLORS, colorize


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


def _fields(d: ShapesData, **changes: object) -> dict[str, object]:
    """The constructor arguments of ``d``, with ``changes``."""
    return {"train_images": d.train_images, "train_masks": d.train_masks,
            "test_images": d.test_images, "test_masks": d.test_masks, "classes": d.classes,
            **changes}


def test_shapes_data_keeps_valid_tensors_as_they_are(small_data):
    names = ("bg", "a", "b", "c", "d", "e", "f")  # more classes than the shapes: fine for data
    d = ShapesData(**_fields(small_data, classes=names))
    assert d.train_images is small_data.train_images and d.test_masks is small_data.test_masks
    assert d.num_classes == len(names)


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda d: {"train_images": d.train_images.double()}, TypeError,
     r"train_images must hold float32 numbers, got dtype torch\.float64; convert with "
     r"train_images\.float\(\)"),
    (lambda d: {"test_images": d.test_images.half()}, TypeError,
     r"test_images must hold float32 numbers, got dtype torch\.float16"),
    (lambda d: {"train_images": (d.train_images * 255).long()}, TypeError,
     r"train_images must hold floats in \[0, 1\], got dtype torch\.int64; for 0-255 values use "
     r"\.float\(\) / 255 first"),
    (lambda d: {"train_images": d.train_images.clone().requires_grad_()}, ValueError,
     r"train_images requires grad; .*pass train_images\.detach\(\)"),
    (lambda d: {"train_images": d.train_images.numpy()}, TypeError,
     r"train_images must be a tensor .*got ndarray; convert with torch\.as_tensor\(train_images\)"),
    (lambda d: {"test_images": d.test_images.tolist()}, TypeError,
     r"test_images must be a tensor .*got list; convert with torch\.as_tensor\(test_images\)"),
    (lambda d: {"test_images": torch.where(d.test_images > 0.99, float("nan"), d.test_images)},
     ValueError, r"test_images\[\d+\] holds NaN or infinite pixels"),
    (lambda d: {"train_images": d.train_images[:, :, :0]}, ValueError,
     r"train_images must be \(N, 3, H, W\) with N, H and W at least 1, got shape \(60, 3, 0, 32\)"),
    (lambda d: {"train_masks": d.train_masks > 0}, TypeError,
     r"train_masks must hold int64 class indices, got dtype torch\.bool; convert with "
     r"train_masks\.long\(\)"),
    (lambda d: {"train_masks": d.train_masks.int()}, TypeError,
     r"train_masks must hold int64 class indices, got dtype torch\.int32"),
    (lambda d: {"test_masks": d.test_masks.byte()}, TypeError,
     r"test_masks must hold int64 class indices, got dtype torch\.uint8"),
    (lambda d: {"test_masks": d.test_masks.float()}, TypeError,
     r"test_masks must hold integer class indices, got dtype torch\.float32"),
    (lambda d: {"train_masks": d.train_masks.numpy()}, TypeError,
     r"train_masks must be a tensor of class indices, got ndarray; convert with torch\.as_tensor"),
    (lambda d: {"train_masks": d.train_masks * 2}, ValueError,
     r"train_masks holds class 8; classes must be 0 to 4 \(classes has 5 names\)"),
    (lambda d: {"test_masks": d.test_masks - 1}, ValueError, r"test_masks holds class -1"),
    (lambda d: {"classes": SHAPE_CLASSES[:3]}, ValueError,
     r"train_masks holds class 4; classes must be 0 to 2 \(classes has 3 names\)"),
    (lambda d: {"test_masks": d.test_masks[:, :-1]}, ValueError,
     r"test_masks \(20, 31, 32\) must be \(N, H, W\) for test_images \(20, 3, 32, 32\)"),
    (lambda d: {"train_masks": d.train_masks[:-1]}, ValueError,
     r"train_masks \(59, 32, 32\) must be \(N, H, W\)"),
    (lambda d: {"classes": "x"}, TypeError,
     r"classes must be a tuple of at least 2 class names \(str\), the background first, "
     r"e\.g\. SHAPE_CLASSES; got 'x'"),
    (lambda d: {"classes": list(SHAPE_CLASSES)}, TypeError, r"classes must be a tuple .*got \["),
    (lambda d: {"classes": (0, 1, 2, 3, 4)}, TypeError, r"classes must be a tuple .*got \(0, 1"),
    (lambda d: {"classes": ("background",)}, ValueError, r"classes must be a tuple of at least 2"),
])
def test_shapes_data_refuses_bad_fields(small_data, change, error, message):
    with pytest.raises(error, match=message):
        ShapesData(**_fields(small_data, **change(small_data)))


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
    with pytest.raises(ValueError, match="init must be one of 'bilinear', 'random', 'scaled', 'frozen'; got 'zeros'"):
        build_shapes_fcn(5, "zeros")
    with pytest.raises(ValueError, match="H and W divisible by 8"):
        model(torch.rand(1, 3, 36, 32))
    with pytest.raises(ValueError, match=r"widths must be a tuple of 4 .*got \(8, 8, 16\)"):
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


def test_training_switches_autograd_on_for_itself(small_data, grad_off):
    """Called inside torch.no_grad(), torch.inference_mode() or after torch.set_grad_enabled(False),
    train_segmentation trains exactly as it does outside, and leaves the learner's mode as it was."""
    def run(block):
        model = build_shapes_fcn(5, seed=1, widths=(8, 8, 16, 16))
        with block():
            result = train_segmentation(model, small_data, steps=4, batch_size=4, seed=2, eval_every=2)
        return model, result

    m1, r1 = run(contextlib.nullcontext)
    m2, r2 = run(grad_off)
    assert r2.losses == r1.losses and r2.eval_miou == r1.eval_miou and r2.eval_steps == [2, 4]
    assert all(torch.equal(p, q) for p, q in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True))
    assert all(not p.is_inference() and p.requires_grad for p in m2.parameters())


def test_training_refuses_a_model_built_in_inference_mode(small_data):
    with torch.inference_mode():
        model = build_shapes_fcn(5, seed=1, widths=(8, 8, 16, 16))
    with pytest.raises(ValueError, match=r"^model was built \(or moved\) inside torch\.inference_mode\(\): its "
                                         r"weights are inference tensors, which autograd cannot train"):
        train_segmentation(model, small_data, steps=2, batch_size=2)


def test_training_bad_arguments(small_data):
    model = build_shapes_fcn(5, widths=(8, 8, 16, 16))
    with pytest.raises(ValueError, match="steps must be >= 2, got 0"):
        train_segmentation(model, small_data, steps=0)
    with pytest.raises(ValueError, match="lr must be positive"):
        train_segmentation(model, small_data, steps=2, lr=0.0)
    with pytest.raises(TypeError, match="data must be a ShapesData"):
        train_segmentation(model, (1, 2), steps=2)
    with pytest.raises(ValueError, match="dice_weight must be at least 0, got -1"):
        train_segmentation(model, small_data, steps=2, dice_weight=-1.0)
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


# --- the shapes data set: bounded colour search, bit-identical images, bad arguments ------------


def _sha256(*tensors: torch.Tensor) -> str:
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def test_make_shapes_data_is_bit_identical_to_the_unbounded_colour_loop():
    """The notebooks and the benchmark store figures computed from these pixels.

    The checksums were computed with the code of commit a388bf7, whose colour search was an
    unbounded ``while True`` loop, before that loop was bounded; bounding it must not change
    which random numbers are drawn whenever the old loop stopped in time.
    """
    d = make_shapes_data(num_train=50, num_test=10, seed=0)
    assert _sha256(d.train_images, d.train_masks, d.test_images, d.test_masks) == (
        "098ca96106bb27de4ce4c0b60962573f5c19b1dcb3f9e154d6ed1629c4e213d9"
    )
    d = make_shapes_data(num_train=40, num_test=8, size=32, seed=5, max_turn=30.0,
                         radius=(0.1, 0.2), max_shapes=4)
    assert _sha256(d.train_images, d.train_masks, d.test_images, d.test_masks) == (
        "96f351f0132c43c9bd7c4872fd84662dc506e984e25823dc903d67351a563594"
    )


class _NearlyGrey:
    """A stand-in random generator whose colours all lie within 0.6 of mid-grey, drifting away."""

    def __init__(self) -> None:
        self.calls = 0

    def uniform(self, low: float, high: float, size: int) -> np.ndarray:
        self.calls += 1
        if self.calls > segmentation._COLOUR_TRIES:
            raise AssertionError("the colour search went past its bound")
        return np.full(size, 0.5 + 0.001 * self.calls)


def test_colour_search_is_bounded_and_keeps_the_farthest_candidate():
    rng = _NearlyGrey()
    colour = segmentation._shape_colour(rng, np.full(3, 0.5, dtype=np.float32))
    assert rng.calls == segmentation._COLOUR_TRIES
    np.testing.assert_allclose(colour, 0.5 + 0.001 * segmentation._COLOUR_TRIES, rtol=1e-6)
    # a NaN background (an empty shape) matches no candidate: the search still stops, after the
    # bound, and keeps the first candidate
    rng, reference = np.random.default_rng(0), np.random.default_rng(0)
    colour = segmentation._shape_colour(rng, np.full(3, np.nan, dtype=np.float32))
    draws = [reference.uniform(0.0, 1.0, size=3) for _ in range(segmentation._COLOUR_TRIES)]
    np.testing.assert_array_equal(colour, draws[0].astype(np.float32))
    assert rng.bit_generator.state == reference.bit_generator.state


def test_colour_search_stops_at_the_first_colour_far_enough():
    rng, reference = np.random.default_rng(1), np.random.default_rng(1)
    under = np.full(3, 0.5, dtype=np.float32)
    colour = segmentation._shape_colour(rng, under)
    for _ in range(segmentation._COLOUR_TRIES):  # the old loop, which stops within a few tries
        candidate = reference.uniform(0.0, 1.0, size=3).astype(np.float32)
        if np.abs(candidate - under).sum() > 0.6:
            break
    np.testing.assert_array_equal(colour, candidate)
    assert rng.bit_generator.state == reference.bit_generator.state


def test_tiny_shapes_are_refused_and_the_smallest_allowed_is_drawn():
    with pytest.raises(ValueError, match=r"radius \(0\.01, 0\.01\) gives shapes of radius 0\.16 "
                                         r"pixels at size 16, too small to draw; the low end must "
                                         r"be at least 1 pixel, 0\.0625 of size 16"):
        make_shapes(2, 16, radius=(0.01, 0.01))
    with pytest.raises(ValueError, match=r"radius .* at least 1 pixel, 0\.02083 of size 48"):
        make_shapes_data(num_train=2, num_test=2, radius=(0.01, 0.3))
    images, masks = make_shapes(20, 16, seed=1, radius=(1 / 16, 1 / 16), max_turn=180.0,
                                max_shapes=4)
    assert torch.isfinite(images).all()
    assert all(bool((m > 0).any()) for m in masks)  # every image shows a shape


def test_shape_options_are_checked():
    pair = r"radius must be a pair \(low, high\) of fractions of size, e\.g\. \(0\.15, 0\.3\)"
    with pytest.raises(TypeError, match=pair + "; got 0.2"):
        make_shapes_data(radius=0.2)
    with pytest.raises(ValueError, match=pair + r"; got \(0\.1, 0\.2, 0\.3\)"):
        make_shapes(2, radius=(0.1, 0.2, 0.3))
    with pytest.raises(TypeError, match=r"radius\[0\] must be a number, got 'a'"):
        make_shapes(2, radius=("a", 0.2))
    with pytest.raises(ValueError, match=r"radius\[1\] must be a finite number, got nan"):
        make_shapes(2, radius=(0.1, float("nan")))
    with pytest.raises(ValueError, match=r"radius must be \(low, high\) with 0 < low <= high"):
        make_shapes(2, radius=(0.3, 0.1))
    with pytest.raises(TypeError, match="max_turn must be a number, got '30'"):
        make_shapes_data(max_turn="30")
    with pytest.raises(TypeError, match="max_turn must be a number, got True"):
        make_shapes(2, max_turn=True)
    with pytest.raises(ValueError, match="max_turn must be a finite number, got nan"):
        make_shapes(2, max_turn=float("nan"))
    with pytest.raises(ValueError, match="max_turn must be between 0 and 180 degrees, got 200"):
        make_shapes(2, max_turn=200)


def test_too_many_images_are_refused_before_drawing_any():
    numbers, most = 10**6 * 3 * 48 * 48, MAX_ELEMENTS // (3 * 48 * 48)
    with pytest.raises(ValueError, match=rf"1000000 images of 3 x 48 x 48 \(num_train 1000000\) "
                                         rf"would hold {numbers:,} numbers .* Use at most "
                                         rf"{most:,} images"):
        make_shapes_data(num_train=10**6)
    with pytest.raises(ValueError, match=r"\(num_test 10000\) would hold"):
        make_shapes_data(num_train=10, num_test=10_000)
    with pytest.raises(ValueError, match=rf"\(num_images 2\) would hold {6 * 10**12:,} numbers"):
        make_shapes(2, 10**6)


# --- metrics and drawing: bad input is refused, or gives the right answer ----------------------


def test_huge_num_classes_is_refused_before_counting():
    truth = torch.tensor([0, 1, 2])
    message = (r"num_classes must be at most 4,096, got 1,000,000: the confusion matrix holds "
               rf"num_classes\*\*2 = {10**12:,} counts \({10**12 * 8 / 2**30:.1f} GiB\)")
    for function in (confusion_matrix, iou_per_class, mean_iou):
        with pytest.raises(ValueError, match=message):
            function(truth, truth, 10**6)
    counts = confusion_matrix(truth, truth, 300)  # a large but sensible number of classes
    assert counts.shape == (300, 300) and int(counts.sum()) == 3


def test_metrics_take_any_integer_dtype_and_refuse_floats():
    g = torch.Generator().manual_seed(8)
    truth = torch.randint(0, 4, (2, 6, 6), generator=g)
    guess = torch.randint(0, 4, (2, 6, 6), generator=g)
    expected = mean_iou(guess, truth, 4)
    assert mean_iou(guess.int(), truth.to(torch.uint8), 4) == expected
    with pytest.raises(TypeError, match=r"prediction must hold integer class indices, got dtype "
                                        r"torch\.float16; for scores use \.argmax\(dim=1\) first"):
        mean_iou(guess.half(), truth, 4)
    with pytest.raises(ValueError, match=r"prediction holds class -1; classes must be 0 to 3 "
                                         r"\(num_classes=4\)"):
        mean_iou(guess - 1, truth, 4)


def test_colorize_checks_the_mask():
    mask = torch.tensor([[0, 4], [2, 1]])
    expected = np.array([[CLASS_COLORS[0], CLASS_COLORS[4]], [CLASS_COLORS[2], CLASS_COLORS[1]]])
    np.testing.assert_array_equal(colorize(mask.to(torch.int16)), expected)
    with pytest.raises(ValueError, match=r"mask holds class 7; classes must be 0 to 4"):
        colorize(torch.tensor([[0, 7]]))
    with pytest.raises(TypeError, match=r"mask must hold integer class indices, got dtype "
                                        r"torch\.float16"):
        colorize(mask.half())
    with pytest.raises(ValueError, match=r"mask must be \(H, W\), got shape \(1, 2, 2\)"):
        colorize(mask[None])


def test_segmentation_grid_draws_what_torch_would_and_refuses_bad_input(small_data):
    images, masks = small_data.test_images[:2], small_data.test_masks[:2]

    def drawn(fig) -> np.ndarray:
        return np.asarray(fig.axes[0].images[0].get_array())

    reference = drawn(segmentation_grid(images, masks))
    np.testing.assert_array_equal(reference, images[0].permute(1, 2, 0).numpy())
    # a tensor that requires grad is drawn after detaching; half precision as the same picture
    grad = images.clone().requires_grad_()
    np.testing.assert_array_equal(drawn(segmentation_grid(grad, masks)), reference)
    half = drawn(segmentation_grid(images.half(), masks))
    np.testing.assert_array_equal(half, images[0].half().float().permute(1, 2, 0).numpy())
    bad = images.clone()
    bad[1, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match=r"images\[1\] holds NaN or infinite pixels"):
        segmentation_grid(bad, masks)
    with pytest.raises(TypeError, match=r"images must hold floats in \[0, 1\], got dtype "
                                        r"torch\.uint8"):
        segmentation_grid((images * 255).to(torch.uint8), masks)
    with pytest.raises(TypeError, match="images must be a tensor"):
        segmentation_grid(images.numpy(), masks)
    with pytest.raises(ValueError, match=r"images must be \(N, 3, H, W\) with N, H and W at least"):
        segmentation_grid(images[:, :1], masks)
    with pytest.raises(TypeError, match=r"masks must hold integer class indices, got dtype "
                                        r"torch\.float32"):
        segmentation_grid(images, masks.float())
    with pytest.raises(ValueError, match=r"predictions holds class 9; classes must be 0 to 4"):
        segmentation_grid(images, masks, torch.full_like(masks, 9))
    with pytest.raises(ValueError, match=r"masks \(N, H, W\) with the same N, H and W"):
        segmentation_grid(images, masks[:, :16])
    with pytest.raises(ValueError, match="segmentation_grid draws at most 32"):
        segmentation_grid(images[[0] * 33], masks[[0] * 33])


def test_segmentation_grid_names_the_classes_it_is_given(small_data):
    images, masks = small_data.test_images[:2], small_data.test_masks[:2]

    def key(fig) -> list[str]:
        return [t.get_text() for t in fig.legends[0].get_texts()]

    assert key(segmentation_grid(images, masks)) == list(SHAPE_CLASSES)
    few = masks.clamp(max=2)
    assert key(segmentation_grid(images, few, classes=("bg", "round", "box"))) == ["bg", "round",
                                                                                 "box"]
    with pytest.raises(ValueError, match=r"masks holds class 2; classes must be 0 to 1 \(one per "
                                         r"name in classes, which has 2\)"):
        segmentation_grid(images, few, classes=("bg", "round"))
    with pytest.raises(ValueError, match=r"predictions holds class 2; classes must be 0 to 1"):
        segmentation_grid(images, few.clamp(max=1), few, classes=("bg", "round"))
    with pytest.raises(ValueError, match=r"classes has 6 names but segmentation_grid has colours "
                                         r"for 5 classes \(CLASS_COLORS\)"):
        segmentation_grid(images, masks, classes=(*SHAPE_CLASSES, "star"))
    for bad in ("x", None, (1, 2, 3, 4, 5), ["bg", "round"]):
        with pytest.raises(TypeError, match=r"classes must be a tuple of at least 2 class names"):
            segmentation_grid(images, masks, classes=bad)
    with pytest.raises(ValueError, match=r"classes must be a tuple of at least 2 .*got \(\)"):
        segmentation_grid(images, masks, classes=())


# --- losses -----------------------------------------------------------------------------------


def test_losses_check_logits_and_target():
    g = torch.Generator().manual_seed(9)
    logits = torch.randn(2, 5, 4, 4, generator=g)
    target = torch.randint(0, 5, (2, 4, 4), generator=g)
    too_high = target.clone()
    too_high[1, 2, 3] = 5
    nan_logits = torch.full_like(logits, float("nan"))
    for loss in (soft_dice_loss, segmentation_loss):
        with pytest.raises(ValueError, match=r"target holds class 5; classes must be 0 to 4 "
                                             r"\(logits have 5 channels, one per class\)"):
            loss(logits, too_high)
        with pytest.raises(ValueError, match=r"target holds class -1"):
            loss(logits, target - 1)
        with pytest.raises(TypeError, match=r"target must hold integer class indices, got dtype "
                                            r"torch\.float32"):
            loss(logits, target.float())
        with pytest.raises(TypeError, match=r"logits must be a floating-point tensor .*got dtype "
                                            r"torch\.int64"):
            loss(logits.long(), target)
        with pytest.raises(ValueError, match=r"logits must be \(N, C, H, W\) with C >= 1, got "
                                             r"\(5, 4, 4\)"):
            loss(logits[0], target)
        # int32 class indices are class indices: the same loss as int64 (computed by torch)
        assert loss(logits, target.int()).item() == loss(logits, target).item()
        # half-precision scores give the loss of those scores, as computed in float32
        expected = loss(logits.half().float(), target).item()
        assert loss(logits.half(), target).item() == pytest.approx(expected, abs=2e-3)
        # NaN scores give a NaN loss, as torch's cross_entropy does (train_segmentation then stops)
        assert torch.isnan(torch.nn.functional.cross_entropy(nan_logits, target))
        assert torch.isnan(loss(nan_logits, target))
    with pytest.raises(ValueError, match="smooth must be at least 0, got -1"):
        soft_dice_loss(logits, target, smooth=-1.0)
    with pytest.raises(TypeError, match="dice_weight must be a number, got True"):
        segmentation_loss(logits, target, dice_weight=True)
    with pytest.raises(ValueError, match="dice_weight must be a finite number, got nan"):
        segmentation_loss(logits, target, dice_weight=float("nan"))


# --- the FCN builders -------------------------------------------------------------------------


def test_fcn_builders_say_what_widths_must_be():
    with pytest.raises(TypeError, match=r"widths must be a tuple of 4 positive whole numbers "
                                        r"\(channels at H, H/2, H/4 and H/8\), "
                                        r"e\.g\. \(16, 24, 48, 96\); got 16"):
        build_shapes_fcn(widths=16)
    with pytest.raises(ValueError, match=r"widths\[1\] must be positive, got 0"):
        ShapesFCN(5, (8, 0, 16, 16))
    with pytest.raises(ValueError, match=r"widths\[3\] must be positive, got -4"):
        build_shapes_fcn(widths=(8, 8, 16, -4))
    with pytest.raises(TypeError, match=r"widths\[0\] must be a whole number, got 8\.0 \(float\)"):
        build_shapes_fcn(widths=(8.0, 8, 16, 16))
    with pytest.raises(TypeError, match=r"widths must be a tuple of 4 .*got '8'"):
        ShapesFCN(5, "8")
    with pytest.raises(TypeError, match=r"widths must be a tuple of 5 positive whole numbers "
                                        r"\(channels of the stem and the four blocks\), "
                                        r"e\.g\. \(32, 64, 128, 256, 512\)"):
        resnet_like_backbone(64)
    with pytest.raises(ValueError, match=r"widths must be a tuple of 5 .*got \(8, 8, 16\)"):
        fcn32s(21, widths=(8, 8, 16))
    with pytest.raises(ValueError, match=r"widths\[4\] must be positive, got 0"):
        fcn32s(21, widths=(8, 8, 16, 16, 0))
    with pytest.raises(ValueError, match="num_classes must be positive, got 0"):
        fcn_head(512, 0)
    with pytest.raises(TypeError, match=r"in_channels must be a whole number, got 512\.0"):
        fcn_head(512.0, 21)
    with pytest.raises(ValueError, match="num_classes must be positive, got 0"):
        build_shapes_fcn(0)


def test_fcn_builders_refuse_networks_too_big_to_build():
    with pytest.raises(ValueError, match=r"ShapesFCN for num_classes 5 and widths "
                                         r"\(16, 24, 48, 100000\) \(its parameters\) would hold "
                                         r"[\d,]+ numbers .*Use smaller channel counts"):
        build_shapes_fcn(widths=(16, 24, 48, 100_000))
    with pytest.raises(ValueError, match=r"ShapesFCN for num_classes 100000 .* would hold"):
        ShapesFCN(100_000)
    with pytest.raises(ValueError, match=r"fcn_head for in_channels 512 and num_classes 1000 "
                                         r"\(its parameters\) would hold [\d,]+ numbers"):
        fcn_head(512, 1000)
    with pytest.raises(ValueError, match=r"resnet_like_backbone for widths "
                                         r"\(32, 64, 128, 256, 100000\)"):
        resnet_like_backbone((32, 64, 128, 256, 100_000))


@pytest.mark.parametrize(("build", "args"), [
    (ShapesFCN, (5,)), (ShapesFCN, (3, (8, 12, 16, 20))), (resnet_like_backbone, ()),
    (resnet_like_backbone, ((8, 8, 16, 24, 24),)), (fcn_head, (64, 7)),
])
def test_parameter_estimates_match_torch(monkeypatch, build, args):
    """The size check counts exactly the parameters that torch then allocates."""
    counted = []
    monkeypatch.setattr(fcn, "check_elements", lambda what, count, advice: counted.append(count))
    built = build(*args)
    modules = built if isinstance(built, tuple) else (built,)
    assert counted == [sum(p.numel() for m in modules for p in m.parameters())]


# --- predict and train_segmentation -----------------------------------------------------------


class _Broken(nn.Module):
    """A model whose forward always fails."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("broken forward")


def test_predict_checks_its_arguments_and_restores_the_mode(small_data):
    model = build_shapes_fcn(5, seed=1, widths=(8, 8, 16, 16))
    images = small_data.test_images[:5]
    with torch.no_grad():
        expected = model.eval()(images).argmax(dim=1)
    model.train()
    assert torch.equal(predict(model, images, batch_size=2), expected)
    assert model.training  # the mode it had
    assert torch.equal(predict(model, images.double()), expected)  # run in the model's dtype
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        predict(model, images, batch_size=0)
    with pytest.raises(TypeError, match=r"batch_size must be a whole number, got 2\.5"):
        predict(model, images, batch_size=2.5)
    with pytest.raises(ValueError, match=r"images must be \(N, 3, H, W\) with N, H and W at least "
                                         r"1, got shape \(0, 3, 32, 32\)"):
        predict(model, images[:0])
    with pytest.raises(ValueError, match=r"images must be \(N, 3, H, W\).*got shape \(3, 32, 32\)"):
        predict(model, images[0])
    with pytest.raises(TypeError, match=r"images must hold floats in \[0, 1\], got dtype "
                                        r"torch\.int64"):
        predict(model, small_data.test_masks[:2, None].expand(2, 3, 32, 32))
    with pytest.raises(TypeError, match=r"model must be a torch nn\.Module with parameters"):
        predict(nn.ReLU(), images)
    broken = _Broken().train()
    with pytest.raises(RuntimeError, match="broken forward"):
        predict(broken, images)
    assert broken.training  # restored although forward raised
    predict(model.eval(), images)
    assert not model.training


def test_training_checks_the_model_against_the_data(small_data):
    model = build_shapes_fcn(3, seed=0, widths=(8, 8, 16, 16))
    with pytest.raises(ValueError, match=r"model gives 3 class scores per pixel but data has 5 "
                                         r"classes \(data\.num_classes\); build the model with "
                                         r"num_classes=5"):
        train_segmentation(model, small_data, steps=2, batch_size=2)
    fresh = build_shapes_fcn(3, seed=0, widths=(8, 8, 16, 16))
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # neither trained nor its batch-norm statistics changed
    with pytest.raises(ValueError, match=r"model must map \(N, 3, H, W\) images to \(N, C, H, W\) "
                                         r"class scores; for one \(1, 3, 32, 32\) image of data it "
                                         r"gives \(1, 5, 30, 30\)"):
        train_segmentation(nn.Conv2d(3, 5, 3), small_data, steps=2)
    # the data set is checked when built, and again here: its tensors can change in place
    bad = ShapesData(small_data.train_images.clone(), small_data.train_masks.clone(),
                     small_data.test_images.clone(), small_data.test_masks.clone())
    bad.train_masks[3, 4, 5] = 8
    with pytest.raises(ValueError, match=r"data\.train_masks holds class 8; classes must be 0 to 4 "
                                         r"\(data\.classes has 5 names\)"):
        train_segmentation(build_shapes_fcn(5, widths=(8, 8, 16, 16)), bad, steps=2)
    bad.train_masks[3, 4, 5] = 0
    bad.test_images[2, 1, 0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"data\.test_images\[2\] holds NaN or infinite pixels"):
        train_segmentation(build_shapes_fcn(5, widths=(8, 8, 16, 16)), bad, steps=2)


def test_training_checks_numbers_device_and_callback(small_data):
    model = build_shapes_fcn(5, widths=(8, 8, 16, 16))
    cases = [
        (ValueError, "lr must be a finite number, got nan", {"lr": float("nan")}),
        (TypeError, "lr must be a number, got '0.1'", {"lr": "0.1"}),
        (TypeError, "lr must be a number, got True", {"lr": True}),
        (ValueError, "lr must be positive, got -0.1", {"lr": -0.1}),
        (ValueError, "weight_decay must be a finite number, got nan",
         {"weight_decay": float("nan")}),
        (ValueError, "weight_decay must be at least 0, got -1", {"weight_decay": -1.0}),
        (ValueError, r"device must be 'cpu', 'cuda', 'cuda:0', 'mps' or a torch\.device .*'gpu'",
         {"device": "gpu"}),
        (ValueError, r"device must be .*got \[1\]", {"device": [1]}),
        (TypeError, r"on_step must be a function on_step\(step, loss\) or None, got int",
         {"on_step": 5}),
        (ValueError, r"a batch of 10000000 images \(batch_size 10000000\) would hold",
         {"batch_size": 10**7}),
    ]
    if not torch.cuda.is_available():
        cases.append((ValueError, "device 'cuda' is not available on this machine",
                      {"device": "cuda"}))
    for error, message, kwargs in cases:
        with pytest.raises(error, match=message):
            train_segmentation(model, small_data, **{"steps": 2, **kwargs})
    with pytest.raises(TypeError, match="model must be a torch nn.Module with parameters"):
        train_segmentation("fcn", small_data, steps=2)


def test_training_stops_when_the_loss_is_not_a_number(small_data):
    model = build_shapes_fcn(5, seed=0, widths=(8, 8, 16, 16))
    seen = []

    def poison(step: int, loss: float) -> None:
        seen.append(step)
        if step == 2:  # from now on the scores are NaN
            with torch.no_grad():
                model.score8.bias.fill_(float("nan"))

    with pytest.raises(FloatingPointError, match=r"the loss became nan at step 3; try a smaller "
                                                 r"lr \(0\.01\)"):
        train_segmentation(model, small_data, steps=6, batch_size=2, on_step=poison)
    assert seen == [1, 2] and not model.training


def test_training_monitor_label_must_be_text():
    assert TrainingMonitor(3, label="bilinear init").progress.description == "bilinear init"
    with pytest.raises(TypeError, match=r"label must be a str \(the text before the progress "
                                        r"bar\), got 3 \(int\)"):
        TrainingMonitor(3, label=3)
    with pytest.raises(TypeError, match=r"label must be a str .*got \['a'\] \(list\)"):
        TrainingMonitor(3, label=["a"])


def test_steps_to_reach_finds_the_first_evaluation_at_or_above_target():
    result = TrainResult(eval_steps=[10, 20, 30], eval_miou=[0.2, 0.6, 0.5])
    assert steps_to_reach(result, result.eval_miou[0]) == result.eval_steps[0]  # reached: >=
    assert steps_to_reach(result, 0.5) == 20  # the first step at 0.5 or more, not the last
    assert steps_to_reach(result, max(result.eval_miou) + 0.01) is None  # never reached
    assert steps_to_reach(result, 0) == 10  # an int target is a number too


@pytest.mark.parametrize(("result", "target", "error", "message"), [
    (None, 0.5, TypeError, r"result must be the TrainResult that train_segmentation returns, "
                           r"got None \(NoneType\)"),
    ("x", 0.5, TypeError, r"result must be the TrainResult .*got 'x' \(str\)"),
    (TrainResult(eval_steps=[1, 2], eval_miou=[0.5]), 0.5, ValueError,
     r"result has 2 eval_steps but 1 eval_miou values; they must pair up"),
    (TrainResult(losses=[1.0]), 0.5, ValueError,
     r"result holds no held-out mean IoU: train with eval_every > 0"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), "x", TypeError,
     r"target must be a number, got 'x' \(str\)"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), None, TypeError, "target must be a number"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), 1j, TypeError, "target must be a number"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), True, TypeError,
     r"target must be a number, got True \(bool\)"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), float("nan"), ValueError,
     "target must be a finite number, got nan"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), float("inf"), ValueError,
     "target must be a finite number, got inf"),
    (TrainResult(eval_steps=[1], eval_miou=[0.5]), 1.5, ValueError,
     "target must be at most 1, got 1.5"),
])
def test_steps_to_reach_refuses_bad_input(result, target, error, message):
    with pytest.raises(error, match=message):
        steps_to_reach(result, target)


def test_training_monitor_never_raises_on_odd_losses():
    nan, inf = float("nan"), float("inf")
    monitor = TrainingMonitor(3, redraw_every=1)
    for step in (1, 2, 3):
        monitor.update(step, nan)
    assert "loss is not a number" in monitor.status.value
    assert monitor.image.value[:4] == b"\x89PNG"
    losses = [2.0, inf, 1.5, nan, 0.0, -1.0, 1.2, torch.tensor(1.1)]
    monitor = TrainingMonitor(len(losses), redraw_every=2)
    for step, loss in enumerate(losses, 1):
        monitor.update(step, loss)
        if step == 2:
            assert "loss is not a number (nan or inf in the last 2 steps)" in monitor.status.value
    assert monitor.status.value.endswith(f"loss {np.mean([1.2, 1.1]):.3f}")
    line = monitor.fig.axes[0].lines[0]  # only the finite, positive losses are plotted
    np.testing.assert_array_equal(line.get_xdata(), [1, 3, 7, 8])
    np.testing.assert_allclose(line.get_ydata(), [2.0, 1.5, 1.2, 1.1])
    assert monitor.fig.axes[0].get_yscale() == "log"


def test_short_runs_train_and_one_step_is_refused():
    """The one-cycle schedule needs a warm-up of at least one step: PyTorch divides by zero at 5 steps
    with a 20 % warm-up, so short runs get a longer share; a single step cannot rise and fall."""
    data = make_shapes_data(40, 10, 16, seed=0)
    for steps in range(2, 13):
        model = build_shapes_fcn(5, seed=0, widths=(4, 4, 4, 4))
        assert train_segmentation(model, data, steps=steps, batch_size=4).steps == steps
    with pytest.raises(ValueError, match="steps must be >= 2, got 1"):
        train_segmentation(build_shapes_fcn(5, seed=0), data, steps=1)
