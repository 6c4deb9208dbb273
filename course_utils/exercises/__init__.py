"""Exercises whose answers the reader can check: ``check("01.2", answer)``.

Each notebook's exercises live in a module ``exNN.py`` of this package (``NN``
being the notebook number) and are registered with :func:`exercise`. ``check``
loads that module on first use, compares the answer and says right or wrong,
with a hint when it is wrong. The expected answers are computed (often with
PyTorch), never typed in by hand.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["check", "exercise", "Exercise", "Verdict", "EXERCISES", "answers_match"]


@dataclass(frozen=True)
class Exercise:
    """One checkable question: ``solution()`` computes the expected answer."""

    key: str
    question: str
    solution: Callable[[], Any]
    hint: str
    explanation: str = ""
    rel_tol: float = 1e-6
    abs_tol: float = 1e-9


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


def exercise(
    key: str, question: str, hint: str, explanation: str = "", *, rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator registering ``solution`` (a function computing the answer) under ``key``."""

    def register(solution: Callable[[], Any]) -> Callable[[], Any]:
        EXERCISES[key] = Exercise(key, question, solution, hint, explanation, rel_tol, abs_tol)
        return solution

    return register


def _normalise(value: Any) -> Any:
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist() if value.dim() else value.item()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    if isinstance(value, list):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    return value


def answers_match(given: Any, expected: Any, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Compare an answer with the expected one: numbers within a tolerance, strings
    ignoring case and surrounding spaces, sequences (lists, tuples, tensors, torch.Size)
    element by element."""
    given, expected = _normalise(given), _normalise(expected)
    if isinstance(expected, bool) or isinstance(given, bool):
        return isinstance(given, bool) and isinstance(expected, bool) and given == expected
    if isinstance(expected, (int, float)) and isinstance(given, (int, float)):
        return math.isclose(given, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, str) and isinstance(given, str):
        return given.strip().lower() == expected.strip().lower()
    if isinstance(expected, (tuple, list)) and isinstance(given, (tuple, list)):
        return len(given) == len(expected) and all(
            answers_match(g, e, rel_tol, abs_tol) for g, e in zip(given, expected, strict=True)
        )
    return given == expected


def _load(key: str) -> Exercise:
    if not isinstance(key, str) or "." not in key:
        raise ValueError(f"key must look like '01.2' (notebook.exercise), got {key!r}")
    if key not in EXERCISES:
        module = f"{__name__}.ex{key.split('.')[0]}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            raise ValueError(f"key {key!r}: notebook {key.split('.')[0]} has no exercises") from None
    if key not in EXERCISES:
        known = sorted(k for k in EXERCISES if k.split(".")[0] == key.split(".")[0])
        raise ValueError(f"key {key!r} is not an exercise; this notebook has {known}")
    return EXERCISES[key]


def check(key: str, answer: Any) -> Verdict:
    """Say whether ``answer`` is right for exercise ``key``, with a hint when it is not."""
    item = _load(key)
    if answer is None or answer is Ellipsis:
        return Verdict(key, False, f"Exercise {key}: no answer yet. Replace ... with yours.\nHint: {item.hint}")
    if answers_match(answer, item.solution(), item.rel_tol, item.abs_tol):
        text = f"Exercise {key}: right!"
        if item.explanation:
            text += f" {item.explanation}"
        return Verdict(key, True, text)
    return Verdict(key, False, f"Exercise {key}: not yet ({answer!r} is not it).\nHint: {item.hint}")
