"""Fully convolutional networks (FCN, 全卷积网络) built from PyTorch layers (08_fcn_segmentation).

``fcn32s`` is the classic head on a small randomly initialised ResNet-like
backbone: the backbone divides H and W by 32, a 1x1 convolution maps its 512
channels to ``num_classes``, and ``ConvTranspose2d(num_classes, num_classes,
kernel_size=64, padding=16, stride=32)`` initialised with :func:`bilinear_kernel`
multiplies H and W by 32 again. ``ShapesFCN`` is the small FCN the course trains
on the synthetic shapes: a stride-8 encoder whose last convolution is dilated, a
score layer, and three x2 upsampling steps, each a bilinear-initialised transposed
convolution followed by a skip connection from the encoder. No torchvision, no pretrained weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._checks import check_choice, check_elements, check_int
from .conv.bilinear import bilinear_kernel

__all__ = ["BasicBlock", "resnet_like_backbone", "fcn_head", "fcn32s", "ShapesFCN", "build_shapes_fcn", "RECIPE",
           "INITS"]


def _check_widths(widths: object, meaning: str, example: tuple[int, ...]) -> tuple[int, ...]:
    """``widths`` as ``len(example)`` positive ints, channel counts (``meaning`` says where)."""
    wanted = (f"widths must be a tuple of {len(example)} positive whole numbers ({meaning}), "
              f"e.g. {example}; got {widths!r}")
    if isinstance(widths, str) or not isinstance(widths, Sequence):
        raise TypeError(wanted)
    if len(widths) != len(example):
        raise ValueError(wanted)
    return tuple(check_int(f"widths[{i}]", v, minimum=1) for i, v in enumerate(widths))


def _check_parameters(what: str, count: int, example: str) -> None:
    """Refuse to build a network of ``count`` parameters when that is over the course's limit."""
    check_elements(f"{what} (its parameters)", count,
                   f"Use smaller channel counts, such as {example}.")


def _conv_bn_relu(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut, as in ResNet-18 (stride 2 halves H and W)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def resnet_like_backbone(widths: tuple[int, ...] = (32, 64, 128, 256, 512)) -> nn.Sequential:
    """A small ResNet-like feature extractor that divides H and W by 32 (five stride-2 steps).

    Like ResNet-18 without its last two layers (global pooling and the fully
    connected classifier): a 7x7 stride-2 stem, a stride-2 max pool, then one
    :class:`BasicBlock` per width, the last three with stride 2. It ends with
    ``widths[-1]`` channels (512, as in ResNet-18). Randomly initialised.
    Introduced in 08_fcn_segmentation.
    """
    w = _check_widths(widths, "channels of the stem and the four blocks", (32, 64, 128, 256, 512))
    count = 3 * 49 * w[0] + 2 * w[0]  # stem convolution and batch norm
    for a, b, stride in zip(w[:-1], w[1:], (1, 2, 2, 2), strict=True):  # the BasicBlocks
        count += 9 * a * b + 9 * b * b + 4 * b + (a * b + 2 * b if stride != 1 or a != b else 0)
    _check_parameters(f"resnet_like_backbone for widths {w}", count, "(32, 64, 128, 256, 512)")
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(3, w[0], 7, 2, 3, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(inplace=True)),
        nn.MaxPool2d(3, 2, 1),
        BasicBlock(w[0], w[1], 1),
        BasicBlock(w[1], w[2], 2),
        BasicBlock(w[2], w[3], 2),
        BasicBlock(w[3], w[4], 2),
    )


def fcn_head(in_channels: int = 512, num_classes: int = 21) -> tuple[nn.Conv2d, nn.ConvTranspose2d]:
    """The FCN-32s head: ``final_conv`` (1x1, ``in_channels`` -> ``num_classes``) and ``transpose_conv``.

    ``transpose_conv`` is ``nn.ConvTranspose2d(num_classes, num_classes,
    kernel_size=64, padding=16, stride=32)`` with its weight set to
    ``bilinear_kernel(num_classes, num_classes, 64)`` (and its bias to 0), so it
    starts as x32 bilinear upsampling. Introduced in 08_fcn_segmentation.
    """
    in_channels = check_int("in_channels", in_channels, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    count = (in_channels + 1) * num_classes + (num_classes * 64 * 64 + 1) * num_classes
    _check_parameters(f"fcn_head for in_channels {in_channels} and num_classes {num_classes}",
                      count, "in_channels=512 and num_classes=21")
    final_conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)
    transpose_conv = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=64, padding=16, stride=32)
    with torch.no_grad():
        transpose_conv.weight.copy_(bilinear_kernel(num_classes, num_classes, 64))
        transpose_conv.bias.zero_()
    return final_conv, transpose_conv


def fcn32s(num_classes: int = 21, widths: tuple[int, ...] = (32, 64, 128, 256, 512)) -> nn.Sequential:
    """Backbone (H/32, W/32) + ``final_conv`` + ``transpose_conv``: output (N, num_classes, H, W).

    H and W must be multiples of 32 for the output to match the input exactly.
    Introduced in 08_fcn_segmentation.
    """
    net = resnet_like_backbone(widths)
    final_conv, transpose_conv = fcn_head(widths[-1], num_classes)
    net.add_module("final_conv", final_conv)
    net.add_module("transpose_conv", transpose_conv)
    return net


#: The initialisations of :class:`ShapesFCN`'s upsampling layers (its docstring says what each is).
INITS = ("bilinear", "random", "scaled", "frozen")


def _terms_per_pixel(layer: nn.ConvTranspose2d) -> int:
    """How many input x weight products each output pixel of ``layer`` sums, away from the border.

    A k x k transposed convolution of stride s scatters every input pixel onto a k x k patch,
    and neighbouring patches lie s apart: when s divides k, each output pixel is covered by
    (k/s)^2 patches per input channel, so it sums ``C_in * (k/s)^2`` products (20 for the
    shapes FCN's k4 s2 layers on 5 classes). PyTorch's default initialisation counts
    ``C_out * k * k`` instead (80 there): a factor 0.5 of the 0.29 by which it shrinks the signal
    (its gain, sqrt(1/3) = 0.58, is the rest).
    """
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    return layer.in_channels // layer.groups * math.ceil(kh / sh) * math.ceil(kw / sw)


def _upsample2(channels: int, init: str) -> nn.ConvTranspose2d:
    # Built with PyTorch's default initialisation first, whatever ``init``: the random numbers
    # drawn for the other layers (and so "bilinear" and "random" networks) stay the same.
    layer = nn.ConvTranspose2d(channels, channels, kernel_size=4, stride=2, padding=1, bias=False)
    with torch.no_grad():
        if init in ("bilinear", "frozen"):
            layer.weight.copy_(bilinear_kernel(channels, channels, 4))
        elif init == "scaled":
            layer.weight.normal_(0.0, _terms_per_pixel(layer) ** -0.5)
    layer.weight.requires_grad_(init != "frozen")
    return layer


def _score(in_channels: int, num_classes: int, *, zero: bool = False) -> nn.Conv2d:
    layer = nn.Conv2d(in_channels, num_classes, kernel_size=1)
    if zero:
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
    return layer


class ShapesFCN(nn.Module):
    """A small FCN with skip connections for the synthetic shapes (08_fcn_segmentation).

    Encoder, with ``widths = (w1, w2, w4, w8)`` channels at H, H/2, H/4 and H/8:
    one 3x3 convolution at full resolution (``full``), a stride-2 ``stem``, a
    stage of two 3x3 convolutions that halves H and W again (``stage4``) and a
    last stage (``stage8``) whose second convolution is dilated by 2 (notebook 04):
    it widens the receptive field to 57 x 57 pixels, more than a 48 x 48 image,
    without a fourth stride-2 step. A 1x1 convolution gives class scores at H/8.
    Decoder, three times: a k4 s2 p1 ``ConvTranspose2d`` doubles the scores, and
    class scores computed by a 1x1 convolution from the encoder's features at the
    new size are added (skip connections, as in FCN-8s, continued down to full
    resolution). The skip score layers start at zero, as in the FCN paper, so the
    untrained network's output is the coarse prediction upsampled. Output:
    ``(N, num_classes, H, W)`` for H and W divisible by 8.

    ``init`` sets the three x2 layers' weights (``C = num_classes`` channels in and out):

    - ``"bilinear"`` (default): :func:`bilinear_kernel`, trained with the rest.
    - ``"frozen"``: :func:`bilinear_kernel`, not trained (``requires_grad`` False), as the
      FCN paper does for its last upsampling layer.
    - ``"random"``: PyTorch's default, ``kaiming_uniform_(a=sqrt(5))``: uniform with
      variance ``1 / (3 * fan_in)``, where ``fan_in = weight.size(1) * 4 * 4 = 16 C``.
      But each output pixel sums only ``4 C`` products: a stride-2 layer places the
      4 x 4 patches of neighbouring inputs 2 pixels apart, so (4/2)^2 = 4 patches
      cover a pixel, per input channel. On unit-variance input the output variance
      is ``4 C / (3 * 16 C) = 1/12``, a standard deviation of 0.29 per layer and
      0.29^3 = 0.024 after all three.
    - ``"scaled"``: random and variance-preserving: normal with standard deviation
      ``1 / sqrt(4 C)`` (in general ``1 / sqrt(C_in * (k/s)^2)`` when s divides k), so
      each output pixel's variance, ``4 C`` terms of variance ``1 / (4 C)``, is that of the input.
    """

    def __init__(self, num_classes: int = 5, widths: tuple[int, int, int, int] = (16, 24, 48, 96),
                 init: str = "bilinear") -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        init = str(check_choice("init", init, INITS))
        w1, w2, w4, w8 = _check_widths(widths, "channels at H, H/2, H/4 and H/8", (16, 24, 48, 96))
        n = num_classes
        convs = [(3, w1), (w1, w2), (w2, w4), (w4, w4), (w4, w8), (w8, w8)]  # 3x3 conv + batch norm
        count = sum(9 * a * b + 2 * b for a, b in convs)
        count += n * (w1 + w2 + w4 + w8 + 4) + 3 * 16 * n * n  # score layers, x2 upsampling layers
        _check_parameters(f"ShapesFCN for num_classes {n} and widths {(w1, w2, w4, w8)}", count,
                          "num_classes=5 and widths=(16, 24, 48, 96)")
        self.init = init
        self.full = _conv_bn_relu(3, w1)  # H
        self.stem = _conv_bn_relu(w1, w2, 2)  # H/2
        self.stage4 = nn.Sequential(_conv_bn_relu(w2, w4, 2), _conv_bn_relu(w4, w4))  # H/4
        self.stage8 = nn.Sequential(_conv_bn_relu(w4, w8, 2), _conv_bn_relu(w8, w8, dilation=2))  # H/8
        self.score8 = _score(w8, n)
        self.score4, self.score2, self.score1 = (_score(w, n, zero=True) for w in (w4, w2, w1))
        self.up8, self.up4, self.up2 = (_upsample2(n, init) for _ in range(3))

    def encoder(self) -> nn.Sequential:
        """The encoder's layers in order (``full``, ``stem``, ``stage4``, ``stage8``), sharing their weights.

        Maps ``(N, 3, H, W)`` to the ``(N, w8, H/8, W/8)`` features that ``score8`` reads;
        for example ``receptive_field(model.encoder())`` is ``(57, 57)``.
        """
        return nn.Sequential(self.full, self.stem, self.stage4, self.stage8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[-2] % 8 or x.shape[-1] % 8:
            raise ValueError(f"x must be (N, 3, H, W) with H and W divisible by 8, got {tuple(x.shape)}")
        f1 = self.full(x)
        f2 = self.stem(f1)
        f4 = self.stage4(f2)
        y = self.score8(self.stage8(f4))  # (N, n, H/8, W/8)
        y = self.up8(y) + self.score4(f4)  # H/4
        y = self.up4(y) + self.score2(f2)  # H/2
        return self.up2(y) + self.score1(f1)  # H


def build_shapes_fcn(num_classes: int = 5, init: str = "bilinear", *, seed: int = 0,
                     widths: tuple[int, int, int, int] = (16, 24, 48, 96)) -> ShapesFCN:
    """A :class:`ShapesFCN` whose random weights are drawn from ``seed`` (same seed, same network).

    ``init``: ``"bilinear"``, ``"random"``, ``"scaled"`` or ``"frozen"``, how the three x2
    upsampling layers start (see :class:`ShapesFCN`). With the same seed, the networks differ only
    in those layers. Introduced in 08_fcn_segmentation.
    """
    seed = check_int("seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ShapesFCN(num_classes, widths, init)


#: The training recipe of ``benchmarks/fcn_training.py`` for :class:`ShapesFCN`: data set size
#: and image size, batch size, peak learning rate and number of steps (the benchmark prints
#: the held-out mean IoU it reaches). 08_fcn_segmentation trains the same model with the same
#: batch size and learning rate for 300 steps on 3000 images, to keep the notebook short.
RECIPE: dict[str, int | float] = {
    "num_train": 4000,
    "num_test": 200,
    "size": 48,
    "batch_size": 32,
    "lr": 0.01,
    "steps": 500,
}
