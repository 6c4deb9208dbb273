"""Shared by the tests of refusals: an error must come quickly, before anything big is built."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from course_utils._checks import MAX_ELEMENTS

#: The end of the message of course_utils._checks.check_elements.
LIMIT = rf"would hold [\d,]+ numbers .*at most {MAX_ELEMENTS:,}"


def raises_fast(error: type[Exception], message: str, fn: Callable[[], object]) -> None:
    """``fn()`` raises ``error`` matching ``message`` within a second."""
    start = time.perf_counter()
    with pytest.raises(error, match=message):
        fn()
    assert time.perf_counter() - start < 1.0  # refused before anything big is built
