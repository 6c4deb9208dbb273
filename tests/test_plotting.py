"""The colour language and the figure helpers."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from PIL import Image

from course_utils import COLORS, draw_grid, figure_to_png, new_figure, show_images
from course_utils.plotting import role_cmap, role_legend


def pixels(fig):
    return np.asarray(Image.open(io.BytesIO(figure_to_png(fig))).convert("RGB"))


def test_roles_have_distinct_colours_and_cmaps_end_in_them():
    assert len({COLORS[r] for r in ("input", "kernel", "output", "padding", "highlight")}) == 5
    for role in ("input", "kernel", "output"):
        assert np.allclose(role_cmap(role)(1.0)[:3], to_rgb(COLORS[role]))
    with pytest.raises(ValueError, match="role must be 'input', 'kernel' or 'output'"):
        role_cmap("padding")


def test_draw_grid_colours_data_and_structural_zeros_differently():
    fig = new_figure(2, 2, dpi=50)
    ax = fig.subplots()
    values = np.array([[0.0, 5.0], [0.0, 0.0]])
    zeros = np.array([[True, False], [False, False]])
    draw_grid(ax, values, "kernel", zeros=zeros, annotate=False)
    rgb = pixels(fig)
    h, w = rgb.shape[:2]
    # the largest magnitude gets the full kernel colour; the padding cell is grey
    kernel = np.array(to_rgb(COLORS["kernel"])) * 255
    assert np.abs(rgb.reshape(-1, 3) - kernel).sum(axis=1).min() < 20
    grey = np.array(to_rgb(COLORS["padding"])) * 255
    assert np.abs(rgb.reshape(-1, 3) - grey).sum(axis=1).min() < 20
    assert len(ax.texts) == 0 and h > 0 and w > 0


def test_draw_grid_annotates_every_cell_and_shifts_origin():
    fig = new_figure(3, 3)
    ax = fig.subplots()
    draw_grid(ax, torch.arange(12.0).reshape(3, 4), "input", origin=(-1, -1), fmt=".1f")
    assert [t.get_text() for t in ax.texts][:3] == ["0.0", "1.0", "2.0"]
    assert list(ax.get_xticks()) == [-1, 0, 1, 2]
    with pytest.raises(ValueError, match=r"values must be a non-empty 2D grid, got shape \(3,\)"):
        draw_grid(ax, np.zeros(3), "input")


def test_new_figure_displays_as_png_in_jupyter():
    fig = new_figure(2, 1, dpi=40)
    fig.subplots().plot([0, 1])
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size == (80, 40)


def test_figure_to_png_honours_dpi():
    fig = new_figure(2, 1, dpi=40)
    assert Image.open(io.BytesIO(figure_to_png(fig, dpi=80))).size == (160, 80)


def test_show_images_accepts_pil_arrays_and_tensors():
    images = [Image.new("RGB", (8, 4)), np.zeros((4, 8)), torch.rand(3, 4, 8), torch.rand(1, 4, 8)]
    fig = show_images(images, ["a", "b", "c", "d"], ncols=2)
    assert len(fig.axes) == 4 and [a.get_title() for a in fig.axes] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="titles has 1 entries for 4 images"):
        show_images(images, ["a"])
    with pytest.raises(ValueError, match="at least one image"):
        show_images([])


def test_role_legend_lists_the_roles():
    fig = new_figure(3, 1)
    role_legend(fig)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["input", "kernel", "output", "padding zeros"]


@pytest.mark.parametrize(
    ("values", "texts"),
    [
        (torch.tensor([[1.5, -2.0]], requires_grad=True), ["1.5", "-2"]),
        (torch.tensor([[1.5, -2.0]]).half(), ["1.5", "-2"]),
        (torch.tensor([[1.5, -2.0]]).bfloat16(), ["1.5", "-2"]),
        (torch.tensor([[1234, -56789]]), ["1234", "-56789"]),  # whole numbers stay whole (not 1.23e+03)
        (np.array([[3, 200]], dtype=np.uint8), ["3", "200"]),
        (torch.tensor([[True, False]]), ["1", "0"]),
        ([[0.25, 4]], ["0.25", "4"]),
    ],
    ids=["requires_grad", "half", "bfloat16", "int64", "uint8", "bool", "list"],
)
def test_draw_grid_draws_every_dtype(values, texts):
    ax = new_figure(2, 1, dpi=40).subplots()
    draw_grid(ax, values, "output")
    assert [t.get_text() for t in ax.texts] == texts
    assert figure_to_png(ax.figure).startswith(b"\x89PNG")


def test_show_images_draws_requires_grad_half_and_bool_images():
    images = [torch.rand(3, 4, 6, requires_grad=True), torch.rand(4, 6).half(), torch.rand(1, 4, 6).bfloat16(),
              np.zeros((4, 6, 1)), np.ones((4, 6), dtype=bool), Image.new("1", (6, 4))]
    fig = show_images(images)
    shown = [ax.images[0].get_array() for ax in fig.axes]
    np.testing.assert_allclose(shown[0], images[0].detach().permute(1, 2, 0).numpy())
    np.testing.assert_allclose(shown[1], images[1].float().numpy())
    assert [a.shape for a in shown] == [(4, 6, 3)] + [(4, 6)] * 5


NAN_GRID = np.array([[1.0, np.nan], [0.0, 2.0]])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda ax: draw_grid(ax, NAN_GRID), ValueError, r"^values contains 1 NaN or inf value\(s\)"),
        (lambda ax: draw_grid(ax, torch.tensor([[float("inf")]])), ValueError, r"^values contains 1 NaN"),
        (lambda ax: draw_grid(ax, np.zeros((0, 3))), ValueError, r"^values must be a non-empty 2D grid"),
        (lambda ax: draw_grid(ax, [["a", "b"]]), TypeError, r"^values must hold real numbers"),
        (lambda ax: draw_grid(ax, [[1, 2], [3]]), TypeError, r"^values must be a tensor, an array or nested lists"),
        (lambda ax: draw_grid(ax, torch.ones(1, 2, dtype=torch.complex64)), TypeError, r"^values must hold real"),
        (lambda ax: draw_grid(ax, torch.zeros(30, 30)), ValueError,
         r"^values is 30 x 30: draw_grid draws at most 400 cells with annotate=True .*; pass annotate=False"),
        (lambda ax: draw_grid(ax, torch.zeros(1, 1).expand(10**4, 10**4), annotate=False), ValueError,
         r"^values is 10000 x 10000: draw_grid draws at most 4,096 cells; use show_images"),
        (lambda ax: draw_grid(ax, np.ones((2, 2)), zeros=np.ones((3, 3), dtype=bool)), ValueError,
         r"^zeros must be a boolean mask of the grid's shape \(2, 2\)"),
        (lambda ax: draw_grid(ax, np.ones((2, 2)), zero_role="kernel"), ValueError, r"^zero_role must be one of"),
        (lambda ax: draw_grid(ax, np.ones((2, 2)), vmax=float("nan")), ValueError, r"^vmax must be a finite number"),
        (lambda ax: draw_grid(ax, np.ones((2, 2)), origin=(0.5, 0)), TypeError, r"^origin\[0\] must be a whole number"),
        (lambda ax: show_images([np.array([[0.0, np.nan]])]), ValueError, r"^images\[0\] contains NaN or inf"),
        (lambda ax: show_images([torch.zeros(4, 4), torch.randint(0, 255, (3, 4, 4))]), TypeError,
         r"^images\[1\] must hold floats in \[0, 1\] or uint8 values in \[0, 255\], got int64"),
        (lambda ax: show_images([torch.zeros(2, 4, 4)]), ValueError, r"^images\[0\] must be a non-empty \(H, W\)"),
        (lambda ax: show_images([np.zeros((0, 4))]), ValueError, r"^images\[0\] must be a non-empty"),
        (lambda ax: show_images(["photo.png"]), TypeError, r"^images\[0\] must be a PIL image, an array or a tensor"),
        (lambda ax: show_images(Image.new("L", (4, 4))), TypeError, r"^images must be a list of images, got Image"),
        (lambda ax: show_images([np.zeros((4, 4))], ncols=10**9), ValueError,
         r"^ncols must be between 1 and the number of images \(1\), got 1000000000"),
        (lambda ax: show_images([np.zeros((4, 4))], width=10**9), ValueError,
         r"^new_figure\(width=1e\+09, height=1e\+09, dpi=100\) would be"),
        (lambda ax: new_figure(10**9, 3), ValueError,
         r"^new_figure\(width=1e\+09, height=3, dpi=100\) would be 100,000,000,000 x 300 pixels; at most 33,554,432"),
        (lambda ax: new_figure(0, 3), ValueError, r"^width must be at least 0.1, got 0"),
        (lambda ax: new_figure(3, float("nan")), ValueError, r"^height must be a finite number"),
        (lambda ax: new_figure(3, 3, dpi=2.5), TypeError, r"^dpi must be a whole number"),
        (lambda ax: figure_to_png(ax.figure, dpi=10**6), ValueError,
         r"^figure_to_png of a 2 x 2 inch figure at dpi 1e\+06 would be 2,000,000 x 2,000,000 pixels"),
        (lambda ax: figure_to_png(ax.figure, dpi=0), ValueError, r"^dpi must be at least 1"),
        (lambda ax: role_legend(ax.figure, ["input", "weights"]), ValueError, r"^roles\[1\] must be one of"),
    ],
)
def test_bad_input_is_refused_quickly(call, error, match):
    ax = new_figure(2, 2, dpi=50).subplots()
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call(ax)
    assert time.perf_counter() - start < 0.5
