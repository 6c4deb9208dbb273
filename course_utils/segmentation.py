"""A synthetic segmentation data set and the mean IoU metric (08_fcn_segmentation).

``make_shapes_data`` draws coloured shapes (circles, squares, triangles and
crosses of random sizes, upright unless ``max_turn`` allows turning them) on
textured backgrounds and returns the images with their per-pixel class masks. Everything is computed from a seed, so the
same call gives the same pixels on every machine, and nothing is downloaded.
The held-out images come from their own random stream, so they are never
copies of training images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image, ImageDraw

from ._checks import check_int
from .plotting import new_figure

__all__ = [
    "SHAPE_CLASSES",
    "ShapesData",
    "make_shapes",
    "make_shapes_data",
    "confusion_matrix",
    "iou_per_class",
    "mean_iou",
    "colorize",
    "segmentation_grid",
]

#: Class index -> name; index 0 is the background.
SHAPE_CLASSES: tuple[str, ...] = ("background", "circle", "square", "triangle", "cross")

#: A colour per class for drawing masks (background dark grey).
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (40, 40, 40), (214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 190, 30),
)


@dataclass(frozen=True)
class ShapesData:
    """Training and held-out images with their masks (all tensors on the CPU).

    ``train_images``/``test_images`` are ``(N, 3, H, W)`` floats in [0, 1];
    ``train_masks``/``test_masks`` are ``(N, H, W)`` class indices (int64).
    """

    train_images: torch.Tensor
    train_masks: torch.Tensor
    test_images: torch.Tensor
    test_masks: torch.Tensor
    classes: tuple[str, ...] = SHAPE_CLASSES

    @property
    def num_classes(self) -> int:
        """How many classes the masks use (background included)."""
        return len(self.classes)

    def __repr__(self) -> str:
        n, c, h, w = self.train_images.shape
        return (
            f"ShapesData({n} training + {len(self.test_images)} held-out images of {c} x {h} x {w}, "
            f"classes {list(self.classes)})"
        )


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A textured background: two coloured sine gratings, a soft blob pattern and noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    image = np.zeros((size, size, 3), dtype=np.float32)
    base = rng.uniform(0.15, 0.85, size=3).astype(np.float32)
    image += base
    for _ in range(2):
        angle = rng.uniform(0, np.pi)
        freq = rng.uniform(2, 10)
        phase = rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)) + phase)
        colour = rng.uniform(-0.18, 0.18, size=3).astype(np.float32)
        image += wave[:, :, None] * colour
    image += rng.normal(0, 0.05, size=(size, size, 3)).astype(np.float32)
    return image


def _polygon(kind: int, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Corner points of a square (2), triangle (3) or cross (4) of radius ``r``, turned by ``angle``."""
    if kind == 2:
        points = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        scale = r / np.sqrt(2) * 1.1
    elif kind == 3:
        points = [(np.cos(a), np.sin(a)) for a in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6)]
        scale = r * 1.15
    else:
        t = 0.36
        points = [(-t, -1), (t, -1), (t, -t), (1, -t), (1, t), (t, t), (t, 1), (-t, 1), (-t, t),
                  (-1, t), (-1, -t), (-t, -t)]
        scale = r
    c, s = np.cos(angle), np.sin(angle)
    return [(cx + scale * (c * x - s * y), cy + scale * (s * x + c * y)) for x, y in points]


def _one_image(rng: np.random.Generator, size: int, max_shapes: int, radius: tuple[float, float],
               max_turn: float) -> tuple[np.ndarray, np.ndarray]:
    image = _background(rng, size)
    mask = Image.new("L", (size, size), 0)
    count = int(rng.integers(1, max_shapes + 1))
    kinds = rng.permutation(np.arange(1, len(SHAPE_CLASSES)))[:count]
    for kind in kinds:
        r = rng.uniform(*radius) * size
        cx, cy = rng.uniform(r, size - r, size=2)
        angle = np.deg2rad(rng.uniform(-max_turn, max_turn))
        layer = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(layer)
        if kind == 1:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        else:
            draw.polygon(_polygon(int(kind), cx, cy, r, angle), fill=255)
        inside = np.asarray(layer) > 0
        # a colour far enough from the background under the shape, with a light texture
        under = image[inside].mean(axis=0)
        while True:
            colour = rng.uniform(0.0, 1.0, size=3).astype(np.float32)
            if np.abs(colour - under).sum() > 0.6:
                break
        shade = rng.normal(0, 0.04, size=(size, size, 1)).astype(np.float32)
        image[inside] = (colour + shade)[inside]
        mask.paste(int(kind), mask=layer)
    return np.clip(image, 0.0, 1.0), np.asarray(mask, dtype=np.int64)


def make_shapes(num_images: int, size: int = 48, *, seed: int = 0, max_shapes: int = 3,
                radius: tuple[float, float] = (0.15, 0.3), max_turn: float = 0.0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """``num_images`` images ``(N, 3, size, size)`` in [0, 1] and their masks ``(N, size, size)``.

    Each image has a textured background and 1 to ``max_shapes`` shapes of
    different classes (``SHAPE_CLASSES``), each in a random colour that stands
    out from the background under it; a later shape covers an earlier one, and
    the mask says which class each pixel shows. Each shape's radius is drawn from
    ``radius`` (fractions of ``size``) and it is turned by up to ``max_turn``
    degrees either way (0: squares and crosses axis-aligned, triangles upright).
    The same ``seed`` gives the same images. Introduced in 08_fcn_segmentation.
    """
    num_images = check_int("num_images", num_images, minimum=1)
    size = check_int("size", size, minimum=16)
    seed = check_int("seed", seed, minimum=0)
    max_shapes = check_int("max_shapes", max_shapes, minimum=1)
    lo, hi = (float(r) for r in radius)
    if not 0 < lo <= hi <= 0.5:
        raise ValueError(f"radius must be (low, high) with 0 < low <= high <= 0.5, got {radius!r}")
    if not 0 <= max_turn <= 180:
        raise ValueError(f"max_turn must be between 0 and 180 degrees, got {max_turn!r}")
    if max_shapes > len(SHAPE_CLASSES) - 1:
        raise ValueError(
            f"max_shapes must be at most {len(SHAPE_CLASSES) - 1} (one shape per class), got {max_shapes}"
        )
    rng = np.random.default_rng(seed)
    images = np.empty((num_images, 3, size, size), dtype=np.float32)
    masks = np.empty((num_images, size, size), dtype=np.int64)
    for i in range(num_images):
        image, mask = _one_image(rng, size, max_shapes, (lo, hi), float(max_turn))
        images[i] = image.transpose(2, 0, 1)
        masks[i] = mask
    return torch.from_numpy(images), torch.from_numpy(masks)


def make_shapes_data(num_train: int = 4000, num_test: int = 200, size: int = 48, *, seed: int = 0,
                     max_shapes: int = 3, radius: tuple[float, float] = (0.15, 0.3),
                     max_turn: float = 0.0) -> ShapesData:
    """A training set and a held-out set of shape images (see :func:`make_shapes`).

    The two sets come from independent random streams derived from ``seed``, so
    no held-out image is a training image. Introduced in 08_fcn_segmentation.
    """
    seed = check_int("seed", seed, minimum=0)
    num_test = check_int("num_test", num_test, minimum=1)
    num_train = check_int("num_train", num_train, minimum=1)
    train_seed, test_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2))
    options = {"max_shapes": max_shapes, "radius": radius, "max_turn": max_turn}
    train = make_shapes(num_train, size, seed=train_seed, **options)
    test = make_shapes(num_test, size, seed=test_seed, **options)
    return ShapesData(*train, *test)


def _check_labels(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of class indices, got {type(value).__name__}")
    if value.dtype.is_floating_point or value.dtype == torch.bool or value.dtype.is_complex:
        raise TypeError(
            f"{name} must hold integer class indices, got dtype {value.dtype}; "
            "for scores use .argmax(dim=1) first"
        )
    return value


def confusion_matrix(prediction: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``(num_classes, num_classes)`` counts: row = true class, column = predicted class."""
    prediction = _check_labels("prediction", prediction)
    target = _check_labels("target", target)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    for name, t in (("prediction", prediction), ("target", target)):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_classes):
            raise ValueError(
                f"{name} holds class {int(t.min()) if int(t.min()) < 0 else int(t.max())}; "
                f"classes must be 0 to {num_classes - 1} (num_classes={num_classes})"
            )
    index = target.reshape(-1).long().cpu() * num_classes + prediction.reshape(-1).long().cpu()
    return torch.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def iou_per_class(prediction: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Intersection over union of each class; NaN for a class absent from both."""
    cm = confusion_matrix(prediction, target, num_classes).double()
    intersection = cm.diagonal()
    union = cm.sum(0) + cm.sum(1) - intersection
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.full_like(union, float("nan")))


def mean_iou(prediction: torch.Tensor, target: torch.Tensor, num_classes: int) -> float:
    """Mean over classes of intersection over union, counted over all pixels together.

    For each class c: IoU = |pred == c and true == c| / |pred == c or true == c|,
    summed over every pixel of every image; classes that appear in neither are
    left out of the mean. Introduced in 08_fcn_segmentation.
    """
    ious = iou_per_class(prediction, target, num_classes)
    present = ~torch.isnan(ious)
    return float(ious[present].mean()) if bool(present.any()) else float("nan")


def colorize(mask: torch.Tensor) -> np.ndarray:
    """An ``(H, W)`` mask of class indices as an ``(H, W, 3)`` uint8 picture (``CLASS_COLORS``)."""
    mask = _check_labels("mask", mask)
    if mask.dim() != 2:
        raise ValueError(f"mask must be (H, W), got shape {tuple(mask.shape)}")
    palette = np.array(CLASS_COLORS, dtype=np.uint8)
    if int(mask.max()) >= len(palette) or int(mask.min()) < 0:
        raise ValueError(f"mask holds classes outside 0 to {len(palette) - 1}")
    return palette[mask.cpu().numpy()]


def segmentation_grid(images: torch.Tensor, masks: torch.Tensor, predictions: torch.Tensor | None = None,
                      *, classes: tuple[str, ...] = SHAPE_CLASSES) -> Figure:
    """Rows of image / truth (/ prediction) for each image, with a colour key of the classes.

    ``images`` ``(N, 3, H, W)``, ``masks`` and ``predictions`` ``(N, H, W)``. Introduced in 08_fcn_segmentation.
    """
    if images.dim() != 4 or masks.dim() != 3 or len(images) != len(masks):
        raise ValueError(
            f"images must be (N, 3, H, W) and masks (N, H, W) with the same N, got {tuple(images.shape)} "
            f"and {tuple(masks.shape)}"
        )
    if predictions is not None and predictions.shape != masks.shape:
        raise ValueError(f"predictions {tuple(predictions.shape)} must match masks {tuple(masks.shape)}")
    rows = ["image", "truth"] + (["prediction"] if predictions is not None else [])
    n = len(images)
    fig = new_figure(1.35 * n, 1.35 * len(rows) + 0.35, dpi=80)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for i in range(n):
        pictures = [images[i].permute(1, 2, 0).clamp(0, 1).cpu().numpy(), colorize(masks[i])]
        if predictions is not None:
            pictures.append(colorize(predictions[i]))
        for r, picture in enumerate(pictures):
            ax = axes[r, i]
            ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(rows[r], fontsize=9)
    handles = [Patch(facecolor=np.array(c) / 255, label=name) for c, name in zip(CLASS_COLORS, classes, strict=False)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    return fig
