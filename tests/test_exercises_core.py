"""The exercise checker (its comparison rule), and the exercises of notebook 01."""

from __future__ import annotations

import importlib
import math
import pkgutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

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
    "01.1": [1 / 36, 1 / 3, 1 / 27, 0.1112, 0.1110, "1/9", True],  # Var(U) for E[U**2]; no E[U**2]; Var(w)
    "01.2": [(3, 480), (320, 481), (319, 480), (320,)],
    "01.3": [460_800, 1_204_225, 1_204_223, 1_204_224.5],  # the notebook's (1, 3, 320, 480)
    "01.4": [0.95, 0.69, 0.67, float("nan")],
    "01.5": [1 / 6, 0.4083, 0.4081, 2 / 12, 0.0],  # the variance; near misses; U - U is not 0
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
    assert check("01.1", 1 / 9).correct and "right" in repr(check("01.1", 3 / 27))
    assert check("01.1", 0.1111) and check("01.1", Fraction(1, 9)) and check("01.1", 0.11111111)
    assert check("01.2", (320, 480)) and check("01.2", torch.Size([320, 480]))
    assert check("01.3", 1_204_224) and check("01.3", 1_204_224.0)
    assert check("01.4", 0.683) and check("01.4", 0.68) and check("01.4", ONE_SIGMA)
    assert check("01.5", math.sqrt(1 / 6)) and check("01.5", 0.4082)
    assert check("01.6", lambda layer: layer.weight[0].numel() ** -0.5)
    assert check("01.7", 0.5) and check("01.7", 1 / 2) and not check("01.7", 1.0) and not check("01.7", 0.25)
    assert check("01.8", 0.07217) and check("01.8", math.sqrt(6 / 1152)) and not check("01.8", 1 / math.sqrt(1152))
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


# --- code exercises: check(key, function) ---------------------------------------------------

def conv1d_loop(x, w):
    """A learner's right answer to 02.5, written with a loop."""
    k = len(w)
    return torch.stack([(x[i:i + k] * w).sum() for i in range(len(x) - k + 1)])


def test_code_exercise_right_answer():
    verdict = check("02.5", conv1d_loop)
    assert verdict.correct and "right!" in repr(verdict) and "all 8 cases" in repr(verdict)
    as_list = check("02.5", lambda x, w: conv1d_loop(x, w).tolist())  # the values count, not the type
    assert as_list.correct, as_list.text
    in_float64 = check("02.5", lambda x, w: conv1d_loop(x.double(), w.double()))
    assert in_float64.correct, in_float64.text


def test_code_exercise_starters_have_no_answer_yet():
    def conv1d_by_hand(x, w):
        ...  # the starter cell of the notebook

    def not_implemented(x, w):
        raise NotImplementedError

    for starter in (conv1d_by_hand, not_implemented):
        verdict = check("02.5", starter)
        assert not verdict and "no answer yet" in repr(verdict) and "Hint:" not in repr(verdict)
    assert "conv1d_by_hand returned None" in repr(check("02.5", conv1d_by_hand))
    assert "no answer yet" in repr(check("02.5", ...))


def test_code_exercise_exception_is_a_message_not_a_traceback():
    def divides(x, w):
        return x / 0 if len(x) > 100 else 1 // (len(w) - len(w))

    text = repr(check("02.5", divides))
    assert "not yet" in text and "Case 1 of 8: divides raised ZeroDivisionError: integer division" in text
    assert "Traceback" not in text and "divides(x, w) with" in text and "Hint:" in text


def test_code_exercise_wrong_signature_and_not_a_function():
    text = repr(check("02.5", lambda x: x))
    assert "calls conv1d_by_hand(x, w), with 2 arguments, but your function takes (x)" in text
    text = repr(check("02.5", lambda x, w, stride: x))
    assert "with 2 arguments" in text and "takes (x, w, stride)" in text
    assert check("02.5", lambda *args: conv1d_loop(*args)).correct  # *args binds any call
    for answer in (3, "conv1d_by_hand", torch.zeros(3), dict, int):
        text = repr(check("02.5", answer))
        assert "asks for a function, conv1d_by_hand(x, w)" in text and "Hint:" in text, answer


def test_code_exercise_shows_the_first_failing_case_with_shapes():
    text = repr(check("02.5", lambda x, w: conv1d_loop(x, w.flip(0))))  # a true convolution
    assert "gives a different result" in text and "expected: tensor(" in text and "got:      tensor(" in text
    assert text.count("# shape (") == 4  # x, w, expected, got
    short = repr(check("02.5", lambda x, w: conv1d_loop(x, w)[:-1]))  # one window too few
    assert "Case 1 of 8 gives a different result (the shape is" in short


def test_code_exercise_leaves_every_random_state_alone():
    import random

    from course_utils import set_seed

    set_seed(123)  # seeds torch, random and NumPy's global generator
    states = (torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())  # noqa: NPY002
    for answer in (conv1d_loop, lambda x, w: x, lambda x, w: 1 / 0):
        check("02.5", answer)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert random.getstate() == states[1] and (np.random.get_state()[1] == states[2]).all()  # noqa: NPY002


def test_code_exercise_is_deterministic_and_inputs_are_copies():
    def mutates(x, w):
        result = conv1d_loop(x, w)
        x.zero_()  # spoils only its own copy
        w.mul_(2)
        return result

    assert check("02.5", mutates).correct
    first = repr(check("02.5", lambda x, w: conv1d_loop(x, w) + 1))
    torch.manual_seed(99)  # the cases come from their own generators, not from the global seed
    assert repr(check("02.5", lambda x, w: conv1d_loop(x, w) + 1)) == first


def test_code_exercise_integer_results_are_exact():
    def output_size(n, k, s, p, d):
        return (n + 2 * p - d * (k - 1) - 1) // s + 1

    assert check("03.5", output_size).correct
    assert check("03.5", lambda n, k, s, p, d: np.int64(output_size(n, k, s, p, d))).correct
    assert check("03.5", lambda n, k, s, p, d: torch.tensor(output_size(n, k, s, p, d))).correct
    assert check("03.5", lambda n, k, s, p, d: float(output_size(n, k, s, p, d))).correct  # 112.0 is 112
    half = repr(check("03.5", lambda n, k, s, p, d: output_size(n, k, s, p, d) + 0.5))
    assert "the answer is a whole number, got" in half and "(float)" in half
    assert "whole number" in repr(check("03.5", lambda n, k, s, p, d: output_size(n, k, s, p, d) > 0))


def test_code_exercise_float_results_within_float32_tolerance():
    def iou(prediction, target, cls):
        a, b = prediction == cls, target == cls
        return (a & b).sum().float() / (a | b).sum().float()  # a 0-d float32 tensor

    assert check("08.6", iou).correct
    assert check("08.6", lambda p, t, c: iou(p, t, c).item() + 1e-7).correct
    assert not check("08.6", lambda p, t, c: iou(p, t, c).item() + 1e-3).correct
    assert "the answer is a number, got str" in repr(check("08.6", lambda p, t, c: "0.5"))


def test_numeric_exercise_given_a_function_is_not_yet():
    verdict = check("02.2", conv1d_loop)
    assert not verdict and "not yet" in repr(verdict)


def test_run_directly_with_a_custom_reference():
    from course_utils.exercises._code import CASE_SEED, run

    seen = []

    def cases(g):
        seen.append(g.initial_seed())
        return (int(torch.randint(0, 10, (), generator=g)),)

    def double(n):
        return 2 * n

    assert run("98.1", lambda: double, cases, 3, lambda n: n + n)[0] == "right"
    assert seen == [CASE_SEED, CASE_SEED + 1, CASE_SEED + 2]
    status, text = run("98.1", lambda: double, cases, 3, lambda n: n * n if n else 0)
    assert status == "wrong" and "expected: " in text and "Hint" not in text


def test_n_cases_must_be_positive():
    with pytest.raises(ValueError, match="n_cases must be positive, got 0"):
        exercise("99.1", "question", "hint", cases=lambda g: (), n_cases=0)
    assert "99.1" not in EXERCISES


# --- hints on request, and a session left as it was (DESIGN.md, "Exercises") ------------------------

@pytest.fixture
def practice():
    """A throwaway exercise 99.1 (answer 3) with two hints, removed afterwards."""
    from course_utils import exercises

    exercises.exercise("99.1", "How many?", hint="first hint", hint2="second hint",
                       explanation="three")(lambda: 3)
    yield "99.1"
    exercises.EXERCISES.pop("99.1", None)
    exercises._HINTS_SHOWN.pop("99.1", None)


def test_no_answer_shows_no_hint_and_each_wrong_answer_the_next(practice):
    from course_utils import hint

    assert repr(check(practice, ...)) == f"Exercise {practice}: no answer yet. Replace ... with your answer and run " \
                                         "the cell again."
    first = repr(check(practice, 4))
    assert "Hint: first hint" in first and "second hint" not in first and "hint('99.1')" in first
    second = repr(check(practice, 5))
    assert "Hint: second hint" in second and "first hint" not in second
    again = repr(hint(practice))
    assert "second hint" in again and "last hint" in again
    assert repr(check(practice, 3)) == "Exercise 99.1: right! three"


def test_hint_on_request_before_any_answer(practice):
    from course_utils import hint

    assert "Hint: first hint" in repr(hint(practice))
    assert "Hint: second hint" in repr(hint(practice))


def test_stored_notebooks_show_no_hint():
    """No stored output of any notebook shows a hint: a hint is never read together with its question."""
    import nbformat

    from course_utils.exercises import EXERCISES, _load

    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") + "".join(output.get("data", {}).get("text/plain", ""))
                assert "Hint:" not in text, f"{path.name}: a stored output shows a hint:\n{text[:300]}"
                for key in {k for k in EXERCISES if f"Exercise {k}" in text}:
                    for one in _load(key).hints:
                        assert one not in text, f"{path.name}: the hint of {key} is stored next to its question"


def _session() -> tuple:
    return (torch.get_default_dtype(), torch.is_grad_enabled(), torch.get_num_threads())


def test_check_draws_nothing_from_the_learners_random_generators():
    import random

    import numpy as np

    from course_utils.exercises import EXERCISES, _load

    for notebook in range(1, 9):
        try:
            _load(f"0{notebook}.1")
        except ValueError:
            pass
    keys = sorted(k for k, item in EXERCISES.items() if item.cases is None and not k.startswith("99"))
    assert len(keys) >= 20
    for key in keys:
        torch.manual_seed(0), np.random.seed(0), random.seed(0)  # noqa: NPY002 - a learner's seeding
        check(key, "surely not the answer")
        after = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
        torch.manual_seed(0), np.random.seed(0), random.seed(0)  # noqa: NPY002
        fresh = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
        assert torch.equal(after[0], fresh[0]) and (after[1] == fresh[1]).all() and after[2] == fresh[2], key


def test_a_learners_function_cannot_change_the_session():
    import numpy as np

    def meddling(x, w):
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
        torch.manual_seed(123)
        np.random.seed(5)  # noqa: NPY002
        torch.set_num_threads(1)
        return torch.zeros(3)

    before = _session()
    torch.manual_seed(0)
    check("02.5", meddling)
    assert _session() == before
    drawn = torch.rand(2)
    torch.manual_seed(0)
    assert torch.equal(drawn, torch.rand(2))


def test_a_slow_function_is_stopped_with_a_sentence(monkeypatch):
    import time

    from course_utils.exercises import _code

    monkeypatch.setattr(_code, "CASE_SECONDS", 0.3)

    def sleepy(x, w):
        time.sleep(5)

    start = time.perf_counter()
    text = repr(check("02.5", sleepy))
    assert time.perf_counter() - start < 2.5
    assert "sleepy ran for more than 0.3 s, so check stopped waiting" in text


def test_a_huge_wrong_answer_gives_a_short_message():
    text = repr(check("01.1", list(range(1_000_000))))
    assert len(text) < 2000 and "more characters" in text
    text = repr(check("02.5", lambda x, w: list(range(1_000_000))))
    assert len(text) < 4000


def test_integral_floats_count_as_whole_numbers_and_complex_results_never_do():
    import numpy as np

    def formula(n, k, s, p, d):
        return (n + 2 * p - d * (k - 1) - 1) // s + 1

    for answer in (lambda *a: np.floor((a[0] + 2 * a[3] - a[4] * (a[1] - 1) - 1) / a[2]) + 1,
                   lambda *a: torch.floor(torch.tensor((a[0] + 2 * a[3] - a[4] * (a[1] - 1) - 1) / a[2])) + 1,
                   lambda *a: 1.0 + sum([formula(*a) - 1])):
        verdict = check("03.5", answer)
        assert verdict, verdict.text
    assert not check("03.5", lambda *a: complex(formula(*a)))
    assert not check("03.5", lambda *a: formula(*a) + 0.5)
    assert not check("02.5", lambda x, w: torch.nn.functional.conv1d(x[None, None], w[None, None])[0, 0]
                     .to(torch.complex64))


def test_a_key_without_its_leading_zero_is_corrected():
    with pytest.raises(ValueError, match="did you mean '01.2'"):
        check("1.2", 3)
