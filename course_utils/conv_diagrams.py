"""Diagrams and the explorer panel for convolutions (02_convolution_dimensions, 03_conv2d_parameters).

* :func:`conv_dimensions_figure`: Conv1d / Conv2d / Conv3d, the axes each kernel slides along.
* :func:`multichannel_figure`: a multi-channel 2D convolution, channel by channel.
* :func:`padding_modes_figure`: the four ``padding_mode`` values on a corner of a photo.
* :func:`groups_figure`: which input channels each output channel sees, for several ``groups``.
* :func:`conv2d_explorer`: every ``nn.Conv2d`` argument on sliders, with the sliding windows,
  the output grid, the output-size formula with the numbers, and the shape checked by PyTorch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle
from torch import nn

from ._checks import check_choice, check_elements, check_int, check_number
from ._small_ops import ReusedAxesFigure, one_thread
from .conv.sizes import conv_output_size
from .plotting import COLORS, _finite_tensor, draw_grid, new_figure, role_cmap
from .widgets import Explorer, check_in_range, check_option, dropdown, int_slider

__all__ = [
    "PADDING_MODES",
    "conv_dimensions_figure",
    "multichannel_figure",
    "padding_modes_figure",
    "groups_figure",
    "group_connections",
    "conv2d_line",
    "conv2d_explorer",
]

#: ``nn.Conv2d``'s padding modes and the ``F.pad`` mode each one uses.
PADDING_MODES: dict[str, str] = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


#: The most channels the diagrams draw (one cell per channel), and the most panels in a row.
_MAX_CHANNELS, _MAX_PANELS = 64, 8


def _check_channels(name: str, value: object) -> int:
    value = check_int(name, value, minimum=1)
    if value > _MAX_CHANNELS:
        raise ValueError(f"{name} must be between 1 and {_MAX_CHANNELS}: the diagram draws one cell per "
                         f"channel, got {value:,}")
    return value


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
    ax.text(*mid, text, color=COLORS["highlight"], fontsize=8, ha="center", va="center",
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
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1.25, 1, 1.25])

    # 1D: a signal, the kernel covers 9 samples and slides along time.
    t = np.arange(64)
    rng = np.random.default_rng(0)
    signal = np.sin(t / 5) + 0.35 * np.sin(t / 1.7) + 0.15 * rng.standard_normal(t.size)
    ax1.plot(t, signal, color=COLORS["input"], linewidth=1.2)
    ax1.plot(t, signal, ".", color=COLORS["input"], markersize=3)
    ax1.axvspan(20, 28, color=COLORS["kernel"], alpha=0.35, linewidth=0)
    _arrow(ax1, (20, -2.0), (44, -2.0), "slides along time (1 axis)", offset=(0, -0.35))
    ax1.set_ylim(-2.7, 1.8)
    ax1.set_title("Conv1d: a signal (C, L)\nkernel (C, k)", fontsize=9)
    ax1.set_yticks([])
    ax1.tick_params(labelsize=7)
    ax1.set_xlabel("time step", fontsize=8)

    # 2D: a photo, the kernel is a square window sliding right and down.
    ax2.imshow(small)
    ax2.add_patch(Rectangle((60, 12), 16, 16, fill=True, facecolor=COLORS["kernel"], alpha=0.6,
                            edgecolor=COLORS["kernel"], linewidth=2.5))
    _arrow(ax2, (20, -6), (70, -6), "width", offset=(0, -6))
    _arrow(ax2, (-6, 20), (-6, 70), "height", offset=(-8, 0))
    ax2.set_xlim(-20, 97)
    ax2.set_ylim(97, -18)
    ax2.set_axis_off()
    ax2.set_title("Conv2d: a photo (C, H, W)\nkernel (C, kH, kW), slides along 2 axes", fontsize=9)

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
    _arrow(ax3, (20, 104), (70, 104), "width", offset=(0, 8))
    _arrow(ax3, (-6, 20), (-6, 70), "height", offset=(-10, 0))
    _arrow(ax3, (-8, -12), (48, -68), "time / depth", offset=(-22, -8))
    ax3.set_xlim(-40, 96 + (frames - 1) * shift + 4)
    ax3.set_ylim(118, -(frames - 1) * shift - 10)
    ax3.set_aspect("equal")
    ax3.set_axis_off()
    ax3.set_title("Conv3d: a clip or volume (C, D, H, W)\nkernel (C, kD, kH, kW), slides along 3 axes",
                  fontsize=9)
    return fig


def multichannel_figure(x: torch.Tensor, weight: torch.Tensor, bias: float = 0.0) -> Figure:
    """One output channel of a multi-channel 2D convolution, drawn channel by channel.

    ``x`` is ``(C, H, W)``, ``weight`` is ``(C, kH, kW)`` (one output channel's kernel: a 3D
    block). Row ``c`` shows input channel ``c``, kernel slice ``c`` and their 2D
    cross-correlation; the last panel is the sum over channels (plus ``bias``): the output.
    Integer tensors are computed in float32 (torch's promotion); NaN and inf are refused.
    Introduced in 02_convolution_dimensions.
    """
    x = _finite_tensor("x", x, 3, "(C, H, W)")
    weight = _finite_tensor("weight", weight, 3, "(C, kH, kW)")
    bias = check_number("bias", bias)
    if weight.shape[0] != x.shape[0]:
        raise ValueError(
            f"weight must be a (C, kH, kW) tensor with C = {x.shape[0]} (the channels of x), "
            f"got {tuple(weight.shape)}"
        )
    channels, height, width = x.shape
    if channels > _MAX_PANELS or max(height, width) > 16:
        raise ValueError(f"x is {tuple(x.shape)}: this figure draws at most {_MAX_PANELS} channels "
                         "of at most 16 x 16 numbers")
    if weight.shape[1] > height or weight.shape[2] > width:
        raise ValueError(f"weight's kernel {tuple(weight.shape[1:])} must fit in x's height and width "
                         f"{(height, width)}")
    dtype = torch.promote_types(x.dtype, weight.dtype)
    x, weight = x.to(dtype), weight.to(dtype)
    with one_thread():
        parts = F.conv2d(x[None], weight[:, None], groups=channels)[0]  # (C, H', W') per channel
    out = parts.sum(0) + bias
    fig = new_figure(9.0, 2.1 * channels + 0.4, dpi=90)
    grid = fig.add_gridspec(channels, 4, width_ratios=[1.2, 1, 1, 1.1])
    names = ["R", "G", "B"] if channels == 3 else [str(c) for c in range(channels)]
    for c in range(channels):
        draw_grid(fig.add_subplot(grid[c, 0]), x[c], "input", title=f"input channel {names[c]}")
        draw_grid(fig.add_subplot(grid[c, 1]), weight[c], "kernel", title=f"kernel slice {c}")
        draw_grid(fig.add_subplot(grid[c, 2]), parts[c], "output",
                  title=f"cross-correlation of\nchannel {names[c]} and slice {c}")
    ax = fig.add_subplot(grid[:, 3])
    draw_grid(ax, out, "output", title="output = sum of the three\n(one 2D map)"
              if channels == 3 else "output = sum over channels")
    ax.set_box_aspect(1)
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


def group_connections(in_channels: int, out_channels: int, groups: int) -> torch.Tensor:
    """``(out_channels, in_channels)`` matrix of 0/1: 1 where output channel o uses input channel i.

    Introduced in 03_conv2d_parameters.
    """
    in_channels = check_int("in_channels", in_channels, minimum=1)
    out_channels = check_int("out_channels", out_channels, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"{name} ({value}) must be divisible by groups ({groups})")
    check_elements(f"group_connections(in_channels={in_channels}, out_channels={out_channels})",
                   in_channels * out_channels, "Use fewer channels.")
    group_of_out = torch.arange(out_channels) // (out_channels // groups)
    group_of_in = torch.arange(in_channels) // (in_channels // groups)
    return (group_of_out[:, None] == group_of_in[None, :]).float()


def _cell_lines(ax: Axes, rows: int, cols: int) -> None:
    """White lines between the cells of an imshow grid (two artists, no tick objects)."""
    ax.hlines(np.arange(-0.5, rows), -0.5, cols - 0.5, color="white", linewidth=1)
    ax.vlines(np.arange(-0.5, cols), -0.5, rows - 0.5, color="white", linewidth=1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw_connections(ax: Axes, in_channels: int, out_channels: int, groups: int,
                      kernel: int = 3) -> None:
    mask = group_connections(in_channels, out_channels, groups).numpy()
    colours = np.ones((*mask.shape, 3))
    colours[mask > 0] = to_rgb(COLORS["kernel"])
    colours[mask == 0] = to_rgb(COLORS["padding"])
    ax.imshow(colours, interpolation="nearest", aspect="equal")
    _cell_lines(ax, out_channels, in_channels)
    ax.set_xlim(-0.5, in_channels - 0.5)
    ax.set_ylim(out_channels - 0.5, -0.5)
    ax.set_xlabel(f"{in_channels} input channels", fontsize=8.5)
    ax.set_ylabel(f"{out_channels} output channels", fontsize=8.5)
    weights = out_channels * (in_channels // groups) * kernel * kernel
    ax.set_title(f"groups={groups}: {weights} weights", fontsize=9.5)


def groups_figure(in_channels: int = 8, out_channels: int = 8, groups: Sequence[int] = (1, 2, 8),
                  kernel_size: int = 3) -> Figure:
    """Which input channels each output channel sees (orange), one panel per ``groups`` value;
    the title counts the weights of a ``kernel_size`` x ``kernel_size`` layer (bias aside).

    Introduced in 03_conv2d_parameters.
    """
    in_channels = _check_channels("in_channels", in_channels)
    out_channels = _check_channels("out_channels", out_channels)
    if not isinstance(groups, Sequence) or isinstance(groups, str):
        raise TypeError(f"groups must be a list of group counts, e.g. (1, 2, 8), got {groups!r}")
    if not 1 <= len(groups) <= _MAX_PANELS:
        raise ValueError(f"groups must contain 1 to {_MAX_PANELS} values (one panel each), got {len(groups)}")
    groups = [check_int(f"groups[{i}]", g, minimum=1) for i, g in enumerate(groups)]
    k = check_int("kernel_size", kernel_size, minimum=1)
    fig = new_figure(2.6 * len(groups), 2.9, dpi=90)
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, g in zip(axes, groups, strict=True):
        _draw_connections(ax, in_channels, out_channels, g, k)
    return fig


# --- 03: the explorer ------------------------------------------------------------------------

def conv2d_line(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                padding_mode: str = "zeros") -> str:
    """The ``nn.Conv2d(...)`` call for these arguments, leaving out those at their default (03)."""
    for name, value, minimum in (("in_channels", in_channels, 1), ("out_channels", out_channels, 1),
                                 ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                 ("dilation", dilation, 1), ("groups", groups, 1)):
        check_int(name, value, minimum=minimum)
    if padding not in ("valid", "same"):
        check_int("padding", padding, minimum=0)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    check_choice("padding_mode", padding_mode, list(PADDING_MODES))
    parts = [str(in_channels), str(out_channels), f"kernel_size={kernel_size}"]
    for name, value, default in (("stride", stride, 1), ("padding", padding, 0),
                                 ("dilation", dilation, 1), ("groups", groups, 1),
                                 ("bias", bias, True), ("padding_mode", padding_mode, "zeros")):
        if value != default:
            parts.append(f"{name}={value!r}")
    return f"nn.Conv2d({', '.join(parts)})"


def _pads(padding: int | str, kernel: int, dilation: int) -> tuple[int, int]:
    """(before, after) padding of one axis; 'same' puts the odd pixel after, as PyTorch does."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2
    return int(padding), int(padding)


_FONTS: dict[int, object] = {}


def _numbers_image(values: np.ndarray, dark: np.ndarray, cell: int = 28) -> np.ndarray:
    """An RGBA image with each value written in the top-left corner of its cell.

    Pillow writes the 49 numbers of a 7 x 7 grid in about 2 ms, where 49 matplotlib
    text artists take about 35 ms to draw; the panel shows this image over the grid.
    """
    from PIL import Image, ImageDraw, ImageFont

    if cell not in _FONTS:
        _FONTS[cell] = ImageFont.load_default(size=round(cell * 0.4))
    rows, cols = values.shape
    image = Image.new("RGBA", (cols * cell, rows * cell), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for (y, x), v in np.ndenumerate(values):
        colour = (255, 255, 255, 255) if dark[y, x] else (85, 85, 85, 255)
        draw.text((x * cell + 3, y * cell + 2), f"{v:.0f}", fill=colour, font=_FONTS[cell])
    return np.asarray(image)


def _divisors_of_both(a: int, b: int) -> list[int]:
    """The common divisors of ``a`` and ``b`` (the divisors of their gcd), in order: sqrt(gcd) steps."""
    g = math.gcd(a, b)
    small = [d for d in range(1, math.isqrt(g) + 1) if g % d == 0]
    return sorted({*small, *(g // d for d in small)})


class _Conv2dPanel:
    """The draw and adapt functions of :func:`conv2d_explorer` (channel counts fixed)."""

    MAX_KERNEL, MAX_DILATION = 5, 3

    def __init__(self, in_channels: int, out_channels: int) -> None:
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.last_padded: np.ndarray | None = None  # the numbers last shown (for tests)

    # ranges -------------------------------------------------------------------------------
    def adapt(self, controls: Mapping[str, object]) -> None:
        height, width = controls["height"].value, controls["width"].value
        kernel, dilation = controls["kernel"].value, controls["dilation"].value
        padding = controls["padding"].value
        if padding == "same":
            k_max, d_max, h_min, w_min = self.MAX_KERNEL, self.MAX_DILATION, 1, 1
        else:
            p = 0 if padding == "valid" else int(padding)
            room = min(height, width) + 2 * p  # the kernel's span must fit in here
            k_max = min(self.MAX_KERNEL, (room - 1) // dilation + 1)
            d_max = self.MAX_DILATION if kernel == 1 else min(self.MAX_DILATION, (room - 1) // (kernel - 1))
            span = dilation * (kernel - 1) + 1
            h_min = w_min = max(1, span - 2 * p)
        # Never shrink a range past the current value: if a drop-down made the setting
        # impossible, the panel says why instead of silently moving a slider.
        controls["kernel"].max = max(1, k_max, kernel)
        controls["dilation"].max = max(1, d_max, dilation)
        controls["height"].min = min(h_min, height)
        controls["width"].min = min(w_min, width)

    # drawing ------------------------------------------------------------------------------
    def check(self, height: int, width: int, kernel: int, stride: int, padding: int | str,
              dilation: int, padding_mode: str) -> tuple[int, int]:
        """Output (H, W), or a ValueError naming the argument that makes it impossible."""
        if padding == "same" and stride != 1:
            raise ValueError(
                f"padding='same' needs stride=1 (got stride={stride}): with a stride the output "
                "cannot have the input's size, so PyTorch refuses it. Choose a number for padding"
            )
        pad = _pads(padding, kernel, dilation)[1]
        if padding_mode == "reflect" and pad >= min(height, width):
            raise ValueError(
                f"padding_mode='reflect' needs padding ({pad}) smaller than the input's height "
                f"({height}) and width ({width}): it mirrors pixels from inside the input"
            )
        if padding_mode == "circular" and pad > min(height, width):
            raise ValueError(
                f"padding_mode='circular' needs padding ({pad}) at most the input's height "
                f"({height}) and width ({width}): it wraps around the input only once"
            )
        sizes = []
        for axis, size in (("height", height), ("width", width)):
            try:
                sizes.append(conv_output_size(size, kernel, stride, padding, dilation))
            except ValueError as exc:
                raise ValueError(f"input {axis} {size}: {exc}") from None
        return sizes[0], sizes[1]

    def draw(self, fig: Figure, height: int, width: int, padding: int | str, dilation: int,
             kernel: int, stride: int, groups: int, padding_mode: str) -> str:
        h_out, w_out = self.check(height, width, kernel, stride, padding, dilation, padding_mode)
        (top, bottom), (left, right) = _pads(padding, kernel, dilation), _pads(padding, kernel, dilation)
        span = dilation * (kernel - 1) + 1

        # torch: the real layer on a real input, and the padded input it sees
        line = conv2d_line(self.in_channels, self.out_channels, kernel, stride, padding, dilation,
                           groups, padding_mode=padding_mode)
        with one_thread(), torch.no_grad(), warnings.catch_warnings():
            # 'same' with an even kernel: PyTorch warns that it pads a copy of the input
            warnings.simplefilter("ignore", UserWarning)
            layer = nn.Conv2d(self.in_channels, self.out_channels, kernel, stride, padding, dilation,
                              groups, padding_mode=padding_mode)
            shape = tuple(layer(torch.zeros(1, self.in_channels, height, width)).shape)
            values = torch.arange(1.0, height * width + 1).reshape(1, 1, height, width)
            if padding_mode == "zeros":
                padded = F.pad(values, (left, right, top, bottom))
            else:
                padded = F.pad(values, (left, right, top, bottom), mode=PADDING_MODES[padding_mode])
        padded = padded[0, 0].numpy()
        ph, pw = padded.shape
        is_pad = np.ones((ph, pw), dtype=bool)
        is_pad[top:top + height, left:left + width] = False

        # colours: data in the input colour; padding grey (zeros) or a paler copy (other modes)
        cmap = role_cmap("input")
        rgb = cmap((padded - 1) / max(1, height * width - 1))[..., :3]
        if padding_mode == "zeros":
            rgb[is_pad] = to_rgb(COLORS["padding"])
        else:
            rgb[is_pad] = 0.45 * rgb[is_pad] + 0.55 * np.array(to_rgb(COLORS["padding"]))
        taps = (slice(0, span, dilation), slice(0, span, dilation))  # the first window's taps: orange
        rgb[taps] = 0.25 * rgb[taps] + 0.75 * np.array(to_rgb(COLORS["kernel"]))

        if isinstance(fig, ReusedAxesFigure):
            ax_in, ax_out, ax_groups = fig.panel_axes(3, width_ratios=[1.5, 1.0, 0.75], left=0.02,
                                                      right=0.99, top=0.86, bottom=0.12, wspace=0.25)
        else:
            ax_in, ax_out, ax_groups = fig.subplots(1, 3, width_ratios=[1.5, 1.0, 0.75])
        ax_in.imshow(rgb, interpolation="nearest")
        ax_in.set_xlim(-0.5, pw - 0.5)
        ax_in.set_ylim(ph - 0.5, -0.5)
        self._grid_lines(ax_in, ph, pw)
        self.last_padded = padded
        if ph * pw <= 100:  # numbers only where they stay readable
            dark = ((padded - 1) / max(1, height * width - 1) > 0.6) & ~is_pad
            ax_in.imshow(_numbers_image(padded, dark), extent=(-0.5, pw - 0.5, ph - 0.5, -0.5), zorder=3)
        ax_in.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False,
                                  edgecolor=COLORS["input"], linewidth=1.5, linestyle="--", zorder=4))
        # the first window (solid), the last one (dashed), the kernel's taps in the first window
        ax_in.add_patch(Rectangle((-0.5, -0.5), span, span, fill=False, edgecolor=COLORS["highlight"],
                                  linewidth=2.2, zorder=5))
        last_y, last_x = (h_out - 1) * stride, (w_out - 1) * stride
        if (h_out, w_out) != (1, 1):
            ax_in.add_patch(Rectangle((last_x - 0.5, last_y - 0.5), span, span, fill=False,
                                      edgecolor=COLORS["highlight"], linewidth=1.4, linestyle=":",
                                      zorder=5))
        cy = np.arange(h_out) * stride + (span - 1) / 2
        cx = np.arange(w_out) * stride + (span - 1) / 2
        gy, gx = np.meshgrid(cy, cx, indexing="ij")
        ax_in.scatter(gx.ravel(), gy.ravel(), marker="o", s=7, color=COLORS["highlight"], zorder=4)
        ax_in.set_title(f"input {height}x{width}, padded {ph}x{pw}", fontsize=9.5)

        out_rgb = np.empty((h_out, w_out, 3))
        out_rgb[:] = to_rgb(COLORS["output"])
        out_rgb[1:, :] = 0.6 * out_rgb[1:, :] + 0.4
        out_rgb[:, 1:] = 0.6 * out_rgb[:, 1:] + 0.4
        ax_out.imshow(out_rgb, interpolation="nearest")
        self._grid_lines(ax_out, h_out, w_out)
        ax_out.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=COLORS["highlight"],
                                   linewidth=2.2))
        ax_out.set_xlim(-0.5, max(w_out, 3) - 0.5)
        ax_out.set_ylim(max(h_out, 3) - 0.5, -0.5)
        ax_out.set_title(f"output {h_out}x{w_out}", fontsize=9.5, color=COLORS["output"])
        _draw_connections(ax_groups, self.in_channels, self.out_channels, groups, kernel)

        return self._caption(height, width, padding, dilation, kernel, stride, groups, h_out, w_out,
                             shape, line, (top, bottom), (left, right), ph, pw, span)

    @staticmethod
    def _grid_lines(ax: Axes, rows: int, cols: int) -> None:
        _cell_lines(ax, rows, cols)

    def _caption(self, height, width, padding, dilation, kernel, stride, groups, h_out, w_out,
                 shape, line, pad_h, pad_w, ph, pw, span) -> str:
        lines = ["red: the first window (orange: its taps); dots: the centre of every window"]
        for axis, size, out, pads, padded in (("H", height, h_out, pad_h, ph), ("W", width, w_out, pad_w, pw)):
            if padding == "same":
                lines.append(f"{axis}_out = {axis} = {out}   (padding='same' adds d(k-1) = {sum(pads)}: "
                             f"{pads[0]} before, {pads[1]} after)")
            else:
                p = pads[0]
                lines.append(
                    f"{axis}_out = floor(({axis} + 2p - d(k-1) - 1)/s) + 1 = "
                    f"floor(({size} + 2*{p} - {dilation}*({kernel}-1) - 1)/{stride}) + 1 = {out}"
                )
            unused = padded - ((out - 1) * stride + span)
            if unused:
                what = ("row" if axis == "H" else "column") + ("s are" if unused > 1 else " is")
                lines[-1] += f"   [the last {unused} padded {what} never visited]"
        expected = (1, self.out_channels, h_out, w_out)
        verdict = "matches the formula" if shape == expected else f"DIFFERS from the formula {expected}"
        lines.append(f"torch: {line}(torch.zeros(1, {self.in_channels}, {height}, {width})).shape = "
                     f"{shape}  {verdict}")
        per = self.in_channels // groups
        lines.append(f"weight ({self.out_channels}, {per}, {kernel}, {kernel}): "
                     f"{self.out_channels * per * kernel * kernel} weights + {self.out_channels} biases")
        return "\n".join(lines)


def conv2d_explorer(height: int = 5, width: int = 5, kernel: int = 3, stride: int = 2,
                    padding: int | str = 1, dilation: int = 1, groups: int = 1,
                    padding_mode: str = "zeros", in_channels: int = 4,
                    out_channels: int = 8) -> Explorer:
    """Panel for 03_conv2d_parameters: every ``nn.Conv2d`` argument on a control.

    Draws the input (numbered pixels) with its padding, the first window (red, with the
    kernel's taps in orange) and every window's centre, the output grid, and which input
    channels each output channel sees (``groups``). The caption gives the output-size formula
    with the numbers, the shape PyTorch computes and the ``nn.Conv2d(...)`` line. Ranges
    shrink so the kernel always fits; the remaining impossible settings show a sentence.
    Every argument must be a value its control can show (channels: 1 to 64).
    """
    in_channels = _check_channels("in_channels", in_channels)
    out_channels = _check_channels("out_channels", out_channels)
    options = _divisors_of_both(in_channels, out_channels)
    groups = check_option("groups", groups, options)
    padding_mode = check_option("padding_mode", padding_mode, list(PADDING_MODES))
    padding = check_option("padding", padding, [0, 1, 2, 3, "valid", "same"])
    height, width = check_in_range("height", height, 1, 8), check_in_range("width", width, 1, 8)
    kernel, stride = check_in_range("kernel", kernel, 1, 5), check_in_range("stride", stride, 1, 3)
    dilation = check_in_range("dilation", dilation, 1, 3)
    panel = _Conv2dPanel(in_channels, out_channels)
    controls = {
        "height": int_slider("input height H", height, 1, 8),
        "width": int_slider("input width W", width, 1, 8),
        "padding": dropdown("padding", [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("'valid'", "valid"),
                                        ("'same'", "same")], padding),
        "dilation": int_slider("dilation", dilation, 1, 3),
        "kernel": int_slider("kernel_size", kernel, 1, 5),
        "stride": int_slider("stride", stride, 1, 3),
        "groups": dropdown("groups", options, groups),
        "padding_mode": dropdown("padding_mode", list(PADDING_MODES), padding_mode),
    }
    return Explorer(panel.draw, controls, adapt=panel.adapt, dpi=80,
                        figure=ReusedAxesFigure(figsize=(8.4, 3.1), dpi=80),  # axes kept between redraws
                        title=f"nn.Conv2d({in_channels}, {out_channels}, ...): move the sliders")
