"""The scene of a transposed convolution as a scatter: one scaled kernel copy per input element (06).

:func:`scatter_scene` is the contract of DESIGN.md: grids ``"input"``, ``"kernel"``, ``"copy"`` (this
step's scaled copy, placed on the canvas), ``"sum"`` (the running sum on the canvas: the full output
plus output_padding, with what padding crops drawn pale) and ``"output"`` (equal to
``F.conv_transpose2d`` after the last step); each input element links to the output cells its copy
lands on and each output cell to the input elements whose copies land there; one step per input
element, in row-major order.
"""

from __future__ import annotations

import torch

from .._checks import check_tuple
from .._threads import one_thread
from ..conv.geometry import copy_taps
from ..conv.sizes import conv_transpose_output_size
from ..conv.transposed import conv_transpose2d_steps
from ._scene import Scene, cell_id, format_value, grid, real_tensor

__all__ = ["scatter_scene"]


def scatter_scene(x: torch.Tensor, weight: torch.Tensor, stride: object = 1, padding: object = 0,
                  output_padding: object = 0, dilation: object = 1) -> Scene:
    """The scene of ``F.conv_transpose2d(x, weight, stride, padding, output_padding, dilation=dilation)``.

    ``x`` is ``(H, W)`` and ``weight`` ``(kH, kW)``; the other arguments an int or a pair, checked as
    PyTorch does (e.g. output_padding smaller than stride or dilation), with worded errors.
    """
    x = real_tensor("x", x, (2,), "(H, W)")
    weight = real_tensor("weight", weight, (2,), "(kH, kW)")
    s, p, op, d = (check_tuple(name, value, 2, minimum=minimum) for name, value, minimum in (
        ("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
        ("dilation", dilation, 1)))
    out_h, out_w = conv_transpose_output_size(tuple(x.shape), tuple(weight.shape), s, p, op, d)
    dtype = torch.promote_types(x.dtype, weight.dtype)
    if not dtype.is_floating_point:
        dtype = torch.float32
    x, weight = x.to(dtype), weight.to(dtype)
    with one_thread(), torch.no_grad():
        steps = list(conv_transpose2d_steps(x, weight, s, p, op, d))
    (h, w), (kh, kw) = x.shape, weight.shape
    canvas = tuple(steps[-1].total.shape)
    top, left = p
    feet = [_footprint(step.top, step.left, (kh, kw), d) for step in steps]
    reached = set().union(*feet)
    kept = {(r, c) for r in range(top, top + out_h) for c in range(left, left + out_w)}

    def sum_kind(r: int, c: int, added: set[tuple[int, int]]) -> str:
        if (r, c) not in kept:
            return "cropped"
        if (r, c) not in reached:
            return "inserted"
        return "data" if (r, c) in added else "empty"

    final = steps[-1].output
    grids = [
        grid("input", "input", f"input x {h}x{w}", x),
        grid("kernel", "kernel", f"kernel w {kh}x{kw}", weight),
        grid("copy", "kernel", "x[i,j] · w, placed", [[None] * canvas[1] for _ in range(canvas[0])], "empty",
             symbol="→"),
        grid("sum", "output", f"running sum on the {canvas[0]}x{canvas[1]} canvas", steps[-1].total,
             [[sum_kind(r, c, reached) for c in range(canvas[1])] for r in range(canvas[0])], symbol="+",
             outlines=[[top, left, out_h, out_w, "crop"]] if kept != {(r, c) for r in range(canvas[0])
                                                                        for c in range(canvas[1])} else []),
        grid("output", "output", f"output {out_h}x{out_w}", final, symbol="→"),
    ]
    links: dict[str, list[str]] = {}
    for a in range(h):
        for b in range(w):
            lands = [cell_id("output", i, j)
                     for _, i in copy_taps(a, kh, s[0], p[0], d[0], out_h)
                     for _, j in copy_taps(b, kw, s[1], p[1], d[1], out_w)]
            links[cell_id("input", a, b)] = lands
            for cell in lands:
                links.setdefault(cell, []).append(cell_id("input", a, b))
    kernel_cells = [cell_id("kernel", u, v) for u in range(kh) for v in range(kw)]
    frames = []
    added: set[tuple[int, int]] = set()
    n = h * w
    for k, (step, foot) in enumerate(zip(steps, feet, strict=True)):
        added |= foot
        source = cell_id("input", step.row, step.col)
        copy = [[float(step.copy[r, c]) if (r, c) in foot else None for c in range(canvas[1])]
                for r in range(canvas[0])]
        sums = [[float(step.total[r, c]) if (r, c) in added else None for c in range(canvas[1])]
                for r in range(canvas[0])]
        out_done = [[float(step.output[i, j]) if (i + top, j + left) in added else None for j in range(out_w)]
                    for i in range(out_h)]
        patch = {
            "copy": {"values": copy, "kinds": [["data" if (r, c) in foot else "empty" for c in range(canvas[1])]
                                               for r in range(canvas[0])]},
            "sum": {"values": sums, "kinds": [[sum_kind(r, c, added) for c in range(canvas[1])]
                                              for r in range(canvas[0])]},
            "output": {"values": out_done,
                       "kinds": [["data" if (i + top, j + left) in added else
                                  ("inserted" if (i + top, j + left) not in reached else "empty")
                                  for j in range(out_w)] for i in range(out_h)]},
        }
        text = (f"step {k + 1} of {n}: x[{step.row},{step.col}] = {format_value(step.value)} scales the kernel; "
                f"its copy starts at row {step.row}*{s[0]} = {step.top}, column {step.col}*{s[1]} = {step.left} "
                f"of the canvas; the sum now holds {k + 1} of the {n} copies")
        frames.append({"source": source, "cells": links[source],
                       "also": kernel_cells + [cell_id("copy", r, c) for r, c in sorted(foot)],
                       "text": text, "patch": patch})
    return {"grids": grids, "links": links, "steps": frames, "step": 0,
            "caption": _caption((h, w), (kh, kw), s, p, op, d, (out_h, out_w))}


def _footprint(top: int, left: int, kernel: tuple[int, int], d: tuple[int, ...]) -> set[tuple[int, int]]:
    return {(top + u * d[0], left + v * d[1]) for u in range(kernel[0]) for v in range(kernel[1])}


def _caption(size: tuple[int, int], kernel: tuple[int, int], s: tuple[int, ...], p: tuple[int, ...],
             op: tuple[int, ...], d: tuple[int, ...], out: tuple[int, int]) -> list[str]:
    lines = []
    for a, axis in enumerate("HW"):
        lines.append(f"{axis}_out = ({axis}-1)s - 2p + d(k-1) + output_padding + 1 = ({size[a]}-1)*{s[a]} - 2*{p[a]}"
                     f" + {d[a]}*({kernel[a]}-1) + {op[a]} + 1 = {out[a]}")
    args = []
    for name, value, default in (("stride", s, (1, 1)), ("padding", p, (0, 0)), ("output_padding", op, (0, 0)),
                                 ("dilation", d, (1, 1))):
        if value != default:
            args.append(f"{name}={value[0] if value[0] == value[1] else value}")
    k = kernel[0] if kernel[0] == kernel[1] else kernel
    lines.append(f"nn.ConvTranspose2d(1, 1, kernel_size={k}{''.join(', ' + a for a in args)}, bias=False)")
    return lines

