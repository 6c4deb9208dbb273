"""The exercises of notebooks 02 to 08: each solution is accepted, a wrong answer refused.

The right answers are typed here by hand (computed independently of the solutions in
course_utils/exercises), so a solution that drifts is caught. The checker itself and
the exercises of notebook 01 are tested in test_exercises_core.py.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import check
from course_utils.exercises import EXERCISES, _load

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

RIGHT = {
    "02.1": (1, 8, 14, 110, 110),
    "02.2": 16 * 3 * 5 * 5 + 16,
    "02.3": (8, 1, 3, 5, 5),
    "02.4": (21 * 2048 + 21, 21 * 2048 * 16 * 24),
    "02.6": (2 * 3 * 3, 2 * 3 * 3, 1),
    "02.7": (3 * 32 * 32) * (8 * 28 * 28) / (8 * 3 * 5 * 5),
    "02.8": 6,
    "03.1": (227 - 11) // 4 + 1,
    "03.2": 128 * (64 // 4) * 3 * 3 + 128,
    "03.3": (4, 5),
    "03.4": (2, 5, 8, 9),
    "04.1": 1 + 2 * (1 + 2 + 4 + 8),
    "04.2": 64 - sum(2 * d - 2 for d in (1, 2, 4, 8)),
    "04.3": 11 * 11,  # even offsets 0, 2, ..., 20 along each axis
    "04.4": 21 * 21 - 19 * 19,
    "04.6": (19 - 4) ** 2,  # offsets 3, 7, 11 and 15 of the 19 are never reached, along each axis
    "05.1": (9, 25),
    "05.2": 4 * 4 * 2 * 3,
    "05.3": 13 * 13,  # taps inside per axis: 2 + 3 + 3 + 3 + 2
    "05.4": (2, 2, 5 + 6 + 8 + 9),  # the centre cell nearest the bottom right collects w[1:, 1:]
    "05.6": 5 + 5 - 1,
    "05.7": 7 + 9 + 17 + 19,
    "06.1": 14,
    "06.2": 9.0,
    "06.3": 2,
    "06.4": (12, 8 // 4, 3, 3),  # ConvTranspose2d(12, 8, 3, groups=4): the Conv2d(8, 12, 3, groups=4) weight
    "07.1": 0.015625,
    "07.2": (24, 12, 6),
    "07.3": 0.6875,
    "07.4": (4, 9),
    "07.6": (0.75 * 0.75) ** 2,
    "08.1": (352, 512),
    "08.2": 0.5,
    "08.3": (21 * 21 * 64 * 64 + 21, 21 * 64 * 64),
    "08.4": 1 + 2 + 2 + 2 * 2 + 2 * 4 + 2 * 4 + 2 * 8,
    "08.5": 162_204 - 3 * 5 * 5 * 4 * 4,  # all parameters (notebook 08 prints 162,204) but the frozen weights
}
# Answers a learner might give: a mistake of reasoning first, then near misses (off by one for
# integers, off in the last asked digit for decimals). test_near_misses_are_wrong adds more.
WRONG = {
    "02.1": [(1, 8, 16, 112, 112), (1, 8, 14, 110, 111)],
    "02.2": [1200, 1217, 1216.5],
    "02.3": [(8, 1, 5, 5), (1, 8, 3, 5, 5), (8, 3, 5, 5, 1)],  # a Conv2d's; in and out swapped; axes in the wrong place
    "02.4": [(21 * 2048 + 21, 21 * 2048), (43029 * 384, 21 * 2048 * 384), (21 * 2048, 21 * 2048 * 384)],
    "02.6": [(9, 9, 1), (18, 18, 2), (18, 9, 1), (9, 18, 1)],  # one channel; a map per channel; one slice
    "02.7": [(3 * 32 * 32) * (8 * 32 * 32) / 600, 3072 * 6272, 600 / 19267584],  # output not shrunk; a count; upside down
    "02.8": [8, 10, 5],  # every output; every input; one window too few
    "03.1": [56, 54, 55.5, 112],  # 112: the 224 stem of the notebook's table
    "03.2": [73856, 18561],
    "03.3": [(5, 4), (1, 2), (9, 9), 9],  # odd pixel first; dilation forgotten; the total per side; the total
    "03.4": [(8, 9), (2, 5), (2, 5, 8), (9, 8, 5, 2), (2, 5, 8, 9, 10)],  # the end only; the inner ones only
    "04.1": [9, 32],
    "04.2": [64, 34, 53],  # padding taken to keep the size; padding forgotten; the loss on one side only
    "04.3": [441, 11, 49],  # the whole field; one axis; dilation (2, 2, 2) of the notebook
    "04.4": [0, 2, 361],  # no common factor taken for no holes; one axis; the pixels reached
    "04.6": [361, 15, 19 * 19 - 4 * 4],  # the whole field (no holes, as at stride 1); one axis; 4 x 4 holes
    "05.1": [(25, 9), (9, 24)],
    "05.2": [480, 36, 95],
    "05.3": [225, 100, 144],  # padding taps counted; the 4x4 of section 5; the interior only
    "05.4": [(3, 3, 28), (1, 1, 12), (2, 2, 45)],  # counted from 1; the top-left centre cell; all of w
    "05.6": [10, 1, 4],  # row and column counted twice; the centre only; the 2x2 of y
    "05.7": [48, 24, 15],  # w[1, 1]; w[0, 0]; stride ignored
    "06.1": [13, 15],
    "06.2": [11.0, 9.001, 8.999],  # 11: the taps not mirrored
    "06.3": [1, 3],
    "06.4": [(12, 8, 3, 3), (8, 3, 3, 3), (8, 12 // 4, 3, 3)],  # groups forgotten; Conv2d(12, 8)'s weight
    "07.1": [0.125, 0.01564, 0.01561],
    "07.2": [(12, 12, 0), (24, 12, 3)],
    "07.3": [0.5625, 0.8125, 0.6876, 0.6874],  # row 0; tap 6 for tap 5
    "07.4": [(1, 4), (4, 8)],
    "07.6": [0.5625, 0.390625, 0.75],  # one axis only; one x4 layer (k8 s4 p2); the first layer's edge
    "08.1": [(330, 500), (352, 511)],
    "08.2": [0.6667, 0.5001, 0.4999],
    "08.3": [(1806336, 86016), (1806358, 86016), (1806357, 86017)],
    "08.4": [57, 40],
    "08.5": [162_204, 162_204 - 3 * 5 * 5 * 4 * 4 - 3 * 5],  # nothing frozen; biases counted as frozen too
}
# Right answers in other forms: rounded decimals, integral floats, NumPy, tensors, lists.
RIGHT_TOO = [
    ("02.1", torch.Size([1, 8, 14, 110, 110])),
    ("02.3", [8, 1, 3, 5, 5]),
    ("02.6", [18, 18, 1]),
    ("03.1", torch.tensor(55)),
    ("03.1", 55.0),
    ("03.2", np.int64(18560)),
    ("05.4", np.array([2, 2, 28])),
    ("05.4", [2, 2, 28.0]),
    ("06.2", 9),
    ("06.2", Fraction(9)),
    ("07.1", 0.01562),
    ("07.1", 0.01563),
    ("07.1", Fraction(1, 64)),
    ("07.3", np.float32(0.6875)),
    ("08.2", 0.5),
    ("08.3", np.array([1806357, 86016])),
]


def near_misses(value, digits):
    """Copies of ``value`` with one number changed: +-1 for an int, +-1 unit of the
    ``digits``-th significant digit for a decimal (every element of a tuple or tensor)."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            for miss in near_misses(item, digits):
                yield [*value[:i], miss, *value[i + 1 :]]
        return
    if isinstance(value, int):
        yield from (value - 1, value + 1)
        return
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    yield from (value - unit, value + unit)


@pytest.mark.parametrize("key", list(RIGHT))
def test_solution_right_and_wrong(key):
    assert check(key, RIGHT[key]).correct, check(key, RIGHT[key]).text
    assert check(key, _load(key).solution()).correct
    assert "right!" in repr(check(key, RIGHT[key]))
    for wrong in WRONG[key]:
        verdict = check(key, wrong)
        assert not verdict.correct and "Hint:" in repr(verdict), wrong
    assert "no answer yet" in repr(check(key, ...))


def test_check_says_the_same_with_gradients_turned_off(grad_off):
    """04.3 and 04.4 compute their answers with autograd (coverage_map); no answer may depend on
    the learner's grad mode."""
    from course_utils.exercises import _HINTS_SHOWN

    keys = list(RIGHT)
    _HINTS_SHOWN.clear()  # the same hints both times (each wrong answer shows the next one)
    expected = [check(key, answer).text for key, answer in RIGHT.items()]
    expected += [check(key, WRONG[key][0]).text for key in keys]
    _HINTS_SHOWN.clear()
    with grad_off():
        got = [check(key, answer).text for key, answer in RIGHT.items()]
        got += [check(key, WRONG[key][0]).text for key in keys]
    assert got == expected
    assert "right!" in got[keys.index("04.3")] and "right!" in got[keys.index("04.4")]


def test_every_exercise_of_02_to_08_is_tested_and_asked_in_its_notebook():
    numbers = [f"{n:02d}" for n in range(2, 9)]
    for number in numbers:
        _load(f"{number}.1")
    registered = {k for k in EXERCISES if k.split(".")[0] in numbers}
    assert registered == set(RIGHT) | set(CODE) and set(RIGHT) == set(WRONG) and not set(RIGHT) & set(CODE)
    assert {k.split(".")[0] for k in CODE} == set(numbers), "every notebook 02-08 has a code exercise"
    asked = set()
    for path in NOTEBOOKS.glob("0[2-8]_*.ipynb"):
        asked |= set(re.findall(r'check\(\\"(\d\d\.\d+)\\"', path.read_text(encoding="utf-8")))
    assert asked == registered, (
        f"not asked: {sorted(registered - asked)}, not registered: {sorted(asked - registered)}")


@pytest.mark.parametrize(("key", "answer"), RIGHT_TOO)
def test_answers_in_other_forms(key, answer):
    assert check(key, answer).correct, check(key, answer).text


@pytest.mark.parametrize("key", list(RIGHT))
def test_near_misses_are_wrong(key):
    digits = _load(key).digits
    misses = list(near_misses(RIGHT[key], digits))
    assert misses
    for miss in misses:
        assert not check(key, miss).correct, miss


def test_weight_shape_exercise_draws_no_random_numbers():
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    check("06.4", (12, 2, 3, 3))
    assert torch.equal(torch.rand(1), a)


# --- code exercises: a learner's right function, and plausible wrong ones ----------------------
# The right functions are written here the way a learner would (loops, formulas), not with the
# references of course_utils/exercises, so a reference that drifts is caught.

def conv1d_by_hand(x, w):
    k = len(w)
    return torch.stack([(x[i:i + k] * w).sum() for i in range(len(x) - k + 1)])


def output_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def smallest_input(out, k, s, p, d):
    return (out - 1) * s + d * (k - 1) + 1 - 2 * p


def receptive_field_of(kernel_sizes, strides, dilations):
    field, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations, strict=True):
        field += d * (k - 1) * jump
        jump *= s
    return field


def field_own_stride_first(kernel_sizes, strides, dilations):
    field, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations, strict=True):
        jump *= s  # the layer's own stride applied to its own taps
        field += d * (k - 1) * jump
    return field


def conv_matrix_1d(w, n):
    k = len(w)
    C = torch.zeros(n - k + 1, n)
    for i in range(n - k + 1):
        C[i, i:i + k] = w
    return C


def scatter(x, k, stride, padding=0, add=True, step=None, dtype=torch.float32, crop=None):
    step = stride if step is None else step
    crop = padding if crop is None else crop
    kh, kw = k.shape
    Y = torch.zeros((x.shape[0] - 1) * step + kh, (x.shape[1] - 1) * step + kw, dtype=dtype)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            block = Y[i * step:i * step + kh, j * step:j * step + kw]
            block[...] = block + (x[i, j] * k).to(dtype) if add else (x[i, j] * k).to(dtype)
    return Y[crop:Y.shape[0] - crop, crop:Y.shape[1] - crop]


def upsample_linear(x, f, position=None, clamp=True):
    """Linear interpolation by hand; ``position`` replaces align_corners=False's source position."""
    n = len(x)
    y = []
    for j in range(n * f):
        pos = (j + 0.5) / f - 0.5 if position is None else position(j, n, f)
        pos = min(max(pos, 0.0), n - 1) if clamp else pos
        i0 = min(max(math.floor(pos), 0), max(n - 2, 0))
        i1 = min(i0 + 1, n - 1)
        t = pos - i0
        y.append((1 - t) * x[i0] + t * x[i1] if i1 != i0 else x[i0])
    return torch.stack(y) if y else x[:0]


def iou(prediction, target, cls, union=None):
    a, b = prediction == cls, target == cls
    return ((a & b).sum() / (a | b).sum() if union is None else (a & b).sum() / union(a, b)).item()


CODE = {
    "02.5": (conv1d_by_hand, [
        lambda x, w: conv1d_by_hand(x, w.flip(0)),  # a true convolution: the kernel flipped
        lambda x, w: conv1d_by_hand(x, w)[:-1],  # one window too few
        lambda x, w: torch.stack([(x[i:i + len(w)] * w).sum() for i in range(len(x) - len(w) + 1)]) + 0.5,
    ]),
    "03.5": (output_size, [
        lambda n, k, s, p, d: (n + 2 * p - (k - 1) - 1) // s + 1,  # dilation forgotten
        lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1,  # padding on one side only
        lambda n, k, s, p, d: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1,  # rounded up
        lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1,  # not floored: a float
    ]),
    "03.6": (smallest_input, [
        lambda o, k, s, p, d: (o - 1) * s + (k - 1) + 1 - 2 * p,  # dilation forgotten
        lambda o, k, s, p, d: o * s + d * (k - 1) - 2 * p,  # the largest input, not the smallest
        lambda o, k, s, p, d: (o - 1) * s + d * (k - 1) + 1 - p,  # padding on one side only
    ]),
    "04.5": (receptive_field_of, [
        lambda ks, ss, ds: 1 + sum(d * (k - 1) for k, d in zip(ks, ds, strict=True)),  # strides forgotten
        lambda ks, ss, ds: receptive_field_of(ks, ss, [1] * len(ds)),  # dilation forgotten
        field_own_stride_first,  # a layer's own stride counted in its own widening
        lambda ks, ss, ds: receptive_field_of(ks, ss, ds) - 1,  # without the first pixel
    ]),
    "05.5": (conv_matrix_1d, [
        lambda w, n: conv_matrix_1d(w.flip(0), n),  # kernel flipped
        lambda w, n: conv_matrix_1d(w, n).T,  # the transpose
    ]),
    "06.5": (lambda x, k, stride, padding: scatter(x, k, stride, padding), [
        lambda x, k, stride, padding: scatter(x, k, stride, padding, add=False),  # copies overwrite, not add
        lambda x, k, stride, padding: scatter(x, k, stride, padding, step=1),  # stride ignored
        lambda x, k, stride, padding: scatter(x, k.flip(0, 1), stride, padding),  # kernel flipped
        lambda x, k, stride, padding: scatter(x, k, stride, padding, dtype=torch.long),  # integer accumulator
        lambda x, k, stride, padding: scatter(x, k, stride, padding, crop=0),  # padding ignored
    ]),
    "07.5": (upsample_linear, [
        lambda x, f: upsample_linear(x, f, clamp=False),  # no clamping: extrapolated at the ends
        lambda x, f: upsample_linear(x, f, position=lambda j, n, f: j * (n - 1) / max(n * f - 1, 1)),  # corners
        lambda x, f: upsample_linear(x, f, position=lambda j, n, f: j / f),  # no half-pixel shift
        lambda x, f: x.repeat_interleave(f),  # nearest
    ]),
    "08.6": (iou, [
        lambda p, t, c: iou(p, t, c, union=lambda a, b: b.sum()),  # recall: divided by the truth only
        lambda p, t, c: iou(p, t, c, union=lambda a, b: a.sum() + b.sum()),  # union counted twice
        lambda p, t, c: (p == t).float().mean().item(),  # pixel accuracy
    ]),
}


def _differs(wrong, right, args):
    try:
        got = wrong(*args)
    except Exception:
        return True
    expected = right(*args)
    if isinstance(expected, int) and not (isinstance(got, int) or float(got).is_integer()):
        return True  # 112.0 counts as 112; 112.5 is wrong
    try:
        torch.testing.assert_close(torch.as_tensor(got).double(), torch.as_tensor(expected).double())
    except AssertionError:
        return True
    return False


@pytest.mark.parametrize("key", list(CODE))
def test_code_exercise_right_function_passes(key):
    right, _ = CODE[key]
    verdict = check(key, right)
    assert verdict.correct and "right!" in repr(verdict), verdict.text
    assert check(key, _load(key).solution()).correct
    assert _load(key).cases is not None and _load(key).solution().__name__ in _load(key).question


@pytest.mark.parametrize("key", list(CODE))
def test_code_exercise_wrong_functions_fail_on_the_first_case_that_shows_it(key):
    from course_utils.exercises._code import CASE_SEED

    right, wrongs = CODE[key]
    item = _load(key)
    for wrong in wrongs:
        verdict = check(key, wrong)
        assert not verdict.correct and "Hint:" in repr(verdict), verdict.text
        first = next(i for i in range(item.n_cases)
                     if _differs(wrong, right, item.cases(torch.Generator().manual_seed(CASE_SEED + i))))
        assert f"Case {first + 1} of {item.n_cases}" in verdict.text, verdict.text
        args = item.cases(torch.Generator().manual_seed(CASE_SEED + first))
        for arg in args:  # every argument of that case is shown (a tensor's first row at least)
            assert repr(arg).split("\n")[0] in verdict.text, (repr(arg), verdict.text)


@pytest.mark.parametrize("key", list(CODE))
def test_code_exercise_cases_are_valid_and_varied(key):
    from course_utils.exercises._code import CASE_SEED

    item = _load(key)
    reference = item.solution()
    cases = [item.cases(torch.Generator().manual_seed(CASE_SEED + i)) for i in range(item.n_cases)]
    results = [reference(*args) for args in cases]  # the reference accepts every case
    assert len({repr(args) for args in cases}) >= item.n_cases - 1  # hardly two cases alike
    assert len({repr(r) for r in results}) > 1
