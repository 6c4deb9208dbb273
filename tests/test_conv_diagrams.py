"""course_utils.conv_diagrams (02, 03): figures, helpers, and the conv2d explorer over its grid."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils import (
    PADDING_MODES,
    conv2d_explorer,
    conv2d_line,
    conv_dimensions_figure,
    conv_output_size,
    figure_to_png,
    group_connections,
    groups_figure,
    multichannel_figure,
    padding_modes_figure,
)
from course_utils._small_ops import ReusedAxesFigure, one_thread
from course_utils.conv_diagrams import _divisors_of_both


def torch_refuses(values: dict, in_channels: int = 4, out_channels: int = 8) -> bool:
    """Does PyTorch itself refuse this setting of the panel?"""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            layer = nn.Conv2d(in_channels, out_channels, values["kernel"], values["stride"],
                              values["padding"], values["dilation"], values["groups"],
                              padding_mode=values["padding_mode"])
            layer(torch.zeros(1, in_channels, values["height"], values["width"]))
    except (RuntimeError, ValueError):
        return True
    return False


def check_setting(explorer, values: dict) -> str:
    """One setting: a figure with a caption that agrees with torch, or a message torch agrees with."""
    assert explorer.unexpected is None, (values, explorer.unexpected)
    if explorer.message:
        assert torch_refuses(values), (values, explorer.message)
        assert any(name in explorer.message for name in ("padding", "kernel_size", "stride")), explorer.message
        return "message"
    assert not torch_refuses(values), values
    assert explorer.png.startswith(b"\x89PNG")
    assert "matches the formula" in explorer.caption, explorer.caption
    h_out = conv_output_size(values["height"], values["kernel"], values["stride"], values["padding"],
                             values["dilation"])
    w_out = conv_output_size(values["width"], values["kernel"], values["stride"], values["padding"],
                             values["dilation"])
    assert f"(1, 8, {h_out}, {w_out})" in explorer.caption
    line = explorer.caption.split("torch: ")[1].split("(torch.zeros")[0]
    assert line == conv2d_line(4, 8, values["kernel"], values["stride"], values["padding"],
                               values["dilation"], values["groups"], padding_mode=values["padding_mode"])
    return "figure"


@pytest.mark.slow
def test_explorer_geometry_sweep():
    """Sizes, every padding (numbers and strings), every dilation, every reachable kernel, strides."""
    explorer = conv2d_explorer()
    explorer.set(height=8, width=8, kernel=1, dilation=1, stride=1, padding=0)
    outcomes = {"figure": 0, "message": 0}
    for values in explorer.sweep(choices={"height": [1, 2, 4, 8], "width": [3, 8], "stride": [1, 3],
                                          "groups": [2], "padding_mode": ["zeros"]}):
        outcomes[check_setting(explorer, values)] += 1
    assert sum(outcomes.values()) == 630  # every reachable combination of the choices
    assert outcomes["figure"] > 300 and outcomes["message"] > 0, outcomes


@pytest.mark.slow
def test_explorer_modes_and_groups_sweep():
    """Every padding_mode and every groups value, across paddings, strides and small inputs."""
    explorer = conv2d_explorer()
    explorer.set(height=8, width=8, kernel=1, dilation=1, stride=1, padding=0)
    outcomes = {"figure": 0, "message": 0}
    for values in explorer.sweep(choices={"height": [1, 3], "width": [2, 6], "padding": [1, 3, "same"],
                                          "dilation": [2], "kernel": [3], "stride": [1, 2]}):
        outcomes[check_setting(explorer, values)] += 1
    # 2 * 2 * 3 * 2 * 3 * 4 = 288 combinations (groups 1, 2, 4; four modes), less the 24 where a
    # dilated 3x3 kernel cannot fit in a 1-pixel input padded by 1: its range stops at 2
    assert sum(outcomes.values()) == 264
    assert outcomes["figure"] > 50 and outcomes["message"] > 50, outcomes


def test_adapt_keeps_the_kernel_inside_the_padded_input():
    explorer = conv2d_explorer(height=3, width=3, kernel=3, stride=1, padding=0, dilation=1)
    assert explorer.controls["kernel"].max == 3          # a 5x5 kernel would not fit in 3x3
    assert explorer.controls["dilation"].max == 1        # nor a dilated 3x3 (spans 5)
    explorer.set(padding=1)
    assert explorer.controls["kernel"].max == 5 and explorer.controls["dilation"].max == 2
    explorer.set(kernel=5)
    assert explorer.controls["height"].min == 3 and explorer.controls["dilation"].max == 1
    explorer.set(padding=0)  # a drop-down made it impossible: a sentence, the slider keeps its value
    assert explorer.values["kernel"] == 5
    assert "kernel_size (5) is larger than the padded input" in explorer.message
    assert "input height 3" in explorer.message


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"padding": "same", "stride": 2}, ["padding='same' needs stride=1", "stride=2"]),
        ({"height": 2, "padding": 2, "kernel": 1, "padding_mode": "reflect"},
         ["padding_mode='reflect' needs padding (2) smaller than", "height (2)"]),
        ({"height": 1, "padding": 2, "kernel": 1, "padding_mode": "circular"},
         ["padding_mode='circular' needs padding (2) at most", "height (1)"]),
    ],
)
def test_explorer_messages_name_the_argument(settings, words):
    explorer = conv2d_explorer()
    explorer.set(**settings)
    assert explorer.error and explorer.unexpected is None
    for word in words:
        assert word in explorer.message, explorer.message


def test_explorer_caption_and_snapshot(capsys):
    explorer = conv2d_explorer(height=5, width=5, kernel=3, stride=2, padding=1)
    assert explorer.caption.splitlines()[1] == (
        "H_out = floor((H + 2p - d(k-1) - 1)/s) + 1 = floor((5 + 2*1 - 1*(3-1) - 1)/2) + 1 = 3")
    assert "nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1)" in explorer.caption
    assert "weight (8, 4, 3, 3): 288 weights + 8 biases" in explorer.caption
    explorer.snapshot()
    assert "H_out" in capsys.readouterr().out
    explorer.set(width=6)
    assert "the last 1 padded column is never visited" in explorer.caption
    explorer.set(padding="same", stride=1, kernel=4, dilation=1)
    assert "padding='same' adds d(k-1) = 3: 1 before, 2 after" in explorer.caption
    explorer.set(padding=2, kernel=1)
    explorer.set(padding="same", stride=2)
    explorer.snapshot()
    assert capsys.readouterr().out.startswith("Not possible: padding='same' needs stride=1")


def test_explorer_factory_messages():
    with pytest.raises(ValueError, match="groups must be one of 1, 2, 4"):
        conv2d_explorer(groups=3)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        conv2d_explorer(padding_mode="mirror")
    with pytest.raises(ValueError, match="height must be between 1 and 8"):
        conv2d_explorer(height=20)
    with pytest.raises(ValueError, match="padding must be one of"):
        conv2d_explorer(padding=7)
    with pytest.raises(ValueError, match="in_channels must be positive"):
        conv2d_explorer(in_channels=0)


def test_explorer_figure_reuses_axes():
    explorer = conv2d_explorer()
    assert isinstance(explorer.fig, ReusedAxesFigure)
    axes = list(explorer.fig.axes)
    explorer.set(stride=1)
    assert list(explorer.fig.axes) == axes and len(axes) == 3


def test_padded_input_drawn_matches_torch_padding():
    """The numbers the panel shows in the padding are what F.pad (and so nn.Conv2d) uses."""
    explorer = conv2d_explorer(height=3, width=3, kernel=3, stride=1, padding=1)
    for mode in PADDING_MODES:
        explorer.set(padding_mode=mode)
        shown = explorer.draw.__self__.last_padded.astype(int).flatten().tolist()
        assert len(explorer.fig.axes[0].images) == 2  # the pixels, and their numbers
        x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
        expected = torch.nn.functional.pad(x, (1, 1, 1, 1), mode=PADDING_MODES[mode]).flatten().int()
        assert shown == expected.tolist(), mode


def test_group_connections_match_autograd():
    """Output channel o depends on input channel i exactly where the mask says 1."""
    for cin, cout, groups in [(4, 8, 1), (4, 8, 2), (4, 8, 4), (6, 3, 3), (8, 8, 8)]:
        layer = nn.Conv2d(cin, cout, 1, groups=groups, bias=False)
        with torch.no_grad():
            layer.weight.uniform_(0.5, 1.5)
        jac = torch.autograd.functional.jacobian(lambda x, layer=layer: layer(x)[0, :, 0, 0],
                                                 torch.ones(1, cin, 1, 1))
        depends = (jac.reshape(cout, cin) != 0).float()
        torch.testing.assert_close(depends, group_connections(cin, cout, groups))
    with pytest.raises(ValueError, match=r"out_channels \(6\) must be divisible by groups \(4\)"):
        group_connections(4, 6, 4)


def test_conv2d_line_builds_the_same_layer():
    line = conv2d_line(4, 8, 3, stride=2, padding="same", dilation=2, groups=2, bias=False,
                       padding_mode="reflect")
    assert line == ("nn.Conv2d(4, 8, kernel_size=3, stride=2, padding='same', dilation=2, groups=2, "
                    "bias=False, padding_mode='reflect')")
    assert conv2d_line(3, 1, 3) == "nn.Conv2d(3, 1, kernel_size=3)"
    layer = eval(conv2d_line(4, 8, 3, stride=2, padding=1, groups=4), {"nn": nn})  # noqa: S307
    assert (layer.stride, layer.padding, layer.groups) == ((2, 2), (1, 1), 4)


def test_divisors_of_both_match_brute_force_and_are_fast():
    for a in range(1, 70):
        for b in range(1, 70):
            assert _divisors_of_both(a, b) == [g for g in range(1, min(a, b) + 1) if a % g == 0 and b % g == 0]
    start = time.perf_counter()
    assert _divisors_of_both(10**12, 10**12) == sorted(2**i * 5**j for i in range(13) for j in range(13))
    assert time.perf_counter() - start < 0.5


def test_static_figures():
    assert isinstance(conv_dimensions_figure(torch.rand(3, 40, 40)), Figure)
    assert isinstance(groups_figure(8, 8, (1, 2, 8)), Figure)
    assert isinstance(padding_modes_figure(torch.rand(3, 40, 40), padding=8, crop=16), Figure)
    x, w = (torch.arange(48.0) % 3).reshape(3, 4, 4), torch.ones(3, 3, 3)
    fig = multichannel_figure(x, w)
    assert len(fig.axes) == 10
    # the last panel shows the sum over channels, which is F.conv2d with the 3D kernel
    with one_thread():
        expected = torch.nn.functional.conv2d(x[None], w[None])[0, 0]
    shown = np.array([float(t.get_text()) for t in fig.axes[-1].texts]).reshape(2, 2)
    np.testing.assert_allclose(shown, expected.numpy())


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv_dimensions_figure(torch.rand(1, 8, 8)), ValueError, "photo must be a"),
        (lambda: multichannel_figure(torch.rand(4, 4), torch.rand(3, 3, 3)), ValueError, "x must be a"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.rand(2, 3, 3)), ValueError, "C = 3"),
        (lambda: padding_modes_figure(torch.rand(3, 8, 8), padding=8), ValueError, "padding \\(8\\)"),
        (lambda: padding_modes_figure(torch.rand(8, 8)), ValueError, "image must be"),
        (lambda: padding_modes_figure(torch.rand(3, 8, 8), padding=0), ValueError, "padding must be"),
        (lambda: groups_figure(8, 8, ()), ValueError, "groups must contain"),
        (lambda: groups_figure(8, 8, (3,)), ValueError, "divisible by groups"),
    ],
)
def test_figure_messages(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _texts(ax) -> np.ndarray:
    return np.array([float(t.get_text()) for t in ax.texts])


@pytest.mark.parametrize(
    "make",
    [lambda t: t.long(), lambda t: t.half(), lambda t: t.double(), lambda t: t.requires_grad_(),
     lambda t: t.bool()],
    ids=["int64", "half", "float64", "requires_grad", "bool"],
)
def test_multichannel_figure_draws_every_dtype_as_torch_computes_it(make):
    """Integer and half tensors are computed in float32 (torch's promotion), requires_grad is
    fine; the numbers drawn are F.conv2d's."""
    x = make((torch.arange(48.0) % 3).reshape(3, 4, 4))
    w = make(torch.tensor([1.0, 0, 1]).repeat(3, 3, 1))
    fig = multichannel_figure(x, w, bias=0.5)
    expected = torch.nn.functional.conv2d(x.detach().double()[None], w.detach().double()[None])[0, 0] + 0.5
    np.testing.assert_allclose(_texts(fig.axes[-1]), expected.flatten().numpy(), rtol=1e-3)


@pytest.mark.parametrize(
    "make",
    [lambda t: t.requires_grad_(), lambda t: t.half(), lambda t: t.double()],
    ids=["requires_grad", "half", "float64"],
)
def test_photo_figures_draw_requires_grad_and_half_tensors(make):
    photo = make(torch.rand(3, 24, 24))
    assert figure_to_png(conv_dimensions_figure(photo)).startswith(b"\x89PNG")
    assert figure_to_png(padding_modes_figure(photo, padding=4, crop=8)).startswith(b"\x89PNG")
    assert figure_to_png(padding_modes_figure(make(torch.rand(1, 9, 9)), padding=2, crop=9)).startswith(b"\x89PNG")


NAN_PHOTO = torch.rand(3, 8, 8).index_put_((torch.tensor(0), torch.tensor(1), torch.tensor(2)), torch.tensor(float("nan")))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv_dimensions_figure(NAN_PHOTO), ValueError, r"^photo contains 1 NaN or inf"),
        (lambda: conv_dimensions_figure((torch.rand(3, 8, 8) * 255).to(torch.uint8)), TypeError,
         r"^photo must hold floats in \[0, 1\], got a torch.uint8 tensor \(for 0-255 values"),
        (lambda: conv_dimensions_figure(torch.rand(3, 8, 8) * 255), ValueError,
         r"^photo must hold values in \[0, 1\], got values from"),
        (lambda: conv_dimensions_figure(torch.rand(3, 0, 8)), ValueError, r"^photo must not be empty"),
        (lambda: conv_dimensions_figure(np.zeros((3, 8, 8))), TypeError, r"^photo must be a \(3, H, W\) tensor, got ndarray"),
        (lambda: padding_modes_figure(NAN_PHOTO, padding=2, crop=4), ValueError, r"^image contains 1 NaN"),
        (lambda: padding_modes_figure(torch.rand(3, 8, 8), padding=2, crop=9), ValueError,
         r"^crop \(9\) must be at most the image's height and width \(8, 8\)"),
        (lambda: padding_modes_figure(torch.rand(2, 8, 8), padding=2, crop=4), ValueError,
         r"^image must be a \(1 or 3, H, W\) tensor"),
        (lambda: padding_modes_figure(torch.rand(3, 8, 8), padding=10**9), ValueError, r"^padding \(1000000000\) must be smaller"),
        (lambda: padding_modes_figure(torch.zeros(1, 3000, 3000), padding=2500, crop=4), ValueError,
         r"^padding_modes_figure's padded image \(padding 2500\) would hold 64,000,000 numbers"),
        (lambda: multichannel_figure(NAN_PHOTO, torch.ones(3, 3, 3)), ValueError, r"^x contains 1 NaN"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.full((3, 3, 3), float("inf"))), ValueError,
         r"^weight contains 27 NaN or inf"),
        (lambda: multichannel_figure(torch.rand(3, 2, 2), torch.ones(3, 3, 3)), ValueError,
         r"^weight's kernel \(3, 3\) must fit in x's height and width \(2, 2\)"),
        (lambda: multichannel_figure(torch.rand(3, 100, 100), torch.ones(3, 3, 3)), ValueError,
         r"^x is \(3, 100, 100\): this figure draws at most 8 channels of at most 16 x 16"),
        (lambda: multichannel_figure(torch.rand(10**4, 4, 4), torch.ones(10**4, 3, 3)), ValueError,
         r"^x is \(10000, 4, 4\)"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.ones(3, 3, 3), bias=float("nan")), ValueError,
         r"^bias must be a finite number"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.ones(3, 3, 3, dtype=torch.complex64)), TypeError,
         r"^weight must hold real numbers"),
        (lambda: groups_figure(10**9, 8), ValueError, r"^in_channels must be between 1 and 64"),
        (lambda: groups_figure(8, 8, tuple([1] * 100)), ValueError, r"^groups must contain 1 to 8 values"),
        (lambda: groups_figure(8, 8, 2), TypeError, r"^groups must be a list of group counts"),
        (lambda: groups_figure(8, 8, (1,), kernel_size=0), ValueError, r"^kernel_size must be positive"),
        (lambda: group_connections(10**9, 10**9, 1), ValueError,
         r"^group_connections\(in_channels=1000000000, out_channels=1000000000\) would hold 1,000,000,000,000,000,000"),
        (lambda: group_connections(4, 8, 0), ValueError, r"^groups must be positive"),
        (lambda: group_connections(4.0, 8, 1), TypeError, r"^in_channels must be a whole number"),
        (lambda: conv2d_line(4, 8, 3, padding="full"), TypeError, r"^padding must be a whole number, got 'full'"),
        (lambda: conv2d_line(4, 8, 0), ValueError, r"^kernel_size must be positive"),
        (lambda: conv2d_line(4, 8, 3, bias=1), TypeError, r"^bias must be True or False, got 1"),
        (lambda: conv2d_line(4, 8, 3, padding_mode="mirror"), ValueError, r"^padding_mode must be one of"),
    ],
)
def test_figures_refuse_bad_input_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5
