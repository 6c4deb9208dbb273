"""The engine: every rule of convolution the course teaches, in torch alone (02-07).

Output sizes, receptive fields, the scatter and zero-insertion forms of the transposed
convolution, the convolution matrix and bilinear kernels. Nothing here imports matplotlib
or ipywidgets (a test checks it): scenes, drawings and panels are built on top of it, and
read its geometry instead of restating it.
"""

from .bilinear import (
    bilinear_kernel,
    bilinear_profile,
    bilinear_upsampler,
    overlap_count,
    steady_counts,
)
from .geometry import copy_taps, padding_pair, window_taps
from .matrix import conv2d_matrix
from .receptive import coverage_map, layer_specs, measure_receptive_field
from .sizes import conv_output_size, conv_transpose_output_size, receptive_field
from .transposed import (
    ScatterStep,
    conv_transpose2d_scatter,
    conv_transpose2d_steps,
    conv_transpose2d_zero_insertion,
    matching_output_padding,
)

__all__ = [
    "ScatterStep",
    "bilinear_kernel",
    "bilinear_profile",
    "bilinear_upsampler",
    "conv2d_matrix",
    "conv_output_size",
    "conv_transpose2d_scatter",
    "conv_transpose2d_steps",
    "conv_transpose2d_zero_insertion",
    "conv_transpose_output_size",
    "copy_taps",
    "padding_pair",
    "window_taps",
    "coverage_map",
    "layer_specs",
    "matching_output_padding",
    "measure_receptive_field",
    "overlap_count",
    "receptive_field",
    "steady_counts",
]
