"""A scene that shows some tensors as grids of numbers, side by side (from 00 onwards).

:func:`tensors_scene` is for figures that only show values (a kernel, a small feature map): no
links, no steps. Grids up to :data:`NUMBERS_UP_TO` cells a side show their values; larger ones are
shaded by value instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from .._checks import check_choice
from ._scene import Scene, grid, real_tensor

__all__ = ["tensors_scene", "NUMBERS_UP_TO"]

#: The widest grid whose cells show their values; wider grids are shaded by value.
NUMBERS_UP_TO = 12


def tensors_scene(tensors: Mapping[str, torch.Tensor], role: str = "input", *,
                  caption: Sequence[str] = ()) -> Scene:
    """A scene with one grid per ``title -> (H, W) tensor``, in the colour of ``role``.

    ``role`` is ``"input"``, ``"kernel"`` or ``"output"``. A grid at most :data:`NUMBERS_UP_TO` cells
    wide shows its values (``format_value``: whole numbers without a point, others to 4 significant
    digits); a wider one is shaded by value without numbers. Introduced in 07_bilinear_upsampling.
    """
    if not isinstance(tensors, Mapping) or not tensors:
        raise TypeError(f"tensors must be a non-empty dict {{title: (H, W) tensor}}, got {tensors!r:.60}")
    check_choice("role", role, ("input", "kernel", "output"))
    if not isinstance(caption, list | tuple) or not all(isinstance(line, str) for line in caption):
        raise TypeError(f"caption must be a list of lines of text, got {caption!r:.60}")
    grids = []
    for i, (title, t) in enumerate(tensors.items()):
        if not isinstance(title, str):
            raise TypeError(f"each title of tensors must be text, got {title!r}")
        t = real_tensor(f"tensors[{title!r}]", t, (2,), "(H, W)")
        small = max(t.shape) <= NUMBERS_UP_TO
        grids.append(grid(f"t{i}", role, title, t, numbers=small, shade=not small))
    return {"grids": grids, "links": {}, "caption": list(caption)}
