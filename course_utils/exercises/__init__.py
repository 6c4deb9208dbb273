"""Exercises whose answers the reader can check: ``check("01.2", answer)``.

Each notebook's exercises live in a module ``exNN.py`` of this package (``NN``
being the notebook number) and are registered with :func:`exercise`. ``check``
loads that module on first use, compares the answer and says right or wrong.
The expected answers are computed (often with PyTorch), never typed in by hand.

Hints come only when they are asked for: with no answer yet, ``check`` says just
that; a first wrong answer gets the exercise's first hint, a second wrong answer
a stronger one, and ``hint("01.2")`` gives the next hint on request. So a stored
notebook never shows a hint next to its question.

``check`` leaves the learner's session as it found it: it draws nothing from the
global random generators (torch, NumPy, ``random``), and after running a
learner's function it restores the default dtype, the grad mode, the number of
threads and those generators; each case of a code exercise has a time limit
(:data:`~course_utils.exercises._code.CASE_SECONDS`), and its messages are short.

How answers are compared (:func:`answers_match`):

- An integer answer (a count, a size, a padding) is right only when exact:
  ``1806358`` is not ``1806357``. A float that is exactly integral (``112.0``)
  counts as that integer; ``112.5`` does not.
- A decimal answer is right when it agrees with the expected value to
  ``digits`` significant digits (4 unless the exercise says otherwise): it may
  differ by at most half a unit of its last digit, so ``0.3333`` is right for
  1/3 and ``0.3335`` is not. A float is read as the decimal it prints as
  (``0.01562`` is exactly 1562 / 100000). An expected ``0`` has no significant
  digits; there the answer may be off by half a unit of the ``digits``-th
  decimal place (5e-5 for 4 digits), as for an answer of order 1.
- Python ints and floats, ``fractions.Fraction``, ``decimal.Decimal`` (exact
  values, so ``Fraction(1, 3)`` is right for 1/3), NumPy integers and floats
  and 0-d tensors are numbers; ``True``/``False``, NaN, infinities and text are not.
- Tuples, lists, ``torch.Size``, NumPy arrays and tensors are compared element
  by element with the same rules and must have the same length.
- Text answers are compared ignoring case and surrounding spaces.

An answer of a kind that cannot match (text where a number is expected, a dict,
a tensor on the ``meta`` device) is simply wrong: ``check`` says "not yet", never
raises.

A *code exercise* asks for a function (``check("02.5", conv1d_by_hand)``): it is
registered with ``cases``, and its solution returns the reference function.
``check`` calls both on several seeded random cases and shows the first case where
they differ (see :mod:`course_utils.exercises._code`). A starter whose body is
``...`` (it returns None) or ``raise NotImplementedError`` has "no answer yet".
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import torch

from .._checks import check_int
from .._grad import autograd_on
from ._code import Cases, session_kept, short_repr
from ._code import run as _run_code

__all__ = ["check", "hint", "exercise", "Exercise", "Verdict", "EXERCISES", "answers_match"]


@dataclass(frozen=True)
class Exercise:
    """One checkable question: ``solution()`` computes the expected answer.

    ``digits`` is how many significant digits a decimal answer must get right. With
    ``cases`` it is a code exercise: ``solution()`` returns the reference function and
    ``cases(generator)`` draws the arguments of one of ``n_cases`` test cases.
    """

    key: str
    question: str
    solution: Callable[[], Any]
    hint: str
    explanation: str = ""
    digits: int = 4
    cases: Cases | None = None
    n_cases: int = 8
    hint2: str = ""

    @property
    def hints(self) -> tuple[str, ...]:
        """The hints in the order they are given: the first, then a stronger one (when there is one)."""
        return (self.hint, self.hint2) if self.hint2 else (self.hint,)


@dataclass(frozen=True)
class Verdict:
    """What :func:`check` says. Displays as one or two lines of text."""

    key: str
    correct: bool
    text: str = field(repr=False)

    def __repr__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return self.correct


#: Every exercise loaded so far, by key ("01.2").
EXERCISES: dict[str, Exercise] = {}

#: How many hints of each exercise this session has shown (a wrong answer or hint() shows the next one).
_HINTS_SHOWN: dict[str, int] = {}


def exercise(
    key: str, question: str, hint: str, explanation: str = "", *, hint2: str = "", digits: int = 4,
    cases: Cases | None = None, n_cases: int = 8,
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator registering ``solution`` (a function computing the answer) under ``key``.

    ``hint`` is given after a first wrong answer, ``hint2`` (a stronger one, short of the answer)
    after a second; ``hint(key)`` gives them on request. No hint is shown with the question.
    ``digits``: significant digits a decimal answer must agree to (integers must be exact).
    ``cases``: makes it a code exercise; ``solution()`` then returns the reference function,
    and ``cases(generator)`` draws the positional arguments of one test case.
    """
    digits = check_int("digits", digits, minimum=1)
    n_cases = check_int("n_cases", n_cases, minimum=1)

    def register(solution: Callable[[], Any]) -> Callable[[], Any]:
        EXERCISES[key] = Exercise(key, question, solution, hint, explanation, digits, cases, n_cases, hint2)
        return solution

    return register


def _normalise(value: Any) -> Any:
    """Tensors, arrays, NumPy scalars and torch.Size as plain Python numbers and tuples."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    elif hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # NumPy arrays and scalars
    if isinstance(value, (list, tuple)):  # torch.Size is a tuple
        return tuple(_normalise(v) for v in value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool)


def _exact(value: Any) -> Fraction | None:
    """A number as an exact fraction (a float as the decimal it prints as); None for NaN/inf."""
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    value = float(value)
    return Fraction(repr(value)) if math.isfinite(value) else None


def _tolerance(expected: Fraction, digits: int) -> Fraction:
    """Half a unit of the ``digits``-th significant digit of ``expected``."""
    if expected == 0:
        return Fraction(1, 2 * 10**digits)
    size = abs(expected)
    power = len(str(size.numerator)) - len(str(size.denominator))  # 10**power <= size, +-1
    while Fraction(10) ** power > size:
        power -= 1
    while Fraction(10) ** (power + 1) <= size:
        power += 1
    return Fraction(10) ** (power - digits + 1) / 2


def _numbers_match(given: Any, expected: Any, digits: int) -> bool:
    given_exact, expected_exact = _exact(given), _exact(expected)
    if given_exact is None or expected_exact is None:
        return False
    if isinstance(expected, numbers.Integral):
        return given_exact == expected_exact
    return abs(given_exact - expected_exact) <= _tolerance(expected_exact, digits)


def answers_match(given: Any, expected: Any, digits: int = 4) -> bool:
    """Compare an answer with the expected one by the rules of this module's docstring.

    Integers exactly, decimals to ``digits`` significant digits, text ignoring case and
    surrounding spaces, sequences (lists, tuples, arrays, tensors, torch.Size) element by
    element. Used by :func:`check` (introduced in 01_rand_vs_randn).
    """
    given, expected = _normalise(given), _normalise(expected)
    if isinstance(expected, bool) or isinstance(given, bool):
        return isinstance(given, bool) and isinstance(expected, bool) and given == expected
    if _is_number(expected):
        return _is_number(given) and _numbers_match(given, expected, digits)
    if isinstance(expected, str):
        return isinstance(given, str) and given.strip().lower() == expected.strip().lower()
    if isinstance(expected, tuple):
        return (
            isinstance(given, tuple)
            and len(given) == len(expected)
            and all(answers_match(g, e, digits) for g, e in zip(given, expected, strict=True))
        )
    return type(given) is type(expected) and bool(given == expected)


def _load(key: str) -> Exercise:
    if isinstance(key, str) and key.count(".") == 1 and all(part.isdigit() for part in key.split(".")) \
            and len(key.split(".")[0]) == 1:
        raise ValueError(f"key {key!r}: exercise keys have a two-digit notebook number, did you mean "
                         f"{'0' + key!r}?")
    if not isinstance(key, str) or "." not in key:
        raise ValueError(f"key must look like '01.2' (notebook.exercise), got {short_repr(key)}")
    if key not in EXERCISES:
        module = f"{__name__}.ex{key.split('.')[0]}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            notebook = key.split(".")[0]
            raise ValueError(f"key {key!r}: notebook {notebook} has no exercises") from None
    if key not in EXERCISES:
        known = sorted(k for k in EXERCISES if k.split(".")[0] == key.split(".")[0])
        raise ValueError(f"key {key!r} is not an exercise; this notebook has {known}")
    return EXERCISES[key]


def _next_hint(item: Exercise) -> str:
    """The next hint of ``item`` (the last one again once all were shown), as a line to print."""
    shown = min(_HINTS_SHOWN.get(item.key, 0) + 1, len(item.hints))
    _HINTS_SHOWN[item.key] = shown
    text = f"Hint: {item.hints[shown - 1]}"
    if shown < len(item.hints):
        text += f"\n(Another wrong answer, or hint({item.key!r}), gives a stronger hint.)"
    return text


def hint(key: str) -> Verdict:
    """The next hint of exercise ``key``: the first, then a stronger one (introduced in 00_start_here).

    ``check`` gives them too, one per wrong answer; with no answer yet it gives none.
    """
    item = _load(key)
    shown = _HINTS_SHOWN.get(key, 0)
    text = _next_hint(item)
    if shown >= len(item.hints):
        text += "\n(That was the last hint: the explanation comes with the right answer.)"
    return Verdict(key, False, f"Exercise {key}: {text}")


def check(key: str, answer: Any) -> Verdict:
    """Say whether ``answer`` is right for exercise ``key``; a wrong answer gets the next hint.

    Introduced in 01_rand_vs_randn. Integers must be exact, decimals right to 4
    significant digits (see this module's docstring for the full rules). For a code
    exercise ``answer`` is the learner's function: it is run on seeded random cases
    and compared with the reference (introduced in 02_convolution_dimensions). With no
    answer yet (``...`` or ``None``) it says only that.
    """
    item = _load(key)
    if answer is None or answer is Ellipsis:
        return Verdict(key, False, f"Exercise {key}: no answer yet. Replace ... with your answer and run the "
                                   "cell again.")
    # nothing drawn from the learner's random generators, nothing left changed; the answers that autograd
    # computes come out the same under the learner's no_grad or inference_mode
    with session_kept(), autograd_on():
        if item.cases is not None:
            status, text = _run_code(key, item.solution, item.cases, item.n_cases, answer)
            if status == "right":
                return Verdict(key, True, f"{text} {item.explanation}".rstrip())
            if status == "missing":
                return Verdict(key, False, text)
            return Verdict(key, False, f"{text}\n{_next_hint(item)}")
        expected = item.solution()
    try:
        correct = answers_match(answer, expected, item.digits)
    except (TypeError, ValueError, RuntimeError):  # an answer that cannot be read: a meta tensor
        correct = False
    if correct:
        text = f"Exercise {key}: right!"
        if item.explanation:
            text += f" {item.explanation}"
        return Verdict(key, True, text)
    return Verdict(key, False, f"Exercise {key}: not yet ({short_repr(answer)} is not it).\n{_next_hint(item)}")
