"""How fast does every panel of the course build its next drawing in the kernel? (``make bench``)

Creates every panel factory of course_utils (each ``*_explorer`` function named in
``course_utils.__all__`` or in a course_utils module's ``__all__``) with its default
arguments, then moves each control through its range, one control at a time with
the others at their defaults, and times each update on the kernel side: the scene, its SVG
and the view's data (``Explorer.render_ms``; the browser side is ``browser_latency.py``).
Prints a table and a last line such as ``widget latency: worst median 4 ms, worst p95 9 ms
over 6 widgets``.

Goal: a median of at most 10 ms per update for every panel: the grid scenes (02-07) and the
histogram of 01, an SVG plot drawn by hand (its redraws with a million samples take longer, mostly
the histogram of the samples, and so does the first draw of a new sample: see the p95 and max
columns). Timings depend on the machine and on its load; compare medians.

Usage: ``python benchmarks/widget_latency.py [--per-control N] [--repeat R] [name ...]``
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

import course_utils  # noqa: E402
from course_utils.panels.explorer import Explorer, _options  # noqa: E402

GOAL_MEDIAN_MS = 10.0  # a scene and its SVG (a grid diagram, or the histogram plot of 01)


def find_factories() -> dict[str, Callable[..., Any]]:
    """Every ``*_explorer`` function the package exports, by name (top level first)."""
    found: dict[str, Callable[..., Any]] = {}
    for name in getattr(course_utils, "__all__", []):
        if name.endswith("_explorer") and callable(getattr(course_utils, name, None)):
            found[name] = getattr(course_utils, name)
    for info in pkgutil.walk_packages(course_utils.__path__, prefix="course_utils."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - a module being written must not stop the benchmark
            print(f"(skipped {info.name}: {type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        for name in getattr(module, "__all__", []):
            function = getattr(module, name, None)
            if name.endswith("_explorer") and inspect.isfunction(function) and name not in found:
                found[name] = function
    return dict(sorted(found.items()))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(options: list[Any], limit: int) -> list[Any]:
    """At most ``limit`` options, evenly spread, always with the first and the last."""
    if len(options) <= limit:
        return options
    step = (len(options) - 1) / (limit - 1)
    return [options[round(i * step)] for i in range(limit)]


def measure(explorer: Explorer, per_control: int, repeat: int) -> tuple[list[float], list[float], list[str]]:
    """Move each control through its range (others at their defaults).

    Returns the wall-clock time of each redraw in ms, the CPU time of each (less
    sensitive to other programs on a busy machine) and any unexpected errors.
    """
    times: list[float] = []
    cpu: list[float] = []
    problems: list[str] = []
    defaults = explorer.values
    render = explorer.render

    def timed_render() -> None:
        start = time.process_time()
        render()
        cpu.append((time.process_time() - start) * 1000.0)

    explorer.render = timed_render  # type: ignore[method-assign]
    for _ in range(repeat):
        for name in explorer.controls:
            fixed = {other: [value] for other, value in defaults.items() if other != name}
            choices = {name: spread(_options(explorer.controls[name]), per_control), **fixed}
            explorer.render_ms.clear()
            for setting in explorer.sweep(choices):
                if explorer.unexpected is not None:
                    problems.append(f"{name}={setting[name]!r}: {explorer.unexpected!r}")
            times.extend(explorer.render_ms)
    return times, cpu, problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these factories (default: all)")
    parser.add_argument("--per-control", type=int, default=12,
                        help="values visited per control, evenly spread over its range (default 12)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over every control (default 1)")
    args = parser.parse_args(argv)

    factories = find_factories()
    if args.names:
        unknown = sorted(set(args.names) - set(factories))
        if unknown:
            parser.error(f"unknown panel factories {unknown}; found {sorted(factories)}")
        factories = {name: factories[name] for name in args.names}
    if not factories:
        print("widget latency: no panel factory (*_explorer) found in course_utils")
        return 0

    rows = []
    print(f"{'widget':28} {'first ms':>8} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} {'cpu ms':>6} "
          f"{'updates':>7}")
    for name, factory in factories.items():
        start = time.perf_counter()
        explorer = factory()
        first = (time.perf_counter() - start) * 1000.0
        if not isinstance(explorer, Explorer):
            print(f"{name:28} returned {type(explorer).__name__}, not an Explorer: skipped")
            continue
        times, cpu, problems = measure(explorer, args.per_control, args.repeat)
        if not times:
            print(f"{name:28} {first:8.0f} {'-':>9} {'-':>7} {'-':>7} {'-':>6} {0:>7}")
            continue
        median, p95 = statistics.median(times), percentile(times, 95)
        flag = "" if median <= GOAL_MEDIAN_MS else "  <- above the goal"
        print(f"{name:28} {first:8.0f} {median:9.0f} {p95:7.0f} {max(times):7.0f} "
              f"{statistics.median(cpu):6.0f} {len(times):7d}{flag}")
        for problem in problems:
            print(f"    unexpected error at {problem}")
        rows.append((name, median, p95))
    if not rows:
        print("widget latency: no panel could be measured")
        return 1
    worst_median = max(median for _, median, _ in rows)
    worst_p95 = max(p95 for _, _, p95 in rows)
    print(f"(goal: median <= {GOAL_MEDIAN_MS:.0f} ms of wall-clock time; "
          "'first' is the panel's creation with its first draw; 'cpu' the median CPU time of a redraw)")
    print(f"widget latency: worst median {worst_median:.0f} ms, worst p95 {worst_p95:.0f} ms "
          f"over {len(rows)} widgets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
