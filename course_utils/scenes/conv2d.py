"""The scene of a 2D convolution: padded input, kernel, output, what depends on what (02, 03).

:func:`conv2d_scene` is the contract of DESIGN.md: the input drawn with its padding, the kernel and
the output (equal to ``F.conv2d``); for every output cell the input cells its taps touch and every
kernel cell, for every input cell the outputs it feeds; one step per output cell. With ``walk=True``
the steps also fill in the output one cell at a time and show each window's products, for the
stepped panel; an input with channels, ``(C, H, W)`` with a ``(C, kH, kW)`` kernel, draws one input
and one kernel slice per channel (a 2D convolution's kernel is 3D: it spans every input channel).

:func:`groups_grid` and :func:`groups_scene` draw which input channels each output channel sees
(``groups``, 03): one cell per (output channel, input channel), in the kernel's colour where the
layer has a kH x kW slice of weights for that pair.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from .._checks import check_choice, check_elements, check_int, check_tuple
from .._threads import one_thread
from ..conv.geometry import padding_pair, window_taps
from ..conv.sizes import conv_output_size
from ._scene import MAX_SIDE, Scene, cell_id, format_value, grid, real_tensor

__all__ = ["conv2d_scene", "PADDING_MODES", "group_connections", "groups_grid", "groups_scene",
           "conv2d_line"]

#: ``nn.Conv2d``'s padding_mode -> the mode ``F.pad`` calls it.
PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}

#: The most products a step's text lists one by one (more are summed in words).
_LISTED = 9


def _padding(padding: object) -> tuple[object, object] | str:
    if padding in ("valid", "same"):
        return padding  # type: ignore[return-value]
    return check_tuple("padding", padding, 2, minimum=0)


def _pad(x: torch.Tensor, pads: tuple[tuple[int, int], tuple[int, int]], mode: str) -> torch.Tensor:
    (top, bottom), (left, right) = pads
    for axis, size, (before, after) in (("height", x.shape[-2], pads[0]), ("width", x.shape[-1], pads[1])):
        most = max(before, after)
        if mode == "reflect" and most >= size:
            raise ValueError(f"padding_mode='reflect' needs padding ({most}) smaller than the input's {axis} "
                             f"({size}): it mirrors pixels from inside the input")
        if mode == "circular" and most > size:
            raise ValueError(f"padding_mode='circular' needs padding ({most}) at most the input's {axis} "
                             f"({size}): it wraps around the input only once")
    if mode == "zeros":
        return F.pad(x, (left, right, top, bottom))
    return F.pad(x[None], (left, right, top, bottom), mode=PADDING_MODES[mode])[0]


def conv2d_scene(x: torch.Tensor, weight: torch.Tensor, stride: object = 1, padding: object = 0,
                 dilation: object = 1, *, padding_mode: str = "zeros", walk: bool = False) -> Scene:
    """The scene of ``F.conv2d(x, weight, stride, padding, dilation)`` for one output channel (02, 03).

    ``x`` is ``(H, W)`` with a ``(kH, kW)`` ``weight``, or ``(C, H, W)`` with a ``(C, kH, kW)`` one;
    ``stride``, ``padding`` and ``dilation`` are an int or a pair (``padding`` also ``'valid'`` or
    ``'same'``), ``padding_mode`` as ``nn.Conv2d``'s. Grids ``"input"`` (padded, the padding cells of
    kind ``"padding"``), ``"kernel"`` and ``"output"`` (``"input.c"``/``"kernel.c"`` per channel when
    ``x`` has channels); links and one step per output cell, as DESIGN.md's contract says. ``walk``
    adds a ``"products"`` grid per channel and fills the output in as the window walks.
    """
    x = real_tensor("x", x, (2, 3), "(H, W) or (C, H, W)")
    weight = real_tensor("weight", weight, (2, 3), "(kH, kW) or (C, kH, kW)")
    if weight.dim() != x.dim():
        raise ValueError(f"x {tuple(x.shape)} and weight {tuple(weight.shape)} must be (H, W) and (kH, kW), or "
                         "(C, H, W) and (C, kH, kW)")
    if x.dim() == 3 and weight.shape[0] != x.shape[0]:
        raise ValueError(f"weight has {weight.shape[0]} channels and x {x.shape[0]}: the kernel spans every "
                         "input channel, so they must be equal")
    check_choice("padding_mode", padding_mode, list(PADDING_MODES))
    if not isinstance(walk, bool):
        raise TypeError(f"walk must be True or False, got {walk!r}")
    s, d = check_tuple("stride", stride, 2, minimum=1), check_tuple("dilation", dilation, 2, minimum=1)
    pad_arg = _padding(padding)
    (h, w), (kh, kw) = x.shape[-2:], weight.shape[-2:]
    out_h, out_w = _output_size((h, w), (kh, kw), s, pad_arg, d)  # worded errors for what does not fit
    pads = tuple(padding_pair(pad_arg if isinstance(pad_arg, str) else pad_arg[a], (kh, kw)[a], d[a])
                 for a in range(2))
    padded_size = (h + sum(pads[0]), w + sum(pads[1]))
    if max(padded_size) > MAX_SIDE:
        raise ValueError(f"padding {padding!r} makes the input {padded_size[0]} x {padded_size[1]} cells; a diagram "
                         f"draws at most {MAX_SIDE} a side")
    dtype = torch.promote_types(x.dtype, weight.dtype)
    if not dtype.is_floating_point:
        dtype = torch.float32
    x3, w3 = x.to(dtype).reshape(-1, h, w), weight.to(dtype).reshape(-1, kh, kw)
    with one_thread(), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'same' with an even kernel pads a copy
        padded = _pad(x3, pads, padding_mode)
        out = F.conv2d(padded[None], w3[None], stride=s, dilation=d)[0, 0]
    channels = x3.shape[0]
    names = (["input"], ["kernel"], ["products"]) if x.dim() == 2 else tuple(
        [f"{what}.{c}" for c in range(channels)] for what in ("input", "kernel", "products"))
    (top, _), (left, _) = pads
    ph, pw = padded.shape[-2:]
    kinds = [["data" if top <= r < top + h and left <= c < left + w else "padding" for c in range(pw)]
             for r in range(ph)]
    grids: list[dict[str, Any]] = []
    size = f"{h}x{w}" + (f", padded to {ph}x{pw}" if (ph, pw) != (h, w) else "")
    dil = f", dilation {d[0] if d[0] == d[1] else d}" if d != (1, 1) else ""
    outlines = [[top, left, h, w, "data"]] if (ph, pw) != (h, w) else []
    if walk and channels > 1:
        # stepped over channels, side by side so that it fits one screen: the inputs on the first line,
        # each channel's weights and products on the second, and on the third the story of the sum:
        # sum 0 + sum 1 (+ sum 2) = output, drawn after every channel, not beside one of them
        for c in range(channels):
            grids.append(grid(names[0][c], "input", f"input channel {c}", padded[c], kinds, row=0,
                              outlines=outlines))
        for c in range(channels):
            grids.append(grid(names[1][c], "kernel", f"weight[0, {c}]", w3[c], row=1))
            grids.append(grid(names[2][c], "kernel", f"products {c}", [[None] * kw for _ in range(kh)],
                              "empty", row=1, symbol="→"))
        for c in range(channels):
            grids.append(grid(f"sum.{c}", "kernel", f"sum {c}", [[None]], "empty", row=2,
                              **({"symbol": "+"} if c else {})))
        grids.append(grid("output", "output", f"output {out_h}x{out_w}", out, row=2, symbol="="))
    else:
        for c in range(channels):
            title = f"input {size}" if channels == 1 else f"channel {c}: input {size}"
            grids.append(grid(names[0][c], "input", title, padded[c], kinds, row=c, outlines=outlines))
            grids.append(grid(names[1][c], "kernel", f"kernel {kh}x{kw}{dil}" if channels == 1 else
                              f"weight[0, {c}]", w3[c], row=c, symbol="⋆"))
            if walk:
                grids.append(grid(names[2][c], "kernel", "input x weight",
                                  [[None] * kw for _ in range(kh)], "empty", row=c, symbol="→"))
        if channels == 1:
            grids.append(grid("output", "output", f"output {out_h}x{out_w}", out, row=0, symbol="="))
        else:  # the channels add up into the output, drawn after every channel, not beside one
            grids.append(grid("output", "output", f"output {out_h}x{out_w}: the channels added up", out,
                              row=channels, symbol="Σ"))

    links: dict[str, list[str]] = {}
    steps = []
    kernel_cells = [cell_id(names[1][c], u, v) for c in range(channels) for u in range(kh) for v in range(kw)]
    plain = _Plain(padded.tolist(), w3.tolist(), out.tolist())
    for i in range(out_h):
        rows = window_taps(i, kh, s[0], d[0])
        for j in range(out_w):
            cols = window_taps(j, kw, s[1], d[1])
            target = cell_id("output", i, j)
            cells = [cell_id(names[0][c], r, q) for c in range(channels) for r in rows for q in cols]
            links[target] = cells + kernel_cells
            for cell in cells:
                links.setdefault(cell, []).append(target)
            steps.append(_step(target, cells, kernel_cells, plain, rows, cols, i, j, walk, names[2]))
    scene: Scene = {"grids": grids, "links": links, "steps": steps, "step": 0,
                    "caption": _caption((h, w), (kh, kw), s, pad_arg, pads, d, (out_h, out_w), padding_mode,
                                        channels)}
    return scene


class _Plain:
    """The padded input ``(C, H, W)``, the kernel ``(C, kH, kW)`` and the output as nested lists of floats."""

    def __init__(self, padded: list, weight: list, out: list) -> None:
        self.padded, self.weight, self.out = padded, weight, out


def _step(target: str, cells: list[str], kernel_cells: list[str], plain: _Plain, rows: list[int],
          cols: list[int], i: int, j: int, walk: bool, products_names: list[str]) -> dict[str, Any]:
    weight = plain.weight
    channels, kh, kw = len(weight), len(weight[0]), len(weight[0][0])
    windows = [[[plain.padded[c][r][q] for q in cols] for r in rows] for c in range(channels)]
    products = [[[weight[c][u][v] * windows[c][u][v] for v in range(kw)] for u in range(kh)]
                for c in range(channels)]
    total = format_value(plain.out[i][j])
    count = channels * kh * kw
    if count <= _LISTED and channels == 1:
        terms = " + ".join(f"{_term(windows[c][u][v])}·{_term(weight[c][u][v])}"  # input x weight, as drawn
                           for c in range(channels) for u in range(kh) for v in range(kw))
        text = f"output[{i},{j}] = {terms} = {total}"
    elif channels > 1:
        names = " + ".join(f"sum {c}" for c in range(channels))
        sums = " + ".join(_term(sum(map(sum, products[c]))) for c in range(channels))
        text = (f"output[{i},{j}] = {names} = {sums} = {total}   (sum c adds the {kh}x{kw} products of "
                f"channel c: {count} products in all)")
    else:
        text = f"output[{i},{j}] = the sum of its {count} products input·weight ({kh}x{kw} taps) = {total}"
    step: dict[str, Any] = {"target": target, "cells": cells, "also": kernel_cells, "text": text}
    if walk:
        patch = {}
        for c, name in enumerate(products_names):
            patch[name] = {"values": products[c], "kinds": [["data"] * kw for _ in range(kh)]}
            if channels > 1:
                patch[f"sum.{c}"] = {"values": [[sum(map(sum, products[c]))]], "kinds": [["data"]]}
        out = plain.out  # rows done, the row being filled, rows to come (unchanged rows are shared lists)
        height, width = len(out), len(out[0])
        full, empty = ["data"] * width, ["empty"] * width
        patch["output"] = {
            "values": [*out[:i], out[i][:j + 1] + [None] * (width - j - 1), *([[None] * width] * (height - i - 1))],
            "kinds": [*([full] * i), ["data"] * (j + 1) + ["empty"] * (width - j - 1), *([empty] * (height - i - 1))],
        }
        step["patch"] = patch
    return step


def _output_size(size: tuple[int, int], kernel: tuple[int, int], s: tuple[int, ...], pad_arg: object,
                 d: tuple[int, ...]) -> tuple[int, int]:
    """The output (H, W) from the engine, one axis at a time, so a message can say which axis fails."""
    sizes = []
    for a, axis in enumerate(("height", "width")):
        p = pad_arg if isinstance(pad_arg, str) else pad_arg[a]  # type: ignore[index]
        try:
            sizes.append(conv_output_size(size[a], kernel[a], s[a], p, d[a]))
        except ValueError as exc:
            text = str(exc)
            raise ValueError(f"input {axis} {size[a]}: {text}" if "padded input" in text else text) from None
    return sizes[0], sizes[1]


def _caption(size: tuple[int, int], kernel: tuple[int, int], s: tuple[int, ...], pad_arg: object,
             pads: tuple[tuple[int, int], ...], d: tuple[int, ...], out: tuple[int, int], mode: str,
             channels: int) -> list[str]:
    lines = []
    for a, axis in enumerate("HW"):
        if pad_arg == "same":
            lines.append(f"{axis}_out = {axis} = {out[a]}   (padding='same' adds d(k-1) = {sum(pads[a])}: "
                         f"{pads[a][0]} before, {pads[a][1]} after)")
        else:
            p = pads[a][0]
            lines.append(f"{axis}_out = floor(({axis} + 2p - d(k-1) - 1)/s) + 1 = floor(({size[a]} + 2*{p} - "
                         f"{d[a]}*({kernel[a]}-1) - 1)/{s[a]}) + 1 = {out[a]}")
            lines[-1] += _unread(size[a], p, kernel[a], s[a], d[a], out[a], "row" if axis == "H" else "column")
    args = []
    for name, value, default in (("stride", s, (1, 1)), ("padding", pad_arg, (0, 0)), ("dilation", d, (1, 1))):
        if value != default:
            if isinstance(value, tuple) and value[0] == value[1]:
                value = value[0]
            args.append(f"{name}={value!r}")
    shape = "(C, H, W)" if channels > 1 else "(1, H, W)"
    if mode != "zeros":
        lines.append(f"torch: F.conv2d(F.pad(x, pads, mode={PADDING_MODES[mode]!r}), weight"
                     + "".join(f", {a}" for a in args if not a.startswith("padding")) + f") with x {shape}")
    else:
        lines.append(f"torch: F.conv2d(x, weight{''.join(', ' + a for a in args)}) with x {shape}")
    return lines


def _unread(size: int, p: int, k: int, s: int, d: int, out: int, line: str) -> str:
    """What no window reads along one axis, for the caption: the last cells after the last window, or
    cells inside too (a stride larger than the kernel's span skips some), or nothing (an empty string)."""
    total = size + 2 * p
    read = {t for i in range(out) for t in window_taps(i, k, s, d)}
    unread = [t for t in range(total) if t not in read]
    if not unread:
        return ""
    inputs = [t - p for t in unread if p <= t < p + size]
    padding = len(unread) - len(inputs)

    def lines(n: int) -> str:
        return line if n == 1 else line + "s"

    at_end = unread == list(range(total - len(unread), total))  # only after the last window
    parts = []
    if inputs:  # at the end counted ("the last 2 input rows"), inside named ("input rows 2, 5, 6")
        parts.append(f"{len(inputs)} input {lines(len(inputs))}" if at_end else
                     f"input {lines(len(inputs))} {', '.join(map(str, inputs))}")
    if padding:
        parts.append(f"{padding} padding {lines(padding)}")
    return f"   (the last {' and '.join(parts)} never read)" if at_end else f"   (never read: {' and '.join(parts)})"


def _term(value: float) -> str:
    """A factor of a product in a step's text: negative numbers in parentheses."""
    text = format_value(value)
    return f"({text})" if value < 0 else text


def conv2d_line(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                padding_mode: str = "zeros") -> str:
    """The ``nn.Conv2d(...)`` call for these arguments, leaving out those at their default (03)."""
    for name, value, minimum in (("in_channels", in_channels, 1), ("out_channels", out_channels, 1),
                                 ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                 ("dilation", dilation, 1), ("groups", groups, 1)):
        check_int(name, value, minimum=minimum)
    if padding not in ("valid", "same"):
        check_int("padding", padding, minimum=0)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    check_choice("padding_mode", padding_mode, list(PADDING_MODES))
    parts = [str(in_channels), str(out_channels), f"kernel_size={kernel_size}"]
    for name, value, default in (("stride", stride, 1), ("padding", padding, 0),
                                 ("dilation", dilation, 1), ("groups", groups, 1),
                                 ("bias", bias, True), ("padding_mode", padding_mode, "zeros")):
        if value != default:
            parts.append(f"{name}={value!r}")
    return f"nn.Conv2d({', '.join(parts)})"


# --- groups: which input channels each output channel sees (03) -------------------------------

#: The most channels the groups grids draw (one cell per channel).
MAX_CHANNELS = 64


def _channels(name: str, value: object) -> int:
    value = check_int(name, value, minimum=1)
    if value > MAX_CHANNELS:
        raise ValueError(f"{name} must be between 1 and {MAX_CHANNELS}: the diagram draws one cell per "
                         f"channel, got {value:,}")
    return value


def group_connections(in_channels: int, out_channels: int, groups: int) -> torch.Tensor:
    """``(out_channels, in_channels)`` matrix of 0/1: 1 where output channel o uses input channel i.

    Introduced in 03_conv2d_parameters.
    """
    in_channels = check_int("in_channels", in_channels, minimum=1)
    out_channels = check_int("out_channels", out_channels, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"{name} ({value}) must be divisible by groups ({groups})")
    check_elements(f"group_connections(in_channels={in_channels}, out_channels={out_channels})",
                   in_channels * out_channels, "Use fewer channels.")
    group_of_out = torch.arange(out_channels) // (out_channels // groups)
    group_of_in = torch.arange(in_channels) // (in_channels // groups)
    return (group_of_out[:, None] == group_of_in[None, :]).float()


def groups_grid(in_channels: int, out_channels: int, groups: int, title: str, *, name: str = "groups",
                transpose: bool = False, **extra: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The grid ``out_channels x in_channels`` (``in x out`` with ``transpose``): a full kernel-coloured
    cell where output channel o sees input channel i (a kH x kW slice of weights joins them), and its
    links: each cell lights the input channels its output channel sees."""
    in_channels, out_channels = _channels("in_channels", in_channels), _channels("out_channels", out_channels)
    seen = group_connections(in_channels, out_channels, groups).tolist()
    if transpose:
        seen = [list(col) for col in zip(*seen, strict=True)]
    values = [[1.0 if v else None for v in row] for row in seen]
    kinds = [["data" if v else "empty" for v in row] for row in seen]
    g = grid(name, "kernel", title, values, kinds, numbers=False, shade=True, **extra)
    links = {}
    for o in range(out_channels):
        where = [(i, o) if transpose else (o, i) for i in range(in_channels)]
        lit = [cell_id(name, r, c) for r, c in where if seen[r][c]]
        for r, c in where:
            links[cell_id(name, r, c)] = lit
    return g, links


def groups_scene(in_channels: int = 8, out_channels: int = 8, groups: object = (1, 2, 8),
                 kernel_size: int = 3) -> Scene:
    """One groups grid per value of ``groups`` (rows: input channels, columns: output channels, as in the
    panel of 03), titled with the weight count of a ``kernel_size`` layer."""
    in_channels, out_channels = _channels("in_channels", in_channels), _channels("out_channels", out_channels)
    if not isinstance(groups, list | tuple):
        raise TypeError(f"groups must be a list of group counts, e.g. (1, 2, 8), got {groups!r}")
    if not 1 <= len(groups) <= 8:
        raise ValueError(f"groups must contain 1 to 8 values (one grid each), got {len(groups)}")
    groups = [check_int(f"groups[{i}]", g, minimum=1) for i, g in enumerate(groups)]
    k = check_int("kernel_size", kernel_size, minimum=1)
    grids, links = [], {}
    for n, g in enumerate(groups):
        weights = out_channels * (in_channels // g if in_channels % g == 0 else 0) * k * k
        one, more = groups_grid(in_channels, out_channels, g, f"groups={g}: {weights:,} weights",
                                name=f"groups.{n}", transpose=True)
        grids.append(one)
        links.update(more)
    return {"grids": grids, "links": links, "steps": [], "step": 0,
            "caption": [f"rows: the {in_channels} input channels; columns: the {out_channels} output channels; "
                        f"orange: a {k}x{k} slice of weights joins them"]}
