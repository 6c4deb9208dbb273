"""Notebook 03 after the second expert reading: windows that skip inner rows, TensorFlow's 'SAME' with a stride,
the half-pixel shift of an even 'same' kernel, the channel order of groups = in_channels, multiply-adds against
time, BatchNorm's axes, and exercises 03.4-03.6 (computed again here, with PyTorch)."""

from __future__ import annotations

import math
import re
import warnings

import torch
import torch.nn.functional as F
from _notebooks import cells, outputs, prose
from torch import nn

from course_utils import check
from course_utils.exercises import _load
from course_utils.exercises._code import CASE_SEED


def _cells():
    return cells("03")


def _prose() -> str:
    return prose("03")


def _outputs() -> str:
    return outputs("03")


def _never_read(n: int, k: int, s: int, p: int = 0, d: int = 1) -> list[int]:
    x = torch.ones(1, 1, n, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, k), stride=s, padding=p, dilation=d).sum().backward()
    return [i for i in range(n) if x.grad[0, 0, i] == 0]


def test_03_window_positions_not_steps():
    prose = _prose()
    assert "the window takes 4 steps" not in prose and "the window stops at 4 positions" in prose


def test_03_a_stride_beyond_the_span_skips_inner_rows():
    assert _never_read(7, 2, 3) == [2, 5, 6]
    assert "([2, 5, 6], \"25.00% of the shortcut's input read\")" in _outputs()
    x = torch.ones(1, 1, 56, 56, requires_grad=True)
    F.conv2d(x, torch.ones(1, 1, 1, 1), stride=2).sum().backward()
    assert (x.grad > 0).float().mean().item() == 0.25
    # the rule: inner pixels are skipped exactly when the stride exceeds the span (and some window follows)
    for n in range(2, 16):
        for k in range(1, 5):
            for s in range(1, 6):
                for d in (1, 2):
                    span = d * (k - 1) + 1
                    if span > n:
                        continue
                    windows = (n - span) // s + 1
                    last = (windows - 1) * s + span - 1
                    inner = [i for i in _never_read(n, k, s, d=d) if i < last]
                    holes = d > 1 and k > 1  # a dilated kernel skips pixels inside its own window
                    if not holes:
                        assert bool(inner) == (s > span and windows > 1), (n, k, s, d)
    assert "rows 2, 5 and 6 never reach the output" in _prose() and "one pixel in four" in _prose()


def _tf_same(H: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    out = math.ceil(H / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - H, 0)
    return total // 2, total - total // 2


def test_03_tensorflow_same_with_stride_gives_ceil():
    for H in range(1, 21):
        for k in range(1, 6):
            for s in range(1, 4):
                for d in (1, 2):
                    before, after = _tf_same(H, k, s, d)
                    y = F.conv1d(F.pad(torch.zeros(1, 1, H), (before, after)), torch.zeros(1, 1, k), stride=s,
                                 dilation=d)
                    assert y.shape[-1] == math.ceil(H / s)
                    if s == 1:  # at stride 1 TensorFlow's SAME is PyTorch's 'same'
                        assert before + after == d * (k - 1)
    assert [_tf_same(7, 3, 2), _tf_same(8, 3, 2)] == [(1, 1), (0, 1)]
    assert "(True, [(1, 1), (0, 1)])" in _outputs()
    assert "2 pixels for $H = 7$, 1 for $H = 8$" in _prose()


def test_03_even_same_kernel_shifts_half_a_pixel():
    positions = torch.arange(11.0)
    impulse = torch.zeros(1, 1, 11)
    impulse[0, 0, 5] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for k in (2, 4, 6):
            w = torch.full((1, 1, k), 1.0 / k)
            y = F.conv1d(impulse, w, padding="same")[0, 0]
            assert (y * positions).sum() / y.sum() == 4.5  # half a pixel towards the start, for every even k
        once = F.conv1d(impulse, torch.tensor([[[0.5, 0.5]]]), padding="same")
        twice = F.conv1d(once, torch.tensor([[[0.5, 0.5]]]), padding="same")
    for k in (1, 3, 5):
        y = F.conv1d(impulse, torch.full((1, 1, k), 1.0 / k), padding="same")[0, 0]
        assert (y * positions).sum() / y.sum() == 5.0
    assert (twice[0, 0] * positions).sum() / twice.sum() == 4.0
    assert "(5.0, 4.5, 4.0, 5.0)" in _outputs()


def test_03_depthwise_output_channels_come_in_consecutive_blocks():
    torch.manual_seed(0)
    for cin, m in ((3, 2), (4, 3), (2, 1)):
        layer = nn.Conv2d(cin, cin * m, 3, groups=cin)
        x = torch.randn(1, cin, 5, 5, requires_grad=True)
        for o in range(cin * m):
            (grad,) = torch.autograd.grad(layer(x)[:, o].sum(), x)
            assert [c for c in range(cin) if grad[0, c].abs().sum() > 0] == [o // m]
    assert "({0: [0, 1, 2], 1: [3, 4, 5]}, {0: [0, 1, 2], 1: [3, 4, 5]})" in _outputs()


def test_03_time_is_not_multiply_adds():
    prose = _prose()
    assert "pair was only 1.5 to 4.2 times faster than the full convolution, not 7.9" in " ".join(prose.split())
    assert "12% of the pair's multiply-adds" in prose and f"{1806336 / 14651392:.0%}" == "12%"
    timing = next(c for c in _cells() if c.cell_type == "code" and "speed_up =" in c.source)
    assert timing.source.startswith("# NBVAL_IGNORE_OUTPUT\n")
    # no assert on the speed-up itself: it ranged from 1.5 (two threads, AVX2) to 4.2 (one thread, no AVX)
    assert "assert depthwise_share > dw_macs / (dw_macs + pw_macs)" in timing.source
    assert "assert speed_up" not in timing.source
    summary = next(c.source for c in _cells() if c.cell_type == "markdown" and "## Summary" in c.source)
    assert "costs\n  about 8 times less" not in summary and "1.5 to\n  4.2 times faster" in summary


def test_03_batchnorm_mean_is_over_n_h_w():
    assert "taken over the batch and every position (the axes N, H and W)" in _prose()
    torch.manual_seed(0)
    x = torch.randn(4, 3, 5, 6)
    norm = nn.BatchNorm2d(3, affine=False)
    by_hand = (x - x.mean((0, 2, 3), keepdim=True)) / torch.sqrt(x.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5)
    torch.testing.assert_close(norm(x), by_hand)


def test_03_exercise_4_columns_never_read():
    assert _never_read(10, 2, 3) == [2, 5, 8, 9]
    assert check("03.4", (2, 5, 8, 9)) and check("03.4", [2, 5, 8, 9])
    for wrong in ((8, 9), (2, 5), (2, 5, 8), (2, 5, 8, 9, 10), (9, 8, 5, 2)):
        assert not check("03.4", wrong)


def test_03_exercise_5_reference_is_pytorch():
    item = _load("03.5")
    reference = item.solution()
    for i in range(item.n_cases):
        n, k, s, p, d = item.cases(torch.Generator().manual_seed(CASE_SEED + i))
        assert reference(n, k, s, p, d) == nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)(
            torch.zeros(1, 1, n)).shape[-1]
    assert check("03.5", lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s + 1)


def _smallest(out, k, s, p, d):
    return (out - 1) * s + d * (k - 1) + 1 - 2 * p


def test_03_exercise_6_smallest_input():
    item = _load("03.6")
    reference = item.solution()
    cases = [item.cases(torch.Generator().manual_seed(CASE_SEED + i)) for i in range(item.n_cases)]
    assert len(set(cases)) == item.n_cases and any(c[2] > 1 for c in cases) and any(c[3] > 0 for c in cases)
    assert any(c[4] > 1 and c[1] > 1 for c in cases)
    for out, k, s, p, d in cases:
        n = _smallest(out, k, s, p, d)
        assert n >= 1 and reference(out, k, s, p, d) == n
        size = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
        assert size == out
        if n - 1 >= max(1, d * (k - 1) + 1 - 2 * p):
            assert F.conv1d(torch.zeros(1, 1, n - 1), torch.zeros(1, 1, k), stride=s, padding=p,
                            dilation=d).shape[-1] == out - 1
        # the smallest input is the transposed convolution's output size with the same settings
        y = F.conv_transpose1d(torch.zeros(1, 1, out), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d)
        assert y.shape[-1] == n
    assert check("03.6", _smallest)
    assert check("03.6", lambda *a: float(_smallest(*a)))
    for wrong in (lambda o, k, s, p, d: (o - 1) * s + (k - 1) + 1 - 2 * p,  # dilation forgotten
                  lambda o, k, s, p, d: o * s + d * (k - 1) - 2 * p,  # the largest, not the smallest
                  lambda o, k, s, p, d: (o - 1) * s + d * (k - 1) + 1 - p,  # padding on one side
                  lambda o, k, s, p, d: (o - 1) * s + d * (k - 1) + 1):  # padding forgotten
        assert not check("03.6", wrong)


def test_03_every_exercise_has_a_second_hint_that_is_not_the_answer():
    for number in range(1, 7):
        item = _load(f"03.{number}")
        assert item.hint2 and item.hint2 != item.hint
        if item.cases is None:
            answer = item.solution()
            forms = [str(answer), str(list(answer))] if isinstance(answer, tuple) else [str(answer)]
            for text in (item.hint, item.hint2):
                assert not any(re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text) for f in forms), (item.key, text)


def test_03_predict_then_check_answer_stays_folded():
    cells = _cells()
    i = next(j for j, c in enumerate(cells) if "**Predict, then check.**" in c.source)
    assert cells[i + 1].cell_type == "code" and cells[i + 2].source.startswith("<details>")


def test_03_the_signature_shown_is_pytorchs_and_the_table_has_every_argument():
    import inspect
    import re

    block = next(c.source for c in _cells() if c.cell_type == "markdown" and c.source.startswith("## 1. The signature"))
    shown = " ".join(re.search(r"nn\.Conv2d\((.*?)\)\n```", block, re.S).group(1).split())
    params = [p for p in inspect.signature(nn.Conv2d.__init__).parameters.values() if p.name != "self"]
    expected = ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
                         for p in params).replace("'zeros'", '"zeros"')
    assert shown == expected
    table = {m.group(1) for m in re.finditer(r"^\| `(\w+)`", block, re.M)} | set(re.findall(r"`(\w+)`, `(\w+)`", block)[0])
    assert {p.name for p in params} <= table
