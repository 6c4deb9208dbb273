"""The panel of 06: a transposed convolution, one input element at a time, with Play.

The input is ``0, 1, 2, ...`` and the kernel ``1.1, 2.2, ...`` (2x2: the worked example of 06).
Play, the step slider and the speed live in the browser (they walk the scene's steps without the
kernel); the sliders here choose the sizes and the arguments. An impossible combination (for
example output_padding not smaller than stride or dilation) keeps every slider where it is and
says why.
"""

from __future__ import annotations

from ..scenes.examples import example_input, example_kernel
from ..scenes.scatter import scatter_scene
from .explorer import Explorer, check_in_range, int_slider

__all__ = ["scatter_explorer"]


def scatter_explorer(input_size: int = 2, kernel_size: int = 2, stride: int = 1, dilation: int = 1,
                     output_padding: int = 0, padding: int = 0) -> Explorer:
    """Panel of 06: step through ``nn.ConvTranspose2d`` one input element at a time (press Play).

    Hover an input element to see the output cells its copy lands on, or an output cell to see the
    input elements whose copies add up there. Every argument must be a value its slider can show.
    """
    values = {
        "input_size": check_in_range("input_size", input_size, 1, 4),
        "kernel_size": check_in_range("kernel_size", kernel_size, 1, 3),
        "stride": check_in_range("stride", stride, 1, 3),
        "dilation": check_in_range("dilation", dilation, 1, 2),
        "output_padding": check_in_range("output_padding", output_padding, 0, 2),
        "padding": check_in_range("padding", padding, 0, 3),
    }
    controls = {
        "input_size": int_slider("input size", values["input_size"], 1, 4),
        "kernel_size": int_slider("kernel size", values["kernel_size"], 1, 3),
        "stride": int_slider("stride", values["stride"], 1, 3),
        "dilation": int_slider("dilation", values["dilation"], 1, 2),
        "output_padding": int_slider("output_padding", values["output_padding"], 0, 2),
        "padding": int_slider("padding", values["padding"], 0, 3),
    }

    def build(input_size: int, kernel_size: int, stride: int, dilation: int, output_padding: int,
              padding: int) -> dict:
        return scatter_scene(example_input(input_size), example_kernel(kernel_size), stride, padding,
                             output_padding, dilation)

    build(**values)  # an impossible setting is refused here, with the sentence the panel would show
    return Explorer(build, controls, title="Transposed convolution, one input element at a time: press Play")
