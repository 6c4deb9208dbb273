"""course_utils: the helper package of the interactive course on convolutions in PyTorch.

Everything a notebook needs is importable from here, e.g.
``from course_utils import set_seed, load_image, conv_output_size``.
Importing the package has no side effects: it seeds nothing and changes no settings.
"""

from .arithmetic import conv_output_size, conv_transpose_output_size
from .distributions import histogram_explorer
from .exercises import check
from .images import load_image
from .plotting import COLORS, draw_grid, figure_to_png, new_figure, role_legend, show_images
from .seeding import pick_device, set_seed
from .transforms import normalize, to_tensor, transform_invert
from .widgets import Explorer

# --- 02-04 convolution (receptive field, ...) ---
# isort: split
from .arithmetic import receptive_field
from .conv_diagrams import (
    PADDING_MODES,
    conv2d_explorer,
    conv2d_line,
    conv_dimensions_figure,
    group_connections,
    groups_figure,
    multichannel_figure,
    padding_modes_figure,
)
from .dilation import (
    coverage_figure,
    coverage_map,
    dilated_kernel_figure,
    dilation_explorer,
    measure_receptive_field,
)

# --- 05-06 transposed convolution (scatter, zero insertion, matrix, ...) ---
# isort: split
from .matrix import conv2d_matrix
from .transposed import (
    ScatterStep,
    conv_transpose2d_scatter,
    conv_transpose2d_steps,
    conv_transpose2d_zero_insertion,
    matching_output_padding,
)
from .transposed_diagrams import (
    conv_matrix_explorer,
    conv_matrix_figure,
    example_input,
    example_kernel,
    scatter_explorer,
    scatter_figure,
    scatter_sum_figure,
    zero_insertion_figure,
)

# --- 07-08 upsampling and segmentation (bilinear kernel, FCN, ...) ---
# isort: split
from .fcn import ShapesFCN, build_shapes_fcn, fcn32s, fcn_head, resnet_like_backbone
from .kernels import (
    bilinear_kernel,
    bilinear_profile,
    bilinear_upsampler,
    draw_overlap,
    overlap_count,
    overlap_explorer,
)
from .segmentation import (
    SHAPE_CLASSES,
    ShapesData,
    confusion_matrix,
    iou_per_class,
    make_shapes,
    make_shapes_data,
    mean_iou,
    segmentation_grid,
)
from .training import (
    TrainingMonitor,
    TrainResult,
    predict,
    segmentation_loss,
    soft_dice_loss,
    steps_to_reach,
    train_segmentation,
)

__all__ = [
    # 02-04 convolution
    "PADDING_MODES",
    "conv2d_explorer",
    "conv2d_line",
    "conv_dimensions_figure",
    "group_connections",
    "groups_figure",
    "multichannel_figure",
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
    "scatter_sum_figure",
    "zero_insertion_figure",
    # 07-08 upsampling and segmentation
    "bilinear_kernel",
    "bilinear_profile",
    "bilinear_upsampler",
    "draw_overlap",
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
    "conv_output_size",
    "conv_transpose_output_size",
    "draw_grid",
    "figure_to_png",
    "histogram_explorer",
    "load_image",
    "new_figure",
    "normalize",
    "pick_device",
    "role_legend",
    "set_seed",
    "show_images",
    "to_tensor",
    "transform_invert",
]
