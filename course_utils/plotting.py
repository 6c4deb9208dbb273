"""The course's one colour language for diagrams (used from 02 onwards).

Input cells are blue, kernel cells orange, output cells green; zeros that
padding or stride insert are light grey with a hatch, so they never look like
data. Every diagram labels its panels with these roles. Figures are built with
``matplotlib.figure.Figure`` (not pyplot), so widgets can redraw them quickly
and nothing is left open in pyplot's global state.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from PIL import Image

__all__ = [
    "COLORS",
    "ROLES",
    "role_cmap",
    "CourseFigure",
    "new_figure",
    "draw_grid",
    "outline_cells",
    "role_legend",
    "show_images",
    "figure_to_png",
]

#: One colour per role, the same in every diagram of the course.
COLORS: dict[str, str] = {
    "input": "#3b75af",  # blue
    "kernel": "#ef8636",  # orange
    "output": "#519e3e",  # green
    "padding": "#d9d9d9",  # light grey: zeros that padding adds
    "inserted": "#ececec",  # lighter grey: zeros that stride/dilation insert
    "highlight": "#c53a32",  # red: the window or cell being discussed
    "text": "#222222",
}

#: Human-readable label of each role, used in legends and panel titles.
ROLES: dict[str, str] = {
    "input": "input",
    "kernel": "kernel",
    "output": "output",
    "padding": "padding zeros",
    "inserted": "inserted zeros",
}

_CMAPS: dict[str, LinearSegmentedColormap] = {}


def role_cmap(role: str) -> LinearSegmentedColormap:
    """A colour map from a pale tint to the role's full colour (small values pale)."""
    if role not in ("input", "kernel", "output"):
        raise ValueError(f"role must be 'input', 'kernel' or 'output', got {role!r}")
    if role not in _CMAPS:
        full = np.array(to_rgb(COLORS[role]))
        pale = 1 - 0.16 * (1 - full)
        _CMAPS[role] = LinearSegmentedColormap.from_list(role, [pale, 0.55 * full + 0.45 * pale, full])
    return _CMAPS[role]


class CourseFigure(Figure):
    """A ``Figure`` that Jupyter shows as a PNG when it is a cell's last expression.

    Plain ``Figure`` objects are only shown once pyplot's inline backend is active;
    the course's figures do not need pyplot at all.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def new_figure(width: float = 6.4, height: float = 3.2, *, dpi: int = 100) -> CourseFigure:
    """A figure detached from pyplot, displayed by Jupyter when it is a cell's last expression."""
    return CourseFigure(figsize=(width, height), dpi=dpi, layout="constrained")


def _as_array(values: object) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"values must be a 2D grid, got shape {array.shape}")
    return array


def _fmt(value: float, fmt: str | None) -> str:
    if fmt is not None:
        return format(value, fmt)
    text = f"{value:.3g}"
    return "0" if text in ("-0", "0") else text


def draw_grid(
    ax: Axes,
    values: object,
    role: str = "input",
    *,
    zeros: np.ndarray | None = None,
    zero_role: str = "padding",
    annotate: bool = True,
    fmt: str | None = None,
    title: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    fontsize: float | None = None,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """Draw a 2D grid of numbers as coloured cells in the role's colour.

    The shade grows with the magnitude ``|value|`` (pale near zero, full colour at
    the largest magnitude, or at ``vmax`` when given), so signs never change colours.

    ``zeros`` is a boolean mask of cells that are structural zeros (padding or
    inserted by stride/dilation); they are drawn grey and hatched, in the colour
    of ``zero_role``. ``origin`` shifts the cell coordinates, so a padded input
    can keep the original input's indices (the padding then has negative ones).
    """
    array = _as_array(values)
    rows, cols = array.shape
    r0, c0 = origin
    extent = (c0 - 0.5, c0 + cols - 0.5, r0 + rows - 0.5, r0 - 0.5)
    magnitude = np.abs(array)
    shown = np.ma.masked_array(magnitude, mask=zeros) if zeros is not None else magnitude
    finite = magnitude[np.isfinite(magnitude)] if zeros is None else magnitude[~zeros & np.isfinite(magnitude)]
    lo = vmin if vmin is not None else 0.0
    hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    ax.imshow(shown, cmap=role_cmap(role), vmin=lo, vmax=hi, extent=extent, interpolation="nearest")
    if zeros is not None and zeros.any():
        grey = np.zeros((rows, cols, 4))
        grey[zeros] = (*to_rgb(COLORS[zero_role]), 1.0)
        ax.imshow(grey, extent=extent, interpolation="nearest")
        ys, xs = np.nonzero(zeros)
        for y, x in zip(ys, xs, strict=True):
            ax.add_patch(
                Rectangle((c0 + x - 0.5, r0 + y - 0.5), 1, 1, fill=False, hatch="///",
                          edgecolor="#b0b0b0", linewidth=0)
            )
    ax.set_xticks(np.arange(c0, c0 + cols))
    ax.set_yticks(np.arange(r0, r0 + rows))
    ax.set_xticks(np.arange(c0 - 0.5, c0 + cols), minor=True)
    ax.set_yticks(np.arange(r0 - 0.5, r0 + rows), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0, labelsize=7)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if annotate:
        size = fontsize if fontsize is not None else max(5.0, min(11.0, 60.0 / max(rows, cols)))
        threshold = lo + 0.6 * (hi - lo)
        for (y, x), v in np.ndenumerate(array):
            structural = zeros is not None and zeros[y, x]
            ax.text(
                c0 + x, r0 + y, _fmt(v, fmt), ha="center", va="center", fontsize=size,
                color="#888888" if structural else ("white" if abs(v) > threshold else COLORS["text"]),
                style="italic" if structural else "normal",
            )
    if title is not None:
        ax.set_title(title, fontsize=10, color=COLORS.get(role, COLORS["text"]))


def outline_cells(
    ax: Axes, top: int, left: int, height: int, width: int, *, color: str | None = None, lw: float = 2.5
) -> Rectangle:
    """Draw a rectangle around cells ``[top, top+height) x [left, left+width)`` (e.g. one window)."""
    rect = Rectangle(
        (left - 0.5, top - 0.5), width, height, fill=False,
        edgecolor=color or COLORS["highlight"], linewidth=lw,
    )
    ax.add_patch(rect)
    return rect


def role_legend(fig: Figure, roles: Sequence[str] = ("input", "kernel", "output", "padding")) -> None:
    """Add the colour key (input / kernel / output / zeros) under the figure."""
    handles = [
        Patch(facecolor=COLORS[r], edgecolor="#b0b0b0", hatch="///" if r in ("padding", "inserted") else None,
              label=ROLES[r])
        for r in roles
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)


def show_images(
    images: Sequence[Image.Image | np.ndarray | torch.Tensor],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    width: float = 3.0,
    cmap: str = "gray",
) -> Figure:
    """Show images side by side (PIL images, HxW(xC) arrays or (C,H,W) tensors in [0,1])."""
    if len(images) == 0:
        raise ValueError("images must contain at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images")
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    first = images[0]
    h, w = (first.size[1], first.size[0]) if isinstance(first, Image.Image) else tuple(
        first.shape[-2:] if isinstance(first, torch.Tensor) and first.dim() == 3 else np.shape(first)[:2]
    )
    panel_height = width * h / w + (0.35 if titles is not None else 0.1)
    fig = new_figure(width * ncols, panel_height * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= len(images):
            continue
        item = images[i]
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu()
            item = item.permute(1, 2, 0).numpy() if item.dim() == 3 else item.numpy()
            if item.ndim == 3 and item.shape[2] == 1:
                item = item[:, :, 0]
        array = np.asarray(item)
        ax.imshow(array, cmap=cmap if array.ndim == 2 else None, vmin=0 if array.ndim == 2 else None,
                  vmax=(255 if array.dtype == np.uint8 else 1) if array.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
    return fig


def figure_to_png(fig: Figure, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes (what the widgets show).

    Faster than ``fig.savefig``: the figure is rendered once by Agg and the pixels
    are encoded with light PNG compression (a widget redraw is mostly this call).
    """
    if dpi is not None and dpi != fig.dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
