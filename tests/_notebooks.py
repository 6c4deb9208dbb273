"""Reading a stored notebook in the tests: its cells, its prose, its printed outputs (one helper for every
tests/test_notebook_NN.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_path(number: str) -> Path:
    """The notebook whose name starts with ``number`` ("03")."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def cells(number: str) -> list:
    """The cells of notebook ``number``."""
    return nbformat.read(notebook_path(number), as_version=4).cells


def prose(number: str, *, lines: bool = False) -> str:
    """Every markdown cell's text, joined: on one line with single spaces (a sentence found wherever its
    line breaks fall), or with ``lines=True`` as written."""
    text = "\n".join(c.source for c in cells(number) if c.cell_type == "markdown")
    return text if lines else " ".join(text.split())


def outputs(number: str) -> str:
    """Everything the code cells print or show as text (streams and text/plain), joined by lines."""
    return "\n".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                     for c in cells(number) for o in c.get("outputs", []))
