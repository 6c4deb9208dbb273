"""conv2d_scene (02, 03) against torch: values against F.conv2d, links and steps against autograd,
the SVG parsed back; and the groups grids against group_connections."""

from __future__ import annotations

import random
import warnings
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as F

from course_utils.draw.svg import TITLE_PX, _text_width, scene_svg
from course_utils.scenes._scene import check_scene, format_value
from course_utils.scenes.conv2d import (
    PADDING_MODES,
    conv2d_scene,
    group_connections,
    groups_grid,
    groups_scene,
)

SVG_NS = "{http://www.w3.org/2000/svg}"


def random_setting(rng: random.Random, channels: bool = False) -> dict:
    """A random setting that fits: sizes, tuples or ints, dilation, padding numbers, 'valid' or 'same'."""
    while True:
        c = rng.randint(1, 3) if channels else None
        h, w = rng.randint(1, 7), rng.randint(1, 7)
        kh, kw = rng.randint(1, 4), rng.randint(1, 4)
        pair = rng.random() < 0.5

        def arg(lo: int, hi: int, pair: bool = pair) -> object:
            return (rng.randint(lo, hi), rng.randint(lo, hi)) if pair else rng.randint(lo, hi)

        s, d = arg(1, 3), arg(1, 3)
        p = rng.choice([arg(0, 2), arg(0, 2), "valid", "same"])
        if p == "same":
            s = 1
        mode = rng.choice(list(PADDING_MODES))
        pads = (p, p) if not isinstance(p, tuple) else p
        if isinstance(p, str):
            pads = (0, 0) if p == "valid" else tuple(
                (dd * (k - 1) + 1) // 2 for dd, k in zip(d if isinstance(d, tuple) else (d, d), (kh, kw), strict=True))
        if mode == "reflect" and (pads[0] >= h or pads[1] >= w):
            continue
        if mode == "circular" and (pads[0] > h or pads[1] > w):
            continue
        dd = d if isinstance(d, tuple) else (d, d)
        pp = (0, 0) if p in ("valid",) else pads
        if p != "same" and (dd[0] * (kh - 1) + 1 > h + 2 * pp[0] or dd[1] * (kw - 1) + 1 > w + 2 * pp[1]):
            continue
        shape_x = (c, h, w) if channels else (h, w)
        shape_w = (c, kh, kw) if channels else (kh, kw)
        return {"shape_x": shape_x, "shape_w": shape_w, "stride": s, "padding": p, "dilation": d,
                "padding_mode": mode}


def torch_conv(x: torch.Tensor, weight: torch.Tensor, setting: dict) -> torch.Tensor:
    """What nn.Conv2d computes: one output channel, the padding mode applied as the layer does."""
    x3, w3 = x.reshape(-1, *x.shape[-2:]), weight.reshape(-1, *weight.shape[-2:])
    layer = torch.nn.Conv2d(x3.shape[0], 1, tuple(w3.shape[-2:]), setting["stride"], setting["padding"],
                            setting["dilation"], bias=False, padding_mode=setting["padding_mode"],
                            dtype=x.dtype)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        layer.weight.copy_(w3[None])
        return layer(x3[None])[0, 0]


def scene_of(x: torch.Tensor, weight: torch.Tensor, setting: dict, walk: bool = False) -> dict:
    return conv2d_scene(x, weight, setting["stride"], setting["padding"], setting["dilation"],
                        padding_mode=setting["padding_mode"], walk=walk)


def grid_named(scene: dict, name: str) -> dict:
    return next(g for g in scene["grids"] if g["name"] == name)


def test_values_equal_nn_conv2d_over_random_settings():
    """Output values equal nn.Conv2d's (every padding mode, one and several channels); the padded input
    is what F.pad gives."""
    rng = random.Random(0)
    for n in range(600):
        setting = random_setting(rng, channels=n % 2 == 1)
        x = torch.randint(-5, 6, setting["shape_x"]).double()
        w = torch.randint(-3, 4, setting["shape_w"]).double()
        scene = check_scene(scene_of(x, w, setting))
        out = torch.tensor(grid_named(scene, "output")["values"], dtype=torch.float64)
        torch.testing.assert_close(out, torch_conv(x, w, setting), rtol=0, atol=0)
        assert out.shape[0] * out.shape[1] == len(scene["steps"])


def test_padding_cells_hold_what_f_pad_puts_there():
    x = torch.arange(1.0, 10.0).reshape(3, 3)
    for mode, pad_mode in PADDING_MODES.items():
        scene = conv2d_scene(x, torch.ones(3, 3), padding=1, padding_mode=mode)
        grid = grid_named(scene, "input")
        expected = F.pad(x[None, None], (1, 1, 1, 1), mode=pad_mode)[0, 0]
        assert grid["values"] == expected.tolist(), mode
        assert [row.count("padding") for row in grid["kinds"]] == [5, 2, 2, 2, 5]


def padded_shape(scene: dict, name: str) -> tuple[int, int]:
    values = grid_named(scene, name)["values"]
    return len(values), len(values[0])


def test_links_and_steps_match_autograd_over_thousands_of_settings():
    """An output cell links exactly the padded-input cells with a non-zero gradient (float64, random
    non-zero values on the padded input, a kernel of ones: the holes of a dilated kernel get none)
    and every kernel cell (each has a non-zero gradient); an input cell links exactly the outputs
    that link it; one step per output cell in row-major order, lighting the same cells."""
    rng = random.Random(1)
    checked = 0
    for n in range(2000):
        setting = random_setting(rng, channels=n % 3 == 0)
        x = torch.randint(1, 5, setting["shape_x"]).double()
        w = torch.ones(setting["shape_w"], dtype=torch.float64)
        scene = scene_of(x, w, setting)
        channels = setting["shape_x"][0] if len(setting["shape_x"]) == 3 else None
        inputs = [f"input.{c}" for c in range(channels)] if channels else ["input"]
        kernels = [f"kernel.{c}" for c in range(channels)] if channels else ["kernel"]
        ph, pw = padded_shape(scene, inputs[0])
        padded = (torch.rand(len(inputs), ph, pw, dtype=torch.float64) + 0.5).requires_grad_()
        weight = (torch.rand(len(inputs), *setting["shape_w"][-2:], dtype=torch.float64) + 0.5).requires_grad_()
        s, d = setting["stride"], setting["dilation"]
        out = F.conv2d(padded[None], weight[None], stride=s, dilation=d)[0, 0]
        oh, ow = out.shape
        eye = torch.eye(oh * ow, dtype=torch.float64).reshape(oh * ow, oh, ow)
        g_in, g_w = torch.autograd.grad(out, (padded, weight), eye, is_grads_batched=True)
        steps = scene["steps"]
        assert [st["target"] for st in steps] == [f"output/{i}/{j}" for i in range(oh) for j in range(ow)]
        for k, step in enumerate(steps):
            i, j = divmod(k, ow)
            touched = {f"{inputs[c]}/{r}/{q}" for c, r, q in (g_in[k] != 0).nonzero().tolist()}
            taps = {f"{kernels[c]}/{u}/{v}" for c, u, v in (g_w[k] != 0).nonzero().tolist()}
            links = scene["links"][f"output/{i}/{j}"]
            assert len(links) == len(set(links))
            assert set(links) == touched | taps, setting
            assert set(step["cells"]) == touched and set(step["also"]) == taps
        reverse = {}
        for target in (st["target"] for st in steps):
            for cell in scene["links"][target]:
                if cell.startswith("input"):
                    reverse.setdefault(cell, []).append(target)
        assert {k: v for k, v in scene["links"].items() if k.startswith("input")} == reverse
        checked += 1
    assert checked == 2000


def test_walk_patches_fill_the_output_and_show_the_products():
    rng = random.Random(2)
    for n in range(150):
        setting = random_setting(rng, channels=n % 2 == 0)
        x = torch.randint(-3, 4, setting["shape_x"]).float()
        w = torch.randint(-2, 3, setting["shape_w"]).float()
        scene = check_scene(scene_of(x, w, setting, walk=True))
        out = grid_named(scene, "output")["values"]
        multi = len(setting["shape_x"]) == 3
        names = [f"products.{c}" for c in range(setting["shape_x"][0])] if multi else ["products"]
        inputs = [f"input.{c}" for c in range(len(names))] if multi else ["input"]
        padded = [grid_named(scene, name)["values"] for name in inputs]
        w3 = w.reshape(len(names), *w.shape[-2:]).tolist()
        width = len(out[0])
        for k, step in enumerate(scene["steps"]):
            i, j = divmod(k, width)
            patch = step["patch"]
            sums = [f"sum.{c}" for c in range(len(names))] if len(names) > 1 else []
            assert set(patch) == {*names, *sums, "output"}
            shown = patch["output"]["values"]
            for r, row in enumerate(shown):
                for q, v in enumerate(row):
                    done = r * width + q <= k
                    assert v == (out[r][q] if done else None)
                    assert patch["output"]["kinds"][r][q] == ("data" if done else "empty")
            # the products are input x weight at the cells the step lights; they add up to the output
            total = 0.0
            for c, name in enumerate(names):
                cells = [cell for cell in step["cells"] if cell.startswith(inputs[c] + "/")]
                taps = [padded[c][int(r)][int(q)] for r, q in (cell.split("/")[1:] for cell in cells)]
                kw = len(w3[c][0])
                products = patch[name]["values"]
                assert [p for row in products for p in row] == [
                    t * w3[c][m // kw][m % kw] for m, t in enumerate(taps)]
                total += sum(map(sum, products))
                if sums:  # each channel's sum, drawn on the line of the output
                    assert patch[f"sum.{c}"] == {"values": [[sum(map(sum, products))]], "kinds": [["data"]]}
            assert total == out[i][j]
            assert step["text"].startswith(f"output[{i},{j}] = ")
            assert f" = {format_value(out[i][j])}" in step["text"]


def test_step_text_lists_products_or_channel_sums():
    x = torch.tensor([[1.0, -2], [3, 4]])
    scene = conv2d_scene(x, torch.tensor([[2.0, 1], [-1, 1]]))
    assert scene["steps"][0]["text"] == "output[0,0] = 1·2 + (-2)·1 + 3·(-1) + 4·1 = 1"  # input·weight
    x3 = torch.ones(2, 3, 3)
    w3 = torch.stack([torch.ones(3, 3), -torch.ones(3, 3) * 2])
    text = conv2d_scene(x3, w3)["steps"][0]["text"]
    assert text == ("output[0,0] = sum 0 + sum 1 = 9 + (-18) = -9   (sum c adds the 3x3 products of channel c: "
                    "18 products in all)")


def titles_overlap(root: ET.Element) -> list[tuple[str, str]]:
    boxes = []
    for t in root.iter(f"{SVG_NS}text"):
        if t.get("class") == "t":
            w = _text_width(t.text or "", TITLE_PX)
            x, y = float(t.get("x")), float(t.get("y"))
            boxes.append((x - w / 2, x + w / 2, y, t.text))
    bad = []
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            l1, r1, y1, t1 = boxes[a]
            l2, r2, y2, t2 = boxes[b]
            if abs(y1 - y2) < TITLE_PX and l1 < r2 and l2 < r1:
                bad.append((t1, t2))
    return bad


def check_svg(scene: dict, step: int | None = None) -> ET.Element:
    """Every cell's text is format_value of the scene's value (or the step's patch); ids unique."""
    root = ET.fromstring(scene_svg(scene, step))
    patch = scene["steps"][scene["step"] if step is None else step].get("patch", {}) if scene["steps"] else {}
    values = {}
    for g in scene["grids"]:
        content = patch.get(g["name"], g)
        for r, row in enumerate(content["values"]):
            for c, v in enumerate(row):
                kind = content["kinds"][r][c]
                text = format_value(v) if (g.get("numbers", True) or g.get("shade")) and kind != "empty" else ""
                values[f"{g['name']}/{r}/{c}"] = text
    seen = []
    for cell in root.iter(f"{SVG_NS}g"):
        cid = cell.get("data-cell")
        if cid is None:
            continue
        seen.append(cid)
        text = cell.find(f"{SVG_NS}text").text or ""
        assert text == values[cid], (cid, text, values[cid])
    assert len(seen) == len(set(seen)) == len(values)
    assert not titles_overlap(root), titles_overlap(root)
    return root


def test_svg_parses_back_to_the_scene_values():
    rng = random.Random(3)
    for n in range(200):
        setting = random_setting(rng, channels=n % 2 == 0)
        x = torch.randint(-9, 10, setting["shape_x"]).float()
        w = torch.randint(-3, 4, setting["shape_w"]).float()
        scene = scene_of(x, w, setting, walk=n % 4 == 0)
        check_svg(scene)
        if n % 4 == 0:
            check_svg(scene, len(scene["steps"]) - 1)


def test_groups_grids_match_group_connections():
    for cin, cout, g in [(4, 8, 1), (4, 8, 2), (4, 8, 4), (6, 3, 3), (8, 8, 8)]:
        mask = group_connections(cin, cout, g).tolist()
        for transpose in (False, True):
            grid, links = groups_grid(cin, cout, g, "t", transpose=transpose)
            seen = [[k == "data" for k in row] for row in grid["kinds"]]
            expected = [list(col) for col in zip(*mask, strict=True)] if transpose else mask
            assert seen == [[bool(v) for v in row] for row in expected]
            for o in range(cout):
                for i in range(cin):
                    r, c = (i, o) if transpose else (o, i)
                    lit = {tuple(map(int, cell.split("/")[1:])) for cell in links[f"groups/{r}/{c}"]}
                    assert lit == {((ii, o) if transpose else (o, ii)) for ii in range(cin) if mask[o][ii]}
    scene = check_scene(groups_scene(8, 8, (1, 2, 8), 3))
    assert [g["title"] for g in scene["grids"]] == ["groups=1: 576 weights", "groups=2: 288 weights",
                                                    "groups=8: 72 weights"]
    check_svg(scene)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x": torch.ones(3, 3), "weight": torch.ones(3, 3), "padding": "same", "stride": 2}, ValueError,
         r"^padding='same' needs stride 1"),
        ({"x": torch.ones(3, 3), "weight": torch.ones(3, 3), "dilation": 2}, ValueError,
         r"^input height 3: kernel_size \(3 with dilation 2 spans 5\) is larger than the padded input"),
        ({"x": torch.ones(5, 2), "weight": torch.ones(3, 3)}, ValueError, r"^input width 2: kernel_size \(3\)"),
        ({"x": torch.ones(2, 3, 3), "weight": torch.ones(3, 3, 3)}, ValueError, r"^weight has 3 channels and x 2"),
        ({"x": torch.ones(3, 3), "weight": torch.ones(1, 1), "walk": 1}, TypeError, r"^walk must be True or False"),
        ({"x": torch.ones(2, 2), "weight": torch.ones(1, 1), "padding": 2, "padding_mode": "reflect"}, ValueError,
         r"^padding_mode='reflect' needs padding \(2\) smaller than the input's height \(2\)"),
    ],
)
def test_scene_messages(kwargs, error, match):
    with pytest.raises(error, match=match):
        conv2d_scene(**kwargs)


def test_the_caption_names_every_row_no_window_reads_as_autograd_finds_them():
    """'never read' in the caption: the input rows whose gradient is zero (a kernel of ones), inner ones included
    (a stride larger than the kernel's span), and the padding rows no window reaches."""
    import re

    rng = random.Random(5)
    for _ in range(300):
        h, k, s, p, d = rng.randint(1, 12), rng.randint(1, 4), rng.randint(1, 4), rng.randint(0, 2), rng.randint(1, 3)
        if h + 2 * p < d * (k - 1) + 1:
            continue
        scene = conv2d_scene(torch.ones(h, 3), torch.ones(k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1))
        x = torch.ones(1, 1, h, 3, requires_grad=True)
        F.conv2d(x, torch.ones(1, 1, k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1)).sum().backward()
        zero = [r for r in range(h) if x.grad[0, 0, r, 0] == 0]
        line = scene["caption"][0]
        said = re.search(r"never read: input rows? ([\d, ]+)", line)
        last = re.search(r"the last (\d+) input rows? ", line)
        if said:
            named = [int(v) for v in said.group(1).split(", ")]
        elif last:
            named = list(range(h - int(last.group(1)), h))
        else:
            named = []
        assert named == zero, (h, k, s, p, d, line)
