"""Tiny tensors on one thread (used by the engine and the panels).

On a busy machine PyTorch's thread pool can make an operation on a 13 x 13 tensor
take 10 ms instead of 0.01 ms. The panels compute on tiny tensors only, so they run
those operations on one thread and then restore the previous setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)``; restore the previous count after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
