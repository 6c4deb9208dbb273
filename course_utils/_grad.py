"""Autograd switched on for a helper that needs it, whatever the learner's session turned off.

A learner may call a helper inside ``with torch.no_grad():``, ``with torch.inference_mode():`` or
after ``torch.set_grad_enabled(False)``. A helper that computes a gradient (a coverage map, a
training loop) runs its autograd part inside :func:`autograd_on`, which leaves inference mode and
turns gradients on for the block only; the learner's setting is back when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["autograd_on"]


@contextmanager
def autograd_on() -> Iterator[None]:
    """Run the block with autograd recording; restore the caller's grad and inference mode after.

    Tensors created in the block are ordinary tensors (not inference tensors), so autograd can use
    them even when the caller is in ``torch.inference_mode()``.
    """
    with torch.inference_mode(False), torch.enable_grad():
        yield
