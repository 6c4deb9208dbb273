"""A synthetic segmentation data set and the mean IoU metric (08_fcn_segmentation).

``make_shapes_data`` draws coloured shapes (circles, squares, triangles and
crosses of random sizes, upright unless ``max_turn`` allows turning them) on
textured backgrounds and returns the images with their per-pixel class masks. Everything is computed from a seed, so the
same call gives the same pixels on every machine, and nothing is downloaded.
The held-out images come from their own random stream, so they are never
copies of training images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image, ImageDraw

from ._checks import MAX_ELEMENTS, check_elements, check_int, check_number
from .draw.plots import new_figure

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

    ``train_images``/``test_images`` are ``(N, 3, H, W)`` float32 tensors in [0, 1];
    ``train_masks``/``test_masks`` are ``(N, H, W)`` int64 class indices, 0 to
    ``len(classes) - 1``; ``classes`` names each class, the background first. The
    constructor checks all of this (a few milliseconds for thousands of images). Introduced
    in 08_fcn_segmentation.
    """

    train_images: torch.Tensor
    train_masks: torch.Tensor
    test_images: torch.Tensor
    test_masks: torch.Tensor
    classes: tuple[str, ...] = SHAPE_CLASSES

    def __post_init__(self) -> None:
        self._check()

    def _check(self, prefix: str = "") -> None:
        """Raise unless the fields are as documented; messages name each field ``prefix + name``.

        :func:`train_segmentation` checks its ``data`` again with ``prefix="data."``: the
        tensors' numbers can be changed in place after the data set is built.
        """
        classes = _check_classes(f"{prefix}classes", self.classes)
        why = f"{prefix}classes has {len(classes)} names"
        for split in ("train", "test"):
            name, mask_name = f"{prefix}{split}_images", f"{prefix}{split}_masks"
            images = _check_images(name, getattr(self, f"{split}_images"))
            if images.dtype != torch.float32:
                raise TypeError(f"{name} must hold float32 numbers, got dtype {images.dtype}; "
                                f"convert with {name}.float()")
            if images.requires_grad:
                raise ValueError(f"{name} requires grad; a data set holds plain numbers: pass "
                                 f"{name}.detach()")
            masks = getattr(self, f"{split}_masks")
            if isinstance(masks, torch.Tensor) and masks.dtype != torch.int64 and not (
                    masks.is_floating_point() or masks.is_complex()):
                raise TypeError(f"{mask_name} must hold int64 class indices, got dtype "
                                f"{masks.dtype}; convert with {mask_name}.long()")
            masks = _check_labels(mask_name, masks, len(classes), why)
            if masks.shape != (len(images), *images.shape[2:]):
                raise ValueError(f"{mask_name} {tuple(masks.shape)} must be (N, H, W) for "
                                 f"{name} {tuple(images.shape)}")

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


#: How many random colours ``_shape_colour`` tries before it settles for the farthest one.
_COLOUR_TRIES = 100


def _shape_colour(rng: np.random.Generator, under: np.ndarray) -> np.ndarray:
    """A random colour more than 0.6 (sum over RGB) from ``under``, the mean colour under the shape.

    Draws at most ``_COLOUR_TRIES`` candidates (each succeeds with probability 0.7 or more, so
    the first few nearly always do) and otherwise keeps the one farthest from ``under``.
    """
    colour, farthest = None, -1.0
    for _ in range(_COLOUR_TRIES):
        candidate = rng.uniform(0.0, 1.0, size=3).astype(np.float32)
        distance = float(np.abs(candidate - under).sum())
        if colour is None or distance > farthest:
            colour, farthest = candidate, distance
        if distance > 0.6:
            break
    return colour


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
        pixels = image[inside] if inside.any() else image.reshape(-1, 3)  # all, if none is inside
        colour = _shape_colour(rng, pixels.mean(axis=0))
        shade = rng.normal(0, 0.04, size=(size, size, 1)).astype(np.float32)
        image[inside] = (colour + shade)[inside]
        mask.paste(int(kind), mask=layer)
    return np.clip(image, 0.0, 1.0), np.asarray(mask, dtype=np.int64)


def _check_radius(radius: object, size: int) -> tuple[float, float]:
    """``radius`` as ``(low, high)`` floats; each shape must be a pixel or more in radius."""
    wanted = ("radius must be a pair (low, high) of fractions of size, e.g. (0.15, 0.3); "
              f"got {radius!r}")
    if isinstance(radius, str) or not isinstance(radius, Sequence):
        raise TypeError(wanted)
    if len(radius) != 2:
        raise ValueError(wanted)
    lo, hi = (check_number(f"radius[{i}]", r) for i, r in enumerate(radius))
    if not 0 < lo <= hi <= 0.5:
        raise ValueError(f"radius must be (low, high) with 0 < low <= high <= 0.5, got {radius!r}")
    if lo * size < 1:
        raise ValueError(
            f"radius {radius!r} gives shapes of radius {lo * size:.2g} pixels at size {size}, too "
            f"small to draw; the low end must be at least 1 pixel, {1 / size:.4g} of size {size}"
        )
    return lo, hi


def _check_options(size: object, max_shapes: object, radius: object, max_turn: object
                   ) -> tuple[int, int, tuple[float, float], float]:
    """The checked ``size``, ``max_shapes``, ``radius`` and ``max_turn`` of :func:`make_shapes`."""
    size = check_int("size", size, minimum=16)
    max_shapes = check_int("max_shapes", max_shapes, minimum=1)
    if max_shapes > len(SHAPE_CLASSES) - 1:
        raise ValueError(
            f"max_shapes must be at most {len(SHAPE_CLASSES) - 1} (one shape per class), "
            f"got {max_shapes}"
        )
    max_turn = check_number("max_turn", max_turn)
    if not 0 <= max_turn <= 180:
        raise ValueError(f"max_turn must be between 0 and 180 degrees, got {max_turn:g}")
    return size, max_shapes, _check_radius(radius, size), max_turn


def _check_count(name: str, count: object, size: int) -> int:
    """``count`` images of ``size`` x ``size``, refused before they are drawn when too many."""
    count = check_int(name, count, minimum=1)
    check_elements(f"{count} images of 3 x {size} x {size} ({name} {count})",
                   count * 3 * size * size,
                   f"Use at most {MAX_ELEMENTS // (3 * size * size):,} images of that size "
                   "(the notebook uses 3000 of 48 x 48).")
    return count


def make_shapes(num_images: int, size: int = 48, *, seed: int = 0, max_shapes: int = 3,
                radius: tuple[float, float] = (0.15, 0.3), max_turn: float = 0.0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """``num_images`` images ``(N, 3, size, size)`` in [0, 1] and their masks ``(N, size, size)``.

    Each image has a textured background and 1 to ``max_shapes`` shapes of
    different classes (``SHAPE_CLASSES``), each in a random colour that stands
    out from the background under it; a later shape covers an earlier one, and
    the mask says which class each pixel shows. Each shape's radius is drawn from
    ``radius`` (fractions of ``size``; at least 1 pixel) and it is turned by up to ``max_turn``
    degrees either way (0: squares and crosses axis-aligned, triangles upright).
    The same ``seed`` gives the same images. Introduced in 08_fcn_segmentation.
    """
    seed = check_int("seed", seed, minimum=0)
    size, max_shapes, radius, max_turn = _check_options(size, max_shapes, radius, max_turn)
    num_images = _check_count("num_images", num_images, size)
    rng = np.random.default_rng(seed)
    images = np.empty((num_images, 3, size, size), dtype=np.float32)
    masks = np.empty((num_images, size, size), dtype=np.int64)
    for i in range(num_images):
        image, mask = _one_image(rng, size, max_shapes, radius, max_turn)
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
    size, max_shapes, radius, max_turn = _check_options(size, max_shapes, radius, max_turn)
    num_test = _check_count("num_test", num_test, size)
    num_train = _check_count("num_train", num_train, size)
    train_seed, test_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2))
    options = {"max_shapes": max_shapes, "radius": radius, "max_turn": max_turn}
    train = make_shapes(num_train, size, seed=train_seed, **options)
    test = make_shapes(num_test, size, seed=test_seed, **options)
    return ShapesData(*train, *test)


def _convert_hint(name: str, value: object) -> str:
    """How to make a tensor of ``value`` when it is an array or a list, else nothing."""
    return f"; convert with torch.as_tensor({name})" if isinstance(value, np.ndarray | list) else ""


def _check_classes(name: str, classes: object) -> tuple[str, ...]:
    """``classes`` as a tuple of two or more class names, the background first."""
    wanted = (f"{name} must be a tuple of at least 2 class names (str), the background first, "
              f"e.g. SHAPE_CLASSES; got {classes!r}")
    if not isinstance(classes, tuple) or not all(isinstance(c, str) for c in classes):
        raise TypeError(wanted)
    if len(classes) < 2:
        raise ValueError(wanted)
    return classes


def _check_labels(name: str, value: object, num_classes: int, why: str) -> torch.Tensor:
    """``value`` as a tensor of integer class indices 0 to ``num_classes - 1`` (``why``: whence)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of class indices, got {type(value).__name__}"
                        + _convert_hint(name, value))
    if value.dtype.is_floating_point or value.dtype == torch.bool or value.dtype.is_complex:
        raise TypeError(
            f"{name} must hold integer class indices, got dtype {value.dtype}; "
            "for scores use .argmax(dim=1) first"
        )
    if value.numel():
        low, high = torch.aminmax(value)
        low, high = int(low), int(high)
        if low < 0 or high >= num_classes:
            raise ValueError(f"{name} holds class {low if low < 0 else high}; classes must be 0 to "
                             f"{num_classes - 1} ({why})")
    return value


def _check_images(name: str, images: object) -> torch.Tensor:
    """``images`` as a ``(N, 3, H, W)`` floating-point tensor, N, H, W >= 1, with finite pixels."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a tensor (N, 3, H, W) of floats in [0, 1], "
                        f"got {type(images).__name__}" + _convert_hint(name, images))
    if not images.dtype.is_floating_point:
        raise TypeError(f"{name} must hold floats in [0, 1], got dtype {images.dtype}; "
                        "for 0-255 values use .float() / 255 first")
    if images.dim() != 4 or images.shape[1] != 3 or 0 in images.shape:
        raise ValueError(f"{name} must be (N, 3, H, W) with N, H and W at least 1, "
                         f"got shape {tuple(images.shape)}")
    if not bool(torch.isfinite(torch.stack(torch.aminmax(images))).all()):  # NaN wins min and max
        first = int((~torch.isfinite(images).flatten(1).all(dim=1)).nonzero()[0])
        raise ValueError(f"{name}[{first}] holds NaN or infinite pixels; an image's pixels must be "
                         "finite numbers")
    return images


#: The most ``num_classes`` the metrics count: the confusion matrix holds num_classes**2 int64
#: counts, 128 MiB for 4096 classes (the shapes have 5; large benchmarks a few hundred).
_MAX_CLASSES = 4096


def confusion_matrix(prediction: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``(num_classes, num_classes)`` counts: row = true class, column = predicted class.

    ``num_classes`` is at most 4096, so the counts take at most 128 MiB. Introduced in
    08_fcn_segmentation.
    """
    num_classes = check_int("num_classes", num_classes, minimum=1)
    if num_classes > _MAX_CLASSES:
        raise ValueError(
            f"num_classes must be at most {_MAX_CLASSES:,}, got {num_classes:,}: the confusion "
            f"matrix holds num_classes**2 = {num_classes**2:,} counts "
            f"({num_classes**2 * 8 / 2**30:.1f} GiB)"
        )
    why = f"num_classes={num_classes}"
    prediction = _check_labels("prediction", prediction, num_classes, why)
    target = _check_labels("target", target, num_classes, why)
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    index = target.reshape(-1).long().cpu() * num_classes + prediction.reshape(-1).long().cpu()
    return torch.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def iou_per_class(prediction: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Intersection over union of each class; NaN for a class absent from both.

    Introduced in 08_fcn_segmentation.
    """
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
    """An ``(H, W)`` mask of class indices as an ``(H, W, 3)`` uint8 picture (``CLASS_COLORS``).

    Used by :func:`segmentation_grid` in 08_fcn_segmentation.
    """
    mask = _check_labels("mask", mask, len(CLASS_COLORS), "one colour per class in CLASS_COLORS")
    if mask.dim() != 2:
        raise ValueError(f"mask must be (H, W), got shape {tuple(mask.shape)}")
    return np.array(CLASS_COLORS, dtype=np.uint8)[mask.cpu().numpy()]


#: The most images :func:`segmentation_grid` draws (one column each).
_MAX_GRID_IMAGES = 32


def segmentation_grid(images: torch.Tensor, masks: torch.Tensor, predictions: torch.Tensor | None = None,
                      *, classes: tuple[str, ...] = SHAPE_CLASSES) -> Figure:
    """Rows of image / truth (/ prediction) for each image, with a colour key of the classes.

    ``images`` ``(N, 3, H, W)`` floats in [0, 1] (values outside are clipped for drawing), ``masks``
    and ``predictions`` ``(N, H, W)`` class indices 0 to ``len(classes) - 1``; N at most 32.
    ``classes`` names the classes in the colour key (at most one per colour of ``CLASS_COLORS``).
    Introduced in 08_fcn_segmentation.
    """
    classes = _check_classes("classes", classes)
    if len(classes) > len(CLASS_COLORS):
        raise ValueError(f"classes has {len(classes)} names but segmentation_grid has colours for "
                         f"{len(CLASS_COLORS)} classes (CLASS_COLORS); got {classes!r}")
    images = _check_images("images", images).detach()
    n, _, h, w = images.shape
    if n > _MAX_GRID_IMAGES:
        raise ValueError(f"images holds {n} images; segmentation_grid draws at most "
                         f"{_MAX_GRID_IMAGES} (pass a slice such as images[:6])")
    why = f"one per name in classes, which has {len(classes)}"
    masks = _check_labels("masks", masks, len(classes), why)
    if masks.shape != (n, h, w):
        raise ValueError(
            f"images must be (N, 3, H, W) and masks (N, H, W) with the same N, H and W, "
            f"got {tuple(images.shape)} and {tuple(masks.shape)}"
        )
    if predictions is not None:
        predictions = _check_labels("predictions", predictions, len(classes), why)
        if predictions.shape != masks.shape:
            raise ValueError(
                f"predictions {tuple(predictions.shape)} must match masks {tuple(masks.shape)}"
            )
    rows = ["image", "truth"] + (["prediction"] if predictions is not None else [])
    fig = new_figure(1.35 * n, 1.35 * len(rows) + 0.35, dpi=80)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for i in range(n):
        image = images[i].float().permute(1, 2, 0).clamp(0, 1).cpu().numpy()
        pictures = [image, colorize(masks[i])]
        if predictions is not None:
            pictures.append(colorize(predictions[i]))
        for r, picture in enumerate(pictures):
            ax = axes[r, i]
            ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(rows[r], fontsize=9)
    handles = [Patch(facecolor=np.array(c) / 255, label=name)
               for c, name in zip(CLASS_COLORS[:len(classes)], classes, strict=True)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    return fig
