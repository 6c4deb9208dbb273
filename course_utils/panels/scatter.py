"""The panel and the figures of 06: a transposed convolution, one input element at a time, with Play.

The input is ``0, 1, 2, ...`` and the kernel ``1.1, 2.2, ...`` (2x2: the worked example of 06).
Play, the step slider and the speed live in the browser (they walk the scene's steps without the
kernel); the sliders here choose the sizes and the arguments. An impossible combination (for
example output_padding not smaller than stride or dilation) keeps every slider where it is and
says why. The still figures (:func:`scatter_figure`, :func:`scatter_sum_figure`,
:func:`zero_insertion_figure`) are scenes drawn by the same renderer, returned as SVG.
"""

from __future__ import annotations

import torch

from ..draw.figures import Diagram, scene_figure
from ..scenes.examples import example_input, example_kernel
from ..scenes.scatter import (
    scatter_scene,
    scatter_step_scene,
    scatter_sum_scene,
    zero_insertion_scene,
)
from .explorer import Explorer, checked_slider

__all__ = ["scatter_explorer", "scatter_figure", "scatter_sum_figure", "zero_insertion_figure"]


def _worked(x: torch.Tensor | None, weight: torch.Tensor | None) -> tuple[object, object]:
    return (example_input(2) if x is None else x), (example_kernel(2) if weight is None else weight)


def scatter_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: object = 1,
                   padding: object = 0, output_padding: object = 0, dilation: object = 1,
                   step: int | None = None) -> Diagram:
    """One step of the scatter (06): input, kernel, this copy, the running sum, the output so far.

    ``x`` is ``(H, W)`` and ``weight`` ``(kH, kW)`` (defaults: the worked example); ``step`` counts as
    the player of :func:`scatter_explorer` and ``Explorer.snapshot(step=...)`` do: step n of H*W, n copies
    added (1 .. H*W; default all). The input element of this step,
    its copy and the cells the copy lands on are outlined in red. In the running sum, cells that
    ``padding`` crops are pale and the output is framed; hatched cells are zeros no copy reaches.
    """
    x, weight = _worked(x, weight)
    return scene_figure(scatter_step_scene(x, weight, stride, padding, output_padding, dilation, step))


def scatter_sum_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: object = 1,
                       padding: object = 0, output_padding: object = 0, dilation: object = 1) -> Diagram:
    """Every scaled, placed kernel copy side by side, then their sum and, when padding crops, the output (06).

    Takes the arguments of :func:`scatter_figure` (but no ``step``); ``x`` has at most 16 elements.
    """
    x, weight = _worked(x, weight)
    return scene_figure(scatter_sum_scene(x, weight, stride, padding, output_padding, dilation))


def zero_insertion_figure(x: torch.Tensor | None = None, weight: torch.Tensor | None = None, stride: int = 1,
                          padding: int = 0, output_padding: int = 0, dilation: int = 1) -> Diagram:
    """The same result by zero insertion (06): spread and pad the input, convolve with the flipped kernel.

    ``stride - 1`` zeros go between input elements, ``dilation*(k-1) - padding`` around them (plus
    ``output_padding`` at the bottom/right); an ordinary stride-1 convolution with the kernel
    flipped in both axes then gives the transposed convolution. The four arguments are ints here.
    """
    x, weight = _worked(x, weight)
    return scene_figure(zero_insertion_scene(x, weight, stride, padding, output_padding, dilation))


def scatter_explorer(input_size: int = 2, kernel_size: int = 2, stride: int = 1, dilation: int = 1,
                     output_padding: int = 0, padding: int = 0) -> Explorer:
    """Panel of 06: step through ``nn.ConvTranspose2d`` one input element at a time (press Play).

    Hover an input element to see the output cells its copy lands on (and its footprint on the
    canvas), or an output or canvas cell to see the input elements whose copies add up there. Every
    argument must be a value its slider can show; an impossible combination is refused here with
    the sentence the panel would show.
    """
    controls = {
        "input_size": checked_slider("input_size", input_size, 1, 4),
        "kernel_size": checked_slider("kernel_size", kernel_size, 1, 3),
        "stride": checked_slider("stride", stride, 1, 3),
        "dilation": checked_slider("dilation", dilation, 1, 2),
        "output_padding": checked_slider("output_padding", output_padding, 0, 2, label="output_padding"),
        "padding": checked_slider("padding", padding, 0, 3),
    }

    def build(input_size: int, kernel_size: int, stride: int, dilation: int, output_padding: int,
              padding: int) -> dict:
        return scatter_scene(example_input(input_size), example_kernel(kernel_size), stride, padding,
                             output_padding, dilation)

    # an impossible setting is refused here, with the sentence the panel would show
    build(**{name: control.value for name, control in controls.items()})
    return Explorer(build, controls, title="Transposed convolution, one input element at a time: press Play")
