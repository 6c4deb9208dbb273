"""The panels of 03: conv2d_explorer and conv2d_step_explorer swept over their controls."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import conv2d_explorer, conv2d_line, conv2d_step_explorer, conv_output_size
from course_utils.panels.conv2d import _step_values


def torch_refuses(values: dict, in_channels: int = 4, out_channels: int = 8) -> bool:
    """Does PyTorch itself refuse this setting of the explorer?"""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            layer = nn.Conv2d(in_channels, out_channels, values["kernel"], values["stride"], values["padding"],
                              values["dilation"], values["groups"], padding_mode=values["padding_mode"])
            layer(torch.zeros(1, in_channels, values["height"], values["width"]))
    except (RuntimeError, ValueError):
        return True
    return False


def check_explorer_setting(explorer, values: dict) -> str:
    """A scene whose output is F.conv2d of the numbered input with a kernel of ones and whose caption
    agrees with torch, or a message where torch refuses too; the controls keep their values."""
    assert explorer.unexpected is None, (values, explorer.unexpected)
    assert explorer.values == values
    if explorer.message:
        assert torch_refuses(values), (values, explorer.message)
        assert explorer.markup == ""
        assert any(name in explorer.message for name in ("padding", "kernel_size", "stride")), explorer.message
        return "message"
    assert not torch_refuses(values), values
    h, w = values["height"], values["width"]
    k, p, mode = values["kernel"], values["padding"], values["padding_mode"]
    layer = nn.Conv2d(1, 1, k, values["stride"], p, values["dilation"], bias=False, padding_mode=mode)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        layer.weight.fill_(1.0)
        expected = layer(torch.arange(1.0, h * w + 1).reshape(1, 1, h, w))[0, 0]
    output = next(g for g in explorer.scene["grids"] if g["name"] == "output")["values"]
    assert output == expected.tolist()
    assert "matches the formula" in explorer.caption, explorer.caption
    h_out = conv_output_size(h, k, values["stride"], p, values["dilation"])
    w_out = conv_output_size(w, k, values["stride"], p, values["dilation"])
    assert f"= (1, 8, {h_out}, {w_out})" in explorer.caption
    line = explorer.caption.split("torch: ")[1].split("(torch.zeros")[0]
    assert line == conv2d_line(4, 8, k, values["stride"], p, values["dilation"], values["groups"], padding_mode=mode)
    assert f"weight (8, {4 // values['groups']}, {k}, {k}): {8 * 4 // values['groups'] * k * k} weights" in explorer.caption
    assert explorer.markup.startswith("<svg")
    return "scene"


@pytest.mark.slow
def test_explorer_geometry_sweep():
    """Sizes, every padding (numbers and strings), every dilation, kernel and stride: a scene or a message."""
    explorer = conv2d_explorer()
    outcomes = {"scene": 0, "message": 0}
    for values in explorer.sweep(choices={"height": [1, 2, 5, 8], "width": [3, 8], "groups": [2],
                                          "padding_mode": ["zeros"]}):
        outcomes[check_explorer_setting(explorer, values)] += 1
    assert sum(outcomes.values()) == 4 * 2 * 6 * 3 * 5 * 3
    assert outcomes["scene"] > 300 and outcomes["message"] > 50, outcomes
    assert explorer.values == conv2d_explorer().values  # the sweep puts the panel back


@pytest.mark.slow
def test_explorer_modes_and_groups_sweep():
    explorer = conv2d_explorer()
    outcomes = {"scene": 0, "message": 0}
    for values in explorer.sweep(choices={"height": [1, 3], "width": [2, 6], "padding": [1, 3, "same"],
                                          "dilation": [1, 2], "kernel": [1, 3], "stride": [1, 2]}):
        outcomes[check_explorer_setting(explorer, values)] += 1
    assert sum(outcomes.values()) == 2 * 2 * 3 * 2 * 2 * 2 * 3 * 4
    assert outcomes["scene"] > 100 and outcomes["message"] > 50, outcomes


def test_explorer_groups_grid_and_hover_links():
    explorer = conv2d_explorer(groups=2)
    grid = explorer.scene["grids"][-1]
    assert grid["name"] == "groups" and len(grid["values"]) == 4 and len(grid["values"][0]) == 8
    assert [row.count("data") for row in grid["kinds"]] == [4, 4, 4, 4]
    assert explorer.scene["links"]["groups/0/0"] == ["groups/0/0", "groups/1/0"]
    # output[1,1] (stride 2, padding 1) touches padded rows and columns 2..4, and the kernel
    links = explorer.scene["links"]["output/1/1"]
    assert links[:9] == [f"input/{r}/{c}" for r in (2, 3, 4) for c in (2, 3, 4)]
    assert links[9:] == [f"kernel/{u}/{v}" for u in range(3) for v in range(3)]
    assert explorer.scene["links"]["input/2/2"] == ["output/0/0", "output/0/1", "output/1/0", "output/1/1"]


def test_explorer_caption_and_snapshot(capsys):
    explorer = conv2d_explorer(height=5, width=5, kernel=3, stride=2, padding=1)
    assert explorer.caption.splitlines() == [
        "input numbered 1..25, kernel of ones: each output is the sum of the cells its taps touch (in the live panel, hover a cell)",
        "H_out = floor((H + 2p - d(k-1) - 1)/s) + 1 = floor((5 + 2*1 - 1*(3-1) - 1)/2) + 1 = 3",
        "W_out = floor((W + 2p - d(k-1) - 1)/s) + 1 = floor((5 + 2*1 - 1*(3-1) - 1)/2) + 1 = 3",
        "torch: nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1)(torch.zeros(1, 4, 5, 5)).shape = "
        "(1, 8, 3, 3)  matches the formula",
        "weight (8, 4, 3, 3): 288 weights + 8 biases",
    ]
    assert explorer.snapshot().data.count("data-cell=") == explorer.markup.count("data-cell=")
    assert "H_out" in capsys.readouterr().out
    explorer.set(width=6)
    assert "the last 1 padding column never read" in explorer.caption
    explorer.set(padding="same", stride=1, kernel=4, dilation=1)
    assert "padding='same' adds d(k-1) = 3: 1 before, 2 after" in explorer.caption
    explorer.set(padding="same", stride=2)
    assert explorer.values["stride"] == 2 and explorer.markup == ""
    assert explorer.snapshot() is None
    assert capsys.readouterr().out.startswith("Not possible: padding='same' needs stride 1")


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"padding": "same", "stride": 2}, ["padding='same' needs stride 1", "stride=2"]),
        ({"height": 2, "padding": 2, "kernel": 1, "padding_mode": "reflect"},
         ["padding_mode='reflect' needs padding (2) smaller than", "height (2)"]),
        ({"height": 1, "padding": 2, "kernel": 1, "padding_mode": "circular"},
         ["padding_mode='circular' needs padding (2) at most", "height (1)"]),
        ({"height": 3, "padding": 0, "kernel": 5}, ["input height 3: kernel_size (5) is larger than the padded input"]),
        ({"width": 2, "padding": 0, "kernel": 2, "dilation": 3},
         ["input width 2: kernel_size (2 with dilation 3 spans 4)"]),
    ],
)
def test_explorer_messages_name_the_argument(settings, words):
    explorer = conv2d_explorer()
    explorer.set(**settings)
    assert explorer.error and explorer.unexpected is None
    assert {k: explorer.values[k] for k in settings} == settings
    for word in words:
        assert word in explorer.message, explorer.message


def test_factories_refuse_values_their_controls_cannot_show():
    with pytest.raises(ValueError, match="groups must be one of 1, 2, 4"):
        conv2d_explorer(groups=3)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        conv2d_explorer(padding_mode="mirror")
    with pytest.raises(ValueError, match="height must be between 1 and 8"):
        conv2d_explorer(height=20)
    with pytest.raises(ValueError, match="in_channels must be positive"):
        conv2d_explorer(in_channels=0)
    with pytest.raises(ValueError, match="in_channels must be between 1 and 64"):
        conv2d_explorer(in_channels=10**9)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv2d_explorer(padding="same", stride=2)
    with pytest.raises(ValueError, match="channels must be between 1 and 3 in this panel, got 4"):
        conv2d_step_explorer(channels=4)
    with pytest.raises(ValueError, match="input height 2: kernel_size"):
        conv2d_step_explorer(input_size=2, kernel_size=3, padding=0, dilation=2)


@pytest.mark.slow
def test_step_explorer_whole_grid():
    """Every setting of the stepped panel: a scene equal to F.conv2d with products that add up, or a
    message naming the argument; the controls keep their values."""
    explorer = conv2d_step_explorer()
    x_all, w_all = _step_values()
    outcomes = {"scene": 0, "message": 0}
    for values in explorer.sweep():
        assert explorer.unexpected is None and explorer.values == values
        if explorer.message:
            assert "kernel_size" in explorer.message, explorer.message
            outcomes["message"] += 1
            continue
        c, n, k = values["channels"], values["input_size"], values["kernel_size"]
        x, w = x_all[:c, :n, :n], w_all[:c, :k, :k]
        expected = F.conv2d(x[None], w[None], stride=values["stride"], padding=values["padding"],
                            dilation=values["dilation"])[0, 0]
        scene = explorer.scene
        output = next(g for g in scene["grids"] if g["name"] == "output")["values"]
        assert output == expected.tolist()
        assert len(scene["steps"]) == expected.numel()
        last = scene["steps"][-1]["patch"]["output"]["values"]
        assert last == output
        assert all(v == int(v) for row in output for v in row)
        assert f"weight (1, {c}, {k}, {k})" in explorer.caption
        outcomes["scene"] += 1
    assert sum(outcomes.values()) == 3 * 5 * 3 * 3 * 3 * 2
    assert outcomes["message"] > 0 and outcomes["scene"] > 700, outcomes


def test_step_explorer_default_scene():
    explorer = conv2d_step_explorer()
    scene = explorer.scene
    names = [g["name"] for g in scene["grids"]]
    # the channels side by side, then the story of the sum on a line of its own: sum 0 + sum 1 = output
    assert names == ["input.0", "input.1", "kernel.0", "products.0", "kernel.1", "products.1", "sum.0", "sum.1",
                     "output"]
    assert [g.get("row") for g in scene["grids"]] == [0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert [g.get("symbol") for g in scene["grids"][-3:]] == [None, "+", "="]
    assert scene["step"] == 0 and len(scene["steps"]) == 16
    first = scene["steps"][0]
    assert first["target"] == "output/0/0" and len(first["cells"]) == 18 and len(first["also"]) == 18
    assert first["patch"]["output"]["kinds"][0] == ["data", "empty", "empty", "empty"]


