// The live view of a course panel: the scene's SVG, hover and click to see what depends on what,
// and a player that walks the scene's steps. Everything here runs in the browser: only a control
// change (in Python) sends a new scene; hovering and playing send nothing to the kernel.
//
// The kernel sends each scene as one message (markup, links, steps, step, caption) and counts it in
// `drawing`: the view redraws on every new count, even when the markup is the same as before (two
// settings can draw alike and still differ in their links and steps).

const SPEEDS = [["slow", 1500], ["normal", 800], ["fast", 350]];
const RESTARTED = "The kernel has restarted, so this panel no longer answers: run its cell again.";

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "course-view";
  root.innerHTML = `
    <div class="cv-message" role="status" aria-live="polite"></div>
    <div class="cv-stage"></div>
    <div class="cv-player">
      <button type="button" class="cv-play" title="Play or pause the steps">&#9654; Play</button>
      <input type="range" class="cv-step" min="0" value="0" step="1" aria-label="step">
      <span class="cv-count"></span>
      <label class="cv-speed-label">speed <select class="cv-speed">${SPEEDS.map(
        ([name, ms]) => `<option value="${ms}"${name === "normal" ? " selected" : ""}>${name}</option>`
      ).join("")}</select></label>
    </div>
    <div class="cv-steptext"></div>
    <pre class="cv-caption"></pre>
    <div class="cv-tip" role="tooltip"></div>`;
  el.appendChild(root);
  const $ = (selector) => root.querySelector(selector);
  const stage = $(".cv-stage"), player = $(".cv-player"), button = $(".cv-play");
  const slider = $(".cv-step"), count = $(".cv-count"), speed = $(".cv-speed");
  const stepText = $(".cv-steptext"), caption = $(".cv-caption"), message = $(".cv-message");
  const tip = $(".cv-tip");

  let cells = new Map();   // cell id -> <g data-cell>
  let links = {};
  let steps = [];
  let stepOf = new Map();  // cell id -> the step that is about it (its target or source)
  let index = 0;           // the step the player is on
  let shown = 0;           // the step on screen (a hovered cell previews its own step)
  let marked = [];         // cells the step on screen lit
  let hovered = [];        // cells the pointer lit
  let pinned = null;       // the id of a clicked cell: it keeps its links lit, across redraws too
  let timer = null;
  let drawn = 0;
  let restarted = false;

  const kindOf = (g) => [...g.classList].find((c) => c.startsWith("k-"));

  // -- the steps -------------------------------------------------------------------------------
  function paint(i) {
    for (const g of marked) g.classList.remove("s-focus", "s-lit", "s-part");
    marked = [];
    if (!steps.length) return;
    shown = Math.max(0, Math.min(i, steps.length - 1));
    const frame = steps[shown];
    for (const [id, [text, kind]] of Object.entries(frame.set)) {
      const g = cells.get(id);
      if (!g) continue;
      g.lastChild.textContent = text;
      const old = kindOf(g);
      if (old !== "k-" + kind) { g.classList.remove(old); g.classList.add("k-" + kind); }
      if (kind !== "empty") { g.classList.add("s-part"); marked.push(g); }
    }
    for (const id of frame.lit) {
      const g = cells.get(id);
      if (g) { g.classList.add("s-lit"); marked.push(g); }
    }
    for (const id of frame.focus) {
      const g = cells.get(id);
      if (g) { g.classList.remove("s-lit"); g.classList.add("s-focus"); marked.push(g); }
    }
    slider.value = String(shown);
    count.textContent = `step ${shown + 1} of ${steps.length}`;
    stepText.textContent = frame.text;
  }

  function showStep(i) {
    if (!steps.length) return;
    index = Math.max(0, Math.min(i, steps.length - 1));
    slider.value = String(index);
    paint(index);
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    button.innerHTML = "&#9654; Play";
    root.classList.remove("cv-playing");
  }

  function play() {
    if (!steps.length || restarted) return;
    clearHover();
    if (index >= steps.length - 1) showStep(0);
    button.innerHTML = "&#10074;&#10074; Pause";
    root.classList.add("cv-playing");
    timer = setInterval(() => {
      if (index >= steps.length - 1) stop();
      else showStep(index + 1);
    }, Number(speed.value));
  }

  // -- hover and click: a cell, its links, and the step that is about it --------------------------
  function hideTip() { tip.style.display = "none"; }

  function showTip(g) {
    // where the drawing leaves the numbers out (cells too small), hovering a cell says its value
    const grid = g.closest("[data-grid]");
    if (!grid || !grid.classList.contains("nonum")) { hideTip(); return; }
    const text = g.lastChild.textContent;
    if (!text) { hideTip(); return; }
    const title = grid.querySelector(".t");
    const [, r, c] = g.dataset.cell.split("/");
    tip.textContent = `${title ? title.textContent : grid.dataset.grid} [${r}, ${c}]: ${text}`;
    const box = g.getBoundingClientRect(), frame = root.getBoundingClientRect();
    tip.style.display = "block";
    tip.style.left = `${Math.max(0, box.left - frame.left)}px`;
    tip.style.top = `${box.bottom - frame.top + 4}px`;
  }

  function clearHover() {
    for (const g of hovered) g.classList.remove("h-focus", "h-lit");
    hovered = [];
    stage.classList.remove("cv-hovering");
    hideTip();
    if (steps.length && shown !== index) paint(index);
  }

  function light(g) {
    clearHover();
    const targets = links[g.dataset.cell];
    // the rest of the panel tells the same story: the step about this cell, if there is one
    if (targets && timer === null && stepOf.has(g.dataset.cell)) paint(stepOf.get(g.dataset.cell));
    showTip(g);
    if (!targets) return;
    g.classList.add("h-focus");
    hovered.push(g);
    stage.classList.add("cv-hovering");
    for (const id of targets) {
      const other = cells.get(id);
      if (other) { other.classList.add("h-lit"); hovered.push(other); }
    }
  }

  // -- a new scene from the kernel ----------------------------------------------------------------
  function drawScene() {
    stop();
    clearHover();
    stage.innerHTML = model.get("markup");
    cells = new Map();
    for (const g of stage.querySelectorAll("[data-cell]")) cells.set(g.dataset.cell, g);
    for (const g of stage.querySelectorAll(".s-focus, .s-lit")) g.classList.remove("s-focus", "s-lit");
    marked = [];
    links = model.get("links");
    steps = model.get("steps");
    stepOf = new Map();
    steps.forEach((frame, i) => { for (const id of frame.focus) stepOf.set(id, i); });
    player.style.display = steps.length ? "" : "none";
    stepText.style.display = steps.length ? "" : "none";
    slider.max = String(Math.max(0, steps.length - 1));
    showStep(model.get("step"));
    if (pinned !== null) {  // a pinned cell stays pinned when it is still drawn
      const g = cells.get(pinned);
      if (g) light(g); else pinned = null;
    }
    drawn += 1;
    root.dataset.drawn = String(drawn);  // lets tests and benchmarks see that a new drawing arrived
  }

  function showMessage() {
    if (restarted) return;
    const text = model.get("message");
    message.textContent = text ? "Not possible: " + text : "";
    root.classList.toggle("cv-stale", Boolean(text));
  }

  function showCaption() {
    caption.textContent = model.get("caption");
  }

  function kernelGone() {
    // the kernel restarted (or this notebook's kernel changed): nothing will answer the controls
    if (restarted) return;
    restarted = true;
    stop();
    message.textContent = RESTARTED;
    root.classList.add("cv-stale", "cv-restarted");
    root.dataset.restarted = "true";
  }

  stage.addEventListener("pointerover", (event) => {
    if (pinned !== null) return;
    const g = event.target.closest("[data-cell]");
    if (g) light(g);
    else clearHover();
  });
  stage.addEventListener("pointerleave", () => { if (pinned === null) clearHover(); });
  stage.addEventListener("click", (event) => {
    const g = event.target.closest("[data-cell]");
    if (!g || g.dataset.cell === pinned) { pinned = null; clearHover(); return; }
    pinned = g.dataset.cell;
    light(g);
  });
  button.addEventListener("click", () => (timer === null ? play() : stop()));
  slider.addEventListener("input", () => {
    const wanted = Number(slider.value);  // read first: leaving a hover preview puts the slider back
    stop();
    clearHover();
    showStep(wanted);
  });
  speed.addEventListener("change", () => { if (timer !== null) { stop(); play(); } });

  // Keys pressed on a control of the panel (a slider, a drop-down, a check box, Play) belong to that
  // control: without this, the notebook's shortcuts take the arrow keys (they move the cell selection)
  // before a drop-down or, in Notebook 7, a slider sees them. JupyterLab's shortcut handler skips an
  // element marked data-lm-suppress-shortcuts, so each control is marked as it receives the focus.
  const claimKeys = (event) => {
    const target = event.target;
    if (target instanceof Element && target.matches("input, select, button, textarea, [tabindex]")) {
      target.setAttribute("data-lm-suppress-shortcuts", "true");
    }
  };
  let tries = 0;
  const guardKeys = () => {
    const panel = el.closest(".course-explorer") || (el.isConnected ? el : null);
    if (panel) panel.addEventListener("focusin", claimKeys, true);
    else if (tries++ < 100) setTimeout(guardKeys, 50);
  };
  root.addEventListener("focusin", claimKeys, true);
  guardKeys();

  // for the benchmarks (which cells to hover, where the player is); the tests compare the page with
  // the scene in Python instead, never with this view's own copy of it
  root.__course = { index: () => index, steps: () => steps.length, linked: () => Object.keys(links) };

  model.on("change:drawing", drawScene);
  model.on("change:step", () => showStep(model.get("step")));
  model.on("change:message", showMessage);
  model.on("change:caption", showCaption);
  model.on("change:revision", () => { root.dataset.revision = String(model.get("revision")); });
  model.on("comm_live_update", kernelGone);
  drawScene();
  root.dataset.revision = String(model.get("revision"));
  showMessage();
  showCaption();
  return () => stop();
}

export default { render };
