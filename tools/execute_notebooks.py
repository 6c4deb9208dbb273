"""Execute notebooks top to bottom and store their outputs (``make notebooks``).

Usage: ``python tools/execute_notebooks.py [notebooks/03_*.ipynb ...]`` (all when
none is given). Each notebook runs in a fresh kernel from the ``notebooks/``
folder, so execution counts are 1..n. Widget state and timing metadata are not
stored: they would bloat the files and change on every run.

A widget's stored view would show "Error displaying widget: model not found" in
JupyterLab before the cell is run (and a raw ``VBox(children=...`` repr elsewhere),
so each one is replaced by a one-line note saying what running the cell shows
(:func:`placeholder`); the static copy before a panel carries its picture.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# The same numeric settings as the tests (see conftest.py), so stored outputs match under nbval.
NUMERIC_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
for name, value in NUMERIC_ENV.items():
    os.environ.setdefault(name, value)
# Warnings are errors in the kernel, as under the tests (see conftest.py): no stored output shows one.
KERNEL_ENV = {"PYTHONWARNINGS": "error,ignore::PendingDeprecationWarning:ipykernel.kernelbase"}


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: The note stored in place of a live view, by what the widget is (its repr's first word).
PLACEHOLDERS = {
    "Explorer": "Run this cell for the live panel (the figure above is its static copy).",
    "TrainingMonitor": "Run this cell to train, with a live progress bar and loss curve.",
}
DEFAULT_PLACEHOLDER = "Run this cell for the live widget."


def placeholder(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The stored stand-in for a widget view: the same note as plain text and as grey italics."""
    widget = output["data"].get("text/plain", "")
    kind = widget.split("(", 1)[0]
    note = PLACEHOLDERS.get(kind, DEFAULT_PLACEHOLDER)
    return nbformat.v4.new_output(
        "display_data",
        data={"text/plain": f"[{note}]", "text/html": f"<p style='color:#777'><i>&#9654; {note}</i></p>"},
        # what the cell shows when run: the widget's repr names its controls (read by tests/browser)
        metadata={"course_placeholder": kind or "widget", "widget": widget},
    )


def execute(path: Path) -> float:
    """Run one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env={**os.environ, **KERNEL_ENV})
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [placeholder(o) if WIDGET_VIEW in o.get("data", {}) else o for o in cell.outputs]
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        seconds = execute(path)
        print(f"{path.relative_to(ROOT)}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
