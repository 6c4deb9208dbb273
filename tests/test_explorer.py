"""Explorer in a learner's session: close() frees every widget, hold() redraws once at its end, and
an abandoned sweep never overwrites a value moved after it (course_utils/panels/explorer.py)."""

from __future__ import annotations

import gc

import pytest
import torch
from ipywidgets.widgets import widget as widget_module

import course_utils as cu
from course_utils.panels.explorer import Explorer, int_slider

# every factory of a panel, with the arguments of a small setting
FACTORIES = {
    "histogram_explorer": dict(sample_size=1000),
    "conv2d_explorer": {},
    "conv2d_step_explorer": {},
    "dilation_explorer": {},
    "conv_matrix_explorer": {},
    "scatter_explorer": {},
    "overlap_explorer": {},
}


def live_widgets() -> int:
    """How many widgets the kernel keeps alive: ipywidgets' registry (``Widget.widgets``, whose
    accessor is deprecated in ipywidgets 8.1)."""
    return len(widget_module._instances)


def test_every_panel_factory_is_tested():
    factories = {name for name in cu.__all__ if name.endswith("_explorer")}
    assert factories == set(FACTORIES)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_close_frees_every_widget_of_the_panel(name):
    factory = getattr(cu, name)
    factory(**FACTORIES[name]).close()  # first use: anything created once per session
    gc.collect()
    before = live_widgets()
    panel = factory(**FACTORIES[name])
    assert live_widgets() - before >= 2 + 2 * len(panel.controls)  # each control has a layout
    panel.close()
    gc.collect()
    assert live_widgets() == before
    panel.close()  # twice is fine
    assert live_widgets() == before


def test_a_panel_cell_run_many_times_and_closed_leaves_nothing():
    """A learner who re-runs a panel cell gets a new panel each time: the old one, closed, is gone."""
    cu.conv2d_explorer().close()
    gc.collect()
    before = live_widgets()
    for _ in range(20):
        cu.conv2d_explorer().close()
    gc.collect()
    assert live_widgets() == before


def test_a_closed_panel_no_longer_draws():
    calls = []

    def build(n: int) -> dict:
        calls.append(n)
        return cu.conv2d_scene(torch.arange(float(n * n)).reshape(n, n), torch.ones(1, 1))

    panel = Explorer(build, {"n": int_slider("n", 2, 1, 3)}, title="a title")
    control = panel.controls["n"]
    assert calls == [2]
    panel.close()
    assert panel.scene is None and panel.view.markup == ""
    control.value = 3  # a closed control's value can still be set in Python: nothing redraws
    assert calls == [2]


def _fresh_scene(**values) -> dict:
    return cu.conv2d_explorer(**values).scene


def test_hold_redraws_once_when_the_block_ends():
    panel = cu.conv2d_explorer(height=5, width=5)
    drawn = len(panel.render_ms)
    with panel.hold():
        panel.controls["height"].value = 3
        panel.controls["width"].value = 7
        assert len(panel.render_ms) == drawn  # nothing drawn in between
    assert len(panel.render_ms) == drawn + 1
    assert panel.values["height"] == 3 and panel.values["width"] == 7
    assert panel.scene == _fresh_scene(height=3, width=7)
    assert panel.view.markup == cu.conv2d_explorer(height=3, width=7).view.markup


def test_hold_without_a_change_draws_nothing_and_nested_holds_draw_once():
    panel = cu.conv2d_explorer(height=5, width=5)
    drawn = len(panel.render_ms)
    with panel.hold():
        pass
    assert len(panel.render_ms) == drawn
    with panel.hold():
        with panel.hold():
            panel.controls["height"].value = 4
        assert len(panel.render_ms) == drawn  # the inner hold leaves the drawing to the outer one
        panel.set(width=6)  # set inside a hold waits for the hold too
        assert len(panel.render_ms) == drawn
    assert len(panel.render_ms) == drawn + 1
    assert panel.scene == _fresh_scene(height=4, width=6)


def test_hold_redraws_even_when_the_block_raises():
    panel = cu.conv2d_explorer(height=5, width=5)
    with pytest.raises(RuntimeError, match="the learner's bug"), panel.hold():
        panel.controls["width"].value = 8
        raise RuntimeError("the learner's bug")
    assert panel.scene == _fresh_scene(width=8)


def only(panel: Explorer, **lists: list) -> dict[str, list]:
    """Sweep choices that move only the named controls (a sweep visits every control's options)."""
    return {name: lists.get(name, [value]) for name, value in panel.values.items()}


def test_a_sweep_stopped_early_puts_the_panel_back_at_once():
    panel = cu.conv2d_explorer(height=5, width=5)
    start, scene = panel.values, panel.scene
    for values in panel.sweep(only(panel, height=[1, 2, 3])):
        if values["height"] == 2:
            break
    assert panel.values == start and panel.scene == scene


def test_an_abandoned_sweep_never_overwrites_a_value_moved_after_it():
    panel = cu.conv2d_explorer(height=5, width=5, kernel=3)
    start = panel.values
    sweep = panel.sweep(only(panel, height=[1, 2], width=[2, 3]))
    assert next(sweep)["height"] == 1  # the sweep moved height and width, then was left unfinished
    panel.controls["width"].value = 7  # the learner moves width afterwards
    del sweep  # dropped: its clean-up runs now (or at any later garbage collection)
    gc.collect()
    assert panel.values == {**start, "width": 7}  # height put back, the learner's width kept
    assert panel.scene == _fresh_scene(height=5, width=7, kernel=3)


def test_an_abandoned_sweep_closed_later_keeps_every_value_moved_since():
    panel = cu.conv2d_explorer(height=5, width=5)
    sweep = panel.sweep(only(panel, height=[1, 2]))
    next(sweep)
    panel.set(height=4, width=6)  # the learner moves both, then the sweep is closed
    drawn = len(panel.render_ms)
    sweep.close()
    assert panel.values["height"] == 4 and panel.values["width"] == 6
    assert len(panel.render_ms) == drawn  # nothing to put back: no redraw
    assert panel.scene == _fresh_scene(height=4, width=6)


def test_a_finished_sweep_puts_the_panel_back():
    panel = cu.conv2d_explorer(height=5, width=5)
    start, scene = panel.values, panel.scene
    seen = [values["height"] for values in panel.sweep(only(panel, height=[1, 2, 3]))]
    assert seen == [1, 2, 3]
    assert panel.values == start and panel.scene == scene
