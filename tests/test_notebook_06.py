"""Notebook 06 (transposed convolution step by step): the facts added by the second expert reading.

Holes by the dilated extent, one step numbering (scatter_figure, Explorer.snapshot and the player), the
scatter loop, the phase (sub-pixel) view and the checkerboard, and the exercises that need reasoning
(answers worked out here by other means than course_utils/exercises/ex06.py).
"""

from __future__ import annotations

import itertools
import re

import pytest
import torch
import torch.nn.functional as F
from _notebooks import cells
from torch import nn

from course_utils import check, scatter_explorer, scatter_figure
from course_utils.exercises import _load
from course_utils.exercises._code import CASE_SEED


def _cells() -> list:
    return cells("06")


def _empty(n: int, k: int, s: int, d: int) -> list[int]:
    """The cells of a 1D transposed convolution (n inputs) that no tap of any copy reaches."""
    length = (n - 1) * s + d * (k - 1) + 1
    reached = {i * s + t * d for i in range(n) for t in range(k)}
    return [c for c in range(length) if c not in reached]


def test_holes_rule_of_the_notebook_over_a_search():
    for n, k, s, d in itertools.product(range(2, 7), range(1, 5), range(1, 6), range(1, 4)):
        row = F.conv_transpose2d(torch.ones(1, 1, 1, n), torch.ones(1, 1, 1, k), stride=s, dilation=d)[0, 0, 0]
        assert (row == 0).nonzero().flatten().tolist() == _empty(n, k, s, d)
        extent = d * (k - 1) + 1
        if d == 1:  # without dilation: empty cells exactly when the stride exceeds the kernel
            assert bool(_empty(n, k, s, d)) == (s > k)
        if s > extent:  # the cells between neighbouring copies stay empty
            gaps = {i * s + extent + j for i in range(n - 1) for j in range(s - extent)}
            assert gaps <= set(_empty(n, k, s, d))
    assert _empty(4, 2, 3, 2) == [1, 4, 7, 10]  # copies touch (extent 3 = stride), holes remain
    assert _empty(4, 3, 2, 2) == [1, 3, 5, 7, 9]  # copies overlap, every odd cell empty
    assert _empty(4, 2, 2, 1) == []


def test_one_step_numbering_figure_snapshot_and_player():
    figure = scatter_figure(step=2)
    assert figure.text.endswith("step 2 of 4") and "sum of 2 of 4 copies" in figure.text
    explorer = scatter_explorer(input_size=2, kernel_size=2, stride=2)
    assert explorer.view.steps[3]["text"].startswith("step 4 of 4")  # what the player says at its last step
    assert explorer.snapshot(step=4).text.endswith("step 4 of 4")
    assert scatter_figure(stride=2, step=4).data.count('s-focus" data-cell="input/1/1"') == 1
    code = "\n".join(c.source for c in _cells() if c.cell_type == "code")
    assert "snapshot(step=4)  # the player's step 4 of 4" in code and "step=3" not in code


def test_the_scatter_loop_of_section_2_matches_torch():
    namespace: dict = {"torch": torch}
    source = next(c.source for c in _cells() if c.source.startswith("def scatter_by_hand"))
    exec(source.split("\n\n\n")[0], namespace)
    for h, w, kh, kw in itertools.product(range(1, 4), repeat=4):
        x, k = torch.randn(h, w, dtype=torch.float64), torch.randn(kh, kw, dtype=torch.float64)
        got = namespace["scatter_by_hand"](x.float(), k.float())
        torch.testing.assert_close(got, F.conv_transpose2d(x[None, None], k[None, None])[0, 0].float())
    assert len(source.split("\n\n\n")[0].splitlines()) <= 6


@pytest.mark.parametrize(("k", "s", "p"), [(4, 2, 1), (3, 2, 0), (5, 3, 1), (2, 2, 0), (6, 3, 2), (3, 3, 1)])
def test_phase_view_pixel_shuffle_equals_the_transposed_convolution(k, s, p):
    x = torch.randn(1, 1, 5, 4, dtype=torch.float64)
    w = torch.randn(1, 1, k, k, dtype=torch.float64)
    m = -(-k // s)  # every sub-kernel padded to ceil(k / s) taps so the phases share one size
    phases = []
    for ry, rx in itertools.product(range(s), repeat=2):
        sub = torch.zeros(1, 1, m, m, dtype=torch.float64)
        taps = w[..., ry::s, rx::s]
        sub[..., :taps.shape[-2], :taps.shape[-1]] = taps
        phases.append(F.conv_transpose2d(x, sub))
    full = F.pixel_shuffle(torch.cat(phases, dim=1), s)
    expected = F.conv_transpose2d(x, w, stride=s, padding=p)
    h, wd = expected.shape[-2:]
    torch.testing.assert_close(full[..., p:p + h, p:p + wd], expected)


def test_checkerboard_numbers_of_section_10():
    for k, sums in ((3, [4, 2, 2, 1]), (4, [4, 4, 4, 4])):
        ones = torch.ones(1, 1, k, k)
        assert [int(ones[..., ry::2, rx::2].sum()) for ry in (0, 1) for rx in (0, 1)] == sums
        flat = F.conv_transpose2d(torch.ones(1, 1, 6, 6), ones, stride=2)[0, 0]
        inner = flat[4:8, 4:8]
        assert inner.tolist() == torch.tensor(sums, dtype=torch.float32).reshape(2, 2).repeat(2, 2).tolist()
    # with any kernel, a constant input gives each phase the sum of its own sub-kernel (away from the border)
    w = torch.randn(1, 1, 5, 5, dtype=torch.float64)
    out = F.conv_transpose2d(torch.ones(1, 1, 8, 8, dtype=torch.float64), w, stride=3)[0, 0]
    for ry, rx in itertools.product(range(3), repeat=2):
        torch.testing.assert_close(out[6 + ry, 6 + rx], w[0, 0, ry::3, rx::3].sum())


def test_zero_insertion_prose_names_the_cross_correlation():
    prose = "\n".join(c.source for c in _cells() if c.cell_type == "markdown")
    assert "⋆ is `F.conv2d`'s\nsliding product-and-sum" in prose
    assert "larger than the kernel leaves zeros" not in prose


def test_exercise_answers_worked_out_by_other_means():
    conv = nn.Conv2d(8, 12, 3, groups=4, device="meta")
    assert check("06.4", tuple(conv.weight.shape)).correct  # the transpose reuses the conv's weight shape
    assert tuple(nn.ConvTranspose2d(12, 8, 3, groups=4, device="meta").weight.shape) == (12, 2, 3, 3)
    assert not check("06.4", (12, 8, 3, 3)).correct and not check("06.4", (8, 3, 3, 3)).correct
    # 06.4 is not the grouped example of section 1
    assert "in_channels=4, out_channels=6, kernel_size=3, groups=2" in _cells()[3].source
    # 06.6's folded answer: the full sum 7 x 7, shared rows and columns 2 and 4, cropped by padding 1 to
    # rows and columns 1 and 3 of the 5 x 5 output: 16 cells with more than one copy, four at the crossings
    full = F.conv_transpose2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert tuple(full.shape) == (7, 7)
    assert (full[:, 0] > 1).nonzero().flatten().tolist() == [2, 4] == (full[0] > 1).nonzero().flatten().tolist()
    counts = F.conv_transpose2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3), stride=2, padding=1)[0, 0]
    assert torch.equal(counts, full[1:-1, 1:-1]) and tuple(counts.shape) == (5, 5)
    assert int((counts > 1).sum()) == 16 == 2 * 5 + 2 * 5 - 4
    assert (counts == 4).nonzero().tolist() == [[1, 1], [1, 3], [3, 1], [3, 3]]
    details = next(c.source for c in _cells() if c.source.startswith("**06.6**"))
    assert "<details>" in details and "16 cells receive\nmore than one copy" in details
    assert "the four crossings (1, 1), (1, 3), (3, 1), (3, 3) receive four" in details
    assert "input size 3, kernel size 3,\nstride 2, padding 1" in details
    # 06.6 no longer repeats 05.6's setting (input 2 scattered by kernel 3 at stride 2, no padding)
    assert "input size 2, kernel size 3" not in details
    # the panel can show the setting
    scatter_explorer(input_size=3, kernel_size=3, stride=2, padding=1)


@pytest.mark.parametrize("key", ["06.1", "06.2", "06.3", "06.4", "06.5"])
def test_every_exercise_has_two_hints_that_do_not_give_the_answer(key):
    item = _load(key)
    assert item.hint and item.hint2 and item.hint != item.hint2
    if item.cases is None:
        answer = item.solution()
        forms = {str(answer), str(int(answer))} if isinstance(answer, float) else {str(answer)}
        for hint in (item.hint, item.hint2):
            for form in (f for f in forms if len(f) > 1):  # a one-digit answer is also a coefficient ("2*padding")
                assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d.])", hint), (key, hint)


def test_06_5_cases_have_fractions_and_padding_so_shortcuts_fail():
    item = _load("06.5")
    cases = [item.cases(torch.Generator().manual_seed(CASE_SEED + i)) for i in range(item.n_cases)]
    assert all(bool((x != x.round()).any()) and bool((k != k.round()).any()) for x, k, _, _ in cases)
    assert any(p > 0 for *_, p in cases) and any(s > 1 for *_, s, _ in cases)

    def scatter(x, k, stride, padding, dtype=torch.float32, crop=True):
        (h, w), (kh, kw) = x.shape, k.shape
        out = torch.zeros((h - 1) * stride + kh, (w - 1) * stride + kw, dtype=dtype)
        for i in range(h):
            for j in range(w):
                out[i * stride:i * stride + kh, j * stride:j * stride + kw] += (x[i, j] * k).to(dtype)
        if not crop:
            return out
        return out[padding:out.shape[0] - padding, padding:out.shape[1] - padding]

    assert check("06.5", scatter).correct
    assert not check("06.5", lambda x, k, s, p: scatter(x, k, s, p, dtype=torch.long)).correct  # integers
    assert not check("06.5", lambda x, k, s, p: scatter(x, k, s, p, crop=False)).correct  # padding ignored


@pytest.mark.parametrize(("k", "s", "p"), [(3, 2, 0), (3, 2, 1), (5, 2, 2), (5, 3, 1), (4, 3, 0), (7, 3, 2),
                                           (2, 3, 0), (5, 4, 1)])
def test_phase_view_with_the_kernel_padded_to_a_multiple_of_s(k, s, p):
    h, wd = 5, 4
    x = torch.randn(1, 1, h, wd, dtype=torch.float64)
    w = torch.randn(1, 1, k, k, dtype=torch.float64)
    padded = F.pad(w, (0, (-k) % s, 0, (-k) % s))  # the notebook's recipe
    assert padded.shape[-1] % s == 0 and k % s != 0
    phases = [F.conv_transpose2d(x, padded[..., ry::s, rx::s]) for ry in range(s) for rx in range(s)]
    assert len({tuple(ph.shape) for ph in phases}) == 1  # equal sizes, so pixel_shuffle can interleave
    full = F.pixel_shuffle(torch.cat(phases, dim=1), s)[..., :(h - 1) * s + k, :(wd - 1) * s + k]
    torch.testing.assert_close(full, F.conv_transpose2d(x, w, stride=s))
    hp, wp = F.conv_transpose2d(x, w, stride=s, padding=p).shape[-2:]
    torch.testing.assert_close(full[..., p:p + hp, p:p + wp], F.conv_transpose2d(x, w, stride=s, padding=p))
    prose = "\n".join(c.source for c in _cells() if c.cell_type == "markdown")
    assert "`F.pad(w, (0, (-k) % s, 0, (-k) % s))`" in prose and "when `s` divides `k`" in prose


def test_zero_insertion_figure_case_and_output_padding_rows():
    # the figure's case: k2 s2 p1 op1, d(k-1) - p = 0 zeros around, output_padding's row and column bottom/right
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    w = torch.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    assert 1 * (2 - 1) - 1 == 0
    spread = torch.zeros(1, 1, 3, 3)
    spread[..., ::2, ::2] = x
    by_hand = F.conv2d(F.pad(spread, (0, 1, 0, 1)), w.flip(-2, -1).transpose(0, 1))
    torch.testing.assert_close(by_hand, F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1))
    cells = _cells()
    assert any("zero_insertion_figure(x[0, 0], w[0, 0], stride=2, padding=1, output_padding=1)" in c.source
               for c in cells)
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "`d(k-1) - p = 0` zeros around, plus\noutput_padding's row and column" in prose
    # rows that output_padding adds past the full result are empty zeros, whatever the input and kernel
    out = F.conv_transpose2d(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 2, 2), stride=3, output_padding=2)
    assert tuple(out.shape[-2:]) == (10, 10) and not out[..., 8:, :].any() and not out[..., :, 8:].any()
    assert "in rows that output_padding adds past the full result (section 6)" in prose
    assert "hundreds on every run, thousands in the thorough profile" in prose
    from hypothesis import settings
    assert 100 <= settings.get_profile("default").max_examples < 1000
    assert settings.get_profile("thorough").max_examples >= 1000
    assert "each phase is constant away from the border" in prose
    assert "compare it with the Conv2d's weight" not in prose
