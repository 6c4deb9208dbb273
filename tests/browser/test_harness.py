"""The browser tests' own machinery, checked without a browser (fast, always run)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from .lab import (
    _SERVER_CONFIG,
    SKIP_REASON,
    WIDGET_VIEW,
    has_controls,
    notebooks_with_widgets,
    stored_widgets,
)


def _notebook(path, outputs):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = outputs
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), cell]
    nbformat.write(nb, path)


def test_notebooks_with_widgets_are_found_by_their_stored_views(tmp_path):
    view = nbformat.v4.new_output("display_data", data={
        "text/plain": "Explorer(children=(...))",
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "abc"},
    })
    picture = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    _notebook(tmp_path / "03_panel.ipynb", [picture, view])
    _notebook(tmp_path / "02_plain.ipynb", [picture])
    _notebook(tmp_path / "scratch.ipynb", [view])  # not a course notebook (no NN_ prefix)
    (tmp_path / "04_broken.ipynb").write_text("{not json", encoding="utf-8")
    assert [p.name for p in notebooks_with_widgets(tmp_path)] == ["03_panel.ipynb"]


def test_widgets_stored_as_notes_are_found_with_their_controls(tmp_path):
    """`make notebooks` stores each view as a note that keeps the widget's repr in its metadata."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    try:
        from execute_notebooks import placeholder
    finally:
        sys.path.pop(0)

    def note(text):
        view = nbformat.v4.new_output("display_data", data={"text/plain": text, WIDGET_VIEW: {"model_id": "m"}})
        return placeholder(view)

    _notebook(tmp_path / "03_panel.ipynb", [note("Explorer(children=(HBox(children=(IntSlider(value=3…")])
    _notebook(tmp_path / "08_progress.ipynb", [note("TrainingMonitor(children=(HBox(children=(IntProgress(…")])
    _notebook(tmp_path / "02_plain.ipynb", [])
    assert [p.name for p in notebooks_with_widgets(tmp_path)] == ["03_panel.ipynb", "08_progress.ipynb"]
    assert has_controls(tmp_path / "03_panel.ipynb") and not has_controls(tmp_path / "08_progress.ipynb")
    nb = json.loads((tmp_path / "03_panel.ipynb").read_text())
    assert stored_widgets(nb) == ["Explorer(children=(HBox(children=(IntSlider(value=3…"]
    assert "".join(nb["cells"][1]["outputs"][0]["data"]["text/plain"]).startswith("[Run this cell for the live panel")


def test_the_server_configuration_is_valid_python():
    source = "CHECKPOINTS = '/tmp/x'\nREFUSED = '/tmp/y'\n" + _SERVER_CONFIG
    compile(source, "jupyter_server_config.py", "exec")
    assert "NoSaveContentsManager" in source


def test_the_skip_reason_says_how_to_install_chromium():
    assert "apt-get install chromium" in SKIP_REASON


def test_display_only_widgets_have_nothing_to_move(tmp_path):
    def view(text):
        return nbformat.v4.new_output("display_data", data={"text/plain": text, WIDGET_VIEW: {"model_id": "m"}})

    _notebook(tmp_path / "08_progress.ipynb",
              [view("HBox(children=(HTML(value=''), FloatProgress(value=0.0, max=400.0), HTML(value='')))")])
    _notebook(tmp_path / "00_demo.ipynb", [view("VBox(children=(IntSlider(value=5, max=7, min=1), Label()))")])
    _notebook(tmp_path / "03_panel.ipynb", [view("Explorer(children=(HBox(children=(Dropdown(options=…")])
    assert not has_controls(tmp_path / "08_progress.ipynb")
    assert has_controls(tmp_path / "00_demo.ipynb") and has_controls(tmp_path / "03_panel.ipynb")
