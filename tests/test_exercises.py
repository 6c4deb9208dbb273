"""The exercises of notebooks 02 to 08: each solution is accepted, a wrong answer refused.

The right answers are typed here by hand (computed independently of the solutions in
course_utils/exercises), so a solution that drifts is caught. The checker itself and
the exercises of notebook 01 are tested in test_exercises_core.py.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
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
    "04.4": 21 * 21 - 19 * 19,
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
    "08.5": 162_204 - 3 * 5 * 5 * 4 * 4,  # all parameters (notebook 08 prints 162,204) but the frozen weights
}
# Answers a learner might give: a mistake of reasoning first, then near misses (off by one for
# integers, off in the last asked digit for decimals). test_near_misses_are_wrong adds more.
WRONG = {
    "02.1": [(1, 8, 16, 112, 112), (1, 8, 14, 110, 111)],
    "02.2": [1200, 1217, 1216.5],
    "02.3": [(2, 4, 7), (4, 2, 6)],
    "02.4": [10752, 10774],
    "03.1": [109, 111, 112.5],
    "03.2": [73856, 18561],
    "03.3": [7, 2],
    "03.4": [(7,), (7, 8, 9), (8, 7)],
    "04.1": [9, 32],
    "04.2": [3, 5],
    "04.3": [361, 48],
    "04.4": [0, 2, 361],  # no common factor taken for no holes; one axis; the pixels reached
    "05.1": [(25, 9), (9, 24)],
    "05.2": [64, 35],
    "05.3": [9, 5],
    "05.4": [torch.ones(4, 4), torch.ones(3, 3)],
    "06.1": [13, 15],
    "06.2": [4.4, 11.01, 10.99],
    "06.3": [0, 2],
    "06.4": [(4, 3, 3, 3), (6, 4, 3, 3)],
    "07.1": [0.125, 0.01564, 0.01561],
    "07.2": [(4, 4, 0), (8, 4, 1)],
    "07.3": [0.75, 0.5626, 0.5624],
    "07.4": [(1, 4), (4, 8)],
    "08.1": [(330, 500), (352, 511)],
    "08.2": [0.6667, 0.5001, 0.4999],
    "08.3": [(1806336, 86016), (1806358, 86016), (1806357, 86017)],
    "08.4": [57, 40],
    "08.5": [162_204, 162_204 - 3 * 5 * 5 * 4 * 4 - 3 * 5],  # nothing frozen; biases counted as frozen too
}
# Right answers in other forms: rounded decimals, integral floats, NumPy, tensors, lists.
RIGHT_TOO = [
    ("02.1", torch.Size([1, 8, 14, 110, 110])),
    ("02.3", [4, 2, 7]),
    ("03.1", torch.tensor(112)),
    ("03.1", 112.0),
    ("03.2", np.int64(18560)),
    ("05.4", np.array([[1, 3, 5, 3], [5, 12, 16, 9], [11, 24, 28, 15], [7, 15, 17, 9]])),
    ("06.2", 11),
    ("06.2", Fraction(11)),
    ("07.1", 0.01562),
    ("07.1", 0.01563),
    ("07.1", Fraction(1, 64)),
    ("07.3", np.float32(0.5625)),
    ("08.2", 0.5),
    ("08.3", np.array([1806357, 86016])),
]


def near_misses(value, digits):
    """Copies of ``value`` with one number changed: +-1 for an int, +-1 unit of the
    ``digits``-th significant digit for a decimal (every element of a tuple or tensor)."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            for miss in near_misses(item, digits):
                yield [*value[:i], miss, *value[i + 1 :]]
        return
    if isinstance(value, int):
        yield from (value - 1, value + 1)
        return
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    yield from (value - unit, value + unit)


@pytest.mark.parametrize("key", list(RIGHT))
def test_solution_right_and_wrong(key):
    assert check(key, RIGHT[key]).correct, check(key, RIGHT[key]).text
    assert check(key, _load(key).solution()).correct
    assert "right!" in repr(check(key, RIGHT[key]))
    for wrong in WRONG[key]:
        verdict = check(key, wrong)
        assert not verdict.correct and "Hint:" in repr(verdict), wrong
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


@pytest.mark.parametrize(("key", "answer"), RIGHT_TOO)
def test_answers_in_other_forms(key, answer):
    assert check(key, answer).correct, check(key, answer).text


@pytest.mark.parametrize("key", list(RIGHT))
def test_near_misses_are_wrong(key):
    digits = _load(key).digits
    misses = list(near_misses(RIGHT[key], digits))
    assert misses
    for miss in misses:
        assert not check(key, miss).correct, miss


def test_weight_shape_exercise_draws_no_random_numbers():
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    check("06.4", (6, 2, 3, 3))
    assert torch.equal(torch.rand(1), a)
