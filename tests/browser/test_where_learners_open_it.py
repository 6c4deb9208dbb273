"""Where learners open the course (DESIGN.md, "Where learners open it"), checked in a real Chromium.

- **Untrusted first open.** Each stored notebook is opened in JupyterLab without running it (a
  fresh clone is untrusted: the test server has no trust database): every stored static diagram
  must show as a picture, and no output may show a raw repr (``<IPython.core.display.SVG object>``,
  ``... object at 0x...``). nbconvert's HTML must hold every diagram too.
- **Themes.** In notebook 03, run, the words of the live panels are measured against what is behind
  them, in JupyterLab Light and JupyterLab Dark: contrast at least 4.5 for the panel's text, 3 for
  the drawing's labels, 4.5 for the numbers in the cells against their own cell.
- **One screen.** In a 1280 x 720 window every panel, with its sliders at their largest values and
  the drop-downs and check boxes at their tallest setting, draws at most 600 px tall, no wider than
  the notebook, with Play right under the drawing and both on the screen at once.

``UPDATE_SCREENSHOTS=1`` also saves the first panel of 03 in JupyterLab Dark to
``images/screenshots/03_conv2d_parameters_1_dark.png``; both themes always go to
``tests/browser/artifacts/`` (not committed).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .lab import (
    NOTEBOOKS,
    REPO,
    ROOT,
    SKIP_REASON,
    chromium_path,
    has_controls,
    notebooks_with_widgets,
    stored_widgets,
)
from .test_widgets_in_lab import _CELL_PROBLEMS_JS, _KERNEL_IDLE_JS, _OPEN_JS, _RUN_ALL_JS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason=SKIP_REASON),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="the playwright package is missing: pip install -r requirements-test.txt"),
]

ARTIFACTS = REPO / "tests" / "browser" / "artifacts"
SCREENSHOTS = REPO / "images" / "screenshots"
KERNEL_TIMEOUT_MS = 180_000  # first kernel start on a busy 2-core machine
RUN_ALL_TIMEOUT_MS = 600_000
ANSWER_TIMEOUT_MS = 20_000  # one kernel answer to a control, very generous

TEXT_MIN, LABEL_MIN = 4.5, 3.0  # WCAG AA: text; drawing labels (large text, graphical objects)
MAX_DRAWING_HEIGHT, LAPTOP = 600, {"width": 1280, "height": 720}
DESKTOP = {"width": 1280, "height": 1000}  # the browser_context fixture's viewport
PLAY_GAP = 60  # Play at most this far below the drawing's bottom

CONTRAST_NOTEBOOK = NOTEBOOKS / "03_conv2d_parameters.ipynb"  # panels with steps: Play, captions
NBCONVERT_NOTEBOOK = NOTEBOOKS / "06_transposed_conv_step_by_step.ipynb"  # the most diagrams
DIAGRAM_IMG = '<img class="course-diagram"'
SVG_MIME = "image/svg+xml"
RAW_REPR = re.compile(r"<IPython\.core\.display\.\w+ object>|object at 0x[0-9a-fA-F]+")


# -- what the stored notebooks hold -------------------------------------------------------------
def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def stored_diagrams(path: Path) -> dict[str, int]:
    """Outputs of a stored notebook that should be drawn: diagrams as ``<img class="course-diagram">``
    in ``text/html``, and any ``image/svg+xml`` (which an untrusted notebook does not draw)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = {"img": 0, "svg": 0}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if DIAGRAM_IMG in _text(data.get("text/html")):
                found["img"] += 1
            elif SVG_MIME in data:
                found["svg"] += 1
    return found


def _with_diagrams() -> list:
    params = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if sum(stored_diagrams(path).values()):
            params.append(pytest.param(path, id=path.name))
    return params


def _with_panels() -> list:
    """Notebooks whose stored outputs show a course panel (an Explorer) with controls; 03 first, so
    that it goes on from the contrast test's run of it."""
    found = []
    for path in sorted(notebooks_with_widgets(), key=lambda p: (p.name != CONTRAST_NOTEBOOK.name, p.name)):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if has_controls(path) and any(w.startswith("Explorer(") for w in stored_widgets(nb)):
            found.append(pytest.param(path, id=path.name))
    return found


# -- the lab ---------------------------------------------------------------------------------
_CLOSE_NOTEBOOK_JS = """
async () => {
  const nb = window.__nb;
  window.__nb = null;
  if (!nb || nb.isDisposed) return true;
  try { await nb.sessionContext.shutdown(); } catch (e) { /* no kernel */ }
  nb.dispose();  // closed without saving (the lab refuses every write anyway)
  return true;
}
"""


def run_all(page) -> None:
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_TIMEOUT_MS, polling=100)
    page.evaluate(_RUN_ALL_JS)
    page.wait_for_function("() => window.__runAll !== undefined", timeout=RUN_ALL_TIMEOUT_MS, polling=100)
    outcome = page.evaluate("() => window.__runAll")
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_TIMEOUT_MS, polling=100)
    problems = page.evaluate(_CELL_PROBLEMS_JS)
    assert outcome == "ok" and not problems, f"running all cells: {outcome}\n" + "\n".join(problems)
    # every panel has drawn once
    panels = page.evaluate("() => document.querySelectorAll('.course-explorer').length")
    page.wait_for_function(
        "n => document.querySelectorAll('.course-explorer .course-view[data-drawn]').length >= n",
        arg=panels, timeout=60_000)


class SharedLab:
    """One lab page for the whole module, one notebook open at a time (loading the lab once saves
    seconds per notebook on a small machine). A notebook is closed, its kernel shut down, before the
    next one opens; a notebook already opened and run is reused by the next test that runs it."""

    def __init__(self, context, server):
        self.context, self.server = context, server
        self.page = None
        self.current: tuple[Path, bool] | None = None

    def open(self, notebook: Path, *, run: bool, viewport: dict) -> object:
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
            self.current = None
            self.page.goto(f"{self.server.url}lab/workspaces/w{time.time_ns()}?reset&token={self.server.token}",
                           wait_until="domcontentloaded", timeout=120_000)
            self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
        page = self.page
        page.set_viewport_size(viewport)
        if run and self.current == (notebook, True):
            return page
        page.evaluate(_CLOSE_NOTEBOOK_JS)
        self.current = None
        page.evaluate(_OPEN_JS, notebook.resolve().relative_to(ROOT).as_posix())
        self.current = (notebook, False)
        if run:
            run_all(page)
            self.current = (notebook, True)
        return page

    def failed(self, name: str, error: BaseException) -> None:
        """Keep a picture of the page (tests/browser/artifacts/, not committed); after anything but a
        failed check (a time-out, a lost page), the next test starts on a fresh page."""
        if self.page is None or self.page.is_closed():
            return
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=ARTIFACTS / f"{name}-failure.png")
        except Exception:  # noqa: BLE001 - keep the original error
            pass
        if not isinstance(error, AssertionError):
            self.close()

    def close(self) -> None:
        if self.page is None or self.page.is_closed():
            return
        try:
            self.page.evaluate(_CLOSE_NOTEBOOK_JS)
        except Exception:  # noqa: BLE001 - the server stops every kernel at the end anyway
            pass
        self.page.close()
        self.page, self.current = None, None


@pytest.fixture(scope="module")
def lab(lab_server, browser_context):
    shared = SharedLab(browser_context, lab_server)
    try:
        yield shared
    finally:
        shared.close()


# == 1. untrusted first open =================================================================
_RENDERED_JS = """
() => {
  const nb = window.__nb;
  if (!nb || !nb.context.isReady) return false;
  const cells = nb.content.model.cells.length;
  return cells > 0 && nb.content.widgets.length === cells
    && nb.content.widgets.every(w => w.node.isConnected && w.isAttached);
}
"""

_FIRST_OPEN_JS = """
async () => {
  const nb = window.__nb;
  const cells = [...nb.content.model.cells];
  const code = cells.filter(c => c.type === 'code');
  const trust = nb.node.ownerDocument.querySelector('.jp-StatusItem-trust');
  const images = [...document.querySelectorAll('.jp-OutputArea-output img.course-diagram')];
  await Promise.allSettled(images.map(img => img.decode()));
  const drawn = images.filter(img => {
    const box = img.getBoundingClientRect();
    return img.complete && img.naturalWidth > 0 && img.naturalHeight > 0 && box.width > 0 && box.height > 0;
  });
  return {
    cells: cells.length,
    trusted: code.filter(c => c.trusted !== false).length,
    trustTitle: trust ? (trust.title || trust.getAttribute('title')
                         || (trust.querySelector('[title]') || {}).title || '') : null,
    images: images.length,
    drawn: drawn.length,
    notDrawn: images.filter(img => !drawn.includes(img)).map(img =>
      `${img.alt}: complete=${img.complete} natural=${img.naturalWidth}x${img.naturalHeight}`),
    texts: [...document.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText),
  };
}
"""


@pytest.mark.parametrize("notebook", _with_diagrams())
def test_first_open_untrusted_shows_every_static_diagram(notebook: Path, lab):
    stored = stored_diagrams(notebook)
    expected = stored["img"] + stored["svg"]
    try:
        page = lab.open(notebook, run=False, viewport=DESKTOP)
        page.wait_for_function(_RENDERED_JS, timeout=60_000, polling=100)
        # the lab renders HTML outputs asynchronously: wait (a little) for as many images as the
        # file holds as <img>; what is drawn is counted, and reported, below
        try:
            page.wait_for_function(
                "n => document.querySelectorAll('.jp-OutputArea-output img.course-diagram').length >= n",
                arg=stored["img"], timeout=5_000, polling=50)
        except Exception:  # noqa: BLE001 - reported below with the numbers
            pass
        seen = page.evaluate(_FIRST_OPEN_JS)

        failures = []
        if seen["trusted"]:
            failures.append(f"the lab reports {seen['trusted']} code cell(s) trusted: this is not the "
                            "untrusted first open the test means to check")
        if seen["drawn"] != expected:
            svg_note = (f" ({stored['svg']} of them stored as {SVG_MIME}, which an untrusted notebook shows "
                        "as text)") if stored["svg"] else ""
            failures.append(f"{expected} diagram output(s) in the file{svg_note}, {seen['drawn']} drawn "
                            f"in the page ({seen['images']} img.course-diagram)")
        failures += [f"not drawn: {line}" for line in seen["notDrawn"]]
        for text in seen["texts"]:
            for match in RAW_REPR.finditer(text):
                failures.append(f"an output shows the raw repr {match.group(0)!r}")
        print(f"\n{notebook.name}: {expected} stored diagram(s) ({stored['img']} img, {stored['svg']} svg), "
              f"{seen['drawn']} drawn untrusted; trust indicator: {seen['trustTitle']!r}")
        assert expected > 0
        assert not failures, f"{notebook.name}, opened untrusted:\n" + "\n".join(failures)
    except BaseException as error:
        lab.failed(f"{notebook.stem}-untrusted", error)
        raise


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every start tag of an HTML page, with its attributes."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

        handle_startendtag = handle_starttag

    Tags().feed(html)
    return found



@pytest.mark.skipif(not NBCONVERT_NOTEBOOK.exists(), reason="notebook 06 is missing")
def test_nbconvert_html_shows_every_static_diagram():
    stored = stored_diagrams(NBCONVERT_NOTEBOOK)
    with tempfile.TemporaryDirectory(prefix="course-nbconvert-") as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", tmp, str(NBCONVERT_NOTEBOOK)],
            cwd=tmp, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        html = (Path(tmp) / (NBCONVERT_NOTEBOOK.stem + ".html")).read_text(encoding="utf-8")
    # nbconvert writes the attributes in its own order: parse the tags
    images = [attrs for tag, attrs in _tags(html) if tag == "img" and "course-diagram" in attrs.get("class", "").split()]
    expected = stored["img"] + stored["svg"]
    assert expected > 0
    assert len(images) == expected, (
        f"{NBCONVERT_NOTEBOOK.name}: {expected} diagram output(s) in the file ({stored['svg']} as {SVG_MIME}), "
        f"{len(images)} <img class=\"course-diagram\"> in nbconvert's HTML")
    prefix = "data:image/svg+xml;base64,"
    for attrs in images:
        source = attrs.get("src", "")
        assert source.startswith(prefix), f"an image's source is not an SVG data URI: {source[:60]}"
        assert base64.b64decode(source[len(prefix):]).lstrip().startswith(b"<svg"), "an image is not SVG"
    assert "IPython.core.display.SVG object" not in html
    assert not re.search(r"object at 0x[0-9a-fA-F]+", html)


# == 2. contrast in Light and Dark =============================================================

_CONTRAST_JS = r"""
() => {
  const parse = (s) => {
    if (!s) return null;
    let m = s.match(/^rgba?\(([^)]+)\)$/);
    if (m) {
      const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(v => v.endsWith('%') ? parseFloat(v) / 100 : parseFloat(v));
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    m = s.match(/^color\(srgb ([^)]+)\)$/);
    if (m) {
      const p = m[1].split(/[\s\/]+/).filter(Boolean).map(parseFloat);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    return null;  // none, url(#hatch), ...
  };
  const over = (top, bottom) => {  // top (with alpha) composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  // the colour behind an element: its own background and its ancestors', composited down to the
  // first opaque one (the canvas, white, under everything)
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
  };
  // in the drawing, the svg's own background rect (transparent in the live view) lies on top
  const svgBackground = (svg) => {
    let bg = background(svg);
    const rect = svg.querySelector('rect.bg');
    const fill = rect && parse(getComputedStyle(rect).fill);
    if (fill && fill[3] > 0) bg = over(fill, bg);
    return bg;
  };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).display !== 'none'
    && getComputedStyle(el).visibility !== 'hidden';
  const rows = [];
  const panels = [...document.querySelectorAll('.course-explorer')];
  panels.forEach((panel, p) => {
    const view = panel.querySelector('.course-view');
    if (!view) return;
    const where = `panel ${p + 1}`;
    for (const selector of ['.cv-caption', '.cv-steptext', '.cv-count', '.cv-play', '.cv-message',
                            '.cv-speed-label', '.cv-speed']) {
      for (const el of view.querySelectorAll(selector)) {
        if (!shown(el)) continue;
        const text = el.textContent.trim();
        // the message line is measured even when empty: the colour its sentence will take
        if (!text && selector !== '.cv-message') continue;
        const bg = background(el), fg = over(parse(getComputedStyle(el).color), bg);
        rows.push({where, what: selector + (text ? ` "${text.slice(0, 40)}"` : ' (empty: its colour)'),
                   kind: 'text', color: hex(fg), background: hex(bg), ratio: ratio(fg, bg)});
      }
    }
    const svg = view.querySelector('svg.course-scene');
    if (!svg) return;
    const base = svgBackground(svg);
    for (const el of svg.querySelectorAll('text.t, text.lg, text.sym')) {
      if (!shown(el) || !el.textContent.trim()) continue;
      const fill = parse(getComputedStyle(el).fill);
      if (!fill) { rows.push({where, what: `svg text.${el.getAttribute('class')} "${el.textContent}"`,
                              kind: 'label', color: getComputedStyle(el).fill, background: hex(base),
                              ratio: 0}); continue; }
      const fg = over(fill, base);
      rows.push({where, what: `svg text.${el.getAttribute('class').replace(/ /g, '.')} "${el.textContent.trim().slice(0, 30)}"`,
                 kind: 'label', color: hex(fg), background: hex(base), ratio: ratio(fg, base)});
    }
    for (const g of svg.querySelectorAll('g.c[data-cell]')) {
      const text = g.querySelector('text'), rect = g.querySelector('rect');
      if (!text || !rect || !shown(text) || !text.textContent.trim()) continue;
      const kind = ([...g.classList].find(c => c.startsWith('k-')) || 'k-?').slice(2);
      const cellFill = parse(getComputedStyle(rect).fill);
      const fill = parse(getComputedStyle(text).fill);
      if (!cellFill || !fill) continue;  // a hatched cell (url(#hatch)): no single colour behind
      const bg = over(cellFill, base), fg = over(fill, bg);
      const grid = (g.closest('[data-grid]') || {dataset: {}}).dataset.grid || '?';
      rows.push({where, what: `cell ${g.dataset.cell} (${kind}) "${text.textContent.trim()}"`, kind: 'cell:' + kind,
                 grid, color: hex(fg), background: hex(bg), ratio: ratio(fg, bg)});
    }
  });
  return rows;
}
"""

_THEME_JS = """
async (theme) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', {theme});
  return true;
}
"""

REQUIRED_CELL_KINDS = {"cell:data", "cell:padding"}


def _set_theme(page, theme: str) -> None:
    light = "true" if "Light" in theme else "false"
    page.evaluate(_THEME_JS, theme)
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}' && "
                           f"document.body.dataset.jpThemeName === '{theme}'", timeout=30_000, polling=100)
    # the theme's style sheet is applied: the notebook's background follows it
    page.wait_for_function(
        """(light) => { const c = getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor;
           const m = c.match(/\\d+(\\.\\d+)?/g); if (!m) return false;
           const v = (+m[0] + +m[1] + +m[2]) / 3; return light ? v > 128 : v < 128; }""",
        arg=light == "true", timeout=30_000, polling=100)
    page.wait_for_timeout(300)  # a frame or two for the SVG's var() colours


def _panel_screenshot(page, target: Path, *, small: bool = False) -> None:
    """The first panel as the learner sees it in the current theme (``small``: 256 colours, for the
    repository's images/)."""
    import io

    from PIL import Image

    panel = page.locator(".course-explorer").first
    panel.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    target.parent.mkdir(parents=True, exist_ok=True)
    png = panel.screenshot()
    if small:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        image.save(target, optimize=True)
    else:
        target.write_bytes(png)


@pytest.mark.skipif(not CONTRAST_NOTEBOOK.exists(), reason="notebook 03 is missing")
def test_contrast_in_light_and_dark(lab):
    failures: list[str] = []
    summary: list[str] = []
    started = time.perf_counter()
    try:
        page = lab.open(CONTRAST_NOTEBOOK, run=True, viewport=DESKTOP)
        summary.append(f"(03 opened and run in {time.perf_counter() - started:.1f} s)")
        for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            _set_theme(page, theme)
            rows = page.evaluate(_CONTRAST_JS)
            assert rows, "nothing to measure: no panel text found"
            kinds: dict[str, list[dict]] = {}
            for row in rows:
                row["min"] = LABEL_MIN if row["kind"] == "label" else TEXT_MIN
                kinds.setdefault(row["kind"], []).append(row)
                required = not row["kind"].startswith("cell:") or row["kind"] in REQUIRED_CELL_KINDS
                if row["ratio"] < row["min"] - 1e-9:
                    line = (f"{theme}: {row['where']} {row['what']}: colour {row['color']} on {row['background']}, "
                            f"contrast {row['ratio']:.2f} < {row['min']}")
                    (failures if required else summary).append(line if required else "not required: " + line)
            for kind, found in sorted(kinds.items()):
                low = min(found, key=lambda row: row["ratio"])
                summary.append(f"{theme}: {kind:13} {len(found):4} measured, lowest {low['ratio']:5.2f}: "
                               f"{low['where']} {low['what']} ({low['color']} on {low['background']})")
            target = ARTIFACTS / f"03_conv2d_parameters_1_{suffix}.png"
            _panel_screenshot(page, target)
            if suffix == "dark" and os.environ.get("UPDATE_SCREENSHOTS") == "1":
                _panel_screenshot(page, SCREENSHOTS / "03_conv2d_parameters_1_dark.png", small=True)
        summary.append(f"(both themes measured in {time.perf_counter() - started:.1f} s in all)")
        print("\n" + "\n".join(summary))
        assert not failures, "text without enough contrast:\n" + "\n".join(failures)
    except BaseException as error:
        lab.failed("03_conv2d_parameters-contrast", error)
        raise
    finally:
        # the theme is a lab setting: it outlives the page; leave the next test in Light
        try:
            _set_theme(lab.page if lab.page and not lab.page.is_closed() else lab.open(
                CONTRAST_NOTEBOOK, run=False, viewport=DESKTOP), "JupyterLab Light")
        except Exception:  # noqa: BLE001
            pass


# == 3. one laptop screen ======================================================================
_PANEL_CONTROLS_JS = """
(panel) => ({
  sliders: [...panel.querySelectorAll('.widget-slider')].map(s => !s.querySelector('[disabled]')
            && !s.classList.contains('mod-disabled')),
  dropdowns: [...panel.querySelectorAll('.widget-dropdown select')].map(s => !s.disabled),
  checkboxes: [...panel.querySelectorAll('.widget-checkbox input')].map(s => !s.disabled),
})
"""

_MEASURE_JS = """
(panel) => {
  const view = panel.querySelector('.course-view');
  const svg = view.querySelector('.cv-stage > svg');  // svg.course-scene, or svg.course-plot (01)
  const area = panel.closest('.jp-OutputArea-output');
  const message = view.querySelector('.cv-message').textContent.trim();
  if (!svg) return {height: 0, width: 0, notebook: area ? area.getBoundingClientRect().width : 0, message};
  const box = svg.getBoundingClientRect();
  return {height: box.height, width: box.width, notebook: area ? area.getBoundingClientRect().width : 0,
          message, revision: view.dataset.revision};
}
"""

# Scroll the notebook so that the drawing's top is at the top of the notebook panel; then where
# are the drawing and Play, and how far down can the learner see (the panel's bottom edge: the
# lab's status bar covers the window below it)?
_FIT_JS = """
(panel) => {
  const view = panel.querySelector('.course-view');
  const svg = view.querySelector('.cv-stage > svg');
  let scroller = svg.closest('.jp-WindowedPanel-outer');
  if (!scroller) {  // another lab layout: the nearest ancestor that scrolls vertically
    scroller = view.parentElement;
    while (scroller && !(/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)
                         && scroller.scrollHeight > scroller.clientHeight)) scroller = scroller.parentElement;
  }
  if (scroller) scroller.scrollTop += svg.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
  const frame = scroller ? scroller.getBoundingClientRect() : {top: 0, bottom: window.innerHeight};
  const drawing = svg.getBoundingClientRect();
  const player = view.querySelector('.cv-player');
  const play = view.querySelector('.cv-play');
  const hasPlayer = !!player && getComputedStyle(player).display !== 'none' && player.getClientRects().length > 0;
  const p = hasPlayer ? play.getBoundingClientRect() : null;
  const pl = hasPlayer ? player.getBoundingClientRect() : null;
  return {panelTop: frame.top, panelBottom: Math.min(frame.bottom, window.innerHeight), window: window.innerHeight,
          drawingTop: drawing.top, drawingBottom: drawing.bottom, drawingHeight: drawing.height,
          hasPlayer, playTop: p && p.top, playerBottom: pl && pl.bottom};
}
"""


class LaptopPanel:
    """Drives one panel to its tallest drawing and remembers every size it showed."""

    def __init__(self, page, index: int, name: str):
        self.page, self.index, self.name = page, index, name
        self.panel = page.locator(".course-explorer").nth(index)
        self.tallest = {"height": 0.0, "width": 0.0, "notebook": 0.0, "setting": "default"}
        self.widest = {"width": 0.0, "notebook": 0.0, "setting": "default"}
        self.notes: list[str] = []

    def measure(self, setting: str) -> dict:
        seen = self.panel.evaluate(_MEASURE_JS)
        if not seen["message"]:  # a refusal keeps the last drawing: nothing new to measure
            if seen["height"] > self.tallest["height"]:
                self.tallest = {**seen, "setting": setting}
            if seen["width"] - seen["notebook"] > self.widest["width"] - self.widest["notebook"]:
                self.widest = {**seen, "setting": setting}
        return seen

    def message(self) -> str:
        return self.panel.locator(".course-view .cv-message").first.inner_text().strip()

    def revision(self) -> str:
        return self.panel.locator(".course-view").first.get_attribute("data-revision") or ""

    def wait_answer(self, before: str, what: str) -> None:
        try:
            self.page.wait_for_function(
                "([panel, before]) => panel.querySelector('.course-view').dataset.revision !== before",
                arg=[self.panel.element_handle(), before], timeout=ANSWER_TIMEOUT_MS, polling=20)
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"{self.name}: {what}: the view did not answer in "
                                 f"{ANSWER_TIMEOUT_MS / 1000:.0f} s") from exc

    def slider_to_end(self, nth: int) -> None:
        slider = self.panel.locator(".widget-slider").nth(nth)
        label = slider.locator(".widget-label").first.inner_text().strip() or f"slider {nth + 1}"
        handle = slider.locator(".noUi-handle").last
        readout = slider.locator(".widget-readout").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        for key in ["End"] + ["ArrowRight"] * 200:
            before_value, before_revision = readout.inner_text(), self.revision()
            handle.press(key)
            if readout.inner_text() == before_value:
                if key == "ArrowRight":  # no further
                    break
                continue  # End did not move it (at its end already, or not supported): arrows
            self.wait_answer(before_revision, f"{label} {key}")
            self.measure(f"{label}={readout.inner_text()}")
        else:
            self.notes.append(f"{self.name}: {label} still moving after 200 presses")
        end = handle.evaluate("h => [h.getAttribute('aria-valuenow'), h.getAttribute('aria-valuemax')]")
        self.notes.append(f"{self.name}: {label} at {readout.inner_text()} (largest {end[1]})"
                          + (f", then: {self.message()}" if self.message() else ""))

    def tallest_option(self, nth: int) -> None:
        select = self.panel.locator(".widget-dropdown select").nth(nth)
        label = (self.panel.locator(".widget-dropdown").nth(nth).locator(".widget-label").first.inner_text().strip()
                 or f"drop-down {nth + 1}")
        select.scroll_into_view_if_needed()
        count = select.locator("option").count()
        current = select.evaluate("s => s.selectedIndex")
        best, best_height = current, self.panel.evaluate(_MEASURE_JS)["height"]
        for index in range(count):
            if index == select.evaluate("s => s.selectedIndex"):
                continue
            before = self.revision()
            select.select_option(index=index)
            self.wait_answer(before, f"{label} option {index + 1}")
            seen = self.measure(f"{label}={select.locator('option').nth(index).inner_text()}")
            if not seen["message"] and seen["height"] > best_height:
                best, best_height = index, seen["height"]
        if select.evaluate("s => s.selectedIndex") != best:
            before = self.revision()
            select.select_option(index=best)
            self.wait_answer(before, f"{label} back to option {best + 1}")

    def tallest_checkbox(self, nth: int) -> None:
        box = self.panel.locator(".widget-checkbox input").nth(nth)
        box.scroll_into_view_if_needed()
        height = self.panel.evaluate(_MEASURE_JS)["height"]
        before = self.revision()
        box.click()
        self.wait_answer(before, f"check box {nth + 1}")
        seen = self.measure(f"check box {nth + 1} {'on' if box.is_checked() else 'off'}")
        if seen["message"] or seen["height"] < height:
            before = self.revision()
            box.click()
            self.wait_answer(before, f"check box {nth + 1} back")

    def drive(self) -> None:
        self.measure("default")
        controls = self.panel.evaluate(_PANEL_CONTROLS_JS)
        for nth, enabled in enumerate(controls["sliders"]):
            if enabled:
                self.slider_to_end(nth)
        for nth, enabled in enumerate(controls["dropdowns"]):
            if enabled:
                self.tallest_option(nth)
        for nth, enabled in enumerate(controls["checkboxes"]):
            if enabled:
                self.tallest_checkbox(nth)
        self.measure("final")


@pytest.mark.parametrize("notebook", _with_panels())
def test_every_panel_fits_a_laptop_screen(notebook: Path, lab):
    failures: list[str] = []
    rows: list[str] = []
    fits: list[str] = []
    started = time.perf_counter()
    try:
        page = lab.open(notebook, run=True, viewport=LAPTOP)
        ran = time.perf_counter() - started
        count = page.locator(".course-explorer").count()
        assert count, f"{notebook.name}: no course panel shown after running all cells"
        for index in range(count):
            name = f"{notebook.stem} panel {index + 1}"
            driver = LaptopPanel(page, index, name)
            driver.drive()
            tall, wide = driver.tallest, driver.widest
            rows.append(f"{notebook.stem:38} {index + 1:>5} {tall['height']:10.0f} {tall['width']:7.0f} "
                        f"{tall['notebook']:8.0f}   {tall['setting']}")
            if tall["height"] > MAX_DRAWING_HEIGHT:
                failures.append(f"{name}: the drawing is {tall['height']:.0f} px tall at {tall['setting']} "
                                f"(at most {MAX_DRAWING_HEIGHT})")
            if wide["width"] > wide["notebook"]:
                failures.append(f"{name}: the drawing is {wide['width']:.0f} px wide at {wide['setting']}, the "
                                f"notebook's output area {wide['notebook']:.0f} px")
            fit = driver.panel.evaluate(_FIT_JS)
            what = "the drawing and Play" if fit["hasPlayer"] else "the drawing"
            # below the drawing: the player (when there are steps); its offset does not depend on the
            # drawing's height, so the tallest drawing (seen before) ends this much lower
            below = (fit["playerBottom"] - fit["drawingBottom"]) if fit["hasPlayer"] else 0.0
            needed = fit["panelTop"] + max(fit["drawingHeight"], tall["height"]) + below
            if fit["hasPlayer"]:
                gap = fit["playTop"] - fit["drawingBottom"]
                if not fit["drawingTop"] <= fit["playTop"] <= fit["drawingBottom"] + PLAY_GAP:
                    failures.append(f"{name}: Play's top is {gap:.0f} px below the drawing's bottom (at most "
                                    f"{PLAY_GAP}) at the tallest setting")
            fits.append(f"{notebook.stem:38} {index + 1:>5} {fit['panelTop']:9.0f} {needed:10.0f} "
                        f"{fit['panelBottom']:13.0f} {fit['window']:6}")
            if needed > fit["window"]:
                failures.append(f"{name}: with the drawing ({tall['height']:.0f} px at its tallest) at the top of the "
                                f"notebook panel (y={fit['panelTop']:.0f}), {what} end at y={needed:.0f}, "
                                f"below the {fit['window']} px window")
            elif needed > fit["panelBottom"] + 0.5:
                failures.append(f"{name}: with the drawing ({tall['height']:.0f} px at its tallest) at the top of the "
                                f"notebook panel (y={fit['panelTop']:.0f}), {what} end at y={needed:.0f}, below "
                                f"the notebook panel's visible bottom (y={fit['panelBottom']:.0f}; the lab's status bar "
                                f"covers the {fit['window']} px window below it): "
                                f"{'Play is' if fit['hasPlayer'] else 'the bottom of the drawing is'} out of sight")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{notebook.stem}_{index + 1}-laptop.png")
            for note in driver.notes:
                print("note:", note)
        print(f"\n{'notebook':38} {'panel':>5} {'max height':>10} {'width':>7} {'notebook':>8}   tallest at")
        print("\n".join(rows))
        print(f"{'notebook':38} {'panel':>5} {'panel top':>9} {'ends at y':>10} {'visible to y':>13} {'window':>6}")
        print("\n".join(fits))
        print(f"({notebook.stem}: opened and run in {ran:.1f} s, panels driven in "
              f"{time.perf_counter() - started - ran:.1f} s)")
        assert not failures, "\n".join(failures)
    except BaseException as error:
        lab.failed(f"{notebook.stem}-laptop", error)
        raise
