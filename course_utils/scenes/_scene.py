"""What a scene is: plain data that says what a diagram shows (DESIGN.md, "Panels").

A scene is a JSON-serialisable dict:

- ``"grids"``: a list of grids, each ``{"name", "role", "title", "values", "kinds"}``; ``values`` and
  ``kinds`` are lists of rows. A value is a number or ``None`` (a cell without text). A kind is one of
  :data:`KINDS`. Optional keys: ``"symbol"`` (an operator drawn before the grid: ``"*"``, ``"="``,
  ``"+"``, ``"→"``), ``"row"`` (the line of the diagram it goes on, from 0), ``"outlines"`` (rectangles
  ``[top, left, height, width, style]`` drawn over the cells, ``style`` one of :data:`OUTLINES`),
  ``"numbers"`` (``False`` draws the cells without their values, for large maps), ``"shade"``
  (``True`` tints each data cell by its value, for count maps), ``"peak"`` (the value shaded in full
  colour, so several maps share one scale), ``"cell"`` (the cell size in px of a grid without numbers)
  and ``"align"`` (``"left"``: the cells start at the left of the grid's column, under a title that
  starts there too, so that grids on different lines stay aligned however wide their titles are).
- ``"links"``: cell id (``"grid/row/col"``) -> the cell ids it depends on or feeds, for hover.
- ``"steps"``: the frames of an animation, each a dict that names the cells it lights: ``"target"``
  or ``"source"`` (one cell id), ``"cells"`` (cell ids), and optionally ``"also"`` (more cell ids to
  light, such as the kernel), ``"text"`` (a line shown under the player) and ``"patch"`` (grid name
  -> ``{"values", "kinds"}``, a grid's whole content in this frame; every step patches the same grids).
- ``"step"``: the frame shown first (0 when there are steps).
- ``"caption"``: lines of text (the formula with the numbers, the equivalent PyTorch line).
- ``"legend"`` (optional): kind or role -> the legend's words for it in this diagram (for example
  ``{"inserted": "no copy reaches (0)"}``).

A plot that has no cells (the histogram of 01) is a scene of a second kind, a finished drawing:
``{"svg": markup, "caption": [lines of text]}``, with no ``"grids"``, ``"links"`` or ``"steps"``. The
panels send its markup to the view as they are (``course_utils.panels.view.scene_markup``).

Scenes are built by the functions of this package from the engine (``course_utils.conv``); they hold
no drawing code. ``course_utils.draw.svg`` turns one into SVG.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

__all__ = ["KINDS", "OUTLINES", "Scene", "cell_id", "grid", "values_of", "check_scene", "format_value", "real_tensor",
           "MAX_SIDE"]

#: The most cells a grid of a scene has along one side (a diagram, not a data dump).
MAX_SIDE = 40

Scene = dict[str, Any]

#: Cell kinds: ``data`` a value of the grid's role; ``padding`` a cell padding adds (zeros, or a copy
#: for the other padding modes); ``inserted`` a zero that stride or dilation inserts, or that no
#: kernel copy reaches; ``cropped`` a cell that padding crops away; ``empty`` nothing there.
KINDS = ("data", "padding", "inserted", "cropped", "empty")

#: Outline styles: ``data`` (dashed, around the original input inside its padding), ``window``
#: (solid red: the cells being discussed), ``crop`` (dark: the part of a canvas that is kept).
OUTLINES = ("data", "window", "crop")


def format_value(value: float | None) -> str:
    """How a number is written in a cell: whole numbers without a point, others to 4 significant digits."""
    if value is None:
        return ""
    if value != value:  # NaN
        return "nan"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def real_tensor(name: str, value: object, dims: tuple[int, ...], layout: str) -> torch.Tensor:
    """``value`` as a real, finite tensor with one of ``dims`` dimensions (``layout`` names them in messages)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor {layout}, got {type(value).__name__}")
    if value.dim() not in dims:
        raise ValueError(f"{name} must be {layout}, got shape {tuple(value.shape)}")
    if value.is_complex() or value.device.type == "meta" or value.dtype == torch.bool:
        raise TypeError(f"{name} must hold real numbers (a float or integer tensor), got {value.dtype} on {value.device}")
    if any(side == 0 for side in value.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if any(side > MAX_SIDE for side in value.shape[-2:]):
        raise ValueError(f"{name} is {tuple(value.shape)}: a diagram draws at most {MAX_SIDE} cells a side")
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite: it holds NaN or inf")
    return value.detach().cpu()


def cell_id(grid_name: str, row: int, col: int) -> str:
    """The id of one cell: ``"input/2/3"``."""
    return f"{grid_name}/{row}/{col}"


def values_of(t: torch.Tensor | Sequence[Sequence[float]]) -> list[list[float]]:
    """A 2D tensor as a list of rows of Python floats (what a scene stores)."""
    if isinstance(t, torch.Tensor):
        return [[float(v) for v in row] for row in t.detach().to(torch.float64).tolist()]
    return [[float(v) for v in row] for row in t]


def grid(name: str, role: str, title: str, values: torch.Tensor | Sequence[Sequence[float | None]],
         kinds: Sequence[Sequence[str]] | str = "data", **extra: Any) -> dict[str, Any]:
    """One grid of a scene; ``kinds`` may be one kind for every cell."""
    if isinstance(values, torch.Tensor):
        rows = values_of(values)
    else:
        rows = [[None if v is None else float(v) for v in row] for row in values]
    if isinstance(kinds, str):
        kind_rows = [[kinds] * len(row) for row in rows]
    else:
        kind_rows = [list(row) for row in kinds]
    return {"name": name, "role": role, "title": title, "values": rows, "kinds": kind_rows, **extra}


def _ids(scene: Scene) -> set[str]:
    return {cell_id(g["name"], r, c) for g in scene["grids"]
            for r, row in enumerate(g["values"]) for c in range(len(row))}


def _check_drawing(scene: Scene) -> Scene:
    """A scene that is a finished drawing: ``{"svg": markup, "caption": [lines]}``."""
    markup = scene["svg"]
    if not isinstance(markup, str) or not markup.startswith("<svg") or not markup.rstrip().endswith("</svg>"):
        raise ValueError("a drawing scene's 'svg' must be SVG markup, '<svg ...>...</svg>'")
    extra = sorted(set(scene) - {"svg", "caption"})
    if extra:
        raise ValueError(f"a drawing scene has only 'svg' and 'caption', got also {extra}")
    caption = scene.get("caption", [])
    if not isinstance(caption, list) or not all(isinstance(line, str) for line in caption):
        raise ValueError("a scene's 'caption' must be a list of lines of text")
    return scene


def check_scene(scene: Scene) -> Scene:
    """Check a scene's structure (used by the tests and by the renderer); returns it.

    Every grid is rectangular with a kind for every value, every link and step names cells that
    exist, and every step patches the same grids with grids of the same shape. A drawing scene
    (``{"svg": markup, "caption": [...]}``) holds SVG markup, lines of text, and nothing to light or play.
    """
    if "svg" in scene:
        return _check_drawing(scene)
    names = [g["name"] for g in scene["grids"]]
    if len(set(names)) != len(names):
        raise ValueError(f"grid names must be unique, got {names}")
    for g in scene["grids"]:
        widths = {len(row) for row in g["values"]}
        if len(widths) > 1 or [len(r) for r in g["kinds"]] != [len(r) for r in g["values"]]:
            raise ValueError(f"grid {g['name']!r}: values and kinds must be rectangles of the same shape")
        bad = {k for row in g["kinds"] for k in row} - set(KINDS)
        if bad:
            raise ValueError(f"grid {g['name']!r}: unknown kinds {sorted(bad)}; allowed: {KINDS}")
        if g.get("align", "center") not in ("center", "left"):
            raise ValueError(f"grid {g['name']!r}: align must be 'center' or 'left', got {g['align']!r}")
        for outline in g.get("outlines", []):
            if outline[4] not in OUTLINES:
                raise ValueError(f"grid {g['name']!r}: outline style must be one of {OUTLINES}")
    ids = _ids(scene)

    def known(where: str, cells: Iterable[str]) -> None:
        missing = [c for c in cells if c not in ids]
        if missing:
            raise ValueError(f"{where} names cells that no grid has: {missing[:5]}")

    for key, targets in scene.get("links", {}).items():
        known("links", [key, *targets])
    shapes = {g["name"]: (len(g["values"]), len(g["values"][0]) if g["values"] else 0) for g in scene["grids"]}
    patched: set[str] | None = None
    for i, step in enumerate(scene.get("steps", [])):
        focus = [step[k] for k in ("target", "source") if k in step]
        known(f"steps[{i}]", [*focus, *step.get("cells", []), *step.get("also", [])])
        patch = step.get("patch", {})
        if patched is None:
            patched = set(patch)
        if set(patch) != patched:
            raise ValueError(f"steps[{i}] patches {sorted(patch)}, the first step {sorted(patched)}")
        for name, content in patch.items():
            rows = content["values"]
            if (len(rows), len(rows[0]) if rows else 0) != shapes.get(name):
                raise ValueError(f"steps[{i}] patch of {name!r} has the wrong shape")
    if scene.get("steps") and not 0 <= scene.get("step", 0) < len(scene["steps"]):
        raise ValueError(f"step must be from 0 to {len(scene['steps']) - 1}")
    return scene
