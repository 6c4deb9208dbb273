"""course_utils.conv_diagrams (02, 03): figures and helpers (the 03 panels: tests/test_panel_conv2d.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils import (
    conv2d_line,
    conv_dimensions_figure,
    figure_to_png,
    group_connections,
    groups_figure,
    multichannel_figure,
    padding_modes_figure,
)
from course_utils._threads import one_thread
from course_utils.draw.figures import Diagram
from course_utils.panels.conv2d import _divisors_of_both


def _output_texts(svg: str) -> list[float]:
    """The numbers of the "output" grid of an SVG, in row-major order."""
    import xml.etree.ElementTree as ET

    cells = [(g.get("data-cell"), g.find("{http://www.w3.org/2000/svg}text").text)
             for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g") if g.get("data-cell", "").startswith("output/")]
    cells.sort(key=lambda item: tuple(int(v) for v in item[0].split("/")[1:]))
    return [float(text) for _, text in cells]


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
    svg = groups_figure(8, 8, (1, 2, 8))
    assert isinstance(svg, Diagram) and svg.data.count('k-data" data-cell') == 64 + 32 + 8
    assert isinstance(padding_modes_figure(torch.rand(3, 40, 40), padding=8, crop=16), Figure)
    x, w = (torch.arange(48.0) % 3).reshape(3, 4, 4), torch.ones(3, 3, 3)
    svg = multichannel_figure(x, w).data
    assert svg.count('data-grid="input.') == svg.count('data-grid="kernel.') == svg.count('data-grid="part.') == 3
    # the output shows the sum over channels, which is F.conv2d with the 3D kernel
    with one_thread():
        expected = torch.nn.functional.conv2d(x[None], w[None])[0, 0]
    np.testing.assert_allclose(_output_texts(svg), expected.flatten().numpy())


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: conv_dimensions_figure(torch.rand(1, 8, 8)), ValueError, "photo must be a"),
        (lambda: multichannel_figure(torch.rand(4, 4), torch.rand(3, 3, 3)), ValueError, r"x must be \(C, H, W\)"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.rand(2, 3, 3)), ValueError,
         "weight has 2 channels and x 3"),
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
    ],
    ids=["int64", "half", "float64", "requires_grad"],
)
def test_multichannel_figure_draws_every_dtype_as_torch_computes_it(make):
    """Integer and half tensors are computed in float32 (torch's promotion), requires_grad is
    fine; the numbers drawn are F.conv2d's."""
    x = make((torch.arange(48.0) % 3).reshape(3, 4, 4))
    w = make(torch.tensor([1.0, 0, 1]).repeat(3, 3, 1))
    svg = multichannel_figure(x, w).data
    expected = torch.nn.functional.conv2d(x.detach().double()[None], w.detach().double()[None])[0, 0]
    np.testing.assert_allclose(_output_texts(svg), expected.flatten().numpy(), rtol=1e-3)


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
        (lambda: multichannel_figure(NAN_PHOTO, torch.ones(3, 3, 3)), ValueError, r"^x must be finite"),
        (lambda: multichannel_figure(torch.rand(3, 4, 4), torch.full((3, 3, 3), float("inf"))), ValueError,
         r"^weight must be finite"),
        (lambda: multichannel_figure(torch.rand(3, 2, 2), torch.ones(3, 3, 3)), ValueError,
         r"^input height 2: kernel_size \(3\) is larger than the padded input \(2 \+ 2\*0 = 2\)"),
        (lambda: multichannel_figure(torch.rand(3, 100, 100), torch.ones(3, 3, 3)), ValueError,
         r"^x is \(3, 100, 100\): a diagram draws at most 40 cells a side"),
        (lambda: multichannel_figure(torch.rand(10**4, 4, 4), torch.ones(10**4, 3, 3)), ValueError,
         r"^x has 10000 channels: this figure draws at most 8"),
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
