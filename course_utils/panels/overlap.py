"""The panel of 07: the overlap map of a transposed convolution, for a kernel size, a stride and a stack.

Ones go through one or two ``ConvTranspose2d`` layers with a kernel of ones: each output pixel counts
the kernel copies that land on it. Hover a pixel of a map to light the input pixels whose copies land
there (and the kernel taps and, for two layers, the pixels of the first map that feed it); hover an
input pixel to light every pixel its copies reach. Every setting of the sliders can be drawn.
"""

from __future__ import annotations

from ..scenes.overlap import overlap_scene
from .explorer import Explorer, checked_slider

__all__ = ["overlap_explorer", "INPUT_SIZE"]

#: The input of the panel: INPUT_SIZE x INPUT_SIZE ones (enough to show the pattern between copies).
INPUT_SIZE = 3


def overlap_explorer(kernel_size: int = 3, stride: int = 2, layers: int = 1) -> Explorer:
    """Panel of 07: sliders for kernel size (1-6), stride (1-3) and stacked layers (1-2); the overlap map.

    Hover an output pixel to see the input pixels whose kernel copies land on it, or an input pixel to
    see where its copies go. Every argument must be a value its slider can show.
    """
    controls = {  # the largest map: 39 x 39
        "kernel_size": checked_slider("kernel_size", kernel_size, 1, 6),
        "stride": checked_slider("stride", stride, 1, 3),
        "layers": checked_slider("layers", layers, 1, 2, label="stacked layers"),
    }

    def build(kernel_size: int, stride: int, layers: int) -> dict:
        return overlap_scene(kernel_size, stride, layers, input_size=INPUT_SIZE)

    return Explorer(build, controls, title=f"Kernel copies per output pixel: ConvTranspose2d on {INPUT_SIZE} x "
                                           f"{INPUT_SIZE} ones with a kernel of ones (hover a pixel)")
