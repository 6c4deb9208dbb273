"""The one grid renderer: a scene -> SVG (every grid diagram of the course, static or live).

Every cell is a ``<g class="c k-KIND" data-cell="grid/row/col">`` holding a rect and its value as
text, inside a ``<g class="grid r-ROLE">`` per grid, so the live view (``panels/view.js``) can light
cells up by id and a test can parse the numbers back. The colours come from one style block: a
role's colour for its cells, grey for padding, a paler hatched grey for inserted zeros, pale cells
for what padding crops away, red for the cells being discussed (``course_utils.draw.colors``).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from .._checks import check_int
from ..scenes._scene import Scene, cell_id, check_scene, format_value
from .colors import COLORS, tint

__all__ = ["format_value", "scene_svg", "view_steps", "LEGEND"]

#: Size of the numbers in the cells, of the titles and of the legend, in CSS pixels.
NUMBER_PX, TITLE_PX, LEGEND_PX = 13, 13, 12
#: Smallest cell of a grid with numbers (the text is at least NUMBER_PX high in it).
CELL_MIN = 30
#: Widest line of grids before the renderer starts a new line.
MAX_WIDTH = 760
_GAP, _SYMBOL, _TITLE_H, _MARGIN, _LEGEND_H = 16, 26, 24, 6, 26
_CHAR = 0.6  # width of a character in em (a conservative estimate for sans-serif digits and text)

#: Legend text for each role and kind that a scene uses.
LEGEND = {
    "input": "input", "kernel": "kernel", "output": "output",
    "padding": "padding", "inserted": "inserted zeros", "cropped": "cropped by padding",
}

_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def _text_width(text: str, px: float) -> float:
    return len(text) * _CHAR * px


def _style() -> str:
    c = COLORS
    rules = [
        f"svg.course-scene{{font-family:{_FONT};}}",
        ".course-scene text{dominant-baseline:central;text-anchor:middle;}",
        ".course-scene .c rect{rx:3px;}",
        f".course-scene .c text{{font-size:{NUMBER_PX}px;fill:{c['text']};font-variant-numeric:tabular-nums;}}",
        f".course-scene .t{{font-size:{TITLE_PX}px;fill:{c['text']};}}",
        ".course-scene .sym{font-size:20px;fill:#555555;}",
        f".course-scene .lg{{font-size:{LEGEND_PX}px;fill:#444444;text-anchor:start;}}",
        f".course-scene .k-padding rect{{fill:{c['padding']};}}",
        ".course-scene .k-inserted rect{fill:url(#hatch);}",
        ".course-scene .k-inserted text,.course-scene .k-padding text{fill:#555555;}",
        ".course-scene .k-cropped rect{fill:#f4f4f4;}",
        ".course-scene .k-cropped text{fill:#9a9a9a;}",
        ".course-scene .k-empty rect{fill:#ffffff;stroke:#e6e6e6;}",
        # the step being played (s-): red, the colour of the cells being discussed (hover: view.css)
        # (cells are inset by a gap, so a red frame is never painted over by the next cell)
        f".course-scene .c.s-lit rect{{stroke:{c['highlight']};stroke-width:2;}}",
        f".course-scene .c.s-focus rect{{stroke:{c['highlight']};stroke-width:3;}}",
        ".course-scene .o-data{fill:none;stroke-dasharray:5 3;stroke-width:1.5;}",
        f".course-scene .o-window{{fill:none;stroke:{c['highlight']};stroke-width:2.5;}}",
        f".course-scene .o-crop{{fill:none;stroke:{c['text']};stroke-width:2;}}",
    ]
    for role in ("input", "kernel", "output"):
        rules.append(f".course-scene .r-{role} .k-data rect{{fill:{tint(c[role], 0.22)};}}")
        rules.append(f".course-scene .r-{role} .o-data{{stroke:{c[role]};}}")
        rules.append(f".course-scene .r-{role} .t{{fill:{c[role]};font-weight:bold;}}")
    return "".join(rules)


def _all_texts(g: dict[str, Any], patches: list[dict[str, Any]]) -> list[str]:
    """The text of every distinct value of a grid, in any step (each distinct value formatted once)."""
    values = {v for row in g["values"] for v in row}
    for patch in patches:
        for row in patch["values"]:
            values.update(row)
    return [format_value(v) for v in values]


def _cell_size(scene: Scene) -> float:
    """One cell size for every grid with numbers: wide enough for the longest value, in any step."""
    longest = 1
    for g in scene["grids"]:
        if g.get("numbers", True):
            patches = [s["patch"][g["name"]] for s in scene.get("steps", []) if g["name"] in s.get("patch", {})]
            longest = max(longest, *(len(t) for t in _all_texts(g, patches)))
    return max(CELL_MIN, math.ceil(_text_width("0" * longest, NUMBER_PX) + 10))


def _grid_cell(g: dict[str, Any], numbered: float) -> float:
    """A grid's cell size: the numbered size, or for a grid without numbers its ``"cell"`` key (px)
    when it has one (so that several maps share one scale), else a size that fits it in 360 px."""
    if g.get("numbers", True):
        return numbered
    if g.get("cell"):
        return float(g["cell"])
    rows, cols = len(g["values"]), len(g["values"][0]) if g["values"] else 0
    return max(6.0, min(numbered, 360.0 / max(rows, cols, 1)))


def _place(scene: Scene, cell: float) -> tuple[list[tuple[dict[str, Any], float, float, float, float]], float, float]:
    """Each grid with its cell size and the top-left corner of its title, and the drawing's size."""
    lines: dict[int, list[dict[str, Any]]] = {}
    for g in scene["grids"]:
        lines.setdefault(int(g.get("row", 0)), []).append(g)
    placed, y, width = [], float(_MARGIN), 0.0
    for key in sorted(lines):
        items = []  # (grid, cell, column width, symbol width)
        for g in lines[key]:
            size = _grid_cell(g, cell)
            cols = len(g["values"][0]) if g["values"] else 0
            column = max(cols * size, _text_width(g["title"], TITLE_PX) + 4)
            items.append((g, size, column, _SYMBOL if g.get("symbol") else 0.0))
        row: list[tuple[dict[str, Any], float, float, float]] = []
        x = float(_MARGIN)
        for item in items + [None]:  # type: ignore[list-item]
            fits = item is not None and (not row or x + item[3] + item[2] <= MAX_WIDTH)
            if not fits and row:  # close this line of grids
                height = max(len(g["values"]) * size for g, size, _, _ in row)
                for g, size, column, left in row:
                    placed.append((g, size, left, y, column))
                width = max(width, x)
                y += _TITLE_H + height + _GAP
                row, x = [], float(_MARGIN)
            if item is not None:
                g, size, column, symbol = item
                left = x + symbol  # a grid that starts a line keeps its symbol ("=" before a sum)
                row.append((g, size, column, left))
                x = left + column + _GAP
    return placed, width - _GAP + _MARGIN, y - _GAP


def _legend(scene: Scene) -> list[tuple[str, str]]:
    """(css class, label) for each role and kind the scene shows, in a fixed order."""
    roles = {g["role"] for g in scene["grids"]}
    kinds = {k for g in scene["grids"] for row in g["kinds"] for k in row}
    for step in scene.get("steps", []):
        for content in step.get("patch", {}).values():
            kinds |= {k for row in content["kinds"] for k in row}
    labels = {**LEGEND, **scene.get("legend", {})}
    items = [(f"r-{r} k-data", labels[r]) for r in ("input", "kernel", "output") if r in roles]
    items += [(f"k-{k}", labels[k]) for k in ("padding", "inserted", "cropped") if k in kinds]
    return items


def scene_svg(scene: Scene, step: int | None = None) -> str:
    """The SVG of ``scene``, showing ``step`` (default: the scene's ``"step"``) of its animation."""
    check_scene(scene)
    steps = scene.get("steps", [])
    step = scene.get("step", 0) if step is None else check_int("step", step, minimum=0)
    if steps and not 0 <= step < len(steps):
        raise ValueError(f"step must be from 0 to {len(steps) - 1}, got {step}")
    patch = steps[step].get("patch", {}) if steps else {}
    marks: dict[str, str] = {}
    if steps:  # the static picture shows the step's cells lit, as the live view does
        frame = steps[step]
        marks.update({c: " s-lit" for c in [*frame.get("cells", []), *frame.get("also", [])]})
        marks.update({frame[k]: " s-focus" for k in ("target", "source") if k in frame})
    cell = _cell_size(scene)
    placed, width, height = _place(scene, cell)
    legend = _legend(scene)
    total_h = height + (_LEGEND_H + 4 if legend else 0) + _MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="course-scene" width="{width:.0f}" '
           f'height="{total_h:.0f}" viewBox="0 0 {width:.0f} {total_h:.0f}">',
           f"<style>{_style()}</style>",
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#cfcfcf" stroke-width="2"/></pattern></defs>']
    for g, size, left, top, column in placed:
        content = patch.get(g["name"], g)
        values, kinds = content["values"], content["kinds"]
        rows, cols = len(values), len(values[0]) if values else 0
        x0 = left + (column - cols * size) / 2
        y0 = top + _TITLE_H
        out.append(f'<g class="grid r-{g["role"]}" data-grid="{escape(g["name"])}">')
        out.append(f'<text class="t" x="{left + column / 2:.1f}" y="{top + _TITLE_H / 2 - 1:.1f}">'
                   f'{escape(g["title"], quote=False)}</text>')
        if g.get("symbol"):
            out.append(f'<text class="sym" x="{left - _SYMBOL / 2 - _GAP / 2 + 4:.1f}" '
                       f'y="{y0 + rows * size / 2:.1f}">{escape(g["symbol"], quote=False)}</text>')
        numbers, shade = g.get("numbers", True), g.get("shade", False)
        gap = min(2.0, 0.12 * size)  # white space between cells
        # the value shaded in full colour: the grid's "peak" key (one scale for several maps) or its largest
        peak = g.get("peak") or max((abs(v) for row in values for v in row if v is not None), default=0.0) or 1.0
        for r in range(rows):
            for c in range(cols):
                v, kind = values[r][c], kinds[r][c]
                fill = ""
                if shade and kind == "data" and v is not None:
                    fill = f' style="fill:{tint(COLORS[g["role"]], 0.12 + 0.88 * abs(v) / peak)}"'
                text = format_value(v) if numbers and kind != "empty" else ""
                cid = cell_id(g["name"], r, c)
                out.append(f'<g class="c k-{kind}{marks.get(cid, "")}" data-cell="{cid}">'
                           f'<rect x="{x0 + c * size + gap / 2:.1f}" y="{y0 + r * size + gap / 2:.1f}" '
                           f'width="{size - gap:.1f}" height="{size - gap:.1f}"{fill}/>'
                           f'<text x="{x0 + (c + 0.5) * size:.1f}" y="{y0 + (r + 0.5) * size:.1f}">{text}</text></g>')
        for r0, c0, h, w, style in g.get("outlines", []):
            out.append(f'<rect class="o-{style}" x="{x0 + c0 * size:.1f}" y="{y0 + r0 * size:.1f}" '
                       f'width="{w * size:.1f}" height="{h * size:.1f}"/>')
        out.append("</g>")
    if legend:
        x, y = float(_MARGIN), height + 4 + _LEGEND_H / 2
        out.append('<g class="legend">')
        for css, label in legend:
            role, _, kind = css.rpartition(" ")
            out.append(f'<g class="{role}"><g class="c {kind}"><rect x="{x:.1f}" y="{y - 8:.1f}" width="16" '
                       f'height="16"/></g></g>'
                       f'<text class="lg" x="{x + 21:.1f}" y="{y:.1f}">{escape(label, quote=False)}</text>')
            x += 21 + _text_width(label, LEGEND_PX) + 18
        out.append("</g>")
        width = max(width, x)
        out[0] = (f'<svg xmlns="http://www.w3.org/2000/svg" class="course-scene" width="{width:.0f}" '
                  f'height="{total_h:.0f}" viewBox="0 0 {width:.0f} {total_h:.0f}">')
    out.append("</svg>")
    return "\n".join(out)


def view_steps(scene: Scene) -> list[dict[str, Any]]:
    """The scene's steps as the live view plays them: the cells to light and the texts to set.

    ``{"focus": [ids], "lit": [ids], "text": str, "set": {id: [text, kind]}}``; ``set`` covers every
    cell of the grids the steps patch, so any step can follow any other.
    """
    numbers = {g["name"]: g.get("numbers", True) for g in scene["grids"]}
    ids: dict[str, list[list[str]]] = {}  # the cell ids and texts, made once for every step (speed)
    texts: dict[Any, str] = {}
    frames = []
    for step in scene.get("steps", []):
        cells: dict[str, list[str]] = {}
        for name, content in step.get("patch", {}).items():
            if name not in ids:
                ids[name] = [[cell_id(name, r, c) for c in range(len(row))] for r, row in enumerate(content["values"])]
            for id_row, row, kind_row in zip(ids[name], content["values"], content["kinds"], strict=True):
                for cid, v, kind in zip(id_row, row, kind_row, strict=True):
                    if not numbers[name] or kind == "empty":
                        text = ""
                    elif (text := texts.get(v)) is None:
                        text = texts[v] = format_value(v)
                    cells[cid] = [text, kind]
        focus = [step[k] for k in ("target", "source") if k in step]
        frames.append({"focus": focus, "lit": [*step.get("cells", []), *step.get("also", [])],
                       "text": step.get("text", ""), "set": cells})
    return frames
