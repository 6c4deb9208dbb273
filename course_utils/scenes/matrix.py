"""The scene of a convolution as a matrix ``C`` (05_conv_as_matrix), or of its transpose ``C.T``.

:func:`conv_matrix_scene` draws the input and output grids numbered in reading order (the order of
the flattened vectors), the kernel, the flattened input as a row over the matrix's columns, the
matrix (values from :func:`~course_utils.conv.matrix.conv2d_matrix`, blank where an entry is a
structural zero) and the flattened output's positions as a column beside its rows, titled "y index"
(row i makes element i: the column numbers the elements, it does not hold their values).

- ``transposed=False``: the matrix is ``C``. A row of ``C`` (any of its cells) links to its weights,
  the input cells of its window and the output element it makes; one step per output element.
- ``transposed=True``: the matrix is ``C.T``, the transposed convolution from the small grid back to
  the input's size. A column of ``C.T`` links to its weights, its input element of the small grid and
  the output cells its scaled kernel copy lands on (the scatter of 06); one step per column.

Every kernel cell links to the entries of the matrix it fills. The geometry (which tap lands where)
comes from :func:`~course_utils.conv.geometry.window_taps`.
"""

from __future__ import annotations

from typing import Any

import torch

from .._checks import check_tuple
from .._threads import one_thread
from ..conv.geometry import window_taps
from ..conv.matrix import conv2d_matrix
from ..conv.sizes import conv_output_size
from ..conv.transposed import matching_output_padding
from ._scene import Scene, cell_id, grid, real_tensor

__all__ = ["conv_matrix_scene", "NUMBERED_ROWS", "NUMBERED_COLUMNS"]

#: A matrix of up to this many rows is drawn with its numbers; a taller one is shaded.
NUMBERED_ROWS = 25
#: ... and of up to this many columns: 22 numbered cells (30 px for numbers of up to two digits) and the
#: flattened output's column beside them fit the renderer's 760 px line; 25 would push that column
#: onto a line of its own, away from the rows it belongs to.
NUMBERED_COLUMNS = 22
#: The cell size (px) of a matrix drawn without numbers, and the width (px) its columns may take at most
#: (so that the flattened output's column still fits beside it on the renderer's 760 px line).
_SMALL_CELL, _SHADED_WIDTH = 10, 640


def conv_matrix_scene(weight: torch.Tensor, input_size: object = 4, stride: object = 1, padding: object = 0,
                      dilation: object = 1, transposed: bool = False) -> Scene:
    """The matrix ``C`` of ``F.conv2d(x, weight, stride, padding, dilation)`` for an ``input_size`` input (05).

    ``weight`` is ``(kH, kW)``; ``input_size`` ``H`` or ``(H, W)``; the others an int or a pair. With
    ``transposed=True`` the scene shows ``C.T`` and the transposed convolution it computes.
    """
    weight = real_tensor("weight", weight, (2,), "(kH, kW)")
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be True or False, got {transposed!r}")
    size = check_tuple("input_size", input_size, 2, minimum=1)
    s = check_tuple("stride", stride, 2, minimum=1)
    p = check_tuple("padding", padding, 2, minimum=0)
    d = check_tuple("dilation", dilation, 2, minimum=1)
    (h, w), (kh, kw) = size, tuple(weight.shape)
    if all(isinstance(v, int) for v in (input_size, stride, padding, dilation)) and kh == kw:
        conv_output_size(input_size, kh, stride, padding, dilation)  # one value for both axes: no axis index
    ho, wo = conv_output_size(size, (kh, kw), s, p, d)  # worded errors when the kernel does not fit
    n_in, n_out = h * w, ho * wo
    if max(n_in, n_out) > 100:
        raise ValueError(f"C would be {n_out} x {n_in}: this diagram draws at most 100 rows and columns; "
                         "use a smaller input_size or padding, or a larger stride")
    if not weight.is_floating_point():
        weight = weight.to(torch.float32)
    with one_thread():
        C = conv2d_matrix(weight, size, s, p, d).tolist()
    # taps[i]: (input index, kernel tap) of every entry of row i of C (taps on padding have none)
    taps: list[list[tuple[int, tuple[int, int]]]] = []
    for oi in range(ho):
        rows = [(u, r - p[0]) for u, r in enumerate(window_taps(oi, kh, s[0], d[0])) if 0 <= r - p[0] < h]
        for oj in range(wo):
            cols = [(v, c - p[1]) for v, c in enumerate(window_taps(oj, kw, s[1], d[1])) if 0 <= c - p[1] < w]
            taps.append([(r * w + c, (u, v)) for u, r in rows for v, c in cols])
    small, big = ((ho, wo), (h, w)) if transposed else ((h, w), (ho, wo))
    n_small, n_big = small[0] * small[1], big[0] * big[1]  # the matrix is n_big x n_small
    matrix = [list(row) for row in zip(*C, strict=True)] if transposed else C
    shade = n_big > NUMBERED_ROWS or n_small > NUMBERED_COLUMNS
    small_cell = min(_SMALL_CELL, _SHADED_WIDTH // n_small)  # 7 px for the 81 columns of a 9x9 C.T
    flat: dict[str, Any] = {"numbers": False, "cell": small_cell} if shade else {}
    mat_kinds = [["data" if v else "empty" for v in row] for row in matrix]
    # The grids number positions in reading order, not values: the flattened output's column says so in
    # its title (row i of the matrix makes element i). In C the input x holds 0, 1, ... so its numbers
    # are its values too; in C.T the small grid y is numbered, whatever values it holds.
    name_x, name_y, name_m = ("y", "output index", "C.T") if transposed else ("x", "y index", "C")
    wide = n_small * (small_cell if shade else 30) >= 110  # room for the longer titles over the columns
    grids = [
        grid("input", "input", f"{'input y' if transposed else 'input x'} {small[0]}x{small[1]}",
             [[float(r * small[1] + c) for c in range(small[1])] for r in range(small[0])], row=0),
        grid("kernel", "kernel", f"kernel {kh}x{kw}", weight, row=0),
        grid("output", "output", f"output {big[0]}x{big[1]}",
             [[float(r * big[1] + c) for c in range(big[1])] for r in range(big[0])], row=0),
        grid("input.flat", "input", (f"{name_x} index" if transposed else f"{name_x}, flattened") if wide
             else name_x,
             [[float(j) for j in range(n_small)]], row=1, align="left", **flat),
        grid("matrix", "kernel", f"{name_m} {n_big}x{n_small}" if wide else name_m, matrix, mat_kinds, row=2,
             align="left",
             **({"numbers": False, "shade": True, "cell": small_cell} if shade else {})),
        grid("output.flat", "output", name_y, [[float(i)] for i in range(n_big)], row=2, **flat),
    ]

    def cell2d(name: str, index: int, width: int) -> str:
        return cell_id(name, index // width, index % width)

    links: dict[str, list[str]] = {}
    steps = []
    # line[a]: what one line of the matrix lights: a row of C (an output's window) or a column of C.T
    # (an input element's kernel copy); a = that output / input element, taps[a] its entries
    for a, entries in enumerate(taps):
        if transposed:
            weights = [cell_id("matrix", j, a) for j, _ in entries]
            source = [cell2d("input", a, small[1]), cell_id("input.flat", 0, a)]
            lands = [cell2d("output", j, big[1]) for j, _ in entries]
            lands_flat = [cell_id("output.flat", j, 0) for j, _ in entries]
            lit = weights + source + lands + lands_flat
            for j in range(n_big):
                links[cell_id("matrix", j, a)] = lit
            for cell in source:
                links[cell] = weights + lands + lands_flat
            for j, _ in entries:
                for cell in (cell2d("output", j, big[1]), cell_id("output.flat", j, 0)):
                    links.setdefault(cell, []).extend([cell_id("matrix", j, a), *source])
            text = (f"column {a} of C.T = y{a}'s kernel copy: it lands on output"
                    f"{'s' if len(entries) != 1 else ''} {', '.join(str(j) for j, _ in entries) or 'none'}")
            steps.append({"source": source[0], "cells": lands, "also": weights + [source[1]] + lands_flat,
                          "text": text})
        else:
            weights = [cell_id("matrix", a, j) for j, _ in entries]
            window = [cell2d("input", j, w) for j, _ in entries]
            window_flat = [cell_id("input.flat", 0, j) for j, _ in entries]
            made = [cell2d("output", a, wo), cell_id("output.flat", a, 0)]
            lit = weights + window + window_flat + made
            for j in range(n_in):
                links[cell_id("matrix", a, j)] = lit
            for cell in made:
                links[cell] = weights + window + window_flat
            for j, _ in entries:
                for cell in (cell2d("input", j, w), cell_id("input.flat", 0, j)):
                    links.setdefault(cell, []).extend([cell_id("matrix", a, j), *made])
            text = (f"row {a} of C = output y{a}'s window: its {len(entries)} weight"
                    f"{'s' if len(entries) != 1 else ''} sit in the columns of input"
                    f"{'s' if len(entries) != 1 else ''} {', '.join(str(j) for j, _ in entries) or '(none)'}")
            steps.append({"target": made[0], "cells": window, "also": weights + window_flat + [made[1]],
                          "text": text})
    for u in range(kh):
        for v in range(kw):
            links[cell_id("kernel", u, v)] = [
                cell_id("matrix", j, a) if transposed else cell_id("matrix", a, j)
                for a, entries in enumerate(taps) for j, tap in entries if tap == (u, v)]
    nnz = sum(len(e) for e in taps)
    cells = n_in * n_out
    args = "".join(f", {name}={v[0] if v[0] == v[1] else v}" for name, v in
                   (("stride", s), ("padding", p), ("dilation", d)))
    caption = [f"input {h}x{w} (flattened: {n_in}) -> output {ho}x{wo} (flattened: {n_out})",
               f"C is {n_out} x {n_in}: {nnz} kernel values, {cells - nnz} zeros ({100 * (cells - nnz) / cells:.0f}% zeros)"]
    size_arg = h if h == w else (h, w)
    if transposed:
        caption.append(f"C.T is {n_in} x {n_out}: column i is input element i's kernel copy, placed "
                       "(the scatter of 06)")
        caption.append(f"C.T @ y.flatten() == F.conv_transpose2d(y, w{args}"
                       f"{_output_padding((h, w), (kh, kw), s, p, d)}).flatten()")
    else:
        caption.append("row i of C is output i's window: the kernel's weights in the columns of the inputs it covers")
        caption.append(f"C @ x.flatten() == F.conv2d(x, w{args}).flatten()")
    caption.append(f"C = conv2d_matrix(w, {size_arg}{args})")
    return {"grids": grids, "links": links, "steps": steps, "step": 0, "caption": caption}


def _output_padding(size: tuple[int, int], kernel: tuple[int, int], s: tuple[int, ...], p: tuple[int, ...],
                    d: tuple[int, ...]) -> str:
    """``", output_padding=..."`` when the transposed convolution needs it to give back ``size``."""
    op = tuple(matching_output_padding(size, kernel, s, p, d))
    if op == (0, 0):
        return ""
    return f", output_padding={op[0] if op[0] == op[1] else op}"
