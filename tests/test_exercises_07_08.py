"""The exercises of notebooks 07 and 08: each solution is accepted, a wrong answer refused."""

from __future__ import annotations

import pytest

from course_utils import check

RIGHT = {
    "07.1": 0.015625,
    "07.2": (8, 4, 2),
    "07.3": 0.5625,
    "07.4": (4, 9),
    "08.1": (352, 512),
    "08.2": 0.5,
    "08.3": (1806357, 86016),
    "08.4": 41,
}
WRONG = {
    "07.1": 0.125,
    "07.2": (4, 4, 0),
    "07.3": 0.75,
    "07.4": (1, 4),
    "08.1": (330, 500),
    "08.2": 0.6667,
    "08.3": (1806336, 86016),
    "08.4": 57,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_right_answer_accepted(key):
    verdict = check(key, RIGHT[key])
    assert verdict.correct, verdict.text
    assert "right!" in repr(verdict)


@pytest.mark.parametrize("key", sorted(WRONG))
def test_wrong_answer_refused_with_hint(key):
    verdict = check(key, WRONG[key])
    assert not verdict.correct
    assert "Hint:" in repr(verdict)


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_no_answer_yet(key):
    assert "no answer yet" in repr(check(key, ...))
