"""The exercise checker (its comparison rule), and the exercises of notebook 01."""

from __future__ import annotations

import importlib
import math
import pkgutil
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import course_utils.exercises as ex
from course_utils import check
from course_utils.exercises import EXERCISES, answers_match, exercise

ONE_SIGMA = math.erf(1 / math.sqrt(2))  # 01.4 asks for 2 significant digits
WRONG = {
    "01.1": [1 / 12, 0.3335, 0.3334, Fraction(1, 4), "1/3", True],
    "01.2": [(3, 480), (320, 481), (319, 480), (320,)],
    "01.3": [1000, 460_801, 460_799, 460_800.5],
    "01.4": [0.95, 0.69, 0.67, float("nan")],
    "01.5": [4, 2.001, 1.999, 4.0],
}


def load_all():
    for module in pkgutil.iter_modules(ex.__path__):
        importlib.import_module(f"{ex.__name__}.{module.name}")
    return dict(EXERCISES)


def test_integers_must_be_exact():
    assert answers_match(1806357, 1806357)
    assert not answers_match(1806358, 1806357) and not answers_match(1806356, 1806357)
    assert answers_match(112.0, 112) and answers_match(np.float64(112.0), 112)
    assert not answers_match(112.5, 112) and not answers_match(112.0000001, 112)
    assert answers_match(Fraction(224, 2), 112) and answers_match(Decimal("112.000"), 112)
    assert answers_match(np.int64(5), 5) and answers_match(np.uint8(5), 5)
    assert answers_match(torch.tensor(112), 112) and not answers_match(torch.tensor(112.5), 112)


def test_decimals_agree_to_four_significant_digits():
    third = 1 / 3
    assert answers_match(0.3333, third) and answers_match(0.33333, third)
    assert not answers_match(0.3335, third) and not answers_match(0.3334, third)
    assert answers_match(Fraction(1, 3), third) and answers_match(Decimal("0.3333"), third)
    assert not answers_match(Decimal("0.3335"), third)
    assert answers_match(np.float32(0.33333334), third)
    assert answers_match(torch.tensor(0.3333), third)
    assert answers_match(-0.3333, -third) and not answers_match(0.3333, -third)
    # a tie is right both ways: 0.015625 rounds to 0.01562 or 0.01563
    assert answers_match(0.01562, 0.015625) and answers_match(0.01563, 0.015625)
    assert not answers_match(0.01561, 0.015625) and not answers_match(0.01564, 0.015625)
    # an integral expected float is still a decimal: 4 digits of 11.0
    assert answers_match(11, 11.0) and answers_match(11.004, 11.0)
    assert not answers_match(11.01, 11.0)
    assert answers_match(123_456, 123_456.7) and not answers_match(123_600, 123_456.7)


def test_digits_setting_and_zero():
    assert not answers_match(0.3333, 1 / 3, digits=5) and answers_match(0.33333, 1 / 3, digits=5)
    assert answers_match(0.683, ONE_SIGMA, digits=2)
    assert not answers_match(0.69, ONE_SIGMA, digits=2)
    # 0 has no significant digits: off by at most half a unit of the 4th decimal place
    assert answers_match(0.00004, 0.0) and answers_match(-0.00005, 0.0) and answers_match(0, 0.0)
    assert not answers_match(0.0001, 0.0) and not answers_match(0.00004, 0.0, digits=5)


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda x: abs(x) > 1e-12),
    st.integers(1, 8),
)
def test_rounded_answer_is_right_and_one_unit_off_is_wrong(value, digits):
    """Agreement with Python's decimal rounding to ``digits`` significant digits."""
    rounded = Decimal(repr(value))
    rounded = Decimal(f"{rounded:.{digits - 1}e}")  # correctly rounded, half to even
    unit = Decimal(1).scaleb(rounded.adjusted() - digits + 1)
    assert answers_match(float(rounded), value, digits)
    assert not answers_match(float(rounded + 2 * unit), value, digits)
    assert not answers_match(float(rounded - 2 * unit), value, digits)


def test_sequences_compare_element_by_element():
    assert answers_match((7, 8), [7, 8]) and answers_match([7, 8], (7, 8))
    assert answers_match(torch.Size([3, 4]), (3, 4)) and answers_match(np.array([7, 8]), (7, 8))
    assert answers_match(torch.tensor([7.0, 8.0]), (7, 8)) and answers_match((7.0, 8), [7, 8])
    assert answers_match([0.3333, 2], (1 / 3, 2.0)) and not answers_match([0.3335, 2], (1 / 3, 2.0))
    assert not answers_match([1, 2.0000000001], (1, 2))
    assert not answers_match((3, 4), (3, 4, 1)) and not answers_match((3,), 3)
    assert not answers_match(3, (3,)) and not answers_match([[7, 8]], (7, 8))


def test_what_is_not_a_number():
    assert not answers_match(True, 1) and not answers_match(1, True)
    assert not answers_match(np.bool_(True), 1) and not answers_match(torch.tensor(True), 1)
    assert answers_match(True, True) and not answers_match(1, True)
    for nan in (float("nan"), np.float32("nan"), Decimal("NaN"), torch.tensor(float("nan"))):
        assert not answers_match(nan, 1 / 3) and not answers_match(nan, 3)
    assert not answers_match(float("inf"), 1e308) and not answers_match(Decimal("-Infinity"), 3)
    assert not answers_match("3", 3) and not answers_match({"answer": 3}, 3)
    assert not answers_match(3 + 0j, 3)
    assert answers_match(" Stride ", "stride") and not answers_match(1, "1")


def test_wrong_kinds_of_answer_are_not_yet_never_a_traceback():
    for answer in ("1216", {"a": 1216}, [1216], torch.zeros(3, device="meta"), float("nan"),
                   object(), b"1216", np.array(["1216"])):
        verdict = check("02.2", answer)
        assert not verdict and "not yet" in repr(verdict) and "Hint:" in repr(verdict)
    assert check("02.2", np.array(1216)) and check("02.2", torch.tensor(1216.0))


def test_right_wrong_and_missing_answers_for_01():
    assert check("01.1", 1 / 3).correct and "right" in repr(check("01.1", 4 / 12))
    assert check("01.1", 0.3333) and check("01.1", Fraction(1, 3)) and check("01.1", 0.33333334)
    assert check("01.2", (320, 480)) and check("01.2", torch.Size([320, 480]))
    assert check("01.3", 460_800) and check("01.3", 460_800.0)
    assert check("01.4", 0.683) and check("01.4", 0.68) and check("01.4", ONE_SIGMA)
    assert check("01.5", 2) and check("01.5", 2.0)
    for key, answers in WRONG.items():
        for wrong in answers:
            verdict = check(key, wrong)
            assert not verdict and "Hint:" in repr(verdict), (key, wrong)
    assert "no answer yet" in repr(check("01.1", ...))


def test_every_registered_exercise_accepts_its_solution_and_has_a_hint():
    exercises = load_all()
    assert len(exercises) >= 5
    for key, item in exercises.items():
        assert check(key, item.solution()).correct, key
        assert item.hint and item.question, key
        assert isinstance(item.digits, int) and item.digits >= 1


def test_digits_must_be_a_positive_whole_number():
    with pytest.raises(ValueError, match="digits must be positive, got 0"):
        exercise("99.1", "question", "hint", digits=0)
    with pytest.raises(TypeError, match="digits must be a whole number, got 1e-06"):
        exercise("99.1", "question", "hint", digits=1e-6)
    assert "99.1" not in EXERCISES


def test_bad_keys():
    with pytest.raises(ValueError, match="key must look like '01.2'"):
        check("1", 0)
    with pytest.raises(ValueError, match="notebook 99 has no exercises"):
        check("99.1", 0)
    with pytest.raises(ValueError, match="'01.9' is not an exercise"):
        check("01.9", 0)
