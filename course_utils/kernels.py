"""The static overlap figure of 07_bilinear_upsampling: how many kernel copies land on each pixel.

The counts come from the engine (``course_utils.conv.bilinear.overlap_count``), the diagram from
:func:`~course_utils.scenes.overlap.overlap_scene`; the live panel is
:func:`~course_utils.panels.overlap.overlap_explorer`.
"""

from __future__ import annotations

from .draw.figures import Diagram, scene_figure
from .scenes.overlap import overlap_scene

__all__ = ["overlap_figure"]


def overlap_figure(kernel_size: int = 3, stride: int = 2, layers: int = 1, *, input_size: int = 4) -> Diagram:
    """Print the caption of the overlap map of a transposed convolution and return the map as SVG.

    Ones (``input_size`` x ``input_size``) go through ``layers`` ``ConvTranspose2d`` with a kernel of
    ones: each output pixel shows how many kernel copies land on it (:func:`overlap_scene`).
    Introduced in 07_bilinear_upsampling.
    """
    scene = overlap_scene(kernel_size, stride, layers, input_size)
    print("\n".join(scene["caption"]))
    return scene_figure(scene)
