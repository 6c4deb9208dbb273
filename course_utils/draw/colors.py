"""The course's one colour language (used from 00 onwards, in SVG diagrams and matplotlib plots alike).

Input cells are blue, kernel cells orange, output cells green; zeros that padding adds are light
grey, zeros that stride or dilation insert a paler hatched grey, so they never look like data; red
marks the cells being discussed (a window, a hovered cell, the step being played).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["COLORS", "ROLES", "tint"]

#: One colour per role, the same in every diagram of the course.
COLORS: dict[str, str] = {
    "input": "#3b75af",  # blue
    "kernel": "#ef8636",  # orange
    "output": "#519e3e",  # green
    "padding": "#d9d9d9",  # light grey: zeros that padding adds
    "inserted": "#ececec",  # lighter grey: zeros that stride/dilation insert
    "highlight": "#c53a32",  # red: the window or cell being discussed
    "text": "#222222",
}

#: Human-readable label of each role, used in legends and panel titles.
ROLES: dict[str, str] = {
    "input": "input",
    "kernel": "kernel",
    "output": "output",
    "padding": "padding zeros",
    "inserted": "inserted zeros",
}


@lru_cache(maxsize=4096)  # shaded maps ask for the same few tints thousands of times
def tint(colour: str, amount: float) -> str:
    """``colour`` (``#rrggbb``) mixed with white: ``amount`` 0 is white, 1 the colour itself."""
    amount = min(1.0, max(0.0, float(amount)))
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - amount * (255 - v)):02x}" for v in rgb)
