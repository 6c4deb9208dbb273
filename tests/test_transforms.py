"""to_tensor / normalize / transform_invert against NumPy, PIL and hand-computed values."""

from __future__ import annotations

import re

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
        (np.zeros((2, 2), dtype=np.int64), TypeError, "array / 255"),
        (np.zeros((4, 5, 3), dtype=np.uint16), TypeError, "(0..65535) pass array / 65535"),
        (np.zeros((4, 5), dtype=bool), TypeError, "array.astype(np.float32)"),
        (np.full((4, 5, 3), np.nan, dtype=np.float32), ValueError, "NaN"),
        (np.array([[0.5, np.inf]]), ValueError, "infinite"),
        (np.zeros((3, 64, 80), dtype=np.uint8), ValueError, "array.transpose(1, 2, 0)"),
        (np.zeros((1, 64, 80), dtype=np.float32), ValueError, "looks channel-first (C, H, W)"),
        (Image.fromarray(np.full((2, 3), 2.0, dtype=np.float32)), ValueError, "values from 2 to 2"),
    ],
)
def test_to_tensor_bad_input(bad, error, words):
    with pytest.raises(error, match="image") as info:
        to_tensor(bad)
    assert words in str(info.value)


def test_to_tensor_channel_first_array_once_transposed_matches_the_picture():
    picture = load_image("shapes")
    channel_first = np.asarray(picture).transpose(2, 0, 1)  # (3, 256, 256) is ambiguous: square
    channel_first = channel_first[:, :, :200]  # (3, 256, 200) is not
    with pytest.raises(ValueError, match="channel-first"):
        to_tensor(channel_first)
    torch.testing.assert_close(
        to_tensor(channel_first.transpose(1, 2, 0)), to_tensor(picture)[:, :, :200], rtol=0, atol=0
    )


def test_to_tensor_keeps_float_values_outside_0_1_like_torchvision():
    values = np.array([[-0.5, 0.25], [1.0, 2.5]])
    torch.testing.assert_close(to_tensor(values), torch.from_numpy(values).float()[None])


def test_to_tensor_of_a_16_bit_pil_image_is_not_saturated():
    levels = np.array([[0, 128, 129, 257], [1000, 32896, 65279, 65535]], dtype=np.uint16)
    t = to_tensor(Image.fromarray(levels))
    expected = torch.from_numpy(np.rint(levels / 257)).float()[None] / 255
    torch.testing.assert_close(t, expected, rtol=0, atol=0)


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
    t = torch.rand(3, 2, 2)
    with pytest.raises(ValueError, match="mean has 2 values but the tensor has 3 channels"):
        normalize(t, [0.5, 0.5], 0.5)
    with pytest.raises(TypeError, match="t must be a torch.Tensor"):
        normalize(np.zeros((3, 2, 2)), 0, 1)
    with pytest.raises(TypeError, match=r"mean must be a number, got '0.5' \(str\)"):
        normalize(t, "0.5", 0.2)
    with pytest.raises(TypeError, match=r"std must be a number, got '0.2' \(str\)"):
        normalize(t, 0.5, "0.2")
    with pytest.raises(TypeError, match=r"mean\[1\] must be a number, got None"):
        normalize(t, [0.5, None, 0.5], 0.2)
    with pytest.raises(ValueError, match="std must be a finite number, got nan"):
        normalize(t, 0.5, float("nan"))
    with pytest.raises(ValueError, match=r"mean\[2\] must be a finite number, got inf"):
        normalize(t, [0.5, 0.5, float("inf")], 0.2)
    for std in ([1, 0, 1], -0.5, [0.2, 0.2, -0.2]):
        with pytest.raises(ValueError, match="std must be positive in every channel"):
            normalize(t, 0.5, std)
    with pytest.raises(ValueError, match="std must be positive"):  # 1e-50 is 0 in float32
        normalize(t, 0.5, 1e-50)
    assert torch.equal(t, t.clone())


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.bool])
def test_normalize_refuses_integer_tensors(dtype):
    words = r"t must be a float tensor.*to_tensor\(image\).*t\.float\(\) / 255"
    with pytest.raises(TypeError, match=words):
        normalize(torch.zeros(3, 2, 2, dtype=dtype), 0.5, 0.25)


def test_normalize_keeps_float_dtype_and_takes_tensor_or_array_statistics():
    t = torch.rand(3, 4, 5, dtype=torch.float64)
    mean, std = torch.tensor([0.4, 0.5, 0.6]), np.array([0.2, 0.3, 0.4])
    out = normalize(t, mean, std)
    assert out.dtype == torch.float64  # as torchvision.transforms.functional.normalize
    expected = (t - mean.double().view(3, 1, 1)) / torch.from_numpy(std).view(3, 1, 1)
    torch.testing.assert_close(out, expected)
    assert normalize(t.half(), 0.5, 0.5).dtype == torch.float16


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


def test_transform_invert_reads_uint8_as_0_to_255_and_round_trips_exactly():
    for name in ("shapes", "checkerboard"):
        picture = load_image(name)
        pixels = np.asarray(picture)
        as_uint8 = torch.from_numpy(pixels.copy())
        as_uint8 = as_uint8.permute(2, 0, 1) if as_uint8.dim() == 3 else as_uint8
        before = as_uint8.clone()
        assert np.array_equal(np.asarray(transform_invert(as_uint8)), pixels)
        assert np.array_equal(np.asarray(transform_invert(to_tensor(picture))), pixels)
        assert torch.equal(as_uint8, before)
    every_level = torch.arange(256, dtype=torch.uint8).reshape(1, 16, 16)
    assert np.array_equal(np.asarray(transform_invert(every_level)), every_level[0].numpy())
    rgba = torch.randint(0, 256, (4, 3, 5), dtype=torch.uint8)
    assert np.array_equal(np.asarray(transform_invert(rgba)), rgba.permute(1, 2, 0).numpy())


def test_transform_invert_bool_and_other_dtypes():
    mask = torch.tensor([[True, False], [False, True]])
    assert np.asarray(transform_invert(mask)).tolist() == (mask.int() * 255).tolist()
    for dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.complex64):
        with pytest.raises(TypeError, match=rf"t has dtype {dtype}.*t.float\(\) / 255"):
            transform_invert(torch.zeros(3, 2, 2, dtype=dtype))
    with pytest.raises(TypeError, match="mean must be a number, got '0.5'"):
        transform_invert(torch.rand(3, 2, 2), mean="0.5", std=0.25)
    with pytest.raises(ValueError, match="std must be positive"):
        transform_invert(torch.rand(3, 2, 2), mean=0.5, std=-0.25)


def test_transform_invert_undoes_normalize_like_torchvision_would():
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    photo = to_tensor(load_image("shapes"))
    restored = np.asarray(transform_invert(normalize(photo, mean, std), mean, std))
    assert np.abs(restored.astype(int) - np.asarray(load_image("shapes")).astype(int)).max() <= 1


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")], ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16], ids=str)
def test_transform_invert_refuses_nan_and_inf(value, dtype):
    t = torch.rand(3, 4, 4, dtype=dtype)
    t[1, 2, 3] = value
    with pytest.raises(ValueError, match=r"^t holds nan/inf values \(1 of 48\): nothing to show; "
                                         r"clean them with torch.nan_to_num\(t\)"):
        transform_invert(t)
    # the advice works: the cleaned tensor is drawn, with the non-finite pixel clipped like any other
    cleaned = np.asarray(transform_invert(torch.nan_to_num(t)))
    assert cleaned[2, 3, 1] == (0 if value != float("inf") else 255)


def test_transform_invert_large_float64_values_are_clipped_not_refused():
    t = torch.tensor([[[1e300, -1e300]]], dtype=torch.float64)  # finite, though not in float32
    assert np.asarray(transform_invert(t)).tolist() == [[255, 0]]


@pytest.mark.parametrize("shape", [(3, 4, 0), (3, 0, 4), (0, 4, 4), (1, 3, 0, 4), (0, 5)], ids=str)
def test_transform_invert_refuses_empty_tensors(shape):
    with pytest.raises(ValueError, match=rf"^t is empty \(shape {re.escape(str(shape))}\)"):
        transform_invert(torch.zeros(shape))
