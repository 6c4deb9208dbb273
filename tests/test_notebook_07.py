"""Facts of 07_bilinear_upsampling added in the second expert reading, computed again independently:
resize-then-convolve on a ramp, what modern networks do, checkerboards in gradients, align_corners=True,
the exercises 07.4 and 07.6, and the prediction answered in a closed block."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from course_utils import (
    bilinear_kernel,
    bilinear_upsampler,
    check,
    conv_transpose_output_size,
    overlap_count,
)
from course_utils.exercises import _load

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_bilinear_upsampling.ipynb"


def markdown() -> str:
    return "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown")


def notebook_weights():
    gen = torch.Generator().manual_seed(0)
    return [torch.rand(1, 1, k, k, generator=gen) + 0.5 for k in (3, 4, 3)]


def test_resize_then_convolve_on_a_ramp():
    conv3 = notebook_weights()[2].double()
    ramp = torch.arange(8.0, dtype=torch.float64).expand(1, 1, 8, 8)
    nearest, bilinear = ramp, ramp
    for _ in range(2):
        nearest = F.conv2d(F.interpolate(nearest, scale_factor=2, mode="nearest"), conv3, padding=1)
        bilinear = F.conv2d(F.interpolate(bilinear, scale_factor=2, mode="bilinear", align_corners=False),
                            conv3, padding=1)
    steps = nearest[0, 0, 16, 8:-8].diff()
    assert [round(v, 2) for v in steps[:4].tolist()] == [20.67, 15.85, 23.08, 9.01]
    torch.testing.assert_close(steps[4:], steps[:-4])  # period 4
    assert (steps[:4].max() - steps[:4].min()) > 10
    b = bilinear[0, 0, 16, 8:-8].diff()
    assert (b.max() - b.min()) < 1e-9 and round(b[0].item(), 2) == 17.15
    # a constant image stays constant whatever the weights
    flat = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    for _ in range(2):
        flat = F.conv2d(F.interpolate(flat, scale_factor=2, mode="nearest"), torch.randn(1, 1, 3, 3).double(),
                        padding=1)
    assert (flat[0, 0, 8:-8, 8:-8].max() - flat[0, 0, 8:-8, 8:-8].min()) < 1e-9
    text = markdown()
    assert "cannot produce the pattern whatever its weights" not in text
    assert "initialised bilinearly)" not in text and "U-Net" in text


def test_special_weights_turn_nearest_into_bilinear():
    x = torch.rand(1, 1, 9, dtype=torch.float64) * 5
    tent = torch.tensor([[[0.25, 0.5, 0.25]]], dtype=torch.float64)
    a = F.conv1d(F.interpolate(x, scale_factor=2, mode="nearest"), tent, padding=1)
    b = F.interpolate(x, scale_factor=2, mode="linear", align_corners=False)
    torch.testing.assert_close(a[..., 1:-1], b[..., 1:-1])


def test_bilinear_transposed_conv_keeps_a_ramp_a_ramp():
    ramp = torch.arange(8.0, dtype=torch.float64).expand(1, 1, 8, 8)
    bil = bilinear_kernel(1, 1, 4).double()
    out = F.conv_transpose2d(F.conv_transpose2d(ramp, bil, stride=2, padding=1), bil, stride=2, padding=1)
    assert out[0, 0, 16, 8:-8].diff().unique().tolist() == [0.25]


@pytest.mark.parametrize(("k", "s", "n"), [(3, 2, 11), (4, 2, 11), (5, 2, 21), (3, 3, 14), (5, 3, 17)])
def test_gradient_of_a_strided_convolution_is_the_overlap_count(k, s, n):
    x = torch.zeros(1, 1, n, n, requires_grad=True)
    F.conv2d(x, torch.ones(1, 1, k, k), stride=s).sum().backward()
    windows = (n - k) // s + 1
    counts = overlap_count(k, s, input_size=windows)
    assert torch.equal(x.grad[0, 0, :counts.shape[0], :counts.shape[1]], counts)


def test_gradient_values_in_the_notebook():
    for k, values in ((3, [1.0, 2.0, 4.0]), (4, [4.0])):
        x = torch.zeros(1, 1, 11, 11, requires_grad=True)
        F.conv2d(x, torch.ones(1, 1, k, k), stride=2).sum().backward()
        assert x.grad[0, 0, 3:-3, 3:-3].unique().tolist() == values


def test_align_corners_true():
    row = torch.arange(4.0, dtype=torch.float64)[None, None]
    out = F.interpolate(row, scale_factor=2, mode="linear", align_corners=True)[0, 0]
    torch.testing.assert_close(out, torch.arange(8, dtype=torch.float64) * 3 / 7)
    assert [round(v, 4) for v in out.tolist()] == [0.0, 0.4286, 0.8571, 1.2857, 1.7143, 2.1429, 2.5714, 3.0]
    # the fractional parts take 7 values: no period-2 kernel; with align_corners=False two (1/4, 3/4) and 0 at the clamp
    fractions = {Fraction(j * 3, 7) % 1 for j in range(8)}
    assert len(fractions) == 7
    # the step depends on n: 3/7 for n = 4, 4/9 for n = 5
    for n, step in ((4, 3 / 7), (5, 4 / 9)):
        o = F.interpolate(torch.arange(float(n), dtype=torch.float64)[None, None], scale_factor=2, mode="linear",
                          align_corners=True)[0, 0]
        torch.testing.assert_close(o.diff(), torch.full((2 * n - 1,), step, dtype=torch.float64))
    # no transposed convolution computes it: the best stride-2 kernel (least squares) misses on a random row
    torch.manual_seed(0)
    x = torch.rand(1, 1, 6, dtype=torch.float64)
    target = F.interpolate(x, scale_factor=2, mode="linear", align_corners=True)
    assert not torch.allclose(target, F.interpolate(x, scale_factor=2, mode="linear", align_corners=False))
    assert (target[0, 0, 0], target[0, 0, -1]) == (x[0, 0, 0], x[0, 0, -1])  # the corners are copied


def test_exercise_4_is_the_gradient_of_a_strided_convolution():
    assert "backward" in _load("07.4").question
    x = torch.zeros(1, 1, 41, 41, requires_grad=True)
    torch.nn.functional.conv2d(x, torch.ones(1, 1, 5, 5), stride=2).sum().backward()
    inner = x.grad[0, 0, 10:30, 10:30]
    assert (int(inner.min()), int(inner.max())) == (4, 9)
    assert check("07.4", (4, 9)).correct


def test_exercise_6_two_stacked_x2_layers():
    with torch.no_grad():
        out = bilinear_upsampler(1, 2)(bilinear_upsampler(1, 2)(torch.ones(1, 1, 4, 4)))
    assert tuple(out.shape[-2:]) == (16, 16)
    assert out[0, 0, 0, 0].item() == 0.31640625 == 0.5625**2
    with torch.no_grad():
        one = bilinear_upsampler(1, 4)(torch.ones(1, 1, 4, 4))
    assert one[0, 0, 0, 0].item() == 0.390625 == (5 / 8) ** 2
    assert check("07.6", 0.3164).correct and not check("07.6", 0.5625).correct


def test_prediction_is_answered_in_a_closed_block():
    text = markdown()
    block = text[text.index("**Predict, then check**"):]
    question, answer = block.split("<details>", 1)
    assert "<details open" not in block and "</details>" in answer
    counts = overlap_count(4, 3, input_size=3)
    assert tuple(counts.shape) == (10, 10) == ((3 - 1) * 3 + 4,) * 2
    assert (counts == 4).nonzero().tolist() == [[3, 3], [3, 6], [6, 3], [6, 6]]
    assert "(3, 3), (3, 6), (6, 3) and (6, 6)" in answer and "2 x 2 = 4" in answer


@pytest.mark.parametrize("key", [f"07.{i}" for i in range(1, 7)])
def test_every_exercise_has_two_hints_that_do_not_give_the_answer(key):
    item = _load(key)
    assert item.hint and item.hint2 and item.hint != item.hint2
    if item.cases is None:
        answer = item.solution()
        forms = [str(answer)] if not isinstance(answer, tuple) else [str(answer), str(list(answer))]
        for hint in (item.hint, item.hint2):
            for form in forms:
                assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d])", hint), (key, hint)


@pytest.mark.parametrize("f", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("n", [2, 3, 4, 7])
def test_align_corners_true_with_n_minus_1_times_f_plus_1_outputs_is_a_transposed_convolution(f, n):
    x = torch.rand(1, 1, n, n, dtype=torch.float64)
    by_tconv = F.conv_transpose2d(x, bilinear_kernel(1, 1, 2 * f - 1).double(), stride=f, padding=f - 1)
    size = (n - 1) * f + 1
    target = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=True)
    torch.testing.assert_close(by_tconv, target)  # border included
    steps = F.interpolate(torch.arange(float(n), dtype=torch.float64)[None, None], size=size, mode="linear",
                          align_corners=True)[0, 0].diff()
    torch.testing.assert_close(steps, torch.full((size - 1,), 1 / f, dtype=torch.float64))


def test_align_corners_claims_are_limited_to_scale_factor():
    text = " ".join(markdown().split())  # line breaks as spaces
    assert "and why no transposed convolution computes it." not in text
    assert text.count("at `scale_factor=f`") == 3  # the goals, section 5 and the summary
    assert "kernel `2f - 1`, stride `f`, padding `f - 1` computes it exactly" in text
    assert "513 = 16 x 32 + 1" in text and 513 == 16 * 32 + 1 == conv_transpose_output_size(17, 63, 32, 31)
    x4 = torch.rand(1, 1, 4, 4)
    by_tconv = F.conv_transpose2d(x4, bilinear_kernel(1, 1, 3), stride=2, padding=1)
    torch.testing.assert_close(by_tconv, F.interpolate(x4, size=(7, 7), mode="bilinear", align_corners=True))
    # at scale_factor=2 the same kernel gives the wrong size, and the step is not 1/2
    assert conv_transpose_output_size(4, 3, 2, 1) == 7 != 8


def test_two_stacked_k3_s2_layers_copies_and_response():
    assert overlap_count(3, 2, input_size=3, layers=2).unique().tolist() == [1, 2, 3, 4, 6, 9]  # 1 to 9 copies
    ones3 = torch.ones(1, 1, 3)
    response = F.conv_transpose1d(F.conv_transpose1d(torch.ones(1, 1, 1), ones3, stride=2), ones3, stride=2)
    assert response[0, 0].tolist() == [1, 1, 2, 1, 2, 1, 1]  # 7 taps
    text = markdown()
    assert "(1 to 9 copies)" in text and "a 7-tap kernel" in text
    assert "about x4\n(8 -> 32; 35 for the unpadded k3 s2)" in text


def test_exercise_3_is_row_1_and_not_printed_earlier():
    with torch.no_grad():
        out = bilinear_upsampler(1, 8)(torch.ones(1, 1, 6, 6))
    assert out[0, 0, 1, 24].item() == 0.6875 == 1 - abs(5 - 7.5) / 8
    assert out[0, 0, 0, 24].item() == 0.5625  # the old question, printed in section 2
    assert check("07.3", 0.6875).correct and not check("07.3", 0.5625).correct
    assert "row 1, column 24" in _load("07.3").question
    nb = nbformat.read(NOTEBOOK, as_version=4)
    before = [c for c in nb.cells[: next(i for i, c in enumerate(nb.cells) if "**07.3**" in c.source)]]
    shown = "\n".join(c.source + "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                                         for o in c.get("outputs", [])) for c in before)
    assert "0.6875" not in shown and "11/16" not in shown


def test_resize_then_convolve_credits_nearest_and_bilinear_correctly():
    text = markdown()
    assert "resize (bilinearly or to the nearest pixel)" not in text
    assert "best results with nearest-neighbour resizing" in text
    assert "only a bilinear resize removes every fixed pattern by construction" in text
