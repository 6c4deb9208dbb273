"""The facts that notebook 02's sections on data, batches and learned kernels state, computed again.

(The older facts of notebook 02 are pinned in test_notebook_facts_02_04.py.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_convolution_dimensions.ipynb"


def _text() -> tuple[str, str]:
    """(the markdown, the stored text outputs) of notebook 02."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    outputs = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            outputs.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
    return prose, "\n".join(outputs)


def test_batch_size_is_not_a_layer_parameter():
    # "its weight is (4, 3, 3, 3) whatever N is ... image 3 gives the same output alone as in the batch"
    torch.manual_seed(0)
    layer = nn.Conv2d(3, 4, 3)
    for n in (1, 2, 7, 16):
        images = torch.rand(n, 3, 16, 16)
        with torch.no_grad():
            out = layer(images)
            assert tuple(out.shape) == (n, 4, 14, 14) and tuple(layer.weight.shape) == (4, 3, 3, 3)
            for i in range(n):
                torch.testing.assert_close(out[i], layer(images[i:i + 1])[0])
    prose, outputs = _text()
    assert "((1, 4, 14, 14), (7, 4, 14, 14), (4, 3, 3, 3))" in outputs


def test_conv1d_on_a_signal():
    steps = torch.tensor([0.0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0]).reshape(1, 1, 12)
    smoothed = F.conv1d(steps, torch.full((1, 1, 4), 0.25))[0, 0]
    differenced = F.conv1d(steps, torch.tensor([[[-1.0, 1.0]]]))[0, 0]
    assert smoothed.tolist() == [0, 1, 2, 3, 4, 3, 2, 1, 0]  # each step becomes a ramp
    assert differenced.tolist() == [0, 0, 0, 4, 0, 0, 0, -4, 0, 0, 0]  # spikes at the steps, 0 where flat
    assert differenced.tolist() == [steps[0, 0, i + 1].item() - steps[0, 0, i].item() for i in range(11)]
    assert (len(smoothed), len(differenced)) == (12 - 4 + 1, 12 - 2 + 1) == (9, 11)
    prose, outputs = _text()
    assert "smoothed    [0.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 0.0]" in outputs
    assert "differenced [0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, -4.0, 0.0, 0.0, 0.0]" in outputs
    assert "12 - 4 + 1 = 9 and 12 - 2 + 1 = 11" in prose


def test_conv3d_on_a_volume():
    volume = torch.zeros(1, 1, 6, 6, 6)
    volume[0, 0, 2:4, 2:4, 2:4] = 1.0
    out = F.conv3d(volume, torch.tensor([-1.0, 1.0]).reshape(1, 1, 2, 1, 1))
    assert tuple(out.shape) == (1, 1, 5, 6, 6)
    assert out[0, 0].sum(dim=(1, 2)).tolist() == [0, 4, 0, -4, 0]  # +-4: the cube's 2 x 2 face
    assert out[0, 0, :, 2, 2].tolist() == [0, 1, 0, -1, 0]
    assert set(out.unique().tolist()) == {-1.0, 0.0, 1.0}  # +1 where it begins, -1 where it ends, 0 elsewhere
    # a 2D convolution of each slice on its own (depth as the batch) cannot see along depth
    slices = volume[0].permute(1, 0, 2, 3)  # (D, 1, H, W)
    assert F.conv2d(slices, torch.ones(1, 1, 1, 1)).shape[0] == 6
    prose, outputs = _text()
    assert "sum of each depth slice: [0.0, 4.0, 0.0, -4.0, 0.0]" in outputs
    assert "along depth at h = w = 2: [0.0, 1.0, 0.0, -1.0, 0.0]" in outputs


def learn_kernel(X, Y, seed, steps=100, lr=0.3):
    torch.manual_seed(seed)
    layer = nn.Conv2d(1, 1, kernel_size=2, bias=False)
    optimizer = torch.optim.SGD(layer.parameters(), lr=lr)
    for _ in range(steps):
        loss = ((layer(X) - Y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return layer.weight.detach()[0, 0], loss.item()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_learned_kernel_is_k_or_k_flipped_whatever_the_start(seed):
    # "The layer learns K from the first data and K flipped from the second, and fits both equally well
    # (the cell checks each to within 0.0001 and prints them rounded to two decimals)"
    torch.manual_seed(100 + seed)
    X = torch.randn(1, 1, 8, 8)
    K = torch.tensor([[1.0, 2.0], [-1.0, 3.0]])
    for target, kernel in ((F.conv2d(X, K[None, None]), K), (F.conv2d(X, K.flip(0, 1)[None, None]), K.flip(0, 1))):
        learned, loss = learn_kernel(X, target, seed)
        torch.testing.assert_close(learned, kernel, atol=1e-4, rtol=0)
        assert loss < 1e-8
        assert (learned.round(decimals=2) == kernel).all()  # no weight is near 0: no "-0." to print
    prose, outputs = _text()
    assert "tensor([[ 1.,  2.],\n         [-1.,  3.]])" in outputs and "tensor([[ 3., -1.],\n         [ 2.,  1.]])" in outputs
    # "the cell after it prints both final losses, each below 1e-8": a cell that asserts it, its output not compared
    sources = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    losses = next(src for src in sources if "final losses" in src)
    assert losses.startswith("# NBVAL_IGNORE_OUTPUT") and "loss_correlation < 1e-8 and loss_convolution < 1e-8" in losses
    assert "each below $10^{-8}$" in prose


def test_gradient_descent_step_as_the_notebook_describes_it():
    # "optimizer.step() moves every weight a small step against it, w - lr * gradient ...
    # optimizer.zero_grad() comes first because backward adds to the gradient left over from the step before"
    torch.manual_seed(0)
    X, Y = torch.randn(1, 1, 8, 8), torch.randn(1, 1, 7, 7)
    layer = nn.Conv2d(1, 1, kernel_size=2, bias=False)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.3)
    loss = ((layer(X) - Y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    before, grad = layer.weight.detach().clone(), layer.weight.grad.clone()
    optimizer.step()
    torch.testing.assert_close(layer.weight.detach(), before - 0.3 * grad)
    ((layer(X) - Y) ** 2).mean().backward()  # without zero_grad the new gradient is added to the old one
    fresh = torch.autograd.grad(((layer(X) - Y) ** 2).mean(), layer.weight)[0]
    torch.testing.assert_close(layer.weight.grad, grad + fresh)


def test_xavier_numbers_of_the_photo_experiment():
    # "fan_in = 3 x 3 x 3 = 27 ... fan_out = 1 x 3 x 3 = 9 ... about twice as wide as U(-1/sqrt(27), 1/sqrt(27))"
    import math

    layer = nn.Conv2d(3, 1, 3)
    assert nn.init._calculate_fan_in_and_fan_out(layer.weight) == (27, 9)
    std = math.sqrt(2 / (27 + 9))
    assert f"{std:.3f}" == "0.236" and f"{1 / 9:.3f}" == "0.111" and f"{std * 9:.2f}" == "2.12"
    torch.manual_seed(0)
    draws = torch.stack([nn.init.xavier_normal_(torch.empty(1, 3, 3, 3)) for _ in range(4000)])
    assert abs(draws.std().item() / std - 1) < 0.01 and abs(draws.mean().item()) < 0.01
    default = torch.stack([nn.Conv2d(3, 1, 3).weight.detach() for _ in range(4000)])
    assert abs(default.std().item() * 9 - 1) < 0.01  # U(-b, b): std b / sqrt(3) = 1/9
    bias_before = layer.bias.detach().clone()
    nn.init.xavier_normal_(layer.weight)
    assert torch.equal(layer.bias.detach(), bias_before)  # "the bias keeps its default draw"
    _, outputs = _text()
    assert "fan_in 27, fan_out 9: xavier std sqrt(2 / 36) = 0.236, default std 0.111, ratio 2.12" in outputs


def test_one_by_one_keeps_h_and_w_with_stride_1_and_no_padding():
    # "A 1 x 1 convolution changes the channels and keeps H and W (with stride 1 and no padding)": always then;
    # on the notebook's 10 x 15 map every other stride or padding changes the size
    weight = torch.zeros(3, 5, 1, 1)
    for h in range(1, 12):
        for w in range(1, 12):
            assert F.conv2d(torch.zeros(1, 5, h, w), weight).shape == (1, 3, h, w)
    for stride in (1, 2, 3):
        for padding in (0, 1, 2):
            shape = tuple(F.conv2d(torch.zeros(1, 5, 10, 15), weight, stride=stride, padding=padding).shape[-2:])
            assert (shape == (10, 15)) == (stride == 1 and padding == 0)
    assert tuple(F.conv2d(torch.zeros(1, 512, 10, 15), torch.zeros(21, 512, 1, 1), stride=2).shape) == (1, 21, 5, 8)
    _, outputs = _text()
    assert "((1, 21, 10, 15), (21, 512, 1, 1), 10773, (1, 21, 5, 8))" in outputs


def test_02_exercise_answers_are_not_printed_before_the_exercises():
    from course_utils import check

    assert check("02.4", (21 * 2048 + 21, 21 * 2048 * 16 * 24)) and check("02.6", (18, 18, 1))
    prose, outputs = _text()
    assert "43029" not in outputs and "43029" not in prose and "43,029" not in prose
    assert "16515072" not in outputs and "16,515,072" not in prose and "(8, 1, 3, 5, 5)" not in outputs
    assert "(18, 18, 1)" not in outputs and "(18, 18, 1)" not in prose
    assert "Look at the Conv1d line" not in outputs  # the hint names the rule, not the line holding the answer
    assert "Suppose a segmentation head maps the 2048 feature channels" in prose  # a hypothetical head


def test_02_6_adding_an_input_channel_adds_a_term_to_each_output_cell_and_no_output_map():
    """Exercise 02.6's answer, for every setting of the stepped panel: each step of C + 1 channels equals that
    step with C channels plus the new channel's own sum (the first C sums unchanged), C * k * k products make
    a cell, and there is one output map."""
    from course_utils import check, conv2d_step_explorer

    prose, _ = _text()
    assert "**02.6** (predict, then check with the panel of section 2)" in prose
    assert "Why does adding an input channel never add an\noutput map?" in prose  # the why-question stays
    assert 'check("02.6", answer)' in "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    # the checked answer at C = 2, kernel 3 is what the panel shows
    scene = conv2d_step_explorer(channels=2, input_size=4, kernel_size=3, padding=0).scene
    products = sum(len(scene["steps"][0]["patch"][f"products.{c}"]["values"]) *
                   len(scene["steps"][0]["patch"][f"products.{c}"]["values"][0]) for c in range(2))
    weights = sum(len(g["values"]) * len(g["values"][0]) for g in scene["grids"] if g["name"].startswith("kernel."))
    maps = sum(g["role"] == "output" for g in scene["grids"])
    assert (products, weights, maps) == (18, 18, 1) and check("02.6", (products, weights, maps))
    assert "conv2d_step_explorer(channels=1, input_size=4, kernel_size=3, padding=0)" in "\n".join(
        c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    for size, k, padding in [(4, 3, 0), (4, 2, 0), (5, 3, 1), (3, 1, 0)]:
        steps = {}
        for channels in (1, 2, 3):
            scene = conv2d_step_explorer(channels=channels, input_size=size, kernel_size=k, padding=padding).scene
            assert [g["name"] for g in scene["grids"] if g["role"] == "output"] == ["output"]  # one map
            weights = [g for g in scene["grids"] if g["name"].startswith("kernel.")]
            assert len(weights) == channels and sum(len(g["values"]) * len(g["values"][0]) for g in weights) \
                == channels * k * k
            out = [g for g in scene["grids"] if g["name"] == "output"][0]
            cells = len(out["values"]) * len(out["values"][0])
            steps[channels] = [step["patch"]["output"]["values"] for step in scene["steps"]]
            assert len(steps[channels]) == cells
            products = {name: [step["patch"][name]["values"] for step in scene["steps"]]
                        for name in (f"products.{c}" for c in range(channels))}
            for i, step in enumerate(scene["steps"]):
                r, c = divmod(i, len(out["values"][0]))
                per_channel = [sum(v for row in products[f"products.{ch}"][i] for v in row if v is not None)
                               for ch in range(channels)]
                assert step["patch"]["output"]["values"][r][c] == pytest.approx(sum(per_channel))
                if channels > 1:  # the earlier channels' sums are those of the panel with one channel fewer
                    before = steps[channels - 1][-1][r][c]
                    assert sum(per_channel[:-1]) == pytest.approx(before)
