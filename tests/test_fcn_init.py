"""The initialisations of ShapesFCN's three x2 upsampling layers (init="bilinear", "random", "scaled",
"frozen"), measured against PyTorch: the output variance they give, what training changes."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import bilinear_kernel, build_shapes_fcn, make_shapes_data, train_segmentation
from course_utils.fcn import INITS, _terms_per_pixel

UP = ("up8", "up4", "up2")


def _checksum(model: nn.Module) -> str:
    digest = hashlib.sha256()
    for name, value in model.state_dict().items():
        digest.update(name.encode())
        digest.update(value.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def test_bilinear_and_random_networks_are_unchanged():
    """The networks notebook 08 stores results of: the state_dicts, recorded before "scaled" and "frozen" came."""
    assert _checksum(build_shapes_fcn(5, "bilinear", seed=0)) == (
        "c66ae1f79d8e874378e77f80d7c0fe26363a0616d159564b6f1ba2a41348a84f")
    assert _checksum(build_shapes_fcn(5, "random", seed=0)) == (
        "70608ac7d2732fa88004e730ddff3b9acaf31690ff3caeef429a9da09a16fdd0")


@pytest.mark.parametrize("init", ["scaled", "frozen"])
def test_new_inits_change_only_the_upsampling_layers(init):
    reference = build_shapes_fcn(5, "bilinear", seed=3).state_dict()
    model = build_shapes_fcn(5, init, seed=3)
    for name, value in model.state_dict().items():
        same = torch.equal(value, reference[name])
        assert same == (init == "frozen" or not name.startswith("up")), name
    assert build_shapes_fcn(5, init, seed=3).init == init
    assert _checksum(build_shapes_fcn(5, init, seed=3)) == _checksum(model)  # same seed, same network


def test_terms_per_pixel_is_what_torch_sums():
    """A transposed convolution of ones with weights of ones counts the products each pixel sums."""
    for channels, k, s in [(5, 4, 2), (3, 4, 2), (2, 6, 3), (4, 2, 2)]:
        layer = nn.ConvTranspose2d(channels, 7, k, s, padding=1, bias=False)
        ones = F.conv_transpose2d(torch.ones(1, channels, 8, 8), torch.ones_like(layer.weight),
                                  stride=s, padding=1)
        interior = ones[..., k:-k, k:-k]
        assert torch.all(interior == _terms_per_pixel(layer)), (channels, k, s)
    assert _terms_per_pixel(build_shapes_fcn(5).up8) == 20


def _output_variance(init: str, layers: tuple[str, ...], seeds: range) -> float:
    """Mean output variance, away from the border, of ``layers`` in turn on unit-variance input."""
    generator = torch.Generator().manual_seed(0)
    variances = []
    for seed in seeds:
        model = build_shapes_fcn(5, init, seed=seed)
        x = torch.randn(8, 5, 24, 24, generator=generator)
        with torch.no_grad():
            for name in layers:
                x = getattr(model, name)(x)
        border = 2 ** (len(layers) + 1)
        variances.append(float(x[..., border:-border, border:-border].var()))
    return sum(variances) / len(variances)


def test_default_init_shrinks_the_signal_and_scaled_keeps_it():
    layer = build_shapes_fcn(5, "random").up8
    # PyTorch's kaiming_uniform_(a=sqrt(5)): uniform, variance gain^2 / fan_in, fan_in = C_out * 4 * 4
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
    weight_variance = nn.init.calculate_gain("leaky_relu", math.sqrt(5)) ** 2 / fan_in
    assert fan_in == 80
    default_gain = math.sqrt(_terms_per_pixel(layer) * weight_variance)  # about 0.29
    seeds = range(10)
    for name in UP:
        assert _output_variance("random", (name,), seeds) ** 0.5 == pytest.approx(default_gain, rel=0.06)
        assert _output_variance("scaled", (name,), seeds) == pytest.approx(1.0, rel=0.06)
    # through all three layers: about 0.024 of the input's standard deviation, or about all of it
    assert _output_variance("random", UP, seeds) ** 0.5 == pytest.approx(default_gain ** 3, rel=0.15)
    assert _output_variance("scaled", UP, seeds) == pytest.approx(1.0, rel=0.15)
    assert default_gain == pytest.approx(0.29, abs=0.005)


def test_frozen_layers_are_not_trained():
    data = make_shapes_data(40, 8, 16, seed=0)
    frozen = build_shapes_fcn(data.num_classes, "frozen", seed=1)
    trained = build_shapes_fcn(data.num_classes, "bilinear", seed=1)
    for name in UP:
        layer = getattr(frozen, name)
        assert not layer.weight.requires_grad
        assert torch.equal(layer.weight, bilinear_kernel(5, 5, 4))
    before = {name: p.detach().clone() for name, p in frozen.named_parameters()}
    # train_segmentation gives model.parameters(), frozen ones included, to the fused AdamW
    for model in (frozen, trained):
        train_segmentation(model, data, steps=6, batch_size=8, seed=0)
    for name, p in frozen.named_parameters():
        assert torch.equal(p, before[name]) == name.startswith("up"), name
        assert p.requires_grad != name.startswith("up"), name
    for name in UP:  # the same layers of the bilinear network did learn
        assert not torch.equal(getattr(trained, name).weight, before[f"{name}.weight"]), name


def test_unknown_init_names_the_choices():
    listed = ", ".join(repr(i) for i in INITS)
    assert listed == "'bilinear', 'random', 'scaled', 'frozen'"
    with pytest.raises(ValueError, match=f"init must be one of {listed}; got 'zeros'"):
        build_shapes_fcn(5, "zeros")
