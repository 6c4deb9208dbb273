"""Image <-> tensor conversions without torchvision (introduced in 01_rand_vs_randn).

``to_tensor`` and ``normalize`` do what ``torchvision.transforms.ToTensor`` and
``Normalize`` do; ``transform_invert`` undoes them so a tensor can be looked at.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

__all__ = ["to_tensor", "normalize", "transform_invert"]


def to_tensor(image: Image.Image | np.ndarray) -> torch.Tensor:
    """Convert a PIL image or an ``(H, W)`` / ``(H, W, C)`` uint8 array to a ``(C, H, W)`` float tensor in [0, 1].

    Palette and other PIL modes are converted to RGB (or RGBA when they carry
    transparency) first; greyscale stays one channel.
    """
    if isinstance(image, Image.Image):
        if image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
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
    if array.dtype == np.uint8:
        tensor = torch.from_numpy(array.copy()).float().div_(255.0)
    elif np.issubdtype(array.dtype, np.floating):
        tensor = torch.from_numpy(np.array(array, dtype=np.float32))
    else:
        raise TypeError(f"image array must be uint8 (0-255) or float (0-1), got dtype {array.dtype}")
    return tensor.permute(2, 0, 1).contiguous()  # (H, W, C) -> (C, H, W)


def _per_channel(name: str, values: Sequence[float] | float, channels: int) -> torch.Tensor:
    t = torch.as_tensor(values, dtype=torch.float32).flatten()
    if t.numel() == 1:
        t = t.expand(channels)
    if t.numel() != channels:
        raise ValueError(
            f"{name} has {t.numel()} values but the tensor has {channels} channels; "
            f"give one value per channel or a single value for all"
        )
    return t.reshape(channels, 1, 1)


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
        raise ValueError(f"{name} must have shape (C, H, W), (1, C, H, W) or (H, W), got {tuple(t.shape)}")
    return t


def normalize(
    t: torch.Tensor, mean: Sequence[float] | float, std: Sequence[float] | float
) -> torch.Tensor:
    """Return ``(t - mean) / std`` per channel, as a new tensor (``t`` is not changed)."""
    image = _check_image_tensor("t", t)
    channels = image.shape[0]
    mean_t = _per_channel("mean", mean, channels).to(image.device)
    std_t = _per_channel("std", std, channels).to(image.device)
    if torch.any(std_t == 0):
        raise ValueError(f"std must not contain 0 (division by zero), got {std_t.flatten().tolist()}")
    out = (image.float() - mean_t) / std_t
    if t.dim() == 4:
        return out.unsqueeze(0)
    return out[0] if t.dim() == 2 else out


def transform_invert(
    t: torch.Tensor,
    mean: Sequence[float] | float | None = None,
    std: Sequence[float] | float | None = None,
) -> Image.Image:
    """Turn a ``(C, H, W)`` tensor back into a PIL image so it can be shown.

    Undoes ``normalize`` when ``mean``/``std`` are given, clips to [0, 1] (a
    ``randn`` tensor or a feature map has values outside it), and scales to
    0-255. One channel gives a greyscale image, three an RGB image, four RGBA.
    The input tensor is never modified. Any other channel count is refused
    with a message that says how to pick or average channels.
    """
    image = _check_image_tensor("t", t).detach().to("cpu", torch.float32)
    channels = image.shape[0]
    if channels not in (1, 3, 4):
        raise ValueError(
            f"t has {channels} channels; an image has 1 (grey), 3 (RGB) or 4 (RGBA). "
            f"Show one channel with t[i:i+1] or their mean with t.mean(0, keepdim=True)"
        )
    if std is not None:
        image = image * _per_channel("std", std, channels)
    if mean is not None:
        image = image + _per_channel("mean", mean, channels)
    image = torch.nan_to_num(image, nan=0.0).clamp(0.0, 1.0)
    array = (image * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if channels == 1 else array)  # L, RGB or RGBA
