"""The exercises of notebooks 02, 03 and 04: each solution is accepted, a wrong answer refused.

The right answers are typed here by hand (computed independently of the solutions in
course_utils/exercises), so a solution that drifts is caught.
"""

from __future__ import annotations

import pytest
import torch

from course_utils import check
from course_utils.exercises import EXERCISES, _load

RIGHT = {
    "02.1": (1, 8, 14, 110, 110),
    "02.2": 16 * 3 * 5 * 5 + 16,
    "02.3": (4, 2, 7),
    "02.4": 21 * 512 + 21,
    "03.1": (224 + 2 * 3 - 7) // 2 + 1,
    "03.2": 128 * (64 // 4) * 3 * 3 + 128,
    "03.3": 3,
    "03.4": (7, 8),
    "04.1": 1 + 2 * (1 + 2 + 4 + 8),
    "04.2": 3 * (5 - 1) // 2,
    "04.3": 7 * 7,
}
WRONG = {
    "02.1": (1, 8, 16, 112, 112),
    "02.2": 1200,
    "02.3": (2, 4, 7),
    "02.4": 10752,
    "03.1": 109,
    "03.2": 73856,
    "03.4": (7,),
    "03.3": 7,
    "04.1": 9,
    "04.2": 3,
    "04.3": 361,
}


@pytest.mark.parametrize("key", list(RIGHT))
def test_solution_right_and_wrong(key):
    assert check(key, RIGHT[key]).correct
    assert check(key, _load(key).solution()).correct
    verdict = check(key, WRONG[key])
    assert not verdict.correct and "Hint:" in repr(verdict)
    assert not check(key, ...).correct


def test_answers_in_other_forms():
    assert check("02.1", torch.Size([1, 8, 14, 110, 110])).correct
    assert check("02.3", [4, 2, 7]).correct
    assert check("03.1", torch.tensor(112)).correct


def test_every_exercise_of_02_to_04_is_tested():
    for number in ("02", "03", "04"):
        _load(f"{number}.1")
    keys = {k for k in EXERCISES if k.split(".")[0] in ("02", "03", "04")}
    assert keys == set(RIGHT)
