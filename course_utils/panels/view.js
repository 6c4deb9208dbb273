// The live view of a course panel: the scene's SVG, hover and click to see what depends on what,
// and a player that walks the scene's steps. Everything here runs in the browser: only a control
// change (in Python) sends a new drawing; hovering and playing send nothing to the kernel.

const SPEEDS = [["slow", 1500], ["normal", 800], ["fast", 350]];

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "course-view";
  root.innerHTML = `
    <div class="cv-message" role="status" aria-live="polite"></div>
    <div class="cv-stage"></div>
    <div class="cv-player">
      <button type="button" class="cv-play" title="Play the steps (space)">&#9654; Play</button>
      <input type="range" class="cv-step" min="0" value="0" step="1" aria-label="step">
      <span class="cv-count"></span>
      <label class="cv-speed-label">speed <select class="cv-speed">${SPEEDS.map(
        ([name, ms]) => `<option value="${ms}"${name === "normal" ? " selected" : ""}>${name}</option>`
      ).join("")}</select></label>
    </div>
    <div class="cv-steptext"></div>
    <pre class="cv-caption"></pre>`;
  el.appendChild(root);
  const $ = (selector) => root.querySelector(selector);
  const stage = $(".cv-stage"), player = $(".cv-player"), button = $(".cv-play");
  const slider = $(".cv-step"), count = $(".cv-count"), speed = $(".cv-speed");
  const stepText = $(".cv-steptext"), caption = $(".cv-caption"), message = $(".cv-message");

  let cells = new Map();   // cell id -> <g data-cell>
  let links = {};
  let steps = [];
  let index = 0;
  let marked = [];         // cells the current step lit
  let hovered = [];        // cells the pointer lit
  let pinned = null;       // a clicked cell keeps its links lit
  let timer = null;
  let drawn = 0;

  const kindOf = (g) => [...g.classList].find((c) => c.startsWith("k-"));

  function clearHover() {
    for (const g of hovered) g.classList.remove("h-focus", "h-lit");
    hovered = [];
    stage.classList.remove("cv-hovering");
  }

  function light(g) {
    clearHover();
    const targets = links[g.dataset.cell];
    if (!targets) return;
    g.classList.add("h-focus");
    hovered.push(g);
    stage.classList.add("cv-hovering");
    for (const id of targets) {
      const other = cells.get(id);
      if (other) { other.classList.add("h-lit"); hovered.push(other); }
    }
  }

  function showStep(i) {
    for (const g of marked) g.classList.remove("s-focus", "s-lit");
    marked = [];
    if (!steps.length) return;
    index = Math.max(0, Math.min(i, steps.length - 1));
    const frame = steps[index];
    for (const [id, [text, kind]] of Object.entries(frame.set)) {
      const g = cells.get(id);
      if (!g) continue;
      g.lastChild.textContent = text;
      const old = kindOf(g);
      if (old !== "k-" + kind) { g.classList.remove(old); g.classList.add("k-" + kind); }
    }
    for (const id of frame.lit) {
      const g = cells.get(id);
      if (g) { g.classList.add("s-lit"); marked.push(g); }
    }
    for (const id of frame.focus) {
      const g = cells.get(id);
      if (g) { g.classList.remove("s-lit"); g.classList.add("s-focus"); marked.push(g); }
    }
    slider.value = String(index);
    count.textContent = `step ${index + 1} of ${steps.length}`;
    stepText.textContent = frame.text;
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    button.innerHTML = "&#9654; Play";
    root.classList.remove("cv-playing");
  }

  function play() {
    if (!steps.length) return;
    if (index >= steps.length - 1) showStep(0);
    button.innerHTML = "&#10074;&#10074; Pause";
    root.classList.add("cv-playing");
    timer = setInterval(() => {
      if (index >= steps.length - 1) stop();
      else showStep(index + 1);
    }, Number(speed.value));
  }

  function drawMarkup() {
    stop();
    stage.innerHTML = model.get("markup");
    cells = new Map();
    for (const g of stage.querySelectorAll("[data-cell]")) cells.set(g.dataset.cell, g);
    for (const g of stage.querySelectorAll(".s-focus, .s-lit")) g.classList.remove("s-focus", "s-lit");
    hovered = [];
    pinned = null;
    links = model.get("links");
    steps = model.get("steps");
    player.style.display = steps.length ? "" : "none";
    stepText.style.display = steps.length ? "" : "none";
    slider.max = String(Math.max(0, steps.length - 1));
    showStep(model.get("step"));
    drawn += 1;
    root.dataset.drawn = String(drawn);  // lets tests and benchmarks see that a new drawing arrived
  }

  function showMessage() {
    const text = model.get("message");
    message.textContent = text ? "Not possible: " + text : "";
    root.classList.toggle("cv-stale", Boolean(text));
  }

  function showCaption() {
    caption.textContent = model.get("caption");
  }

  stage.addEventListener("pointerover", (event) => {
    if (pinned) return;
    const g = event.target.closest("[data-cell]");
    if (g) light(g);
    else clearHover();
  });
  stage.addEventListener("pointerleave", () => { if (!pinned) clearHover(); });
  stage.addEventListener("click", (event) => {
    const g = event.target.closest("[data-cell]");
    if (!g || g === pinned) { pinned = null; clearHover(); return; }
    pinned = g;
    light(g);
  });
  button.addEventListener("click", () => (timer === null ? play() : stop()));
  slider.addEventListener("input", () => { stop(); showStep(Number(slider.value)); });
  speed.addEventListener("change", () => { if (timer !== null) { stop(); play(); } });

  // for the browser tests and benchmarks: what this view was sent, read without the kernel
  root.__course = { links: () => links, steps: () => steps, index: () => index };

  model.on("change:markup", drawMarkup);
  model.on("change:step", () => showStep(model.get("step")));
  model.on("change:message", showMessage);
  model.on("change:caption", showCaption);
  model.on("change:revision", () => { root.dataset.revision = String(model.get("revision")); });
  drawMarkup();
  root.dataset.revision = String(model.get("revision"));
  showMessage();
  showCaption();
  return () => stop();
}

export default { render };
