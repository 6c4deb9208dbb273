"""The exercises of notebooks 05 and 06: each solution is accepted, a wrong answer refused."""

from __future__ import annotations

import pytest
import torch

from course_utils import check
from course_utils.exercises import _load

RIGHT = {
    "05.1": (9, 25),
    "05.2": 36,
    "05.3": 4,
    "05.4": torch.tensor([[1.0, 3, 5, 3], [5, 12, 16, 9], [11, 24, 28, 15], [7, 15, 17, 9]]),
    "06.1": 14,
    "06.2": 11.0,
    "06.3": 1,
    "06.4": (6, 2, 3, 3),
}
WRONG = {
    "05.1": (25, 9),
    "05.2": 64,
    "05.3": 9,
    "05.4": torch.ones(4, 4),
    "06.1": 13,
    "06.2": 4.4,
    "06.3": 0,
    "06.4": (4, 3, 3, 3),
}


@pytest.mark.parametrize("key", list(RIGHT))
def test_solution_right_and_wrong(key):
    assert check(key, RIGHT[key]).correct
    assert check(key, _load(key).solution()).correct
    verdict = check(key, WRONG[key])
    assert not verdict.correct and "Hint:" in repr(verdict)
    assert not check(key, ...).correct


def test_weight_shape_exercise_draws_no_random_numbers():
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    check("06.4", (6, 2, 3, 3))
    assert torch.equal(torch.rand(1), a)
