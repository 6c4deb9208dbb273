"""load_image, the images the course draws, and set_seed."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from PIL import Image

from course_utils import load_image, set_seed
from course_utils.images import COURSE_IMAGES, IMAGES_DIR, MAX_PIXELS


@pytest.mark.parametrize("name", list(COURSE_IMAGES))
def test_every_course_image_loads(name):
    image = load_image(name)
    assert isinstance(image, Image.Image) and image.mode in ("L", "RGB")
    assert image.size[0] >= 16 and image.size[1] >= 16


def test_photo_is_square_512_and_needs_no_download():
    assert load_image("photo").size == (512, 512)
    assert load_image("grace_hopper").size == (512, 600)


@pytest.mark.parametrize("name", [n for n, (_, _, saved) in COURSE_IMAGES.items() if saved])
def test_shipped_images_match_the_script(name):
    """images/*.png are what `python -m course_utils.images` draws (no drift)."""
    maker = COURSE_IMAGES[name][0]
    with Image.open(IMAGES_DIR / f"{name}.png") as stored:
        assert np.array_equal(np.asarray(stored), np.asarray(maker()))


def test_reader_files(tmp_path):
    path = tmp_path / "mine.png"
    Image.new("RGBA", (7, 5), (10, 20, 30, 40)).save(path)
    assert load_image(path).mode == "RGBA" and load_image(str(path)).size == (7, 5)


def test_bad_paths_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a course image .*'photo'"):
        load_image(tmp_path / "missing.png")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="not an image file PIL can read"):
        load_image(text)
    with pytest.raises(ValueError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(TypeError, match="name_or_path must be"):
        load_image(42)


def test_enormous_images_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("L", (300, 200)).save(path)
    monkeypatch.setattr("course_utils.images.MAX_PIXELS", 50_000)
    with pytest.raises(ValueError, match="300 x 200 .*Resize it first"):
        load_image(path)
    assert MAX_PIXELS == 40_000_000


def test_set_seed_reproduces_every_generator():
    set_seed(3)
    first = (random.random(), np.random.rand(), torch.rand(2))  # noqa: NPY002
    set_seed(3)
    second = (random.random(), np.random.rand(), torch.rand(2))  # noqa: NPY002
    assert first[:2] == second[:2] and torch.equal(first[2], second[2])


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                             ("0", TypeError), (True, TypeError)])
def test_set_seed_bad_input(seed, error):
    with pytest.raises(error, match="seed"):
        set_seed(seed)
