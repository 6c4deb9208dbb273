"""The truth the browser tests compare the page with: each panel's scene, read in the kernel.

The browser tests never compare a view with its own copy of the data (a view that missed an update
agrees with itself). After a control moves, they ask the notebook's kernel, through the page's own
kernel connection (``kernel.requestExecute`` with a user expression, nothing printed, no cell run),
for the scene the panel's Python object holds now: which cells each cell lights on hover
(``scene["links"]``), the text of every cell at a given step, and the cells that step marks.
``KERNEL_CODE`` defines the function that answers; ``ask`` calls it from the page.
"""

from __future__ import annotations

import json

#: Run once in the notebook's kernel (after Run All): defines ``__course_probe``.
KERNEL_CODE = r'''
def __course_probe(model_id, request):
    import base64, json
    from ipywidgets.widgets.widget import _instances
    from course_utils.draw.svg import _has_text
    from course_utils.panels.view import scene_markup
    from course_utils.scenes._scene import cell_id, format_value

    request = json.loads(request)
    panel = _instances[model_id]
    scene = panel.scene
    answer = {"values": {k: (v if isinstance(v, (int, float, str, bool)) else repr(v))
                         for k, v in panel.values.items()},
              "message": panel.message, "steps": len(scene.get("steps", [])) if scene else 0}
    state = globals().setdefault("__course_probe_state", {})
    if scene is not None and "grids" in scene:
        # the drawing before the last move (asking twice at one setting changes nothing)
        now = (scene_markup(scene)[0], scene["links"], scene.get("steps"))
        known = state.get(model_id)
        if known is None or known["values"] != answer["values"]:
            state[model_id] = known = {"values": answer["values"], "now": now,
                                       "before": known["now"] if known else None}
        before = known["before"]
        answer["alike"] = before is not None and before[0] == now[0] and before[1:] != now[1:]
        asked = list(request.get("links", []))
        if request.get("sample"):  # cells spread over the links, and the cells the first and last steps are about
            linked = sorted(scene["links"])
            every = max(1, len(linked) // request["sample"])
            asked += linked[::every][:request["sample"]]
            for frame in scene.get("steps", [])[:1] + scene.get("steps", [])[-1:]:
                asked += [frame[k] for k in ("target", "source") if k in frame]
        answer["links"] = {c: sorted(set(scene["links"][c])) for c in dict.fromkeys(asked) if c in scene["links"]}
        # the step that is about each asked cell (hovering it shows that step: its sentence and its cells)
        about = {}
        for n, frame in enumerate(scene.get("steps", [])):
            for k in ("target", "source"):
                if frame.get(k) in answer["links"]:
                    about[frame[k]] = {"count": f"step {n + 1} of {len(scene['steps'])}", "text": frame.get("text", "")}
        answer["about"] = about
        def texts_at(step):
            """The text of every cell at ``step`` (None: a scene without steps), as the scene says it."""
            frames = scene.get("steps", [])
            patch = frames[step].get("patch", {}) if frames and step is not None else {}
            texts = {}
            for g in scene["grids"]:
                content = patch.get(g["name"], g)
                shows = _has_text(g)
                for r, row in enumerate(content["values"]):
                    for c, v in enumerate(row):
                        kind = content["kinds"][r][c]
                        texts[cell_id(g["name"], r, c)] = format_value(v) if shows and kind != "empty" else ""
            return texts

        # each asked cell's text while it is hovered: at the step about it, else at the step shown first
        first = texts_at(scene.get("step", 0) if scene.get("steps") else None)
        steps_of = {c: n for n, frame in enumerate(scene.get("steps", []))
                    for c in (frame.get("target"), frame.get("source")) if c in answer["links"]}
        answer["shown"] = {c: (texts_at(steps_of[c])[c] if c in steps_of else first[c]) for c in answer["links"]}
        step = request.get("step")
        if step is not None and scene.get("steps"):
            step = len(scene["steps"]) - 1 if step == "last" else step
            frame = scene["steps"][step]
            answer["texts"] = texts_at(step)
            answer["focus"] = [frame[k] for k in ("target", "source") if k in frame]
            answer["lit"] = sorted(set(frame.get("cells", [])) | set(frame.get("also", [])))
            answer["text"] = frame.get("text", "")
        if request.get("cells"):
            answer["cells"] = sorted(cell_id(g["name"], r, c) for g in scene["grids"]
                                     for r, row in enumerate(g["values"]) for c in range(len(row)))
        if request.get("search"):
            answer["alike_moves"] = __course_alike_moves(panel)
    return base64.b64encode(json.dumps(answer).encode()).decode()


def __course_alike_moves(panel, most=3, budget=600):
    """Paths of one-notch slider moves from the current setting to a move whose drawing is the same as
    the one before while its links or steps differ, nearest first: [[(slider index, key), ...], ...]."""
    from collections import deque

    import ipywidgets as widgets
    from course_utils.panels.view import scene_markup

    sliders = [(name, c) for name, c in panel.controls.items() if isinstance(c, widgets.IntSlider)]
    fixed = {name: v for name, v in panel.values.items() if name not in dict(sliders)}
    cache = {}

    def state(values):
        if values not in cache:
            try:
                scene = panel.build(**fixed, **{name: v for (name, _), v in zip(sliders, values)})
                cache[values] = (scene_markup(scene)[0], scene["links"], scene.get("steps"))
            except (ValueError, TypeError):
                cache[values] = None
        return cache[values]

    start = tuple(panel.values[name] for name, _ in sliders)
    parent = {start: None}
    queue, found = deque([start]), []
    while queue and len(cache) < budget:
        a = queue.popleft()
        here = state(a)
        for i, (_, control) in enumerate(sliders):
            for direction, key in ((1, "ArrowRight"), (-1, "ArrowLeft")):
                value = a[i] + direction * (control.step or 1)
                if not control.min <= value <= control.max:
                    continue
                b = a[:i] + (value,) + a[i + 1:]
                if b not in parent:
                    parent[b] = (a, i, key)
                    queue.append(b)
                there = state(b) if here is not None else None
                if there is not None and here[0] == there[0] and here[1:] != there[1:]:
                    path, node = [(i, key)], a
                    while parent[node] is not None:
                        node, j, k = parent[node]
                        path.insert(0, (j, k))
                    found.append(path)
                    if len(found) >= most:
                        return found
    return found
'''

#: The page side: run ``__course_probe`` in the kernel and hand back its JSON answer.
ASK_JS = """
async ([modelId, request]) => {
  const kernel = window.__nb.sessionContext.session.kernel;
  const expr = `__course_probe(${JSON.stringify(modelId)}, ${JSON.stringify(JSON.stringify(request))})`;
  const future = kernel.requestExecute({code: '', silent: true, store_history: false,
                                        user_expressions: {answer: expr}});
  const reply = await future.done;
  const answer = reply.content.user_expressions.answer;
  if (answer.status !== 'ok') return {error: `${answer.ename}: ${answer.evalue}`};
  const text = answer.data['text/plain'];
  return JSON.parse(atob(text.slice(1, -1)));
}
"""

DEFINE_JS = """
async ([code]) => {
  const kernel = window.__nb.sessionContext.session.kernel;
  const reply = await kernel.requestExecute({code, silent: true, store_history: false}).done;
  return reply.content.status;
}
"""

#: Hover each cell (a pointer event on it, as the pointer sends) and read what lit up, then leave.
HOVER_JS = """
([modelId, ids]) => {
  const panel = document.querySelector(`.course-explorer[data-model-id="${modelId}"]`);
  const stage = panel.querySelector('.cv-stage');
  const seen = {};
  for (const id of ids) {
    const cell = stage.querySelector(`[data-cell="${id}"]`);
    if (!cell) { seen[id] = null; continue; }
    cell.dispatchEvent(new PointerEvent('pointerover', {bubbles: true}));
    const tip = panel.querySelector('.cv-tip');
    seen[id] = {focus: [...stage.querySelectorAll('.h-focus')].map(g => g.dataset.cell),
                lit: [...stage.querySelectorAll('.h-lit')].map(g => g.dataset.cell),
                count: panel.querySelector('.cv-count').textContent,
                text: panel.querySelector('.cv-steptext').textContent,
                tip: tip && getComputedStyle(tip).display !== 'none' ? tip.textContent : null,
                hidden: cell.closest('[data-grid]').classList.contains('nonum')};
  }
  stage.dispatchEvent(new PointerEvent('pointerleave'));
  return {seen, left: stage.querySelectorAll('.h-lit, .h-focus').length,
          fading: stage.querySelector('.cv-hovering') !== null || stage.classList.contains('cv-hovering')};
}
"""

#: Put the player on step ``step`` (the step slider, as a learner drags it) and read every cell.
STEP_JS = """
([modelId, step]) => {
  const panel = document.querySelector(`.course-explorer[data-model-id="${modelId}"]`);
  const view = panel.querySelector('.course-view');
  const slider = view.querySelector('.cv-step');
  if (step !== null) { slider.value = String(step); slider.dispatchEvent(new Event('input')); }
  const texts = {};
  for (const g of view.querySelectorAll('.cv-stage [data-cell]')) texts[g.dataset.cell] = g.lastChild.textContent;
  return {texts,
          focus: [...view.querySelectorAll('.cv-stage .s-focus')].map(g => g.dataset.cell).sort(),
          lit: [...view.querySelectorAll('.cv-stage .s-lit')].map(g => g.dataset.cell).sort(),
          text: view.querySelector('.cv-steptext').textContent,
          count: view.querySelector('.cv-count').textContent};
}
"""

#: Tag each course panel on the page with the model id of its Python object (from the cell outputs).
TAG_PANELS_JS = """
() => {
  const VIEW = 'application/vnd.jupyter.widget-view+json';
  let n = 0;
  for (const cell of window.__nb.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outputs = cell.model.outputs;
    cell.outputArea.widgets.forEach((w, i) => {
      const out = outputs.get(i);
      const data = out && out.data && out.data[VIEW];
      const panel = w.node.querySelector('.course-explorer');
      if (data && panel) { panel.dataset.modelId = data.model_id; n += 1; }
    });
  }
  return n;
}
"""


def define(page) -> None:
    """Define the probe in the notebook's kernel (once per kernel)."""
    status = page.evaluate(DEFINE_JS, [KERNEL_CODE])
    assert status == "ok", f"the probe could not be defined in the kernel: {status}"


def ask(page, model_id: str, **request) -> dict:
    """The scene of the panel ``model_id`` as its Python object holds it now (see ``__course_probe``)."""
    answer = page.evaluate(ASK_JS, [model_id, json.loads(json.dumps(request))])
    assert "error" not in answer, f"the kernel could not answer the probe: {answer['error']}"
    return answer
