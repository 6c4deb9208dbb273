"""Diagrams for convolutions (02_convolution_dimensions, 03_conv2d_parameters).

* :func:`conv_dimensions_figure`: Conv1d / Conv2d / Conv3d, the axes each kernel slides along.
* :func:`multichannel_figure`: a multi-channel 2D convolution, channel by channel.
* :func:`padding_modes_figure`: the four ``padding_mode`` values on a corner of a photo.
* :func:`groups_figure`: which input channels each output channel sees, for several ``groups``
  (an SVG of :func:`course_utils.scenes.conv2d.groups_scene`).

``conv2d_explorer`` (03) lives in ``course_utils.panels.conv2d``; ``group_connections`` and
``conv2d_line`` in ``course_utils.scenes.conv2d`` (imported here for older code).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from ._checks import check_elements, check_int
from ._threads import one_thread
from .draw.figures import Diagram, scene_figure
from .draw.plots import COLORS, _finite_tensor, new_figure
from .scenes.conv2d import PADDING_MODES, conv2d_line, group_connections, groups_scene

__all__ = [
    "PADDING_MODES",
    "conv_dimensions_figure",
    "padding_modes_figure",
    "groups_figure",
    "group_connections",
    "conv2d_line",
]

#: The most channel panels the multichannel figure draws.
_MAX_PANELS = 8


def _picture(name: str, image: object, channels: tuple[int, ...]) -> torch.Tensor:
    """A ``(C, H, W)`` float tensor with values in [0, 1] and ``C`` in ``channels``, detached."""
    layout = f"({' or '.join(map(str, channels))}, H, W)"
    if isinstance(image, torch.Tensor) and not (image.is_floating_point() or image.is_complex()):
        raise TypeError(f"{name} must hold floats in [0, 1], got a {image.dtype} tensor "
                        "(for 0-255 values: image.float() / 255)")
    image = _finite_tensor(name, image, 3, layout)
    if image.shape[0] not in channels:
        raise ValueError(f"{name} must be a {layout} tensor with values in [0, 1], got shape "
                         f"{tuple(image.shape)}")
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 1:
        raise ValueError(f"{name} must hold values in [0, 1], got values from {low:g} to {high:g}")
    return image


# --- 02: what the dimension of a convolution means ----------------------------------------

def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], text: str,
           offset: tuple[float, float] = (0, 0)) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 color=COLORS["highlight"], linewidth=1.8, clip_on=False, zorder=30))
    mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
    vertical = abs(end[0] - start[0]) < 1e-9
    ax.text(*mid, text, color=COLORS["highlight"], fontsize=10, ha="center", va="center",
            rotation=90 if vertical else 0, zorder=30)


def conv_dimensions_figure(photo: torch.Tensor | None = None) -> Figure:
    """Conv1d on a signal, Conv2d on a photo, Conv3d on a short clip: the red arrows are the
    axes the (orange) kernel slides along, and their number is the dimension of the convolution.

    ``photo`` is a ``(3, H, W)`` float tensor in [0, 1] (the course's photo when ``None``).
    Introduced in 02_convolution_dimensions.
    """
    if photo is None:
        from .images import load_image
        from .transforms import to_tensor

        photo = to_tensor(load_image("photo"))
    photo = _picture("photo", photo, (3,))
    small = F.interpolate(photo[None], size=(96, 96), mode="area")[0].permute(1, 2, 0).numpy()
    fig = new_figure(10.5, 3.4, dpi=90)
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1.15, 1.15, 1.2])

    # Every word at least 10 pt (12.5 px at 90 dpi), readable in a notebook at 100% zoom.
    # 1D: a signal, the kernel covers 9 samples and slides along time.
    t = np.arange(64)
    rng = np.random.default_rng(0)
    signal = np.sin(t / 5) + 0.35 * np.sin(t / 1.7) + 0.15 * rng.standard_normal(t.size)
    ax1.plot(t, signal, color=COLORS["input"], linewidth=1.2)
    ax1.plot(t, signal, ".", color=COLORS["input"], markersize=3)
    ax1.axvspan(20, 28, color=COLORS["kernel"], alpha=0.35, linewidth=0)
    _arrow(ax1, (20, -2.0), (44, -2.0), "slides along time (1 axis)", offset=(0, -0.38))
    ax1.set_ylim(-2.7, 1.8)
    ax1.set_title("Conv1d: a signal (C, L)\nkernel (C, k)", fontsize=10)
    ax1.set_yticks([])
    ax1.tick_params(labelsize=10)
    ax1.set_xlabel("time step", fontsize=10)

    # 2D: the photo's C = 3 channel planes one behind the other; the kernel is a box through all of
    # them (it covers every channel, so it cannot slide along the channels): it slides right and down.
    planes, shift = 3, 14
    tints = [np.array(c) for c in ((1.0, 0.2, 0.2), (0.2, 0.85, 0.2), (0.3, 0.45, 1.0))]
    for c in reversed(range(planes)):
        x0, y0 = c * shift, -c * shift
        plane = small[..., c:c + 1] * tints[c]  # channel c: from black to its own colour
        ax2.imshow(plane, extent=(x0, x0 + 96, y0 + 96, y0), zorder=10 - c)
        ax2.add_patch(Rectangle((x0, y0), 96, 96, fill=False, edgecolor="white", linewidth=1, zorder=10 - c))
    back = (planes - 1) * shift
    for x0, y0 in ((60, 12), (60 + back, 12 - back)):  # the box: its front and back faces, joined
        ax2.add_patch(Rectangle((x0, y0), 16, 16, fill=True, facecolor=COLORS["kernel"], alpha=0.55,
                                edgecolor=COLORS["kernel"], linewidth=2, zorder=20))
    for dx, dy in ((0, 0), (16, 0), (0, 16), (16, 16)):
        ax2.plot([60 + dx, 60 + back + dx], [12 + dy, 12 - back + dy], color=COLORS["kernel"], linewidth=1.5,
                 zorder=20)
    _arrow(ax2, (20, 104), (70, 104), "width", offset=(0, 9))
    _arrow(ax2, (-6, 20), (-6, 70), "height", offset=(-11, 0))
    ax2.text(96 + back + 6, 40 - back, "R, G, B:\nthe kernel\nspans all 3\nchannels", fontsize=10,
             color="#444444", ha="left", va="center")
    ax2.set_xlim(-24, 96 + back + 70)
    ax2.set_ylim(120, -back - 10)
    ax2.set_aspect("equal")
    ax2.set_axis_off()
    ax2.set_title("Conv2d: a photo (C, H, W)\nkernel (C, kH, kW), slides along 2 axes", fontsize=10)

    # 3D: a short clip (frames drawn like a deck of cards), the kernel is a box.
    frames, shift = 4, 22
    for f in reversed(range(frames)):
        x0, y0 = f * shift, -f * shift
        frame = np.roll(small, shift=6 * f, axis=1)
        ax3.imshow(frame, extent=(x0, x0 + 96, y0 + 96, y0), zorder=10 - f)
        ax3.add_patch(Rectangle((x0, y0), 96, 96, fill=False, edgecolor="white", linewidth=1,
                                zorder=10 - f))
    for f in range(2):  # the kernel spans 2 frames: one square on each, joined at the corners
        x0, y0 = 60 + f * shift, 12 - f * shift
        ax3.add_patch(Rectangle((x0, y0), 16, 16, fill=True, facecolor=COLORS["kernel"], alpha=0.5,
                                edgecolor=COLORS["kernel"], linewidth=2, zorder=20))
    for dx, dy in ((0, 0), (16, 0), (0, 16), (16, 16)):
        ax3.plot([60 + dx, 60 + shift + dx], [12 + dy, 12 - shift + dy], color=COLORS["kernel"],
                 linewidth=1.5, zorder=20)
    _arrow(ax3, (20, 104), (70, 104), "width", offset=(0, 9))
    _arrow(ax3, (-6, 20), (-6, 70), "height", offset=(-11, 0))
    _arrow(ax3, (-8, -12), (48, -68), "time / depth", offset=(-24, -8))
    ax3.set_xlim(-44, 96 + (frames - 1) * shift + 4)
    ax3.set_ylim(120, -(frames - 1) * shift - 10)
    ax3.set_aspect("equal")
    ax3.set_axis_off()
    ax3.set_title("Conv3d: a clip or volume (C, D, H, W)\nkernel (C, kD, kH, kW), slides along 3 axes\n"
                  "(each frame has its C channels)", fontsize=10)
    return fig


def padding_modes_figure(image: torch.Tensor, padding: int = 16, crop: int = 48) -> Figure:
    """The whole ``image`` padded by ``padding`` pixels with each of ``nn.Conv2d``'s padding
    modes, shown around its top-left ``crop`` x ``crop`` corner; the dashed square is the border
    of the real image (so ``'circular'`` shows pixels from the opposite borders).

    ``image`` is a ``(1 or 3, H, W)`` float tensor in [0, 1]. Introduced in 03_conv2d_parameters.
    """
    padding = check_int("padding", padding, minimum=1)
    crop = check_int("crop", crop, minimum=1)
    image = _picture("image", image, (1, 3))
    channels, height, width = image.shape
    if padding >= min(height, width):
        raise ValueError(f"padding ({padding}) must be smaller than the image's height and width "
                         f"{(height, width)} for 'reflect'")
    if crop > min(height, width):
        raise ValueError(f"crop ({crop}) must be at most the image's height and width {(height, width)}")
    check_elements(f"padding_modes_figure's padded image (padding {padding})",
                   channels * (height + 2 * padding) * (width + 2 * padding), "Use a smaller image or padding.")
    fig = new_figure(10.0, 2.9, dpi=90)
    axes = fig.subplots(1, 4)
    for ax, (mode, pad_mode) in zip(axes, PADDING_MODES.items(), strict=True):
        with one_thread():
            padded = F.pad(image[None], (padding,) * 4, mode=pad_mode)[0]
        corner = padded[:, :padding + crop, :padding + crop]
        shown = corner.permute(1, 2, 0).numpy()
        ax.imshow(shown if shown.shape[2] == 3 else shown[:, :, 0], cmap="gray", vmin=0, vmax=1)
        ax.add_patch(Rectangle((padding - 0.5, padding - 0.5), crop + 1, crop + 1, fill=False,
                               edgecolor=COLORS["highlight"], linestyle="--", linewidth=1.5))
        ax.set_axis_off()
        ax.set_title(f"padding_mode='{mode}'", fontsize=9)
    return fig


def groups_figure(in_channels: int = 8, out_channels: int = 8, groups: Sequence[int] = (1, 2, 8),
                  kernel_size: int = 3) -> Diagram:
    """Which input channels (rows) each output channel (columns) sees, one grid per ``groups`` value:
    an orange cell is a ``kernel_size`` x ``kernel_size`` slice of weights; each title counts the
    weights of the layer (bias aside). An SVG from the course's grid renderer.

    Introduced in 03_conv2d_parameters.
    """
    return scene_figure(groups_scene(in_channels, out_channels, groups, kernel_size))
