"""matplotlib plots of the course: figures detached from pyplot, photos side by side, PNG (00 onwards).

Grid diagrams (numbered cells) are SVG drawn from scenes (``course_utils.draw.svg``), and the
histogram panel of 01 is an SVG plot (``course_utils.draw.plot_svg``); matplotlib stays for the
other plots: curves, photos, static histograms. Figures are built with ``matplotlib.figure.Figure``
(not pyplot), so nothing is left open in pyplot's global state. The colours are the course's one
colour language (``course_utils.draw.colors``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, FigureBase
from PIL import Image

from .._checks import MAX_ELEMENTS, check_int, check_number
from .colors import COLORS, ROLES

__all__ = [
    "COLORS",
    "ROLES",
    "CourseFigure",
    "new_figure",
    "show_images",
    "figure_to_png",
]

class CourseFigure(Figure):
    """A ``Figure`` that Jupyter shows as a PNG when it is a cell's last expression.

    Plain ``Figure`` objects are only shown once pyplot's inline backend is active;
    the course's figures do not need pyplot at all.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def _check_pixels(what: str, width: float, height: float, dpi: float) -> None:
    """Refuse a figure whose picture would hold more than ``MAX_ELEMENTS`` pixels (128 MiB as RGBA).

    ``what`` names the call and its size arguments, e.g. ``"new_figure(width=600, height=3, dpi=100)"``.
    """
    columns, rows = round(width * dpi), round(height * dpi)
    if columns * rows > MAX_ELEMENTS:
        raise ValueError(f"{what} would be {columns:,} x {rows:,} pixels; at most {MAX_ELEMENTS:,} pixels "
                         "(128 MiB) are drawn. Use a smaller width, height (in inches) or dpi")


def new_figure(width: float = 6.4, height: float = 3.2, *, dpi: int = 100) -> CourseFigure:
    """A figure detached from pyplot, displayed by Jupyter when it is a cell's last expression.

    ``width`` and ``height`` are in inches. Used from 00_start_here onwards.
    """
    width = check_number("width", width, minimum=0.1)
    height = check_number("height", height, minimum=0.1)
    dpi = check_int("dpi", dpi, minimum=1)
    _check_pixels(f"new_figure(width={width:g}, height={height:g}, dpi={dpi})", width, height, dpi)
    return CourseFigure(figsize=(width, height), dpi=dpi, layout="constrained")


def _finite_array(name: str, values: object) -> np.ndarray:
    """``values`` (a tensor, an array or nested lists of real numbers) as a NumPy array to draw.

    Tensors are detached first (``requires_grad`` is fine). Whole numbers (int, bool) stay
    whole (bool becomes 0/1); every other dtype (half included) becomes float64 exactly.
    Complex numbers, text, ragged lists and NaN/inf are refused with a sentence naming ``name``.
    """
    if isinstance(values, torch.Tensor):
        if values.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a {values.dtype} tensor")
        values = values.detach().cpu()
        values = values.double().numpy() if values.is_floating_point() else values.numpy()
    try:
        array = np.asarray(values)
    except ValueError:  # ragged nested lists
        raise TypeError(f"{name} must be a tensor, an array or nested lists of numbers of equal "
                        "lengths") from None
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind in "iu":
        return array
    if array.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, got {array.dtype} values")
    array = array.astype(np.float64)
    bad = int((~np.isfinite(array)).sum())
    if bad:
        raise ValueError(f"{name} contains {bad} NaN or inf value(s); only finite numbers can be drawn")
    return array


def _finite_tensor(name: str, value: object, dims: int, layout: str) -> torch.Tensor:
    """``value`` as a detached, non-empty, finite tensor of ``dims`` dimensions to compute and draw.

    ``layout`` names the dimensions for the message (e.g. ``"(C, H, W)"``). Integer, bool and
    half tensors become float32, as torch's type promotion with a float32 tensor would make them;
    float64 stays float64. Complex numbers and NaN/inf are refused with a sentence naming ``name``.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a {layout} tensor, got {type(value).__name__}")
    if value.dim() != dims:
        raise ValueError(f"{name} must be a {layout} tensor, got shape {tuple(value.shape)}")
    if value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if value.is_complex():
        raise TypeError(f"{name} must hold real numbers, got a {value.dtype} tensor")
    value = value.detach().cpu().to(torch.promote_types(value.dtype, torch.float32))
    bad = int((~torch.isfinite(value)).sum())
    if bad:
        raise ValueError(f"{name} contains {bad} NaN or inf value(s); only finite numbers can be drawn")
    return value


def _check_figure(fig: object) -> None:
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or SubFigure (e.g. new_figure()), got {type(fig).__name__}")


def _image(name: str, item: object) -> np.ndarray:
    """One picture for :func:`show_images`: ``(H, W)`` or ``(H, W, 3|4)``, floats or uint8."""
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu()
        if item.dtype in (torch.float16, torch.bfloat16):
            item = item.float()  # NumPy has no bfloat16; imshow wants float32/64
        item = item.permute(1, 2, 0) if item.dim() == 3 else item
        item = item.numpy()
    elif not isinstance(item, Image.Image | np.ndarray | list):
        raise TypeError(f"{name} must be a PIL image, an array or a tensor, got {type(item).__name__}")
    array = np.asarray(item)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))) or array.size == 0:
        raise ValueError(f"{name} must be a non-empty (H, W) or (H, W, 1|3|4) array or (1|3|4, H, W) "
                         f"tensor, got shape {tuple(np.shape(item))}")
    if array.dtype == bool:
        array = array.astype(float)
    if array.dtype != np.uint8 and array.dtype.kind != "f":
        raise TypeError(f"{name} must hold floats in [0, 1] or uint8 values in [0, 255], got {array.dtype} "
                        "(convert it, e.g. x.float() / 255)")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf values; only finite numbers can be drawn")
    return array


def show_images(
    images: Sequence[Image.Image | np.ndarray | torch.Tensor],
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    width: float = 3.0,
    cmap: str = "gray",
) -> Figure:
    """Show images side by side (PIL images, HxW(xC) arrays or (C,H,W) tensors in [0,1]); from 01 on.

    Float images are shown in [0, 1] (matplotlib clips colours outside it), uint8 ones in
    [0, 255]; ``requires_grad`` tensors are fine. NaN, inf and other dtypes are refused.
    """
    if (not isinstance(images, Sequence | torch.Tensor | np.ndarray) or isinstance(images, str)
            or getattr(images, "ndim", 1) == 0):
        raise TypeError(f"images must be a list of images, got {type(images).__name__}")
    if titles is not None and (not isinstance(titles, Sequence) or isinstance(titles, str)
                               or not all(isinstance(t, str) for t in titles)):
        raise TypeError(f"titles must be a list of strings (one per image), got {titles!r}")
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colour map, e.g. 'gray' or 'viridis', "
                         f"got {cmap!r}")
    if len(images) == 0:
        raise ValueError("images must contain at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images")
    arrays = [_image(f"images[{i}]", item) for i, item in enumerate(images)]
    ncols = len(arrays) if ncols is None else check_int("ncols", ncols, minimum=1)
    if ncols > len(arrays):
        raise ValueError(f"ncols must be between 1 and the number of images ({len(arrays)}), got {ncols}")
    width = check_number("width", width, minimum=0.1)
    nrows = -(-len(arrays) // ncols)
    h, w = arrays[0].shape[:2]
    panel_height = width * h / w + (0.35 if titles is not None else 0.1)
    fig = new_figure(width * ncols, panel_height * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= len(arrays):
            continue
        array = arrays[i]
        ax.imshow(array, cmap=cmap if array.ndim == 2 else None, vmin=0 if array.ndim == 2 else None,
                  vmax=(255 if array.dtype == np.uint8 else 1) if array.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
    return fig


def figure_to_png(fig: Figure, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes (what a ``CourseFigure`` shows as a cell's output).

    Faster than ``fig.savefig``: the figure is rendered once by Agg and the pixels
    are encoded with light PNG compression (a widget redraw is mostly this call).
    ``dpi`` applies to this picture only: the figure keeps its own dpi.
    """
    _check_figure(fig)
    if dpi is not None:
        dpi = check_number("dpi", dpi, minimum=1)
    width, height = (float(v) for v in fig.get_size_inches())
    shown = dpi if dpi is not None else fig.dpi
    _check_pixels(f"figure_to_png of a {width:g} x {height:g} inch figure at dpi {shown:g}", width, height, shown)
    own = fig.dpi
    if dpi is not None and dpi != own:
        fig.set_dpi(dpi)
    try:
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba()).copy()
    finally:
        if fig.dpi != own:  # the figure keeps its own dpi (a panel renders it at 2x on every update)
            fig.set_dpi(own)
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
