"""Exercises of 02_convolution_dimensions."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import exercise


@exercise("02.1", "nn.Conv3d(3, 8, kernel_size=3) on a clip of shape (1, 3, 16, 112, 112): "
          "what is the output shape, as a tuple?",
          hint="Which axes does a Conv3d slide along, and what happens to the size of each one without padding?",
          hint2="Channels become out_channels; each sliding axis shrinks by the kernel size minus one.",
          explanation="(1, 8, 14, 110, 110): a 3D convolution slides along depth, height and width.")
def _conv3d_output_shape() -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(nn.Conv3d(3, 8, kernel_size=3)(torch.zeros(1, 3, 16, 112, 112)).shape)


@exercise("02.2", "How many learnable parameters (weights and biases) does nn.Conv2d(3, 16, 5) have?",
          hint="The parameters are the weight and the bias: what shape does each have?",
          hint2="The weight is (out_channels, in_channels, kH, kW); the bias has one entry per output channel.",
          explanation="16 * 3 * 5 * 5 = 1200 weights + 16 biases = 1216.")
def _conv2d_parameters() -> int:
    return sum(p.numel() for p in nn.Conv2d(3, 16, 5).parameters())


@exercise("02.3", "nn.Conv3d(1, 8, kernel_size=(3, 5, 5)) for a grey-scale CT volume: what is the shape of its weight?",
          hint="Compare with nn.Conv2d's weight (out, in, kH, kW): which part depends on how many axes slide?",
          hint2="A weight is (out_channels, in_channels, then one kernel size per sliding axis); a Conv3d slides "
                "along three axes, and a tuple kernel_size gives each its own size.",
          explanation="(8, 1, 3, 5, 5): 8 filters, each spanning the one input channel and a 3 x 5 x 5 block of "
                      "depth, height and width.")
def _conv3d_weight_shape() -> tuple[int, ...]:
    return tuple(nn.Conv3d(1, 8, kernel_size=(3, 5, 5), device="meta").weight.shape)


@exercise("02.4", "Suppose a segmentation head maps the 2048 feature channels of a ResNet-50 backbone straight "
          "to 21 classes with nn.Conv2d(2048, 21, kernel_size=1). For a 512 x 768 image the backbone's grid is "
          "16 x 24. How many parameters does the head have, and how many multiplications does it do on that "
          "grid? As a tuple (parameters, multiplications).",
          hint="Do the parameters depend on the grid's height and width? Do the multiplications?",
          hint2="A 1x1 convolution is a linear layer from the input channels to the output channels, applied at "
                "every pixel: its weight matrix is used once per grid position.",
          explanation="(43029, 16515072): 21 * 2048 = 43008 weights + 21 biases, whatever the image size; "
                      "21 * 2048 multiplications at each of the 16 * 24 = 384 positions. The parameters stay, the "
                      "compute grows with the image.")
def _one_by_one_cost() -> tuple[int, int]:
    head = nn.Conv2d(2048, 21, kernel_size=1, device="meta")
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        head(torch.zeros(1, 2048, 16, 24, device="meta"))
    return sum(p.numel() for p in head.parameters()), counter.get_total_flops() // 2  # a multiply-add is 2 flops


def _signal_and_kernel(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A signal of 3 to 10 quarters (-5 to 5) and a kernel of 1 to 3 quarters (-3 to 3): fractional values, so
    an integer accumulator fails, whose products and sums are exact in float32."""
    length = int(torch.randint(3, 11, (), generator=g))
    k = int(torch.randint(1, 4, (), generator=g))
    x = torch.randint(-20, 21, (length,), generator=g).float() / 4
    w = torch.randint(-12, 13, (k,), generator=g).float() / 4
    return x, w


@exercise("02.5", "Write conv1d_by_hand(x, w): the 1D cross-correlation of a signal x of shape (L,) with a "
          "kernel w of shape (k,), no padding, stride 1, as a tensor of shape (L - k + 1,).",
          hint="How many positions can a window of k values take in a signal of L values? Compute one output "
               "value per position, in floating point.",
          hint2="Output i is the dot product of w with the window x[i : i + k]. Do not flip w: nn.Conv1d does not; "
                "and keep the result a float tensor (an integer one drops the fractions).",
          explanation="It is what F.conv1d computes for one channel: a cross-correlation, the kernel not flipped.",
          cases=_signal_and_kernel)
def _conv1d_reference() -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def conv1d_by_hand(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x[None, None], w[None, None])[0, 0]  # (N, C, L) in and out

    return conv1d_by_hand


@exercise("02.6", "In the panel of section 2 with C = 2 input channels and a 3 x 3 kernel: how many products make "
          "each output cell, how many weights does the kernel have, and how many output maps are there? As a "
          "tuple (products per output cell, weights, output maps).",
          hint="Move the panel's C slider from 1 to 2 and look at what appears: which lines grow, and what stays "
               "one grid?",
          hint2="Each input channel has its own 3 x 3 slice of the kernel, one weight per product; the channels' "
                "sums are added into one output cell.",
          explanation="(18, 18, 1): two slices of 9 weights, each weight making one product per output cell, all "
                      "added into the one output map. More input channels make the kernel deeper, not the maps more "
                      "numerous: that takes more output channels.")
def _two_channel_counts() -> tuple[int, int, int]:
    layer = nn.Conv2d(2, 1, kernel_size=3, bias=False, device="meta")  # the panel: no bias, no random init
    maps = layer(torch.zeros(1, 2, 4, 4, device="meta")).shape[1]
    return layer.weight[0].numel(), layer.weight.numel(), maps


@exercise("02.7", "A dense layer (nn.Linear, without bias) maps a flattened 3 x 32 x 32 image to the flattened output "
                  "of nn.Conv2d(3, 8, 5, bias=False) (no padding, stride 1), the same numbers in and out. How many "
                  "times as many weights as the convolution does it have? (A decimal, 4 significant digits.)",
          hint="Count the convolution's weights from its weight shape, and the dense layer's as inputs x outputs; "
               "the output size needs the shrink of a 5-wide kernel.",
          hint2="The convolution has 8 x 3 x 5 x 5 weights; its output is 8 x 28 x 28. The dense layer needs one "
                "weight per (input number, output number) pair.",
          explanation="3 * 32 * 32 = 3072 inputs, 8 * 28 * 28 = 6272 outputs: 19,267,584 dense weights against 600, "
                      "32,112.64 times as many (3.211e4). The convolution shares its 600 weights across all 784 positions.")
def _dense_against_conv() -> float:
    conv = nn.Conv2d(3, 8, 5, bias=False, device="meta")
    outputs = conv(torch.zeros(1, 3, 32, 32, device="meta")).numel()
    dense = nn.Linear(3 * 32 * 32, outputs, bias=False, device="meta")
    return dense.weight.numel() / conv.weight.numel()


@exercise("02.8", "A signal x of length 10 goes through nn.Conv1d(1, 1, 3) (no padding). Then x is shifted right by "
                  "2 steps (two zeros enter on the left, the last two values fall off) and goes through the same "
                  "layer. For how many of the 8 outputs is the new output exactly the old one moved right by 2, "
                  "whatever x and the weights are?",
          hint="Output i reads a window of 3 input values. After the shift, which old values does window i read?",
          hint2="New window i holds x'[i], x'[i + 1], x'[i + 2] = x[i - 2], x[i - 1], x[i], valid only where no "
                "index falls before the start of x.",
          explanation="6: outputs 2 to 7 equal old outputs 0 to 5, the windows that read only shifted input values. "
                      "Outputs 0 and 1 read the zeros that entered: a convolution is translation-equivariant "
                      "away from the border.")
def _shift_equivariant_outputs() -> int:
    g = torch.Generator().manual_seed(0)
    layer = nn.Conv1d(1, 1, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.rand(1, 1, 3, generator=g) + 0.5)  # no zero weight: no accidental equality
        layer.bias.zero_()
        counts = []
        for _ in range(5):
            x = torch.rand(1, 1, 10, generator=g) + 0.5
            shifted = torch.cat([torch.zeros(1, 1, 2), x[..., :-2]], dim=-1)
            old, new = layer(x)[0, 0], layer(shifted)[0, 0]  # 8 outputs each
            counts.append(sum(bool(new[i] == old[i - 2]) for i in range(8) if 0 <= i - 2 < 8))
    return min(counts)  # the count that holds whatever x is (random positive signals and weights)
