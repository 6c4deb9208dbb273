"""Diagrams and panels for 05_conv_as_matrix and 06_transposed_conv_step_by_step.

Every diagram is drawn as a row of cell grids in ONE matplotlib axes (a "board"):
one image per grid, one line collection for its cell borders and text only where a
number helps. That keeps a redraw of the Play panel well under 100 ms.
Colours follow :mod:`course_utils.plotting`: input blue, kernel orange, output green,
zeros that stride, dilation or padding bring in grey and hatched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from ._checks import check_elements, check_int, check_tuple
from .conv.matrix import conv2d_matrix
from .conv.sizes import conv_output_size, conv_transpose_output_size
from .conv.transposed import ScatterStep, conv_transpose2d_steps
from .plotting import COLORS, CourseFigure, _finite_tensor, role_cmap
from .widgets import Explorer, check_in_range, int_slider, play

__all__ = [
    "example_input",
    "example_kernel",
    "conv_matrix_figure",
    "conv_matrix_explorer",
    "scatter_figure",
    "scatter_sum_figure",
    "zero_insertion_figure",
    "scatter_explorer",
]

# What the figures draw at most: the scatter's canvas per side, the copies side by side in
# scatter_sum_figure, the cells of the matrix C and the kernel's side in conv_matrix_figure.
_MAX_CANVAS, _MAX_COPIES, _MAX_MATRIX_CELLS, _MAX_KERNEL = 32, 16, 4096, 8

_EMPTY = "#f6f6f6"  # a cell nothing has been written to yet
_GAP = 1.0  # cells between two grids
_TITLE = 1.4  # cells of room above a grid for its title


def _example_size(name: str, size: object) -> int:
    size = check_int("size", size, minimum=1)
    check_elements(f"{name}(size={size:,})", size * size, "The figures use sizes 1 to 4.")
    return size


def example_input(size: int = 2) -> torch.Tensor:
    """The ``size x size`` input ``0, 1, 2, ...`` (``size=2`` is the worked example [[0,1],[2,3]]; 06)."""
    size = _example_size("example_input", size)
    return torch.arange(size * size, dtype=torch.float32).reshape(size, size)


def example_kernel(size: int = 2) -> torch.Tensor:
    """The kernel ``1.1, 2.2, 3.3, ...`` (``size=2`` is the worked example [[1.1,2.2],[3.3,4.4]]; 06)."""
    size = _example_size("example_kernel", size)
    # 11 * i / 10 in float64 is the double nearest to 1.1 * i, as round(1.1 * i, 1) gives
    return (torch.arange(1, size * size + 1, dtype=torch.float64) * 11 / 10).float().reshape(size, size)


def _fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-6:
        return str(int(round(v)))
    text = f"{v:.3g}"
    return text


@dataclass
class _Grid:
    values: np.ndarray
    role: str
    title: str = ""
    filled: np.ndarray | None = None  # cells drawn in the role's colour (others: empty)
    structural: np.ndarray | None = None  # grey hatched zeros
    structural_role: str = "inserted"
    hatch: bool = True  # hatch the structural zeros
    annotate: np.ndarray | None = None  # cells that get their number
    outlines: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # top,left,h,w,colour
    faded: np.ndarray | None = None  # cells shown pale (cropped away)
    vmax: float | None = None
    symbol: str = ""  # drawn in the gap before this grid ("+", "=", "→")
    col_labels: Sequence[str] | None = None
    row_labels: Sequence[str] | None = None




def _axes(fig: Figure) -> Axes:
    """The figure's one axes: reused (emptied) when a panel redraws, created otherwise."""
    if fig.axes:
        ax = fig.axes[0]
        for artist in [*ax.images, *ax.collections, *ax.patches, *ax.texts]:
            artist.remove()
        return ax
    fig.set_layout_engine("none")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    return ax


def _board(fig: Figure, grids: Sequence[_Grid], *, cell: float = 0.3, max_width: float = 9.6,
           legend: Sequence[tuple[str, str]] = ()) -> Axes:
    """Draw ``grids`` side by side (top-aligned) in one axes filling ``fig``.

    All grids become ONE image (hatching included), all cell borders one line
    collection, all words and numbers one collection of glyph outlines: a handful of
    artists however many cells there are, so a redraw takes a few tens of ms.
    ``legend`` is a list of ``(role, label)`` pairs drawn under the grids.
    """
    has_cols = any(g.col_labels for g in grids)
    lefts, x = [], 0
    for g in grids:
        x += 2 if g.row_labels else 0  # room for the row labels
        lefts.append(x)
        x += g.values.shape[1] + 1
    width = x - 1
    rows_max = max(g.values.shape[0] for g in grids)
    top = _TITLE + (0.9 if has_cols else 0.0)
    bottom = 1.5 if legend else 0.2
    total_h = top + rows_max + bottom
    cell = min(cell, max_width / (width + 0.4))
    size = max(4.0, min(9.0, cell * 26))
    title_size = min(9.0, max(6.5, size))
    words = _Words(cell)
    # titles and the legend may stick out beyond the grids: widen the figure for them
    lo, hi = 0.0, float(width)
    for g, x0 in zip(grids, lefts, strict=True):
        half = words.width(g.title, title_size) / 2 if g.title else 0.0
        lo, hi = min(lo, x0 + g.values.shape[1] / 2 - half), max(hi, x0 + g.values.shape[1] / 2 + half)
    if legend:
        half = _legend_width(legend, words, 7.5) / 2
        lo, hi = min(lo, width / 2 - half), max(hi, width / 2 + half)
    fig.set_size_inches(max((hi - lo + 0.4) * cell, 1.5), max(total_h * cell, 1.0))
    ax = _axes(fig)

    image = np.zeros((rows_max, width, 4), dtype=np.uint8)  # one pixel per cell
    hatch: list[tuple[tuple[float, float], tuple[float, float]]] = []
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    boxes: list[Rectangle] = []
    box_colours: list[str] = []
    box_widths: list[float] = []
    for g, x0 in zip(grids, lefts, strict=True):
        rows, cols = g.values.shape
        rgba, numbers = _cells(g)
        image[:rows, x0: x0 + cols] = rgba
        if g.structural is not None and g.hatch:
            for r, c in zip(*np.nonzero(g.structural), strict=True):
                cx, cy = x0 + c, top + r + 1  # bottom-left corner (the y axis runs down)
                hatch += [((cx, cy - 0.5), (cx + 0.5, cy - 1)), ((cx, cy), (cx + 1, cy - 1)),
                          ((cx + 0.5, cy), (cx + 1, cy - 0.5))]
        segments += [((x0, top + r), (x0 + cols, top + r)) for r in range(1, rows)]
        segments += [((x0 + c, top), (x0 + c, top + rows)) for c in range(1, cols)]
        boxes.append(Rectangle((x0, top), cols, rows))
        box_colours.append("#bdbdbd")
        box_widths.append(0.6)
        for r, c, text, colour in numbers:
            words.add(x0 + c + 0.5, top + r + 0.5, text, colour, size)
        for r, c, h, w, colour in g.outlines:
            boxes.append(Rectangle((x0 + c, top + r), w, h))
            box_colours.append(colour)
            box_widths.append(2.0)
        for c, label in enumerate(g.col_labels or ()):
            words.add(x0 + c + 0.5, top - 0.45, label, COLORS["input"], size * 0.8)
        for r, label in enumerate(g.row_labels or ()):
            words.add(x0 - 0.2, top + r + 0.5, label, COLORS["output"], size * 0.8, ha="right")
        if g.symbol:
            words.add(x0 - 0.5, top + rows / 2, g.symbol, COLORS["text"], max(10.0, size * 1.4))
        if g.title:
            words.add(x0 + cols / 2, top - (1.35 if has_cols else 0.55), g.title,
                      COLORS.get(g.role, COLORS["text"]), title_size)
    ax.imshow(image, extent=(0, width, top + rows_max, top), interpolation="nearest", aspect="auto")
    if hatch:  # the hatching of structural zeros: one collection of short diagonal strokes
        ax.add_collection(LineCollection(hatch, colors="#acacac", linewidths=0.6))
    ax.add_collection(LineCollection(segments, colors="white", linewidths=1.0))
    if legend:
        _legend_items(legend, words, boxes, box_colours, box_widths, ax, width / 2, top + rows_max + 0.85,
                      size=7.5)
    ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolors=box_colours,
                                      linewidths=box_widths))
    words.draw(ax)
    ax.set_xlim(lo - 0.2, hi + 0.2)
    ax.set_ylim(total_h, 0)
    return ax


_SWATCH, _KEY_GAP, _KEY_SPACE = 0.9, 0.3, 1.0  # legend geometry, in cells


def _legend_width(legend: Sequence[tuple[str, str]], words: _Words, size: float) -> float:
    widths = [words.width(label, size) for _, label in legend]
    return sum(_SWATCH + _KEY_GAP + w for w in widths) + _KEY_SPACE * (len(legend) - 1)


def _legend_items(legend: Sequence[tuple[str, str]], words: _Words, boxes: list[Rectangle],
                  box_colours: list[str], box_widths: list[float], ax: Axes, centre: float, y: float,
                  size: float) -> None:
    """A colour key centred at ``(centre, y)``: a swatch (hatched for zeros) and a label per role."""
    swatch, gap, space = _SWATCH, _KEY_GAP, _KEY_SPACE
    widths = [words.width(label, size) for _, label in legend]
    x = centre - _legend_width(legend, words, size) / 2
    for (role, label), w in zip(legend, widths, strict=True):
        ax.add_patch(Rectangle((x, y - 0.3), swatch, 0.6, facecolor=COLORS[role], edgecolor="#b0b0b0",
                               linewidth=0.5, hatch="////" if role in ("padding", "inserted") else None))
        words.add(x + swatch + gap, y, label, COLORS["text"], size, ha="left")
        x += swatch + gap + w + space


def _cells(g: _Grid) -> tuple[np.ndarray, list[tuple[int, int, str, str]]]:
    """The cells' colours (one RGBA pixel per cell) and the numbers to write (row, col, text, colour)."""
    values = g.values.astype(float)
    filled = np.ones_like(values, dtype=bool) if g.filled is None else g.filled
    vmax = g.vmax if g.vmax is not None else (float(np.abs(values[filled]).max()) if filled.any() else 1.0)
    lo = min(0.0, float(values[filled].min())) if filled.any() else 0.0
    vmax = vmax if vmax > lo else lo + 1.0
    norm = np.clip((values - lo) / (vmax - lo), 0, 1)
    rgba = role_cmap(g.role)(norm)
    rgba[~filled] = to_rgba(_EMPTY)
    if g.structural is not None:
        rgba[g.structural] = to_rgba(COLORS[g.structural_role])
    if g.faded is not None:
        rgba[g.faded, :3] = 0.35 * rgba[g.faded, :3] + 0.65
    pixels = (rgba * 255).round().astype(np.uint8)
    annotate = filled if g.annotate is None else g.annotate
    numbers = []
    for y, x in zip(*np.nonzero(annotate), strict=True):
        dark = filled[y, x] and norm[y, x] > 0.6 and (g.faded is None or not g.faded[y, x])
        structural = g.structural is not None and g.structural[y, x]
        colour = "white" if dark else ("#888888" if structural else COLORS["text"])
        numbers.append((int(y), int(x), _fmt(values[y, x]), colour))
    return pixels, numbers


_GLYPHS: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
_FONT = FontProperties(family="DejaVu Sans")


def _glyph(text: str) -> tuple[np.ndarray, np.ndarray, float]:
    """``text`` as glyph outlines 1 point high: (vertices, codes, width), starting at x = 0
    and centred vertically on the middle of a digit, so all numbers sit on one line (cached)."""
    if text not in _GLYPHS:
        digit = TextPath((0, 0), "0", size=1, prop=_FONT).vertices
        y_mid = (digit[:, 1].min() + digit[:, 1].max()) / 2
        path = TextPath((0, 0), text, size=1, prop=_FONT)
        vertices = np.asarray(path.vertices, dtype=float)
        codes = np.asarray(path.codes) if path.codes is not None else np.full(len(vertices), Path.LINETO)
        x0, x1 = (vertices[:, 0].min(), vertices[:, 0].max()) if len(vertices) else (0.0, 0.0)
        _GLYPHS[text] = (vertices - (x0, y_mid), codes, float(x1 - x0))
    return _GLYPHS[text]


class _Words:
    """Text gathered for ONE collection of glyph outlines (far faster to draw than Text artists)."""

    def __init__(self, cell_inches: float) -> None:
        self.cell = cell_inches
        self.paths: list[Path] = []
        self.offsets: list[tuple[float, float]] = []
        self.colours: list[str] = []

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` at ``size`` points, in cells."""
        return _glyph(text)[2] * size / 72.0 / self.cell

    def add(self, x: float, y: float, text: str, colour: str, size: float, ha: str = "center") -> None:
        vertices, codes, width = _glyph(text)
        if not len(vertices):
            return
        shift = {"center": -width / 2, "left": 0.0, "right": -width}[ha]
        points = (vertices + (shift, 0.0)) * size * (1.0, -1.0)  # y flipped: the axes' y runs down
        self.paths.append(Path(points, codes))
        self.offsets.append((x, y))
        self.colours.append(colour)

    def draw(self, ax: Axes) -> None:
        if not self.paths:
            return
        fig = ax.get_figure()
        # glyphs in points (scaled to pixels by the figure's dpi), placed at data offsets
        to_pixels = Affine2D().scale(1 / 72.0, -1 / 72.0) + fig.dpi_scale_trans  # type: ignore[union-attr]
        ax.add_collection(PathCollection(
            self.paths, offsets=np.array(self.offsets), offset_transform=ax.transData, transform=to_pixels,
            facecolors=self.colours, edgecolors="none", linewidths=0,
        ), autolim=False)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().double().numpy()


# -- 05: the convolution matrix ---------------------------------------------------------------


def _draw_conv_matrix(fig: Figure, weight: torch.Tensor, input_size: int, stride: int, padding: int,
                      dilation: int) -> str:
    C = conv2d_matrix(weight, input_size, stride, padding, dilation)
    k = weight.shape[-1]
    ho = int(conv_output_size(input_size, k, stride, padding, dilation))  # type: ignore[arg-type]
    values = _np(C)
    nonzero = values != 0
    n_in, n_out = input_size * input_size, ho * ho
    labels = n_in <= 36
    grids = [
        _Grid(np.arange(n_in).reshape(input_size, input_size), "input", "input x", vmax=3 * n_in),
        _Grid(_np(weight), "kernel", "kernel"),
        _Grid(values, "kernel", f"C  ({n_out} x {n_in})", filled=nonzero, structural=~nonzero,
              structural_role="padding", annotate=nonzero,
              col_labels=[f"x{j}" for j in range(n_in)] if labels else None,
              row_labels=[f"y{i}" for i in range(n_out)] if labels else None),
        _Grid(np.arange(n_out).reshape(ho, ho), "output", "output y", vmax=3 * n_out),
    ]
    _board(fig, grids, cell=0.32, max_width=9.6,
           legend=(("input", "input x (flattened)"), ("kernel", "kernel weight in C"),
                   ("padding", "zero in C"), ("output", "output y (flattened)")))
    nnz = int(nonzero.sum())
    return (
        f"input {input_size}x{input_size} (flattened: {n_in})  ->  output {ho}x{ho} (flattened: {n_out})\n"
        f"C has shape ({n_out}, {n_in}): {nnz} kernel values, {values.size - nnz} zeros "
        f"({100 * (values.size - nnz) / values.size:.0f}% zeros)\n"
        f"C = conv2d_matrix(w, {input_size}, stride={stride}, padding={padding}, dilation={dilation})\n"
        f"C @ x.flatten() == F.conv2d(x, w, stride={stride}, padding={padding}, "
        f"dilation={dilation}).flatten()"
    )


def conv_matrix_figure(weight: torch.Tensor | None = None, input_size: int = 4, stride: int = 1,
                       padding: int = 0, dilation: int = 1) -> Figure:
    """Draw the convolution matrix ``C`` (05): kernel values orange, structural zeros grey.

    ``weight`` is a square ``(k, k)`` kernel, k at most 8 (default: 1..9 as a 3x3). Rows are
    output elements ``y0, y1, ...`` (row-major), columns input elements ``x0, x1, ...``;
    ``C`` may have at most 4,096 cells.
    """
    if weight is None:
        weight = torch.arange(1.0, 10.0).reshape(3, 3)
    weight = _finite_tensor("weight", weight, 2, "square (k, k)")
    if weight.shape[0] != weight.shape[1] or weight.shape[0] > _MAX_KERNEL:
        raise ValueError(f"weight must be a square (k, k) kernel for this figure, k at most {_MAX_KERNEL}, "
                         f"got {tuple(weight.shape)}")
    input_size = check_int("input_size", input_size, minimum=1)
    stride, dilation = check_int("stride", stride, minimum=1), check_int("dilation", dilation, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    ho = int(conv_output_size(input_size, weight.shape[0], stride, padding, dilation))  # type: ignore[arg-type]
    rows, cols = ho * ho, input_size * input_size
    if rows * cols > _MAX_MATRIX_CELLS:
        raise ValueError(f"C would be {rows:,} x {cols:,} cells; this figure draws at most "
                         f"{_MAX_MATRIX_CELLS:,}: use a smaller input_size or padding, or a larger stride")
    fig = CourseFigure(dpi=90)
    _draw_conv_matrix(fig, weight, input_size, stride, padding, dilation)
    return fig


def conv_matrix_explorer(input_size: int = 4, kernel_size: int = 3, stride: int = 1, padding: int = 0,
                         dilation: int = 1) -> Explorer:
    """Panel of 05: the matrix ``C`` for chosen input size, kernel size, stride, padding, dilation.

    The kernel holds ``1, 2, ..., k*k`` so each entry of ``C`` says which weight it is.
    Every argument must be a value its slider can show, with a kernel that fits.
    """
    input_size = check_in_range("input_size", input_size, 2, 5)
    kernel_size = check_in_range("kernel_size", kernel_size, 1, 4)
    stride = check_in_range("stride", stride, 1, 3)
    padding = check_in_range("padding", padding, 0, 2)
    dilation = check_in_range("dilation", dilation, 1, 3)
    conv_output_size(input_size, kernel_size, stride, padding, dilation)  # the kernel must fit
    controls = {
        "input_size": int_slider("input size", input_size, 2, 5),
        "kernel_size": int_slider("kernel size", kernel_size, 1, 4),
        "stride": int_slider("stride", stride, 1, 3),
        "padding": int_slider("padding", padding, 0, 2),
        "dilation": int_slider("dilation", dilation, 1, 3),
    }

    def adapt(c: Mapping[str, widgets.ValueWidget]) -> None:
        n, p = c["input_size"].value, c["padding"].value
        c["kernel_size"].max = min(4, n + 2 * p)
        k = c["kernel_size"].value
        c["dilation"].max = 3 if k == 1 else max(1, min(3, (n + 2 * p - 1) // (k - 1)))

    def draw(fig: Figure, input_size: int, kernel_size: int, stride: int, padding: int,
             dilation: int) -> str:
        w = torch.arange(1.0, kernel_size * kernel_size + 1).reshape(kernel_size, kernel_size)
        return _draw_conv_matrix(fig, w, input_size, stride, padding, dilation)

    return Explorer(draw, controls, adapt=adapt, figsize=(8.0, 3.0), dpi=80, clear=False,
                    title="The convolution as a matrix C (rows: outputs, columns: inputs)")


# -- 06: the scatter, step by step ------------------------------------------------------------


def _footprint(shape: tuple[int, int], step: ScatterStep, kernel: tuple[int, int],
               dilation: tuple[int, int]) -> np.ndarray:
    """Cells of the canvas that one kernel copy covers (its taps ``dilation`` apart)."""
    (kh, kw), (dh, dw) = kernel, dilation
    mask = np.zeros(shape, dtype=bool)
    mask[step.top: step.top + dh * (kh - 1) + 1: dh, step.left: step.left + dw * (kw - 1) + 1: dw] = True
    return mask


def _scatter_grids(x: torch.Tensor, w: torch.Tensor, stride: object, padding: object, output_padding: object,
                   dilation: object, step: int, annotate_limit: int = 100) -> list[_Grid]:
    """Input, kernel, this step's copy, the running sum (uncropped) and the output so far."""
    steps = list(conv_transpose2d_steps(x, w, stride, padding, output_padding, dilation))  # type: ignore[arg-type]
    n, last = len(steps), steps[-1]
    shape = tuple(last.total.shape)
    kernel, d = (int(w.shape[-2]), int(w.shape[-1])), check_tuple("dilation", dilation, 2)
    feet = [_footprint(shape, s, kernel, d) for s in steps]  # type: ignore[arg-type]
    holes = ~np.logical_or.reduce(feet)  # cells no copy ever reaches: zeros left by stride / output_padding
    added = np.logical_or.reduce(feet[:step]) if step else np.zeros(shape, dtype=bool)
    top, left, oh, ow = last.crop
    cropped = np.ones(shape, dtype=bool)
    cropped[top: top + oh, left: left + ow] = False
    total = _np(steps[step - 1].total) if step else np.zeros(shape)
    xv, wv = _np(x), _np(w)
    vmax = max(float(np.abs(_np(last.total)).max()), 1e-9)
    small = holes.size <= annotate_limit
    nothing = np.zeros(shape, dtype=bool)

    x_grid = _Grid(xv, "input", "input x")
    if step:
        current = steps[step - 1]
        x_grid.outlines.append((current.row, current.col, 1, 1, COLORS["highlight"]))
        copy = _Grid(_np(current.copy), "kernel", f"x[{current.row},{current.col}] = {_fmt(current.value)} · w",
                     filled=feet[step - 1], annotate=feet[step - 1] if small else nothing,
                     vmax=float(np.abs(wv).max() * max(np.abs(xv).max(), 1e-9)))
        span = ((kernel[0] - 1) * d[0] + 1, (kernel[1] - 1) * d[1] + 1)
        copy.outlines.append((current.top, current.left, *span, COLORS["highlight"]))
    else:
        copy = _Grid(np.zeros(shape), "kernel", "no copy yet", filled=nothing, annotate=nothing)
    running = _Grid(total, "output", f"sum of {step} of {n} copies", filled=added & ~holes,
                    structural=holes if holes.any() else None, faded=cropped if cropped.any() else None,
                    annotate=(added & ~holes) if small else nothing, vmax=vmax, symbol="+")
    if cropped.any():
        running.outlines.append((top, left, oh, ow, COLORS["text"]))
    window = (slice(top, top + oh), slice(left, left + ow))
    out_filled, out_holes = added[window] & ~holes[window], holes[window]
    output = _Grid(total[window], "output", "output" + (" so far" if step < n else ""), filled=out_filled,
                   structural=out_holes if out_holes.any() else None,
                   annotate=(out_filled | out_holes) if oh * ow <= annotate_limit else out_filled & False,
                   vmax=vmax, symbol="→")
    return [x_grid, _Grid(wv, "kernel", "kernel w"), copy, running, output]


_SCATTER_LEGEND = (("input", "input"), ("kernel", "kernel copy"), ("output", "sum / output"),
                   ("inserted", "no copy reaches: 0"))


def _scatter_caption(x: torch.Tensor, w: torch.Tensor, stride: object, padding: object, output_padding: object,
                     dilation: object, step: int | None) -> str:
    (h, wd), (kh, kw) = x.shape, w.shape
    s, p, op, d = (check_tuple(name, v, 2) for name, v in (("stride", stride), ("padding", padding),
                                                           ("output_padding", output_padding),
                                                           ("dilation", dilation)))
    out = conv_transpose_output_size((h, wd), (kh, kw), s, p, op, d)
    lines = []
    if step is not None:
        n = h * wd
        if step == 0:
            lines.append(f"step 0 of {n}: nothing added yet (press Play)")
        else:
            i, j = divmod(step - 1, wd)
            lines.append(
                f"step {step} of {n}: x[{i},{j}] = {_fmt(float(x[i, j]))} scales the kernel; its copy starts at "
                f"row {i}*{s[0]} = {i * s[0]}, column {j}*{s[1]} = {j * s[1]}"
            )
    if s[0] == s[1] and p[0] == p[1] and op[0] == op[1] and d[0] == d[1] and h == wd and kh == kw:
        lines.append(
            f"H_out = (H-1)s - 2p + d(k-1) + output_padding + 1 = ({h}-1)*{s[0]} - 2*{p[0]} + {d[0]}*({kh}-1)"
            f" + {op[0]} + 1 = {out[0]}"
        )
    else:
        lines.append(f"output size (H_out, W_out) = {out}")
    args = [f"stride={s[0]}" if s[0] == s[1] else f"stride={s}"]
    for name, v in (("padding", p), ("output_padding", op), ("dilation", d)):
        if v != (0, 0) and not (name == "dilation" and v == (1, 1)):
            args.append(f"{name}={v[0]}" if v[0] == v[1] else f"{name}={v}")
    lines.append(f"nn.ConvTranspose2d(1, 1, kernel_size={kh if kh == kw else (kh, kw)}, {', '.join(args)}, bias=False)")
    return "\n".join(lines)


def _scatter_operands(x: object, weight: object, stride: object, padding: object, output_padding: object,
                      dilation: object) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``weight`` for the figures of 06 (the worked example when ``None``), checked and in
    one dtype; the other arguments checked as ``F.conv_transpose2d`` would, and the canvas the
    copies are summed on small enough to draw."""
    x = example_input(2) if x is None else _finite_tensor("x", x, 2, "(H, W)")
    weight = example_kernel(2) if weight is None else _finite_tensor("weight", weight, 2, "(kH, kW)")
    s, p, op, d = (check_tuple(name, value, 2, minimum=minimum) for name, value, minimum in (
        ("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
        ("dilation", dilation, 1)))
    canvas = []
    for a in range(2):
        conv_transpose_output_size(x.shape[a], weight.shape[a], s[a], p[a], op[a], d[a])  # worded checks
        canvas.append((x.shape[a] - 1) * s[a] + d[a] * (weight.shape[a] - 1) + 1 + op[a])
    if max(canvas) > _MAX_CANVAS:
        raise ValueError(
            f"x {tuple(x.shape)} and weight {tuple(weight.shape)} with stride {stride}, dilation {dilation} "
            f"and output_padding {output_padding} make a {canvas[0]} x {canvas[1]} canvas; this figure draws "
            f"at most {_MAX_CANVAS} x {_MAX_CANVAS}"
        )
    dtype = torch.promote_types(x.dtype, weight.dtype)
    return x.to(dtype), weight.to(dtype)


def scatter_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: object = 1,
                   padding: object = 0, output_padding: object = 0, dilation: object = 1,
                   step: int | None = None) -> Figure:
    """One step of the scatter (06): input, kernel, the placed copy, the running sum, the output.

    ``x`` is ``(H, W)`` and ``weight`` ``(kH, kW)`` (defaults: the worked example);
    ``step`` is how many input elements have been added (0 .. H*W; default all). In
    the running sum, cells that ``padding`` crops are pale and the output is outlined;
    grey hatched cells are zeros no kernel copy reaches. The copies are summed on a
    canvas of at most 32 x 32 cells; integer tensors are drawn as float32, NaN is refused.
    """
    x, weight = _scatter_operands(x, weight, stride, padding, output_padding, dilation)
    n = x.shape[-2] * x.shape[-1]
    step = n if step is None else step
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
        raise ValueError(f"step must be a whole number from 0 to {n} (the number of input elements), got {step!r}")
    grids = _scatter_grids(x, weight, stride, padding, output_padding, dilation, step)
    fig = CourseFigure(dpi=90)
    _board(fig, grids, cell=0.34, max_width=9.6, legend=_SCATTER_LEGEND)
    return fig


def scatter_sum_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: object = 1,
                       padding: object = 0, output_padding: object = 0, dilation: object = 1) -> Figure:
    """Every scaled, placed kernel copy side by side, then their sum and, when padding crops, the output (06).

    Takes the arguments of :func:`scatter_figure` (but no ``step``); ``x`` has at most 16 elements.
    """
    x, weight = _scatter_operands(x, weight, stride, padding, output_padding, dilation)
    if x.numel() > _MAX_COPIES:
        raise ValueError(f"x is {tuple(x.shape)}: this figure draws one kernel copy per element, at most "
                         f"{_MAX_COPIES}; use scatter_figure to step through a larger x")
    steps = list(conv_transpose2d_steps(x, weight, stride, padding, output_padding, dilation))  # type: ignore[arg-type]
    last = steps[-1]
    shape = tuple(last.total.shape)
    kernel, d = (int(weight.shape[-2]), int(weight.shape[-1])), check_tuple("dilation", dilation, 2)
    span = ((kernel[0] - 1) * d[0] + 1, (kernel[1] - 1) * d[1] + 1)
    wmax = float(np.abs(_np(weight)).max() * max(np.abs(_np(x)).max(), 1e-9))
    grids: list[_Grid] = []
    feet = []
    for k, s in enumerate(steps):
        foot = _footprint(shape, s, kernel, d)  # type: ignore[arg-type]
        feet.append(foot)
        g = _Grid(_np(s.copy), "kernel", f"{_fmt(s.value)}·w at ({s.top},{s.left})", filled=foot, vmax=wmax,
                  symbol="+" if k else "")
        g.outlines.append((s.top, s.left, *span, COLORS["highlight"]))
        grids.append(g)
    holes = ~np.logical_or.reduce(feet)
    top, left, oh, ow = last.crop
    cropped = np.ones(shape, dtype=bool)
    cropped[top: top + oh, left: left + ow] = False
    total = _np(last.total)
    summed = _Grid(total, "output", "sum" + (", then crop" if cropped.any() else ""), filled=~holes,
                   structural=holes if holes.any() else None, annotate=np.ones(shape, dtype=bool),
                   faded=cropped if cropped.any() else None, symbol="=")
    grids.append(summed)
    if cropped.any():
        summed.outlines.append((top, left, oh, ow, COLORS["text"]))
        window = (slice(top, top + oh), slice(left, left + ow))
        out_holes = holes[window]
        grids.append(_Grid(total[window], "output", "output", filled=~out_holes,
                           structural=out_holes if out_holes.any() else None,
                           annotate=np.ones((oh, ow), dtype=bool), symbol="→"))
    fig = CourseFigure(dpi=90)
    legend = [("kernel", "scaled kernel copy"), ("output", "sum / output")]
    if holes.any():
        legend.append(("inserted", "no copy reaches: 0"))
    _board(fig, grids, cell=0.36, max_width=10.0, legend=legend)
    return fig


def zero_insertion_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: int = 1,
                          padding: int = 0, output_padding: int = 0, dilation: int = 1) -> Figure:
    """The same result by zero insertion (06): spread and pad the input, convolve with the flipped kernel.

    ``stride - 1`` zeros go between input elements, ``dilation*(k-1) - padding`` around
    them (plus ``output_padding`` at the bottom/right); an ordinary stride-1 convolution
    with the kernel flipped in both axes then gives the transposed convolution. ``stride``,
    ``padding``, ``output_padding`` and ``dilation`` are ints here.
    """
    stride, dilation = check_int("stride", stride, minimum=1), check_int("dilation", dilation, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    output_padding = check_int("output_padding", output_padding, minimum=0)
    x, weight = _scatter_operands(x, weight, stride, padding, output_padding, dilation)
    (h, w), (kh, kw) = x.shape, weight.shape
    spread = x.new_zeros((h - 1) * stride + 1, (w - 1) * stride + 1)
    spread[::stride, ::stride] = x
    data = torch.zeros_like(spread, dtype=torch.bool)
    data[::stride, ::stride] = True
    qh, qw = dilation * (kh - 1) - padding, dilation * (kw - 1) - padding
    pads = (qw, qw + output_padding, qh, qh + output_padding)  # negative amounts crop
    padded = F.pad(spread, pads)
    is_data = _np(F.pad(data.float(), pads)) > 0
    flipped = weight.flip(0, 1)
    out = F.conv2d(padded[None, None], flipped[None, None], dilation=dilation)[0, 0]
    zin = _Grid(_np(padded), "input", "zeros inserted, then padded", filled=is_data,
                structural=~is_data, annotate=np.ones(is_data.shape, dtype=bool))
    zin.structural_role = "inserted"
    grids = [zin, _Grid(_np(flipped), "kernel", "flipped kernel", symbol="*"),
             _Grid(_np(out), "output", "output", symbol="=")]
    fig = CourseFigure(dpi=90)
    _board(fig, grids, cell=0.36, max_width=9.0,
           legend=(("input", "input"), ("inserted", "inserted / padding zeros"), ("kernel", "kernel"),
                   ("output", "output")))
    return fig


def scatter_explorer(input_size: int = 2, kernel_size: int = 2, stride: int = 1, dilation: int = 1,
                     output_padding: int = 0, padding: int = 0, step: int = 0) -> Explorer:
    """Panel of 06: step through a transposed convolution one input element at a time.

    The input is ``0, 1, 2, ...`` and the kernel ``1.1, 2.2, ...`` (2x2: the worked
    example). A Play button (``explorer.play``) is linked to the ``step`` slider, so a
    teacher can press Play and watch the copies add up. Every argument must be a value its
    slider can show, in a setting PyTorch accepts (e.g. output_padding smaller than stride
    or dilation).
    """
    input_size = check_in_range("input_size", input_size, 1, 4)
    kernel_size = check_in_range("kernel_size", kernel_size, 1, 3)
    stride = check_in_range("stride", stride, 1, 3)
    dilation = check_in_range("dilation", dilation, 1, 2)
    output_padding = check_in_range("output_padding", output_padding, 0, 2)
    padding = check_in_range("padding", padding, 0, 3)
    step = check_in_range("step", step, 0, input_size * input_size)
    conv_transpose_output_size(input_size, kernel_size, stride, padding, output_padding, dilation)
    controls = {
        "input_size": int_slider("input size", input_size, 1, 4),
        "kernel_size": int_slider("kernel size", kernel_size, 1, 3),
        "stride": int_slider("stride", stride, 1, 3),
        "dilation": int_slider("dilation", dilation, 1, 2),
        "output_padding": int_slider("output_padding", output_padding, 0, 2),
        "padding": int_slider("padding", padding, 0, 3),
        "step": int_slider("step", step, 0, input_size * input_size),
    }

    def adapt(c: Mapping[str, widgets.ValueWidget]) -> None:
        n, k, s, d = (c[name].value for name in ("input_size", "kernel_size", "stride", "dilation"))
        c["output_padding"].max = max(s, d) - 1  # PyTorch: smaller than stride or dilation
        full = (n - 1) * s + d * (k - 1) + 1
        c["padding"].max = max(0, min(3, (full + c["output_padding"].value - 1) // 2))  # >= 1 cell left
        c["step"].max = n * n

    def draw(fig: Figure, input_size: int, kernel_size: int, stride: int, dilation: int, output_padding: int,
             padding: int, step: int) -> str:
        x, w = example_input(input_size), example_kernel(kernel_size)
        conv_transpose_output_size(input_size, kernel_size, stride, padding, output_padding, dilation)
        grids = _scatter_grids(x, w, stride, padding, output_padding, dilation, step, annotate_limit=144)
        _board(fig, grids, cell=0.34, max_width=9.6, legend=_SCATTER_LEGEND)
        return _scatter_caption(x, w, stride, padding, output_padding, dilation, step)

    explorer = Explorer(draw, controls, adapt=adapt, figsize=(9.0, 2.4), dpi=72, clear=False,
                        title="Transposed convolution, one input element at a time (press Play)")
    player = play("play", step, 0, input_size * input_size, interval_ms=900)
    widgets.link((explorer.controls["step"], "value"), (player, "value"))
    widgets.link((explorer.controls["step"], "max"), (player, "max"))
    box = explorer.children[1]
    box.children = (player, *box.children)
    explorer.play = player  # type: ignore[attr-defined]
    return explorer
