"""Convolution arithmetic: output sizes (03_conv2d_parameters, 06_transposed_conv_step_by_step).

Both functions take ints for one axis, or tuples (one entry per spatial axis)
and then return a tuple. They check the arguments the way PyTorch does, and
explain in words what is wrong when a setting is impossible.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._checks import check_int

__all__ = ["conv_output_size", "conv_transpose_output_size"]

IntOrTuple = int | Sequence[int]


def _broadcast(**args: object) -> tuple[int | None, dict[str, object]]:
    """Find the number of axes (None when every argument is a plain int)."""
    ndim = None
    for name, value in args.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            if ndim is None:
                ndim = len(value)
            elif len(value) != ndim:
                lengths = {
                    k: len(v) for k, v in args.items() if isinstance(v, Sequence) and not isinstance(v, str)
                }
                raise ValueError(f"tuple arguments must have the same length (one per axis), got {lengths}")
    if ndim == 0:
        raise ValueError("tuple arguments must have at least one entry")
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


def _transpose_1d(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, i: int | None
) -> int:
    s = _suffix(i)
    size = check_int(f"size{s}", size, minimum=1)
    kernel = check_int(f"kernel_size{s}", kernel, minimum=1)
    stride = check_int(f"stride{s}", stride, minimum=1)
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
