"""The colour language and the figure helpers."""

from __future__ import annotations

import io

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
    with pytest.raises(ValueError, match="values must be a 2D grid"):
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
