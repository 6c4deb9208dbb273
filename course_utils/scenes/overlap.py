"""The scene of an overlap map: how many kernel copies a transposed convolution adds into each pixel (07).

Ones go through ``layers`` transposed convolutions with a kernel of ones and the given stride, so
every output pixel holds the number of kernel copies (for a stack: chains of copies) that land on
it. :func:`overlap_scene` draws the input, the kernel, the map after each layer and the final map;
hovering a map cell lights the input cells whose copies land on it, the cells of the previous map
that feed it and the kernel taps its layer uses there; hovering an input cell lights every map cell
its copies reach. Counts and sizes come from the engine (``overlap_count``, ``copy_taps``,
``conv_transpose_output_size``).
"""

from __future__ import annotations

from .._checks import check_int
from ..conv.bilinear import MAX_LAYERS, overlap_count, steady_counts
from ..conv.geometry import copy_taps
from ..conv.sizes import conv_transpose_output_size
from ._scene import MAX_SIDE, Scene, grid

__all__ = ["overlap_scene", "NUMBERS_UP_TO"]

#: The widest map whose cells show their counts; larger maps are shaded by count only.
NUMBERS_UP_TO = 15


def _sizes(kernel_size: int, stride: int, start: int, layers: int) -> list[int]:
    """The side of the map before and after each layer (engine formula, layer after layer)."""
    sizes = [start]
    for _ in range(layers):
        sizes.append(int(conv_transpose_output_size(sizes[-1], kernel_size, stride)))
    return sizes


def overlap_scene(kernel_size: int = 3, stride: int = 2, layers: int = 1, input_size: int = 3) -> Scene:
    """The overlap map of ``layers`` stacked ``ConvTranspose2d(kernel_size, stride)`` on ``input_size``² ones.

    Grids: ``"input"`` (ones), ``"kernel"`` (ones), ``"layer1"`` ... (the map after each layer but the
    last, for a stack) and ``"output"`` (the final map, equal to ``overlap_count``; cells that no copy
    reaches are of kind ``"inserted"``). Maps wider than :data:`NUMBERS_UP_TO` are shaded without
    numbers. Links: a map cell -> the input cells that reach it, the previous map's cells that feed
    it and the kernel taps of its layer that land on it; an input cell (or a map cell, for the next
    map) -> the cells it feeds. No steps. Introduced in 07_bilinear_upsampling.
    """
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    n = check_int("input_size", input_size, minimum=1)
    layers = check_int("layers", layers, minimum=1)
    if layers > MAX_LAYERS:
        raise ValueError(f"layers must be at most {MAX_LAYERS}, got {layers}")
    if max(n, k) > MAX_SIDE:
        raise ValueError(f"input_size ({n}) and kernel_size ({k}) must be at most {MAX_SIDE}: "
                         f"a diagram draws at most {MAX_SIDE} cells a side")
    sizes = _sizes(k, s, n, layers)
    if sizes[-1] > MAX_SIDE:
        raise ValueError(f"the overlap map would be {sizes[-1]} x {sizes[-1]} cells, more than the {MAX_SIDE} a "
                         "diagram draws a side: use a smaller kernel_size, stride or input_size, or fewer layers")
    names = ["input"] + [f"layer{i}" for i in range(1, layers)] + ["output"]
    grids = [grid("input", "input", f"input: ones {n}x{n}", [[1.0] * n for _ in range(n)]),
             grid("kernel", "kernel", f"kernel: ones {k}x{k}", [[1.0] * k for _ in range(k)])]
    for layer in range(1, layers + 1):
        counts = overlap_count(k, s, n, layers=layer).tolist()
        side = sizes[layer]
        title = (f"copies per pixel, {side}x{side}" if layer == layers else f"after layer {layer}, {side}x{side}")
        if layer == layers > 1:
            title = f"copies per pixel after {layers} layers, {side}x{side}"
        grids.append(grid(names[layer], "output", title, counts,
                          [["data" if v else "inserted" for v in row] for row in counts],
                          symbol="→", numbers=side <= NUMBERS_UP_TO, shade=True))
    links = _links(k, s, sizes, names)
    return {"grids": grids, "links": links, "caption": _caption(k, s, n, layers, sizes)}


def _links(k: int, s: int, sizes: list[int], names: list[str]) -> dict[str, list[str]]:
    """Every cell's links. The maps are outer products, so each rule is worked out along one axis
    (which positions feed, reach or use which taps) and the cell ids are then paired up."""
    layers = len(sizes) - 1
    # along one axis, for each layer: its output position -> the source positions that land there, the
    # taps that carry something there (a copy of a hole, a zero no input reaches, carries nothing), and
    # the input positions that reach it (reach[0] is the input itself)
    sources: list[list[list[int]]] = []
    taps: list[list[list[int]]] = []
    reach = [[[a] for a in range(sizes[0])]]
    for layer in range(1, layers + 1):
        src: list[list[int]] = [[] for _ in range(sizes[layer])]
        tap: list[set[int]] = [set() for _ in range(sizes[layer])]
        for a in range(sizes[layer - 1]):
            for t, out in copy_taps(a, k, s, 0, 1, sizes[layer]):
                src[out].append(a)
                if reach[layer - 1][a]:
                    tap[out].add(t)
        sources.append(src)
        taps.append([sorted(t) for t in tap])
        reach.append([sorted({a for b in src[out] for a in reach[layer - 1][b]}) for out in range(sizes[layer])])
    cols = [str(c) for c in range(max(max(sizes), k))]
    rows = [[f"{name}/{r}/" for r in range(size)] for name, size in zip(names, sizes, strict=True)]
    kernel_rows = [f"kernel/{u}/" for u in range(k)]
    links: dict[str, list[str]] = {}
    for layer in range(1, layers + 1):
        here, prev, inputs = rows[layer], rows[layer - 1], rows[0]
        axis = range(sizes[layer])
        ends = [([cols[b] for b in reach[layer][j]], [cols[b] for b in sources[layer - 1][j]] if layer > 1 else [],
                 [cols[v] for v in taps[layer - 1][j]]) for j in axis]
        for i in axis:
            starts = ([inputs[a] for a in reach[layer][i]],
                      [prev[a] for a in sources[layer - 1][i]] if layer > 1 else [],
                      [kernel_rows[u] for u in taps[layer - 1][i]])
            for j in axis:
                links[here[i] + cols[j]] = [r + c for rs, cs in zip(starts, ends[j], strict=True)
                                            for r in rs for c in cs]
    # the reverse: an input cell -> every map cell it reaches; a map cell -> the next map's cells it feeds
    for layer in range(layers):
        if layer == 0:
            ahead = [(m, [[o for o in range(sizes[m]) if a in reach[m][o]] for a in range(sizes[0])])
                     for m in range(1, layers + 1)]
        else:
            ahead = [(layer + 1, [[o for o in range(sizes[layer + 1]) if a in sources[layer][o]]
                                  for a in range(sizes[layer])])]
        for a in range(sizes[layer]):
            for b in range(sizes[layer]):
                cell = rows[layer][a] + cols[b]
                fed = links.setdefault(cell, [])
                for m, table in ahead:
                    fed += [rows[m][i] + cols[j] for i in table[a] for j in table[b]]
    return links


def _caption(k: int, s: int, n: int, layers: int, sizes: list[int]) -> list[str]:
    lo, hi = steady_counts(k, s, layers)
    if lo == hi:
        verdict = f"even: away from the border every pixel gets {lo} cop{'y' if lo == 1 else 'ies'}"
    elif lo == 0:
        verdict = f"holes: away from the border pixels get 0 to {hi} copies (some get none) -> a grid of gaps"
    else:
        verdict = f"uneven: away from the border pixels get {lo} to {hi} copies -> checkerboard"
    divides = "a multiple" if k % s == 0 else "not a multiple"
    stack = "" if layers == 1 else f", {layers} layers stacked"
    lines = [f"kernel_size {k} is {divides} of stride {s}{stack}: {verdict}"]
    steps = ", then ".join(f"({a} - 1) x {s} + {k} = {b}" for a, b in zip(sizes, sizes[1:], strict=False))
    lines.append(f"output size: {steps}")
    if layers > 1:  # the stack is one transposed convolution: stride s^L, kernel = the stack's output for 1 pixel
        span = _sizes(k, s, 1, layers)[-1]
        lines.append(f"the {layers} layers act as one with stride {s}^{layers} = {s ** layers} and a {span}-tap "
                     f"kernel (their output for one pixel): ({n} - 1) x {s ** layers} + {span} = {sizes[-1]}")
    line = f"nn.ConvTranspose2d(C, C, kernel_size={k}, stride={s})"
    lines.append(f"PyTorch: {line}" + ("" if layers == 1 else f", applied {layers} times"))
    return lines
