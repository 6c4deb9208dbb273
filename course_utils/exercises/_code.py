"""Code exercises: the learner writes a function, ``check`` runs it against a reference.

A code exercise is registered like any other (:func:`course_utils.exercises.exercise`), with
``cases``: a function that draws the arguments of one test case from a ``torch.Generator``.
Its solution returns the reference function. :func:`run` calls the learner's function and the
reference on ``n_cases`` cases, case ``i`` drawn from ``torch.Generator().manual_seed(CASE_SEED + i)``
(so every run and every machine sees the same cases, and the learner's global random state is
never touched), compares the results with ``torch.testing.assert_close`` (exactly for whole
numbers) and, on a miss, describes the first failing case: its arguments, what was expected,
what came back, with shapes.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["CASE_SEED", "Cases", "run"]

#: Case ``i`` of every code exercise draws its arguments from a generator seeded with CASE_SEED + i.
CASE_SEED = 2024

#: Draws the positional arguments of one case.
Cases = Callable[[torch.Generator], tuple[Any, ...]]

FLOAT_TOLERANCE = {"rtol": 1.3e-6, "atol": 1e-5}  # torch's defaults for float32


def _copy(value: Any) -> Any:
    """A fresh copy of the case's arguments, so a function that edits its input spoils nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _show(prefix: str, value: Any) -> str:
    """``prefix`` then the value: a tensor with its shape, its rows aligned under the first."""
    if isinstance(value, torch.Tensor):
        text = repr(value.detach()).replace("\n", "\n" + " " * len(prefix))
        return f"{prefix}{text}  # shape {tuple(value.shape)}"
    return f"{prefix}{value!r}"


def _as_number(value: Any) -> Any:
    """A one-element tensor or a NumPy scalar as a Python number; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.detach().cpu().item()
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _difference(got: Any, expected: Any) -> str | None:
    """Why ``got`` is not ``expected`` (None when they agree)."""
    try:
        if isinstance(expected, torch.Tensor):
            if not isinstance(got, torch.Tensor):
                got = torch.as_tensor(got)  # a list or a NumPy array: the values count
            if tuple(got.shape) != tuple(expected.shape):
                return f"the shape is {tuple(got.shape)}, it should be {tuple(expected.shape)}"
            exact = not (expected.is_floating_point() or expected.is_complex())
            tolerance = {"rtol": 0.0, "atol": 0.0} if exact else {}
            torch.testing.assert_close(got.detach().cpu(), expected, check_dtype=False, **tolerance)
        elif isinstance(expected, numbers.Integral):
            got = _as_number(got)
            if isinstance(got, bool) or not isinstance(got, numbers.Integral):
                return f"the answer is a whole number (an int), got {type(got).__name__}"
            torch.testing.assert_close(int(got), int(expected))
        elif isinstance(expected, numbers.Real):
            got = _as_number(got)
            if isinstance(got, bool) or not isinstance(got, numbers.Real):
                return f"the answer is a number, got {type(got).__name__}"
            torch.testing.assert_close(float(got), float(expected), **FLOAT_TOLERANCE)
        else:
            torch.testing.assert_close(got, expected)
    except AssertionError as error:  # values differ: say how many, if assert_close counted them
        counts = [line for line in str(error).splitlines() if line.startswith("Mismatched elements")]
        return counts[0].replace("Mismatched elements", "elements that differ") if counts else ""
    except (TypeError, ValueError, RuntimeError) as error:  # cannot be compared at all
        return str(error).strip().split("\n\n")[0].replace("\n", " ")
    return None


def _call_text(name: str, signature: inspect.Signature | None, args: tuple[Any, ...],
               fallback: list[str]) -> str:
    """``name(x, w) with`` and one line per argument, named as the learner named them."""
    names = fallback
    if signature is not None:
        try:
            names = list(signature.bind(*args).arguments)
        except TypeError:
            pass
    if len(names) != len(args):  # *args in the learner's signature
        names = fallback
    lines = [f"  {name}({', '.join(names)}) with"]
    lines += [_show(f"    {n} = ", a) for n, a in zip(names, args, strict=True)]
    return "\n".join(lines)


def run(key: str, solution: Callable[[], Callable[..., Any]], cases: Cases, n_cases: int,
        answer: Any) -> tuple[str, str]:
    """Run the learner's function ``answer`` on the cases; return (status, text).

    ``status`` is ``"right"``, ``"missing"`` (a starter not filled in yet: it returns None or
    raises NotImplementedError) or ``"wrong"``; ``text`` says why, without the hint.
    """
    reference = solution()
    wanted = reference.__name__
    ref_names = list(inspect.signature(reference).parameters)
    wanted_call = f"{wanted}({', '.join(ref_names)})"
    if not callable(answer) or isinstance(answer, type):
        return "wrong", (f"Exercise {key}: not yet: this exercise asks for a function, "
                         f"{wanted_call}; got {answer!r} ({type(answer).__name__}).")
    name = getattr(answer, "__name__", "")
    name = name if name.isidentifier() else "your function"
    try:
        signature: inspect.Signature | None = inspect.signature(answer)
    except (TypeError, ValueError):  # some built-ins have none: just call them
        signature = None
    for i in range(n_cases):
        args = cases(torch.Generator().manual_seed(CASE_SEED + i))
        where = f"Case {i + 1} of {n_cases}"
        if signature is not None:
            try:
                signature.bind(*args)
            except TypeError:
                return "wrong", (f"Exercise {key}: not yet: the exercise calls {wanted_call}, with "
                                 f"{len(args)} arguments, but {name} takes {signature}.")
        expected = reference(*_copy(args))
        try:
            got = answer(*_copy(args))
        except NotImplementedError:
            return "missing", f"Exercise {key}: no answer yet: write the body of {name}."
        except Exception as error:  # the learner's bug: a message, never a traceback
            return "wrong", (f"Exercise {key}: not yet. {where}: {name} raised "
                             f"{type(error).__name__}: {error}\n"
                             + _call_text(name, signature, args, ref_names))
        if got is None:
            if i == 0:
                return "missing", (f"Exercise {key}: no answer yet: {name} returned None. "
                                   "Write its body and return the result.")
            return "wrong", (f"Exercise {key}: not yet. {where}: {name} returned None.\n"
                             + _call_text(name, signature, args, ref_names))
        why = _difference(got, expected)
        if why is not None:
            why = f" ({why})" if why else ""
            return "wrong", (f"Exercise {key}: not yet. {where} gives a different result"
                             f"{why}.\n" + _call_text(name, signature, args, ref_names)
                             + "\n" + _show("  expected: ", expected) + "\n" + _show("  got:      ", got))
    return "right", f"Exercise {key}: right! {name} agrees with the reference on all {n_cases} cases."
