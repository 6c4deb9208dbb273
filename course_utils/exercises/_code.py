"""Code exercises: the learner writes a function, ``check`` runs it against a reference.

A code exercise is registered like any other (:func:`course_utils.exercises.exercise`), with
``cases``: a function that draws the arguments of one test case from a ``torch.Generator``.
Its solution returns the reference function. :func:`run` calls the learner's function and the
reference on ``n_cases`` cases, case ``i`` drawn from ``torch.Generator().manual_seed(CASE_SEED + i)``
(so every run and every machine sees the same cases, and the learner's global random state is
never touched), compares the results with ``torch.testing.assert_close`` (exactly for whole
numbers) and, on a miss, describes the first failing case: its arguments, what was expected,
what came back, with shapes.

Each call of the learner's function runs inside :func:`session_kept` (it may change the default
dtype, the grad mode, the thread count or a random generator: all are put back) and under a time
limit of :data:`CASE_SECONDS` (a function that loops or sleeps is stopped with a sentence). Results
are compared as values: a whole number may come as ``112.0`` (``np.floor``, ``torch.floor(...) + 1``),
but a complex result is never right where a real one is expected. Long values are shortened in the
messages (:func:`short_repr`).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
import random
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["CASE_SEED", "CASE_SECONDS", "Cases", "run", "session_kept", "short_repr"]

#: Case ``i`` of every code exercise draws its arguments from a generator seeded with CASE_SEED + i.
CASE_SEED = 2024

#: Draws the positional arguments of one case.
Cases = Callable[[torch.Generator], tuple[Any, ...]]

FLOAT_TOLERANCE = {"rtol": 1.3e-6, "atol": 1e-5}  # torch's defaults for float32

#: The longest a learner's function may take on one case, in seconds.
CASE_SECONDS = 10.0

#: The most characters of a value a message shows.
SHOWN_CHARS = 600


def short_repr(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)``, cut to about ``limit`` characters (a huge answer must not print megabytes)."""
    try:
        with torch._tensor_str.printoptions(threshold=200, edgeitems=3):  # a learner may have raised these
            text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails: say what it is
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit:,} more characters)"


@contextlib.contextmanager
def session_kept() -> Iterator[None]:
    """Run a block and put back what it may change in the learner's session: the torch, NumPy and
    ``random`` generators, the default dtype, the grad mode and torch's thread count."""
    states = (torch.random.get_rng_state(), np.random.get_state(), random.getstate())  # noqa: NPY002
    dtype, grad, threads = torch.get_default_dtype(), torch.is_grad_enabled(), torch.get_num_threads()
    try:
        yield
    finally:
        torch.random.set_rng_state(states[0])
        np.random.set_state(states[1])  # noqa: NPY002 - the learner's np.random.seed
        random.setstate(states[2])
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


class _TimeUp(BaseException):
    """Raised in a learner's function that ran past CASE_SECONDS (a BaseException: ``except Exception``
    in the learner's code cannot swallow it)."""


def _call_with_limit(function: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    """``function(*args)``, stopped with :class:`_TimeUp` after ``seconds``.

    In the main thread of a system with SIGALRM (Linux, macOS: a notebook's kernel) a timer interrupts
    the call; elsewhere the call runs in a helper thread and is abandoned when the time is up.
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def stop(signum: int, frame: Any) -> None:
            raise _TimeUp

        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    outcome: dict[str, Any] = {}
    grad = torch.is_grad_enabled()

    def target() -> None:
        torch.set_grad_enabled(grad)  # grad mode is per thread
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimeUp
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _copy(value: Any) -> Any:
    """A fresh copy of the case's arguments, so a function that edits its input spoils nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _show(prefix: str, value: Any) -> str:
    """``prefix`` then the value (shortened): a tensor with its shape, its rows aligned under the first."""
    if isinstance(value, torch.Tensor):
        text = short_repr(value.detach()).replace("\n", "\n" + " " * len(prefix))
        return f"{prefix}{text}  # shape {tuple(value.shape)}"
    return f"{prefix}{short_repr(value)}"


def _as_number(value: Any) -> Any:
    """A one-element tensor or a NumPy scalar as a Python number; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.detach().cpu().item()
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _is_complex(value: Any) -> bool:
    """Whether a result holds complex numbers (a Python complex, a complex tensor or array, or a list of them)."""
    if isinstance(value, torch.Tensor):
        return value.is_complex()
    if isinstance(value, np.ndarray | np.generic):
        return np.iscomplexobj(value)
    if isinstance(value, complex):
        return True
    if isinstance(value, (list, tuple)):
        return any(_is_complex(v) for v in value[:1000])
    return False


def _difference(got: Any, expected: Any) -> str | None:
    """Why ``got`` is not ``expected`` (None when they agree)."""
    try:
        if _is_complex(got) and not _is_complex(expected):
            return "the result is complex; it should hold real numbers"
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
            if isinstance(got, numbers.Real) and not isinstance(got, (bool, numbers.Integral)) \
                    and math.isfinite(got) and float(got).is_integer():
                got = int(got)  # 112.0 counts as 112 (np.floor, torch.floor(...) + 1, 1.0 + sum(...))
            if isinstance(got, bool) or not isinstance(got, numbers.Integral):
                return f"the answer is a whole number, got {short_repr(got, 60)} ({type(got).__name__})"
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
                         f"{wanted_call}; got {short_repr(answer, 120)} ({type(answer).__name__}).")
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
            with session_kept():  # whatever the learner's function changes in the session is put back
                got = _call_with_limit(answer, _copy(args), CASE_SECONDS)
        except _TimeUp:
            return "wrong", (f"Exercise {key}: not yet. {where}: {name} ran for more than {CASE_SECONDS:g} s, so "
                             "check stopped waiting (a loop that never ends? a very slow way?).\n"
                             + _call_text(name, signature, args, ref_names))
        except NotImplementedError:
            return "missing", f"Exercise {key}: no answer yet: write the body of {name}."
        except Exception as error:  # the learner's bug: a message, never a traceback
            return "wrong", (f"Exercise {key}: not yet. {where}: {name} raised "
                             f"{type(error).__name__}: {short_repr(str(error))[1:-1]}\n"
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
