"""Fully convolutional networks (FCN, 全卷积网络) built from PyTorch layers (08_fcn_segmentation).

``fcn32s`` is the classic head on a small randomly initialised ResNet-like
backbone: the backbone divides H and W by 32, a 1x1 convolution maps its 512
channels to ``num_classes``, and ``ConvTranspose2d(num_classes, num_classes,
kernel_size=64, padding=16, stride=32)`` initialised with :func:`bilinear_kernel`
multiplies H and W by 32 again. ``ShapesFCN`` is the small FCN the course trains
on the synthetic shapes: a stride-16 encoder, a score layer, and four x2
upsampling steps, each a bilinear-initialised transposed convolution followed by a
skip connection from the encoder. No torchvision, no pretrained weights.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_choice, check_int
from .kernels import bilinear_kernel

__all__ = ["BasicBlock", "resnet_like_backbone", "fcn_head", "fcn32s", "ShapesFCN", "build_shapes_fcn", "RECIPE"]


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
    if len(widths) != 5:
        raise ValueError(f"widths must have 5 entries (stem and four stages), got {widths!r}")
    w = [check_int(f"widths[{i}]", v, minimum=1) for i, v in enumerate(widths)]
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


def _upsample2(channels: int, init: str) -> nn.ConvTranspose2d:
    layer = nn.ConvTranspose2d(channels, channels, kernel_size=4, stride=2, padding=1, bias=False)
    if init == "bilinear":
        with torch.no_grad():
            layer.weight.copy_(bilinear_kernel(channels, channels, 4))
    return layer


class ShapesFCN(nn.Module):
    """A small FCN with skip connections for the synthetic shapes (08_fcn_segmentation).

    Encoder: a stride-2 stem, then three stages of two 3x3 convolutions, each
    halving H and W (H/2, H/4, H/8, H/16). A 1x1 convolution gives class scores
    at H/16. Four times, a k4 s2 p1 ``ConvTranspose2d`` doubles the scores
    (``init="bilinear"``: set with :func:`bilinear_kernel`; ``"random"``:
    PyTorch's default initialisation). After the first two, scores from the encoder
    at H/8 and H/4 are added (as in FCN-8s); after the last two, a small branch
    computes a correction from the stem's features (H/2) or from the image itself
    (H) together with the upsampled scores, which sharpens the borders. Output:
    ``(N, num_classes, H, W)`` for H and W divisible by 16.
    """

    def __init__(self, num_classes: int = 5, widths: tuple[int, int, int, int] = (24, 48, 96, 128),
                 init: str = "bilinear") -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=1)
        init = str(check_choice("init", init, ("bilinear", "random")))
        if len(widths) != 4:
            raise ValueError(f"widths must have 4 entries (one per stage), got {widths!r}")
        a, b, c, d = (check_int(f"widths[{i}]", v, minimum=1) for i, v in enumerate(widths))
        n = num_classes
        self.init = init
        self.stem = _conv_bn_relu(3, a, 2)  # H/2
        self.stage4 = nn.Sequential(_conv_bn_relu(a, b, 2), _conv_bn_relu(b, b))  # H/4
        self.stage8 = nn.Sequential(_conv_bn_relu(b, c, 2), _conv_bn_relu(c, c))  # H/8
        self.stage16 = nn.Sequential(_conv_bn_relu(c, d, 2), _conv_bn_relu(d, d))  # H/16
        self.score16 = nn.Conv2d(d, n, kernel_size=1)
        self.score8 = nn.Conv2d(c, n, kernel_size=1)
        self.score4 = nn.Conv2d(b, n, kernel_size=1)
        self.up16, self.up8, self.up4, self.up2 = (_upsample2(n, init) for _ in range(4))
        self.refine2 = nn.Sequential(_conv_bn_relu(a + n, a), nn.Conv2d(a, n, 1))
        self.refine1 = nn.Sequential(_conv_bn_relu(3 + n, 8), nn.Conv2d(8, n, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(f"x must be (N, 3, H, W) with H and W divisible by 16, got {tuple(x.shape)}")
        f2 = self.stem(x)
        f4 = self.stage4(f2)
        f8 = self.stage8(f4)
        y = self.score16(self.stage16(f8))  # (N, n, H/16, W/16)
        y = self.up16(y) + self.score8(f8)  # H/8
        y = self.up8(y) + self.score4(f4)  # H/4
        y = self.up4(y)  # H/2
        y = y + self.refine2(torch.cat([f2, y], dim=1))
        y = self.up2(y)  # H
        return y + self.refine1(torch.cat([x, y], dim=1))


def build_shapes_fcn(num_classes: int = 5, init: str = "bilinear", *, seed: int = 0,
                     widths: tuple[int, int, int, int] = (24, 48, 96, 128)) -> ShapesFCN:
    """A :class:`ShapesFCN` whose random weights are drawn from ``seed`` (same seed, same network).

    Introduced in 08_fcn_segmentation.
    """
    seed = check_int("seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ShapesFCN(num_classes, widths, init)


#: The recipe of 08_fcn_segmentation's model and of ``benchmarks/fcn_training.py``:
#: data set size and image size, batch size, peak learning rate and number of steps.
RECIPE: dict[str, int | float] = {
    "num_train": 4000,
    "num_test": 200,
    "size": 48,
    "batch_size": 32,
    "lr": 0.01,
    "steps": 800,
}
