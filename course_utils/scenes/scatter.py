"""The scenes of a transposed convolution as a scatter: one scaled kernel copy per input element (06).

:func:`scatter_scene` is the contract of DESIGN.md: grids ``"input"``, ``"kernel"``, ``"copy"`` (this
step's scaled copy x[a,b]·w, as wide as the kernel spans; a dilated kernel's holes are inserted
zeros), ``"sum"`` (only when padding crops: the running sum on the
canvas, the full output plus output_padding, with what padding crops drawn pale) and ``"output"`` (equal to
``F.conv_transpose2d`` after the last step); each input element links to the output cells its copy
lands on (and to its footprint on the canvas), each output cell to the input elements whose copies
land there; one step per input element, in row-major order, which lights the copy's footprint on the
canvas and writes its values there (so even a copy of zeros visibly lands).

The static figures of 06 are scenes too: :func:`scatter_step_scene` (one moment of the scatter),
:func:`scatter_sum_scene` (every copy side by side, their sum and the crop) and
:func:`zero_insertion_scene` (the same result as zeros inserted, padding and an ordinary convolution).

Everything is built from the engine (``conv_transpose2d_steps``, ``copy_taps``) and then kept in
plain Python lists: a panel update builds a scene in about a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_int, check_tuple
from .._threads import one_thread
from ..conv.geometry import copy_taps
from ..conv.sizes import conv_transpose_output_size
from ..conv.transposed import conv_transpose2d_steps
from ._scene import MAX_SIDE, Scene, cell_id, format_value, grid, real_tensor

__all__ = ["scatter_scene", "scatter_step_scene", "scatter_sum_scene", "zero_insertion_scene", "MAX_COPIES"]

#: The most kernel copies :func:`scatter_sum_scene` draws side by side.
MAX_COPIES = 16

Pair = tuple[int, int]


@dataclass
class _Scatter:
    """The scatter of one setting, in plain Python: what every scene of this module reads."""

    x: list[list[float]]
    w: list[list[float]]
    s: Pair
    p: Pair
    op: Pair
    d: Pair
    out: Pair  # the output (after the crop)
    canvas: Pair  # the canvas the copies are summed on: full output + output_padding
    feet: list[list[tuple[int, int]]]  # each input element's footprint on the canvas, row-major
    copies: list[list[list[float]]]  # each input element's scaled copy on the canvas (rows)
    totals: list[list[list[float]]]  # the running sum on the canvas after each step
    base: list[list[str | None]]  # the canvas cells' fixed kinds: cropped, inserted (never reached) or None

    @property
    def size(self) -> Pair:
        return len(self.x), len(self.x[0])

    @property
    def kernel(self) -> Pair:
        return len(self.w), len(self.w[0])

    def kept(self, r: int, c: int) -> bool:
        return self.p[0] <= r < self.p[0] + self.out[0] and self.p[1] <= c < self.p[1] + self.out[1]

    @property
    def crops(self) -> bool:
        return self.out != self.canvas


#: The scatter's hatched cells are not inserted zeros (that is the zero-insertion figure's picture):
#: they are cells no kernel tap lands on, between the taps of a dilated copy or between copies.
NO_TAP = {"inserted": "no tap lands here (0)"}

def _operands(x: object, weight: object) -> tuple[torch.Tensor, torch.Tensor]:
    x = real_tensor("x", x, (2,), "(H, W)")
    weight = real_tensor("weight", weight, (2,), "(kH, kW)")
    dtype = torch.promote_types(x.dtype, weight.dtype)
    if not dtype.is_floating_point:
        dtype = torch.float32
    return x.to(dtype), weight.to(dtype)


def _arguments(x: torch.Tensor, weight: torch.Tensor, stride: object, padding: object, output_padding: object,
               dilation: object) -> tuple[Pair, Pair, Pair, Pair, Pair]:
    """The four arguments as pairs and the output size, checked with messages that name each argument
    as the learner wrote it (``output_padding (2)``, not ``output_padding[0] (2)``, for an int)."""
    s, p, op, d = (check_tuple(name, value, 2, minimum=minimum) for name, value, minimum in (
        ("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
        ("dilation", dilation, 1)))
    size, kernel = tuple(x.shape), tuple(weight.shape)
    if all(isinstance(v, int) for v in (stride, padding, output_padding, dilation)):
        for n, k in zip(size, kernel, strict=True):
            conv_transpose_output_size(n, k, stride, padding, output_padding, dilation)  # type: ignore[arg-type]
    out = conv_transpose_output_size(size, kernel, s, p, op, d)
    canvas = tuple((n - 1) * s[a] + d[a] * (k - 1) + 1 + op[a] for a, (n, k) in enumerate(zip(size, kernel,
                                                                                               strict=True)))
    if max(canvas) > MAX_SIDE:
        raise ValueError(
            f"x {size} and weight {kernel} with stride {stride}, dilation {dilation} and output_padding "
            f"{output_padding} make a {canvas[0]} x {canvas[1]} canvas; a diagram draws at most "
            f"{MAX_SIDE} x {MAX_SIDE}")
    return s, p, op, d, out  # type: ignore[return-value]


def _scatter(x: object, weight: object, stride: object, padding: object, output_padding: object,
             dilation: object) -> _Scatter:
    xt, wt = _operands(x, weight)
    s, p, op, d, out = _arguments(xt, wt, stride, padding, output_padding, dilation)
    with one_thread(), torch.no_grad():
        steps = list(conv_transpose2d_steps(xt, wt, s, p, op, d))
    canvas = tuple(steps[-1].total.shape)
    (h, w), (kh, kw) = xt.shape, wt.shape
    feet = [[(r, c) for _, r in copy_taps(a, kh, s[0], 0, d[0], canvas[0])
             for _, c in copy_taps(b, kw, s[1], 0, d[1], canvas[1])] for a in range(h) for b in range(w)]
    reached = {cell for foot in feet for cell in foot}
    top, left = p
    base: list[list[str | None]] = [
        ["cropped" if not (top <= r < top + out[0] and left <= c < left + out[1])
         else None if (r, c) in reached else "inserted" for c in range(canvas[1])] for r in range(canvas[0])]
    return _Scatter(xt.tolist(), wt.tolist(), s, p, op, d, out, canvas, feet,  # type: ignore[arg-type]
                    [step.copy.tolist() for step in steps], [step.total.tolist() for step in steps], base)


def _links(sc: _Scatter) -> dict[str, list[str]]:
    """Input element -> the output cells its copy lands on, then its footprint on the canvas; output cell
    -> the input elements whose copies land there, then its canvas cell; canvas cell -> the input
    elements whose copies land there, then its output cell (when the crop keeps it)."""
    (h, w), (kh, kw), (top, left) = sc.size, sc.kernel, sc.p
    links: dict[str, list[str]] = {}
    sums: dict[str, list[str]] = {}
    for a in range(h):
        for b in range(w):
            source = cell_id("input", a, b)
            lands = [cell_id("output", i, j) for _, i in copy_taps(a, kh, sc.s[0], top, sc.d[0], sc.out[0])
                     for _, j in copy_taps(b, kw, sc.s[1], left, sc.d[1], sc.out[1])]
            for cell in lands:
                links.setdefault(cell, []).append(source)
            foot = [cell_id("sum", r, c) for r, c in sc.feet[a * w + b]] if sc.crops else []
            for cell in foot:
                sums.setdefault(cell, []).append(source)
            links[source] = lands + foot
    if not sc.crops:  # no canvas grid: the output is the whole running sum
        return links
    for i in range(sc.out[0]):
        for j in range(sc.out[1]):
            cell = cell_id("output", i, j)
            links[cell] = links.get(cell, []) + [cell_id("sum", i + top, j + left)]
    for r in range(sc.canvas[0]):
        for c in range(sc.canvas[1]):
            cell = cell_id("sum", r, c)
            own = [cell_id("output", r - top, c - left)] if sc.kept(r, c) else []
            if cell in sums or own:
                links[cell] = sums.get(cell, []) + own
    return links


def _frame(sc: _Scatter, done: int, added: list[list[bool]]) -> dict[str, dict[str, list[list]]]:
    """The patch of the copy, sum and output grids once ``done`` copies are added (``added``: the canvas
    cells they reached)."""
    ch, cw = sc.canvas
    (top, left), (oh, ow), (kh, kw), (dh, dw) = sc.p, sc.out, sc.kernel, sc.d
    base = sc.base
    (sh, sw) = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    if done:
        a, b = divmod(done - 1, sc.size[1])
        value, total = sc.x[a][b], sc.totals[done - 1]
        r0, c0 = sc.feet[done - 1][0]
        rows = sc.copies[done - 1]
        copy = [[rows[r0 + r][c0 + c] if r % dh == 0 and c % dw == 0 else 0.0 for c in range(sw)]
                for r in range(sh)]
    else:
        value, total = None, [[0.0] * cw for _ in range(ch)]
        copy = [[None] * sw for _ in range(sh)]
    tap = "empty" if value is None else "data"
    copy_kinds = [[tap if r % dh == 0 and c % dw == 0 else "inserted" for c in range(sw)] for r in range(sh)]
    # a cell no copy reaches holds 0 from the start (drawn as an inserted zero); others once reached
    sums = [[v if a or b == "inserted" else None for v, a, b in zip(total[r], added[r], base[r], strict=True)]
            for r in range(ch)]
    sum_kinds = [[b or ("data" if a else "empty") for b, a in zip(base[r], added[r], strict=True)]
                 for r in range(ch)]
    out = [row[left: left + ow] for row in sums[top: top + oh]]
    out_kinds = [row[left: left + ow] for row in sum_kinds[top: top + oh]]  # the crop keeps no "cropped" cell
    patch = {"copy": {"values": copy, "kinds": copy_kinds}, "output": {"values": out, "kinds": out_kinds}}
    if sc.crops:
        patch["sum"] = {"values": sums, "kinds": sum_kinds}
    return patch


def _step_text(sc: _Scatter, done: int) -> str:
    w, n = sc.size[1], sc.size[0] * sc.size[1]
    a, b = divmod(done - 1, w)
    top, left = sc.feet[done - 1][0]
    return (f"step {done} of {n}: x[{a},{b}] = {format_value(sc.x[a][b])} scales the kernel; its copy starts at "
            f"row {a}*{sc.s[0]} = {top}, column {b}*{sc.s[1]} = {left} of the canvas and is added to the sum, "
            f"which now holds {done} of the {n} copies")


def _grids(sc: _Scatter, titles: tuple[str, str, str]) -> list[dict]:
    (h, w), (kh, kw), (ch, cw), (top, left), (oh, ow) = sc.size, sc.kernel, sc.canvas, sc.p, sc.out
    last = _frame(sc, h * w, [[b != "inserted" for b in row] for row in sc.base])
    first = _frame(sc, 1, [[False] * cw for _ in range(ch)])["copy"]
    grids = [
        grid("input", "input", f"input x {h}x{w}", sc.x),
        grid("kernel", "kernel", f"kernel w {kh}x{kw}", sc.w),
        grid("copy", "kernel", titles[0], first["values"], first["kinds"], symbol="→"),
    ]
    if sc.crops:  # the canvas, then the crop; without a crop the output is the canvas
        grids.append(grid("sum", "output", titles[1], last["sum"]["values"], last["sum"]["kinds"], symbol="→",
                          outlines=[[top, left, oh, ow, "crop"]]))
    grids.append(grid("output", "output", titles[2], last["output"]["values"], last["output"]["kinds"],
                      symbol="→"))
    return grids


def scatter_scene(x: torch.Tensor, weight: torch.Tensor, stride: object = 1, padding: object = 0,
                  output_padding: object = 0, dilation: object = 1) -> Scene:
    """The scene of ``F.conv_transpose2d(x, weight, stride, padding, output_padding, dilation=dilation)`` (06).

    ``x`` is ``(H, W)`` and ``weight`` ``(kH, kW)``; the other arguments an int or a pair, checked as
    PyTorch does (e.g. output_padding smaller than stride or dilation), with worded errors. One step
    per input element (row-major): its copy is drawn on the canvas and added to the running sum.
    """
    sc = _scatter(x, weight, stride, padding, output_padding, dilation)
    links = _links(sc)
    canvas = f"{sc.canvas[0]}x{sc.canvas[1]}"
    titles = ("this copy: x[i,j]·w", f"running sum on the {canvas} canvas",
              "output: the sum, cropped" if sc.crops else "output = running sum of the copies")
    return {"grids": _grids(sc, titles), "links": links, "steps": _steps(sc, links), "step": 0,
            "caption": _caption(sc), "legend": NO_TAP}


def _steps(sc: _Scatter, links: dict[str, list[str]]) -> list[dict]:
    """One frame per input element (row-major): frame ``k`` is the player's "step k + 1 of H*W"."""
    (h, w), (kh, kw) = sc.size, sc.kernel
    kernel_cells = [cell_id("kernel", u, v) for u in range(kh) for v in range(kw)]
    copy_cells = [cell_id("copy", u * sc.d[0], v * sc.d[1]) for u in range(kh) for v in range(kw)]
    frames = []
    added = [[False] * sc.canvas[1] for _ in range(sc.canvas[0])]
    for k in range(h * w):
        for r, c in sc.feet[k]:
            added[r][c] = True
        source = cell_id("input", k // w, k % w)
        frames.append({"source": source, "cells": links[source],
                       "also": kernel_cells + copy_cells,
                       "text": _step_text(sc, k + 1), "patch": _frame(sc, k + 1, added)})
    return frames


def scatter_step_scene(x: torch.Tensor, weight: torch.Tensor, stride: object = 1, padding: object = 0,
                       output_padding: object = 0, dilation: object = 1, step: int | None = None) -> Scene:
    """Step ``step`` of the scatter (06) as a still picture: the player's "step n of H*W", n copies added.

    ``step`` counts from 1 as the player does (default: the last, H*W). The grids of
    :func:`scatter_scene`, with titles that say which copy this is and how many the sum holds; the input
    element, its copy and the cells it lands on are lit. The scene keeps every step (its ``"step"`` is
    ``step - 1``), so its text form says "step n of H*W" as the player does.
    """
    sc = _scatter(x, weight, stride, padding, output_padding, dilation)
    w, n = sc.size[1], sc.size[0] * sc.size[1]
    if step is None:
        step = n
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= n:
        raise ValueError(f"step must be a whole number from 1 to {n} (the player's step n of {n}: n copies "
                         f"added), got {step!r}")
    a, b = divmod(step - 1, w)
    summed = f"sum of {step} of {n} copies"
    titles = (f"x[{a},{b}]·w = {format_value(sc.x[a][b])}·w", summed,
              (("output" if step == n else "output so far") + ", cropped") if sc.crops
              else ("output = " if step == n else "") + summed)
    steps = _steps(sc, _links(sc))
    return {"grids": _grids(sc, titles), "links": {}, "steps": steps, "step": step - 1,
            "caption": [steps[step - 1]["text"], *_caption(sc)], "legend": NO_TAP}


def scatter_sum_scene(x: torch.Tensor, weight: torch.Tensor, stride: object = 1, padding: object = 0,
                      output_padding: object = 0, dilation: object = 1) -> Scene:
    """Every scaled, placed kernel copy side by side, then their sum and, when padding crops, the output (06).

    ``x`` has at most :data:`MAX_COPIES` elements (one copy each). The sum equals the full result;
    its pale cells are what padding crops, and the output grid equals ``F.conv_transpose2d``.
    """
    xt, wt = _operands(x, weight)
    if xt.numel() > MAX_COPIES:
        raise ValueError(f"x is {tuple(xt.shape)}: this figure draws one kernel copy per element, at most "
                         f"{MAX_COPIES}; use scatter_figure to step through a larger x")
    sc = _scatter(xt, wt, stride, padding, output_padding, dilation)
    (h, w), (ch, cw), (top, left), (oh, ow) = sc.size, sc.canvas, sc.p, sc.out
    span = [(k - 1) * d + 1 for k, d in zip(sc.kernel, sc.d, strict=True)]
    grids = []
    for k in range(h * w):
        a, b = divmod(k, w)
        foot = set(sc.feet[k])
        (r0, c0), rows = sc.feet[k][0], sc.copies[k]
        grids.append(grid(f"copy{k}", "kernel", f"{format_value(sc.x[a][b])}·w at ({r0},{c0})",
                          [[rows[r][c] if (r, c) in foot else None for c in range(cw)] for r in range(ch)],
                          [["data" if (r, c) in foot else "empty" for c in range(cw)] for r in range(ch)],
                          symbol="+" if k else None, outlines=[[r0, c0, *span, "window"]]))
    total = sc.totals[-1]
    grids.append(grid("sum", "output", "sum, then crop" if sc.crops else "sum = output", total,
                      [[b or "data" for b in row] for row in sc.base], symbol="=",
                      outlines=[[top, left, oh, ow, "crop"]] if sc.crops else []))
    if sc.crops:
        out = [row[left: left + ow] for row in total[top: top + oh]]
        kinds = [["inserted" if b == "inserted" else "data" for b in row[left: left + ow]]
                 for row in sc.base[top: top + oh]]
        grids.append(grid("output", "output", "output", out, kinds, symbol="→"))
    for g in grids:  # the renderer draws no symbol without one: drop the empty key
        if g.get("symbol") is None:
            g.pop("symbol", None)
    return {"grids": grids, "links": {}, "caption": _caption(sc), "legend": NO_TAP}


def zero_insertion_scene(x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0,
                         output_padding: int = 0, dilation: int = 1) -> Scene:
    """The same result by zero insertion (06): the input spread and padded, the flipped kernel, the output.

    ``stride - 1`` zeros go between input elements (kind ``inserted``), ``dilation*(k-1) - padding``
    around them plus ``output_padding`` at the bottom/right (kind ``padding``; a negative amount
    crops); an ordinary stride-1 convolution with the kernel flipped in both axes gives the output,
    equal to ``F.conv_transpose2d``. The four arguments are ints here.
    """
    stride, dilation = check_int("stride", stride, minimum=1), check_int("dilation", dilation, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    output_padding = check_int("output_padding", output_padding, minimum=0)
    xt, wt = _operands(x, weight)
    _arguments(xt, wt, stride, padding, output_padding, dilation)
    (h, w), (kh, kw) = xt.shape, wt.shape
    spread = xt.new_zeros((h - 1) * stride + 1, (w - 1) * stride + 1)
    spread[::stride, ::stride] = xt
    kind = torch.ones_like(spread, dtype=torch.long)  # 1 inserted, 2 data, 0 padding (after F.pad)
    kind[::stride, ::stride] = 2
    qh, qw = dilation * (kh - 1) - padding, dilation * (kw - 1) - padding  # the recipe of 06, step 2
    pads = (qw, qw + output_padding, qh, qh + output_padding)  # negative amounts crop
    padded, kinds = F.pad(spread, pads), F.pad(kind, pads)
    flipped = wt.flip(0, 1)
    with one_thread():
        out = F.conv2d(padded[None, None], flipped[None, None], dilation=dilation)[0, 0]
    names = ("padding", "inserted", "data")
    return {
        "grids": [
            grid("input", "input", "zeros inserted, then padded", padded,
                 [[names[k] for k in row] for row in kinds.tolist()]),
            grid("kernel", "kernel", "flipped kernel", flipped, symbol="⋆"),  # cross-correlation, as conv2d
            grid("output", "output", f"output {out.shape[0]}x{out.shape[1]}", out, symbol="="),
        ],
        "links": {},
        "caption": [f"zeros inserted: {stride} - 1 = {stride - 1} between input elements; padding "
                    f"{dilation}*({kh}-1) - {padding} = {qh} on every side"
                    + (f", plus output_padding {output_padding} at the bottom/right" if output_padding else ""),
                    f"F.conv2d(padded, w.flip(0, 1), dilation={dilation}) == "
                    f"F.conv_transpose2d(x, w, stride={stride}, padding={padding}, "
                    f"output_padding={output_padding}, dilation={dilation})"],
    }


def _caption(sc: _Scatter) -> list[str]:
    lines = []
    same = len({(sc.size[a], sc.kernel[a], sc.s[a], sc.p[a], sc.op[a], sc.d[a]) for a in (0, 1)}) == 1
    for a, axis in enumerate("H" if same else "HW"):
        lines.append(f"{'H_out = W_out' if same else axis + '_out'} = ({axis}-1)s - 2p + d(k-1) + output_padding + 1"
                     f" = ({sc.size[a]}-1)*{sc.s[a]} - 2*{sc.p[a]} + {sc.d[a]}*({sc.kernel[a]}-1) + {sc.op[a]} + 1"
                     f" = {sc.out[a]}")
    args = []
    for name, value, default in (("stride", sc.s, (1, 1)), ("padding", sc.p, (0, 0)),
                                 ("output_padding", sc.op, (0, 0)), ("dilation", sc.d, (1, 1))):
        if value != default:
            args.append(f"{name}={value[0] if value[0] == value[1] else value}")
    k = sc.kernel[0] if sc.kernel[0] == sc.kernel[1] else sc.kernel
    lines.append(f"nn.ConvTranspose2d(1, 1, kernel_size={k}{''.join(', ' + a for a in args)}, bias=False)")
    return lines
