"""Argument checks shared by the helpers: one place that words the error messages.

Every message names the argument, shows the value it got and says what is allowed,
so a learner who typed the value can fix it without reading a traceback.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

IntOrPair = int | tuple[int, ...]


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int``; raise if it is not a whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        allowed = "positive" if minimum == 1 else ("0 or more" if minimum == 0 else f">= {minimum}")
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return value


def check_tuple(
    name: str, value: object, ndim: int, *, minimum: int | None = None
) -> tuple[int, ...]:
    """Expand an int to ``ndim`` copies or check a sequence of ``ndim`` ints.

    ``check_tuple("stride", 2, 2)`` gives ``(2, 2)``; ``check_tuple("stride", (1, 2), 2)``
    gives ``(1, 2)``; a sequence of the wrong length raises a ``ValueError``.
    """
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != ndim:
            raise ValueError(
                f"{name} must be one int or {ndim} ints (one per spatial axis), got {tuple(value)!r}"
            )
        return tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value))
    return (check_int(name, value, minimum=minimum),) * ndim


def check_choice(name: str, value: object, choices: Sequence[object]) -> object:
    """Raise a ``ValueError`` listing ``choices`` unless ``value`` is one of them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_number(
    name: str, value: object, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return ``value`` as a ``float``; raise unless it is a finite real number in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {value:g}")
    return value


#: The most numbers one tensor the helpers build may hold: 2**25, 128 MiB of float32. Anything
#: larger is refused before it is allocated, so a typo in a size fails at once instead of
#: asking for gigabytes.
MAX_ELEMENTS = 2**25


def check_elements(what: str, count: int, advice: str) -> None:
    """Raise a ``ValueError`` before building ``what`` when it would hold more than ``MAX_ELEMENTS`` numbers.

    ``what`` names the result and the argument(s) that make it large, e.g.
    ``"conv2d_matrix for input_size (224, 224)"``; ``advice`` says what to do instead.
    """
    if count > MAX_ELEMENTS:
        raise ValueError(
            f"{what} would hold {count:,} numbers ({count * 4 / 2**30:.1f} GiB as float32); the course's "
            f"helpers build at most {MAX_ELEMENTS:,} (128 MiB). {advice}"
        )
