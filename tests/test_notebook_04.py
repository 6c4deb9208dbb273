"""Facts of 04_dilated_convolution added in the second expert reading, computed again independently:
the no-holes rule read with its brackets, the à trous equivalence and its cost, the context module in image
pixels, the identity start, the share of the field reached, the effective receptive field, the exercises 04.5 and
04.6 checked against autograd, and the prediction answered in a closed block."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

from course_utils import check, coverage_map, receptive_field
from course_utils.exercises import _load

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_dilated_convolution.ipynb"


def offsets(kernel, steps):
    """The offsets along one axis that reach the output unit: sums of one tap step per layer."""
    return {sum(t * s for t, s in zip(taps, steps, strict=True))
            for taps in itertools.product(range(kernel), repeat=len(steps))}


def holes(kernel, steps):
    reached = offsets(kernel, steps)
    return max(reached) + 1 - len(reached)


def markdown() -> str:
    return "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown")


def test_the_rule_has_its_brackets_and_the_misreading_fails():
    text = markdown()
    assert "`1 + (k-1)` times" not in text
    assert text.count("1 + (k - 1) x (the sum of") == 2  # section 4 and the summary
    # the misreading "at most k x (sum of the smaller ones)" passes these stacks, which leave holes
    for k, ds in [(2, (1, 1, 4)), (3, (1, 2, 8))]:
        smaller = sum(ds[:-1])
        assert 1 + (k - 1) * smaller < ds[-1] <= k * smaller
        assert holes(k, ds) > 0
    assert (1 + 1 * 2, 2 * 2, 1 + 2 * 3, 3 * 3) == (3, 4, 7, 9)
    # the 2D counts the notebook prints: 13 and 88 pixels never reached
    for (k, ds), missing in [((2, (1, 1, 4)), 13), ((3, (1, 2, 8)), 88)]:
        field = max(offsets(k, ds)) + 1
        assert field**2 - len(offsets(k, ds)) ** 2 == missing
        assert int((coverage_map([(k, 1, d) for d in ds]) == 0).sum()) == missing


def test_share_of_the_field_reached_with_dilations_2_2_2():
    assert round(100 * 49 / 169) == 29 and 49 / 169 < 1 / 3
    assert "one pixel in four" not in markdown()


def test_a_trous_equivalence_and_cost():
    torch.manual_seed(1)
    strided = [nn.Conv2d(2, 3, 3, stride=2, padding=1), nn.Conv2d(3, 3, 3, stride=2, padding=1),
               nn.Conv2d(3, 1, 3, stride=2, padding=1)]
    dilated = [nn.Conv2d(2, 3, 3, padding=1, dilation=1), nn.Conv2d(3, 3, 3, padding=2, dilation=2),
               nn.Conv2d(3, 1, 3, padding=4, dilation=4)]
    for s, d in zip(strided, dilated, strict=True):
        d.load_state_dict(s.state_dict())
    for size in (64, 40, 17):  # also when the size is not a multiple of 8
        x = torch.randn(1, 2, size, size, dtype=torch.float64)
        with torch.no_grad():
            coarse = nn.Sequential(*strided).double()(x)
            dense = nn.Sequential(*dilated).double()(x)
        torch.testing.assert_close(dense[..., ::8, ::8], coarse)
    assert 32**2 + 16**2 + 8**2 == 1344 and 3 * 64**2 == 12288
    assert f"{12288 / 1344:.1f}" == "9.1" and 64**2 // 8**2 == 64


def test_context_module_in_image_pixels():
    context = [1, 1, 2, 4, 8, 16, 1]
    assert receptive_field([(1, 8, 1)] + [(3, 1, d) for d in context]) == 529 == 1 + 8 * (67 - 1)
    text = markdown()
    assert "all at full resolution" not in text and "1/8" in text


def test_identity_start_passes_the_input_through():
    for d in (1, 2, 4, 16):
        layer = nn.Conv2d(5, 5, 3, padding=d, dilation=d)
        with torch.no_grad():
            layer.weight.zero_()
            layer.bias.zero_()
            for c in range(5):
                layer.weight[c, c, 1, 1] = 1.0
            x = torch.randn(1, 5, 20, 20)
            assert torch.equal(layer(x), x)


def test_effective_receptive_field_numbers():
    paths = coverage_map([(3, 1, 1)] * 8)
    share = (paths[4:13, 4:13].sum() / paths.sum()).item()
    assert round(100 * share) == 91 and round(100 * 81 / 289) == 28
    windows = []
    for depth in (2, 4, 8, 16, 32):
        counts = [1]
        for _ in range(depth):
            counts = [sum(counts[i - t] for t in range(3) if 0 <= i - t < len(counts)) for i in range(len(counts) + 2)]
        mid, total = len(counts) // 2, sum(counts)
        windows.append(next(2 * h + 1 for h in range(mid + 1)
                            if 100 * sum(counts[mid - h: mid + h + 1]) >= 95 * total))
        assert len(counts) == 2 * depth + 1
    assert windows == [5, 7, 9, 13, 19]
    growth = [b / a for a, b in itertools.pairwise(windows)]
    assert all(1.25 <= g <= 1.5 for g in growth)  # "a factor of 1.3 to 1.5", rounded
    assert [f"{g:.2f}" for g in growth] == ["1.40", "1.29", "1.44", "1.46"]


def test_prediction_is_answered_in_a_closed_block():
    text = markdown()
    block = text[text.index("**Predict, then check.**"):]
    question, answer = block.split("<details>", 1)
    assert "same count" not in question  # the question does not give its own answer
    assert "<details open" not in block and "</details>" in answer
    assert receptive_field([(2, 1, d) for d in (1, 2, 4)]) == 8
    assert bool((coverage_map([(2, 1, d) for d in (1, 2, 4)]) == 1).all())


# --- exercises 04.5 and 04.6 -----------------------------------------------------------------

def walk(kernel_sizes, strides, dilations):
    r, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations, strict=True):
        r += d * (k - 1) * jump
        jump *= s
    return r


def test_exercise_5_reference_is_autograd_on_real_layers_and_has_strides():
    item = _load("04.5")
    reference = item.solution()
    assert "nn.Conv1d" in item.question and "strides" in item.question
    from course_utils.exercises._code import CASE_SEED
    cases = [item.cases(torch.Generator().manual_seed(CASE_SEED + i)) for i in range(item.n_cases)]
    assert sum(any(s > 1 for s in strides[:-1]) for _, strides, _ in cases) >= 3  # strides that matter
    for args in cases:
        assert reference(*args) == walk(*args) == receptive_field(list(zip(*args, strict=True)))

    def right(kernel_sizes, strides, dilations):
        return walk(kernel_sizes, strides, dilations)

    def float_right(kernel_sizes, strides, dilations):
        return float(walk(kernel_sizes, strides, dilations))

    def strides_ignored(kernel_sizes, strides, dilations):
        return 1 + sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations, strict=True))

    def own_stride_counted(kernel_sizes, strides, dilations):
        r, jump = 1, 1
        for k, s, d in zip(kernel_sizes, strides, dilations, strict=True):
            jump *= s
            r += d * (k - 1) * jump
        return r

    assert check("04.5", right).correct
    assert check("04.5", float_right).correct  # 112.0 counts as 112
    assert not check("04.5", strides_ignored).correct
    assert not check("04.5", own_stride_counted).correct


def test_exercise_6_stride_then_dilation():
    steps = (1, 2 * 2, 2 * 2)  # dilation x jump
    reached = offsets(3, steps)
    assert max(reached) + 1 == 19 == walk((3, 3, 3), (2, 1, 1), (1, 2, 2))
    assert sorted(set(range(19)) - reached) == [3, 7, 11, 15] and len(reached) == 15
    # autograd on real layers, random weights
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv1d(1, 2, 3, stride=2), nn.Conv1d(2, 2, 3, dilation=2), nn.Conv1d(2, 1, 3, dilation=2))
    x = torch.randn(1, 1, 19, requires_grad=True)
    net(x)[0, 0, 0].backward()
    assert int((x.grad != 0).sum()) == 15
    assert check("04.6", 15 * 15).correct and check("04.6", 225).correct
    assert not check("04.6", 15).correct and not check("04.6", 361).correct and not check("04.6", 19).correct
    assert "19 x 19" in _load("04.6").question and "square" in _load("04.6").hint2
    # the notebook's own "stride 2, then dilation 2" stack has no holes: the exercise is a new case
    assert holes(3, (1, 2 * 2, 1 * 2)) == 0


@pytest.mark.parametrize("key", [f"04.{i}" for i in range(1, 7)])
def test_every_exercise_has_two_hints_that_do_not_give_the_answer(key):
    item = _load(key)
    assert item.hint and item.hint2 and item.hint != item.hint2
    if item.cases is None:
        answer = item.solution()
        for hint in (item.hint, item.hint2):
            assert not re.search(rf"(?<![\d.]){re.escape(str(answer))}(?![\d.])", hint), (key, hint)


def test_exercise_3_dilations_2_4_4_and_answers_not_printed_earlier():
    steps = (2, 4, 4)
    reached = offsets(3, steps)
    assert max(reached) + 1 == 21 and reached == set(range(0, 21, 2)) and len(reached) == 11
    assert offsets(3, (1, 2, 2)) == set(range(11))  # halved, (1, 2, 2) fill their field
    assert 2 <= 1 + 2 * 1 and 2 <= 1 + 2 * 3
    assert int((coverage_map([(3, 1, d) for d in steps]) > 0).sum()) == 121 == 11 * 11
    assert coverage_map([(3, 1, d) for d in steps]).numel() == 441 == 21 * 21
    assert check("04.3", 121).correct and not check("04.3", 81).correct and not check("04.3", 441).correct
    assert "dilations 2, 4 and 4" in _load("04.3").question
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if "**04.1**" in c.source)
    shown = "\n".join(c.source + "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                                         for o in c.get("outputs", [])) for c in nb.cells[: first + 1])
    for number in ("121", "441", "225"):
        assert not re.search(rf"(?<![\d.,]){number}(?![\d])", shown), number
    assert "**04.3** Three 3x3 layers with dilations 2, 4 and 4" in markdown()


def test_wording_of_the_second_reading():
    text = markdown()
    assert "Read it as 1 + ((k - 1) x sum), not\n(1 + (k - 1)) x sum = k x sum." in text
    assert "keeps the same 3 x 3 weights (9 C^2 for C channels)" in text
    assert "adds only one 3 x 3 kernel of weights" not in text
    assert "the bright frame is zero padding" in text
    assert "1,500 random stacks of strides, dilations and kernel shapes" in text
    explanation = _load("04.1").explanation
    assert "it about doubles (3, 7, 15, 31) while each layer keeps its 9" in explanation
    assert [receptive_field([(3, 1, d) for d in (1, 2, 4, 8)[:i]]) for i in range(1, 5)] == [3, 7, 15, 31]
    # the zero-padding frame of the dilation-4 edge map is 4 pixels deep: border pixels read the padding
    edge = torch.full((1, 1, 3, 3), -1.0)
    edge[0, 0, 1, 1] = 8.0
    ones = torch.ones(1, 1, 20, 20)
    out = torch.nn.functional.conv2d(ones, edge, padding=4, dilation=4)[0, 0]
    assert (out[4:-4, 4:-4] == 0).all() and (out[:4] > 0).all() and (out[:, :4] > 0).all()
