"""The scenes and the panel of 04 (scenes/receptive.py, panels/dilation.py) against torch and autograd."""

from __future__ import annotations

import itertools
import random
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as F

from course_utils import coverage_map, dilation_explorer, receptive_field
from course_utils.draw.svg import TITLE_PX, _text_width, scene_svg
from course_utils.panels.dilation import coverage_figure, dilated_kernel_figure
from course_utils.scenes._scene import check_scene, format_value
from course_utils.scenes.receptive import coverage_scene, dilated_kernel_scene, receptive_scene

SVG_NS = "{http://www.w3.org/2000/svg}"


def layer_jacobians(k: int, ds: list[int]) -> list[torch.Tensor]:
    """J[l] = d a_l / d a_(l-1) for stride-1 1D layers of ones (autograd), on the cone of one output."""
    field = 1 + (k - 1) * sum(ds)
    a = torch.zeros(field, dtype=torch.float64)
    out = []
    for d in ds:
        def layer(v: torch.Tensor, d: int = d) -> torch.Tensor:
            return F.conv1d(v[None, None], torch.ones(1, 1, k, dtype=torch.float64), dilation=d)[0, 0]
        out.append(torch.autograd.functional.jacobian(layer, a, vectorize=True))
        a = layer(a)
    return out


def units(scene: dict, name: str) -> dict[int, int]:
    """Layout column -> unit index of grid ``name`` (its units are the non-empty cells or linked ones)."""
    cols = sorted(int(cell.split("/")[2]) for cell in scene["links"] if cell.startswith(name + "/"))
    return {c: i for i, c in enumerate(cols)}


def check_receptive(k: int, ds: list[int]) -> None:
    scene = check_scene(receptive_scene(k, ds))
    n = len(ds)
    names = ["input", *[f"layer.{m}" for m in range(1, n)], "output"]
    assert [g["name"] for g in scene["grids"]] == names
    jac = layer_jacobians(k, ds)
    # through[lay][m] = d a_l / d a_m (a product of the layers' Jacobians; ones: entries count the paths)
    through: dict[tuple[int, int], torch.Tensor] = {}
    for lay in range(1, n + 1):
        through[lay, lay - 1] = jac[lay - 1]
        for m in range(lay - 2, -1, -1):
            through[lay, m] = through[lay, m + 1] @ jac[m]
    nonzero = {key: (t != 0).tolist() for key, t in through.items()}
    cols = [units(scene, name) for name in names]
    field = receptive_field([(k, 1, d) for d in ds])
    assert len(cols[0]) == field and len(cols[n]) == 1
    for lay in range(n + 1):
        for col, o in cols[lay].items():
            linked = set(scene["links"][f"{names[lay]}/0/{col}"])
            expected = set()
            for m in range(lay):  # what it depends on: the non-zero gradients
                expected |= {f"{names[m]}/0/{c}" for c, u in cols[m].items() if nonzero[lay, m][o][u]}
            for m in range(lay + 1, n + 1):  # what it feeds: the units whose gradient it has
                expected |= {f"{names[m]}/0/{c}" for c, u in cols[m].items() if nonzero[m, lay][u][o]}
            assert linked == expected, (k, ds, names[lay], col)
            assert len(scene["links"][f"{names[lay]}/0/{col}"]) == len(linked)  # no duplicates
    # values: paths to the output unit, the gradient of the output with weights of ones
    for m in range(n):
        grads = through[n, m][0]
        g = scene["grids"][m]
        for col, u in cols[m].items():
            v, kind = g["values"][0][col], g["kinds"][0][col]
            assert (v or 0) == grads[u].item() and (kind == "data") == (grads[u] != 0)
    # the 2D coverage map is the outer product of the input row with itself
    row = torch.tensor([(v or 0) for v in scene["grids"][0]["values"][0]], dtype=torch.float64)
    assert torch.equal(coverage_map([(k, 1, d) for d in ds]), torch.outer(row, row))
    # steps: one per layer, from the output back; each adds that layer's field
    out = f"output/0/{next(iter(cols[n]))}"
    assert len(scene["steps"]) == n and scene["step"] == 0
    lit: set[str] = set()
    for s, step in enumerate(scene["steps"]):
        m = n - 1 - s
        assert step["target"] == out
        lit |= {c for c in scene["links"][out] if c.startswith(names[m] + "/")}
        assert set(step["cells"]) == lit


def test_receptive_scene_against_autograd_on_random_stacks():
    rng = random.Random(4)
    settings = {(3, (2, 2, 2)), (3, (1, 2, 5)), (2, (1, 1, 1)), (5, (5, 5, 5)), (4, (1, 3, 5)), (1, (3,))}
    while len(settings) < 1000:
        settings.add((rng.randint(1, 5), tuple(rng.randint(1, 5) for _ in range(rng.randint(1, 4)))))
    for k, ds in sorted(settings):
        check_receptive(k, list(ds))


def test_receptive_caption_numbers():
    scene = receptive_scene(3, (2, 2, 2))
    assert scene["caption"][0] == "receptive field = 1 + (k-1)(d1 + ... + d3) = 1 + 2*(2 + 2 + 2) = 13"
    assert scene["caption"][1] == ("along one axis: 7 of the 13 input pixels reach the output unit "
                                   "(6 holes: the gridding effect)")
    assert scene["caption"][2] == "in 2D (the map is the outer product of that row with itself): 49 of 169 pixels"
    assert "(no holes)" in receptive_scene(3, (1, 2, 5))["caption"][1]
    assert "289 of 289" in receptive_scene(3, (1, 2, 5))["caption"][2]
    assert all(len(line) <= 100 for k in (2, 5) for ds in ((1, 1, 1), (5, 5, 5))
               for line in receptive_scene(k, ds)["caption"])


def test_dilated_kernel_scene_draws_the_taps_torch_uses():
    for k in range(1, 6):
        for d in range(1, 6):
            g = dilated_kernel_scene(k, [d])["grids"][0]
            span = d * (k - 1) + 1
            x = torch.zeros(1, 1, span, span, dtype=torch.float64, requires_grad=True)
            w = torch.arange(1.0, k * k + 1, dtype=torch.float64).reshape(1, 1, k, k)
            F.conv2d(x, w, dilation=d).sum().backward()  # the gradient at a tap is its weight
            assert torch.equal(torch.tensor(g["values"], dtype=torch.float64), x.grad[0, 0])
            assert [[kd == "data" for kd in row] for row in g["kinds"]] == (x.grad[0, 0] != 0).tolist()


def test_coverage_scene_is_coverage_map_on_one_scale():
    stacks = {"(2, 2, 2)": [(3, 1, 2)] * 3, "(1, 2, 5)": [(3, 1, 1), (3, 1, 2), (3, 1, 5)]}
    scene = check_scene(coverage_scene(stacks))
    peaks = set()
    for g, layers in zip(scene["grids"], stacks.values(), strict=True):
        cmap = coverage_map(layers)
        assert torch.equal(torch.tensor(g["values"], dtype=cmap.dtype), cmap)
        assert [[k == "data" for k in row] for row in g["kinds"]] == (cmap > 0).tolist()
        peaks.add(g["peak"])
        assert g["numbers"] is False and g["shade"] is True
    assert peaks == {49.0} and len({g["cell"] for g in scene["grids"]}) == 1
    assert scene["caption"][0].startswith("(2, 2, 2): receptive field 13 x 13, 49 of 169 pixels")
    assert scene["caption"][1].startswith("(1, 2, 5): receptive field 17 x 17, 289 of 289 pixels")


def svg_checks(scene: dict) -> None:
    """Every cell's text is format_value of its value; ids unique; titles on a line do not overlap."""
    root = ET.fromstring(scene_svg(scene))
    values = {g["name"]: g for g in scene["grids"]}
    seen = set()
    for cell in root.iter(SVG_NS + "g"):
        cid = cell.get("data-cell")
        if cid is None:
            continue
        assert cid not in seen
        seen.add(cid)
        name, r, c = cid.rsplit("/", 2)
        g = values[name]
        text = cell.find(SVG_NS + "text").text or ""
        kind = g["kinds"][int(r)][int(c)]
        expect = format_value(g["values"][int(r)][int(c)]) if (g.get("numbers", True) or g.get("shade")) and kind != "empty" else ""
        assert text == expect, cid
    titles: dict[str, list[tuple[float, float]]] = {}
    for t in root.iter(SVG_NS + "text"):
        if t.get("class") == "t":
            half = _text_width(t.text or "", TITLE_PX) / 2
            titles.setdefault(t.get("y"), []).append((float(t.get("x")) - half, float(t.get("x")) + half))
    for spans in titles.values():
        spans.sort()
        for (_, right), (left, _) in zip(spans, spans[1:], strict=False):
            assert right <= left, spans


def test_svg_of_every_scene_reads_back():
    svg_checks(dilated_kernel_scene(3, (1, 2, 3)))
    svg_checks(dilated_kernel_scene(2, (1, 16)))
    svg_checks(coverage_scene({"a": [(3, 1, 2)] * 3, "b": [(3, 1, 1)] * 2}))
    for k in (2, 3, 5):
        for ds in ((1, 1, 1), (2, 2, 2), (5, 5, 5), (1, 2, 5)):
            svg_checks(receptive_scene(k, ds))


def test_receptive_row_titles_name_the_layer_that_computes_the_row():
    assert [g["title"] for g in receptive_scene(3, (1, 2, 5))["grids"]] == [
        "input", "after layer 1 (d=1)", "after layer 2 (d=2)", "after layer 3 (d=5)"]
    assert [g["title"] for g in receptive_scene(2, (1, 1, 1))["grids"]] == [
        "input", "after L1 (d=1)", "after L2 (d=1)", "after L3 (d=1)"]  # a 4-cell field: short titles


def test_receptive_rows_line_up():
    """The rows are one grid each, all as wide as the input row, so unit c of every layer is in one column."""
    panel = [(k, ds) for k in range(2, 6) for ds in itertools.product(range(1, 6), repeat=3)]  # every panel setting
    for k, ds in [(2, (1, 1, 1)), (3, (2, 2, 2)), (5, (5, 5, 5)), (4, (1, 3, 5)), *panel]:
        root = ET.fromstring(scene_svg(receptive_scene(k, ds)))
        xs: dict[str, set[str]] = {}
        for cell in root.iter(SVG_NS + "g"):
            if cell.get("data-cell"):
                col = cell.get("data-cell").rsplit("/", 1)[1]
                xs.setdefault(col, set()).add(cell.find(SVG_NS + "rect").get("x"))
        assert all(len(v) == 1 for v in xs.values()), (k, ds)


def test_coverage_figure_is_the_same_with_gradients_turned_off(grad_off):
    stacks = {"(2, 2, 2)": [(3, 1, 2)] * 3, "(1, 2, 5)": [(3, 1, 1), (3, 1, 2), (3, 1, 5)]}
    expected = coverage_figure(stacks).data
    with grad_off():
        got = coverage_figure(stacks).data
    assert got == expected


def test_figures_return_svg_and_refuse_with_sentences():
    assert "<svg" in dilated_kernel_figure(3, (1, 2, 3)).data
    assert "<svg" in coverage_figure({"a": [(3, 1, 2)] * 3}).data
    with pytest.raises(ValueError, match="dilations must contain at least one"):
        dilated_kernel_figure(3, ())
    with pytest.raises(ValueError, match=r"dilations\[1\] must be positive"):
        dilated_kernel_figure(3, (1, 0))
    with pytest.raises(ValueError, match=r"spans d\(k-1\)\+1 = 2999999998 cells; this figure draws at most 32"):
        dilated_kernel_figure(10**9)
    with pytest.raises(TypeError, match="^dilations must be a list of dilations"):
        dilated_kernel_figure(3, 2)
    with pytest.raises(ValueError, match="^stacks must contain 1 to 8"):
        coverage_figure({})
    with pytest.raises(TypeError, match=r"^stacks must be a dict \{label: layers\}, got list"):
        coverage_figure([[(3, 1, 1)]])
    with pytest.raises(ValueError, match=r"^stacks\['big'\]: coverage_map of a 1000000 x"):
        coverage_figure({"big": [(10**6, 1, 1)]})
    with pytest.raises(TypeError, match=r"^stacks\['a'\]: layers must be an nn.Sequential"):
        coverage_figure({"a": "conv"})
    with pytest.raises(ValueError, match=r"receptive field \(1001\) is wider than this diagram"):
        receptive_scene(3, (500,))


def test_explorer_factory_messages():
    with pytest.raises(ValueError, match="kernel_size must be between 2 and 5 in this panel, got 7"):
        dilation_explorer(kernel_size=7)
    with pytest.raises(ValueError, match="dilations must have 3 entries"):
        dilation_explorer(dilations=(1, 2))
    with pytest.raises(ValueError, match=r"dilations\[2\] must be between 1 and 5 in this panel, got 9"):
        dilation_explorer(dilations=(1, 2, 9))


def test_dilation_explorer_sweep_is_fast_and_keeps_values():
    explorer = dilation_explorer()
    explorer.render_ms.clear()
    seen = 0
    for values in explorer.sweep():
        assert explorer.unexpected is None and not explorer.message, values
        assert explorer.markup.startswith("<svg") and explorer.scene["steps"]
        layers = [(values["kernel"], 1, values[f"d{i}"]) for i in (1, 2, 3)]
        assert f"= {receptive_field(layers)}" in explorer.caption.splitlines()[0]
        assert explorer.values == values
        seen += 1
    assert seen == 4 * 5 * 5 * 5
    assert explorer.values == {"kernel": 3, "d1": 2, "d2": 2, "d3": 2}
