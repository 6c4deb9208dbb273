"""Scenes: what each diagram of the course shows, as plain data built from the engine (00-07).

A scene (see ``_scene``) holds the grids, the links between cells, the steps of an animation and
the caption. Building one takes a few milliseconds; ``course_utils.draw.svg`` renders it and the
panels send it to the browser. Nothing here imports matplotlib or ipywidgets (a test checks it).

One module per topic: ``conv2d`` (02-03), ``receptive`` (04), ``matrix`` (05), ``scatter`` (06),
``overlap`` (07), ``tensors`` (any tensors as grids) and ``examples`` (the worked example of 05-06).
"""

from ._scene import Scene, check_scene
from .conv2d import conv2d_scene, groups_scene
from .matrix import conv_matrix_scene
from .overlap import overlap_scene
from .receptive import coverage_scene, dilated_kernel_scene, receptive_scene
from .scatter import scatter_scene, scatter_step_scene, scatter_sum_scene, zero_insertion_scene
from .tensors import tensors_scene

__all__ = [
    "Scene",
    "check_scene",
    "conv2d_scene",
    "conv_matrix_scene",
    "coverage_scene",
    "dilated_kernel_scene",
    "groups_scene",
    "overlap_scene",
    "receptive_scene",
    "scatter_scene",
    "scatter_step_scene",
    "scatter_sum_scene",
    "tensors_scene",
    "zero_insertion_scene",
]
