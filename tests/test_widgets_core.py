"""The Explorer panel pattern (redraws, messages instead of tracebacks, adapt, sweep), the panel
factories' argument checks, and the sampling helpers of 01_rand_vs_randn."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_utils import (
    Explorer,
    conv2d_explorer,
    conv_matrix_explorer,
    dilation_explorer,
    draw_grid,
    histogram_explorer,
    scatter_explorer,
)
from course_utils.distributions import describe, draw_histogram, sample
from course_utils.widgets import (
    _check_value,
    check_in_range,
    check_option,
    dropdown,
    int_slider,
    play,
    toggle,
)


def draw_square(fig, n, k, mode, grid):
    if k > n:
        raise ValueError(f"k ({k}) must be at most n ({n})")
    if mode == "boom":
        raise RuntimeError("internal bug")
    ax = fig.subplots()
    draw_grid(ax, np.arange(n * n).reshape(n, n), "input", annotate=grid)
    return f"n={n} k={k} mode={mode}"


def make(adapt=None):
    controls = {
        "n": int_slider("n", 3, 1, 4),
        "k": int_slider("k", 2, 1, 4),
        "mode": dropdown("mode", ["plain", "boom"], "plain"),
        "grid": toggle("numbers", True),
    }
    return Explorer(draw_square, controls, adapt=adapt, figsize=(2, 2), dpi=50)


def test_first_render_and_caption():
    panel = make()
    assert panel.png.startswith(b"\x89PNG") and panel.image.value == panel.png
    assert panel.caption == "n=3 k=2 mode=plain" and "n=3" in panel.caption_box.value
    assert not panel.error and panel.message_box.layout.display == "none"


def test_moving_a_control_redraws():
    panel = make()
    before = panel.png
    panel.controls["n"].value = 4
    assert panel.png != before and panel.caption.startswith("n=4")


def test_impossible_setting_shows_the_sentence_and_keeps_values():
    panel = make()
    before = panel.png
    panel.set(n=1, k=3)
    assert panel.error and panel.message == "k (3) must be at most n (1)"
    assert "must be at most" in panel.message_box.value and panel.message_box.layout.display is None
    assert panel.png == b"", "nothing was drawn for this setting"
    # the last picture stays in place, dimmed, under the message (the panel does not jump)
    assert panel.image.value == before and panel.image.layout.display is None
    assert "course-stale" in panel.image._dom_classes and "opacity: 0.35" in panel.message_box.value
    assert panel.children.index(panel.message_box) < panel.children.index(panel.image)
    assert panel.values["n"] == 1 and panel.values["k"] == 3, "nothing the learner set is lost"
    panel.set(k=1)
    assert not panel.error and panel.png.startswith(b"\x89PNG") and panel.image.value == panel.png
    assert "course-stale" not in panel.image._dom_classes and panel.message_box.layout.display == "none"


def test_a_failing_first_render_shows_no_empty_picture():
    panel = Explorer(draw_square, {"n": int_slider("n", 1, 1, 4), "k": int_slider("k", 3, 1, 4),
                                   "mode": dropdown("mode", ["plain"]), "grid": toggle("numbers")},
                     figsize=(2, 2), dpi=50)
    assert panel.error and panel.png == b"" and panel.image.layout.display == "none"
    panel.set(k=1)
    assert panel.png.startswith(b"\x89PNG") and panel.image.layout.display is None


def test_adapt_errors_and_empty_controls_show_a_sentence_and_the_panel_recovers():
    """A control left empty (None) from code, or adapt refusing a setting: a sentence, no
    traceback; the next good value draws again."""
    def adapt(controls):
        if controls["mode"].value == "plain" and controls["n"].value == 4:
            raise ValueError("n (4) is not possible in plain mode")
        controls["k"].max = 4 if controls["mode"].value is None else int(controls["n"].value)

    panel = make(adapt)
    panel.controls["mode"].value = None  # a drop-down accepts None from code
    assert panel.error and panel.unexpected is None and panel.png == b""
    assert panel.message == "mode has no value (None): choose one of 'plain', 'boom'"
    panel.controls["n"].value = 2  # later changes do not raise either
    assert panel.error and "mode has no value" in panel.message
    panel.controls["mode"].value = "plain"
    assert not panel.error and panel.png.startswith(b"\x89PNG") and panel.caption == "n=2 k=2 mode=plain"
    panel.set(n=4)
    assert panel.message == "n (4) is not possible in plain mode" and panel.png == b""
    panel.set(n=3)
    assert not panel.error and panel.caption == "n=3 k=2 mode=plain"


def test_set_words_values_a_control_cannot_take():
    panel = make()
    with pytest.raises(TypeError, match=r"^grid must be True or False, got 'yes'$"):
        panel.set(grid="yes")
    with pytest.raises(TypeError, match=r"^n must be a whole number, got None"):
        panel.set(n=None)
    with pytest.raises(TypeError, match=r"^n must be a whole number, got 2.5"):
        panel.set(n=2.5)  # the slider would round it
    with pytest.raises(ValueError, match=r"^n must be a number from 1 to 4 now, got 10$"):
        panel.set(n=10)  # the slider would clamp it
    with pytest.raises(ValueError, match=r"^mode must be one of 'plain', 'boom'; got 'fancy'$"):
        panel.set(mode="fancy")
    assert not panel.error and panel.values == {"n": 3, "k": 2, "mode": "plain", "grid": True}


def test_set_checks_each_value_against_the_ranges_adapt_left():
    def adapt(controls):
        controls["k"].max = controls["n"].value

    panel = make(adapt)
    with pytest.raises(ValueError, match=r"^k must be a number from 1 to 3 now, got 4$"):
        panel.set(k=4)
    panel.set(n=4, k=4)  # in this order, n first widens the range of k
    assert panel.values["k"] == 4 and panel.caption == "n=4 k=4 mode=plain"
    bins = histogram_explorer().controls["bins"]
    with pytest.raises(ValueError, match=r"^bins must be a number from 5 to 100 in steps of 5 now, got 42$"):
        _check_value("bins", bins, 42)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"draw": "draw"}, TypeError, r"^draw must be a function draw\(fig, \*\*values\)"),
        ({"controls": {"n": 3}}, TypeError, r"^controls\['n'\] must be an ipywidgets control"),
        ({"controls": None}, TypeError, r"^controls must be a dict"),
        ({"adapt": 3}, TypeError, r"^adapt must be None or a function"),
        ({"figsize": (3,)}, TypeError, r"^figsize must be \(width, height\) in inches"),
        ({"figsize": (float("nan"), 3)}, ValueError, r"^figsize\[0\] must be a finite number"),
        ({"figsize": (1e6, 1e6)}, ValueError, r"^Explorer\(figsize=\(1e\+06, 1e\+06\), dpi=90\) would be"),
        ({"dpi": 10**9}, ValueError, r"^Explorer\(figsize=\(7, 3\), dpi=1000000000\) would be"),
        ({"dpi": 0}, ValueError, r"^dpi must be positive"),
        ({"title": 3}, TypeError, r"^title must be None or a line of text"),
        ({"clear": None}, TypeError, r"^clear must be True or False"),
        ({"figure": "fig"}, TypeError, r"^figure must be None or a matplotlib Figure"),
    ],
)
def test_explorer_refuses_bad_arguments_at_once(kwargs, error, match):
    arguments = {"draw": draw_square, "controls": {"n": int_slider("n", 3, 1, 4)}, **kwargs}
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        Explorer(**arguments)
    assert time.perf_counter() - start < 0.5


def test_unexpected_errors_are_caught_but_recorded():
    panel = make()
    panel.set(mode="boom")
    assert isinstance(panel.unexpected, RuntimeError) and "went wrong" in panel.message


def test_adapt_shrinks_ranges_so_impossible_settings_are_unreachable():
    def adapt(controls):
        controls["k"].max = controls["n"].value

    panel = make(adapt)
    panel.set(n=2)
    assert panel.controls["k"].max == 2 and panel.values["k"] <= 2
    seen = list(panel.sweep({"mode": ["plain"], "grid": [False]}))
    assert len(seen) == 1 + 2 + 3 + 4  # k in 1..n for n in 1..4
    assert all(s["k"] <= s["n"] for s in seen)
    assert panel.values == {"n": 2, "k": panel.values["k"], "mode": "plain", "grid": True}


def test_sweep_without_adapt_visits_every_setting_and_reports_messages():
    panel = make()
    errors = 0
    total = 0
    for setting in panel.sweep({"mode": ["plain"]}):
        total += 1
        errors += panel.error
        assert panel.unexpected is None
        assert panel.error == (setting["k"] > setting["n"])
    assert total == 4 * 4 * 2 and errors == 6 * 2
    assert len(panel.render_ms) > total


def test_set_rejects_unknown_controls():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['size'\]"):
        make().set(size=3)


def test_snapshot_prints_caption_and_returns_png(capsys):
    panel = make()
    image = panel.snapshot()
    assert capsys.readouterr().out.strip() == "n=3 k=2 mode=plain"
    assert image.data == panel.png


def test_snapshot_of_an_impossible_setting_shows_no_stale_picture(capsys):
    panel = make().set(n=1, k=3)
    assert panel.snapshot() is None
    assert capsys.readouterr().out.strip() == "Not possible: k (3) must be at most n (1)"


def test_play_control_is_swept():
    def draw(fig, step):
        fig.subplots().plot([0, step])
        return f"step {step}"

    panel = Explorer(draw, {"step": play("step", 0, 0, 3)}, figsize=(2, 1), dpi=40)
    assert [s["step"] for s in panel.sweep()] == [0, 1, 2, 3]


# --- the panel factories: every control holds exactly the argument passed, or a sentence -----

def test_check_in_range_and_check_option_refuse_instead_of_clamping():
    assert check_in_range("bins", 40, 5, 100, step=5) == 40
    with pytest.raises(ValueError, match=r"^input_size must be between 1 and 4 in this panel, got 10$"):
        check_in_range("input_size", 10, 1, 4)
    with pytest.raises(ValueError, match=r"^bins must be a multiple of 5 between 5 and 100 in this panel, got 42$"):
        check_in_range("bins", 42, 5, 100, step=5)
    with pytest.raises(TypeError, match=r"^input_size must be a whole number, got '4' \(str\)$"):
        check_in_range("input_size", "4", 1, 4)
    assert check_option("padding", np.int64(1), [0, 1, "same"]) == 1
    with pytest.raises(TypeError, match=r"padding must be one of 0, 1, 'same'; got True \(bool\)"):
        check_option("padding", True, [0, 1, "same"])
    with pytest.raises(TypeError, match=r"padding must be one of 0, 1, 'same'; got 1.0 \(float\)"):
        check_option("padding", 1.0, [0, 1, "same"])
    with pytest.raises(ValueError, match=r"distribution must be one of 'both', 'rand'; got 'uniform'"):
        check_option("distribution", "uniform", ["both", "rand"])


def _values_of(factory, kwargs):
    """What a factory's controls should hold for ``kwargs`` (dilation_explorer renames its arguments)."""
    if factory is dilation_explorer:
        d = kwargs.get("dilations", (2, 2, 2))
        return {"kernel": kwargs.get("kernel_size", 3), "d1": d[0], "d2": d[1], "d3": d[2]}
    return kwargs


VALID_SETTINGS = [
    (histogram_explorer, {"distribution": "rand", "sample_size": 10, "bins": 5, "seed": 9}),
    (histogram_explorer, {"distribution": "randn", "sample_size": 1_000, "bins": 100, "seed": 0}),
    (histogram_explorer, {"distribution": "both", "sample_size": 100, "bins": 55, "seed": 4}),
    (conv2d_explorer, {"height": 1, "width": 8, "kernel": 1, "stride": 3, "padding": "valid", "dilation": 3,
                       "groups": 2, "padding_mode": "reflect"}),
    (conv2d_explorer, {"height": 8, "width": 2, "kernel": 5, "stride": 1, "padding": "same", "dilation": 2,
                       "groups": 4, "padding_mode": "circular"}),
    (conv2d_explorer, {"height": 3, "width": 3, "kernel": 5, "stride": 2, "padding": 0, "dilation": 1,
                       "groups": 1, "padding_mode": "zeros"}),  # impossible, but a control can show it
    (dilation_explorer, {"kernel_size": 2, "dilations": (1, 5, 3)}),
    (dilation_explorer, {"kernel_size": 5, "dilations": [5, 5, 5]}),
    (conv_matrix_explorer, {"input_size": 2, "kernel_size": 4, "stride": 3, "padding": 1, "dilation": 1}),
    (conv_matrix_explorer, {"input_size": 5, "kernel_size": 3, "stride": 2, "padding": 0, "dilation": 2}),
    (conv_matrix_explorer, {"input_size": 3, "kernel_size": 1, "stride": 1, "padding": 2, "dilation": 3}),
    (scatter_explorer, {"input_size": 4, "kernel_size": 3, "stride": 3, "dilation": 2, "output_padding": 2,
                        "padding": 3, "step": 16}),
    (scatter_explorer, {"input_size": 1, "kernel_size": 1, "stride": 1, "dilation": 2, "output_padding": 1,
                        "padding": 0, "step": 1}),
    (scatter_explorer, {"input_size": 3, "kernel_size": 2, "stride": 2, "dilation": 1, "output_padding": 1,
                        "padding": 2, "step": 5}),
]


@pytest.mark.parametrize(("factory", "kwargs"), VALID_SETTINGS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(VALID_SETTINGS)])
def test_factories_hold_exactly_the_arguments(factory, kwargs):
    panel = factory(**kwargs)
    expected = _values_of(factory, kwargs)
    assert {name: panel.values[name] for name in expected} == expected
    assert panel.unexpected is None


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: scatter_explorer(input_size=10), ValueError, r"^input_size must be between 1 and 4 in this panel, got 10$"),
        (lambda: scatter_explorer(stride=0), ValueError, r"^stride must be between 1 and 3 in this panel, got 0$"),
        (lambda: scatter_explorer(stride=1, output_padding=1), ValueError,
         r"^output_padding \(1\) must be smaller than stride \(1\) or dilation \(1\)$"),
        (lambda: scatter_explorer(input_size=1, kernel_size=1, padding=1), ValueError, r"^padding \(1\) crops 2"),
        (lambda: scatter_explorer(input_size=2, step=5), ValueError, r"^step must be between 0 and 4 in this panel"),
        (lambda: scatter_explorer(kernel_size=2.0), TypeError, r"^kernel_size must be a whole number, got 2.0"),
        (lambda: histogram_explorer(bins=0), ValueError, r"^bins must be a multiple of 5 between 5 and 100"),
        (lambda: histogram_explorer(bins=42), ValueError, r"^bins must be a multiple of 5 between 5 and 100"),
        (lambda: histogram_explorer(seed=10), ValueError, r"^seed must be between 0 and 9 in this panel, got 10$"),
        (lambda: histogram_explorer(distribution="uniform"), ValueError,
         r"^distribution must be one of 'both', 'rand', 'randn'; got 'uniform'$"),
        (lambda: histogram_explorer(sample_size=500), ValueError, r"^sample_size must be one of 10, 100, 1000"),
        (lambda: histogram_explorer(sample_size=10.0), TypeError, r"^sample_size must be one of .* got 10.0 \(float\)"),
        (lambda: conv_matrix_explorer(input_size="4"), TypeError, r"^input_size must be a whole number, got '4'"),
        (lambda: conv_matrix_explorer(input_size=2, kernel_size=4, padding=0), ValueError,
         r"^kernel_size \(4\) is larger than the padded input \(2 \+ 2\*0 = 2\)$"),
        (lambda: conv_matrix_explorer(input_size=2, kernel_size=2, dilation=3), ValueError,
         r"^kernel_size \(2 with dilation 3 spans 4\) is larger than the padded input"),
        (lambda: conv_matrix_explorer(padding=3), ValueError, r"^padding must be between 0 and 2 in this panel"),
        (lambda: conv2d_explorer(padding=True), TypeError, r"^padding must be one of 0, 1, 2, 3, 'valid', 'same'; got True"),
        (lambda: conv2d_explorer(groups=2.0), TypeError, r"^groups must be one of 1, 2, 4; got 2.0 \(float\)"),
        (lambda: conv2d_explorer(kernel=0), ValueError, r"^kernel must be between 1 and 5 in this panel, got 0$"),
        (lambda: dilation_explorer(dilations=2), ValueError, r"^dilations must have 3 entries \(one per layer\), got 2$"),
        (lambda: dilation_explorer(dilations=(1, 2, True)), TypeError, r"^dilations\[2\] must be a whole number"),
    ],
)
def test_factories_refuse_instead_of_clamping(call, error, match):
    with pytest.raises(error, match=match):
        call()


FACTORY_ARGUMENTS = {  # each argument: values its control can show, and values just outside or of a wrong type
    histogram_explorer: {"distribution": (["both", "rand", "randn"], ["uniform"]),
                         "sample_size": ([10, 100, 1_000], [50, 10.0]),
                         "bins": ([5, 45, 100], [0, 47, 105]), "seed": ([0, 5, 9], [-1, 10])},
    conv2d_explorer: {"height": ([1, 4, 8], [0, 9]), "width": ([1, 3, 8], [0, 9]), "kernel": ([1, 3, 5], [0, 6]),
                      "stride": ([1, 2, 3], [0, 4]), "padding": ([0, 1, 3, "valid", "same"], [4, "full", True]),
                      "dilation": ([1, 2, 3], [0, 4]), "groups": ([1, 2, 4], [3, 8]),
                      "padding_mode": (["zeros", "reflect", "replicate", "circular"], ["mirror"])},
    conv_matrix_explorer: {"input_size": ([2, 3, 5], [1, 6]), "kernel_size": ([1, 2, 4], [0, 5]),
                           "stride": ([1, 2, 3], [0, 4]), "padding": ([0, 1, 2], [-1, 3]),
                           "dilation": ([1, 2, 3], [0, 4])},
    scatter_explorer: {"input_size": ([1, 2, 4], [0, 5]), "kernel_size": ([1, 2, 3], [0, 4]),
                       "stride": ([1, 2, 3], [0, 4]), "dilation": ([1, 2], [0, 3]),
                       "output_padding": ([0, 1, 2], [-1, 3]), "padding": ([0, 1, 3], [-1, 4]),
                       "step": ([0, 1, 4], [-1, 17])},
}


@pytest.mark.slow
@pytest.mark.parametrize("factory", list(FACTORY_ARGUMENTS), ids=lambda f: f.__name__)
def test_factories_never_change_an_argument(factory):
    """Random arguments, now and then one outside its control's range: the factory refuses
    them with a ValueError/TypeError, or every control holds exactly the value passed."""
    rng = random.Random(0)
    built = refused = 0
    for _ in range(40):
        kwargs = {name: rng.choice(bad if rng.random() < 0.08 else good)
                  for name, (good, bad) in FACTORY_ARGUMENTS[factory].items()}
        try:
            panel = factory(**kwargs)
        except (ValueError, TypeError):
            refused += 1
            continue
        built += 1
        assert panel.values == kwargs and panel.unexpected is None, kwargs
    assert built >= 10 and refused >= 5, (built, refused)


def test_conv2d_explorer_refuses_huge_channel_counts_at_once():
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"^in_channels must be between 1 and 64: the diagram draws one cell"):
        conv2d_explorer(in_channels=10**9)
    with pytest.raises(ValueError, match=r"^out_channels must be between 1 and 64"):
        conv2d_explorer(out_channels=10**12)
    assert time.perf_counter() - start < 0.5


# --- distributions (01_rand_vs_randn) ----------------------------------------------------------

def test_sample_hands_out_a_copy_of_its_cache():
    values = sample("randn", 1_000, seed=3)
    reference = torch.randn(1_000, generator=torch.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(values, reference)
    values *= 2
    values[:10] = np.nan
    np.testing.assert_array_equal(sample("randn", 1_000, seed=3), reference)


@pytest.mark.parametrize(
    "values",
    [torch.randn(50, requires_grad=True), torch.randn(50).half(), torch.randn(50).bfloat16(),
     torch.arange(-3, 7), np.arange(5, dtype=np.uint8), [1, 2, 3.5]],
    ids=["requires_grad", "half", "bfloat16", "int64", "uint8", "list"],
)
def test_describe_agrees_with_torch_for_every_dtype(values):
    t = torch.as_tensor(values).detach().double()
    stats = describe(values)
    assert stats == pytest.approx({"mean": t.mean().item(), "variance": t.var(unbiased=False).item(),
                                   "min": t.min().item(), "max": t.max().item()})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: describe(torch.tensor([1.0, float("nan")])), ValueError, r"^values contains 1 NaN or inf"),
        (lambda: describe(np.array([np.inf, 1])), ValueError, r"^values contains 1 NaN or inf"),
        (lambda: describe(torch.zeros(0)), ValueError, r"^values must contain at least one number"),
        (lambda: describe(["a", "b"]), TypeError, r"^values must hold real numbers"),
        (lambda: describe(torch.ones(2, dtype=torch.complex64)), TypeError, r"^values must hold real numbers"),
        (lambda: sample("rand", 10**9), ValueError, r"^n must be at most 10,000,000"),
        (lambda: sample("rand", 0), ValueError, r"^n must be positive, got 0"),
        (lambda: sample("uniform", 10), ValueError, r"^name must be one of 'rand', 'randn'"),
        (lambda: draw_histogram(Figure(), bins=10**9), ValueError, r"^bins must be at most 1,000"),
        (lambda: draw_histogram(Figure(), sample_size=10**9), ValueError, r"^sample_size must be at most 10,000,000"),
        (lambda: draw_histogram(Figure(), bins=0), ValueError, r"^bins must be positive"),
        (lambda: draw_histogram(Figure(), seed=-1), ValueError, r"^seed must be 0 or more"),
    ],
)
def test_distribution_helpers_refuse_bad_input_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5
