"""The panels of 03: every ``nn.Conv2d`` argument on a control, and the forward convolution stepped.

* :func:`conv2d_explorer`: the input numbered 1, 2, ... inside its padding, a kernel of ones (so each
  output is the sum of the cells its taps touch), the output, and which input channels each output
  channel sees (``groups``). The caption puts the numbers into the output-size formula, checks the
  shape with a real ``nn.Conv2d`` and counts the weights.
* :func:`conv2d_step_explorer`: an input of 1 to 3 channels and a kernel with one slice per channel;
  Play walks the window over the padded input and shows each product and their sum.

Hover an output cell to light the input cells its taps touch (not the holes of a dilated kernel) and
the kernel; hover an input cell to light the outputs it feeds. Play, the step slider and the speed
run in the browser. Slider ranges are fixed: an impossible combination keeps every control where it
is and says why.
"""

from __future__ import annotations

import math
import warnings
from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from .._threads import one_thread
from ..draw.figures import Diagram, scene_figure
from ..scenes._scene import Scene, grid, real_tensor
from ..scenes.conv2d import PADDING_MODES, _channels, conv2d_line, conv2d_scene, groups_grid
from .explorer import Explorer, check_option, checked_slider, dropdown

__all__ = ["conv2d_explorer", "conv2d_step_explorer", "multichannel_figure", "multichannel_scene"]

_PADDINGS = [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("'valid'", "valid"), ("'same'", "same")]


def _divisors_of_both(a: int, b: int) -> list[int]:
    """The common divisors of ``a`` and ``b`` (the divisors of their gcd), in order: sqrt(gcd) steps."""
    g = math.gcd(a, b)
    small = [d for d in range(1, math.isqrt(g) + 1) if g % d == 0]
    return sorted({*small, *(g // d for d in small)})


@cache
def _numbered(height: int, width: int) -> torch.Tensor:
    return torch.arange(1.0, height * width + 1).reshape(height, width)


@cache
def _ones(kernel: int) -> torch.Tensor:
    return torch.ones(kernel, kernel)


def _torch_shape(in_channels: int, out_channels: int, height: int, width: int, kernel: int, stride: int,
                 padding: int | str, dilation: int, groups: int, padding_mode: str) -> tuple[int, ...]:
    """The output shape a real ``nn.Conv2d`` gives on ``torch.zeros(1, in_channels, height, width)``."""
    with one_thread(), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'same' with an even kernel pads a copy
        layer = nn.Conv2d(in_channels, out_channels, kernel, stride, padding, dilation, groups,
                          padding_mode=padding_mode)
        return tuple(layer(torch.zeros(1, in_channels, height, width)).shape)


def conv2d_explorer(height: int = 5, width: int = 5, kernel: int = 3, stride: int = 2,
                    padding: int | str = 1, dilation: int = 1, groups: int = 1,
                    padding_mode: str = "zeros", in_channels: int = 4,
                    out_channels: int = 8) -> Explorer:
    """Panel for 03_conv2d_parameters: every ``nn.Conv2d`` argument on a control.

    Draws the input (pixels numbered 1, 2, ... row by row) inside its padding, a kernel of ones,
    the output (each value the sum of the input cells its taps touch, as ``F.conv2d`` computes it)
    and which input channels each output channel sees (``groups``). Hover an output cell to light
    its taps and the kernel, an input cell to light the outputs it feeds; Play walks the window over
    the output. The caption gives the output-size formula with the numbers, the shape a real
    ``nn.Conv2d`` computes and the weight count. Slider ranges are fixed; an impossible setting
    shows a sentence naming the argument. Every argument must be a value its control can show
    (channels: 1 to 64, fixed for the panel).
    """
    in_channels = _channels("in_channels", in_channels)
    out_channels = _channels("out_channels", out_channels)
    options = _divisors_of_both(in_channels, out_channels)
    controls = {  # each argument is checked as its control is made, in this order
        "height": checked_slider("height", height, 1, 8, label="input height H"),
        "width": checked_slider("width", width, 1, 8, label="input width W"),
        "padding": dropdown("padding", _PADDINGS, check_option("padding", padding, [v for _, v in _PADDINGS])),
        "dilation": checked_slider("dilation", dilation, 1, 3),
        "kernel": checked_slider("kernel", kernel, 1, 5, label="kernel_size"),
        "stride": checked_slider("stride", stride, 1, 3),
        "groups": dropdown("groups", options, check_option("groups", groups, options)),
        "padding_mode": dropdown("padding_mode", list(PADDING_MODES),
                                 check_option("padding_mode", padding_mode, list(PADDING_MODES))),
    }

    def build(height: int, width: int, padding: int | str, dilation: int, kernel: int, stride: int,
              groups: int, padding_mode: str) -> Scene:
        scene = conv2d_scene(_numbered(height, width), _ones(kernel), stride, padding, dilation,
                             padding_mode=padding_mode)
        shape = _torch_shape(in_channels, out_channels, height, width, kernel, stride, padding, dilation,
                             groups, padding_mode)
        out = scene["grids"][-1]["values"]
        expected = (1, out_channels, len(out), len(out[0]))
        verdict = "matches the formula" if shape == expected else f"DIFFERS from the formula {expected}"
        line = conv2d_line(in_channels, out_channels, kernel, stride, padding, dilation, groups,
                           padding_mode=padding_mode)
        per = in_channels // groups
        g, links = groups_grid(in_channels, out_channels, groups,
                               f"groups={groups}: output channel (column) sees input channel (row)",
                               transpose=True, row=1)
        scene["grids"].append(g)
        scene["links"].update(links)
        scene["caption"] = [
            f"input numbered 1..{height * width}, kernel of ones: each output is the sum of the cells its "
            "taps touch (in the live panel, hover a cell)",
            *scene["caption"][:-1],
            f"torch: {line}(torch.zeros(1, {in_channels}, {height}, {width})).shape = {shape}  {verdict}",
            f"weight ({out_channels}, {per}, {kernel}, {kernel}): {out_channels * per * kernel * kernel} "
            f"weights + {out_channels} biases",
        ]
        return scene

    # an impossible setting is refused here, with the sentence the panel would show
    build(**{name: control.value for name, control in controls.items()})
    return Explorer(build, controls, title=f"nn.Conv2d({in_channels}, {out_channels}, ...): move the sliders, "
                                           "hover a cell, press Play")


@cache
def _step_values() -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed input ``(3, 6, 6)`` with values 0..3 and kernel ``(3, 3, 3)`` with values -1..2 (seeded)."""
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 4, (3, 6, 6), generator=g).float()
    w = torch.randint(-1, 3, (3, 3, 3), generator=g).float()
    return x, w


def conv2d_step_explorer(channels: int = 2, input_size: int = 4, kernel_size: int = 3, stride: int = 1,
                         padding: int = 1, dilation: int = 1) -> Explorer:
    """Panel of 02 (the sum over input channels) and 03: the forward convolution stepped with Play, one
    output cell at a time.

    An input of ``channels`` channels (``input_size`` x ``input_size``, small whole numbers) and one
    output channel: the kernel has one ``kernel_size`` x ``kernel_size`` slice per input channel. Each
    step lights the window's taps in every channel, shows the products input x weight and writes their
    sum into the output. Every argument must be a value its slider can show.
    """
    controls = {
        "channels": checked_slider("channels", channels, 1, 3, label="input channels C"),
        "input_size": checked_slider("input_size", input_size, 2, 6),
        "kernel_size": checked_slider("kernel_size", kernel_size, 1, 3, label="kernel_size"),
        "stride": checked_slider("stride", stride, 1, 3),
        "padding": checked_slider("padding", padding, 0, 2),
        "dilation": checked_slider("dilation", dilation, 1, 2),
    }

    def build(channels: int, input_size: int, kernel_size: int, stride: int, padding: int,
              dilation: int) -> Scene:
        x, w = _step_values()
        k = kernel_size
        scene = conv2d_scene(x[:channels, :input_size, :input_size], w[:channels, :k, :k], stride, padding,
                             dilation, walk=True)
        taps = channels * k * k
        scene["caption"] = [
            *scene["caption"],
            f"weight (1, {channels}, {k}, {k}): one {k}x{k} slice per input channel, {taps} weights; "
            f"each output cell is the sum of {taps} products",
        ]
        return scene

    # an impossible setting is refused here, with the sentence the panel would show
    build(**{name: control.value for name, control in controls.items()})
    return Explorer(build, controls, title="Conv2d step by step: press Play, or drag the step slider")


def multichannel_scene(x: torch.Tensor, weight: torch.Tensor) -> Scene:
    """One output channel of a 2D convolution over ``C`` input channels, channel by channel (02).

    ``x`` is ``(C, H, W)`` and ``weight`` ``(C, kH, kW)``, the 3D kernel of one output channel: each
    input channel (one row each) is cross-correlated with its own slice, and the ``C`` results add up
    into the output, one 2D map. Built on :func:`~course_utils.scenes.conv2d.conv2d_scene`, with the
    per-channel results as extra grids; hover an output cell to see its window in every channel.
    """
    x = real_tensor("x", x, (3,), "(C, H, W)")
    weight = real_tensor("weight", weight, (3,), "(C, kH, kW)")
    channels = x.shape[0]
    if channels > 8:
        raise ValueError(f"x has {channels} channels: this figure draws at most 8, one row each")
    scene = conv2d_scene(x, weight)  # checks the shapes and that the kernel fits
    dtype = torch.promote_types(x.dtype, weight.dtype)
    dtype = dtype if dtype.is_floating_point else torch.float32
    with one_thread(), torch.no_grad():
        parts = F.conv2d(x.to(dtype)[None], weight.to(dtype)[:, None], groups=channels)[0]  # (C, H', W')
    names = ["R", "G", "B"] if channels == 3 else [str(c) for c in range(channels)]
    grids = []
    for g in scene["grids"]:
        if g["name"].startswith("input."):
            c = int(g["name"].split(".")[1])
            g["title"] = f"input channel {names[c]}"
        elif g["name"].startswith("kernel."):
            c = int(g["name"].split(".")[1])
            g["title"] = f"kernel slice {c}"
            grids.append(g)
            grids.append(grid(f"part.{c}", "output", f"channel {names[c]} ⋆ slice {c}", parts[c], row=c,
                              symbol="="))
            continue
        elif g["name"] == "output":
            g["title"] = f"output: the {channels} maps above, added up"
        grids.append(g)
    for c in range(channels):  # a part's cell comes from its own channel's window
        for i in range(parts.shape[1]):
            for j in range(parts.shape[2]):
                scene["links"][f"part.{c}/{i}/{j}"] = [cell for cell in scene["links"][f"output/{i}/{j}"]
                                                       if cell.startswith((f"input.{c}/", f"kernel.{c}/"))]
    scene["grids"] = grids
    scene["steps"] = []
    scene.pop("step", None)
    return scene


def multichannel_figure(x: torch.Tensor, weight: torch.Tensor) -> Diagram:
    """The SVG of :func:`multichannel_scene`: each input channel with its kernel slice, the per-channel
    results and their sum (02_convolution_dimensions)."""
    return scene_figure(multichannel_scene(x, weight))
