"""Facts that notebook 02 states, computed here independently and pinned (the newer sections: weight
sharing, translation equivariance, several output channels, what the seeds' maps copy)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from _notebooks import prose
from torch import nn

from course_utils import load_image, set_seed, to_tensor


def _prose() -> str:
    return prose("02")


def test_weight_sharing_counts():
    conv = nn.Conv2d(3, 1, 3)
    assert sum(p.numel() for p in conv.parameters()) == 28
    dense = nn.Linear(3 * 512 * 512, 510 * 510, device="meta")
    assert sum(p.numel() for p in dense.parameters()) == 204_551_223_300
    assert "with 28 parameters (27 weights and a bias)" in _prose()


def test_translation_equivariance_holds_with_circular_padding_and_away_from_the_border_otherwise():
    """Every shift tried: circular padding commutes with torch.roll exactly; zero padding only inside."""
    g = torch.Generator().manual_seed(1)
    for trial in range(20):
        x = torch.rand(1, 1, 12, 12, generator=g)
        dy, dx = (int(v) for v in torch.randint(-3, 4, (2,), generator=g))
        circular = nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular")
        zeros = nn.Conv2d(1, 1, 3, padding=1)
        with torch.no_grad():
            for layer in (circular, zeros):
                first = layer(torch.roll(x, (dy, dx), dims=(2, 3)))
                after = torch.roll(layer(x), (dy, dx), dims=(2, 3))
                rows = slice(abs(dy) + 1, 12 - abs(dy) - 1)
                cols = slice(abs(dx) + 1, 12 - abs(dx) - 1)
                torch.testing.assert_close(first[..., rows, cols], after[..., rows, cols], rtol=0, atol=1e-6)
                if layer is circular:
                    torch.testing.assert_close(first, after, rtol=0, atol=1e-6)
        if (dy, dx) != (0, 0):  # zero padding differs somewhere near the border for a random input
            assert not torch.allclose(zeros(torch.roll(x, (dy, dx), dims=(2, 3))),
                                      torch.roll(zeros(x), (dy, dx), dims=(2, 3))), (trial, dy, dx)


def test_each_output_channel_is_its_own_sum_over_input_channels_plus_its_bias():
    layer = nn.Conv2d(3, 4, 3)
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        out = layer(x)
        for o in range(4):
            parts = sum(F.conv2d(x[:, c:c + 1], layer.weight[o:o + 1, c:c + 1]) for c in range(3))
            torch.testing.assert_close(parts + layer.bias[o], out[:, o:o + 1])


def test_what_each_seeds_map_copies_of_the_brightness():
    """The notebook's rule: the channels of a photo move together, so the total sum of the weights decides how much
    of the brightness a map copies: seed 2 (+0.77) a copy, seed 1 (-0.17) a negative, seed 3 (-0.09) the least."""
    photo = to_tensor(load_image("photo"))
    grey = photo.mean(dim=0)[1:-1, 1:-1]
    channels = torch.corrcoef(photo.reshape(3, -1))
    assert [round(float(channels[i, j]), 2) for i, j in ((0, 1), (1, 2), (0, 2))] == [0.87, 0.89, 0.61]
    found = {}
    for seed in (1, 2, 3):
        set_seed(seed)
        layer = nn.Conv2d(3, 1, 3)
        nn.init.xavier_normal_(layer.weight)
        with torch.no_grad():
            fm = layer(photo[None])[0, 0]
        found[seed] = (round(float(layer.weight.detach().sum()), 2),
                       round(float(torch.corrcoef(torch.stack([fm.flatten(), grey.flatten()]))[0, 1]), 2))
    assert found == {1: (-0.17, -0.65), 2: (0.77, 0.82), 3: (-0.09, -0.28)}
    # the rule: the sign of the total sum is the sign of the correlation, and the smallest total copies least
    assert all((total > 0) == (corr > 0) for total, corr in found.values())
    assert min(found, key=lambda s: abs(found[s][0])) == min(found, key=lambda s: abs(found[s][1])) == 3
    prose = _prose()
    for words in ("seed 2's weights add up to +0.77", "seed 1's add up to -0.17", "nearly cancel (-0.09)"):
        assert words in prose


def test_an_n_d_kernel_has_n_plus_1_axes_per_output_channel():
    for n, layer in ((1, nn.Conv1d(2, 4, 3)), (2, nn.Conv2d(3, 4, 3)), (3, nn.Conv3d(3, 4, 3))):
        assert layer.weight[0].dim() == n + 1 and layer.weight.dim() == n + 2
