"""The figure and the panel of 05_conv_as_matrix: the convolution as a matrix ``C``, or its transpose.

Hover a row of ``C`` (any of its cells) to light the output element it makes and the input cells of
its window; with "show C.T" ticked, hover a column of ``C.T`` to light the input element of the
transposed convolution and the output cells its scaled kernel copy lands on (the scatter of 06).
Play walks the rows of ``C`` (or the columns of ``C.T``) in the browser.
"""

from __future__ import annotations

import torch

from .._checks import check_int
from ..draw.figures import Diagram, scene_figure
from ..scenes.matrix import conv_matrix_scene
from .explorer import Explorer, checked_slider, toggle

__all__ = ["conv_matrix_figure", "conv_matrix_explorer"]

#: The largest kernel side the figure draws.
_MAX_KERNEL = 8


def conv_matrix_figure(weight: torch.Tensor | None = None, input_size: int = 4, stride: int = 1,
                       padding: int = 0, dilation: int = 1, transposed: bool = False) -> Diagram:
    """The convolution matrix ``C`` (05) as a picture: kernel values orange, structural zeros blank.

    ``weight`` is a square ``(k, k)`` kernel, k at most 8 (default: 1..9 as a 3x3). The input and
    output grids number the elements in reading order (the order of the flattened vectors): rows of
    ``C`` are the outputs, columns the inputs. ``transposed=True`` draws ``C.T``, the transposed
    convolution. ``C`` may have at most 100 rows and 100 columns.
    """
    if weight is None:
        weight = torch.arange(1.0, 10.0).reshape(3, 3)
    if isinstance(weight, torch.Tensor) and weight.dim() == 2 and (
            weight.shape[0] != weight.shape[1] or weight.shape[0] > _MAX_KERNEL):
        raise ValueError(f"weight must be a square (k, k) kernel for this figure, k at most {_MAX_KERNEL}, "
                         f"got {tuple(weight.shape)}")
    for name, value, minimum in (("input_size", input_size, 1), ("stride", stride, 1), ("padding", padding, 0),
                                 ("dilation", dilation, 1)):
        check_int(name, value, minimum=minimum)
    return scene_figure(conv_matrix_scene(weight, input_size, stride, padding, dilation, transposed))


def conv_matrix_explorer(input_size: int = 4, kernel_size: int = 3, stride: int = 1, padding: int = 0,
                         dilation: int = 1, transposed: bool = False) -> Explorer:
    """Panel of 05: the matrix ``C`` (or ``C.T``) for the chosen input size, kernel size, stride, padding
    and dilation. The kernel holds ``1, 2, ..., k*k`` so each entry of ``C`` says which weight it is.
    Every argument must be a value its control can show, with a kernel that fits the padded input."""
    sliders = {
        "input_size": checked_slider("input_size", input_size, 2, 5),
        "kernel_size": checked_slider("kernel_size", kernel_size, 1, 4),
        "stride": checked_slider("stride", stride, 1, 3),
        "padding": checked_slider("padding", padding, 0, 2),
        "dilation": checked_slider("dilation", dilation, 1, 3),
    }
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be True or False, got {transposed!r}")
    controls = {**sliders, "transposed": toggle("show C.T (transposed convolution)", transposed)}

    def build(input_size: int, kernel_size: int, stride: int, padding: int, dilation: int,
              transposed: bool) -> dict:
        w = torch.arange(1.0, kernel_size * kernel_size + 1).reshape(kernel_size, kernel_size)
        return conv_matrix_scene(w, input_size, stride, padding, dilation, transposed)

    # an impossible setting is refused here, with the sentence the panel would show
    build(**{name: control.value for name, control in controls.items()})
    return Explorer(build, controls, title="The convolution as a matrix: hover a row of C (or a column of C.T)")
