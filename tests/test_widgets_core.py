"""The Explorer panel pattern: redraws, messages instead of tracebacks, adapt, sweep."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import Explorer, draw_grid
from course_utils.widgets import dropdown, int_slider, play, toggle


def draw_square(fig, n, k, mode, grid):
    if k > n:
        raise ValueError(f"k ({k}) must be at most n ({n})")
    if mode == "boom":
        raise RuntimeError("internal bug")
    ax = fig.subplots()
    draw_grid(ax, np.arange(n * n).reshape(n, n), "input", annotate=grid)
    return f"n={n} k={k} mode={mode}"


def make(adapt=None):
    controls = {
        "n": int_slider("n", 3, 1, 4),
        "k": int_slider("k", 2, 1, 4),
        "mode": dropdown("mode", ["plain", "boom"], "plain"),
        "grid": toggle("numbers", True),
    }
    return Explorer(draw_square, controls, adapt=adapt, figsize=(2, 2), dpi=50)


def test_first_render_and_caption():
    panel = make()
    assert panel.png.startswith(b"\x89PNG") and panel.image.value == panel.png
    assert panel.caption == "n=3 k=2 mode=plain" and "n=3" in panel.caption_box.value
    assert not panel.error and panel.message_box.layout.display == "none"


def test_moving_a_control_redraws():
    panel = make()
    before = panel.png
    panel.controls["n"].value = 4
    assert panel.png != before and panel.caption.startswith("n=4")


def test_impossible_setting_shows_the_sentence_and_keeps_values():
    panel = make()
    panel.set(n=1, k=3)
    assert panel.error and panel.message == "k (3) must be at most n (1)"
    assert "must be at most" in panel.message_box.value and panel.image.layout.display == "none"
    assert panel.values["n"] == 1 and panel.values["k"] == 3, "nothing the learner set is lost"
    panel.set(k=1)
    assert not panel.error and panel.image.layout.display is None


def test_unexpected_errors_are_caught_but_recorded():
    panel = make()
    panel.set(mode="boom")
    assert isinstance(panel.unexpected, RuntimeError) and "went wrong" in panel.message


def test_adapt_shrinks_ranges_so_impossible_settings_are_unreachable():
    def adapt(controls):
        controls["k"].max = controls["n"].value

    panel = make(adapt)
    panel.set(n=2)
    assert panel.controls["k"].max == 2 and panel.values["k"] <= 2
    seen = list(panel.sweep({"mode": ["plain"], "grid": [False]}))
    assert len(seen) == 1 + 2 + 3 + 4  # k in 1..n for n in 1..4
    assert all(s["k"] <= s["n"] for s in seen)
    assert panel.values == {"n": 2, "k": panel.values["k"], "mode": "plain", "grid": True}


def test_sweep_without_adapt_visits_every_setting_and_reports_messages():
    panel = make()
    errors = 0
    total = 0
    for setting in panel.sweep({"mode": ["plain"]}):
        total += 1
        errors += panel.error
        assert panel.unexpected is None
        assert panel.error == (setting["k"] > setting["n"])
    assert total == 4 * 4 * 2 and errors == 6 * 2
    assert len(panel.render_ms) > total


def test_set_rejects_unknown_controls():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['size'\]"):
        make().set(size=3)


def test_snapshot_prints_caption_and_returns_png(capsys):
    panel = make()
    image = panel.snapshot()
    assert capsys.readouterr().out.strip() == "n=3 k=2 mode=plain"
    assert image.data == panel.png


def test_play_control_is_swept():
    def draw(fig, step):
        fig.subplots().plot([0, step])
        return f"step {step}"

    panel = Explorer(draw, {"step": play("step", 0, 0, 3)}, figsize=(2, 1), dpi=40)
    assert [s["step"] for s in panel.sweep()] == [0, 1, 2, 3]
