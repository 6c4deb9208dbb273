"""The one grid renderer: a scene -> SVG (every grid diagram of the course, static or live).

Every cell is a ``<g class="c k-KIND" data-cell="grid/row/col">`` holding a rect and its value as
text, inside a ``<g class="grid r-ROLE">`` per grid, so the live view (``panels/view.js``) can light
cells up by id and a test can parse the numbers back. The colours come from one style block: a
role's colour for its cells, grey for padding, a paler hatched grey for inserted zeros, pale cells
for what padding crops away, red for the cells being discussed (``course_utils.draw.colors``).

Every drawing fits one laptop screen: at most :data:`MAX_WIDTH` wide and :data:`MAX_HEIGHT` tall.
Cells shrink until it fits; where a grid's numbers would be smaller than :data:`NUMBER_MIN_PX`, the
grid is marked ``nonum`` and draws its cells without them (the values stay in the markup, hidden, so
the live view shows one on hover and strict nbval still compares them); a shaded map whose values
are hidden gets a colour scale in the legend. Words outside the cells take the page's theme colours
where there is one (CSS variables of the live view, ``panels/view.css``) and fall back to dark words
on a white background elsewhere (a static copy shown as an image).
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
#: Numbers smaller than this (in px) are left out of a grid whose cells had to shrink.
NUMBER_MIN_PX = 11
#: Smallest cell of a grid with numbers at full size (the text is NUMBER_PX high in it).
CELL_MIN = 30
#: Widest line of grids before the renderer starts a new line, and the widest drawing.
MAX_WIDTH = 760
#: The tallest drawing, legend included: in a 1280 x 720 window JupyterLab shows about 600 px of a
#: notebook, and the player under the drawing needs about 25 of them.
MAX_HEIGHT = 570
_GAP, _SYMBOL, _TITLE_H, _MARGIN, _LEGEND_H = 16, 26, 24, 6, 26
_CHAR = 0.6  # width of a character in em (a conservative estimate for sans-serif digits and text)

#: Legend text for each role and kind that a scene uses.
LEGEND = {
    "input": "input", "kernel": "kernel", "output": "output",
    "padding": "padding", "inserted": "inserted zeros", "cropped": "cropped by padding",
}

_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"

#: Words in the drawing in each role's colour: a darker shade than the cells' (contrast at least 4.5
#: on white); the live view swaps in lighter ones on a dark theme (``--cv-ROLE-text``).
ROLE_TEXT = {"input": "#3b75af", "kernel": "#b35c12", "output": "#3d7f2e"}


def _text_width(text: str, px: float) -> float:
    return len(text) * _CHAR * px


def _style() -> str:
    c = COLORS
    text, muted = "var(--cv-text,#222222)", "var(--cv-muted,#555555)"
    rules = [
        f"svg.course-scene{{font-family:{_FONT};}}",
        ".course-scene .bg{fill:var(--cv-background,#ffffff);}",
        ".course-scene text{dominant-baseline:central;text-anchor:middle;}",
        ".course-scene .c rect{rx:3px;}",
        # the numbers stay the cells' own colour, dark on a pale cell, in every theme
        f".course-scene .c text{{font-size:{NUMBER_PX}px;fill:{c['text']};font-variant-numeric:tabular-nums;}}",
        ".course-scene .nonum .c text{display:none;}",
        f".course-scene .t{{font-size:{TITLE_PX}px;fill:{text};}}",
        f".course-scene .sym{{font-size:20px;fill:{muted};}}",
        f".course-scene .lg{{font-size:{LEGEND_PX}px;fill:{text};text-anchor:start;}}",
        ".course-scene .lg.end{text-anchor:end;}",
        f".course-scene .k-padding rect{{fill:{c['padding']};}}",
        ".course-scene .k-inserted rect{fill:url(#hatch);}",
        ".course-scene .k-inserted text,.course-scene .k-padding text{fill:#555555;}",
        ".course-scene .k-cropped rect{fill:#f4f4f4;}",
        ".course-scene .k-cropped text{fill:#9a9a9a;}",
        # an empty cell (nothing there yet) takes the page's colour in a dark theme
        ".course-scene .k-empty rect{fill:var(--cv-empty-fill,#ffffff);stroke:var(--cv-empty-stroke,#d0d0d0);}",
        # the step being played (s-): red, the colour of the cells being discussed (hover: view.css)
        # (cells are inset by a gap, so a red frame is never painted over by the next cell)
        f".course-scene .c.s-lit rect{{stroke:{c['highlight']};stroke-width:2;}}",
        f".course-scene .c.s-focus rect{{stroke:{c['highlight']};stroke-width:3;}}",
        ".course-scene .o-data{fill:none;stroke-dasharray:5 3;stroke-width:1.5;}",
        f".course-scene .o-window{{fill:none;stroke:{c['highlight']};stroke-width:2.5;}}",
        f".course-scene .o-crop{{fill:none;stroke:{text};stroke-width:2;}}",
        f".course-scene .scale{{stroke:{muted};stroke-width:0.5;}}",
    ]
    for role in ("input", "kernel", "output"):
        rules.append(f".course-scene .r-{role} .k-data rect{{fill:{tint(c[role], 0.22)};}}")
        rules.append(f".course-scene .r-{role} .o-data{{stroke:{c[role]};}}")
        rules.append(f".course-scene .r-{role} .t{{fill:var(--cv-{role}-text,{ROLE_TEXT[role]});font-weight:bold;}}")
    return "".join(rules)


def _all_texts(g: dict[str, Any], patches: list[dict[str, Any]]) -> list[str]:
    """The text of every distinct value of a grid, in any step (each distinct value formatted once)."""
    values = {v for row in g["values"] for v in row}
    for patch in patches:
        for row in patch["values"]:
            values.update(row)
    return [format_value(v) for v in values]


def _has_text(g: dict[str, Any]) -> bool:
    """Whether a grid's cells hold their values as text: a grid with numbers, or a shaded map (its
    values hidden, for hover)."""
    return bool(g.get("numbers", True) or g.get("shade", False))


def _longest(scene: Scene) -> dict[str, int]:
    """The longest value (in characters) of each grid with numbers, in any step."""
    longest = {}
    for g in scene["grids"]:
        if g.get("numbers", True):
            patches = [s["patch"][g["name"]] for s in scene.get("steps", []) if g["name"] in s.get("patch", {})]
            longest[g["name"]] = max(1, *(len(t) for t in _all_texts(g, patches)))
    return longest


def _number_px(cell: float, longest: int) -> float:
    """The size of the numbers in a cell of ``cell`` px that holds values of ``longest`` characters."""
    return min(NUMBER_PX, (cell - 6) / (_CHAR * longest), 0.55 * cell)


def _natural_cell(longest: int) -> float:
    """One cell size for every grid with numbers: wide enough for the longest value at full size."""
    return max(CELL_MIN, math.ceil(_text_width("0" * longest, NUMBER_PX) + 10))


def _grid_cell(g: dict[str, Any], cell: float, natural: float) -> float:
    """A grid's cell size when the numbered cells are ``cell`` px (``natural`` at full size): the
    numbered size, or for a grid without numbers its ``"cell"`` key (px) when it has one (so that
    several maps share one scale), else a size that fits it in 360 px, shrunk in proportion."""
    if g.get("numbers", True):
        return cell
    rows, cols = len(g["values"]), len(g["values"][0]) if g["values"] else 0
    full = float(g["cell"]) if g.get("cell") else max(6.0, min(natural, 360.0 / max(rows, cols, 1)))
    return max(2.0, full * cell / natural)


Placed = tuple[dict[str, Any], float, float, float, float]  # grid, cell size, left, top, column width


def _place(scene: Scene, cell: float, natural: float) -> tuple[list[Placed], float, float]:
    """Each grid with its cell size and the top-left corner of its title, and the drawing's size."""
    lines: dict[int, list[dict[str, Any]]] = {}
    for g in scene["grids"]:
        lines.setdefault(int(g.get("row", 0)), []).append(g)
    placed: list[Placed] = []
    y, width = float(_MARGIN), 0.0
    for key in sorted(lines):
        items = []  # (grid, cell, column width, symbol width)
        for g in lines[key]:
            size = _grid_cell(g, cell, natural)
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


def _peak(g: dict[str, Any]) -> float:
    """The value a shaded grid shows in full colour: its ``"peak"`` key, else its largest magnitude."""
    return g.get("peak") or max((abs(v) for row in g["values"] for v in row if v is not None),
                                default=0.0) or 1.0


def _scales(scene: Scene, hidden: set[str]) -> list[tuple[str, float]]:
    """(role, peak) of each colour scale the legend needs: one per shaded map whose values are hidden
    (and that has more than one value to tell apart), the same role and peak drawn once."""
    found: list[tuple[str, float]] = []
    for g in scene["grids"]:
        if not g.get("shade") or g["name"] not in hidden:
            continue
        distinct = {v for row, kinds in zip(g["values"], g["kinds"], strict=True)
                    for v, k in zip(row, kinds, strict=True) if k == "data" and v is not None}
        if len(distinct) > 1 and (g["role"], _peak(g)) not in found:
            found.append((g["role"], _peak(g)))
    return found


_SCALE_W = 80  # width of a colour scale's bar in the legend


def _legend_items(legend: list[tuple[str, str]], scales: list[tuple[str, float]]) -> list[tuple[str, Any, float]]:
    """Each legend item with its width: ``("key", (css, label), w)`` or ``("scale", (role, peak), w)``."""
    items: list[tuple[str, Any, float]] = [("key", item, 21 + _text_width(item[1], LEGEND_PX) + 18) for item in legend]
    for role, peak in scales:
        label = format_value(peak)
        items.append(("scale", (role, peak), _text_width("0", LEGEND_PX) + 4 + _SCALE_W + 4
                      + _text_width(label, LEGEND_PX) + 18))
    return items


def _legend_lines(items: list[tuple[str, Any, float]]) -> list[list[tuple[str, Any, float]]]:
    """The legend's items, in lines no wider than MAX_WIDTH."""
    lines: list[list[tuple[str, Any, float]]] = []
    x = MAX_WIDTH
    for item in items:
        if x + item[2] > MAX_WIDTH and (not lines or lines[-1]):
            lines.append([])
            x = float(_MARGIN)
        lines[-1].append(item)
        x += item[2]
    return lines


def _fit(scene: Scene, legend_h: float) -> tuple[float, float, dict[str, float]]:
    """The numbered cell size that fits the drawing in MAX_WIDTH x MAX_HEIGHT (the largest that fits,
    at most the natural one), the natural size, and the size of each numbered grid's numbers."""
    longest = _longest(scene)
    natural = _natural_cell(max(longest.values(), default=1))
    cell = natural
    while True:
        _, width, height = _place(scene, cell, natural)
        if (height + legend_h + _MARGIN <= MAX_HEIGHT and width <= MAX_WIDTH) or cell <= 4:
            break
        cell = max(4.0, cell - 1 if cell > 12 else cell - 0.5)
    return cell, natural, {name: _number_px(cell, n) for name, n in longest.items()}


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
    legend = _legend(scene)
    # a first guess of the legend (the scales depend on which numbers are hidden, known after fitting)
    guess = _legend_lines(_legend_items(legend, _scales(scene, {g["name"] for g in scene["grids"]})))
    cell, natural, number_px = _fit(scene, len(guess) * _LEGEND_H + 4 if guess else 0)
    placed, width, height = _place(scene, cell, natural)
    hidden = {g["name"] for g in scene["grids"] if number_px.get(g["name"], 0.0) < NUMBER_MIN_PX}
    lines = _legend_lines(_legend_items(legend, _scales(scene, hidden)))
    total_h = height + (len(lines) * _LEGEND_H + 4 if lines else 0) + _MARGIN
    out = ["", f"<style>{_style()}</style>",
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#cfcfcf" stroke-width="2"/></pattern></defs>',
           '<rect class="bg" width="100%" height="100%"/>']
    gradients: dict[str, str] = {}
    for g, size, left, top, column in placed:
        content = patch.get(g["name"], g)
        values, kinds = content["values"], content["kinds"]
        rows, cols = len(values), len(values[0]) if values else 0
        left_aligned = g.get("align") == "left"
        x0 = left if left_aligned else left + (column - cols * size) / 2
        y0 = top + _TITLE_H
        nonum = " nonum" if g["name"] in hidden else ""
        out.append(f'<g class="grid r-{g["role"]}{nonum}" data-grid="{escape(g["name"])}">')
        title_x, anchor = (left, ' style="text-anchor:start"') if left_aligned else (left + column / 2, "")
        out.append(f'<text class="t" x="{title_x:.1f}" y="{top + _TITLE_H / 2 - 1:.1f}"{anchor}>'
                   f'{escape(g["title"], quote=False)}</text>')
        if g.get("symbol"):
            out.append(f'<text class="sym" x="{left - _SYMBOL / 2 - _GAP / 2 + 4:.1f}" '
                       f'y="{y0 + rows * size / 2:.1f}">{escape(g["symbol"], quote=False)}</text>')
        texts, shade = _has_text(g), g.get("shade", False)
        gap = min(2.0, 0.12 * size)  # white space between cells
        px = number_px.get(g["name"], NUMBER_PX)
        font = "" if nonum or px >= NUMBER_PX else f' style="font-size:{px:.1f}px"'
        # the value shaded in full colour: the grid's "peak" key (one scale for several maps) or its largest
        peak = _peak(g)
        for r in range(rows):
            for c in range(cols):
                v, kind = values[r][c], kinds[r][c]
                fill = ""
                if shade and kind == "data" and v is not None:
                    fill = f' style="fill:{tint(COLORS[g["role"]], 0.12 + 0.88 * abs(v) / peak)}"'
                text = format_value(v) if texts and kind != "empty" else ""
                cid = cell_id(g["name"], r, c)
                out.append(f'<g class="c k-{kind}{marks.get(cid, "")}" data-cell="{cid}">'
                           f'<rect x="{x0 + c * size + gap / 2:.1f}" y="{y0 + r * size + gap / 2:.1f}" '
                           f'width="{size - gap:.1f}" height="{size - gap:.1f}"{fill}/>'
                           f'<text x="{x0 + (c + 0.5) * size:.1f}" y="{y0 + (r + 0.5) * size:.1f}"{font}>{text}</text></g>')
        for r0, c0, h, w, style in g.get("outlines", []):
            out.append(f'<rect class="o-{style}" x="{x0 + c0 * size:.1f}" y="{y0 + r0 * size:.1f}" '
                       f'width="{w * size:.1f}" height="{h * size:.1f}"/>')
        out.append("</g>")
    if lines:
        out.append('<g class="legend">')
        y = height + 4 + _LEGEND_H / 2
        for line in lines:
            x = float(_MARGIN)
            for what, item, w in line:
                if what == "key":
                    css, label = item
                    role, _, kind = css.rpartition(" ")
                    out.append(f'<g class="{role}"><g class="c {kind}"><rect x="{x:.1f}" y="{y - 8:.1f}" width="16" '
                               f'height="16"/></g></g>'
                               f'<text class="lg" x="{x + 21:.1f}" y="{y:.1f}">{escape(label, quote=False)}</text>')
                else:  # a colour scale: 0 on the left, the peak on the right
                    role, peak = item
                    gid = gradients.setdefault(role, f"scale-{role}")
                    x1 = x + _text_width("0", LEGEND_PX) + 4
                    out.append(f'<text class="lg" x="{x:.1f}" y="{y:.1f}">0</text>'
                               f'<rect class="scale" x="{x1:.1f}" y="{y - 7:.1f}" width="{_SCALE_W}" height="14" '
                               f'fill="url(#{gid})"/>'
                               f'<text class="lg" x="{x1 + _SCALE_W + 4:.1f}" y="{y:.1f}">'
                               f'{escape(format_value(peak))}</text>')
                x += w
            width = max(width, x - 18 + _MARGIN)
            y += _LEGEND_H
        out.append("</g>")
    if gradients:
        stops = "".join(f'<linearGradient id="{gid}"><stop offset="0" stop-color="{tint(COLORS[role], 0.12)}"/>'
                        f'<stop offset="1" stop-color="{COLORS[role]}"/></linearGradient>'
                        for role, gid in gradients.items())
        out[2] = out[2].replace("</defs>", stops + "</defs>")
    out[0] = (f'<svg xmlns="http://www.w3.org/2000/svg" class="course-scene" width="{width:.0f}" '
              f'height="{total_h:.0f}" viewBox="0 0 {width:.0f} {total_h:.0f}">')
    out.append("</svg>")
    return "\n".join(out)


def view_steps(scene: Scene) -> list[dict[str, Any]]:
    """The scene's steps as the live view plays them: the cells to light and the texts to set.

    ``{"focus": [ids], "lit": [ids], "text": str, "set": {id: [text, kind]}}``; ``set`` covers every
    cell of the grids the steps patch, so any step can follow any other.
    """
    numbers = {g["name"]: _has_text(g) for g in scene["grids"]}
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
