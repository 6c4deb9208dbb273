"""The figures and panels of notebooks 05 and 06: every reachable setting draws or explains itself."""

from __future__ import annotations

import statistics
import time

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


def test_example_kernel_is_one_point_one_times_one_two_three():
    for size in range(1, 30):
        expected = torch.tensor([round(1.1 * (i + 1), 1) for i in range(size * size)]).reshape(size, size)
        assert torch.equal(example_kernel(size), expected)
        assert torch.equal(example_input(size), torch.arange(size * size).reshape(size, size).float())


X_WORKED, W_WORKED = torch.tensor([[0.0, 1], [2, 3]]), torch.tensor([[1.0, 2], [3, 4]])


@pytest.mark.parametrize(
    "make",
    [lambda t: t.long(), lambda t: t.half(), lambda t: t.double(), lambda t: t.clone().requires_grad_()],
    ids=["int64", "half", "float64", "requires_grad"],
)
def test_figures_draw_every_dtype_like_float32(make):
    """Integer, half, float64 and requires_grad tensors of whole numbers: the same picture as float32."""
    for draw, kwargs in ((scatter_figure, {"step": 3, "stride": 2}), (scatter_sum_figure, {"padding": 1}),
                         (zero_insertion_figure, {"stride": 2, "padding": 1, "output_padding": 1})):
        assert figure_to_png(draw(make(X_WORKED), make(W_WORKED), **kwargs)) == \
            figure_to_png(draw(X_WORKED, W_WORKED, **kwargs)), draw.__name__
    assert figure_to_png(conv_matrix_figure(make(W_WORKED), 3)) == figure_to_png(conv_matrix_figure(W_WORKED, 3))


NAN = float("nan")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: example_input(10**9), ValueError, r"^example_input\(size=1,000,000,000\) would hold 1,000,000,000,000,000,000"),
        (lambda: example_kernel(10**9), ValueError, r"^example_kernel\(size=1,000,000,000\) would hold"),
        (lambda: example_kernel(0), ValueError, r"^size must be positive, got 0"),
        (lambda: example_input("2"), TypeError, r"^size must be a whole number, got '2'"),
        (lambda: conv_matrix_figure(input_size=10**9), ValueError,
         r"^C would be 999,999,996,000,000,004 x 1,000,000,000,000,000,000 cells; this figure draws at most 4,096"),
        (lambda: conv_matrix_figure(padding=10**9), ValueError, r"^C would be .* use a smaller input_size or padding"),
        (lambda: conv_matrix_figure(dilation=10**9), ValueError,
         r"^kernel_size \(3 with dilation 1000000000 spans 2000000001\) is larger than the padded input"),
        (lambda: conv_matrix_figure(torch.tensor([[1.0, NAN], [0, 1]])), ValueError, r"^weight contains 1 NaN or inf"),
        (lambda: conv_matrix_figure(torch.ones(9, 9), input_size=9), ValueError, r"k at most 8, got \(9, 9\)"),
        (lambda: conv_matrix_figure(torch.ones(0, 0)), ValueError, r"^weight must not be empty"),
        (lambda: conv_matrix_figure(torch.ones(3, 3), input_size=2.0), TypeError, r"^input_size must be a whole number"),
        (lambda: conv_matrix_figure([[1, 2], [3, 4]]), TypeError, r"^weight must be a square \(k, k\) tensor, got list"),
        (lambda: scatter_figure(stride=10**9), ValueError,
         r"^x \(2, 2\) and weight \(2, 2\) with stride 1000000000, dilation 1 and output_padding 0 make a "
         r"1000000002 x 1000000002 canvas; this figure draws at most 32 x 32"),
        (lambda: scatter_figure(dilation=(1, 10**9)), ValueError, r"make a 3 x 1000000002 canvas"),
        (lambda: scatter_figure(torch.ones(100, 100)), ValueError, r"^x \(100, 100\) and weight"),
        (lambda: scatter_figure(torch.tensor([[0.0, NAN]])), ValueError, r"^x contains 1 NaN or inf"),
        (lambda: scatter_figure(weight=torch.tensor([[float("inf")]])), ValueError, r"^weight contains 1 NaN"),
        (lambda: scatter_figure(torch.ones(1, 1, 2, 2)), ValueError, r"^x must be a \(H, W\) tensor, got shape \(1, 1, 2, 2\)"),
        (lambda: scatter_figure(torch.ones(2, 0)), ValueError, r"^x must not be empty"),
        (lambda: scatter_figure(stride="2"), TypeError, r"^stride must be a whole number, got '2'"),
        (lambda: scatter_figure(padding=-1), ValueError, r"^padding must be 0 or more, got -1"),
        (lambda: scatter_figure(stride=True), TypeError, r"^stride must be a whole number, got True"),
        (lambda: scatter_figure(step=True), ValueError, r"^step must be a whole number from 0 to 4"),
        (lambda: scatter_figure(padding=3), ValueError, r"^padding \(3\) crops 6 from a full output of 3"),
        (lambda: scatter_sum_figure(torch.ones(5, 5)), ValueError, r"^x is \(5, 5\): this figure draws one kernel copy"),
        (lambda: scatter_sum_figure(weight=torch.ones(2, 2, dtype=torch.complex64)), TypeError,
         r"^weight must hold real numbers"),
        (lambda: zero_insertion_figure(stride=(1, 2)), TypeError, r"^stride must be a whole number, got \(1, 2\)"),
        (lambda: zero_insertion_figure(stride=10**9), ValueError, r"make a 1000000002 x 1000000002 canvas"),
        (lambda: zero_insertion_figure(torch.tensor([[NAN]])), ValueError, r"^x contains 1 NaN"),
    ],
)
def test_figures_refuse_bad_input_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5
