"""The conv-matrix scene and panel of 05 (scenes/matrix.py, panels/matrix.py) against torch and autograd."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
import torch
import torch.nn.functional as F
from test_scene_receptive import svg_checks

from course_utils import conv2d_matrix, conv_matrix_explorer, conv_matrix_figure, conv_output_size
from course_utils.conv.transposed import matching_output_padding
from course_utils.draw.svg import scene_svg
from course_utils.scenes._scene import check_scene
from course_utils.scenes.matrix import conv_matrix_scene

SVG_NS = "{http://www.w3.org/2000/svg}"


def grid_of(scene: dict, name: str) -> dict:
    return next(g for g in scene["grids"] if g["name"] == name)


def linked(scene: dict, cell: str, name: str) -> set[str]:
    return {c for c in scene["links"].get(cell, []) if c.startswith(name + "/")}


def random_setting(rng: random.Random) -> tuple:
    while True:
        size = (rng.randint(1, 6), rng.randint(1, 6))
        kernel = (rng.randint(1, 4), rng.randint(1, 4))
        s, p, d = [(rng.randint(1, 3), rng.randint(1, 3)), (rng.randint(0, 2), rng.randint(0, 2)),
                   (rng.randint(1, 3), rng.randint(1, 3))]
        try:
            conv_output_size(size, kernel, s, p, d)
        except ValueError:
            continue
        return size, kernel, s, p, d


def check_matrix(size, kernel, s, p, d, transposed: bool) -> None:
    torch.manual_seed(hash((size, kernel, s, p, d)) % 2**31)
    w = (torch.rand(kernel, dtype=torch.float64) + 0.5) * torch.where(torch.rand(kernel) < 0.5, -1.0, 1.0)
    scene = check_scene(conv_matrix_scene(w, size, s, p, d, transposed))
    C = conv2d_matrix(w, size, s, p, d)
    ho, wo = conv_output_size(size, kernel, s, p, d)
    h, wi = size
    matrix = grid_of(scene, "matrix")
    assert torch.equal(torch.tensor(matrix["values"], dtype=torch.float64), C.T if transposed else C)
    assert [[k == "data" for k in row] for row in matrix["kinds"]] == ((C.T if transposed else C) != 0).tolist()
    assert grid_of(scene, "kernel")["values"] == w.tolist()
    if not transposed:
        # a row of C: exactly the inputs with a non-zero gradient of that output (autograd, random weights)
        jac = torch.autograd.functional.jacobian(
            lambda x: F.conv2d(x[None, None], w[None, None], stride=s, padding=p, dilation=d).flatten(),
            torch.randn(size, dtype=torch.float64), vectorize=True).reshape(ho * wo, h * wi)
        nonzero = (jac != 0).tolist()
        for i in range(ho * wo):
            window = {f"input/{j // wi}/{j % wi}" for j in range(h * wi) if nonzero[i][j]}
            for j in range(h * wi):  # any cell of the row
                cell = f"matrix/{i}/{j}"
                assert linked(scene, cell, "input") == window
                assert linked(scene, cell, "output") == {f"output/{i // wo}/{i % wo}"}
                assert linked(scene, cell, "matrix") == {f"matrix/{i}/{q}" for q in range(h * wi) if nonzero[i][q]}
            assert linked(scene, f"output/{i // wo}/{i % wo}", "input") == window
        for j in range(h * wi):  # the reverse: an input cell lights the outputs it feeds
            feeds = {f"output/{i // wo}/{i % wo}" for i in range(ho * wo) if nonzero[i][j]}
            assert linked(scene, f"input/{j // wi}/{j % wi}", "output") == feeds
        steps = scene["steps"]
        assert [st["target"] for st in steps] == [f"output/{i // wo}/{i % wo}" for i in range(ho * wo)]
        for st in steps:
            assert set(st["cells"]) == linked(scene, st["target"], "input")
    else:
        # a column of C.T: where one input element's scaled kernel copy lands (the scatter, F.conv_transpose2d)
        op = matching_output_padding(size, kernel, s, p, d)
        for a in range(ho * wo):
            y = torch.zeros(ho * wo, dtype=torch.float64)
            y[a] = 1.0
            copy = F.conv_transpose2d(y.reshape(1, 1, ho, wo), w[None, None], stride=s, padding=p,
                                      output_padding=op, dilation=d)[0, 0]
            assert copy.shape == size
            lands = {f"output/{r}/{c}" for r, c in (copy != 0).nonzero().tolist()}
            torch.testing.assert_close(copy.flatten(), C.T[:, a])  # the column is the copy
            for j in range(h * wi):
                assert linked(scene, f"matrix/{j}/{a}", "output") == lands
                assert linked(scene, f"matrix/{j}/{a}", "input") == {f"input/{a // wo}/{a % wo}"}
            assert linked(scene, f"input/{a // wo}/{a % wo}", "output") == lands
            for cell in lands:
                assert f"input/{a // wo}/{a % wo}" in linked(scene, cell, "input")
            step = scene["steps"][a]
            assert step["source"] == f"input/{a // wo}/{a % wo}" and set(step["cells"]) == lands
        assert len(scene["steps"]) == ho * wo
    # the kernel cell (u, v) lights the entries of C it fills
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            cells = linked(scene, f"kernel/{u}/{v}", "matrix")
            values = {matrix["values"][int(c.split("/")[1])][int(c.split("/")[2])] for c in cells}
            assert values <= {w[u, v].item()}


def test_conv_matrix_scene_against_autograd_and_the_scatter():
    rng = random.Random(11)
    fixed = [((4, 4), (3, 3), (1, 1), (0, 0), (1, 1)), ((4, 4), (3, 3), (1, 1), (1, 1), (1, 1)),
             ((5, 5), (1, 1), (1, 1), (2, 2), (1, 1)), ((8, 8), (3, 3), (2, 2), (1, 1), (1, 1))]
    settings = fixed + [random_setting(rng) for _ in range(1000)]
    for n, setting in enumerate(settings):
        check_matrix(*setting, transposed=n % 2 == 1)


def test_flattened_order_and_alignment():
    scene = conv_matrix_scene(torch.arange(1.0, 10.0).reshape(3, 3), 4)
    assert grid_of(scene, "input")["values"] == torch.arange(16.0).reshape(4, 4).tolist()  # x0..x15
    assert grid_of(scene, "output")["values"] == [[0.0, 1.0], [2.0, 3.0]]  # positions y0..y3, not values
    assert grid_of(scene, "input.flat")["values"] == [list(map(float, range(16)))]
    # the flattened input's cells sit over the matrix's columns
    for setting in ((4, 1, 0), (4, 1, 1), (5, 1, 2), (2, 1, 0), (5, 3, 0)):
        n, stride, padding = setting
        for transposed in (False, True):
            root = ET.fromstring(scene_svg(conv_matrix_scene(torch.ones(1, 1) if n == 5 and padding == 2
                                                             else torch.ones(2, 2), n, stride, padding,
                                                             transposed=transposed)))
            xs: dict[str, dict[str, str]] = {}
            for cell in root.iter(SVG_NS + "g"):
                cid = cell.get("data-cell")
                if cid and cid.split("/")[0] in ("input.flat", "matrix"):
                    xs.setdefault(cid.split("/")[0], {})[cid.split("/")[2]] = cell.find(SVG_NS + "rect").get("x")
            assert all(xs["matrix"][c] == x for c, x in xs["input.flat"].items()), setting


def test_svg_reads_back():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    for args in ((4,), (4, 1, 1), (5, 1, 1), (4, 2, 1), (8, 2, 1), (2, 1, 1)):
        for transposed in (False, True):
            svg_checks(conv_matrix_scene(w, *args, transposed=transposed))
    svg_checks(conv_matrix_scene(torch.ones(1, 1), 5, 1, 2))
    svg_checks(conv_matrix_scene(torch.tensor([[0.125, -2.5], [1e-3, 3.0]]), 3, 1, 1))


def test_captions():
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    c = conv_matrix_scene(w, 4, padding=1)["caption"]
    assert c[:2] == ["input 4x4 (flattened: 16) -> output 4x4 (flattened: 16)",
                     "C is 16 x 16: 100 kernel values, 156 zeros (61% zeros)"]
    assert c[3] == "C @ x.flatten() == F.conv2d(x, w, stride=1, padding=1, dilation=1).flatten()"
    t = conv_matrix_scene(w, 8, 2, 1, transposed=True)["caption"]
    assert "F.conv_transpose2d(y, w, stride=2, padding=1, dilation=1, output_padding=1)" in t[3]
    assert all(len(line) <= 110 for line in c + t)


def test_figure_and_refusals():
    assert "<svg" in conv_matrix_figure().data
    assert "<svg" in conv_matrix_figure(torch.ones(2, 2), 3, transposed=True).data
    for call, error, match in [
        (lambda: conv_matrix_figure(torch.ones(2, 3)), ValueError, r"square \(k, k\) kernel"),
        (lambda: conv_matrix_figure(torch.ones(9, 9), 9), ValueError, r"k at most 8, got \(9, 9\)"),
        (lambda: conv_matrix_figure(input_size=10**9), ValueError, r"^input_size .* at most 100 rows"
                                                                     r"|^C would be"),
        (lambda: conv_matrix_figure(padding=10**9), ValueError, r"^C would be"),
        (lambda: conv_matrix_figure(dilation=10**9), ValueError, r"dilation"),
        (lambda: conv_matrix_figure(torch.tensor([[1.0, float("nan")], [0, 1]])), ValueError, r"^weight must be finite"),
        (lambda: conv_matrix_figure(torch.ones(3, 3), input_size=2.0), TypeError, r"^input_size must be a whole number"),
        (lambda: conv_matrix_figure([[1, 2], [3, 4]]), TypeError, r"^weight must be a torch.Tensor"),
        (lambda: conv_matrix_figure(transposed="yes"), TypeError, r"^transposed must be True or False"),
        (lambda: conv_matrix_explorer(input_size=2, kernel_size=4), ValueError, r"kernel"),
        (lambda: conv_matrix_explorer(padding=3), ValueError, r"^padding must be between 0 and 2 in this panel"),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_explorer_sweep_keeps_values_and_is_fast():
    explorer = conv_matrix_explorer()
    explorer.render_ms.clear()
    drawn = refused = 0
    for values in explorer.sweep(choices={"stride": [1, 2], "dilation": [1, 3]}):
        assert explorer.unexpected is None, (values, explorer.message)
        assert explorer.values == values
        if explorer.message:
            assert explorer.markup == "" and "\n" not in explorer.message
            refused += 1
        else:
            assert explorer.markup.startswith("<svg")
            grid = grid_of(explorer.scene, "matrix")
            rows = len(grid["values"])
            n_out = conv_output_size(values["input_size"], values["kernel_size"], values["stride"],
                                     values["padding"], values["dilation"]) ** 2
            assert rows == (values["input_size"] ** 2 if values["transposed"] else n_out)
            drawn += 1
    assert drawn > 0 and refused > 0
    assert explorer.values == {"input_size": 4, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1,
                               "transposed": False}


def test_flattened_output_column_stays_beside_the_matrix_over_the_panels_range():
    """``y = C @ x`` reads left to right: the flattened output's column is drawn on the matrix's line, its
    cells level with the rows they belong to, for every setting the panel can show (numbered or shaded)."""
    explorer = conv_matrix_explorer()
    numbered = shaded = 0
    for values in explorer.sweep():
        if explorer.message:
            continue
        root = ET.fromstring(explorer.markup)
        tops: dict[str, dict[str, str]] = {}
        lefts: dict[str, float] = {}
        for cell in root.iter(SVG_NS + "g"):
            cid = cell.get("data-cell")
            if cid and cid.split("/")[0] in ("matrix", "output.flat"):
                name, row, col = cid.split("/")
                rect = cell.find(SVG_NS + "rect")
                if name == "output.flat" or col == "0":
                    tops.setdefault(name, {})[row] = rect.get("y")
                lefts[name] = max(lefts.get(name, 0.0), float(rect.get("x")))
        assert tops["output.flat"] == tops["matrix"], values  # row i of the column level with row i of C
        assert lefts["output.flat"] > lefts["matrix"], values  # and to its right
        numbers = grid_of(explorer.scene, "matrix").get("numbers", True)
        numbered, shaded = numbered + numbers, shaded + (not numbers)
    assert numbered > 0 and shaded > 0


def test_numbered_up_to_25_rows_and_22_columns_as_notebook_05_says():
    def shape_and_numbers(size: tuple[int, int], kernel: int, padding: int = 0) -> tuple[int, int, bool]:
        g = grid_of(conv_matrix_scene(torch.ones(kernel, kernel), size, padding=padding), "matrix")
        return len(g["values"]), len(g["values"][0]), g.get("numbers", True)

    assert shape_and_numbers((2, 11), 1) == (22, 22, True)
    assert shape_and_numbers((1, 23), 1) == (23, 23, False)  # 23 columns: shaded
    assert shape_and_numbers((5, 5), 3) == (9, 25, False)  # a 5x5 input already gives 25 columns
    assert shape_and_numbers((1, 5), 1, padding=2) == (45, 5, False)  # 45 rows: shaded
    assert shape_and_numbers((5, 5), 1) == (25, 25, False) and shape_and_numbers((4, 4), 3, 1) == (16, 16, True)
    tall = [(h, w, p) for h in range(1, 6) for w in range(1, 23) for p in range(3)
            if (h + 2 * p) * (w + 2 * p) == 25 and h * w <= 22]
    assert tall and all(shape_and_numbers((h, w), 1, p)[2] for h, w, p in tall)  # 25 rows: still numbered


def test_the_flattened_output_column_says_it_holds_positions():
    """The column beside C numbers the elements of y (row i makes y_i); its title says so, not ``y = C @ x``."""
    w = torch.arange(1.0, 10.0).reshape(3, 3)
    scene = conv_matrix_scene(w, 4)
    column = grid_of(scene, "output.flat")
    assert column["title"] == "y index" and column["values"] == [[0.0], [1.0], [2.0], [3.0]]
    assert (conv2d_matrix(w, 4) @ torch.arange(16.0)).tolist() == [303.0, 348.0, 483.0, 528.0]  # the values
    transposed = conv_matrix_scene(w, 4, transposed=True)
    assert grid_of(transposed, "output.flat")["title"] == "output index"
    assert grid_of(transposed, "input.flat")["title"] == "y index"  # the small grid y is numbered, not valued
