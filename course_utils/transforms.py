"""Image <-> tensor conversions without torchvision (introduced in 01_rand_vs_randn).

``to_tensor`` and ``normalize`` do what ``torchvision.transforms.ToTensor`` and
``Normalize`` do; ``transform_invert`` undoes them so a tensor can be looked at.
Where torchvision would silently give a wrong picture (a channel-first array, a
16-bit array, an integer tensor into ``normalize``) these refuse with a message.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from ._checks import check_number
from .images import _to_8bit

__all__ = ["to_tensor", "normalize", "transform_invert"]

_CHANNELS = (1, 3, 4)


def _array_to_float(array: np.ndarray) -> torch.Tensor:
    """An (H, W, C) uint8 or float array as a float32 tensor, refusing what would be misread."""
    if array.shape[0] in _CHANNELS and array.shape[-1] not in _CHANNELS:
        raise ValueError(
            f"image array has shape {array.shape}, which looks channel-first (C, H, W); to_tensor "
            f"reads (H, W, C) like PIL and NumPy. Pass array.transpose(1, 2, 0)"
        )
    if array.dtype == np.uint8:
        return torch.from_numpy(array.copy()).float().div_(255.0)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ValueError("image array contains NaN or infinite values; replace them first, "
                             "e.g. with np.nan_to_num(array)")
        return torch.from_numpy(np.array(array, dtype=np.float32))
    advice = {
        np.dtype(np.uint16): "for a 16-bit picture (0..65535) pass array / 65535",
        np.dtype(np.bool_): "for a mask pass array.astype(np.float32) (False black, True white)",
    }.get(array.dtype, "for values 0..255 pass array / 255")
    raise TypeError(f"image array must be uint8 (0-255) or float (0-1), got dtype {array.dtype}; "
                    f"{advice}")


def to_tensor(image: Image.Image | np.ndarray) -> torch.Tensor:
    """Convert a PIL image or an ``(H, W)`` / ``(H, W, C)`` array to a ``(C, H, W)`` float32 tensor.

    Introduced in 02_convolution_dimensions.

    uint8 values are divided by 255, so they land in [0, 1]. Float arrays are taken as they
    are, like torchvision (values outside [0, 1] stay; ``transform_invert`` clips them for
    display), but NaN and infinities are refused. Other dtypes are refused with a hint to
    scale them (uint16: ``array / 65535``), and so is an array that looks channel-first
    (first axis 1, 3 or 4, last axis not): ``array.transpose(1, 2, 0)`` fixes that.
    Palette and other PIL modes are converted to RGB (or RGBA when they carry
    transparency) first; 16-bit and float PIL images are scaled to 8 bits as
    ``load_image`` does; greyscale stays one channel.
    """
    if isinstance(image, Image.Image):
        if image.mode.startswith("I") or image.mode == "F":
            image = _to_8bit(image, "image")
        elif image.mode not in ("L", "RGB", "RGBA"):
            alpha = "transparency" in image.info or "A" in image.mode
            image = image.convert("RGBA" if alpha else "RGB")
        array = np.asarray(image)
    elif isinstance(image, np.ndarray):
        array = image
    else:
        raise TypeError(
            f"image must be a PIL.Image or a NumPy array, got {type(image).__name__}; "
            "to open a file use load_image(path) first"
        )
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"image must have shape (H, W) or (H, W, C), got {array.shape}")
    return _array_to_float(array).permute(2, 0, 1).contiguous()  # (H, W, C) -> (C, H, W)


def _per_channel(name: str, values: object, channels: int, dtype: torch.dtype) -> torch.Tensor:
    """``values`` (one number, or one per channel) as a (C, 1, 1) tensor; each must be finite."""
    if isinstance(values, (torch.Tensor, np.ndarray)):
        values = values.flatten().tolist()
    if isinstance(values, Sequence) and not isinstance(values, str):
        numbers = [check_number(f"{name}[{i}]", v) for i, v in enumerate(values)]
    else:
        numbers = [check_number(name, values)]
    if len(numbers) == 1:
        numbers *= channels
    if len(numbers) != channels:
        raise ValueError(
            f"{name} has {len(numbers)} values but the tensor has {channels} channels; "
            f"give one value per channel or a single value for all"
        )
    return torch.tensor(numbers, dtype=dtype).reshape(channels, 1, 1)


def _mean_and_std(
    mean: object, std: object, channels: int, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    mean_t = _per_channel("mean", mean, channels, dtype)
    std_t = _per_channel("std", std, channels, dtype)
    if torch.any(std_t <= 0):  # checked after the conversion to dtype, as torchvision does
        raise ValueError(
            f"std must be positive in every channel (a standard deviation; normalize divides by "
            f"it), got {std_t.flatten().tolist()}"
        )
    return mean_t, std_t


def _check_image_tensor(name: str, t: object) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() == 4:
        if t.shape[0] != 1:
            raise ValueError(
                f"{name} has a batch of {t.shape[0]} images (shape {tuple(t.shape)}); "
                f"pick one, for example {name}[0]"
            )
        t = t[0]
    if t.dim() == 2:
        t = t.unsqueeze(0)
    if t.dim() != 3:
        raise ValueError(
            f"{name} must have shape (C, H, W), (1, C, H, W) or (H, W), got {tuple(t.shape)}"
        )
    return t


def normalize(
    t: torch.Tensor, mean: Sequence[float] | float, std: Sequence[float] | float
) -> torch.Tensor:
    """Return ``(t - mean) / std`` per channel, as a new tensor (``t`` is not changed).

    Introduced in 01_rand_vs_randn.

    Like torchvision, ``t`` must be a float tensor (its dtype is kept): a uint8 image is
    refused, convert it with ``to_tensor`` or ``t.float() / 255``. ``mean`` and ``std`` are
    one number or one per channel, finite; ``std`` must be positive. (torchvision refuses
    only a 0 std and divides by a negative one, flipping the picture's signs; a standard
    deviation is never negative, so here that is refused too.)
    """
    image = _check_image_tensor("t", t)
    if not image.is_floating_point():
        raise TypeError(
            f"t must be a float tensor with values in [0, 1], got dtype {t.dtype}; convert a PIL "
            f"image with to_tensor(image), a uint8 tensor with t.float() / 255"
        )
    mean_t, std_t = _mean_and_std(mean, std, image.shape[0], image.dtype)
    out = (image - mean_t.to(image.device)) / std_t.to(image.device)
    if t.dim() == 4:
        return out.unsqueeze(0)
    return out[0] if t.dim() == 2 else out


def transform_invert(
    t: torch.Tensor,
    mean: Sequence[float] | float | None = None,
    std: Sequence[float] | float | None = None,
) -> Image.Image:
    """Turn a ``(C, H, W)`` tensor back into a PIL image so it can be shown.

    Introduced in 01_rand_vs_randn.

    A float tensor is read as 0..1, a uint8 tensor as 0..255 (as in PIL, so
    ``torch.from_numpy(np.asarray(pil)).permute(2, 0, 1)`` gives the same picture
    back) and a bool tensor as black (False) and white (True); other integer
    dtypes are refused with a hint to scale them. Undoes ``normalize`` when
    ``mean``/``std`` are given, clips to [0, 1] (a ``randn`` tensor or a feature
    map has values outside it), and scales to 0-255. One channel gives a
    greyscale image, three an RGB image, four RGBA. The input tensor is never
    modified. Any other channel count is refused with a message that says how
    to pick or average channels; so are an empty tensor and NaN or infinite
    values (no pixel value shows them: clean them with ``torch.nan_to_num`` first).
    """
    image = _check_image_tensor("t", t).detach().cpu()
    if image.numel() == 0:
        raise ValueError(f"t is empty (shape {tuple(t.shape)}): an image needs at least one "
                         "row, one column and one channel")
    if image.is_floating_point() and not bool(torch.isfinite(image).all()):
        raise ValueError(
            f"t holds nan/inf values ({int((~torch.isfinite(image)).sum())} of {image.numel()}): "
            "nothing to show; clean them with torch.nan_to_num(t) if you mean it"
        )
    if image.dtype == torch.uint8:
        image = image.float() / 255.0
    elif image.dtype == torch.bool or image.is_floating_point():
        image = image.float()
    else:
        raise TypeError(
            f"t has dtype {t.dtype}; transform_invert reads float tensors as 0..1 and uint8 "
            f"tensors as 0..255. Scale it first, e.g. t.float() / 255 for values 0..255"
        )
    channels = image.shape[0]
    if channels not in _CHANNELS:
        raise ValueError(
            f"t has {channels} channels; an image has 1 (grey), 3 (RGB) or 4 (RGBA). "
            f"Show one channel with t[i:i+1] or their mean with t.mean(0, keepdim=True)"
        )
    if mean is not None or std is not None:
        mean_t, std_t = _mean_and_std(
            0.0 if mean is None else mean, 1.0 if std is None else std, channels, torch.float32
        )
        image = image * std_t + mean_t
    image = image.clamp(0.0, 1.0)
    array = (image * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if channels == 1 else array)  # L, RGB or RGBA
