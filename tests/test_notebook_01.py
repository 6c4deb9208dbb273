"""Notebook 01 after the second expert reading: randn's practical bound, the tails of the histogram panel,
bins aligned with the uniform's edges, Var(y) = fan_in Var(w) E[x^2] with the default, Xavier and He starts, and
exercises 01.1-01.8 (recomputed here, with PyTorch)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from _notebooks import cells, outputs, prose
from torch import nn

from course_utils import check
from course_utils.distributions import _histogram, sample
from course_utils.exercises import _load
from course_utils.exercises._code import CASE_SEED


def _cells():
    return cells("01")


def _prose() -> str:
    return prose("01")


def _outputs() -> str:
    return outputs("01")


def test_01_randn_on_the_cpu_is_bounded_by_its_24_bit_uniforms():
    # Each pair (j, j + 8) of a block of 16 comes from one u: z_j^2 + z_{j+8}^2 = -2 ln u, u a multiple of 2**-24
    torch.manual_seed(0)
    z = torch.randn(4_000_000).double().reshape(-1, 16)
    u = torch.exp(-(z[:, :8] ** 2 + z[:, 8:] ** 2) / 2) * 2**24
    small = u[u < 1000]
    assert len(small) > 100 and (small - small.round()).abs().max() < 0.02 and small.round().min() >= 1
    bound = math.sqrt(-2 * math.log(2**-24))
    assert f"{bound:.2f}" == "5.77" and f"{math.erfc(bound / math.sqrt(2)):.1e}" == "8.0e-09"
    assert z.abs().max() <= bound
    outputs, prose = _outputs(), _prose()
    assert "largest |torch.randn| value on the CPU: 5.77" in outputs and "P(|Z| > 5.77) for N(0, 1): 8.0e-09" in outputs
    assert "which are finite, so the values it can actually return are bounded" not in prose
    flat = " ".join(prose.split())
    assert "pairs of uniform numbers $u, v$ with 24 random bits each" in flat and "about 5.77" in flat
    # the bound is float32's: a float64 tensor comes from 53-bit uniforms and goes past it
    torch.manual_seed(0)
    assert torch.randn(10_000_000, dtype=torch.float64).abs().max() > bound
    assert f"{math.sqrt(-2 * math.log(2**-53)):.2f}" == "8.57"
    assert "contiguous float32 tensor (the default dtype) of 16 values or more" in flat
    assert "can reach about 8.57" in flat


def test_01_tails_beyond_three():
    p3 = math.erfc(3 / math.sqrt(2))
    assert f"{p3:.2%}" == "0.27%" and f"{(1 - p3) ** 1000:.1%}" == "6.7%" and f"{(1 - p3) ** 10_000:.0e}" == "2e-12"
    assert f"{1000 * p3:.1f}" == "2.7"
    without = [s for s in range(100) if int((np.abs(sample("randn", 1_000, s)) > 3).sum()) == 0]
    assert len(without) == 5
    prose = _prose()
    assert "with every seed from about a thousand samples on" not in prose
    assert "about 2.7 values in 1,000" in prose and "6.7\\%$ of the seeds (5 of the panel's seeds 0 to 99)" in prose
    assert "panel seeds 0-99 with no |value| > 3 in 1,000 samples: 5" in _outputs()


def test_01_weight_histogram_bins_put_the_bound_on_an_edge():
    bound = 1 / 24
    edges = np.histogram_bin_edges([0.0], bins=48, range=(-1.2 * bound, 1.2 * bound))
    assert np.isclose(edges, -bound).any() and np.isclose(edges, bound).any()
    old = np.histogram_bin_edges([0.0], bins=50, range=(-0.05, 0.05))
    assert not np.isclose(old, bound).any()  # the old bins: 1/24 fell inside a bin
    cell = next(c for c in _cells() if "ax.hist(weights.numpy()" in c.source)
    assert "bins=48, range=(-1.2 * bound, 1.2 * bound)" in cell.source
    assert "The bins are laid so that $\\pm 1/24$ fall on bin edges" in _prose()


def _ratio(cin: int, seed: int) -> float:
    torch.manual_seed(seed)
    layer = nn.Conv2d(cin, 64, 3)
    x = torch.randn(8, cin, 24, 24)
    with torch.no_grad():
        return (layer(x).std() / x.std()).item()


@pytest.mark.parametrize("cin", [3, 64, 512])
def test_01_default_start_shrinks_the_std_to_about_0_58(cin):
    for seed in range(3):
        assert 0.55 < _ratio(cin, seed) < 0.62
    assert f"{1 / math.sqrt(3):.3f}" == "0.577" and f"{3 ** -2.5:.3f}" == "0.064"


def test_01_variance_law_and_the_stacks():
    # Var(y) = fan_in Var(w) E[x^2]: over many random layers, with an input that has a mean (torch.rand)
    torch.manual_seed(0)
    values = []
    with torch.no_grad():
        for _ in range(200):
            layer = nn.Conv2d(3, 4, 3, bias=False)
            values.append((layer(torch.rand(1, 3, 12, 12)) ** 2).mean().item())
    assert abs(np.mean(values) - 1 / 9) < 0.01  # exercise 01.1: 27 x 1/81 x 1/3
    # five default layers: about 0.07
    for seed in range(3):
        torch.manual_seed(seed)
        h = torch.randn(4, 64, 40, 40)
        with torch.no_grad():
            for _ in range(5):
                h = nn.Conv2d(64, 64, 3)(h)
        assert 0.05 < h.std() < 0.09
    prose = _prose()
    assert "$\\operatorname{Var}(y) = \\text{fan\\_in} \\cdot \\operatorname{Var}(w) \\cdot \\mathbb{E}[x^2].$" in prose
    assert "about 0.07" in prose and "$(1/\\sqrt 3)^5 \\approx 0.064$" in prose


def test_01_xavier_and_he_through_relus():
    theory = {"default": 3 ** -0.5 * 6 ** -4.5, "Xavier": 2 ** -4.5, "He": 2 ** 0.5}
    assert f"{theory['default']:.0e}" == "2e-04" and f"{theory['Xavier']:.2f}" == "0.04"
    assert f"{theory['He']:.1f}" == "1.4" and f"{math.sqrt(6):.1f}" == "2.4"
    assert nn.init._calculate_fan_in_and_fan_out(nn.Conv2d(64, 64, 3).weight) == (576, 576)
    starts = {"default": lambda w: w, "Xavier": nn.init.xavier_normal_,
              "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")}
    for name, start in starts.items():
        for seed in (1, 2):
            torch.manual_seed(seed)
            h = torch.randn(2, 64, 40, 40)
            with torch.no_grad():
                for _ in range(10):
                    layer = nn.Conv2d(64, 64, 3, bias=False)
                    start(layer.weight)
                    y = layer(h)
                    h = torch.relu(y)
            assert 0.5 < y.std().item() / theory[name] < 2, (name, seed)
    prose = _prose()
    assert "about 2.4 times ($\\sqrt 6$) per layer, to about $2 \\times 10^{-4}$" in prose
    assert "to about 0.04" in prose and "$\\sqrt 2 \\approx 1.4$" in prose
    cells = [c for c in _cells() if c.cell_type == "code" and ("ratio = (layer(x).std()" in c.source
                                                                 or "h.std() < 0.09" in c.source
                                                                 or "theory[name](n)" in c.source)]
    assert len(cells) == 3 and all(c.source.startswith("# NBVAL_IGNORE_OUTPUT\n") and "assert" in c.source
                                   for c in cells)


def _real_bound(layer: nn.Module) -> float:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
    return 1 / math.sqrt(fan_in)


def test_01_exercise_6_init_bound_is_the_bound_pytorch_uses():
    item = _load("01.6")
    reference = item.solution()
    layers = [item.cases(torch.Generator().manual_seed(CASE_SEED + i))[0] for i in range(item.n_cases)]
    assert any(isinstance(layer, nn.ConvTranspose2d) for layer in layers)
    assert any(isinstance(layer, nn.Conv2d) and not isinstance(layer, nn.ConvTranspose2d) for layer in layers)
    assert any(layer.groups > 1 for layer in layers) and any(layer.kernel_size[0] != layer.kernel_size[1]
                                                             for layer in layers)
    torch.manual_seed(0)
    for case in layers:
        kind = type(case)
        real = kind(case.in_channels, case.out_channels, case.kernel_size, stride=case.stride,
                    dilation=case.dilation, groups=case.groups)
        b = reference(case)
        assert math.isclose(b, _real_bound(real))
        assert real.weight.abs().max() <= b and real.bias.abs().max() <= b
    big = nn.ConvTranspose2d(64, 8, 4, groups=2)  # 8,192 weights: they come close to the bound
    assert math.isclose(reference(big), 1 / math.sqrt(4 * 16)) and big.weight.abs().max() > 0.99 * reference(big)
    assert check("01.6", lambda layer: layer.weight[0].numel() ** -0.5)
    assert check("01.6", lambda layer: 1 / math.sqrt(layer.weight.size(1) * layer.weight[0, 0].numel()))
    for wrong in (lambda layer: 1 / math.sqrt(layer.in_channels // layer.groups * math.prod(layer.kernel_size)),
                  lambda layer: 1 / math.sqrt(layer.weight.size(1) * 9),  # kernel taken as 3 x 3
                  lambda layer: math.sqrt(3 / layer.weight[0].numel()),  # kaiming's formula without the gain
                  lambda layer: 1 / math.sqrt(layer.weight.size(0) * math.prod(layer.kernel_size))):
        assert not check("01.6", wrong)


def test_01_exercise_7_predict_the_straddling_bar():
    assert check("01.7", 0.5) and not check("01.7", 1.0)
    for seed in (0, 1, 2):
        h = _histogram("both", 1_000_000, 10, seed)
        edges, heights = h.edges["rand"], h.densities["rand"]
        i = int(np.argmin(np.abs(edges - 0.8)))
        assert math.isclose(edges[i], 0.8, abs_tol=1e-9) and math.isclose(edges[i + 1], 1.2, abs_tol=1e-9)
        assert abs(heights[i] - 0.5) < 0.01 and abs(heights[i - 1] - 1) < 0.02
    # no output before the exercises shows that setting: the snapshot is 40 bins on the slider (80 drawn)
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                     for c in _cells() for o in c.get("outputs", []) if "check(" not in c.source)
    assert "20 bins on [-4, 4]" not in text
    question = next(c.source for c in _cells() if c.source.startswith("**7.**"))
    assert "Predict, then check with the histogram panel" in question


def test_01_exercises_1_5_8_measured():
    torch.manual_seed(0)
    d = torch.rand(1_000_000) - torch.rand(1_000_000)
    assert abs(d.std().item() - math.sqrt(1 / 6)) < 1e-3 and check("01.5", math.sqrt(1 / 6))
    w = torch.empty(64, 128, 3, 3)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    b = math.sqrt(6 / 1152)
    assert w.abs().max() <= b and w.abs().max() > 0.999 * b and abs(w.var().item() - 2 / 1152) < 2e-5
    assert check("01.8", b) and check("01.1", 1 / 9)


def test_01_every_exercise_has_a_second_hint_that_is_not_the_answer():
    for number in range(1, 9):
        item = _load(f"01.{number}")
        assert item.hint2 and item.hint2 != item.hint, item.key
        if item.cases is None:
            answer = item.solution()
            forms = ([str(answer), str(list(answer))] if isinstance(answer, tuple)
                     else [str(answer), f"{answer:.4g}", f"{answer:.3g}", f"{answer:,}"])
            for text in (item.hint, item.hint2, item.question):
                for form in forms:
                    assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d])", text), (item.key, form, text)


def test_init_bound_cases_hold_both_kinds_grouped_and_not():
    """01.6's cases catch a function that forgets groups for either kind of layer."""
    from course_utils.exercises import _load
    from course_utils.exercises._code import CASE_SEED

    item = _load("01.6")
    seen = set()
    for i in range(item.n_cases):
        (layer,) = item.cases(torch.Generator().manual_seed(CASE_SEED + i))
        seen.add((type(layer).__name__, layer.groups > 1))
    assert seen == {("Conv2d", False), ("Conv2d", True), ("ConvTranspose2d", False), ("ConvTranspose2d", True)}
