"""The exercises of notebooks 02 to 08: each solution is accepted, a wrong answer refused.

The right answers are typed here by hand (computed independently of the solutions in
course_utils/exercises), so a solution that drifts is caught. The checker itself and
the exercises of notebook 01 are tested in test_exercises_core.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from course_utils import check
from course_utils.exercises import EXERCISES, _load

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

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
    "05.1": (9, 25),
    "05.2": 36,
    "05.3": 4,
    "05.4": torch.tensor([[1.0, 3, 5, 3], [5, 12, 16, 9], [11, 24, 28, 15], [7, 15, 17, 9]]),
    "06.1": 14,
    "06.2": 11.0,
    "06.3": 1,
    "06.4": (6, 2, 3, 3),
    "07.1": 0.015625,
    "07.2": (8, 4, 2),
    "07.3": 0.5625,
    "07.4": (4, 9),
    "08.1": (352, 512),
    "08.2": 0.5,
    "08.3": (21 * 21 * 64 * 64 + 21, 21 * 64 * 64),
    "08.4": 1 + 2 + 2 + 2 * 2 + 2 * 4 + 2 * 4 + 2 * 8,
}
WRONG = {
    "02.1": (1, 8, 16, 112, 112),
    "02.2": 1200,
    "02.3": (2, 4, 7),
    "02.4": 10752,
    "03.1": 109,
    "03.2": 73856,
    "03.3": 7,
    "03.4": (7,),
    "04.1": 9,
    "04.2": 3,
    "04.3": 361,
    "05.1": (25, 9),
    "05.2": 64,
    "05.3": 9,
    "05.4": torch.ones(4, 4),
    "06.1": 13,
    "06.2": 4.4,
    "06.3": 0,
    "06.4": (4, 3, 3, 3),
    "07.1": 0.125,
    "07.2": (4, 4, 0),
    "07.3": 0.75,
    "07.4": (1, 4),
    "08.1": (330, 500),
    "08.2": 0.6667,
    "08.3": (1806336, 86016),
    "08.4": 57,
}


@pytest.mark.parametrize("key", list(RIGHT))
def test_solution_right_and_wrong(key):
    assert check(key, RIGHT[key]).correct, check(key, RIGHT[key]).text
    assert check(key, _load(key).solution()).correct
    assert "right!" in repr(check(key, RIGHT[key]))
    verdict = check(key, WRONG[key])
    assert not verdict.correct and "Hint:" in repr(verdict)
    assert "no answer yet" in repr(check(key, ...))


def test_every_exercise_of_02_to_08_is_tested_and_asked_in_its_notebook():
    numbers = [f"{n:02d}" for n in range(2, 9)]
    for number in numbers:
        _load(f"{number}.1")
    registered = {k for k in EXERCISES if k.split(".")[0] in numbers}
    assert registered == set(RIGHT) == set(WRONG)
    asked = set()
    for path in NOTEBOOKS.glob("0[2-8]_*.ipynb"):
        asked |= set(re.findall(r'check\(\\"(\d\d\.\d+)\\"', path.read_text(encoding="utf-8")))
    assert asked == registered


def test_answers_in_other_forms():
    assert check("02.1", torch.Size([1, 8, 14, 110, 110])).correct
    assert check("02.3", [4, 2, 7]).correct
    assert check("03.1", torch.tensor(112)).correct


def test_weight_shape_exercise_draws_no_random_numbers():
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    check("06.4", (6, 2, 3, 3))
    assert torch.equal(torch.rand(1), a)
