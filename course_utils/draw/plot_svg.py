"""Plots drawn by hand as SVG: one pair of axes with bars and curves, a title and a legend (01).

A live plot redrawn on every slider move costs a few milliseconds this way (a matplotlib PNG of the
same plot costs 60-80 ms), and a static copy in a notebook is text that stays crisp at any zoom and
that strict nbval compares. The histogram panel of 01_rand_vs_randn
(:func:`course_utils.distributions.histogram_scene`) is drawn with :func:`plot_svg`.

What a test can read back from the markup: each :class:`Bars` is one ``<path class="bars">`` (a
filled outline of steps, so that neighbouring bars show no seams), each :class:`Curve` one
``<polyline class="curve">``; both carry ``data-label``. The plot area is the ``<rect
class="area">``: data ``x0..x1`` spans its width and ``y0..y1`` its height (bottom to top), and the
limits are in the ``<svg>``'s ``data-xlim`` and ``data-ylim``. Tick labels are ``<text
class="tick">``, the legend's ``<text class="lg">``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

from .._checks import check_int
from .colors import COLORS

__all__ = ["Bars", "Curve", "nice_ticks", "tick_text", "plot_svg", "PLOT_WIDTH", "PLOT_HEIGHT"]

#: Size of a plot in CSS pixels, title, labels and legend included (it fits a notebook's column).
PLOT_WIDTH, PLOT_HEIGHT = 660, 320
#: Text sizes in CSS pixels: tick labels and legend, axis labels and title.
TICK_PX, LABEL_PX, TITLE_PX = 12, 13, 13

_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
_LEFT, _RIGHT, _TOP = 62, 18, 30  # the plot area's margins: y tick labels and label / x tick overhang / title
_TICK = 5  # tick length (outwards)
_CHAR = 0.6  # width of a character in em (a conservative estimate, as in draw/svg.py)
_SWATCH, _SWATCH_GAP, _ITEM_GAP, _LEGEND_ROW = 20, 6, 18, 20


class Bars(NamedTuple):
    """A histogram: ``heights[i]`` over ``[edges[i], edges[i + 1]]``, filled, semi-transparent."""

    edges: Sequence[float]
    heights: Sequence[float]
    colour: str
    label: str
    opacity: float = 0.45


class Curve(NamedTuple):
    """A line through the points ``(x[i], y[i])``."""

    x: Sequence[float]
    y: Sequence[float]
    colour: str
    label: str
    width: float = 2.0


def nice_ticks(lo: float, hi: float, most: int = 8) -> tuple[list[float], int]:
    """At most ``most`` round tick values from ``lo`` to ``hi`` (steps of 1, 2 or 5 times a power of
    ten), and the number of decimals that writes every one of them exactly."""
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"the axis limits must be finite with lo < hi, got ({lo}, {hi})")
    span = hi - lo
    magnitude = 10.0 ** math.floor(math.log10(span / most))
    step = next(m * magnitude for m in (1, 2, 5, 10) if span / (m * magnitude) <= most)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    decimals = next(d for d in range(12) if abs(step * 10**d - round(step * 10**d)) < 1e-6 * 10**d * step)
    return [round(i * step, decimals) + 0.0 for i in range(first, last + 1)], decimals


def tick_text(value: float, decimals: int) -> str:
    """A tick label: ``decimals`` places and a true minus sign (U+2212), as matplotlib writes them."""
    return f"{value + 0.0:.{decimals}f}".replace("-", "\u2212")


def _text_width(text: str, px: float) -> float:
    return len(text) * _CHAR * px


def _style() -> str:
    text = COLORS["text"]
    return "".join([
        f"svg.course-plot{{font-family:{_FONT};}}",
        f".course-plot text{{fill:{text};dominant-baseline:central;text-anchor:middle;}}",
        f".course-plot .tick{{font-size:{TICK_PX}px;font-variant-numeric:tabular-nums;}}",
        ".course-plot .ytick{text-anchor:end;}",
        f".course-plot .label{{font-size:{LABEL_PX}px;}}",
        f".course-plot .title{{font-size:{TITLE_PX}px;}}",
        f".course-plot .lg{{font-size:{TICK_PX}px;text-anchor:start;}}",
        ".course-plot .axis{stroke:#444444;stroke-width:1;fill:none;shape-rendering:crispEdges;}",
        ".course-plot .grid{stroke:#e8e8e8;stroke-width:1;shape-rendering:crispEdges;}",
        ".course-plot .curve{fill:none;stroke-linejoin:round;stroke-linecap:round;}",
    ])


def _legend_rows(series: Sequence[Bars | Curve], width: float) -> list[list[tuple[Bars | Curve, float]]]:
    """The legend's items in rows that fit ``width``, each item with its width."""
    rows: list[list[tuple[Bars | Curve, float]]] = [[]]
    used = 0.0
    for item in series:
        size = _SWATCH + _SWATCH_GAP + _text_width(item.label, TICK_PX)
        if rows[-1] and used + _ITEM_GAP + size > width:
            rows.append([])
            used = 0.0
        used += (_ITEM_GAP if rows[-1] else 0.0) + size
        rows[-1].append((item, size))
    return rows


def plot_svg(series: Sequence[Bars | Curve], *, xlim: tuple[float, float], ylim: tuple[float, float],
             title: str = "", xlabel: str = "", ylabel: str = "", width: int = PLOT_WIDTH,
             height: int = PLOT_HEIGHT) -> str:
    """One pair of axes as SVG: every :class:`Bars` first, then every :class:`Curve` over them.

    ``width`` x ``height`` is the whole picture in CSS pixels; the plot area is what the title, the
    tick labels, the axis labels and the legend (one entry per series, in the order given, in rows
    under the plot) leave. Bars and curves must lie inside ``xlim`` x ``ylim`` (nothing is clipped).
    Used by the histogram panel of 01_rand_vs_randn.
    """
    (x0, x1), (y0, y1) = map(float, xlim), map(float, ylim)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"xlim and ylim must go from low to high, got {xlim} and {ylim}")
    width, height = check_int("width", width, minimum=1), check_int("height", height, minimum=1)
    rows = _legend_rows(series, width - 16) if series else []
    below = _TICK + 16 + (28 if xlabel else 10)  # ticks, tick labels and the x label under the plot area
    left, top = _LEFT, _TOP if title else 10
    right = width - _RIGHT
    legend_top = height - 6 - len(rows) * _LEGEND_ROW
    bottom = legend_top - below
    if right - left < 100 or bottom - top < 60:
        raise ValueError(f"a plot of {width} x {height} px leaves no room for its plot area")
    sx, sy = (right - left) / (x1 - x0), (bottom - top) / (y1 - y0)

    def px(x: float) -> float:
        return left + (x - x0) * sx

    def py(y: float) -> float:
        return bottom - (y - y0) * sy

    label = f' role="img" aria-label="{escape(title)}"' if title else ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="course-plot" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" data-xlim="{x0:g} {x1:g}" data-ylim="{y0:g} {y1:g}"{label}>',
           f"<style>{_style()}</style>",
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<rect class="area" x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none"/>']
    yticks, ydec = nice_ticks(y0, y1, 7)
    xticks, xdec = nice_ticks(x0, x1, 10)
    for t in yticks:  # faint lines across the plot at the y ticks, under the data
        if t > y0:
            y = round(py(t)) + 0.5
            out.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>')
    for bars in (s for s in series if isinstance(s, Bars)):
        if len(bars.edges) != len(bars.heights) + 1:
            raise ValueError(f"bars {bars.label!r}: {len(bars.edges)} edges for {len(bars.heights)} heights")
        base = py(y0)
        steps = "".join(f"V{py(h):.1f}H{px(e):.1f}" for h, e in zip(bars.heights, bars.edges[1:], strict=True))
        out.append(f'<path class="bars" data-label="{escape(bars.label)}" fill="{bars.colour}" '
                   f'fill-opacity="{bars.opacity:g}" d="M{px(bars.edges[0]):.1f},{base:.1f}{steps}V{base:.1f}Z"/>')
    for curve in (s for s in series if isinstance(s, Curve)):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(curve.x, curve.y, strict=True))
        out.append(f'<polyline class="curve" data-label="{escape(curve.label)}" stroke="{curve.colour}" '
                   f'stroke-width="{curve.width:g}" points="{points}"/>')
    # the axes: left and bottom lines, ticks outwards, labels
    out.append(f'<path class="axis" d="M{left - 0.5},{top}V{bottom + 0.5}H{right}"/>')
    ticks = []
    for t in xticks:
        x = round(px(t)) + 0.5
        ticks.append(f"M{x},{bottom + 0.5}v{_TICK}")
        out.append(f'<text class="tick xtick" x="{x}" y="{bottom + _TICK + 9}">{tick_text(t, xdec)}</text>')
    for t in yticks:
        y = round(py(t)) + 0.5
        ticks.append(f"M{left - 0.5},{y}h{-_TICK}")
        out.append(f'<text class="tick ytick" x="{left - _TICK - 4}" y="{y}">{tick_text(t, ydec)}</text>')
    out.append(f'<path class="axis" d="{"".join(ticks)}"/>')
    if xlabel:
        out.append(f'<text class="label" x="{(left + right) / 2:g}" y="{bottom + _TICK + 30}">'
                   f"{escape(xlabel, quote=False)}</text>")
    if ylabel:
        out.append(f'<text class="label" transform="translate(14 {(top + bottom) / 2:g}) rotate(-90)">'
                   f"{escape(ylabel, quote=False)}</text>")
    if title:
        out.append(f'<text class="title" x="{(left + right) / 2:g}" y="{top - 16}">{escape(title, quote=False)}</text>')
    out.append('<g class="legend">')
    for r, row in enumerate(rows):
        x = (width - sum(size for _, size in row) - _ITEM_GAP * (len(row) - 1)) / 2
        y = legend_top + (r + 0.5) * _LEGEND_ROW
        for item, size in row:
            if isinstance(item, Bars):
                out.append(f'<rect x="{x:.1f}" y="{y - 6:.1f}" width="{_SWATCH}" height="12" fill="{item.colour}" '
                           f'fill-opacity="{item.opacity:g}"/>')
            else:
                out.append(f'<line x1="{x:.1f}" x2="{x + _SWATCH:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                           f'stroke="{item.colour}" stroke-width="{item.width:g}"/>')
            out.append(f'<text class="lg" x="{x + _SWATCH + _SWATCH_GAP:.1f}" y="{y:.1f}">'
                       f"{escape(item.label, quote=False)}</text>")
            x += size + _ITEM_GAP
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
