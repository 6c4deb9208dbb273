"""The drawing layer and the live view: the SVG renderer read back, the view's data, the Explorer
(DESIGN.md, "Panels: one scene, drawn in the browser")."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import ipywidgets as widgets
import pytest
import torch

from course_utils.draw.svg import (
    MAX_HEIGHT,
    MAX_WIDTH,
    NUMBER_MIN_PX,
    NUMBER_PX,
    scene_svg,
    view_steps,
)
from course_utils.panels.explorer import Explorer, int_slider
from course_utils.panels.view import SceneView, scene_markup
from course_utils.scenes import check_scene, conv2d_scene, scatter_scene
from course_utils.scenes._scene import format_value, grid

SVG_NS = "{http://www.w3.org/2000/svg}"
VIEW_JS = Path(__file__).resolve().parents[1] / "course_utils" / "panels" / "view.js"


def cells_of(svg: str) -> dict[str, tuple[str, str, float]]:
    """Every cell of an SVG: id -> (text, class, cell size)."""
    root = ET.fromstring(svg)
    found = {}
    for g in root.iter(f"{SVG_NS}g"):
        cid = g.get("data-cell")
        if cid is None:
            continue
        rect, text = g.find(f"{SVG_NS}rect"), g.find(f"{SVG_NS}text")
        assert cid not in found, f"cell {cid} drawn twice"
        found[cid] = (text.text or "", g.get("class"), float(rect.get("width")))
    return found


def number_sizes(svg: str) -> dict[str, float | None]:
    """Each grid's number size in px as drawn, or None where the grid leaves its numbers out."""
    root = ET.fromstring(svg)
    sizes: dict[str, float | None] = {}
    for g in root.iter(f"{SVG_NS}g"):
        if g.get("data-grid") is None:
            continue
        if "nonum" in g.get("class").split():
            sizes[g.get("data-grid")] = None
            continue
        styles = {t.get("style") for t in g.iter(f"{SVG_NS}text") if t.get("class") is None}
        px = {float(re.search(r"font-size:([\d.]+)px", st).group(1)) if st else NUMBER_PX for st in styles}
        assert len(px) <= 1, f"grid {g.get('data-grid')} mixes number sizes {px}"
        sizes[g.get("data-grid")] = px.pop() if px else NUMBER_PX
    return sizes


def fits_one_screen(svg: str) -> None:
    """The drawing fits MAX_WIDTH x MAX_HEIGHT, and every number it shows is at least NUMBER_MIN_PX."""
    root = ET.fromstring(svg)
    assert float(root.get("width")) <= MAX_WIDTH and float(root.get("height")) <= MAX_HEIGHT, (
        root.get("width"), root.get("height"))
    assert all(px is None or px >= NUMBER_MIN_PX for px in number_sizes(svg).values()), number_sizes(svg)


def random_scene(rng: random.Random) -> dict:
    h, w, k = rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 3)
    x = torch.randint(-9, 10, (h, w)).float() * rng.choice([1.0, 0.5, 1.1])
    weight = torch.randint(-3, 4, (k, k)).float()
    if rng.random() < 0.5:
        padding = rng.randint(0, 2)
        if (h + 2 * padding < k) or (w + 2 * padding < k):
            padding = k
        return conv2d_scene(x, weight, stride=rng.randint(1, 3), padding=padding)
    stride = rng.randint(1, 3)
    return scatter_scene(x, weight, stride=stride, padding=0, output_padding=rng.randint(0, stride - 1))


@pytest.mark.parametrize("seed", range(40))
def test_every_cell_reads_back_as_the_scene_value(seed: int) -> None:
    scene = random_scene(random.Random(seed))
    step = random.Random(seed).randrange(len(scene["steps"]))
    drawn = cells_of(scene_svg(scene, step))
    patch = scene["steps"][step].get("patch", {})
    expected = 0
    for g in scene["grids"]:
        content = patch.get(g["name"], g)
        for r, row in enumerate(content["values"]):
            for c, value in enumerate(row):
                text, css, size = drawn[f"{g['name']}/{r}/{c}"]
                kind = content["kinds"][r][c]
                assert f"k-{kind}" in css.split()
                assert text == ("" if kind == "empty" else format_value(value))
                expected += 1
    assert len(drawn) == expected
    fits_one_screen(scene_svg(scene, step))


def test_the_shown_step_is_marked_in_the_static_picture() -> None:
    scene = scatter_scene(torch.arange(4.0).reshape(2, 2), torch.ones(2, 2), stride=2)
    for step, frame in enumerate(scene["steps"]):
        drawn = cells_of(scene_svg(scene, step))
        focus = {cid for cid, (_, css, _) in drawn.items() if "s-focus" in css.split()}
        lit = {cid for cid, (_, css, _) in drawn.items() if "s-lit" in css.split()}
        assert focus == {frame["source"]}
        assert lit == set(frame["cells"]) | set(frame["also"])


def test_small_drawings_keep_full_size_numbers_and_large_ones_shrink_to_one_screen() -> None:
    small = scene_svg(conv2d_scene(torch.arange(1.0, 17).reshape(4, 4), torch.ones(3, 3), padding=1))
    assert set(number_sizes(small).values()) == {NUMBER_PX} and NUMBER_PX >= 12
    assert min(size for _, _, size in cells_of(small).values()) >= 28  # 30 px cells, inset by 2 px
    fits_one_screen(small)
    # 18 x 18 cells with three-digit numbers: at full size the drawing would be about 600 px tall
    large = scene_svg(conv2d_scene(torch.arange(1.0, 145).reshape(12, 12), torch.ones(3, 3), padding=3))
    fits_one_screen(large)
    assert min(size for _, _, size in cells_of(large).values()) < 28  # the cells shrank
    # a grid too large for readable numbers leaves them out, and keeps each value for hover
    huge = conv2d_scene(torch.arange(1.0, 1601).reshape(40, 40), torch.ones(3, 3))
    svg = scene_svg(huge)
    fits_one_screen(svg)
    assert number_sizes(svg)["input"] is None
    assert cells_of(svg)["input/39/39"][0] == "1600"
    assert ".nonum .c text{display:none;}" in svg


def test_titles_never_overlap_even_for_one_cell_grids() -> None:
    scene = scatter_scene(torch.ones(1, 1), torch.ones(1, 1))
    root = ET.fromstring(scene_svg(scene))
    boxes = []
    for text in root.iter(f"{SVG_NS}text"):
        if text.get("class") == "t":
            width = len(text.text) * 0.6 * 13
            boxes.append((float(text.get("x")) - width / 2, float(text.get("x")) + width / 2, float(text.get("y"))))
    for i, (a0, a1, ay) in enumerate(boxes):
        for b0, b1, by in boxes[i + 1:]:
            assert ay != by or a1 <= b0 or b1 <= a0, (boxes, i)


@pytest.mark.parametrize("value, text", [(3.0, "3"), (-0.0, "0"), (2.4200000762939453, "2.42"), (None, ""),
                                         (float("nan"), "nan"), (1234567.0, "1.235e+06"), (0.1 + 0.2, "0.3")])
def test_format_value(value, text) -> None:
    assert format_value(value) == text


def test_view_steps_cover_the_patched_grids_in_every_step() -> None:
    scene = scatter_scene(torch.arange(9.0).reshape(3, 3), torch.ones(2, 2), stride=2, padding=1, output_padding=1)
    frames = view_steps(scene)
    assert len(frames) == 9
    patched = {g["name"] for g in scene["grids"] if g["name"] in scene["steps"][0]["patch"]}
    for frame, step in zip(frames, scene["steps"], strict=True):
        assert {cid.split("/")[0] for cid in frame["set"]} == patched
        assert frame["focus"] == [step["source"]]
        assert frame["lit"] == step["cells"] + step["also"]


def test_check_scene_refuses_broken_scenes() -> None:
    good = {"grids": [grid("a", "input", "a", [[1.0, 2.0]])], "links": {"a/0/0": ["a/0/1"]}}
    check_scene(good)
    with pytest.raises(ValueError, match="no grid has"):
        check_scene({**good, "links": {"a/0/0": ["b/0/0"]}})
    with pytest.raises(ValueError, match="unknown kinds"):
        check_scene({"grids": [grid("a", "input", "a", [[1.0]], "holes")]})
    with pytest.raises(ValueError, match="unique"):
        check_scene({"grids": [grid("a", "input", "a", [[1.0]]), grid("a", "kernel", "b", [[1.0]])]})


DRAWING = {"svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="4" height="4"/></svg>',
           "caption": ["a line"]}


def test_check_scene_accepts_a_drawing_and_refuses_broken_ones() -> None:
    """A plot (the histogram of 01) is a drawing scene: SVG markup and a caption, nothing to light or play."""
    assert check_scene(DRAWING) is DRAWING
    assert check_scene({"svg": DRAWING["svg"]})  # the caption may be left out
    with pytest.raises(ValueError, match=r"'svg' must be SVG markup"):
        check_scene({"svg": '<img src="plot.png">', "caption": []})
    with pytest.raises(ValueError, match=r"'svg' must be SVG markup"):
        check_scene({"svg": b"<svg></svg>", "caption": []})
    with pytest.raises(ValueError, match=r"has only 'svg' and 'caption', got also \['grids', 'links'\]"):
        check_scene({**DRAWING, "links": {}, "grids": []})
    with pytest.raises(ValueError, match="'caption' must be a list of lines of text"):
        check_scene({**DRAWING, "caption": "a line"})


def test_a_drawing_scene_goes_to_the_view_as_it_is(capsys) -> None:
    markup, data = scene_markup(DRAWING)
    assert markup == DRAWING["svg"] and data == {"links": {}, "steps": [], "step": 0}
    panel = Explorer(lambda n: {**DRAWING, "caption": [f"n = {n}"]}, {"n": int_slider("n", 1, 1, 3)})
    assert panel.markup == panel.view.markup == DRAWING["svg"] and panel.view.caption == "n = 1"
    picture = panel.snapshot()
    assert picture.data == DRAWING["svg"] and capsys.readouterr().out == "n = 1\n"
    with pytest.raises(ValueError, match="^step: this panel draws a plot, which has no steps$"):
        panel.snapshot(step=0)
    with pytest.raises(ValueError, match="'svg' must be SVG markup"):
        scene_markup({"svg": "not svg"})


# -- the view and the Explorer --------------------------------------------------------------------

def test_the_view_module_is_one_small_offline_es_module() -> None:
    source = VIEW_JS.read_text(encoding="utf-8")
    assert "export default" in source
    assert not re.search(r"^\s*import\s", source, re.M), "no imports: nothing is fetched"
    assert "http" not in source.replace("http://www.w3.org", "")
    assert "save_changes" not in source, "hover and Play send nothing to the kernel"
    assert len(source.splitlines()) < 300
    assert SceneView()._esm == source


def _panel() -> Explorer:
    def build(size: int, stride: int) -> dict:
        if stride > size:
            raise ValueError(f"stride ({stride}) must be at most size ({size}) here")
        return conv2d_scene(torch.arange(float(size * size)).reshape(size, size), torch.ones(1, 1), stride=stride)

    return Explorer(build, {"size": int_slider("size", 3, 1, 4), "stride": int_slider("stride", 1, 1, 3)})


def test_an_impossible_setting_keeps_the_values_and_the_last_drawing() -> None:
    panel = _panel()
    drawn, scene = panel.view.markup, panel.scene
    panel.set(size=2, stride=3)
    assert panel.error and panel.message == "stride (3) must be at most size (2) here"
    assert panel.values == {"size": 2, "stride": 3}  # nothing clamped
    assert panel.markup == "" and panel.scene is scene and panel.view.markup == drawn  # the last drawing stays
    assert panel.view.message == panel.message
    panel.set(size=4)
    assert not panel.error and panel.view.message == "" and panel.markup == panel.view.markup != drawn


def test_set_refuses_values_a_control_cannot_show() -> None:
    panel = _panel()
    with pytest.raises(ValueError, match="size must be a number from 1 to 4"):
        panel.set(size=5)
    with pytest.raises(ValueError, match="unknown control"):
        panel.set(kernel=2)
    assert panel.values == {"size": 3, "stride": 1}


def test_sweep_visits_every_setting_and_puts_the_panel_back() -> None:
    panel = _panel()
    seen = [dict(v) for v in panel.sweep()]
    assert len(seen) == 12 and panel.values == {"size": 3, "stride": 1}
    assert sum(1 for v in seen if v["stride"] > v["size"]) == 3


def test_snapshot_is_the_svg_of_the_same_renderer(capsys) -> None:
    panel = _panel()
    picture = panel.snapshot()
    assert cells_of(picture.data) == cells_of(panel.markup)  # what nbval compares: every number
    assert capsys.readouterr().out.strip() == panel.caption
    panel.set(size=1, stride=2)
    assert panel.snapshot() is None
    assert capsys.readouterr().out.startswith("Not possible: stride (2)")


def test_the_view_gets_one_update_per_drawing() -> None:
    panel = _panel()
    sent = []
    panel.view.observe(lambda change: sent.append(change["name"]), names=["markup", "links", "steps"])
    panel.set(stride=2)
    assert sorted(sent) == ["links", "markup", "steps"]
    markup, data = scene_markup(panel.scene)
    assert panel.view.markup == markup and panel.view.steps == data["steps"]


def test_a_panel_never_shows_a_traceback() -> None:
    def build(size: int) -> dict:
        raise ZeroDivisionError("boom")

    panel = Explorer(build, {"size": widgets.IntSlider(value=1, min=1, max=2)})
    assert panel.message.startswith("Something went wrong") and isinstance(panel.unexpected, ZeroDivisionError)


PANELS = sorted(n for n in __import__("course_utils").__all__ if n.endswith("_explorer"))


@pytest.mark.slow
@pytest.mark.parametrize("name", PANELS)
def test_every_panel_setting_fits_one_screen(name: str) -> None:
    """At every setting of every panel (a seeded sample of 600 where a panel has more), the drawing is at
    most MAX_WIDTH x MAX_HEIGHT and every number it shows is at least NUMBER_MIN_PX (DESIGN.md, "One
    screen"); the largest drawing of each panel is reported."""
    import itertools

    import course_utils
    from course_utils.panels.explorer import _options

    panel = getattr(course_utils, name)()
    names = list(panel.controls)
    grid = [_options(panel.controls[n]) for n in names]
    settings = list(itertools.product(*grid))
    if len(settings) > 600:
        settings = random.Random(0).sample(settings, 600)
    tallest, drawn = 0.0, 0
    for setting in settings:
        panel.set(**dict(zip(names, setting, strict=True)))
        if panel.error:
            continue
        drawn += 1
        if "course-scene" in panel.markup:  # a grid diagram (the histogram is a plot of fixed size)
            fits_one_screen(panel.markup)
        root = ET.fromstring(panel.markup)
        assert float(root.get("width")) <= MAX_WIDTH and float(root.get("height")) <= MAX_HEIGHT
        tallest = max(tallest, float(root.get("height")))
    assert drawn > 0
    print(f"{name}: {drawn} settings drawn, the tallest {tallest:.0f} px")
