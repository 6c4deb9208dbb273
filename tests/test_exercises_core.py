"""The exercise checker, and the exercises of notebook 01."""

from __future__ import annotations

import importlib
import math
import pkgutil

import pytest
import torch

import course_utils.exercises as ex
from course_utils import check
from course_utils.exercises import EXERCISES, answers_match

WRONG = {"01.1": 1 / 12, "01.2": (3, 480), "01.3": 1000, "01.4": 0.95, "01.5": 4}


def load_all():
    for module in pkgutil.iter_modules(ex.__path__):
        importlib.import_module(f"{ex.__name__}.{module.name}")
    return dict(EXERCISES)


def test_answers_match_rules():
    assert answers_match(torch.Size([3, 4]), (3, 4))
    assert answers_match([1, 2.0000000001], (1, 2))
    assert answers_match(" Stride ", "stride")
    assert answers_match(torch.tensor(0.5), 1 / 2)
    assert not answers_match(True, 1) and not answers_match(1, True)
    assert not answers_match((3, 4), (3, 4, 1))
    assert not answers_match("3", 3)


def test_right_wrong_and_missing_answers_for_01():
    assert check("01.1", 1 / 3).correct and "right" in repr(check("01.1", 4 / 12))
    assert check("01.2", (320, 480)) and check("01.2", torch.Size([320, 480]))
    assert check("01.3", 460_800)
    assert check("01.4", 0.683) and not check("01.4", 0.7)
    assert check("01.4", math.erf(1 / math.sqrt(2)))
    assert check("01.5", 2)
    for key, wrong in WRONG.items():
        verdict = check(key, wrong)
        assert not verdict and "Hint:" in repr(verdict), key
    assert "no answer yet" in repr(check("01.1", ...))


def test_every_registered_exercise_accepts_its_solution_and_has_a_hint():
    exercises = load_all()
    assert len(exercises) >= 5
    for key, item in exercises.items():
        assert check(key, item.solution()).correct, key
        assert item.hint and item.question, key


def test_bad_keys():
    with pytest.raises(ValueError, match="key must look like '01.2'"):
        check("1", 0)
    with pytest.raises(ValueError, match="notebook 99 has no exercises"):
        check("99.1", 0)
    with pytest.raises(ValueError, match="'01.9' is not an exercise"):
        check("01.9", 0)
