"""Shared test set-up: a non-interactive matplotlib backend, hypothesis profiles, and the ways a
learner turns gradients off (``grad_off``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=3000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests use tiny tensors: one thread is much faster than the pool on a shared machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@contextmanager
def _set_grad_enabled_false() -> Iterator[None]:
    """``torch.set_grad_enabled(False)`` typed as a statement, as a learner does; undone after the test's block."""
    torch.set_grad_enabled(False)
    try:
        yield
    finally:
        torch.set_grad_enabled(True)


#: The three ways a learner turns gradients off around a helper call.
GRAD_OFF = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode,
            "set_grad_enabled(False)": _set_grad_enabled_false}


@pytest.fixture(params=list(GRAD_OFF))
def grad_off(request: pytest.FixtureRequest) -> Callable[[], AbstractContextManager[None]]:
    """A context manager that turns gradients off as a learner would, and checks, when its block
    ends, that the helpers called in it left the learner's mode as it was (grad off, inference mode
    as entered); after the block the test's own mode is back."""
    turn_off = GRAD_OFF[request.param]

    @contextmanager
    def block() -> Iterator[None]:
        with turn_off():
            inference = torch.is_inference_mode_enabled()
            yield
            assert not torch.is_grad_enabled(), f"a helper turned gradients back on under {request.param}"
            assert torch.is_inference_mode_enabled() == inference, f"a helper left {request.param}"
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()

    return block
