"""The scatter of 06 as scenes: values against F.conv_transpose2d, links against autograd, the steps,
the SVG read back, the panel swept over its sliders, and the kernel-side time per update."""

from __future__ import annotations

import json
import random
import time
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as F

from course_utils import (
    example_input,
    example_kernel,
    scatter_explorer,
    scatter_figure,
    scatter_scene,
    scatter_sum_figure,
    zero_insertion_figure,
)
from course_utils.draw.figures import Diagram, scene_figure
from course_utils.draw.svg import TITLE_PX, _text_width, scene_svg, view_steps
from course_utils.panels.view import scene_markup
from course_utils.scenes._scene import check_scene, format_value
from course_utils.scenes.scatter import scatter_step_scene, scatter_sum_scene, zero_insertion_scene

NS = {"s": "http://www.w3.org/2000/svg"}


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def _random_setting(rng: random.Random):
    """A setting PyTorch accepts, with ints or pairs for each argument and a canvas a diagram can draw."""
    while True:
        h, w, kh, kw = (rng.randint(1, 4) for _ in range(4))
        args = {}
        for name, lo, hi in (("stride", 1, 3), ("dilation", 1, 3), ("padding", 0, 3)):
            args[name] = rng.randint(lo, hi) if rng.random() < 0.5 else (rng.randint(lo, hi), rng.randint(lo, hi))
        s, d = _pair(args["stride"]), _pair(args["dilation"])
        op = tuple(rng.randint(0, max(s[a], d[a]) - 1) for a in (0, 1))
        args["output_padding"] = op if rng.random() < 0.5 or op[0] != op[1] else op[0]
        try:
            out = F.conv_transpose2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), **args)
        except RuntimeError:
            continue
        if out.numel():  # torch gives an empty result where padding crops everything; the scene refuses
            return (h, w), (kh, kw), args


def _grid(scene, name):
    return next((g for g in scene["grids"] if g["name"] == name), None)


def _nonzero(t):
    return {(int(a), int(b)) for a, b in t.nonzero().tolist()}


def _cells(ids, grid_name):
    return {tuple(int(v) for v in c.split("/")[1:]) for c in ids if c.split("/")[0] == grid_name}


SETTINGS = [_random_setting(random.Random(seed)) for seed in range(1000)]


def test_values_equal_torch_and_links_equal_autograd():
    """A thousand random settings (pairs, dilation, padding, output_padding): the output grid is
    F.conv_transpose2d; output cell (i, j) links exactly the inputs with a non-zero d out[i, j] / d x,
    and each input links exactly the outputs it has a non-zero gradient for (the transpose); the canvas
    (when there is one) is the uncropped result, linked the same way."""
    gen = torch.Generator().manual_seed(0)
    for size, kernel, args in SETTINGS:
        x = torch.rand(size, generator=gen, dtype=torch.float64) + 0.5  # no accidental zero
        w = torch.rand(kernel, generator=gen, dtype=torch.float64) + 0.5
        scene = check_scene(scatter_scene(x, w, **args))
        out = F.conv_transpose2d(x[None, None], w[None, None], **args)[0, 0]
        got = torch.tensor(_grid(scene, "output")["values"], dtype=torch.float64)
        torch.testing.assert_close(got, out)
        jac = torch.autograd.functional.jacobian(
            lambda t, w=w, args=args: F.conv_transpose2d(t[None, None], w[None, None], **args)[0, 0], x,
            vectorize=True)  # (oh, ow, h, w)
        links = scene["links"]
        for (i, j) in [(i, j) for i in range(out.shape[0]) for j in range(out.shape[1])]:
            assert _cells(links.get(f"output/{i}/{j}", []), "input") == _nonzero(jac[i, j]), (size, kernel, args, i, j)
        for (a, b) in [(a, b) for a in range(size[0]) for b in range(size[1])]:
            assert _cells(links[f"input/{a}/{b}"], "output") == _nonzero(jac[:, :, a, b]), (size, kernel, args, a, b)
        canvas = _grid(scene, "sum")
        full_args = {**args, "padding": 0}
        full = F.conv_transpose2d(x[None, None], w[None, None], **full_args)[0, 0]
        if canvas is None:  # nothing cropped: the output is the whole canvas
            assert full.shape == out.shape
            continue
        torch.testing.assert_close(torch.tensor(canvas["values"], dtype=torch.float64), full)
        jac_full = torch.autograd.functional.jacobian(
            lambda t, w=w, a=full_args: F.conv_transpose2d(t[None, None], w[None, None], **a)[0, 0], x,
            vectorize=True)
        for r in range(full.shape[0]):
            for c in range(full.shape[1]):
                assert _cells(links.get(f"sum/{r}/{c}", []), "input") == _nonzero(jac_full[r, c])
        for a in range(size[0]):
            for b in range(size[1]):
                assert _cells(links[f"input/{a}/{b}"], "sum") == _nonzero(jac_full[:, :, a, b])


def test_dilation_holes_are_not_linked():
    """float64 weights of 1: a dilated kernel's holes touch nothing (the gradient there is exactly 0)."""
    x, w = torch.ones(3, 3, dtype=torch.float64), torch.ones(2, 3, dtype=torch.float64)
    scene = scatter_scene(x, w, stride=(2, 1), dilation=(3, 2), padding=(0, 1))
    jac = torch.autograd.functional.jacobian(
        lambda t: F.conv_transpose2d(t[None, None], w[None, None], stride=(2, 1), dilation=(3, 2),
                                     padding=(0, 1))[0, 0], x)
    for a in range(3):
        for b in range(3):
            assert _cells(scene["links"][f"input/{a}/{b}"], "output") == _nonzero(jac[:, :, a, b])
            assert len(_cells(scene["links"][f"input/{a}/{b}"], "sum")) == 6  # every tap on the canvas


def test_steps_one_per_input_element_and_partial_sums_equal_torch():
    """One step per input element in row-major order; each step lights exactly its source's links;
    its patch holds the sum of the copies so far (masked input through torch), the copy x[a,b]·w,
    and after the last step the output equals F.conv_transpose2d."""
    gen = torch.Generator().manual_seed(1)
    for size, kernel, args in SETTINGS[:200]:
        x = torch.randn(size, generator=gen, dtype=torch.float64)
        w = torch.randn(kernel, generator=gen, dtype=torch.float64)
        scene = scatter_scene(x, w, **args)
        steps = scene["steps"]
        assert [s["source"] for s in steps] == [f"input/{a}/{b}" for a in range(size[0]) for b in range(size[1])]
        assert scene["step"] == 0
        kernel_cells = {f"kernel/{u}/{v}" for u in range(kernel[0]) for v in range(kernel[1])}
        patched = {"copy", "output"} | ({"sum"} if _grid(scene, "sum") else set())
        for k, step in enumerate(steps):
            assert step["cells"] == scene["links"][step["source"]]
            assert step["cells"], "every step lights where its copy lands (the canvas when the crop drops it)"
            assert kernel_cells <= set(step["also"])
            assert set(step["patch"]) == patched
            a, b = divmod(k, size[1])
            mask = torch.zeros_like(x).flatten()
            mask[: k + 1] = 1
            partial = F.conv_transpose2d((x * mask.reshape(size))[None, None], w[None, None], **args)[0, 0]
            reached = torch.zeros_like(mask)
            reached[: k + 1] = 1
            touched = F.conv_transpose2d(reached.reshape(size)[None, None], torch.ones_like(w)[None, None],
                                         **args)[0, 0] > 0
            never = F.conv_transpose2d(torch.ones_like(x)[None, None], torch.ones_like(w)[None, None],
                                       **args)[0, 0] == 0
            values, kinds = step["patch"]["output"]["values"], step["patch"]["output"]["kinds"]
            for i in range(partial.shape[0]):
                for j in range(partial.shape[1]):
                    if touched[i, j] or never[i, j]:
                        assert values[i][j] == pytest.approx(float(partial[i, j]), abs=1e-9)
                        assert kinds[i][j] == ("inserted" if never[i, j] else "data")
                    else:
                        assert values[i][j] is None and kinds[i][j] == "empty"
            copy = step["patch"]["copy"]
            pairs = [(v, kind) for row, kr in zip(copy["values"], copy["kinds"], strict=True)
                     for v, kind in zip(row, kr, strict=True)]
            taps = [v for v, kind in pairs if kind == "data"]
            torch.testing.assert_close(torch.tensor(taps, dtype=torch.float64), (x[a, b] * w).flatten())
            assert all(v == 0.0 for v, kind in pairs if kind != "data")  # a dilated kernel's holes
        last = steps[-1]["patch"]["output"]["values"]
        torch.testing.assert_close(torch.tensor(last, dtype=torch.float64),
                                   F.conv_transpose2d(x[None, None], w[None, None], **args)[0, 0])


def test_first_step_is_visible_even_when_x00_is_zero():
    """The worked example's first element is 0: its copy is all zeros, yet the first frame writes those
    zeros where they land and lights them, so Play's first step shows something."""
    scene = scatter_scene(example_input(2), example_kernel(2), stride=2)
    frame = view_steps(scene)[0]
    assert frame["focus"] == ["input/0/0"]
    assert set(frame["lit"]) >= {"output/0/0", "output/0/1", "output/1/0", "output/1/1"}
    assert [frame["set"][f"output/{i}/{j}"] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))] == [["0", "data"]] * 4
    assert frame["set"]["output/3/3"] == ["", "empty"]
    assert frame["text"].startswith("step 1 of 4: x[0,0] = 0 scales the kernel")


def test_titles_never_count_a_copy_twice():
    """Issue 11: the picture read 'copy + sum of k copies -> output'. No grid after the copy is joined
    to it by '+': the copy goes into the running sum (an arrow), the output is that sum."""
    for args in ({}, {"padding": 1}):
        scene = scatter_scene(example_input(2), example_kernel(2), **args)
        assert [g.get("symbol") for g in scene["grids"]][2:] == ["→"] * (len(scene["grids"]) - 2)


def _check_svg(scene, step=None):
    """Parse the SVG back: every cell's text is format_value of the (patched) value, ids unique, titles
    on one line do not overlap (estimated with the renderer's own width rule)."""
    markup = scene_svg(scene, step)
    root = ET.fromstring(markup)
    patch = scene["steps"][scene["step"] if step is None else step]["patch"] if scene.get("steps") else {}
    ids = [g.get("data-cell") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-cell")]
    assert len(ids) == len(set(ids))
    texts = {g.get("data-cell"): (g.find("s:text", NS).text or "") for g in root.iter("{http://www.w3.org/2000/svg}g")
             if g.get("data-cell")}
    for g in scene["grids"]:
        content = patch.get(g["name"], g)
        for r, row in enumerate(content["values"]):
            for c, v in enumerate(row):
                want = "" if content["kinds"][r][c] == "empty" else format_value(v)
                assert texts[f"{g['name']}/{r}/{c}"] == want
    lines: dict[str, list[tuple[float, float]]] = {}
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("class") == "t":
            half = _text_width(t.text, TITLE_PX) / 2
            lines.setdefault(t.get("y"), []).append((float(t.get("x")) - half, float(t.get("x")) + half))
    for spans in lines.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, spans
    return markup


def test_svg_parsed_back_every_step():
    for size, kernel, args in SETTINGS[:30]:
        scene = scatter_scene(example_input(4)[: size[0], : size[1]], example_kernel(4)[: kernel[0], : kernel[1]],
                              **args)
        for step in range(len(scene["steps"])):
            _check_svg(scene, step)
        json.dumps(scene)  # plain data


def test_smallest_setting_titles_do_not_overlap():
    for n, k in ((1, 1), (1, 2), (2, 1)):
        for args in ({}, {"output_padding": 1, "dilation": 2}, {"stride": 3, "padding": 1}):
            try:
                scene = scatter_scene(example_input(n), example_kernel(k), **args)
            except ValueError:
                continue
            _check_svg(scene)


@pytest.mark.parametrize(("x", "w", "kwargs"), [
    (None, None, {}), (None, None, {"stride": 2}), (None, None, {"stride": (1, 2)}), (None, None, {"stride": 3}),
    (None, None, {"dilation": 2}), (None, None, {"padding": 1}), (None, None, {"stride": 2, "output_padding": 1}),
    (None, None, {"stride": 2, "padding": 1, "output_padding": 1}),
    (torch.randn(3, 2, generator=torch.Generator().manual_seed(3)), torch.randn(2, 3), {"stride": (2, 1),
                                                                                        "dilation": (1, 2)}),
])
def test_static_figures_are_svg_from_scenes_equal_to_torch(x, w, kwargs):
    xx = example_input(2) if x is None else x
    ww = example_kernel(2) if w is None else w
    expected = F.conv_transpose2d(xx[None, None], ww[None, None], **kwargs)[0, 0]
    sums = scatter_sum_scene(xx, ww, **kwargs)
    out = _grid(sums, "output") or _grid(sums, "sum")
    torch.testing.assert_close(torch.tensor(out["values"]), expected)
    n = xx.numel()
    assert sum(1 for g in sums["grids"] if g["name"].startswith("copy")) == n
    _check_svg(sums)
    for step in range(1, n + 1):  # counted from 1, as the player counts: step n has n copies added
        scene = scatter_step_scene(xx, ww, step=step, **kwargs)
        _check_svg(scene)
        assert scene["step"] == step - 1 and len(scene["steps"]) == n
        assert scene["steps"][step - 1]["text"].startswith(f"step {step} of {n}")
        assert scene_figure(scene).text.endswith(f"step {step} of {n}")  # the text form counts the same
        assert scene["steps"] == scatter_scene(xx, ww, **kwargs)["steps"]  # the player's frames
    final = scatter_step_scene(xx, ww, **kwargs)
    final = final["steps"][final["step"]]["patch"]["output"]["values"]
    torch.testing.assert_close(torch.tensor(final), expected)
    for make in (scatter_figure, scatter_sum_figure):
        figure = make(x, w, **kwargs)
        assert isinstance(figure, Diagram) and figure.data.startswith("<svg")
    if all(isinstance(v, int) for v in kwargs.values()):
        zi = zero_insertion_scene(xx, ww, **kwargs)
        torch.testing.assert_close(torch.tensor(_grid(zi, "output")["values"]), expected)
        _check_svg(zi)
        assert isinstance(zero_insertion_figure(x, w, **kwargs), Diagram)


def test_zero_insertion_kinds():
    zi = zero_insertion_scene(example_input(2), example_kernel(2), stride=2, padding=1, output_padding=1)
    kinds = _grid(zi, "input")["kinds"]  # pad 2*(2-1) - 1 = 0 before, 1 after: [x, 0, x, pad]
    assert kinds == [["data", "inserted", "data", "padding"], ["inserted"] * 3 + ["padding"],
                     ["data", "inserted", "data", "padding"], ["padding"] * 4]


def test_figures_draw_every_dtype_like_float32():
    x, w = torch.tensor([[0.0, 1], [2, 3]]), torch.tensor([[1.0, 2], [3, 4]])
    for make in (lambda t: t.long(), lambda t: t.half(), lambda t: t.double(), lambda t: t.clone().requires_grad_()):
        for draw, kwargs in ((scatter_figure, {"step": 3, "stride": 2}), (scatter_sum_figure, {"padding": 1}),
                             (zero_insertion_figure, {"stride": 2, "padding": 1, "output_padding": 1})):
            assert draw(make(x), make(w), **kwargs).data == draw(x, w, **kwargs).data, draw.__name__


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: scatter_figure(step=5), ValueError, r"^step must be a whole number from 1 to 4 \(the player's step n"),
    (lambda: scatter_figure(step=0), ValueError, r"^step must be a whole number from 1 to 4 .*, got 0$"),
    (lambda: scatter_figure(step=True), ValueError, r"^step must be a whole number from 1 to 4"),
    (lambda: scatter_sum_figure(stride=2, output_padding=2), ValueError,
     r"^output_padding \(2\) must be smaller than stride \(2\) or dilation \(1\)$"),
    (lambda: zero_insertion_figure(output_padding=1), ValueError, r"^output_padding \(1\) must be smaller than stride"),
    (lambda: scatter_figure(stride=10**9), ValueError, r"make a 1000000002 x 1000000002 canvas; a diagram draws"),
    (lambda: scatter_figure(dilation=(1, 10**9)), ValueError, r"make a 3 x 1000000002 canvas"),
    (lambda: scatter_figure(torch.ones(100, 100)), ValueError, r"^x is \(100, 100\): a diagram draws at most 40"),
    (lambda: scatter_figure(torch.tensor([[0.0, float("nan")]])), ValueError, r"^x must be finite"),
    (lambda: scatter_figure(torch.ones(1, 1, 2, 2)), ValueError, r"^x must be \(H, W\), got shape \(1, 1, 2, 2\)"),
    (lambda: scatter_figure(stride="2"), TypeError, r"^stride must be a whole number, got '2'"),
    (lambda: scatter_figure(padding=3), ValueError, r"^padding \(3\) crops 6 from a full output of 3"),
    (lambda: scatter_sum_figure(torch.ones(5, 5)), ValueError, r"^x is \(5, 5\): this figure draws one kernel copy"),
    (lambda: zero_insertion_figure(stride=(1, 2)), TypeError, r"^stride must be a whole number, got \(1, 2\)"),
    (lambda: scatter_scene(example_input(2), example_kernel(2), stride=(2, 2), output_padding=(0, 2)), ValueError,
     r"^output_padding\[1\] \(2\) must be smaller than stride"),
])
def test_figures_refuse_bad_input_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5


# -- the panel ------------------------------------------------------------------------------------


def test_panel_sweep_every_setting_draws_or_explains():
    """Every reachable setting of the six sliders: a scene equal to torch, or one sentence naming the
    argument as the learner sees it (never output_padding[0]); no control value ever changes."""
    explorer = scatter_explorer()
    seen = refused = 0
    for values in explorer.sweep():
        seen += 1
        assert explorer.unexpected is None, (values, explorer.unexpected)
        assert explorer.values == values
        if explorer.message:
            refused += 1
            assert explorer.markup == "" and "[" not in explorer.message, explorer.message
            assert explorer.message.split(" ")[0] in ("output_padding", "padding"), explorer.message
            continue
        n, k = values["input_size"], values["kernel_size"]
        args = dict(stride=values["stride"], padding=values["padding"], output_padding=values["output_padding"],
                    dilation=values["dilation"])
        expected = F.conv_transpose2d(example_input(n)[None, None], example_kernel(k)[None, None], **args)[0, 0]
        torch.testing.assert_close(torch.tensor(_grid(explorer.scene, "output")["values"]), expected)
        assert explorer.markup.startswith("<svg") and f"= {expected.shape[0]}" in explorer.caption
    assert seen == 4 * 3 * 3 * 2 * 3 * 4 and 0 < refused < seen


def test_panel_message_names_the_argument_as_shown():
    explorer = scatter_explorer(stride=2)
    explorer.set(output_padding=2)
    assert explorer.message == "output_padding (2) must be smaller than stride (2) or dilation (1)"
    assert explorer.values["output_padding"] == 2 and explorer.markup == ""
    explorer.set(output_padding=1)
    assert explorer.message == "" and explorer.markup


def test_panel_snapshot_and_caption():
    explorer = scatter_explorer(stride=2, output_padding=1)
    assert "H_out = W_out = (H-1)s - 2p + d(k-1) + output_padding + 1 = (2-1)*2 - 2*0 + 1*(2-1) + 1 + 1 = 5" \
        in explorer.caption
    assert "nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, output_padding=1, bias=False)" in explorer.caption
    picture = explorer.snapshot()
    assert isinstance(picture, Diagram) and 'data-cell="output/4/4"' in picture.data
    assert explorer.view.step == 0 and len(explorer.view.steps) == 4
    last = explorer.snapshot(step=4)  # the player's step 4 of 4, drawn by the same renderer
    assert last.data == scene_svg(explorer.scene, 3) and last.data != picture.data
    assert last.text.endswith("step 4 of 4") and picture.text.endswith("step 1 of 4")
    assert 's-focus" data-cell="input/1/1"' in last.data and 's-focus" data-cell="input/0/0"' in picture.data
    assert explorer.snapshot(step=1).data == picture.data
    # scatter_figure counts the same way: its step 4 is the panel's step 4
    assert scatter_figure(example_input(2), example_kernel(2), stride=2, step=4).text.endswith("step 4 of 4")
    for bad in (0, 5, True, 2.0):
        with pytest.raises(ValueError, match=r"^step must be a whole number from 1 to 4 \(the player's step n of 4\)"):
            explorer.snapshot(step=bad)


def _kernel_side_ms(values: dict) -> float:
    start = time.process_time()
    scene = scatter_scene(example_input(values["input_size"]), example_kernel(values["kernel_size"]),
                          values["stride"], values["padding"], values["output_padding"], values["dilation"])
    scene_markup(scene)
    return (time.process_time() - start) * 1000




def test_zero_insertion_figure_writes_cross_correlation_with_the_flipped_kernel():
    """The kernel is already flipped, so what follows is conv2d's sliding product-and-sum (⋆ of 02), not ``*``."""
    zi = zero_insertion_scene(example_input(2), example_kernel(2), stride=2, padding=1, output_padding=1)
    assert _grid(zi, "kernel")["symbol"] == "⋆" and _grid(zi, "kernel")["title"] == "flipped kernel"
    assert "*</text>" not in zero_insertion_figure(stride=2).data
