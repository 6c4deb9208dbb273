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

import matplotlib
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Patch, Rectangle
from PIL import Image

from ._checks import MAX_ELEMENTS, check_choice, check_int, check_number, check_tuple
from .draw.colors import COLORS, ROLES

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

#: The most cells :func:`draw_grid` draws, and the most it writes a number in.
_MAX_CELLS, _MAX_NUMBERS = 4096, 400

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


def _check_grid(shape: tuple[int, ...], annotate: bool) -> None:
    """Refuse a grid :func:`draw_grid` cannot draw: not 2D, empty, or too many cells (or numbers)."""
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"values must be a non-empty 2D grid, got shape {shape}")
    rows, cols = shape
    limit = _MAX_NUMBERS if annotate else _MAX_CELLS
    if rows * cols > limit:
        advice = "pass annotate=False" if annotate and rows * cols <= _MAX_CELLS else "use show_images"
        raise ValueError(
            f"values is {rows} x {cols}: draw_grid draws at most {limit:,} cells"
            + (" with annotate=True (one number each)" if annotate else "") + f"; {advice}"
        )


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
    """Draw a 2D grid of numbers as coloured cells in the role's colour (00_start_here onwards).

    The shade grows with the magnitude ``|value|`` (pale near zero, full colour at
    the largest magnitude, or at ``vmax`` when given), so signs never change colours.

    ``zeros`` is a boolean mask of cells that are structural zeros (padding or
    inserted by stride/dilation); they are drawn grey and hatched, in the colour
    of ``zero_role``. ``origin`` shifts the cell coordinates, so a padded input
    can keep the original input's indices (the padding then has negative ones).

    ``values`` may be a tensor (``requires_grad`` is fine), an array or nested lists; whole
    numbers are written as whole numbers. NaN and inf are refused, as are grids of more than
    4,096 cells, or more than 400 with ``annotate=True`` (one number per cell).
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. fig.subplots()), got {type(ax).__name__}")
    if not isinstance(annotate, bool):
        raise TypeError(f"annotate must be True or False, got {annotate!r}")
    if isinstance(values, torch.Tensor | np.ndarray):
        _check_grid(tuple(values.shape), annotate)  # before converting a large array
    array = _finite_array("values", values)
    _check_grid(array.shape, annotate)
    rows, cols = array.shape
    if zeros is not None:
        zeros = np.asarray(zeros)
        if zeros.dtype != bool or zeros.shape != array.shape:
            raise ValueError(f"zeros must be a boolean mask of the grid's shape {array.shape}, "
                             f"got {zeros.dtype} of shape {zeros.shape}")
    check_choice("zero_role", zero_role, ("padding", "inserted"))
    vmin = None if vmin is None else check_number("vmin", vmin)
    vmax = None if vmax is None else check_number("vmax", vmax)
    fontsize = None if fontsize is None else check_number("fontsize", fontsize, minimum=1, maximum=72)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be None or a line of text, got {title!r}")
    if fmt is not None:
        try:
            format(array.flat[0], fmt)
        except (ValueError, TypeError):
            raise ValueError(f"fmt must be a format for these numbers, e.g. '.2f' or '.3g', got {fmt!r}") from None
    elif array.dtype.kind in "iu":
        fmt = "d"  # whole numbers stay whole (3g would write 1234 as 1.23e+03)
    r0, c0 = check_tuple("origin", origin, 2)
    extent = (c0 - 0.5, c0 + cols - 0.5, r0 + rows - 0.5, r0 - 0.5)
    magnitude = np.abs(array)
    shown = np.ma.masked_array(magnitude, mask=zeros) if zeros is not None else magnitude
    data = magnitude if zeros is None else magnitude[~zeros]
    lo = vmin if vmin is not None else 0.0
    hi = vmax if vmax is not None else (float(data.max()) if data.size else 1.0)
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


def _check_figure(fig: object) -> None:
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or SubFigure (e.g. new_figure()), got {type(fig).__name__}")


def role_legend(fig: Figure, roles: Sequence[str] = ("input", "kernel", "output", "padding")) -> None:
    """Add the colour key (input / kernel / output / zeros) under the figure (00 onwards)."""
    _check_figure(fig)
    if isinstance(roles, str) or not isinstance(roles, Sequence) or not roles:
        raise TypeError(f"roles must be a non-empty list of roles, e.g. ('input', 'kernel'), got {roles!r}")
    for i, role in enumerate(roles):
        check_choice(f"roles[{i}]", role, list(ROLES))
    handles = [
        Patch(facecolor=COLORS[r], edgecolor="#b0b0b0", hatch="///" if r in ("padding", "inserted") else None,
              label=ROLES[r])
        for r in roles
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)


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
    """Render a figure to PNG bytes (what the widgets show).

    Faster than ``fig.savefig``: the figure is rendered once by Agg and the pixels
    are encoded with light PNG compression (a widget redraw is mostly this call).
    """
    _check_figure(fig)
    if dpi is not None:
        dpi = check_number("dpi", dpi, minimum=1)
    width, height = (float(v) for v in fig.get_size_inches())
    shown = dpi if dpi is not None else fig.dpi
    _check_pixels(f"figure_to_png of a {width:g} x {height:g} inch figure at dpi {shown:g}", width, height, shown)
    if dpi is not None and dpi != fig.dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    Image.fromarray(pixels[:, :, :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
