"""Convolution arithmetic: output sizes (03_conv2d_parameters, 06_transposed_conv_step_by_step)
and the receptive field of a stack of layers (04_dilated_convolution).

Both functions take ints for one axis, or tuples (one entry per spatial axis)
and then return a tuple. They check the arguments the way PyTorch does, and
explain in words what is wrong when a setting is impossible.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import torch
from torch import nn

from .._checks import check_int

__all__ = ["conv_output_size", "conv_transpose_output_size", "receptive_field"]

IntOrTuple = int | Sequence[int]


def _broadcast(**args: object) -> tuple[int | None, dict[str, object]]:
    """Find the number of axes (None when every argument is a plain int)."""
    ndim = None
    for name, value in args.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            if len(value) == 0:
                raise ValueError(
                    f"{name} must be one int or a tuple of ints (one per axis), got {value!r}"
                )
            if ndim is None:
                ndim = len(value)
            elif len(value) != ndim:
                lengths = {
                    k: len(v) for k, v in args.items() if isinstance(v, Sequence) and not isinstance(v, str)
                }
                raise ValueError(f"tuple arguments must have the same length (one per axis), got {lengths}")
    return ndim, args


def _axis(value: object, i: int | None) -> object:
    if i is None:
        return value
    return value[i] if isinstance(value, Sequence) and not isinstance(value, str) else value


def _suffix(i: int | None) -> str:
    return "" if i is None else f"[{i}]"


def _conv_1d(size: int, kernel: int, stride: int, padding: object, dilation: int, i: int | None) -> int:
    s = _suffix(i)
    size = check_int(f"size{s}", size, minimum=1)
    kernel = check_int(f"kernel_size{s}", kernel, minimum=1)
    stride = check_int(f"stride{s}", stride, minimum=1)
    dilation = check_int(f"dilation{s}", dilation, minimum=1)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != 1:
                raise ValueError(f"padding='same' needs stride 1 (PyTorch's rule), got stride{s}={stride}")
            return size
        else:
            raise ValueError(f"padding{s} must be an int, 'valid' or 'same', got {padding!r}")
    padding = check_int(f"padding{s}", padding, minimum=0)
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if span > padded:
        what = f"kernel_size{s} ({kernel}" + (f" with dilation {dilation} spans {span})" if dilation > 1 else ")")
        raise ValueError(f"{what} is larger than the padded input ({size} + 2*{padding} = {padded})")
    return (padded - span) // stride + 1


def conv_output_size(
    size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple | str = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Output length of a convolution: ``floor((size + 2p - d(k-1) - 1) / s) + 1``.

    Matches ``nn.Conv1d/2d/3d``. ``padding`` may also be ``"valid"`` (0) or
    ``"same"`` (output = input; stride must be 1).

    >>> conv_output_size(512, 3)
    510
    >>> conv_output_size((7, 8), 3, stride=2, padding=1)
    (4, 4)
    """
    ndim, _ = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    axes = [None] if ndim is None else range(ndim)
    out = [
        _conv_1d(_axis(size, i), _axis(kernel_size, i), _axis(stride, i), _axis(padding, i), _axis(dilation, i), i)
        for i in axes
    ]
    return out[0] if ndim is None else tuple(out)


def _no_padding_string(name: str, value: object) -> None:
    """Refuse 'valid'/'same' where a transposed convolution's padding is meant, saying why."""
    if isinstance(value, str):
        raise TypeError(
            f"{name} must be a whole number, got {value!r}: a transposed convolution has no 'valid' or "
            "'same' padding (nn.ConvTranspose2d takes numbers only; its padding crops the output). "
            "Write 0 for 'valid'"
        )


def _transpose_1d(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, i: int | None
) -> int:
    s = _suffix(i)
    size = check_int(f"size{s}", size, minimum=1)
    kernel = check_int(f"kernel_size{s}", kernel, minimum=1)
    stride = check_int(f"stride{s}", stride, minimum=1)
    _no_padding_string(f"padding{s}", padding)
    padding = check_int(f"padding{s}", padding, minimum=0)
    output_padding = check_int(f"output_padding{s}", output_padding, minimum=0)
    dilation = check_int(f"dilation{s}", dilation, minimum=1)
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding{s} ({output_padding}) must be smaller than stride ({stride}) "
            f"or dilation ({dilation})"
        )
    full = (size - 1) * stride + dilation * (kernel - 1) + 1
    out = full - 2 * padding + output_padding
    if out < 1:
        raise ValueError(
            f"padding{s} ({padding}) crops {2 * padding} from a full output of {full}"
            + (f" (+{output_padding} output_padding)" if output_padding else "")
            + f", leaving {out}; use padding at most {(full + output_padding - 1) // 2}"
        )
    return out


def conv_transpose_output_size(
    size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Output length of a transposed convolution: ``(size-1)s - 2p + d(k-1) + output_padding + 1``.

    Matches ``nn.ConvTranspose1d/2d/3d``, including PyTorch's rule that
    ``output_padding`` must be smaller than ``stride`` or ``dilation``.

    >>> conv_transpose_output_size(512, 3, stride=2)
    1025
    >>> conv_transpose_output_size(16, 4, stride=2, padding=1)
    32
    """
    ndim, _ = _broadcast(
        size=size, kernel_size=kernel_size, stride=stride, padding=padding,
        output_padding=output_padding, dilation=dilation,
    )
    axes = [None] if ndim is None else range(ndim)
    out = [
        _transpose_1d(
            _axis(size, i), _axis(kernel_size, i), _axis(stride, i), _axis(padding, i),
            _axis(output_padding, i), _axis(dilation, i), i,
        )
        for i in axes
    ]
    return out[0] if ndim is None else tuple(out)


# --- receptive field (04_dilated_convolution) ------------------------------------------------

# Layers that act on each pixel alone: they do not widen the receptive field.
_POINTWISE = (
    nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ReLU6, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
    nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm1d, nn.InstanceNorm2d,
    nn.InstanceNorm3d,
)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_MAXPOOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_AVGPOOL = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)


def _flatten_layers(layers: object, name: str = "layers") -> list[tuple[str, object]]:
    """Expand nn.Sequential (also nested) into (name, layer) pairs; drop pointwise layers."""
    if isinstance(layers, nn.Sequential):
        out: list[tuple[str, object]] = []
        for i, layer in enumerate(layers):
            out.extend(_flatten_layers(layer, f"{name}[{i}]"))
        return out
    if isinstance(layers, nn.Module):
        return [] if isinstance(layers, _POINTWISE) else [(name, layers)]
    raise TypeError(f"{name} must be a layer, got {type(layers).__name__}")


def _layer_spec(name: str, layer: object) -> tuple[object, object, object]:
    """(kernel_size, stride, dilation) of one layer, as ints or tuples."""
    if isinstance(layer, _CONV):
        return layer.kernel_size, layer.stride, layer.dilation
    if isinstance(layer, _MAXPOOL):
        return layer.kernel_size, layer.stride, layer.dilation
    if isinstance(layer, _AVGPOOL):
        return layer.kernel_size, layer.stride, 1
    if isinstance(layer, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        raise TypeError(
            f"{name} is a {type(layer).__name__}: a transposed convolution upsamples, so 'pixels of "
            "the input seen by one output unit' is not one window; receptive_field takes Conv, "
            "MaxPool and AvgPool layers"
        )
    if isinstance(layer, nn.Module):
        raise TypeError(
            f"{name} is a {type(layer).__name__}; receptive_field understands nn.Conv1d/2d/3d, "
            "nn.MaxPool1d/2d/3d, nn.AvgPool1d/2d/3d, nn.Sequential, pointwise layers (ReLU, "
            "BatchNorm, Dropout, ...) and (kernel_size, stride, dilation) tuples"
        )
    if isinstance(layer, Sequence) and not isinstance(layer, str):
        if len(layer) not in (1, 2, 3):
            raise ValueError(
                f"{name} must be (kernel_size,), (kernel_size, stride) or "
                f"(kernel_size, stride, dilation), got {tuple(layer)!r}"
            )
        kernel, stride, dilation = (*layer, 1, 1)[:3]
        return kernel, stride, dilation
    raise TypeError(
        f"{name} must be a Conv/MaxPool/AvgPool module or a (kernel_size, stride, dilation) "
        f"tuple, got {layer!r} ({type(layer).__name__})"
    )


def receptive_field(layers: object) -> int | tuple[int, ...]:
    """Receptive field (感受野) of one output unit of a stack of layers, in input pixels.

    ``layers`` is an ``nn.Sequential``, one layer, or a list of layers; a layer is an
    ``nn.Conv1d/2d/3d``, ``nn.MaxPool1d/2d/3d`` or ``nn.AvgPool1d/2d/3d`` module, or a
    ``(kernel_size, stride, dilation)`` tuple (stride and dilation may be left out; each
    entry an int or a per-axis tuple). Pointwise layers (ReLU, BatchNorm, Dropout, ...)
    are skipped. Going from the input to the output, with ``r = 1`` and jump ``j = 1``::

        r += d * (k - 1) * j      # the layer's effective kernel, in input pixels
        j *= s                    # distance in input pixels between neighbouring units

    Padding does not change the size of the field (it only moves it). Returns an int
    when every entry is an int, else a tuple with one entry per axis. Introduced in
    04_dilated_convolution.

    >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 5)])
    17
    >>> receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)))
    (8, 8)
    """
    if isinstance(layers, (nn.Module, str)) or not isinstance(layers, Sequence):
        if not isinstance(layers, nn.Module):
            raise TypeError(
                "layers must be an nn.Sequential, one layer, or a list of layers / "
                f"(kernel_size, stride, dilation) tuples, got {type(layers).__name__}"
            )
        items = _flatten_layers(layers)
    else:
        items = []
        for i, layer in enumerate(layers):
            items.extend(_flatten_layers(layer, f"layers[{i}]") if isinstance(layer, nn.Module)
                         else [(f"layers[{i}]", layer)])
    if not items:
        raise ValueError("layers must contain at least one Conv, MaxPool or AvgPool layer")
    specs = [(name, *_layer_spec(name, layer)) for name, layer in items]
    ndim = None
    for name, *values in specs:
        for value in values:
            if isinstance(value, Sequence) and not isinstance(value, str):
                if ndim is None:
                    ndim = len(value)
                elif len(value) != ndim:
                    raise ValueError(
                        f"{name} has {len(value)} axes but an earlier layer has {ndim}; "
                        "all layers must have the same number of spatial axes"
                    )
    axes = 1 if ndim is None else ndim
    field, jump = [1] * axes, [1] * axes
    for name, kernel, stride, dilation in specs:
        k = _per_axis(f"{name} kernel_size", kernel, axes)
        s = _per_axis(f"{name} stride", stride, axes)
        d = _per_axis(f"{name} dilation", dilation, axes)
        for a in range(axes):
            field[a] += d[a] * (k[a] - 1) * jump[a]
            jump[a] *= s[a]
    return field[0] if ndim is None else tuple(field)


def _per_axis(name: str, value: object, axes: int) -> tuple[int, ...]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value))
    return (check_int(name, value, minimum=1),) * axes


# --- shared by the tensor engines (transposed.py, matrix.py) -----------------------------------

def _compute_dtype(**tensors: object) -> torch.dtype:
    """The dtype the engines compute in: torch's promotion of ``tensors`` (by name), which must be
    floating point or complex. Also checks that every value is a tensor and that all share a device.

    An integer ``x`` with a float ``weight`` computes in the weight's dtype, like
    ``F.conv_transpose2d(x.float(), weight)``; float32 with float64 computes in float64 (torch's
    own convolutions refuse that mix; the promotion is the answer they would give on converted
    input). Only integer/bool tensors are refused: there is no floating dtype to compute in.
    """
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    named: list[tuple[str, torch.Tensor]] = list(tensors.items())  # type: ignore[arg-type]
    if len({t.device for _, t in named}) > 1:
        where = " and ".join(f"{n} is on {t.device}" for n, t in named)
        raise ValueError(f"{where}: put them on one device, e.g. weight.to(x.device)")
    dtype = reduce(torch.promote_types, (t.dtype for _, t in named))
    if not (dtype.is_floating_point or dtype.is_complex):
        listed = " and ".join(f"{n} ({t.dtype})" for n, t in named)
        fix = " or ".join(f"{n}.float()" for n, _ in named)
        raise TypeError(
            f"{listed} hold{'s' if len(named) == 1 else ''} no floating point numbers; the course's "
            f"convolutions compute in floating point, as networks do: pass {fix}"
        )
    return dtype
