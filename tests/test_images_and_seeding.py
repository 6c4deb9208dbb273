"""load_image, the images the course draws, and set_seed."""

from __future__ import annotations

import random
import re

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


LEVELS_16 = np.array(
    [[0, 1, 128, 129, 257, 385], [386, 1000, 32896, 65279, 65407, 65535]], dtype=np.uint16
)


def as_8bit(levels):
    """16-bit levels as 8-bit ones: 0..65535 onto 0..255, rounding to the nearest."""
    return np.rint(levels / 257).astype(np.uint8)


@pytest.mark.parametrize(
    ("suffix", "levels"),
    [
        (".png", LEVELS_16),  # PIL opens it as "I;16"
        (".tif", LEVELS_16.astype(">u2")),  # "I;16B"
        (".pgm", LEVELS_16),  # "I"
        (".tif", LEVELS_16.astype(np.int32)),  # "I", 32-bit, values that fit 16 bits
    ],
)
def test_16_bit_images_are_scaled_not_saturated(tmp_path, suffix, levels):
    path = tmp_path / f"grey{suffix}"
    Image.fromarray(levels).save(path)
    image = load_image(path)
    assert image.mode == "L"
    assert np.array_equal(np.asarray(image), as_8bit(LEVELS_16.astype(np.int64)))
    random_levels = np.random.default_rng(0).integers(0, 65536, (40, 30)).astype(np.uint16)
    Image.fromarray(random_levels).save(path)
    assert np.array_equal(np.asarray(load_image(path)), as_8bit(random_levels))


def test_float_images_in_0_1_are_scaled(tmp_path):
    path = tmp_path / "float.tif"
    values = np.linspace(0, 1, 48, dtype=np.float32).reshape(6, 8)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "F"
    image = load_image(path)
    assert image.mode == "L" and np.array_equal(np.asarray(image), np.rint(values * 255.0))


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (np.array([[0.0, 255.0]], dtype=np.float32), "image (mode 'F') with values from 0 to 255"),
        (np.array([[0.5, np.nan]], dtype=np.float32), "NaN or infinite"),
        (np.array([[-5, 70_000]], dtype=np.int32), "integer image (mode 'I') with values from -5"),
    ],
)
def test_images_whose_values_mean_nothing_are_refused(tmp_path, values, words):
    path = tmp_path / "odd.tif"
    Image.fromarray(values).save(path)
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        load_image(path)
    assert words in str(info.value) and "scale it to [0, 1]" in str(info.value)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_files_are_named_and_called_damaged(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    load_image("shapes").save(whole)
    half = tmp_path / f"half{suffix}"
    data = whole.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(repr(str(half))) + " is damaged or truncated"):
        load_image(half)


@pytest.mark.parametrize("header", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"])
def test_random_bytes_with_an_image_header_are_called_damaged(tmp_path, header):
    path = tmp_path / "broken.img"
    path.write_bytes(header + np.random.default_rng(1).bytes(300))
    with pytest.raises(ValueError, match=re.escape(repr(str(path))) + " is damaged or truncated"):
        load_image(path)
