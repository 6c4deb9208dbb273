"""The figures and panels of notebooks 05 and 06: every reachable setting draws or explains itself."""

from __future__ import annotations

import statistics

import pytest
import torch
from matplotlib.figure import Figure

from course_utils import (
    conv_matrix_explorer,
    conv_matrix_figure,
    conv_transpose_output_size,
    example_input,
    example_kernel,
    figure_to_png,
    scatter_explorer,
    scatter_figure,
    scatter_sum_figure,
    zero_insertion_figure,
)


def test_examples_are_the_worked_example():
    torch.testing.assert_close(example_input(2), torch.tensor([[0.0, 1], [2, 3]]))
    torch.testing.assert_close(example_kernel(2), torch.tensor([[1.1, 2.2], [3.3, 4.4]]))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2}, {"stride": (1, 2)}, {"stride": 3}, {"dilation": 2}, {"padding": 1},
     {"stride": 2, "output_padding": 1}, {"stride": 2, "padding": 1, "output_padding": 1}],
)
def test_static_figures_render(kwargs):
    for make in (scatter_sum_figure, scatter_figure):
        fig = make(**kwargs)
        assert isinstance(fig, Figure) and figure_to_png(fig).startswith(b"\x89PNG")
    if all(isinstance(v, int) for v in kwargs.values()):
        assert figure_to_png(zero_insertion_figure(**kwargs)).startswith(b"\x89PNG")
    for step in range(5):
        scatter_figure(step=step, **kwargs)


def test_static_figures_refuse_bad_settings():
    with pytest.raises(ValueError, match=r"step must be a whole number from 0 to 4"):
        scatter_figure(step=5)
    with pytest.raises(ValueError, match=r"^output_padding \(2\) must be smaller than stride"):
        scatter_sum_figure(stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"^output_padding \(1\) must be smaller than stride \(1\)"):
        zero_insertion_figure(output_padding=1)
    with pytest.raises(ValueError, match=r"weight must be a square"):
        conv_matrix_figure(torch.ones(2, 3))
    assert figure_to_png(conv_matrix_figure()).startswith(b"\x89PNG")


@pytest.mark.slow
def test_matrix_explorer_whole_grid():
    explorer = conv_matrix_explorer()
    seen = 0
    for values in explorer.sweep():
        seen += 1
        assert explorer.unexpected is None, (values, explorer.unexpected)
        assert explorer.message == "", (values, explorer.message)  # adapt keeps settings possible
        assert explorer.png.startswith(b"\x89PNG")
        assert "C has shape" in explorer.caption
    assert seen > 200


def test_matrix_explorer_default_caption():
    explorer = conv_matrix_explorer()
    assert "C has shape (4, 16): 36 kernel values, 28 zeros" in explorer.caption


def _check(explorer, values):
    assert explorer.unexpected is None, (values, explorer.unexpected)
    if explorer.message:
        assert "must" in explorer.message or "padding" in explorer.message
    else:
        assert explorer.png.startswith(b"\x89PNG")
        n = values["input_size"]
        size = conv_transpose_output_size(n, values["kernel_size"], values["stride"], values["padding"],
                                          values["output_padding"], values["dilation"])
        assert f"= {size}" in explorer.caption


@pytest.mark.slow
def test_scatter_explorer_whole_grid():
    """Every reachable setting (input size, kernel, stride, dilation, output_padding, padding), each
    at the Play control's empty, first and last step (0, 1 and input_size**2)."""
    explorer = scatter_explorer()
    seen = 0
    for values in explorer.sweep({"step": [0, 1, 4, 9, 16]}):
        seen += 1
        _check(explorer, values)
        assert explorer.message == ""
    assert seen > 1500


def test_scatter_explorer_every_step():
    """The Play control's whole range, for the worked example and a large setting."""
    for start in ({}, {"input_size": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
                  {"input_size": 3, "kernel_size": 2, "stride": 3, "dilation": 2, "output_padding": 2}):
        explorer = scatter_explorer(**start)
        seen = 0
        for values in explorer.sweep({name: [value] for name, value in explorer.values.items() if name != "step"}):
            seen += 1
            _check(explorer, values)
        assert seen == explorer.values["input_size"] ** 2 + 1


def test_play_is_linked_to_the_step_control():
    explorer = scatter_explorer()
    assert explorer.play in explorer.children[1].children
    explorer.play.value = 3
    assert explorer.values["step"] == 3 and explorer.caption.startswith("step 3 of 4: x[1,0] = 2")
    explorer.set(input_size=3)
    assert explorer.play.max == 9
    explorer.controls["step"].value = 9
    assert explorer.play.value == 9 and "step 9 of 9" in explorer.caption


def test_scatter_explorer_caption_formula():
    explorer = scatter_explorer(stride=2, output_padding=1, step=4)
    assert "(2-1)*2 - 2*0 + 1*(2-1) + 1 + 1 = 5" in explorer.caption
    assert "nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, output_padding=1, bias=False)" in explorer.caption


def test_play_panel_is_fast():
    """Median redraw of the Play panel (goal: <= 100 ms on a quiet machine; generous bound here)."""
    explorer = scatter_explorer(input_size=4, kernel_size=3, stride=2, padding=1, output_padding=1)
    for step in range(17):
        explorer.set(step=step)
    explorer.render_ms.clear()
    for step in range(17):
        explorer.set(step=step)
    assert statistics.median(explorer.render_ms) < 300
