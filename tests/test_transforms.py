"""to_tensor / normalize / transform_invert against NumPy, PIL and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from course_utils import load_image, normalize, to_tensor, transform_invert


def test_to_tensor_matches_numpy_layout_and_scale():
    image = load_image("shapes")
    t = to_tensor(image)
    array = np.asarray(image)
    assert t.shape == (3, array.shape[0], array.shape[1]) and t.dtype == torch.float32
    np.testing.assert_allclose(t.permute(1, 2, 0).numpy(), array / 255.0, rtol=0, atol=1e-7)


def test_to_tensor_grey_palette_and_arrays():
    assert to_tensor(Image.new("L", (5, 4), 255)).shape == (1, 4, 5)
    assert torch.all(to_tensor(Image.new("L", (5, 4), 255)) == 1)
    palette = Image.new("P", (3, 2))
    assert to_tensor(palette).shape == (3, 2, 3)
    assert to_tensor(np.zeros((4, 6), dtype=np.uint8)).shape == (1, 4, 6)
    floats = np.full((2, 2, 3), 0.25, dtype=np.float64)
    assert torch.allclose(to_tensor(floats), torch.full((3, 2, 2), 0.25))


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ("picture.png", TypeError, "load_image"),
        (np.zeros((2, 2, 2, 2), dtype=np.uint8), ValueError, "(H, W)"),
        (np.zeros((2, 2), dtype=np.int64), TypeError, "uint8"),
    ],
)
def test_to_tensor_bad_input(bad, error, words):
    with pytest.raises(error, match="image") as info:
        to_tensor(bad)
    assert words in str(info.value)


@given(
    st.integers(1, 5),
    st.lists(st.floats(-2, 2), min_size=1, max_size=5),
    st.lists(st.floats(0.1, 3), min_size=1, max_size=5),
)
def test_normalize_then_invert_round_trip(channels, means, stds):
    means = (means * channels)[:channels]
    stds = (stds * channels)[:channels]
    t = torch.rand(channels, 4, 5)
    before = t.clone()
    n = normalize(t, means, stds)
    assert torch.equal(t, before), "normalize must not change its input"
    expected = (t - torch.tensor(means).view(-1, 1, 1)) / torch.tensor(stds).view(-1, 1, 1)
    torch.testing.assert_close(n, expected)
    if channels in (1, 3, 4):
        back = np.asarray(transform_invert(n, means, stds), dtype=float) / 255
        original = t.permute(1, 2, 0).numpy()
        np.testing.assert_allclose(back.reshape(original.shape), original, atol=0.5 / 255 + 1e-4)


def test_normalize_errors_name_the_argument():
    with pytest.raises(ValueError, match="mean has 2 values but the tensor has 3 channels"):
        normalize(torch.rand(3, 2, 2), [0.5, 0.5], 0.5)
    with pytest.raises(ValueError, match="std must not contain 0"):
        normalize(torch.rand(3, 2, 2), 0.5, [1, 0, 1])
    with pytest.raises(TypeError, match="t must be a torch.Tensor"):
        normalize(np.zeros((3, 2, 2)), 0, 1)


def test_transform_invert_never_in_place_and_clips():
    t = torch.tensor([[[-1.0, 0.5], [1.5, 0.25]]])  # (1, 2, 2)
    before = t.clone()
    image = transform_invert(t)
    assert torch.equal(t, before)
    assert image.mode == "L" and image.size == (2, 2)
    assert np.asarray(image).tolist() == [[0, 128], [255, 64]]


def test_transform_invert_channel_counts_and_batches():
    assert transform_invert(torch.rand(1, 3, 8, 6)).mode == "RGB"
    assert transform_invert(torch.rand(3, 8, 6)).size == (6, 8)
    assert transform_invert(torch.rand(4, 8, 6)).mode == "RGBA"
    assert transform_invert(torch.rand(8, 6)).mode == "L"
    assert transform_invert(torch.rand(3, 4, 4, requires_grad=True)).mode == "RGB"
    with pytest.raises(ValueError, match="t has 21 channels.*t\\[i:i\\+1\\]"):
        transform_invert(torch.rand(21, 4, 4))
    with pytest.raises(ValueError, match="batch of 2 images"):
        transform_invert(torch.rand(2, 3, 4, 4))


def test_transform_invert_undoes_normalize_like_torchvision_would():
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    photo = to_tensor(load_image("shapes"))
    restored = np.asarray(transform_invert(normalize(photo, mean, std), mean, std))
    assert np.abs(restored.astype(int) - np.asarray(load_image("shapes")).astype(int)).max() <= 1
