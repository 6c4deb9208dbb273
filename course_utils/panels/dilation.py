"""The figures and the panel of 04_dilated_convolution, drawn from the scenes of ``scenes/receptive.py``.

:func:`dilated_kernel_figure` and :func:`coverage_figure` return SVG pictures for a notebook cell;
:func:`dilation_explorer` shows three stacked dilated layers along one axis: hover a unit to light the
units it depends on and those it feeds, layer by layer, or press Play to walk the output unit's field
back to the input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..draw.figures import Diagram, scene_figure
from ..scenes.receptive import coverage_scene, dilated_kernel_scene, receptive_scene
from .explorer import Explorer, checked_slider

__all__ = ["dilated_kernel_figure", "coverage_figure", "dilation_explorer"]


def dilated_kernel_figure(kernel_size: int = 3, dilations: Sequence[int] = (1, 2, 3)) -> Diagram:
    """A ``kernel_size`` x ``kernel_size`` kernel drawn at each dilation: its weights (orange, numbered
    ``1 .. k*k``) and the inserted zeros in the holes (hatched), over the span ``d(k-1)+1`` (at most 32
    cells; at most 8 dilations). Introduced in 04_dilated_convolution."""
    return scene_figure(dilated_kernel_scene(kernel_size, dilations))


def coverage_figure(stacks: Mapping[str, object]) -> Diagram:
    """Coverage maps side by side, one per labelled stack (``{"(2, 2, 2)": layers, ...}``, at most 8).

    Blue: pixels that reach the central output unit (red outline), darker for more paths, on one
    scale for every map; white: pixels of the receptive field that never reach it. Every map has the
    same cell size. Introduced in 04_dilated_convolution.
    """
    return scene_figure(coverage_scene(stacks))


def dilation_explorer(kernel_size: int = 3, dilations: Sequence[int] = (2, 2, 2)) -> Explorer:
    """Panel for 04_dilated_convolution: three stacked stride-1 layers of ``kernel_size`` taps with the
    chosen dilations, along one axis. Hover a unit to light its field in every earlier layer and the
    units it feeds; Play walks the output unit's field back to the input, one layer per step. The
    caption gives the receptive field by formula and how many of its pixels are reached. Every
    argument must be a value its slider can show (kernel_size 2 to 5, dilations 1 to 5)."""
    kernel = checked_slider("kernel_size", kernel_size, 2, 5, label="kernel_size")
    if not isinstance(dilations, Sequence) or isinstance(dilations, str) or len(dilations) != 3:
        raise ValueError(f"dilations must have 3 entries (one per layer), got {dilations!r}")
    controls = {"kernel": kernel}
    for i, d in enumerate(dilations):
        controls[f"d{i + 1}"] = checked_slider(f"dilations[{i}]", d, 1, 5, label=f"dilation, layer {i + 1}")

    def build(kernel: int, d1: int, d2: int, d3: int) -> dict:
        return receptive_scene(kernel, (d1, d2, d3))

    return Explorer(build, controls, title="Three stacked dilated convolutions, along one axis: "
                                           "hover a unit, or press Play")
