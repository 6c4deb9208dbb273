"""The numbers that notebooks 00 and 01 state in prose, computed independently."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import torch
import torch.nn.functional as F

from course_utils import set_seed, transform_invert
from course_utils.distributions import THEORY, describe, histogram_explorer, sample
from course_utils.environment import check_environment


def phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_theory_table():
    assert THEORY["rand"]["mean"] == 0.5 and math.isclose(THEORY["rand"]["variance"], 1 / 12)
    assert f"{1 / 12:.4f}" == "0.0833"
    assert THEORY["randn"]["mean"] == 0 and THEORY["randn"]["variance"] == 1


def test_normal_fractions_stated_in_prose():
    assert f"{phi(2) - phi(-2):.2%}" == "95.45%"  # printed by the cell under "What theory says"
    assert f"{phi(3) - phi(-3):.2%}" == "99.73%"
    assert f"{2 * (1 - phi(3)):.2%}" == "0.27%"  # "P(|Z| > 3) = 0.27%, about 3 values in 1,000"
    assert f"{phi(1) - phi(0):.4f}" == "0.3413"  # "only about a third", "about 34%"
    assert f"{1 - phi(1):.0%}" == "16%"  # at or above 1: white when clipped
    assert f"{2 * (1 - phi(2)):.2%}" == "4.55%"  # outside [0, 1] after 0.5 + 0.25 Z


def test_measured_values_agree_with_theory_at_a_million_samples():
    set_seed(0)
    torch.rand(6), torch.randn(6)  # the notebook's first two cells
    for name, values in {"rand": torch.rand(1_000_000), "randn": torch.randn(1_000_000)}.items():
        stats = describe(values)
        assert abs(stats["mean"] - THEORY[name]["mean"]) < 2e-3
        assert abs(stats["variance"] - THEORY[name]["variance"]) < 3e-3
    assert describe(sample("rand", 10_000))["max"] < 1


def test_rand_maximum_is_shown_below_one():
    # The table prints max 1.0000 at four decimals; the line under it shows the value is below 1.
    set_seed(0)
    torch.rand(6), torch.randn(6)
    top = torch.rand(1_000_000).max().item()
    assert f"{top:9.4f}".strip() == "1.0000"  # "its maximum reads 1.0000 at four decimals"
    assert top < 1 and f"{top:.7f}" == "0.9999990" and f"{1 - top:.2e}" == "1.01e-06"
    assert (1 - top) * 2**24 == 17  # a multiple of 2**-24: exact on any CPU, far from a rounding edge


def test_histogram_title_counts_the_bins_drawn():
    # "In the both view the two samplers share one grid on [-4, 4] with twice the slider's bins"
    from matplotlib.figure import Figure

    from course_utils.distributions import draw_histogram

    for bins in (5, 40, 100):
        for distribution, drawn, where in (("both", 2 * bins, "[-4, 4]"), ("rand", bins, "[0, 1]"),
                                           ("randn", bins, "[-4, 4]")):
            fig = Figure()
            draw_histogram(fig, distribution, 1_000, bins, 0)
            view = fig._course_histogram
            assert view.title.get_text() == f"1,000 samples, {drawn} bins on {where}, seed 0"
            for name in ("rand", "randn") if distribution == "both" else (distribution,):
                edges = view.bars[name].get_data().edges
                assert len(edges) - 1 == drawn
                assert (edges[0], edges[-1]) == ((0, 1) if where == "[0, 1]" else (-4, 4))


def test_image_tensor_facts():
    X = torch.rand(size=(1, 3, 320, 480))
    assert tuple(X.shape) == (1, 3, 320, 480) and X.numel() == 460_800
    set_seed(1)
    Y = torch.randn(size=(1, 3, 320, 480))
    outside = ((Y < 0) | (Y > 1)).float().mean().item()
    assert abs(outside - (0.5 + 1 - phi(1))) < 0.005
    assert abs(((0.5 + 0.25 * Y < 0) | (0.5 + 0.25 * Y > 1)).float().mean().item() - 0.0455) < 0.002
    # clipping works per channel: a pixel is black only where all three channels end up at 0 (about 1/8:
    # below 0, or less than half a level above), white only where all three end up at 255 ("hardly any")
    image = np.asarray(transform_invert(Y))  # (H, W, 3) uint8
    black, white = (image == 0).all(axis=2).mean(), (image == 255).all(axis=2).mean()
    below_half_level = phi(0.5 / 255) ** 3
    assert abs(black - below_half_level) < 0.005 and abs(black - 0.5**3) < 0.005
    assert abs(white - (1 - phi(254.5 / 255)) ** 3) < 0.001 and white < 0.005
    assert (image == 0).mean() > 0.49  # while half of all channel values are 0
    assert f"{0.5 ** 3:.2%}" == "12.50%"
    _, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    found = re.search(r"randn clipped: black pixels (12\.\d\d)% \(about 0\.5 \*\* 3 = 12\.50%\), "
                      r"white pixels (0\.\d\d)%", outputs)
    assert found and abs(float(found[1]) - 12.5) < 0.5 and float(found[2]) < 0.5


def test_uniform_noise_levels_0_and_255_come_half_as_often():
    # "every level from 1 to 254 is equally likely in each channel (0 and 255 half as often)"
    set_seed(0)
    image = np.asarray(transform_invert(torch.rand(3, 1000, 1000)))
    counts = np.bincount(image.ravel(), minlength=256)
    expected = image.size / 255  # 254 full intervals and two halves
    assert np.all(np.abs(counts[1:255] / expected - 1) < 0.05)  # 5 sigma of 11,765 draws a level
    assert abs(counts[0] / expected - 0.5) < 0.03 and abs(counts[255] / expected - 0.5) < 0.03


def test_scaled_uniform_can_round_to_b_in_float32():
    # "a + (b - a) * torch.rand(n) is uniform on [a, b) (up to float rounding: in float32 it can round to b)"
    largest = torch.tensor(1 - 2**-24)
    assert largest.item() < 1 and f"{largest.item():.8f}" == "0.99999994"
    assert (2.0 + (5.0 - 2.0) * largest).item() == 5.0
    hits = [(a, b) for a in range(-4, 5) for b in range(a + 1, 9)
            if (a + (b - a) * largest).item() == b]
    assert hits and (2, 5) in hits and (0, 1) not in hits  # often, not always
    _, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    assert "a + (b - a) * 0.99999994 = 5.0 in float32" in outputs


def test_normal_tails_beyond_three_in_the_histogram_panel():
    # "the normal one reaches beyond +-3 only now and then with 100 samples, and with every seed from
    # about a thousand samples on"
    beyond = {n: [int((np.abs(sample("randn", n, seed)) > 3).sum()) for seed in range(10)]
              for n in (10, 100, 1_000, 10_000)}
    assert sum(beyond[10]) == 0
    assert 0 < sum(c > 0 for c in beyond[100]) <= 3
    assert all(c > 0 for c in beyond[1_000]) and all(c > 0 for c in beyond[10_000])


def test_body_of_01_does_not_answer_its_exercises():
    # 01.1 (a default layer on a rand image), 01.4 (fraction in [-1, 1]), 01.5 (std of rand - rand), 01.8
    from course_utils import check

    nb = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / "01_rand_vs_randn.ipynb", 4)
    before = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            before.append(cell.source.split("## Exercises")[0])
            break
        before.append(cell.source)
        before += [o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", [])]
    text = "\n".join(before)
    for given_away in ("0.1111", "1/9", "1/36", "68.3", "68.27", "0.4082", "1/6", "0.0721", "0.0722",
                       "sqrt(6"):
        assert given_away not in text, given_away
    assert check("01.1", 1 / 9) and check("01.4", math.erf(1 / math.sqrt(2))) and check("01.5", math.sqrt(1 / 6))
    assert "U(2, 5): mean 3.5" in text and "variance 0.75" in text and "N(-3, 0.5^2)" in text


def test_histogram_panel_every_setting_renders():
    """Each setting draws the panel's SVG plot with its table as the caption; no control ever changes."""
    panel = histogram_explorer()
    count = 0
    for values in panel.sweep({"bins": [5, 100], "seed": [3]}):
        count += 1
        assert panel.unexpected is None and not panel.error and panel.values == values
        assert panel.scene["svg"].lstrip().startswith("<svg") and panel.scene["svg"] in panel.markup
        assert "U(0, 1)" in panel.caption or "N(0, 1)" in panel.caption
        assert panel.caption == "\n".join(panel.scene["caption"])
    assert count == 3 * 6 * 2 * 1
    assert panel.values == {"distribution": "both", "sample_size": 10_000, "bins": 40, "seed": 0}


def test_start_here_colour_example_is_conv2d():
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    k = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).reshape(1, 1, 3, 3)
    y = F.conv2d(x, k, padding=1)[0, 0]
    expected = np.zeros((3, 3))
    padded = np.pad(x[0, 0].numpy(), 1)
    for i in range(3):
        for j in range(3):
            expected[i, j] = (padded[i:i + 3, j:j + 3] * k[0, 0].numpy()).sum()
    np.testing.assert_allclose(y.numpy(), expected)


def test_environment_report_reads_the_pins():
    rows = check_environment()
    assert {r.name for r in rows} >= {"torch", "numpy", "matplotlib", "pillow", "ipywidgets"}
    assert all(r.ok for r in rows), [str(r) for r in rows if not r.ok]


def test_histogram_caption_never_shows_the_max_of_rand_as_1():
    """The notebook says 1 never comes out of torch.rand; the panel's table prints min and max with 7
    decimals, enough to show every float32 below 1 (the largest is 1 - 2**-24 = 0.99999994) below 1."""
    from matplotlib.figure import Figure

    from course_utils.distributions import SAMPLE_SIZES, draw_histogram

    assert f"{1 - 2**-24:.7f}" == "0.9999999"
    fig = Figure()
    for n in SAMPLE_SIZES:
        for seed in range(10):
            caption = draw_histogram(fig, "rand", n, 40, seed)
            row = next(line for line in caption.splitlines() if line.startswith("rand "))
            assert float(row.split()[-1]) < 1, row


def _notebook_text(name: str) -> tuple[str, str]:
    """(markdown, stored text outputs) of a notebook."""
    nb = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / name, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    outputs = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                        for c in nb.cells for o in c.get("outputs", []))
    return prose, outputs


def test_conv2d_default_init_is_uniform_with_bound_one_over_sqrt_fan_in():
    """01 section 5: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias too."""
    import inspect

    from torch import nn

    source = inspect.getsource(nn.modules.conv._ConvNd.reset_parameters)
    assert "kaiming_uniform_(self.weight, a=math.sqrt(5))" in source
    assert "bound = 1 / math.sqrt(fan_in)" in source and "uniform_(self.bias, -bound, bound)" in source
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert math.isclose(gain, math.sqrt(2 / (1 + 5))) and math.isclose(gain, math.sqrt(1 / 3))
    for cin, cout, k, groups in ((3, 16, 3, 1), (64, 128, 3, 1), (512, 21, 1, 1), (8, 4, 5, 2), (6, 6, (3, 1), 3)):
        layer = nn.Conv2d(cin, cout, k, groups=groups)
        kh, kw = layer.kernel_size
        fan_in = cin // groups * kh * kw
        assert layer.weight[0].numel() == fan_in
        bound = 1 / math.sqrt(fan_in)
        assert math.isclose(gain * math.sqrt(3 / fan_in), bound)
        assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
    # a large layer fills the interval: flat histogram, nothing outside
    set_seed(0)
    layer = nn.Conv2d(64, 128, kernel_size=3)
    w = layer.weight.detach().flatten()
    assert w.numel() == 73_728 and 64 * 3 * 3 == 576 and 1 / math.sqrt(576) == 1 / 24
    counts = torch.histc(w, bins=10, min=-1 / 24, max=1 / 24)
    assert counts.min() > 0.9 * w.numel() / 10 and counts.max() < 1.1 * w.numel() / 10
    assert f"{1 / 24:.4f}" == "0.0417" and f"{1 / math.sqrt(27):.4f}" == "0.1925" and f"{1 / math.sqrt(512):.4f}" == "0.0442"
    prose, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    assert "fan_in 576: bound 1 / sqrt(fan_in) = 0.041667" in outputs
    assert "gain 0.577350, sqrt(1/3) 0.577350" in outputs
    assert "gain * sqrt(3 / fan_in) = 0.041667, 1 / sqrt(fan_in) = 0.041667" in outputs
    assert "73,728 weights between -0.0417 and 0.0417" in outputs
    assert "fan-in is 64 x 3 x 3 = 576 and the bound 1/24, about 0.0417" in " ".join(prose.split())
    assert "The histogram of the layer's 73,728 weights" in prose
    for line in ("fan_in   27, bound 0.1925", "fan_in  576, bound 0.0417", "fan_in  512, bound 0.0442"):
        assert line in outputs


def test_conv_transpose2d_default_reads_its_fan_in_from_weight_size_1():
    """01: for nn.ConvTranspose2d the default counts fan_in = weight.size(1) x kH x kW = out/groups x kH x kW."""
    from torch import nn

    torch.manual_seed(0)
    for cin, cout, k, groups in ((512, 21, 4, 1), (21, 21, 4, 1), (8, 6, 3, 2), (6, 9, (3, 2), 3), (16, 2, 1, 1)):
        layer = nn.ConvTranspose2d(cin, cout, k, groups=groups)
        kh, kw = layer.kernel_size
        assert tuple(layer.weight.shape) == (cin, cout // groups, kh, kw)
        fan_in = cout // groups * kh * kw
        assert nn.init._calculate_fan_in_and_fan_out(layer.weight)[0] == fan_in
        bound = 1 / math.sqrt(fan_in)
        assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
        if layer.weight.numel() > 10_000:  # large enough to come close to the bound
            assert layer.weight.abs().max() > 0.99 * bound
    assert 21 * 16 == 336 and f"{1 / math.sqrt(336):.4f}" == "0.0546"
    _, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    assert "ConvTranspose2d(512, 21, kernel_size=(4, 4), stride=(1, 1)): fan_in 336, bound 0.0546, " \
        "largest |weight| 0.0546" in outputs


def test_exercise_answers_of_01_are_not_printed_before_the_exercises():
    from course_utils import check

    assert check("01.3", 8 * 3 * 224 * 224)
    prose, outputs = _notebook_text("01_rand_vs_randn.ipynb")
    for form in ("1204224", "1,204,224"):
        assert form not in prose and form not in outputs


def test_start_here_defines_tap_and_receptive_field_and_shows_the_import():
    prose, _ = _notebook_text("00_start_here.ipynb")
    assert "| tap | 抽头 | one position of the kernel, holding one weight;" in prose
    assert "| receptive field | 感受野 | the window (extent) of input pixels that can influence" in prose
    assert "not every pixel in it need do so" in prose
    assert prose.index("from course_utils import conv_output_size") < prose.index("help(conv_output_size)")
    assert "usually upsamples" in prose and "no fully connected layer" in prose


def test_same_padding_is_uneven_exactly_for_an_even_kernel_and_an_odd_dilation():
    # 00 notation: "padding='same' with an even kernel and an odd dilation adds one more at the end"
    import warnings

    prose, _ = _notebook_text("00_start_here.ipynb")
    assert "`padding='same'` with an even kernel and an odd dilation adds one more at the end" in prose
    n = 9
    x = torch.arange(1.0, n + 1).reshape(1, 1, n)
    for k in range(1, 7):
        for d in range(1, 4):
            w = torch.zeros(1, 1, k)
            w[0, 0, 0] = 1.0  # output i = padded input at i: reveals the padding on the left
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = F.conv1d(x, w, padding="same", dilation=d)[0, 0]
            left = int((y == 0).sum())  # zeros read from the left padding
            total = d * (k - 1)
            assert y.shape[0] == n and left == total // 2
            assert (total - left != left) == (k % 2 == 0 and d % 2 == 1)


def test_exercise_precision_stated_in_00_and_01_matches_the_checker():
    """00 and 01: whole numbers exact, decimals to 4 significant digits unless the question says otherwise."""
    from course_utils import check
    from course_utils.exercises import EXERCISES, _load

    for prose in (_notebook_text("00_start_here.ipynb")[0], _notebook_text("01_rand_vs_randn.ipynb")[0]):
        flat = " ".join(prose.split())
        assert "4 significant digits (0.1429 for 1/7), unless the question says otherwise" in flat
    for number in range(1, 9):
        _load(f"{number:02d}.1")
    for key, item in EXERCISES.items():
        if item.digits != 4:  # the question says so, in the notebook as in the registry
            assert "significant digits" in item.question, key
            notebook = next((Path(__file__).resolve().parent.parent / "notebooks").glob(f"{key[:2]}_*.ipynb"))
            number = key.split(".")[1]
            question = next(c.source for c in nbformat.read(notebook, 4).cells
                            if c.cell_type == "markdown" and c.source.lstrip().startswith(
                                (f"**{number}.**", f"**{key}**")))
            assert f"{item.digits} significant digits" in question, key
    from course_utils.exercises import answers_match

    assert answers_match(0.1429, 1 / 7, 4) and not answers_match(0.1428, 1 / 7, 4)
    assert check("01.1", 1 / 9)


def test_start_here_has_prerequisites_notation_times_and_atrous():
    prose, _ = _notebook_text("00_start_here.ipynb")
    assert "## What you need first" in prose and "## Notation" in prose
    for symbol in ("| N |", "| C |", "| H, W |", "| k |", "| s |", "| p |", "| d |"):
        assert symbol in prose
    assert "| atrous convolution | 空洞卷积 |" in prose
    assert prose.count(" min |") == 9  # one time per notebook 00-08
