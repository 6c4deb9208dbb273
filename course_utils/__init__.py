"""course_utils: the helper package of the interactive course on convolutions in PyTorch.

Everything a notebook needs is importable from here, e.g.
``from course_utils import set_seed, load_image, conv_output_size``.
Importing the package has no side effects: it seeds nothing and changes no settings, and it
loads a name's module only when the name is first used, so ``import course_utils.conv`` (the
engine) does not load matplotlib or ipywidgets.

The layers (see DESIGN.md): ``conv/`` the engine (torch only), ``scenes/`` what each diagram
shows as data, ``draw/`` scenes to SVG and matplotlib plots, ``panels/`` the live panels.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public name and the module that defines it.
_WHERE: dict[str, str] = {
    "conv_output_size": ".conv.sizes",
    "conv_transpose_output_size": ".conv.sizes",
    "histogram_explorer": ".distributions",
    "check": ".exercises",
    "hint": ".exercises",
    "load_image": ".images",
    "COLORS": ".draw.plots",
    "figure_to_png": ".draw.plots",
    "new_figure": ".draw.plots",
    "show_images": ".draw.plots",
    "pick_device": ".seeding",
    "set_seed": ".seeding",
    "normalize": ".transforms",
    "to_tensor": ".transforms",
    "transform_invert": ".transforms",
    "Explorer": ".panels.explorer",
    "receptive_field": ".conv.sizes",
    "PADDING_MODES": ".conv_diagrams",
    "conv2d_explorer": ".panels.conv2d",
    "conv2d_step_explorer": ".panels.conv2d",
    "conv2d_line": ".conv_diagrams",
    "conv_dimensions_figure": ".conv_diagrams",
    "group_connections": ".conv_diagrams",
    "groups_figure": ".conv_diagrams",
    "multichannel_figure": ".panels.conv2d",
    "multichannel_scene": ".panels.conv2d",
    "padding_modes_figure": ".conv_diagrams",
    "coverage_figure": ".panels.dilation",
    "coverage_map": ".conv.receptive",
    "dilated_kernel_figure": ".panels.dilation",
    "dilation_explorer": ".panels.dilation",
    "measure_receptive_field": ".conv.receptive",
    "conv2d_matrix": ".conv.matrix",
    "ScatterStep": ".conv.transposed",
    "conv_transpose2d_scatter": ".conv.transposed",
    "conv_transpose2d_steps": ".conv.transposed",
    "conv_transpose2d_zero_insertion": ".conv.transposed",
    "matching_output_padding": ".conv.transposed",
    "conv_matrix_explorer": ".panels.matrix",
    "conv_matrix_figure": ".panels.matrix",
    "example_input": ".scenes.examples",
    "example_kernel": ".scenes.examples",
    "scatter_explorer": ".panels.scatter",
    "scatter_figure": ".panels.scatter",
    "scatter_scene": ".scenes.scatter",
    "scatter_sum_figure": ".panels.scatter",
    "zero_insertion_figure": ".panels.scatter",
    "ShapesFCN": ".fcn",
    "build_shapes_fcn": ".fcn",
    "fcn32s": ".fcn",
    "fcn_head": ".fcn",
    "resnet_like_backbone": ".fcn",
    "bilinear_kernel": ".conv.bilinear",
    "bilinear_profile": ".conv.bilinear",
    "bilinear_upsampler": ".conv.bilinear",
    "overlap_figure": ".kernels",
    "overlap_scene": ".scenes.overlap",
    "tensors_figure": ".draw.figures",
    "scene_figure": ".draw.figures",
    "Diagram": ".draw.figures",
    "conv2d_scene": ".scenes.conv2d",
    "tensors_scene": ".scenes.tensors",
    "overlap_count": ".conv.bilinear",
    "overlap_explorer": ".panels.overlap",
    "SHAPE_CLASSES": ".segmentation",
    "ShapesData": ".segmentation",
    "confusion_matrix": ".segmentation",
    "iou_per_class": ".segmentation",
    "make_shapes": ".segmentation",
    "make_shapes_data": ".segmentation",
    "mean_iou": ".segmentation",
    "segmentation_grid": ".segmentation",
    "TrainingMonitor": ".training",
    "TrainResult": ".training",
    "predict": ".training",
    "segmentation_loss": ".training",
    "soft_dice_loss": ".training",
    "steps_to_reach": ".training",
    "train_segmentation": ".training",
}

__all__ = [
    # 02-04 convolution
    "PADDING_MODES",
    "conv2d_explorer",
    "conv2d_line",
    "conv2d_step_explorer",
    "conv_dimensions_figure",
    "group_connections",
    "groups_figure",
    "multichannel_figure",
    "multichannel_scene",
    "padding_modes_figure",
    "coverage_figure",
    "coverage_map",
    "dilated_kernel_figure",
    "dilation_explorer",
    "measure_receptive_field",
    "receptive_field",
    # 05-06 transposed convolution
    "ScatterStep",
    "conv2d_matrix",
    "conv_matrix_explorer",
    "conv_matrix_figure",
    "conv_transpose2d_scatter",
    "conv_transpose2d_steps",
    "conv_transpose2d_zero_insertion",
    "example_input",
    "example_kernel",
    "matching_output_padding",
    "scatter_explorer",
    "scatter_figure",
    "scatter_scene",
    "scatter_sum_figure",
    "zero_insertion_figure",
    # 07-08 upsampling and segmentation
    "bilinear_kernel",
    "bilinear_profile",
    "bilinear_upsampler",
    "overlap_figure",
    "overlap_scene",
    "tensors_figure",
    "scene_figure",
    "Diagram",
    "conv2d_scene",
    "tensors_scene",
    "overlap_count",
    "overlap_explorer",
    "SHAPE_CLASSES",
    "ShapesData",
    "confusion_matrix",
    "iou_per_class",
    "make_shapes",
    "make_shapes_data",
    "mean_iou",
    "segmentation_grid",
    "ShapesFCN",
    "build_shapes_fcn",
    "fcn32s",
    "fcn_head",
    "resnet_like_backbone",
    "TrainingMonitor",
    "TrainResult",
    "predict",
    "segmentation_loss",
    "soft_dice_loss",
    "steps_to_reach",
    "train_segmentation",
    # shared
    "COLORS",
    "Explorer",
    "check",
    "hint",
    "conv_output_size",
    "conv_transpose_output_size",
    "figure_to_png",
    "histogram_explorer",
    "load_image",
    "new_figure",
    "normalize",
    "pick_device",
    "set_seed",
    "show_images",
    "to_tensor",
    "transform_invert",
]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

