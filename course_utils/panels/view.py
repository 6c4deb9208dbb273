"""The browser side of a panel: an anywidget view that draws a scene and answers the pointer (03-07).

:class:`SceneView` holds what the browser needs: the SVG (a grid diagram's, or a plot's), the scene's
links and steps (as :func:`~course_utils.draw.svg.view_steps` writes them), the step shown first,
the message line and the caption. Its front end is one ES module beside this file (``view.js``):
hover and click light up a cell's links, Play and the step slider walk the steps, all without a
round trip to the kernel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..draw.svg import scene_svg, view_steps
from ..scenes._scene import Scene, check_scene

__all__ = ["SceneView", "scene_markup"]

_HERE = Path(__file__).parent


def scene_markup(scene: Scene) -> tuple[str, dict[str, Any]]:
    """The markup and the browser data of a scene: ``(svg, {"links", "steps", "step"})``.

    A grid scene is drawn by :func:`~course_utils.draw.svg.scene_svg`; a drawing scene (a plot,
    ``{"svg": markup, "caption": [...]}``) is already SVG, sent as it is, with nothing to light or play.
    """
    if "svg" in scene:
        return check_scene(scene)["svg"], {"links": {}, "steps": [], "step": 0}
    return scene_svg(scene), {"links": scene.get("links", {}), "steps": view_steps(scene),
                              "step": scene.get("step", 0)}


class SceneView(anywidget.AnyWidget):
    """The drawing, its links and steps, the message line and the caption of one panel."""

    # the module and its style as text: a file path would make anywidget watch the file and keep every
    # view ever made alive through the watcher
    _esm = (_HERE / "view.js").read_text(encoding="utf-8")
    _css = (_HERE / "view.css").read_text(encoding="utf-8")

    markup = traitlets.Unicode("").tag(sync=True)
    links = traitlets.Dict().tag(sync=True)
    steps = traitlets.List().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    #: counts the scenes sent: the browser redraws on each, even when the markup did not change
    #: (two settings can draw alike and differ in their links and steps)
    drawing = traitlets.Int(0).tag(sync=True)
    #: counts the kernel's answers (a drawing or a message), so the page knows each one arrived
    revision = traitlets.Int(0).tag(sync=True)

    def show(self, markup: str, data: dict[str, Any], caption: str) -> None:
        """Send a new drawing (one message to the browser) and clear the message line."""
        with self.hold_sync():
            self.links = data["links"]
            self.steps = data["steps"]
            self.step = data["step"]
            self.caption = caption
            self.message = ""
            self.markup = markup
            self.drawing += 1  # the browser redraws on this, whatever else changed
            self.revision += 1

    def refuse(self, message: str) -> None:
        """Keep the last drawing, dimmed, and say why this setting cannot be drawn."""
        with self.hold_sync():
            self.message = message
            self.revision += 1
