"""Static figures: a scene drawn as SVG for a notebook cell (from 00 onwards)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from IPython.display import SVG

from ..scenes.tensors import tensors_scene
from .svg import scene_svg

__all__ = ["scene_figure", "tensors_figure"]


def tensors_figure(tensors: Mapping[str, torch.Tensor], role: str = "input") -> SVG:
    """Some ``(H, W)`` tensors as grids of numbers, side by side (see :func:`tensors_scene`).

    ``tensors`` maps a title to a tensor; grids up to 12 cells wide show their values, wider ones
    are shaded by value. Introduced in 07_bilinear_upsampling.
    """
    return SVG(scene_svg(tensors_scene(tensors, role)))


def scene_figure(scene: dict, step: int | None = None) -> SVG:
    """Any scene as a static SVG picture for a notebook cell (the renderer of the live panels).

    ``step`` picks the frame of a scene with steps (default: the scene's own). Introduced in
    00_start_here.
    """
    return SVG(scene_svg(scene, step))
