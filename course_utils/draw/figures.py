"""Static figures: a scene drawn as SVG for a notebook cell (from 00 onwards).

Every static diagram of the course is a :class:`Diagram`, made by :func:`scene_figure` (or by a
topic's ``*_figure`` helper, which builds its scene and calls it). A notebook stores it as
``text/html``, an ``<img>`` whose source is the SVG itself (a ``data:image/svg+xml`` URI), and as
``text/plain``, the diagram's numbers grid by grid. The image shows wherever a notebook is read:
JupyterLab and Notebook 7 before the notebook is trusted (they do not render an ``image/svg+xml``
output of an untrusted notebook, and strip an inline ``<svg>`` from HTML; an ``<img>`` survives),
nbconvert's HTML, GitHub and nbviewer. Strict nbval compares both forms as text, so a changed
number in a diagram fails the tests, and its report shows which grid changed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

import torch

from ..scenes._scene import Scene, format_value
from ..scenes.tensors import tensors_scene
from .svg import scene_svg

__all__ = ["Diagram", "scene_figure", "tensors_figure", "scene_text"]

#: A grid with at most this many cells is written out in the text form; a larger one by its size.
TEXT_CELLS = 64


class Diagram:
    """A finished SVG drawing for a notebook cell: shown as an image, described as text.

    ``data`` is the SVG markup (what tests parse); ``text`` is the plain-text form (the numbers).
    """

    def __init__(self, svg: str, text: str, alt: str = "diagram") -> None:
        for name, value in (("svg", svg), ("text", text), ("alt", alt)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string, got {type(value).__name__}")
        if not svg.startswith("<svg"):
            raise ValueError("svg must be SVG markup, '<svg ...>...</svg>'")
        self.data, self.text, self.alt = svg, text, alt

    def _repr_html_(self) -> str:
        source = base64.b64encode(self.data.encode("utf-8")).decode("ascii")
        return (f'<img class="course-diagram" alt="{escape(self.alt)}" '
                f'src="data:image/svg+xml;base64,{source}"/>')

    def __repr__(self) -> str:
        return self.text


def scene_text(scene: Scene, step: int | None = None) -> str:
    """A scene's numbers as text, grid by grid (the plain-text form of its :class:`Diagram`)."""
    steps = scene.get("steps", [])
    index = scene.get("step", 0) if step is None else step
    patch = steps[index].get("patch", {}) if steps else {}
    lines = []
    for g in scene["grids"]:
        values = patch.get(g["name"], g)["values"]
        rows, cols = len(values), len(values[0]) if values else 0
        head = f"{g['title']} ({rows} x {cols})"
        if rows * cols > TEXT_CELLS:
            lines.append(head)
            continue
        body = "; ".join(" ".join(format_value(v) or "." for v in row) for row in values)
        lines.append(f"{head}: {body}")
    if steps:
        lines.append(f"step {index + 1} of {len(steps)}")
    return "\n".join(lines)


def scene_figure(scene: Scene, step: int | None = None) -> Diagram:
    """Any scene as a static picture for a notebook cell (drawn by the renderer of the live panels).

    ``step`` picks the frame of a scene with steps, counted as the player counts them: ``step=n`` is
    its "step n of m", from 1 to m (default: the scene's own). A drawing scene (a plot, ``{"svg":
    markup, "caption": [...]}``) is shown as it is. Introduced in 00_start_here.
    """
    if "svg" in scene:
        if step is not None:
            raise ValueError("step: this scene is a plot, which has no steps")
        return Diagram(scene["svg"], "\n".join(scene.get("caption", [])) or "plot", alt="plot")
    if step is not None:
        m = len(scene.get("steps", []))
        if not m:
            raise ValueError("step: this scene has no steps to choose from")
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= m:
            raise ValueError(f"step must be a whole number from 1 to {m} (the player's step n of {m}), got {step!r}")
        step -= 1  # the renderer counts frames from 0
    svg = scene_svg(scene, step)  # checks the scene
    titles = ", ".join(g["title"] for g in scene["grids"])
    return Diagram(svg, scene_text(scene, step), alt=f"diagram: {titles}")


def tensors_figure(tensors: Mapping[str, torch.Tensor], role: str = "input") -> Diagram:
    """Some ``(H, W)`` tensors as grids of numbers, side by side (see :func:`tensors_scene`).

    ``tensors`` maps a title to a tensor; grids up to 12 cells wide show their values, wider ones
    are shaded by value. Introduced in 07_bilinear_upsampling.
    """
    return scene_figure(tensors_scene(tensors, role))
