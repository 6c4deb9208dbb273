"""Notebook 00: what it says about the exercises, the environment check, the sign ⋆ and the glossary."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import torch
from torch import nn

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _cells(name: str = "00_start_here.ipynb"):
    return nbformat.read(NOTEBOOKS / name, as_version=4).cells


def _prose(name: str = "00_start_here.ipynb") -> str:
    return " ".join("\n".join(c.source for c in _cells(name) if c.cell_type == "markdown").split())


def test_00_says_which_notebooks_end_with_exercises():
    prose = _prose()
    assert "Each notebook ends with exercises" not in prose
    assert "Notebooks 01 to 08 end with exercises (this one has none)" in prose
    assert not re.search(r"^## .*Exercises", "\n".join(c.source for c in _cells()), re.M)
    for path in sorted(NOTEBOOKS.glob("0[1-8]_*.ipynb")):
        markdown = "\n".join(c.source for c in _cells(path.name) if c.cell_type == "markdown")
        assert re.search(r"^## .*Exercises", markdown, re.M), path.name


def test_00_describes_the_checker_as_it_behaves():
    from course_utils import check, hint

    prose = _prose()
    assert 'it says only "no answer yet"; a wrong answer gets a hint, a second wrong answer a stronger one' in prose
    assert '`hint("01.1")` gives the next hint' in prose
    text = repr(check("01.2", ...))
    assert "no answer yet" in text and "Hint" not in text
    assert "Hint" in repr(hint("01.2"))


def test_00_does_not_promise_the_same_random_numbers_across_versions():
    prose = _prose()
    assert "differ in the last digit" not in prose
    assert "PyTorch does not promise the same random numbers from one release to the next" in prose
    assert "can come out completely different" in prose


def test_00_defines_the_sign_star_before_its_diagram_uses_it():
    cells = _cells()
    defined = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "| ⋆ | cross-correlation" in c.source)
    drawn = next(i for i, c in enumerate(cells) if c.cell_type == "code"
                 and any("⋆" in o.get("data", {}).get("text/html", "") or _svg_has_star(o) for o in c.outputs))
    assert defined < drawn
    assert not any("⋆" in c.source for c in cells[:defined])


def _svg_has_star(output) -> bool:
    import base64

    html = output.get("data", {}).get("text/html", "")
    found = re.search(r'base64,([A-Za-z0-9+/=]+)"', html)
    return bool(found) and "⋆" in base64.b64decode(found[1]).decode("utf-8")


def test_00_glossary_kernel_is_the_block_through_the_channels():
    prose = _prose()
    row = next(line for line in prose.split("| kernel, filter |")[1:2])
    assert "the small grid of learned weights |" not in prose
    assert "(C_in / groups, kH, kW)" in row and "kH x kW grid" in row
    # the block is one output channel's weight, for any groups
    for cin, cout, groups in ((3, 8, 1), (6, 4, 2), (4, 8, 4)):
        layer = nn.Conv2d(cin, cout, (3, 5), groups=groups)
        assert tuple(layer.weight[0].shape) == (cin // groups, 3, 5)
    assert torch.Size([1, 3, 3]) == nn.Conv2d(1, 1, 3).weight[0].shape
