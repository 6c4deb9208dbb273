"""Exercises of 08_fcn_segmentation."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..conv.bilinear import bilinear_kernel
from ..conv.sizes import receptive_field
from ..fcn import ShapesFCN
from ..segmentation import iou_per_class, mean_iou
from . import exercise


@exercise("08.1", "An FCN-32s (fcn32s() of section 1) gets a 1 x 3 x 330 x 500 image: what (H, W) does its "
                  "k64 s32 p16 ConvTranspose2d output?",
          hint="First follow 330 and 500 through the backbone's five stride-2 layers (the output-size formula of "
               "notebook 03), then through the transposed convolution (notebook 06).",
          hint2="Each stride-2 layer of this backbone (k7 p3, k3 p1) gives floor((n - 1) / 2) + 1; after five of "
                "them use (n - 1) * 32 - 2 * 16 + 64.",
          explanation="(352, 512): 330 -> 165 -> 83 -> 42 -> 21 -> 11 and 500 -> 250 -> 125 -> 63 -> 32 -> 16, each "
                      "stride-2 layer rounding up, then 32 times 11 and 16: not the 330 x 500 of the image.")
def _fcn_odd_size() -> tuple[int, int]:
    layer = nn.ConvTranspose2d(21, 21, kernel_size=64, padding=16, stride=32)
    with torch.no_grad():
        return tuple(layer(torch.zeros(1, 21, 11, 16)).shape[-2:])


@exercise("08.2", "Truth [0, 0, 0, 1, 1, 2], prediction [0, 0, 1, 1, 2, 2], three classes: mean IoU?",
          hint="For each class, count the pixels where both say that class, and where either does.",
          hint2="Class 0: intersection 2, union 3. Do the same for classes 1 and 2, then average the three IoUs.",
          explanation="(2/3 + 1/3 + 1/2) / 3 = 0.5.")
def _hand_miou() -> float:
    return mean_iou(torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 0, 0, 1, 1, 2]), 3)


@exercise("08.3", "nn.ConvTranspose2d(21, 21, kernel_size=64, padding=16, stride=32): number of parameters, "
                  "and number of non-zero weights after bilinear initialisation, as a tuple?",
          hint="Count the weight's entries (in, out, kH, kW) and the biases. Which (in, out) pairs does "
               "bilinear_kernel fill?",
          hint2="bilinear_kernel fills only the pairs with in == out, each with a 64 x 64 tent; can a tap of a "
                "64-tap tent be 0?",
          explanation="(1806357, 86016): 21 * 21 * 64 * 64 + 21 parameters, 21 * 64 * 64 non-zero weights.")
def _head_parameters() -> tuple[int, int]:
    layer = nn.ConvTranspose2d(21, 21, kernel_size=64, padding=16, stride=32)
    return (sum(p.numel() for p in layer.parameters()), int((bilinear_kernel(21, 21, 64) != 0).sum()))


@exercise("08.4", "The shapes FCN's encoder has a receptive field of 57 x 57 with its last convolution dilated by 2. "
                  "What is it with dilation 1 there (one number: the field is square)?",
          hint="How much does the last layer add to the field, with dilation 2 and with dilation 1? Its input is "
               "8 times coarser than the image.",
          hint2="Use receptive_field with (kernel_size, stride, dilation) tuples: full (3, 1, 1), stem (3, 2, 1), "
                "stage4 (3, 2, 1) and (3, 1, 1), stage8 (3, 2, 1) and the last one.",
          explanation="41: the last layer adds d * (k - 1) * 8 pixels, 32 with dilation 2 but 16 without. "
                      "The dilation widens the field by 16 pixels at no cost in parameters.")
def _shapes_fcn_field_without_dilation() -> int:
    model = ShapesFCN()
    model.stage8[1][0].dilation = (1, 1)  # the dilated convolution, made ordinary
    field = receptive_field(model.encoder())
    return int(field[0])


@exercise("08.5", "How many parameters of build_shapes_fcn(init='frozen') does the optimizer still change (those "
                  "with requires_grad)?",
          hint="Freezing sets requires_grad to False: which layers does init='frozen' freeze?",
          hint2="Count p.numel() over model.parameters(), keeping only the ones whose p.requires_grad is True; "
                "the three frozen layers are up8, up4 and up2.",
          explanation="161,004: all 162,204 parameters but the 3 x 5 x 5 x 4 x 4 = 1,200 weights of the three "
                      "frozen x2 layers. Freezing removes less than 1% of the parameters. The frozen start ends "
                      "a little below the learned one on every seed of the benchmark (median 0.86 against 0.88): "
                      "the bilinear start does most of the work, and learning the x2 layers adds a little.")
def _frozen_trainable_parameters() -> int:
    model = ShapesFCN(init="frozen")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _masks_and_class(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, int]:
    """A predicted and a true mask of 2 to 5 x 2 to 5 pixels, 3 classes, and a class the truth contains."""
    h, w = (int(v) for v in torch.randint(2, 6, (2,), generator=g))
    target = torch.randint(0, 3, (h, w), generator=g)
    prediction = torch.where(torch.rand(h, w, generator=g) < 0.6, target, torch.randint(0, 3, (h, w), generator=g))
    cls = int(target.flatten()[int(torch.randint(0, h * w, (), generator=g))])
    return prediction, target, cls


@exercise("08.6", "Write iou(prediction, target, cls): the intersection over union of class cls between two "
                  "masks of class indices of the same shape, as a number.",
          hint="IoU is the number of pixels in both regions over the number in either.",
          hint2="Make two boolean masks, prediction == cls and target == cls; & counts the pixels in both, | the "
                "pixels in either; divide as floats.",
          explanation="It matches iou_per_class(prediction, target, num_classes)[cls]; mean_iou averages it over "
                      "the classes.",
          cases=_masks_and_class)
def _iou_reference() -> Callable[[torch.Tensor, torch.Tensor, int], float]:
    def iou(prediction: torch.Tensor, target: torch.Tensor, cls: int) -> float:
        return float(iou_per_class(prediction, target, 3)[cls])

    return iou
