"""The colour language and the figure helpers."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import torch
from PIL import Image

from course_utils import figure_to_png, new_figure, show_images


def pixels(fig):
    return np.asarray(Image.open(io.BytesIO(figure_to_png(fig))).convert("RGB"))


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


def test_show_images_draws_requires_grad_half_and_bool_images():
    images = [torch.rand(3, 4, 6, requires_grad=True), torch.rand(4, 6).half(), torch.rand(1, 4, 6).bfloat16(),
              np.zeros((4, 6, 1)), np.ones((4, 6), dtype=bool), Image.new("1", (6, 4))]
    fig = show_images(images)
    shown = [ax.images[0].get_array() for ax in fig.axes]
    np.testing.assert_allclose(shown[0], images[0].detach().permute(1, 2, 0).numpy())
    np.testing.assert_allclose(shown[1], images[1].float().numpy())
    assert [a.shape for a in shown] == [(4, 6, 3)] + [(4, 6)] * 5



@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
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
    ],
)
def test_bad_input_is_refused_quickly(call, error, match):
    ax = new_figure(2, 2, dpi=50).subplots()
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call(ax)
    assert time.perf_counter() - start < 0.5
