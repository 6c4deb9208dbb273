"""One panel in Notebook 7, driven from the keyboard (DESIGN.md, "Where learners open it").

Notebook 7 runs on the same server as JupyterLab (``/notebooks/<path>``) but handles keys its own way:
without the panel's care, the arrow keys on a focused slider moved the notebook's cell selection
instead of the slider. Here notebook 03 is opened in Notebook 7 and run; on its first panel a slider,
a drop-down and the player's step slider are moved with the arrow keys and Play is pressed with
Enter: each control must move, the kernel must answer with a new drawing where one is due, and the
notebook's selected cell must stay where it was.
"""

from __future__ import annotations

import importlib.util
import time

import pytest

from .lab import NOTEBOOKS, ROOT, SKIP_REASON, chromium_path
from .test_widgets_in_lab import _CELL_PROBLEMS_JS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason=SKIP_REASON),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="the playwright package is missing: pip install -r requirements-test.txt"),
    pytest.mark.skipif(importlib.util.find_spec("notebook") is None,
                       reason="Notebook 7 is missing: pip install -r requirements-test.txt"),
]

NOTEBOOK = NOTEBOOKS / "03_conv2d_parameters.ipynb"

_OPEN_JS = """
async () => {
  const app = window.jupyterapp;
  await app.started; await app.restored;
  let nb = app.shell.currentWidget;
  for (let i = 0; i < 100 && !(nb && nb.sessionContext); i++) {
    await new Promise(r => setTimeout(r, 100));
    nb = app.shell.currentWidget;
  }
  await nb.context.ready; await nb.sessionContext.ready;
  window.__nb = nb;
  return nb.context.path;
}
"""

_IDLE_JS = """
() => { const s = window.__nb.sessionContext.session;
        return !!(s && s.kernel && s.kernel.status === 'idle' && s.kernel.connectionStatus === 'connected'); }
"""

_RUN_ALL_JS = """
async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }
"""

_STATE_JS = """
() => {
  const panel = document.querySelector('.course-explorer');
  const view = panel.querySelector('.course-view');
  return {cell: window.__nb.content.activeCellIndex, revision: view.dataset.revision,
          readout: panel.querySelector('.widget-slider .widget-readout').textContent,
          select: panel.querySelector('.widget-dropdown select').selectedIndex,
          step: view.querySelector('.cv-count').textContent,
          playing: view.classList.contains('cv-playing')};
}
"""


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="notebook 03 is missing")
def test_a_panel_works_from_the_keyboard_in_notebook7(lab_server, browser_context):
    page = browser_context.new_page()
    errors: list[str] = []
    phase = {"now": "open"}  # Notebook 7 itself reports a settings error while it loads: not the course's
    page.on("pageerror", lambda exc: errors.append(str(exc)) if phase["now"] != "open" else None)
    relative = NOTEBOOK.resolve().relative_to(ROOT).as_posix()
    try:
        page.goto(f"{lab_server.url}notebooks/{relative}?token={lab_server.token}", wait_until="domcontentloaded",
                  timeout=120_000)
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
        assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
        assert page.evaluate(_OPEN_JS) == relative
        page.wait_for_function(_IDLE_JS, timeout=180_000, polling=250)
        phase["now"] = "run"
        page.evaluate(_RUN_ALL_JS)
        page.wait_for_function(_IDLE_JS, timeout=600_000, polling=250)
        page.wait_for_function("() => document.querySelector('.course-explorer .course-view[data-drawn]')",
                               timeout=60_000)
        assert page.evaluate(_CELL_PROBLEMS_JS) == []
        panel = page.locator(".course-explorer").first
        panel.scroll_into_view_if_needed()
        time.sleep(0.5)

        problems: list[str] = []

        def press(target, key: str, answer: bool = True) -> tuple[dict, dict]:
            target.focus()
            before = page.evaluate(_STATE_JS)
            target.press(key)
            if answer:  # the kernel's answer: a new drawing or a sentence
                try:
                    page.wait_for_function(f"() => document.querySelector('.course-explorer .course-view')"
                                           f".dataset.revision !== {before['revision']!r}", timeout=20_000)
                except Exception:  # noqa: BLE001 - reported with what the page shows
                    problems.append(f"{key} on {target}: the kernel never answered (the key did not reach "
                                    "the control?)")
            return before, page.evaluate(_STATE_JS)

        before, after = press(panel.locator(".widget-slider .noUi-handle").first, "ArrowRight")
        if after["readout"] == before["readout"] or after["cell"] != before["cell"]:
            problems.append(f"slider ArrowRight: readout {before['readout']} -> {after['readout']}, "
                            f"selected cell {before['cell']} -> {after['cell']}")
        press(panel.locator(".widget-slider .noUi-handle").first, "ArrowLeft")
        before, after = press(panel.locator(".widget-dropdown select").first, "ArrowDown")
        if after["select"] == before["select"] or after["cell"] != before["cell"]:
            problems.append(f"drop-down ArrowDown: option {before['select']} -> {after['select']}, "
                            f"selected cell {before['cell']} -> {after['cell']}")
        press(panel.locator(".widget-dropdown select").first, "ArrowUp")
        before, after = press(panel.locator(".cv-step"), "ArrowRight", answer=False)
        if after["step"] == before["step"] or after["cell"] != before["cell"]:
            problems.append(f"player's step slider ArrowRight: {before['step']!r} -> {after['step']!r}, "
                            f"selected cell {before['cell']} -> {after['cell']}")
        before, after = press(panel.locator(".cv-play"), "Enter", answer=False)
        if not after["playing"] or after["cell"] != before["cell"]:
            problems.append(f"Play with Enter: playing {after['playing']}, selected cell {before['cell']} -> "
                            f"{after['cell']}")
        assert not problems and not errors, "\n".join(problems + errors)
    finally:
        try:
            page.evaluate("() => window.__nb && window.__nb.sessionContext.shutdown()")
        except Exception:  # noqa: BLE001 - the server stops every kernel at the end anyway
            pass
        page.close()
