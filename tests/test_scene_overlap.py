"""The overlap scene and panel of 07 (and the tensors scene): values against F.conv_transpose2d,
links against autograd, the SVG read back, the caption's statement about stacks checked in general."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from _refusals import raises_fast
from torch.func import jacrev

from course_utils import bilinear_kernel, conv_transpose_output_size, overlap_count
from course_utils.conv.bilinear import steady_counts
from course_utils.draw.figures import tensors_figure
from course_utils.draw.svg import TITLE_PX, _text_width, scene_svg
from course_utils.kernels import overlap_figure
from course_utils.panels.overlap import INPUT_SIZE, overlap_explorer
from course_utils.scenes._scene import MAX_SIDE, check_scene, format_value
from course_utils.scenes.overlap import NUMBERS_UP_TO, overlap_scene
from course_utils.scenes.tensors import tensors_scene

SVG_NS = "{http://www.w3.org/2000/svg}"


def torch_maps(k: int, s: int, n: int, layers: int) -> list[torch.Tensor]:
    """Ones through ``layers`` F.conv_transpose2d with a kernel of ones: the map after each layer."""
    x, maps = torch.ones(1, 1, n, n, dtype=torch.float64), []
    for _ in range(layers):
        x = F.conv_transpose2d(x, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)
        maps.append(x[0, 0])
    return maps


def settings(count: int, seed: int = 0):
    """Random (k, s, n, layers) whose maps fit a diagram."""
    rng, found = random.Random(seed), 0
    while found < count:
        k, s, n, layers = rng.randint(1, 6), rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3)
        size = n
        for _ in range(layers):
            size = (size - 1) * s + k
        if size <= 16:  # keeps the autograd check quick; the panel's larger maps are swept below
            found += 1
            yield k, s, n, layers


def grid_of(scene: dict, name: str) -> dict:
    return next(g for g in scene["grids"] if g["name"] == name)


# -- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "s", "n", "layers"), list(settings(300, seed=1)))
def test_maps_equal_torch(k, s, n, layers):
    scene = check_scene(overlap_scene(k, s, layers, n))
    names = [f"layer{i}" for i in range(1, layers)] + ["output"]
    for name, expected in zip(names, torch_maps(k, s, n, layers), strict=True):
        g = grid_of(scene, name)
        assert g["values"] == expected.tolist(), name
        assert g["kinds"] == [["data" if v else "inserted" for v in row] for row in expected.tolist()]
        assert g["numbers"] == (expected.shape[0] <= NUMBERS_UP_TO) and g["shade"] is True
    assert grid_of(scene, "output")["values"] == overlap_count(k, s, n, layers=layers).tolist()
    assert grid_of(scene, "input")["values"] == [[1.0] * n] * n
    assert grid_of(scene, "kernel")["values"] == [[1.0] * k] * k
    assert "steps" not in scene


# -- links against autograd -----------------------------------------------------------------------

def autograd_links(k: int, s: int, n: int, layers: int, seed: int) -> dict[str, set[str]]:
    """For each map cell, the cells with a non-zero derivative of it: the input, the previous map
    (taken as a leaf) and the kernel of its own layer; random positive values, so no zero by chance."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, n, dtype=torch.float64, generator=gen) + 0.5
    ws = [torch.rand(k, k, dtype=torch.float64, generator=gen) + 0.5 for _ in range(layers)]

    def layer(a, w):
        return F.conv_transpose2d(a[None, None], w[None, None], stride=s)[0, 0]

    def stack(x, *ws):
        maps, a = [], x
        for w in ws:
            a = layer(a, w)
            maps.append(a)
        return tuple(maps)

    names = ["input"] + [f"layer{i}" for i in range(1, layers)] + ["output"]
    jac_x = jacrev(stack, argnums=tuple(range(layers + 1)))(x, *ws)
    maps = [x, *stack(x, *ws)]
    back: dict[str, set[str]] = {}
    for m in range(1, layers + 1):
        on_input, on_kernel = jac_x[m - 1][0], jac_x[m - 1][m]
        on_prev = jacrev(layer)(maps[m - 1], ws[m - 1]) if m > 1 else None
        size = maps[m].shape[0]
        for i in range(size):
            for j in range(size):
                cells = {f"input/{a}/{b}" for a, b in (on_input[i, j] != 0).nonzero().tolist()}
                cells |= {f"kernel/{u}/{v}" for u, v in (on_kernel[i, j] != 0).nonzero().tolist()}
                if on_prev is not None:
                    cells |= {f"{names[m - 1]}/{a}/{b}" for a, b in (on_prev[i, j] != 0).nonzero().tolist()}
                back[f"{names[m]}/{i}/{j}"] = cells
    return back


def test_links_are_autograds_nonzero_gradients_and_their_reverse():
    for index, (k, s, n, layers) in enumerate(settings(1000, seed=2)):
        scene = overlap_scene(k, s, layers, n)
        back = autograd_links(k, s, n, layers, seed=index)
        expected: dict[str, set[str]] = {cell: set(cells) for cell, cells in back.items()}
        for cell, cells in back.items():  # the reverse: an input or map cell -> what it feeds
            for source in cells:
                if not source.startswith("kernel/"):
                    expected.setdefault(source, set()).add(cell)
        links = scene["links"]
        assert {c: set(v) for c, v in links.items()} == expected, (k, s, n, layers)
        assert all(len(v) == len(set(v)) for v in links.values())
        assert not any(c.startswith("kernel/") for c in links)  # kernel cells light nothing on hover


# -- the caption, and its statement about stacks checked in general --------------------------------

def test_stacked_layers_act_as_one_transposed_convolution():
    """L layers (k, s) act as one layer with stride s**L and the kernel the stack makes of one pixel:
    sizes (n - 1) s**L + K, and values, for random kernels (the caption's third line)."""
    for k in range(1, 7):
        for s in range(1, 5):
            for layers in range(1, 4):
                span = 1
                for _ in range(layers):
                    span = conv_transpose_output_size(span, k, s)
                for n in range(1, 7):
                    size = n
                    for _ in range(layers):
                        size = conv_transpose_output_size(size, k, s)
                    assert size == (n - 1) * s**layers + span, (k, s, layers, n)
                if k <= 4 and layers <= 2:
                    gen = torch.Generator().manual_seed(k * 100 + s * 10 + layers)
                    w = torch.rand(1, 1, k, k, dtype=torch.float64, generator=gen)
                    x = torch.rand(1, 1, 4, 5, dtype=torch.float64, generator=gen)
                    one = torch.ones(1, 1, 1, 1, dtype=torch.float64)
                    y, kernel = x, one
                    for _ in range(layers):
                        y, kernel = F.conv_transpose2d(y, w, stride=s), F.conv_transpose2d(kernel, w, stride=s)
                    assert kernel.shape[-1] == span
                    torch.testing.assert_close(y, F.conv_transpose2d(x, kernel, stride=s**layers))


def test_caption_numbers():
    caption = overlap_scene(3, 2, 1, 3)["caption"]
    assert caption == [
        "kernel_size 3 is not a multiple of stride 2: uneven: away from the border pixels get 1 to 4 copies "
        "-> checkerboard",
        "output size: (3 - 1) x 2 + 3 = 7",
        "PyTorch: nn.ConvTranspose2d(C, C, kernel_size=3, stride=2)",
    ]
    # the case: 3 -> 9 -> 33 with k1 s4; the old caption said "(3 - 1) x 4 + 1 = 9 per layer"
    stacked = overlap_scene(1, 4, 2, 3)["caption"]
    assert stacked[1] == "output size: (3 - 1) x 4 + 1 = 9, then (9 - 1) x 4 + 1 = 33"
    assert stacked[2] == ("the 2 layers act as one with stride 4^2 = 16 and a 1-tap kernel (their output for "
                          "one pixel): (3 - 1) x 16 + 1 = 33")
    assert "per layer" not in " ".join(stacked)
    for k in range(1, 7):
        for s in range(1, 4):
            for layers in (1, 2):
                caption = " ".join(overlap_scene(k, s, layers, 3)["caption"])
                lo, hi = steady_counts(k, s, layers)
                one_count = f"gets {lo} {'copy' if lo == 1 else 'copies'}"
                assert f"{lo} to {hi} copies" in caption or (one_count in caption and lo == hi)
                size = len(grid_of(overlap_scene(k, s, layers, 3), "output")["values"])
                assert f"= {size}" in caption
                assert ("is a multiple" in caption) == (k % s == 0)


# -- the SVG read back ----------------------------------------------------------------------------

def parse(svg: str) -> tuple[dict[str, str], list[tuple[float, float, str]]]:
    root = ET.fromstring(svg)
    cells: dict[str, str] = {}
    for g in root.iter(f"{SVG_NS}g"):
        cid = g.get("data-cell")
        if cid is not None:
            assert cid not in cells, f"cell {cid} drawn twice"
            cells[cid] = g.find(f"{SVG_NS}text").text or ""
    titles = [(float(t.get("x")), float(t.get("y")), t.text) for t in root.iter(f"{SVG_NS}text")
              if t.get("class") == "t"]
    return cells, titles


def check_svg(scene: dict) -> None:
    cells, titles = parse(scene_svg(scene))
    for g in scene["grids"]:
        for r, row in enumerate(g["values"]):
            for c, v in enumerate(row):
                shown = format_value(v) if g.get("numbers", True) or g.get("shade") else ""
                assert cells.pop(f"{g['name']}/{r}/{c}") == shown
    assert not cells
    by_line: dict[float, list[tuple[float, float]]] = {}
    for x, y, text in titles:
        half = _text_width(text, TITLE_PX) / 2
        by_line.setdefault(y, []).append((x - half, x + half))
    for spans in by_line.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans


def test_svg_of_every_panel_setting():
    for k in range(1, 7):
        for s in range(1, 4):
            for layers in (1, 2):
                check_svg(overlap_scene(k, s, layers, INPUT_SIZE))


def test_figure_prints_the_caption_and_returns_the_svg(capsys):
    svg = overlap_figure(3, 2, input_size=4)
    assert capsys.readouterr().out.splitlines()[1] == "output size: (4 - 1) x 2 + 3 = 9"
    cells, _ = parse(svg.data)
    assert [cells[f"output/0/{j}"] for j in range(9)] == ["1", "1", "2", "1", "2", "1", "2", "1", "1"]


# -- the panel ------------------------------------------------------------------------------------

def test_panel_draws_every_setting_without_changing_a_control():
    explorer = overlap_explorer()
    explorer.render_ms.clear()
    seen = 0
    for values in explorer.sweep():
        assert explorer.unexpected is None and not explorer.message, values
        assert explorer.values == values and explorer.markup.startswith("<svg")
        assert explorer.scene["grids"][-1]["values"] == overlap_count(
            values["kernel_size"], values["stride"], INPUT_SIZE, layers=values["layers"]).tolist()
        seen += 1
    assert seen == 6 * 3 * 2
    assert explorer.values == {"kernel_size": 3, "stride": 2, "layers": 1}


@pytest.mark.parametrize(("name", "value", "lo", "hi"), [("kernel_size", 7, 1, 6), ("stride", 4, 1, 3),
                                                         ("layers", 3, 1, 2), ("kernel_size", 0, 1, 6)])
def test_panel_refuses_values_outside_its_sliders(name, value, lo, hi):
    raises_fast(ValueError, rf"^{name} must be between {lo} and {hi} in this panel, got {value}$",
                lambda: overlap_explorer(**{name: value}))
    assert overlap_explorer(**{name: hi}).controls[name].value == hi


def test_scene_refuses_maps_too_large_to_draw():
    raises_fast(ValueError, r"^the overlap map would be 68 x 68 cells, more than the 40", lambda: overlap_scene(8, 4, 2))
    raises_fast(ValueError, rf"^input_size \(41\) and kernel_size \(3\) must be at most {MAX_SIDE}",
                lambda: overlap_scene(3, 2, 1, 41))
    raises_fast(ValueError, r"^layers must be at most 8, got 9", lambda: overlap_scene(1, 1, 9))
    raises_fast(TypeError, r"^stride must be a whole number", lambda: overlap_scene(3, 2.0))


# -- tensors_scene --------------------------------------------------------------------------------

def test_tensors_scene_shows_values_or_shades():
    w4, w16 = bilinear_kernel(1, 1, 4)[0, 0], bilinear_kernel(1, 1, 16)[0, 0]
    scene = check_scene(tensors_scene({"k4": w4, "k16": w16}, "kernel", caption=["two tents"]))
    small, large = scene["grids"]
    assert small["values"] == w4.double().tolist() and small["numbers"] and not small["shade"]
    assert large["values"] == w16.double().tolist() and not large["numbers"] and large["shade"]
    assert {g["role"] for g in scene["grids"]} == {"kernel"} and scene["caption"] == ["two tents"]
    check_svg(scene)
    cells, titles = parse(tensors_figure({"k4": w4}, "kernel").data)
    assert [cells[f"t0/0/{j}"] for j in range(4)] == ["0.0625", "0.1875", "0.1875", "0.0625"]
    assert [t[2] for t in titles] == ["k4"]


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: tensors_scene({}), TypeError, r"^tensors must be a non-empty dict"),
    (lambda: tensors_scene([torch.ones(2, 2)]), TypeError, r"^tensors must be a non-empty dict"),
    (lambda: tensors_scene({"a": torch.ones(2)}), ValueError, r"^tensors\['a'\] must be \(H, W\), got shape \(2,\)"),
    (lambda: tensors_scene({"a": torch.ones(2, 2)}, "bias"), ValueError, r"^role must be one of"),
    (lambda: tensors_scene({1: torch.ones(2, 2)}), TypeError, r"^each title of tensors must be text"),
    (lambda: tensors_scene({"a": torch.ones(50, 2)}), ValueError, r"draws at most 40 cells a side"),
    (lambda: tensors_scene({"a": torch.ones(2, 2)}, caption="x"), TypeError, r"^caption must be a list"),
])
def test_tensors_scene_refuses_bad_input(call, error, message):
    raises_fast(error, message, call)


def test_notebook_07_uses_no_matplotlib_grid():
    """07's grid figures are SVG from scenes (draw_grid is gone from it)."""
    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "07_bilinear_upsampling.ipynb",
                       as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"\bdraw_grid\b|\bdraw_overlap\b", code)
