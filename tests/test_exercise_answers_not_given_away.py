"""No notebook prints or states the answer of one of its own exercises before its Exercises section.

Checked for the answers that cannot turn up by chance: whole numbers of 100 or more (written plain or
with thousands separators) and tuples (written as Python prints them). Code exercises ask for a
function, so they have no answer to give away.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_utils.exercises import EXERCISES, _load

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _before_exercises(path: Path) -> str:
    """Every source and text output of the notebook up to its "## Exercises" heading."""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        source = cell.source
        if cell.cell_type == "markdown" and re.search(r"^## .*Exercises", source, re.M):
            parts.append(source[: re.search(r"^## .*Exercises", source, re.M).start()])
            break
        parts.append(source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _forms(answer: object) -> list[str]:
    if isinstance(answer, tuple) and all(isinstance(a, int) for a in answer):
        return [str(answer), str(list(answer))]
    if isinstance(answer, int) and not isinstance(answer, bool) and answer >= 100:
        return [str(answer), f"{answer:,}"]
    return []


@pytest.mark.parametrize("number", [f"{n:02d}" for n in range(1, 9)])
def test_no_answer_printed_before_the_exercises(number):
    _load(f"{number}.1")
    path = next(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    text = _before_exercises(path)
    for key, item in EXERCISES.items():
        if key.split(".")[0] != number or item.cases is not None:
            continue
        for form in _forms(item.solution()):
            assert not re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d,])", text), (
                f"exercise {key}'s answer {form} appears in {path.name} before its Exercises")
