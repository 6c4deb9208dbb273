"""Every notebook is stored clean: executed top to bottom, no errors, small, navigable."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_notebooks_exist_and_are_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:2] == [0, 1], IDS
    assert numbers == list(range(len(numbers))), f"notebook numbers must run 00, 01, ... without gaps: {IDS}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_executed_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}: run `make notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_errors_no_widget_state_small(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "widget state stored: re-run with `make notebooks`"
    for cell in code_cells(nb):
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error in cell:\n{cell.source}"
            text = output.get("data", {}).get("text/plain", "")
            if text.startswith("<Figure") and "image/png" not in output.get("data", {}):
                raise AssertionError(
                    f"a Figure was displayed without its image (make it with course_utils.new_figure):\n{cell.source}"
                )
            if output.output_type == "stream" and output.name == "stderr":
                raise AssertionError(f"stored stderr (a warning?) in cell:\n{cell.source}\n{output.text}")
    assert path.stat().st_size < 1_000_000, f"{path.name} is {path.stat().st_size} bytes (limit 1 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_house_style(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "first cell: a title"
    index = NOTEBOOKS.index(path)
    neighbours = NOTEBOOKS[max(index - 1, 0): index] + NOTEBOOKS[index + 1: index + 2]
    for other in neighbours:
        assert f"({other.name})" in first.source, f"first cell must link to {other.name}"
    for target in re.findall(r"\]\(([^)#]+\.ipynb)", "".join(c.source for c in nb.cells)):
        assert (path.parent / target).exists(), f"link to a missing notebook: {target}"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## .*Summary", markdown, re.M), "a Summary section"
    if index > 0:
        assert re.search(r"^## .*Exercises", markdown, re.M), "an Exercises section"
    for cell in code_cells(nb):
        assert "import *" not in cell.source and "sys.path" not in cell.source, cell.source


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_live_cells_stored_as_a_note_after_a_static_copy(path):
    """No widget view is stored: before its cell runs, JupyterLab would show "Error displaying
    widget: model not found" in its place. `make notebooks` stores a one-line note instead; the
    cell is marked for nbval, and a panel's cell follows a static copy of the panel."""
    nb = nbformat.read(path, as_version=4)
    cells = code_cells(nb)
    for i, cell in enumerate(cells):
        assert not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), (
            f"a widget view is stored (run `make notebooks`):\n{cell.source}"
        )
        notes = [o for o in cell.outputs if "course_placeholder" in o.get("metadata", {})]
        if not notes:
            continue
        assert cell.source.split("\n", 1)[0] == "# NBVAL_IGNORE_OUTPUT", f"mark the live cell:\n{cell.source}"
        assert all(o.data["text/plain"].startswith("[Run this cell") for o in notes), notes
        if notes[0].metadata["course_placeholder"] != "Explorer":
            continue  # a progress bar or a demonstration widget, not a panel
        before = [o for c in cells[max(i - 2, 0): i] for o in c.outputs]
        assert any("image/png" in o.get("data", {}) or DIAGRAM in "".join(o.get("data", {}).get("text/html", ""))
                   for o in before), f"the panel cell needs a static copy just before it:\n{cell.source}"


DIAGRAM = '<img class="course-diagram" alt="'


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_static_diagrams_show_before_the_notebook_is_trusted(path):
    """Every diagram is stored as an <img> of its SVG (text/html, which JupyterLab and Notebook 7 render in an
    untrusted notebook) with its numbers as text/plain, never as a bare image/svg+xml output (shown as
    "<IPython.core.display.SVG object>" until the notebook is trusted); the image holds the SVG itself."""
    nb = nbformat.read(path, as_version=4)
    for cell in code_cells(nb):
        for output in cell.outputs:
            data = output.get("data", {})
            assert "image/svg+xml" not in data, f"an SVG output that an untrusted notebook does not show:\n{cell.source}"
            assert "IPython.core.display.SVG object" not in data.get("text/plain", ""), cell.source
            html = "".join(data.get("text/html", ""))
            if DIAGRAM in html:
                source = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
                assert source, html[:200]
                svg = base64.b64decode(source.group(1)).decode("utf-8")
                assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
                assert data.get("text/plain"), "a diagram keeps its numbers as text for nbval's report"


NBVAL_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbval_markers_are_spelled_as_nbval_reads_them(path):
    """nbval honours a marker only when the comment line is the marker alone: a note after it on the
    same line silently turns the marker off, and strict nbval compares the cell after all."""
    nb = nbformat.read(path, as_version=4)
    for cell in code_cells(nb):
        for line in cell.source.splitlines():
            comment = line.strip().lstrip("#").strip()
            if line.strip().startswith("#") and comment.startswith("NBVAL"):
                assert comment in NBVAL_MARKERS, f"{line!r} is not an nbval marker:\n{cell.source}"


@pytest.mark.slow
def test_notebooks_run_with_warnings_as_errors(tmp_path):
    """Every notebook runs under nbval with warnings as errors (conftest.py starts each notebook's
    kernel with PYTHONWARNINGS=error): a cell that warns fails its test, where a learner would see a
    red warning box. Checked end to end on two small notebooks, with the project's own nbval
    settings: the one whose cell warns fails, the quiet one passes."""
    for name, source in [("warns", 'import warnings\nwarnings.warn("a learner would see this")'),
                         ("quiet", "x = 1")]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:xdist", "-p", "no:randomly",
         "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-q", "--color=no",
         str(tmp_path / "warns.ipynb"), str(tmp_path / "quiet.ipynb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)  # the kernel's traceback is coloured
    assert run.returncode == 1 and "1 failed, 1 passed" in out, out[-3000:]
    assert "UserWarning: a learner would see this" in out, out[-3000:]
