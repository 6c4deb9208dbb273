"""Scenes: what each diagram of the course shows, as plain data built from the engine (03-07).

A scene (see ``_scene``) holds the grids, the links between cells, the steps of an animation and
the caption. Building one takes a few milliseconds; ``course_utils.draw.svg`` renders it and the
panels send it to the browser. Nothing here imports matplotlib or ipywidgets.
"""

from ._scene import Scene, check_scene
from .conv2d import conv2d_scene
from .scatter import scatter_scene

__all__ = ["Scene", "check_scene", "conv2d_scene", "scatter_scene"]
