"""The scenes of 04_dilated_convolution: kernels with holes, coverage maps, a receptive field layer by layer.

- :func:`dilated_kernel_scene`: a ``k x k`` kernel at each dilation, its weights (``1 .. k*k``) at the
  taps and the inserted zeros (the holes) between them, in the span ``d(k-1)+1`` they cover.
- :func:`coverage_scene`: one coverage map per stack of layers (paths from each input pixel to the
  central output unit, from :func:`~course_utils.conv.receptive.coverage_map`), all on one colour
  scale and one cell size, so the maps compare at a glance.
- :func:`receptive_scene`: a stack of stride-1 dilated layers along one axis, one row of units per
  layer, cut to the cone of the central output unit. Each unit links to every unit of the earlier
  layers it depends on and of the later layers it feeds; the three steps walk the field back from the
  output, layer by layer. The numbers count the paths from a unit to the output unit (white: none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._checks import check_int
from ..conv.geometry import window_taps
from ..conv.receptive import coverage_map
from ..conv.sizes import receptive_field
from ._scene import Scene, cell_id, grid

__all__ = ["dilated_kernel_scene", "coverage_scene", "receptive_scene"]

#: The widest kernel span :func:`dilated_kernel_scene` draws, and the most grids of a scene.
MAX_SPAN, MAX_PANELS = 32, 8
#: Widest drawing the receptive scene plans for (the renderer's line, less its margins).
_WIDTH = 740
#: A kernel span up to this many cells is drawn with its numbers.
_NUMBERED_SPAN = 12


def _dilations(dilations: object, most: int = MAX_PANELS) -> list[int]:
    if not isinstance(dilations, Sequence) or isinstance(dilations, str):
        raise TypeError(f"dilations must be a list of dilations, e.g. (1, 2, 3), got {dilations!r}")
    ds = [check_int(f"dilations[{i}]", d, minimum=1) for i, d in enumerate(dilations)]
    if not ds:
        raise ValueError("dilations must contain at least one dilation")
    if len(ds) > most:
        raise ValueError(f"dilations must contain at most {most} dilations (one grid each), got {len(ds)}")
    return ds


def dilated_kernel_scene(kernel_size: int = 3, dilations: Sequence[int] = (1, 2, 3)) -> Scene:
    """A ``kernel_size`` x ``kernel_size`` kernel at each dilation (04): weights ``1 .. k*k`` at the taps,
    inserted zeros (hatched) in the holes, over the span ``d(k-1)+1`` (at most 32 cells; 1 to 8 dilations)."""
    k = check_int("kernel_size", kernel_size, minimum=1)
    ds = _dilations(dilations)
    span_max = max(d * (k - 1) + 1 for d in ds)
    if span_max > MAX_SPAN:
        raise ValueError(f"kernel_size ({k}) with dilations up to {max(ds)} spans d(k-1)+1 = {span_max} "
                         f"cells; this figure draws at most {MAX_SPAN}")
    grids, caption = [], []
    for n, d in enumerate(ds):
        span = d * (k - 1) + 1
        taps = {offset: t for t, offset in enumerate(window_taps(0, k, 1, d))}  # offset -> tap
        values = [[(taps[r] * k + taps[c] + 1.0) if r in taps and c in taps else 0.0 for c in range(span)]
                  for r in range(span)]
        kinds = [["data" if r in taps and c in taps else "inserted" for c in range(span)] for r in range(span)]
        extra: dict[str, Any] = {} if span <= _NUMBERED_SPAN else {"numbers": False}
        grids.append(grid(f"kernel.{n}", "kernel", f"dilation={d}: {span}x{span}", values, kinds, **extra))
        caption.append(f"dilation={d}: spans d(k-1)+1 = {d}*({k}-1)+1 = {span} pixels a side; "
                       f"{k * k} weights and {span * span - k * k} inserted zeros")
    return {"grids": grids, "links": {}, "steps": [], "step": 0, "caption": caption}


def coverage_scene(stacks: Mapping[str, object]) -> Scene:
    """One coverage map per labelled stack of layers (``{"(2, 2, 2)": layers, ...}``, 1 to 8 stacks; 04).

    Each map is :func:`~course_utils.conv.receptive.coverage_map` of its stack: blue shades count the
    paths from a pixel to the central output unit (outlined in red), on one scale for every map; white
    pixels never reach it. Every map has the same cell size, so the receptive fields compare in size.
    """
    if not isinstance(stacks, Mapping):
        raise TypeError(f"stacks must be a dict {{label: layers}}, got {type(stacks).__name__}")
    if not 1 <= len(stacks) <= MAX_PANELS:
        raise ValueError(f"stacks must contain 1 to {MAX_PANELS} stacks of layers (one map each), got {len(stacks)}")
    maps = []
    for label, layers in stacks.items():
        try:
            maps.append((str(label), coverage_map(layers).tolist()))
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"stacks[{label!r}]: {exc}") from None
    peak = max(v for _, m in maps for row in m for v in row)
    side = max(max(len(m), len(m[0])) for _, m in maps)
    cell = max(6, min(24, 300 // side))
    grids, caption = [], []
    for n, (label, m) in enumerate(maps):
        h, w = len(m), len(m[0])
        kinds = [["data" if v > 0 else "empty" for v in row] for row in m]
        reached = sum(v > 0 for row in m for v in row)
        grids.append(grid(f"map.{n}", "input", label, m, kinds, numbers=False, shade=True, peak=peak, cell=cell,
                          outlines=[[h // 2, w // 2, 1, 1, "window"]]))
        caption.append(f"{label}: receptive field {h} x {w}, {reached} of {h * w} pixels reach the output unit "
                       f"({100 * reached / (h * w):.0f}%)")
    caption.append(f"blue: paths from a pixel to the central output unit (red), darker: more, one scale "
                   f"(1 to {peak:g} paths); white: no path")
    return {"grids": grids, "links": {}, "steps": [], "step": 0, "caption": caption}


def _row_name(layer: int, layers: int) -> str:
    return "input" if layer == 0 else "output" if layer == layers else f"layer.{layer}"


def receptive_scene(kernel_size: int = 3, dilations: Sequence[int] = (2, 2, 2)) -> Scene:
    """Stride-1 layers of ``kernel_size`` taps with ``dilations``, along one axis, layer by layer (04).

    One row per layer (``"input"``, ``"layer.1"``, ..., ``"output"``), titled ``"input"``, ``"after layer 1 (d=2)"``,
    ..., cut to the cone of the central output unit and aligned so that each unit sits over the middle of its
    window. A unit's value is the number of paths from it to the output unit (the coverage map's counts
    along one axis), ``None`` and kind ``"empty"`` where there is none (the holes) or no unit. Links: every
    unit to the units of the earlier layers it depends on and of the later layers it feeds (exactly the
    non-zero gradients).
    Steps: the output unit's field, one more layer at each step, from the output back to the input.
    """
    k = check_int("kernel_size", kernel_size, minimum=1)
    ds = _dilations(dilations)
    n_layers = len(ds)
    spans = [d * (k - 1) for d in ds]
    field = receptive_field([(k, 1, d) for d in ds])
    if field > 200:
        raise ValueError(f"the receptive field ({field}) is wider than this diagram draws (200 cells)")
    # widths[l]: units of layer l in the cone of the central output unit; shift[l]: where its unit 0 sits
    widths = [1 + sum(spans[layer:]) for layer in range(n_layers + 1)]
    shift = [sum(spans[:layer]) // 2 for layer in range(n_layers + 1)]
    # taps[l][o]: the units of layer l - 1 that unit o of layer l reads (the engine's window geometry)
    taps = [[]] + [[window_taps(o, k, 1, ds[layer - 1]) for o in range(widths[layer])]
                   for layer in range(1, n_layers + 1)]
    # below[l][o][m]: the units of layer m < l that unit o of layer l depends on (sets of unit indices)
    below: list[list[dict[int, set[int]]]] = [[{} for _ in range(w)] for w in widths]
    for layer in range(1, n_layers + 1):
        for o in range(widths[layer]):
            deps = below[layer][o]
            deps[layer - 1] = set(taps[layer][o])
            for m in range(layer - 2, -1, -1):
                deps[m] = set().union(*(below[layer - 1][u][m] for u in taps[layer][o]))
    # paths from each unit to the output unit (counts, plain ints)
    paths = [[0] * w for w in widths]
    paths[n_layers][0] = 1
    for layer in range(n_layers, 0, -1):
        for o, reads in enumerate(taps[layer]):
            for u in reads:
                paths[layer - 1][u] += paths[layer][o]
    names = [_row_name(layer, n_layers) for layer in range(n_layers + 1)]
    ids = [[cell_id(names[layer], 0, shift[layer] + o) for o in range(widths[layer])]
           for layer in range(n_layers + 1)]
    numbered = field * 34 <= _WIDTH
    extra: dict[str, Any] = {"shade": True} if numbered else {"shade": True, "numbers": False,
                                                              "cell": max(8, _WIDTH // field)}
    grids = []
    for layer in range(n_layers + 1):
        values: list[float | None] = [None] * field
        kinds = ["empty"] * field
        for o, count in enumerate(paths[layer]):
            if count:
                values[shift[layer] + o], kinds[shift[layer] + o] = float(count), "data"
        # a row holds the units a layer computes: "after layer 2 (d=2)", that layer's dilation in brackets
        # ("after L2 (d=2)" when the field is under 6 cells, so that the title is no wider than the row)
        title = "input" if layer == 0 else f"after {'layer ' if field >= 6 else 'L'}{layer} (d={ds[layer - 1]})"
        grids.append(grid(names[layer], "input" if layer == 0 else "output", title, [values], [kinds],
                          row=layer, **extra))
    links: dict[str, list[str]] = {}
    for layer in range(n_layers + 1):
        for o in range(widths[layer]):
            links[ids[layer][o]] = [ids[m][u] for m in sorted(below[layer][o]) for u in sorted(below[layer][o][m])]
    for layer in range(n_layers + 1):  # the reverse: what each unit feeds, in the later layers
        for o in range(widths[layer]):
            for m, units in below[layer][o].items():
                for u in units:
                    links[ids[m][u]].append(ids[layer][o])
    steps = []
    lit: list[str] = []
    out = ids[n_layers][0]
    for m in range(n_layers - 1, -1, -1):
        reached = sorted(below[n_layers][0][m])
        lit = lit + [ids[m][u] for u in reached]
        where = "input pixels" if m == 0 else f"units of layer {m}"
        text = (f"step {n_layers - m} of {n_layers}: the output unit depends on {len(reached)} of the "
                f"{widths[m]} {where} in its field")
        if m == n_layers - 1:
            text += f" (its {k} taps, {ds[-1]} apart)"
        steps.append({"target": out, "cells": list(lit), "text": text})
    reached_1d = sum(1 for v in paths[0] if v)
    holes = field - reached_1d
    terms = " + ".join(map(str, ds))
    layers_code = ", ".join(map(str, ds))
    caption = [
        f"receptive field = 1 + (k-1)(d1 + ... + d{n_layers}) = 1 + {k - 1}*({terms}) = {field}",
        f"along one axis: {reached_1d} of the {field} input pixels reach the output unit"
        + (f" ({holes} {'hole' if holes == 1 else 'holes'}: the gridding effect)" if holes else " (no holes)"),
        f"in 2D (the map is the outer product of that row with itself): {reached_1d * reached_1d} of "
        f"{field * field} pixels",
        "numbers: paths to the output unit (white: none); in the live panel, hover a unit for its field",
        f"torch: nn.Sequential(*(nn.Conv2d(1, 1, {k}, dilation=d) for d in ({layers_code}{',' * (n_layers == 1)})))",
    ]
    return {"grids": grids, "links": links, "steps": steps, "step": 0, "caption": caption}
