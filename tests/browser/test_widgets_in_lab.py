"""Every notebook with widgets, run in JupyterLab in a real Chromium: every control moved, every
diagram hovered, every Play pressed.

For each notebook whose stored outputs show a widget: open it, run all cells, wait for the kernel,
then in each course panel (``.course-explorer``):
- move every slider with the arrow keys (and back), pick another option in each drop-down, tick each
  check box: each change must be answered with a drawing (``.course-view`` counts the kernel's answers
  in ``data-revision``) or a "Not possible" sentence in the message line, never "Something went wrong";
- hover cells of the diagram: exactly the cells of the scene's links light up (``h-lit``), and the
  hovered cell is marked (``h-focus``);
- press Play at the fastest speed: the view walks every step to the last, and the browser sends
  nothing to the kernel while it plays.
No cell may show an error or stderr, and the browser console must stay free of errors. The time
from the key press to the new drawing is recorded and summarised at the end of the run (the goals
are measured by ``benchmarks/browser_latency.py``). Widgets that are not course panels (a demo
slider with a label, say) get the same control treatment: moving a control must change their text.

``UPDATE_SCREENSHOTS=1`` also saves each panel, at its default setting, at normal and double pixel
density, to ``images/screenshots/<notebook>_<n>.png`` and ``<notebook>_<n>@2x.png``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import time
from pathlib import Path

import pytest

from . import probe
from .lab import (
    REPO,
    ROOT,
    SKIP_REASON,
    chromium_path,
    has_controls,
    notebooks_with_widgets,
    stored_widgets,
)

NOTEBOOKS = notebooks_with_widgets()
SCREENSHOTS = REPO / "images" / "screenshots"
ARTIFACTS = REPO / "tests" / "browser" / "artifacts"
KERNEL_TIMEOUT_MS = 180_000  # first kernel start on a busy 2-core machine (torch import)
RUN_ALL_TIMEOUT_MS = 1_800_000  # a notebook that trains a small network on a busy machine
CHANGE_TIMEOUT_MS = 20_000  # one redraw, very generous
STEPS = 2  # slider steps away from the default (and back again)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason=SKIP_REASON),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="the playwright package is missing: pip install -r requirements-test.txt"),
]

# Console lines that are not the course's doing: a stored notebook keeps widget views but
# (on purpose) no widget state, so until it is run they cannot be shown.
BENIGN_CONSOLE = re.compile(r"Could not find model|model not found|Failed to load resource.*(favicon|404)", re.I)

_OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  await app.started; await app.restored;
  let nb = null;
  for (const w of app.shell.widgets('main')) { if (w.context && w.context.path === path) nb = w; }
  if (!nb) nb = await app.commands.execute('docmanager:open', {path});
  app.shell.activateById(nb.id);
  app.shell.collapseLeft(); app.shell.collapseRight();
  await nb.context.ready;
  await nb.sessionContext.ready;
  window.__nb = nb;
  window.__kernelLog = [];
  const hook = (kernel) => {
    if (!kernel || kernel.__courseHooked) return;
    kernel.__courseHooked = true;
    kernel.iopubMessage.connect((_, msg) => {
      const type = msg.header.msg_type, c = msg.content;
      if (type === 'error') window.__kernelLog.push(`error: ${c.ename}: ${c.evalue}`);
      if (type === 'stream' && c.name === 'stderr') window.__kernelLog.push(`stderr: ${c.text}`);
    });
  };
  hook(nb.sessionContext.session && nb.sessionContext.session.kernel);
  nb.sessionContext.kernelChanged.connect((_, change) => hook(change.newValue));
  return true;
}
"""

_KERNEL_IDLE_JS = """
() => { const s = window.__nb && window.__nb.sessionContext.session;
        return !!(s && s.kernel && s.kernel.status === 'idle' && s.kernel.connectionStatus === 'connected'); }
"""

_RUN_ALL_JS = """
() => {
  window.__runAll = undefined;
  window.__kernelLog = [];  // before the run, the stored widget views ask for models that do not exist yet
  window.jupyterapp.commands.execute('notebook:run-all-cells')
    .then(ok => { window.__runAll = ok === false ? 'failed' : 'ok'; },
          err => { window.__runAll = 'error: ' + err; });
}
"""

_CELL_PROBLEMS_JS = """
() => {
  const problems = [];
  for (const cell of window.__nb.content.model.cells) {
    if (cell.type !== 'code') continue;
    const source = cell.sharedModel.getSource();
    const head = source.split('\\n').slice(0, 2).join(' | ');
    if (source.trim() && cell.executionCount === null) problems.push(`not run: ${head}`);
    for (const out of cell.outputs.toJSON()) {
      if (out.output_type === 'error') problems.push(`error in [${head}]: ${out.ename}: ${out.evalue}`);
      if (out.output_type === 'stream' && out.name === 'stderr') problems.push(`stderr in [${head}]: ${out.text}`);
    }
  }
  return problems;
}
"""

_CONTROLS_JS = r"""
([selector, index]) => {
  const panel = document.querySelectorAll(selector)[index];
  const label = (el) => {
    for (const l of el.querySelectorAll('.widget-label, .widget-label-basic')) {
      const text = (l.innerText || '').replace(/[\u200b\s]+/g, ' ').trim();
      if (text) return text;
    }
    return '';
  };
  const found = [];
  const kinds = [['slider', '.widget-slider'], ['play', '.widget-play'], ['dropdown', '.widget-dropdown'],
                 ['checkbox', '.widget-checkbox'], ['toggle', '.widget-toggle-buttons']];
  for (const [kind, selector] of kinds) {
    panel.querySelectorAll(selector).forEach((el, i) => {
      const disabled = !!el.querySelector('[disabled]') || el.classList.contains('mod-disabled');
      found.push({kind, nth: i, label: label(el) || `${kind} ${i + 1}`,
                  disabled, top: el.getBoundingClientRect().top, left: el.getBoundingClientRect().left});
    });
  }
  found.sort((a, b) => (a.top - b.top) || (a.left - b.left));
  return found;
}
"""

# Arm a probe on one panel: the next key/pointer/change event starts the clock; the clock
# stops at the frame after the view shows a new drawing or a new message, or (other widgets)
# after their text changes.
_ARM_JS = """
([selector, index]) => {
  const panel = document.querySelectorAll(selector)[index];
  const view = panel.querySelector('.course-view');
  const messageOf = () => { const m = view && view.querySelector('.cv-message'); return m ? m.textContent.trim() : ''; };
  const textOf = () => [...panel.querySelectorAll('.widget-html, .widget-label, .jp-RenderedText')]
    .map(e => e.innerText).join('\\n');
  const probe = {t0: null, t1: null, result: null, message: '',
                 revision0: view ? view.dataset.revision : null, message0: messageOf(), text0: textOf()};
  if (window.__probe && window.__probe.stop) window.__probe.stop();
  window.__probe = probe;
  const start = () => { if (probe.t0 === null) probe.t0 = performance.now(); };
  const events = ['keydown', 'pointerdown', 'mousedown', 'input', 'change'];
  for (const e of events) document.addEventListener(e, start, true);
  let seen = null;
  const done = (result) => { if (seen) return; seen = result;
    requestAnimationFrame(() => { probe.t1 = performance.now(); probe.result = result; }); };
  const check = () => {
    if (seen) return;
    // the kernel's answer (view.dataset.revision counts them): a drawing (the same picture when the
    // setting draws the same), or a message (the same one when it still applies)
    if (view && view.dataset.revision !== probe.revision0) {
      const message = messageOf();
      if (message) { probe.message = message; done('message'); } else done('drawing');
      return;
    }
    if (!view && textOf() !== probe.text0) done('text');  // a widget without a view: its text is the view
  };
  const observer = new MutationObserver(check);
  observer.observe(panel, {attributes: true, childList: true, subtree: true, characterData: true});
  probe.stop = () => { observer.disconnect(); for (const e of events) document.removeEventListener(e, start, true); };
  return true;
}
"""

SHOWN = {"drawing", "text"}  # a new drawing, or new text in a widget that has no view
# Widget outputs that are not course panels but have controls (e.g. a demo slider and a label):
# tagged so the same driver can move their controls; progress bars and the like have none.
_MARK_OTHER_WIDGETS_JS = """
() => {
  const controls = '.widget-slider, .widget-play, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons';
  let n = 0;
  for (const out of document.querySelectorAll('.jp-OutputArea-output')) {
    if (out.querySelector('.course-explorer') || !out.querySelector(controls)) continue;
    out.setAttribute('data-course-widget', String(n++));
  }
  return n;
}
"""

_PROBE_DONE_JS = "() => window.__probe && window.__probe.result !== null"
_PROBE_JS = """
() => { const p = window.__probe; p.stop();
        return {result: p.result, ms: p.t0 === null ? null : p.t1 - p.t0, message: p.message}; }
"""


class PanelDriver:
    """Moves one panel's controls and records what happened."""

    def __init__(self, page, selector: str, index: int, name: str, verify=None):
        self.page, self.selector, self.index, self.name = page, selector, index, name
        self.panel = page.locator(selector).nth(index)
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.verify = verify  # after each new drawing: compare the page with the scene in Python
        self.alike = 0  # moves checked whose drawing looked the same as the one before

    def act(self, label: str, action) -> dict | None:
        """Run ``action`` with the probe armed; return the outcome, or None when nothing changed."""
        self.page.evaluate(_ARM_JS, [self.selector, self.index])
        changed = action()
        if changed is False:  # the control did not move (end of its range)
            self.page.evaluate("() => window.__probe.stop()")
            return None
        try:
            self.page.wait_for_function(_PROBE_DONE_JS, timeout=CHANGE_TIMEOUT_MS, polling=20)
        except Exception:  # noqa: BLE001 - reported below, the run goes on
            self.page.evaluate("() => window.__probe.stop()")
            self.failures.append(f"{self.name} / {label}: nothing changed in the panel within "
                                 f"{CHANGE_TIMEOUT_MS / 1000:.0f} s")
            return {"result": "timeout", "ms": None, "message": ""}
        outcome = self.page.evaluate(_PROBE_JS)
        if outcome["result"] == "message":
            text = outcome["message"]
            if "Something went wrong" in text or "Traceback" in text or not text.startswith("Not possible"):
                self.failures.append(f"{self.name} / {label}: {text}")
            else:  # a setting the panel explains as impossible (a ValueError of the panel)
                self.notes.append(f"{self.name} / {label}: {text}")
        elif outcome["result"] == "drawing" and self.verify is not None:
            problems, truth = self.verify()
            self.failures += [f"{p} (after {label})" for p in problems]
            self.alike += bool(truth.get("alike"))
        return outcome

    # -- one function per kind of control; each returns the redraw times in ms ------------
    def slider(self, nth: int, label: str) -> list[float]:
        slider = self.panel.locator(".widget-slider").nth(nth)
        handle = slider.locator(".noUi-handle").first
        readout = slider.locator(".widget-readout").first

        def press(key: str):
            def action():
                before = readout.inner_text()
                handle.press(key)
                return readout.inner_text() != before
            return action

        times: list[float] = []
        handle.scroll_into_view_if_needed()
        handle.focus()
        for forward, back in (("ArrowRight", "ArrowLeft"), ("ArrowLeft", "ArrowRight")):
            moved = 0
            shown_image = False
            for _ in range(STEPS):
                outcome = self.act(f"{label} {forward}", press(forward))
                if outcome is None:
                    break
                moved += 1
                if outcome["result"] in SHOWN:
                    shown_image = True
                    times.append(outcome["ms"])
                else:
                    break
            for _ in range(moved):
                outcome = self.act(f"{label} {back}", press(back))
                if outcome and outcome["result"] in SHOWN:
                    times.append(outcome["ms"])
            if shown_image:
                break
        if not times:
            if self.panel.locator(".widget-slider").nth(nth).locator("[disabled]").count():
                self.notes.append(f"{self.name} / {label}: disabled")
            else:
                self.failures.append(f"{self.name} / {label}: no key press showed a new drawing")
        return times

    def play(self, nth: int, label: str) -> list[float]:
        widget = self.panel.locator(".widget-play").nth(nth)
        widget.scroll_into_view_if_needed()
        play_button = widget.locator("button:has(.fa-play)").first
        outcome = self.act(f"{label} Play", lambda: play_button.click())
        widget.locator("button:has(.fa-pause)").first.click()
        # Stop puts the value back to its minimum (a redraw when it moved).
        self.act(f"{label} Stop", lambda: widget.locator("button:has(.fa-stop)").first.click())
        if outcome and outcome["result"] in SHOWN:
            return [outcome["ms"]]
        self.failures.append(f"{self.name} / {label}: Play did not show a new drawing")
        return []

    def dropdown(self, nth: int, label: str) -> list[float]:
        select = self.panel.locator(".widget-dropdown select").nth(nth)
        select.scroll_into_view_if_needed()
        options = select.locator("option")
        count = options.count()
        if count < 2:
            return []
        original = select.evaluate("s => s.selectedIndex")
        times = []
        select.focus()

        def press(key: str):  # the keyboard picks the next option (a focused drop-down, closed)
            def action():
                before = select.evaluate("s => s.selectedIndex")
                select.press(key)
                return select.evaluate("s => s.selectedIndex") != before
            return action

        keys = ["ArrowDown"] * (count - 1 - original) + ["ArrowUp"] * (count - 1)
        keys += ["ArrowDown"] * original
        for key in keys:  # every option once, then back to the first choice
            outcome = self.act(f"{label} {key}", press(key))
            if outcome and outcome["result"] in SHOWN:
                times.append(outcome["ms"])
        if select.evaluate("s => s.selectedIndex") != original:
            self.failures.append(f"{self.name} / {label}: the keyboard did not bring the drop-down back")
        if not times:
            self.failures.append(f"{self.name} / {label}: no option showed a new drawing")
        return times

    def checkbox(self, nth: int, label: str) -> list[float]:
        box = self.panel.locator(".widget-checkbox input").nth(nth)
        box.scroll_into_view_if_needed()
        box.focus()
        times = []
        for _ in range(2):
            outcome = self.act(f"{label} toggled with Space", lambda: box.press(" "))
            if outcome and outcome["result"] in SHOWN:
                times.append(outcome["ms"])
        if not times:
            self.failures.append(f"{self.name} / {label}: ticking the box showed no new drawing")
        return times

    def toggle(self, nth: int, label: str) -> list[float]:
        buttons = self.panel.locator(".widget-toggle-buttons").nth(nth).locator("button")
        count = buttons.count()
        active = [i for i in range(count) if "mod-active" in (buttons.nth(i).get_attribute("class") or "")]
        original = active[0] if active else 0
        times = []
        for index in [i for i in range(count) if i != original] + [original]:
            outcome = self.act(f"{label} button {index + 1}", lambda index=index: buttons.nth(index).click())
            if outcome and outcome["result"] in SHOWN:
                times.append(outcome["ms"])
        if count > 1 and not times:
            self.failures.append(f"{self.name} / {label}: no button showed a new drawing")
        return times


def _expected_panels(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(widget.startswith("Explorer(") for widget in stored_widgets(nb))


def _save_screenshot(locator, target: Path, margin: int = 10, width: int = 1000, scale: int = 1) -> None:
    """The panel with a white margin, at ``scale`` device pixels per CSS pixel (2: a high-density screen:
    Chromium draws the text, the SVG and the plots' 2x images again with twice the pixels)."""
    import base64

    from PIL import Image

    # A white margin around the panel, without the prompt column beside it.
    old = locator.evaluate("el => [el.style.padding, el.style.background]")
    locator.evaluate(f"el => {{ el.style.padding = '{margin}px'; el.style.background = 'white'; }}")
    try:
        locator.scroll_into_view_if_needed()
        box = locator.evaluate("el => { const r = el.getBoundingClientRect(); "
                               "return {x: r.left + window.scrollX, y: r.top + window.scrollY, "
                               "width: r.width, height: r.height}; }")
        page = locator.page
        cdp = page.context.new_cdp_session(page)
        try:
            shot = cdp.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                       "clip": {**box, "scale": scale}})
        finally:
            cdp.detach()
        png = base64.b64decode(shot["data"])
    finally:
        locator.evaluate("(el, old) => { el.style.padding = old[0]; el.style.background = old[1]; }", old)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > width * scale:
        image = image.resize((width * scale, round(image.height * width * scale / image.width)),
                             Image.Resampling.LANCZOS)
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, optimize=True)


HOVERS = 12  # cells hovered per panel at its default setting, spread over its links
HOVERS_PER_MOVE = 4  # cells hovered after each control move (and the first and last steps' cells)


def _diff(seen: dict, expected: dict, most: int = 4) -> str:
    wrong = [f"{k}: {seen.get(k)!r} (scene: {v!r})" for k, v in expected.items() if seen.get(k) != v]
    extra = sorted(set(seen) - set(expected))
    return "; ".join(wrong[:most]) + (f"; cells the scene does not have: {extra[:most]}" if extra else "")


def scene_problems(page, model_id: str, name: str, hovers: int = HOVERS_PER_MOVE) -> tuple[list[str], dict]:
    """Compare what the panel shows with the scene its Python object holds now (asked in the kernel):
    the cells hovering lights against the scene's links, and every cell's text, the marked cells and the
    sentence at the last step against the scene's last step. Returns the problems and the kernel's answer."""
    truth = probe.ask(page, model_id, sample=hovers, step="last", cells=True)
    if truth["message"] or "links" not in truth:  # refused (the last drawing stays, dimmed), or a plot
        return [], truth
    problems = []
    seen = page.evaluate(probe.HOVER_JS, [model_id, list(truth["links"])])
    for cid, links in truth["links"].items():
        got = seen["seen"].get(cid)
        if got is None:
            problems.append(f"{name}: cell {cid} of the scene is not drawn")
            continue
        about = truth["about"].get(cid)
        if about and (got["count"], got["text"]) != (about["count"], about["text"]):
            problems.append(f"{name} {truth['values']}: hovering {cid} the player says {got['count']!r}: "
                            f"{got['text']!r}; the scene's step about it: {about['count']!r}: {about['text']!r}")
        if got["hidden"] and truth["shown"].get(cid) and not (got["tip"] or "").endswith(": " + truth["shown"][cid]):
            problems.append(f"{name}: {cid} is drawn without its number, and hovering it says {got['tip']!r}, "
                            f"not its value {truth['shown'][cid]!r}")
        lit, want = set(got["lit"]) - {cid}, set(links) - {cid}
        if got["focus"] != [cid] or lit != want:
            problems.append(f"{name} {truth['values']}: hovering {cid} lit {len(got['lit'])} cells; not linked: "
                            f"{sorted(lit - want)[:5]}, linked but not lit: {sorted(want - lit)[:5]}, "
                            f"marked: {got['focus']}")
    if seen["left"] or seen["fading"]:
        problems.append(f"{name}: {seen['left']} cells stayed lit (fading: {seen['fading']}) after the pointer left")
    if truth["steps"]:
        shown = page.evaluate(probe.STEP_JS, [model_id, truth["steps"] - 1])
        if set(shown["texts"]) != set(truth["cells"]):
            problems.append(f"{name} {truth['values']}: the drawing's cells are not the scene's: "
                            f"{_diff(shown['texts'], dict.fromkeys(truth['cells'], '?'))}")
        elif shown["texts"] != truth["texts"]:
            problems.append(f"{name} {truth['values']}: at the last step the cells read "
                            f"{_diff(shown['texts'], truth['texts'])}")
        if shown["focus"] != sorted(truth["focus"]) or set(shown["lit"]) != set(truth["lit"]) - set(truth["focus"]):
            problems.append(f"{name} {truth['values']}: the last step marks {shown['focus']} and lights "
                            f"{len(shown['lit'])} cells; the scene's last step is about {truth['focus']} and "
                            f"lights {len(truth['lit'])}")
        if shown["text"] != truth["text"] or shown["count"] != f"step {truth['steps']} of {truth['steps']}":
            problems.append(f"{name}: at the last step the view says {shown['count']!r}: {shown['text']!r}; "
                            f"the scene: {truth['text']!r}")
        page.evaluate(probe.STEP_JS, [model_id, 0])
    return problems, truth


_COUNT_SENT_JS = """
() => {
  const kernel = window.__nb.sessionContext.session.kernel;
  if (!kernel.__courseCounting) {
    kernel.__courseCounting = true;
    kernel.anyMessage.connect((_, args) => { if (args.direction === 'send') window.__sent += 1; });
  }
  window.__sent = 0;
  return true;
}
"""


def play_problems(page, panel, model_id: str, name: str) -> list[str]:
    """Press Play (from the keyboard) at the fastest speed: the view walks to the last step, ends where the
    scene's last step is, and sends nothing to the kernel while it plays."""
    view = panel.locator(".course-view").first
    steps = view.evaluate("v => v.__course.steps()")
    if not steps:
        return []
    problems = []
    view.locator(".cv-speed").select_option(label="fast")
    page.evaluate(_COUNT_SENT_JS)
    view.locator(".cv-play").focus()
    page.keyboard.press("Enter")  # a button: Enter and Space press it
    try:
        page.wait_for_function(
            "([v, n]) => v.__course.index() === n - 1 && !v.classList.contains('cv-playing')",
            arg=[view.element_handle(), steps], timeout=steps * 350 + 15_000, polling=50)
    except Exception:  # noqa: BLE001 - reported
        problems.append(f"{name}: Play did not reach step {steps} of {steps}")
    sent = page.evaluate("() => window.__sent")
    if sent:
        problems.append(f"{name}: {sent} message(s) went to the kernel while the view played")
    shown = page.evaluate(probe.STEP_JS, [model_id, None])
    truth = probe.ask(page, model_id, step="last")
    if shown["texts"] != truth["texts"] or shown["focus"] != sorted(truth["focus"]):
        problems.append(f"{name}: after Play the cells read {_diff(shown['texts'], truth['texts'])}; "
                        f"marked {shown['focus']} (scene: {truth['focus']})")
    page.evaluate(probe.STEP_JS, [model_id, 0])  # back to the first step for the screenshots
    return problems


_PIN_JS = """
([modelId, id]) => {
  const stage = document.querySelector(`.course-explorer[data-model-id="${modelId}"] .cv-stage`);
  const cell = stage.querySelector(`[data-cell="${id}"]`);
  cell.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  return true;
}
"""

_FADED_JS = """
([modelId]) => {
  const stage = document.querySelector(`.course-explorer[data-model-id="${modelId}"] .cv-stage`);
  const cells = [...stage.querySelectorAll('[data-cell]')];
  const faded = cells.filter(g => Number(getComputedStyle(g).opacity) < 0.99).map(g => g.dataset.cell);
  return {faded, cells: cells.length, focus: [...stage.querySelectorAll('.h-focus')].map(g => g.dataset.cell),
          lit: [...stage.querySelectorAll('.h-lit')].map(g => g.dataset.cell)};
}
"""


def pinned_problems(page, driver: PanelDriver, model_id: str, name: str) -> list[str]:
    """Click a cell (it stays lit), move the first slider one notch and back: the pinned cell stays pinned
    with its new links lit and the rest of the drawing readable; a second click unpins and nothing stays faded."""
    truth = probe.ask(page, model_id, sample=1)
    if truth["message"] or not truth.get("links"):
        return []
    cid = next(iter(truth["links"]))
    page.evaluate(_PIN_JS, [model_id, cid])
    sliders = driver.panel.locator(".widget-slider")
    if not sliders.count():
        page.evaluate(_PIN_JS, [model_id, cid])
        return []
    problems = []
    verify, driver.verify = driver.verify, None  # hovering is off while a cell is pinned
    handle = sliders.nth(0).locator(".noUi-handle").first
    readout = sliders.nth(0).locator(".widget-readout").first
    for key in ("ArrowRight", "ArrowLeft"):
        before = readout.inner_text()
        outcome = driver.act(f"pinned {cid}, first slider {key}",
                             lambda key=key, before=before: (handle.press(key), readout.inner_text() != before)[1])
        if outcome is None or outcome["result"] != "drawing":
            continue
        now = probe.ask(page, model_id, links=[cid])
        state = page.evaluate(_FADED_JS, [model_id])
        if cid in now["links"]:
            lit = set(state["lit"]) - {cid}
            if state["focus"] != [cid] or lit != set(now["links"][cid]) - {cid}:
                problems.append(f"{name}: after the move the pinned cell {cid} shows {state['focus']} with "
                                f"{len(lit)} lit cells; the scene links it to {len(now['links'][cid])}")
            if (lit | {cid}) & set(state["faded"]):
                problems.append(f"{name}: after the move the pinned cell or its links are faded")
        elif state["faded"]:
            problems.append(f"{name}: the pinned cell is gone after the move, yet {len(state['faded'])} of "
                            f"{state['cells']} cells stay faded")
    driver.verify = verify
    page.evaluate(_PIN_JS, [model_id, cid])  # unpin (or pin again, then unpin, if the pin was dropped)
    state = page.evaluate(_FADED_JS, [model_id])
    if state["focus"]:
        page.evaluate(_PIN_JS, [model_id, state["focus"][0]])
        state = page.evaluate(_FADED_JS, [model_id])
    if state["faded"] or state["focus"] or state["lit"]:
        problems.append(f"{name}: after unpinning, {len(state['faded'])} cells stay faded and "
                        f"{len(state['lit'])} lit")
    return problems


def alike_problems(page, driver: PanelDriver, model_id: str, name: str) -> tuple[list[str], int]:
    """Moves whose drawing looks the same as before while its links or steps differ (found in the kernel:
    the nearest ones, by one-notch slider moves from the current setting): make them from the keyboard,
    then compare the page with the scene, and go back the same way."""
    truth = probe.ask(page, model_id, search=True)
    problems, checked = [], 0
    sliders = driver.panel.locator(".widget-slider")

    def press(index: int, key: str, why: str) -> None:
        handle = sliders.nth(index).locator(".noUi-handle").first
        handle.focus()
        driver.act(f"slider {index + 1} {key} ({why})", lambda: handle.press(key))
        probe.ask(page, model_id)  # the kernel remembers the drawing before each move

    for path in truth.get("alike_moves", []):
        for index, key in path:
            press(index, key, "towards a move that draws alike")
        found, answer = scene_problems(page, model_id, f"{name} (a move that draws alike)")
        problems += found
        checked += bool(answer.get("alike"))
        if not answer.get("alike") and not answer["message"]:
            problems.append(f"{name}: the search promised a move that draws alike at the end of {path}; "
                            f"the kernel saw none")
        for index, key in reversed(path):
            press(index, "ArrowLeft" if key == "ArrowRight" else "ArrowRight", "back")
    return problems, checked


_RESTART_JS = """
async () => {
  const nb = window.__nb;
  await nb.sessionContext.restartKernel();
  return true;
}
"""


def restart_problems(page, panels, name: str) -> list[str]:
    """Restart the kernel: every panel says so and must be run again; moving a slider changes nothing else."""
    page.evaluate(_RESTART_JS)
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_TIMEOUT_MS, polling=250)
    problems = []
    try:
        page.wait_for_function(
            "(n) => document.querySelectorAll('.course-view[data-restarted=\"true\"]').length >= n",
            arg=panels.count(), timeout=10_000, polling=100)
    except Exception:  # noqa: BLE001 - reported
        said = page.locator('.course-view[data-restarted="true"]').count()
        problems.append(f"{name}: after a kernel restart {said} of {panels.count()} panels say so")
    message = panels.first.locator(".cv-message").inner_text()
    if "kernel has restarted" not in message or "run its cell again" not in message:
        problems.append(f"{name}: after a kernel restart the message line reads {message!r}")
    sliders = panels.first.locator(".widget-slider")
    if sliders.count():
        sliders.first.locator(".noUi-handle").first.press("ArrowRight")
        page.wait_for_timeout(300)
        if "kernel has restarted" not in panels.first.locator(".cv-message").inner_text():
            problems.append(f"{name}: a slider moved after the restart replaced the restart message")
    return problems


def _params() -> list:
    """One test per notebook with widgets; display-only ones (a progress bar) unless asked for."""
    params = []
    for path in NOTEBOOKS:
        marks = []
        if os.environ.get("BROWSER_TESTS_ALL") != "1" and not has_controls(path):
            marks.append(pytest.mark.skip(
                reason=f"{path.name}: its widgets only display (a progress bar?), nothing to move; running it "
                       "again in the browser would only repeat nbval's run. BROWSER_TESTS_ALL=1 runs it"))
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebook in notebooks/ shows a widget yet")
@pytest.mark.parametrize("notebook", _params())
def test_every_widget_redraws_in_jupyterlab(notebook: Path, lab_server, browser_context, latency_results,
                                            notebook_timings):
    started = time.perf_counter()
    page = browser_context.new_page()
    console: list[tuple[str, str]] = []
    phase = {"now": "open"}
    page.on("console", lambda msg: console.append((phase["now"], msg.text)) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console.append((phase["now"], f"page error: {exc}")))
    relative = notebook.resolve().relative_to(ROOT).as_posix()
    try:
        page.goto(lab_server.lab_url(notebook, workspace=f"t{int(time.time() * 1000)}"),
                  wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
        page.evaluate(_OPEN_JS, relative)
        page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_TIMEOUT_MS, polling=250)

        phase["now"] = "run"
        page.evaluate(_RUN_ALL_JS)
        page.wait_for_function("() => window.__runAll !== undefined", timeout=RUN_ALL_TIMEOUT_MS, polling=500)
        run_all = page.evaluate("() => window.__runAll")
        page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_TIMEOUT_MS, polling=250)
        problems = page.evaluate(_CELL_PROBLEMS_JS)
        assert run_all == "ok" and not problems, f"running all cells: {run_all}\n" + "\n".join(problems)
        run_seconds = time.perf_counter() - started

        expected = _expected_panels(notebook)
        panels = page.locator(".course-explorer")
        if expected:
            page.wait_for_function(
                f"() => [...document.querySelectorAll('.course-explorer')].filter("
                f"p => p.querySelector('.course-view[data-drawn]')).length >= {expected}",
                timeout=60_000)
        count = panels.count()
        assert count >= expected, f"{count} panels shown, the stored notebook has {expected}"

        phase["now"] = "interact"
        alike_total = [0]
        failures: list[str] = []
        notes: list[str] = []
        probe.define(page)  # the scene of each panel, asked in the kernel after each move
        tagged = page.evaluate(probe.TAG_PANELS_JS)
        assert tagged == count, f"{tagged} of {count} panels found among the cell outputs"
        model_ids = page.evaluate("() => [...document.querySelectorAll('.course-explorer')]"
                                  ".map(p => p.dataset.modelId)")
        others = page.evaluate(_MARK_OTHER_WIDGETS_JS)
        groups = [(".course-explorer", count, "panel"), ("[data-course-widget]", others, "widget")]
        for selector, number, kind in groups:
            for index in range(number):
                name = f"{notebook.stem} {kind} {index + 1}"
                model_id = model_ids[index] if kind == "panel" else None
                verify = (lambda model_id=model_id, name=name: scene_problems(page, model_id, name)) \
                    if model_id else None
                driver = PanelDriver(page, selector, index, name, verify=verify)
                driver.panel.scroll_into_view_if_needed()
                if model_id:  # the default setting, before any move
                    found, _ = scene_problems(page, model_id, name, hovers=HOVERS)
                    failures += found
                for control in page.evaluate(_CONTROLS_JS, [selector, index]):
                    label = control["label"]
                    if control["disabled"]:
                        notes.append(f"{name} / {label}: disabled, not moved")
                        continue
                    times = getattr(driver, control["kind"])(control["nth"], label)
                    where = str(index + 1) if kind == "panel" else f"w{index + 1}"
                    latency_results.append((notebook.stem, where, label, control["kind"], times))
                if kind != "panel":
                    failures += driver.failures
                    notes += driver.notes
                    continue
                found, checked = alike_problems(page, driver, model_id, name)
                failures += found
                failures += pinned_problems(page, driver, model_id, name)
                failures += play_problems(page, driver.panel, model_id, name)
                failures += driver.failures
                notes += driver.notes
                notes.append(f"{name}: {driver.alike + checked} moves that draw alike checked against the scene")
                alike_total[0] += driver.alike + checked
                if os.environ.get("UPDATE_SCREENSHOTS") == "1":
                    driver.panel.scroll_into_view_if_needed()
                    page.evaluate("() => document.activeElement && document.activeElement.blur()")
                    page.mouse.move(0, 0)
                    stem = f"{notebook.stem}_{index + 1}"
                    _save_screenshot(driver.panel, SCREENSHOTS / f"{stem}.png")
                    _save_screenshot(driver.panel, SCREENSHOTS / f"{stem}@2x.png", scale=2)

        kernel_log = page.evaluate("() => window.__kernelLog")
        if count:  # last: a kernel restart, said by every panel (the new kernel's complaints about the old
            # kernel's widgets, "No such comm", go to no cell: a learner never sees them)
            failures += restart_problems(page, panels, notebook.stem)
        failures += [f"kernel said {line}" for line in kernel_log]
        failures += [f"console ({when}): {text}" for when, text in console
                     if when != "open" and not BENIGN_CONSOLE.search(text)]
        notes += [f"console before the run (not counted): {text}" for when, text in console if when == "open"]
        for note in notes:
            print("note:", note)
        notebook_timings.append((notebook.name, run_seconds, count, time.perf_counter() - started))
        assert not failures, "\n".join(failures)
    except BaseException:
        # What the page looked like, for the CI log (tests/browser/artifacts/ is not committed).
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{notebook.stem}-failure.png", full_page=True)
        except Exception:  # noqa: BLE001 - keep the original error
            pass
        raise
    finally:
        try:
            page.evaluate("() => window.__nb && window.__nb.sessionContext.shutdown()")
        except Exception:  # noqa: BLE001 - the server stops every kernel at the end anyway
            pass
        page.close()
