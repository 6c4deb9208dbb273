"""Every public function and class of course_utils, called with families of bad values.

The house rule: bad input gets a ValueError or TypeError, raised by course_utils itself, whose
message names the argument, within 2 s and without asking for gigabytes. Where a natural answer
exists the call may return it instead: it must then equal torch's (the row's ``ref``) or the
function's own result on the cleaned-up value (``requires_grad`` -> ``.detach()``, an integer or
half tensor -> ``.float()`` as torch's promotion does, a NumPy array or list -> a tensor).
Adding a public function? Add a row to ROWS: valid keyword arguments and a category per parameter.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import re
import resource
import signal
import traceback
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

import course_utils as cu

PACKAGE = Path(cu.__file__).resolve().parent
NAN, INF = float("nan"), float("inf")
RAISE, TORCH = None, "torch"  # must raise / may return only what the row's torch ref returns
SECONDS, HEADROOM = 2.0, 3 * 2**30


# --- the caps: 2 s, and 3 GiB of address space more than the process has now ------------------

class _Timeout(BaseException):  # not an Exception: an `except Exception` in the code cannot eat it
    pass


def _capped(fn: Callable[[], Any], seconds: float = SECONDS) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, exception)`` of ``fn()`` under the time and memory caps."""
    def alarm(*_: object) -> None:
        raise _Timeout(f"took more than {seconds:g} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    limit = size + HEADROOM if hard == resource.RLIM_INFINITY else min(size + HEADROOM, hard)
    handler = signal.signal(signal.SIGALRM, alarm)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        torch.manual_seed(0)  # models draw random weights: the same for the bad and the clean call
        return True, fn()
    except (Exception, _Timeout) as exc:
        return False, exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, handler)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _too_much_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "can't allocate memory" in str(exc)


def test_the_caps_work():
    def forever() -> None:
        while True:
            pass

    before = resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)
    ok, exc = _capped(lambda: torch.empty(2**33))  # 32 GiB
    assert not ok and _too_much_memory(exc), exc
    ok, exc = _capped(forever, seconds=0.2)
    assert not ok and isinstance(exc, _Timeout)
    assert (resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)) == before


# --- families of bad values: (label, make(valid value) -> bad value[, clean]) ------------------
# clean: RAISE (the default: only an error is right), TORCH (may also return the row's torch ref
# on the same value), or a function bad value -> the value whose result the call must give.

def _k(value: object) -> Callable[[object], object]: return lambda valid: value
def _fig() -> Figure: return cu.new_figure(1, 1, dpi=20)


def _with(t: Any, value: float) -> Any:
    """A copy of the tensor or array ``t`` with ``value`` in its first element."""
    t = t.copy() if isinstance(t, np.ndarray) else t.clone()
    t.reshape(-1)[0] = value
    return t


def _patched(obj: Any, **fields: object) -> Any:
    """A copy of a dataclass with ``fields`` set, bypassing any check in its constructor."""
    obj = copy.copy(obj)
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    return obj


NONE, STR = ("None", _k(None)), ("str", _k("x"))
COUNT0 = [("str-3", _k("3")), ("float-2.5", _k(2.5)), ("bool", _k(True)), NONE, ("-1", _k(-1))]
COUNT1 = [*COUNT0, ("0", _k(0))]  # counts of work asked for: a huge count is long work, not bad
INT0 = [*COUNT0, ("10**9", _k(10**9)), ("2**40", _k(2**40))]
INT1 = [*INT0, ("0", _k(0))]
AXES = [("str-pair", lambda v: (str(v), str(v))), ("-1-in-pair", lambda v: (v, -1))]
PAIR = [*AXES, ("1-number", lambda v: (v,)), ("3-numbers", lambda v: (v, v, v))]
ZERO_IN_PAIR, EMPTY_TUPLE = ("0-in-pair", lambda v: (v, 0)), ("empty-tuple", _k(()))
NUM = [("str", _k("1.0")), NONE, ("bool", _k(True)), ("nan", _k(NAN)), ("inf", _k(INF)),
       ("complex", _k(1j))]
NUM0 = [*NUM, ("-1", _k(-1.0))]
NUMS = [("str", _k("0.5")), NONE, ("nan", lambda v: [NAN] * len(v)),
        ("wrong-count", lambda v: v[:2]), ("list-of-str", lambda v: ["a"] * len(v))]
FN = [("str", _k("print")), ("int", _k(3))]
FAMILIES: dict[str, list[tuple]] = {
    "int0": INT0, "int1": INT1, "count0": COUNT0, "count1": COUNT1,
    "pair0": INT0 + PAIR, "pair1": INT1 + PAIR + [ZERO_IN_PAIR],
    "axes0": INT0 + AXES + [EMPTY_TUPLE], "axes1": INT1 + AXES + [EMPTY_TUPLE, ZERO_IN_PAIR],
    "pad": [*INT0, ("unknown-str", _k("full"))],
    "cpad": [*INT0, *AXES, EMPTY_TUPLE, ("unknown-str", _k("full"))],
    "num": NUM, "num0": NUM0, "numpos": [*NUM0, ("0", _k(0.0)), ("1e9", _k(1e9))],
    "nums": NUMS, "nums+": [*NUMS, ("0", lambda v: [0.0] * len(v)),
                            ("negative", lambda v: [-1.0] * len(v))],
    "tensor": [
        ("int64", lambda v: v.round().long(), lambda b: b.float()),
        ("float16", lambda v: v.half(), lambda b: b.float()),
        ("bool", lambda v: v > 0.5, lambda b: b.float()),
        ("requires_grad", lambda v: v.clone().requires_grad_(), lambda b: b.detach()),
        ("nan", lambda v: _with(v, NAN), TORCH), ("inf", lambda v: _with(v, INF), TORCH),
        ("complex", lambda v: v.to(torch.complex64), TORCH),
        ("empty", lambda v: v[..., :0], TORCH), ("dim-more", lambda v: v[None]),
        ("dim-less", lambda v: v[0]), ("numpy", lambda v: v.numpy(), torch.from_numpy),
        ("list", lambda v: v.tolist(), torch.tensor), NONE, STR],
    "labels": [
        ("float", lambda v: v.float()), ("bool", lambda v: v > 0, lambda b: b.long()),
        ("int32", lambda v: v.int(), lambda b: b.long()),
        ("uint8", lambda v: v.byte(), lambda b: b.long()), ("class--1", lambda v: _with(v, -1)),
        ("class-99", lambda v: _with(v, 99)), ("dim-more", lambda v: v[None]),
        ("numpy", lambda v: v.numpy(), torch.from_numpy), NONE, STR],
    "bool": [("str", _k("yes")), NONE, ("int-2", _k(2))],
    "choice": [("unknown", _k("nope")), NONE, ("int", _k(3)), ("upper-case", lambda v: v.upper())],
    "text": [("int", _k(3)), ("list-of-str", _k(["a", "b"]))],
    "fn": FN, "fn?": [*FN, NONE],
    "fig": [NONE, STR, ("Axes", lambda v: _fig().subplots())],
    "ax": [NONE, STR, ("Figure", lambda v: _fig())],
    "ints": [("str", _k("1,2")), NONE, ("empty", _k([])), ("0-inside", _k([1, 0])),
             ("float-inside", _k([1, 2.5])), ("100-entries", _k([1] * 100)),
             ("10**9-inside", _k([1, 10**9]))],
    "layers": [("str", _k("conv")), NONE, ("empty", _k([])), ("kernel-0", _k([(0, 1, 1)])),
               ("stride-0", _k([(3, 0, 1)])), ("4-numbers", _k([(3, 1, 1, 1)])),
               ("float-kernel", _k([(2.5, 1, 1)])), ("Linear", lambda v: [nn.Linear(2, 2)]),
               ("Conv1d", lambda v: [nn.Conv1d(1, 1, 3)]), ("dilation-10**9", _k([(3, 1, 10**9)]))],
    "stacks": [NONE, ("list", _k([(3, 1, 1)])), ("empty", _k({})),
               ("bad-layers", _k({"a": "conv"})),
               ("9-stacks", _k({str(i): [(3, 1, 1)] for i in range(9)}))],
    "widths": [("str", _k("16")), NONE, ("one-short", lambda v: v[:-1]),
               ("0-inside", lambda v: (0, *v[1:])), ("float-inside", lambda v: (2.5, *v[1:])),
               ("10**9-inside", lambda v: (*v[:-1], 10**9))],
    "radius": [("str", _k("0.2")), ("one-number", _k((0.2,))), ("low>high", _k((0.3, 0.1))),
               ("nan", _k((NAN, 0.3))), ("0", _k((0.0, 0.3))), ("past-border", _k((0.1, 0.9)))],
    "model": [NONE, ("str", _k("model")), ("no-parameters", lambda v: nn.ReLU()),
              ("2-classes", lambda v: nn.Conv2d(3, 2, 1))],
    "data": [NONE, ("dict", _k({"train_images": torch.rand(2, 3, 8, 8)})),
             ("nan-image", lambda v: _patched(v, train_images=_with(v.train_images, NAN))),
             ("class-99", lambda v: _patched(v, train_masks=_with(v.train_masks, 99))),
             ("mask-shape", lambda v: _patched(v, test_masks=v.test_masks[:, :-1]))],
    "device": [("gpu", _k("gpu")), ("cuda:99", _k("cuda:99")), ("list", _k(["cpu"]))],
    "key": [("unknown", _k("xyz")), ("int", _k(3)), NONE, ("no-exercise", _k("01.99")),
            ("no-notebook", _k("42.1"))],
    "path": [NONE, ("int", _k(3)), ("missing", _k(str(PACKAGE / "no_such_image.png"))),
             ("folder", _k(str(PACKAGE))), ("not-an-image", _k(str(PACKAGE / "__init__.py")))],
    "array": [("uint16", lambda v: v.astype(np.uint16)), ("int64", lambda v: v.astype(np.int64)),
              ("bool", lambda v: v > 127), ("nan", lambda v: _with(v / 255, NAN), TORCH),
              ("channel-first", lambda v: v.transpose(2, 0, 1)), ("4-dims", lambda v: v[None]),
              ("1-dim", lambda v: v[0, 0]), ("tensor", lambda v: torch.from_numpy(v)), NONE,
              ("name", _k("photo"))],
    "images": [NONE, STR, ("empty-list", _k([])), ("empty-image", _k([torch.zeros(3, 0, 0)])),
               ("nan", lambda v: [_with(v[0], NAN)]), ("int64", lambda v: [v[0].long()]),
               ("2-channels", _k([torch.rand(2, 4, 4)])), ("tensor", lambda v: v[0]),
               ("float16", lambda v: [v[0].half()], lambda b: [b[0].float()]),
               ("requires_grad", lambda v: [v[0].clone().requires_grad_()],
                lambda b: [b[0].detach()])],
    "titles": [("str", _k("ab")), ("int", _k(3)), ("too-many", _k(["a", "b"])), ("ints", _k([3]))],
    "cmap": [("unknown", _k("nope")), ("int", _k(3))],
    "origin": [("str", _k("ab")), ("one-number", _k((0,))), ("float", _k((0.5, 0))), NONE],
    "mask": [("wrong-shape", _k(np.zeros((3, 3), bool))), ("int", _k(np.zeros((2, 2), int))), STR],
    "fmt": [("int", _k(3)), ("bad-spec", _k("zz"))],
    "quad": [STR, NONE, ("3-numbers", _k((0, 0, 2))), ("negative", _k((0, 0, -1, 2)))],
    "floats": [STR, NONE, ("int", _k(3)), ("list-of-str", _k(["a"]))],
    "result": [NONE, STR, ("uneven", _k(_patched(cu.TrainResult(), eval_steps=[1, 2],
                                                  eval_miou=[0.5])))],
    "names": [STR, NONE, ("empty", _k(())), ("ints", _k((1, 2, 3, 4, 5)))],
    "figsize": [STR, ("zero", _k((0, 3))), ("negative", _k((-1, 3))), ("huge", _k((1e6, 1e6))),
                ("nan", _k((NAN, 3))), ("one-number", _k((3,)))],
    "controls": [NONE, STR, ("not-a-widget", _k({"a": 3}))],
    "roles": [("str", _k("input")), ("unknown", _k(["nope"])), NONE, ("empty", _k([]))],
}


# --- torch's answers --------------------------------------------------------------------------

def _transpose_ref(x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    dtype = torch.promote_types(x.dtype, weight.dtype)  # torch's promotion, as the engines do
    return F.conv_transpose2d(x.to(dtype), weight.to(dtype), None, stride, padding,
                              output_padding, groups, dilation)


def _steps_ref(x, weight, **kw):  # the last step's output (see _norm)
    return _transpose_ref(x[None, None], weight[None, None], **kw)[0, 0]


def _matrix_ref(weight, input_size, stride=1, padding=0, dilation=1, groups=1):
    """C from torch's unfold: which input pixel (1-based; 0 is padding) each kernel tap reads."""
    n = input_size
    index = torch.arange(1.0, n * n + 1).reshape(1, 1, n, n)
    taps = F.unfold(index, weight.shape, dilation=dilation, padding=padding, stride=stride)[0]
    C = weight.new_zeros(taps.shape[1], n * n)
    for tap, out in (taps > 0).nonzero().tolist():
        C[out, int(taps[tap, out]) - 1] = weight.reshape(-1)[tap]
    return C


def _dice_ref(logits, target, smooth=1.0):
    p = logits.softmax(1)
    g = F.one_hot(target.long(), logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    total = p.sum((0, 2, 3)) + g.sum((0, 2, 3))
    return 1 - ((2 * (p * g).sum((0, 2, 3)) + smooth) / (total + smooth)).mean()


def _loss_ref(logits, target, dice_weight=1.0):
    return F.cross_entropy(logits, target.long()) + dice_weight * _dice_ref(logits, target)


def _normalize_ref(t, mean, std):
    return (t - torch.tensor(mean, dtype=t.dtype)[:, None, None]) / torch.tensor(
        std, dtype=t.dtype)[:, None, None]


def _to_tensor_ref(image):  # torchvision's ToTensor for an (H, W, C) array
    t = torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1)
    return t / 255 if image.dtype == np.uint8 else t


# --- the table --------------------------------------------------------------------------------

class Row(NamedTuple):
    func: Callable[..., Any]
    kwargs: Callable[[], dict[str, Any]]  # valid, small and fast; built afresh for every call
    cats: str  # "param:category ..."
    ref: Callable[..., Any] | None = None  # torch's answer for the same keyword arguments
    ok: dict[str, str] | None = None  # {"param label ...": why these values are valid}
    errors: tuple[type[Exception], ...] = ()  # further exception types that are right

    @property
    def name(self) -> str:
        return self.func.__qualname__.replace("_explorer_set", "Explorer.set")


def _explorer_set(bins=40, distribution="both"):
    """Explorer.set with values of the wrong type for a slider and a drop-down."""
    return cu.histogram_explorer().set(bins=bins, distribution=distribution)


@cache
def _data() -> cu.ShapesData: return cu.make_shapes_data(4, 2, size=16)
def _model() -> nn.Module: return cu.build_shapes_fcn(widths=(2, 2, 2, 2))
def _x(*shape: int) -> torch.Tensor: return torch.rand(*shape)
def _y(*shape: int) -> torch.Tensor: return torch.randint(0, 3, shape)


HUGE, DEFAULT = "10**9 2**40", "the default"
FORMULA = {f"* {HUGE}": "a size formula: any whole number is a size, as in torch's formula"}
ONE_OUT = "a stride past the input gives one output, as in torch"
STR_OK = "matplotlib writes a number as the learner typed it"
GREY = "(H, W) is a grey image (documented): then mean's count is what is wrong"
EXAMPLE = {"x None": DEFAULT, "weight None": DEFAULT}
UNBATCHED = {"x dim-less": "(C, H, W) is an unbatched input, as in torch"}
SCATTER = "x:tensor weight:tensor stride:pair1 padding:pair0 output_padding:pair0 dilation:pair1"
ENGINE = SCATTER + " groups:int1"
SHAPES = "size:int1 seed:count0 max_shapes:int1 radius:radius max_turn:num0"
LABELS3 = "prediction:labels target:labels num_classes:int1"
ROWS = [
    # 02-04 convolution
    Row(cu.conv2d_explorer, dict, "height:int1 width:int1 kernel:int1 stride:int1 padding:pad "
        "dilation:int1 groups:int1 padding_mode:choice in_channels:int1 out_channels:int1"),
    Row(cu.conv2d_line, lambda: dict(in_channels=4, out_channels=8, kernel_size=3),
        "in_channels:int1 out_channels:int1 kernel_size:int1 stride:int1 padding:pad dilation:int1 "
        "groups:int1 bias:bool padding_mode:choice", ok={f"* {HUGE}": "it only writes code"}),
    Row(cu.conv_dimensions_figure, lambda: dict(photo=_x(3, 8, 8)), "photo:tensor",
        ok={"photo None": DEFAULT}),
    Row(cu.group_connections, lambda: dict(in_channels=4, out_channels=4, groups=2),
        "in_channels:int1 out_channels:int1 groups:int1"),
    Row(cu.groups_figure, lambda: dict(in_channels=4, out_channels=4, groups=(1, 2)),
        "in_channels:int1 out_channels:int1 groups:ints kernel_size:int1",
        ok={f"kernel_size {HUGE}": "only counted in the titles"}),
    Row(cu.multichannel_figure, lambda: dict(x=_x(2, 4, 4), weight=_x(2, 2, 2)), "x:tensor weight:tensor"),
    Row(cu.multichannel_scene, lambda: dict(x=_x(2, 4, 4), weight=_x(2, 2, 2)), "x:tensor weight:tensor"),
    Row(cu.padding_modes_figure, lambda: dict(image=_x(3, 8, 8), padding=2, crop=4),
        "image:tensor padding:int1 crop:int1"),
    Row(cu.coverage_figure, lambda: dict(stacks={"a": [(3, 1, 2)]}), "stacks:stacks"),
    Row(cu.coverage_map, lambda: dict(layers=[(3, 1, 2)]), "layers:layers margin:int0"),
    Row(cu.dilated_kernel_figure, lambda: dict(dilations=(1, 2)),
        "kernel_size:int1 dilations:ints"),
    Row(cu.dilation_explorer, dict, "kernel_size:int1 dilations:ints"),
    Row(cu.measure_receptive_field, lambda: dict(layers=[(3, 1, 2)]), "layers:layers"),
    Row(cu.receptive_field, lambda: dict(layers=[(3, 1, 2)]), "layers:layers",
        ok={"layers dilation-10**9 Conv1d": "a formula (any size) of a valid 1D layer"}),
    # 05-06 transposed convolution
    # no bad values: a record conv_transpose2d_steps returns from arguments it has checked (learners
    # read it, never build it); it holds NaN/inf where x does, so it checks nothing itself
    Row(cu.ScatterStep, lambda: dict(index=0, row=0, col=0, value=1.0, top=0, left=0,
                                     copy=_x(2, 2), total=_x(2, 2), crop=(0, 0, 2, 2)), ""),
    Row(cu.conv2d_matrix, lambda: dict(weight=_x(2, 2), input_size=3), "weight:tensor "
        "input_size:pair1 stride:pair1 padding:pair0 dilation:pair1 groups:int1",
        ref=_matrix_ref, ok={f"stride {HUGE}": ONE_OUT}),
    Row(cu.conv_matrix_explorer, dict,
        "input_size:int1 kernel_size:int1 stride:int1 padding:int0 dilation:int1 transposed:bool"),
    Row(cu.conv_matrix_figure, lambda: dict(weight=_x(2, 2), input_size=3),
        "weight:tensor input_size:int1 stride:int1 padding:int0 dilation:int1 transposed:bool",
        ok={"weight None": DEFAULT, f"stride {HUGE}": ONE_OUT,
            "weight int64 float16 requires_grad": "drawn from weight's values, as for weight.float() "
                                                   "(an SVG object: compared by test_scene_matrix)"}),
    *(Row(f, lambda: dict(x=_x(1, 2, 3, 3), weight=_x(2, 1, 2, 2)), ENGINE, ref=_transpose_ref,
          ok=UNBATCHED) for f in (cu.conv_transpose2d_scatter, cu.conv_transpose2d_zero_insertion)),
    Row(cu.conv_transpose2d_steps, lambda: dict(x=_x(2, 2), weight=_x(2, 2)), SCATTER,
        ref=_steps_ref),
    Row(cu.example_input, dict, "size:int1"),
    Row(cu.example_kernel, dict, "size:int1"),
    Row(cu.matching_output_padding, lambda: dict(size=8, kernel_size=3, stride=2, padding=1),
        "size:axes1 kernel_size:axes1 stride:axes1 padding:axes0 dilation:axes1", ok=FORMULA),
    Row(cu.scatter_explorer, dict, "input_size:int1 kernel_size:int1 stride:int1 dilation:int1 "
        "output_padding:int0 padding:int0"),
    Row(cu.scatter_figure, lambda: dict(x=cu.example_input(), weight=cu.example_kernel()),
        SCATTER + " step:int0", ok={**EXAMPLE, "step None": "the default: every step"}),
    Row(cu.scatter_sum_figure, lambda: dict(x=cu.example_input(), weight=cu.example_kernel()),
        SCATTER, ok=EXAMPLE),
    Row(cu.zero_insertion_figure, lambda: dict(x=cu.example_input(), weight=cu.example_kernel()),
        "x:tensor weight:tensor stride:int1 padding:int0 output_padding:int0 dilation:int1",
        ok=EXAMPLE),
    # 07-08 upsampling and segmentation
    Row(cu.bilinear_kernel, lambda: dict(in_channels=2, out_channels=2, kernel_size=4),
        "in_channels:int1 out_channels:int1 kernel_size:int1"),
    Row(cu.bilinear_profile, lambda: dict(kernel_size=4), "kernel_size:int1"),
    Row(cu.bilinear_upsampler, lambda: dict(channels=2, factor=2),
        "channels:int1 factor:int1 bias:bool"),
    Row(cu.overlap_count, lambda: dict(kernel_size=3, stride=2),
        "kernel_size:int1 stride:int1 input_size:int1 layers:int1"),
    Row(cu.overlap_explorer, dict, "kernel_size:int1 stride:int1 layers:int1"),
    Row(cu.ShapesData, lambda: dict(train_images=_x(2, 3, 8, 8), train_masks=_y(2, 8, 8),
                                    test_images=_x(1, 3, 8, 8), test_masks=_y(1, 8, 8)),
        "train_images:tensor train_masks:labels test_images:tensor test_masks:labels "
        "classes:names"),
    *(Row(f, lambda: dict(prediction=_y(2, 4, 4), target=_y(2, 4, 4), num_classes=3), LABELS3)
      for f in (cu.confusion_matrix, cu.iou_per_class, cu.mean_iou)),
    Row(cu.make_shapes, lambda: dict(num_images=2, size=16), "num_images:int1 " + SHAPES),
    Row(cu.make_shapes_data, lambda: dict(num_train=2, num_test=1, size=16),
        "num_train:int1 num_test:int1 " + SHAPES),
    Row(cu.segmentation_grid, lambda: dict(images=_x(2, 3, 8, 8), masks=_y(2, 8, 8),
                                           predictions=_y(2, 8, 8)),
        "images:tensor masks:labels predictions:labels classes:names",
        ok={"predictions None": DEFAULT}),
    Row(cu.ShapesFCN, lambda: dict(widths=(2,) * 4), "num_classes:int1 widths:widths init:choice"),
    Row(cu.build_shapes_fcn, lambda: dict(widths=(2,) * 4),
        "num_classes:int1 init:choice seed:count0 widths:widths"),
    Row(cu.fcn32s, lambda: dict(num_classes=3, widths=(2,) * 5), "num_classes:int1 widths:widths"),
    Row(cu.fcn_head, lambda: dict(in_channels=4, num_classes=3),
        "in_channels:int1 num_classes:int1"),
    Row(cu.resnet_like_backbone, lambda: dict(widths=(2,) * 5), "widths:widths"),
    Row(cu.TrainingMonitor, lambda: dict(steps=10), "steps:count1 label:text redraw_every:count1"),
    # not a learner-facing constructor: train_segmentation builds it empty and appends to it (a
    # constructor check would see only empty lists); steps_to_reach checks the record it reads
    Row(cu.TrainResult, lambda: dict(losses=[1.0], eval_steps=[1], eval_miou=[0.5], seconds=1.0),
        ""),
    Row(cu.predict, lambda: dict(model=_model(), images=_x(2, 3, 8, 8)),
        "model:model images:tensor batch_size:count1",
        ok={"model 2-classes": "predict takes a model of any number of classes"}),
    Row(cu.segmentation_loss, lambda: dict(logits=torch.randn(2, 3, 4, 4), target=_y(2, 4, 4)),
        "logits:tensor target:labels dice_weight:num0", ref=_loss_ref),
    Row(cu.soft_dice_loss, lambda: dict(logits=torch.randn(2, 3, 4, 4), target=_y(2, 4, 4)),
        "logits:tensor target:labels smooth:num0", ref=_dice_ref),
    Row(cu.steps_to_reach, lambda: dict(result=cu.TrainResult(eval_steps=[1], eval_miou=[0.5]),
                                        target=0.4), "result:result target:num"),
    Row(cu.train_segmentation, lambda: dict(model=_model(), data=_data(), steps=2, batch_size=2),
        "model:model data:data steps:count1 batch_size:int1 lr:numpos weight_decay:num0 "
        "dice_weight:num0 seed:count0 eval_every:count0 device:device on_step:fn",
        ok={"lr 1e9": "the learner's choice: a loss that diverges stops training"},
        errors=(FloatingPointError,)),  # "the loss became nan at step 2; try a smaller lr (1e+09) ..."
    # shared
    Row(cu.Explorer, lambda: dict(build=lambda a: cu.conv2d_scene(torch.ones(2, 2), torch.ones(1, 1)),
                                  controls={"a": widgets.IntSlider()}),
        "build:fn? controls:controls title:text"),
    Row(cu.conv2d_scene, lambda: dict(x=_x(4, 4), weight=_x(2, 2)),
        "x:tensor weight:tensor stride:axes1 padding:cpad dilation:axes1 padding_mode:choice walk:bool",
        ok={"stride 10**9": ONE_OUT, "stride 2**40": ONE_OUT}),
    Row(cu.hint, lambda: dict(key="01.1"), "key:key"),
    Row(cu.Diagram, lambda: dict(svg="<svg></svg>", text="a diagram"), "svg:text text:text alt:text"),
    Row(cu.scene_figure, lambda: dict(scene=cu.conv2d_scene(torch.ones(3, 3), torch.ones(2, 2))), "step:int1",
        ok={"step None": DEFAULT}),
    Row(_explorer_set, dict, "bins:int1 distribution:choice"),
    Row(cu.check, lambda: dict(key="01.1", answer=0.25), "key:key"),  # any answer: "not yet"
    Row(cu.conv_output_size, lambda: dict(size=8, kernel_size=3),
        "size:axes1 kernel_size:axes1 stride:axes1 padding:cpad dilation:axes1", ok=FORMULA),
    Row(cu.conv_transpose_output_size, lambda: dict(size=8, kernel_size=3), "size:axes1 "
        "kernel_size:axes1 stride:axes1 padding:axes0 output_padding:axes0 dilation:axes1",
        ok=FORMULA),
    Row(cu.figure_to_png, lambda: dict(fig=_fig()), "fig:fig dpi:numpos",
        ok={"dpi None": "the default: the figure's own dpi"}),
    Row(cu.histogram_explorer, dict, "distribution:choice sample_size:int1 bins:int1 seed:int0"),
    Row(cu.load_image, lambda: dict(name_or_path="letter_f"), "name_or_path:path",
        errors=(FileNotFoundError,)),  # a missing file: Python's own error, pinned by its tests
    Row(cu.new_figure, lambda: dict(width=2.0, height=1.0, dpi=50),
        "width:numpos height:numpos dpi:int1"),
    Row(cu.normalize, lambda: dict(t=_x(3, 4, 4), mean=[0.5] * 3, std=[0.25] * 3),
        "t:tensor mean:nums std:nums+", ref=_normalize_ref,
        ok={"t dim-more": "a batch of one image (documented)", "t dim-less": GREY}),
    Row(cu.pick_device, dict, ""),
    Row(cu.set_seed, lambda: dict(seed=0), "seed:int0", ok={"seed 10**9": "below 2**32: a seed"}),
    Row(cu.show_images, lambda: dict(images=[_x(4, 4)]),
        "images:images titles:titles ncols:int1 width:numpos cmap:cmap",
        ok={"ncols None": DEFAULT, "titles ints": STR_OK}),
    Row(cu.to_tensor, lambda: dict(image=np.random.default_rng(0).integers(0, 256, (5, 6, 3),
                                                                           np.uint8)),
        "image:array", ref=_to_tensor_ref),
    Row(cu.transform_invert, lambda: dict(t=_x(3, 4, 4), mean=[0.5] * 3, std=[0.25] * 3),
        "t:tensor mean:nums std:nums+", ok={"mean None": DEFAULT, "std None": DEFAULT,
                                           "t dim-more": "a batch of one (documented)",
                                           "t dim-less": GREY}),
    Row(cu.conv2d_step_explorer, dict,
        "channels:int1 input_size:int1 kernel_size:int1 stride:int1 padding:int0 dilation:int1"),
    # 07: the overlap scene and figure, and the tensors scene and figure
    Row(cu.overlap_scene, dict, "kernel_size:int1 stride:int1 layers:int1 input_size:int1"),
    Row(cu.overlap_figure, dict, "kernel_size:int1 stride:int1 layers:int1 input_size:int1"),
    *(Row(f, lambda: dict(tensors={"a": torch.ones(2, 2)}), "role:choice")
      for f in (cu.tensors_scene, cu.tensors_figure)),
    # 06: the scatter scene
    Row(cu.scatter_scene, lambda: dict(x=cu.example_input(), weight=cu.example_kernel()), SCATTER),
]


def _cases() -> Iterator[Any]:
    for row in ROWS:
        for item in row.cats.split():
            param, cat = item.split(":")
            for label, *_ in FAMILIES[cat]:
                yield pytest.param(row, param, cat, label, id=f"{row.name}-{param}-{label}")


def _valid_anyway(row: Row, param: str, label: str) -> bool:
    """The row says this value is valid: any result is right, and an error may name another."""
    return any(name in ("*", param) and label in labels
               for name, *labels in map(str.split, row.ok or {}))


# --- comparing results ------------------------------------------------------------------------

def _norm(r: Any) -> Any:
    """A result as tensors, arrays, numbers, strings and lists of them."""
    if isinstance(r, Iterator):
        r = list(r)
    if isinstance(r, list) and r and isinstance(r[0], cu.ScatterStep):
        return r[-1].output  # what the steps add up to
    if isinstance(r, cu.Explorer):
        return [r.markup, r.caption, r.message]
    if isinstance(r, Figure):  # every text, image, line and colour: cheaper than rendering it
        return [[type(a).__name__, *(getattr(a, get)() for get in (
            "get_text", "get_array", "get_xydata", "get_facecolor") if hasattr(a, get))]
            for a in r.findobj()]
    if isinstance(r, Image.Image):
        return [r.mode, np.asarray(r)]
    if isinstance(r, cu.Diagram):  # a figure drawn from a scene: its markup
        return r.data
    if isinstance(r, nn.Module):
        return [repr(r), list(r.state_dict().values())]
    if dataclasses.is_dataclass(r) and not isinstance(r, type):
        return [_norm(getattr(r, f.name)) for f in dataclasses.fields(r)]
    if isinstance(r, tuple | list):
        return [_norm(v) for v in r]
    return r.detach() if isinstance(r, torch.Tensor) else r


def _assert_same(a: Any, b: Any, loose: bool) -> None:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        tol = dict(rtol=1e-2, atol=1e-2) if loose else {}  # float16 computes in float16
        torch.testing.assert_close(a, b, equal_nan=True, check_dtype=not loose, **tol)
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{len(a)} items where {len(b)} were expected"
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y, loose)
    elif not (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)):
        assert a == b, f"{a!r} != {b!r}"


def _shown(result: Any) -> str:
    if isinstance(result, cu.Explorer):
        return f"a panel showing {result.values} (message {result.message!r})"
    try:
        return re.sub(r"\s+", " ", repr(result))[:120]
    except Exception:  # noqa: BLE001 - a record whose repr fails on the bad value it holds
        return f"a {type(result).__name__}"


# --- the tests --------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def _warm_up():
    """The first training step pays torch's one-off set-up (seconds): not a bad input's cost."""
    cu.train_segmentation(_model(), _data(), steps=2, batch_size=2)


def test_every_public_callable_has_a_row():
    public = {n for n in cu.__all__ if callable(getattr(cu, n))} | {"check"}
    assert {row.name for row in ROWS} ^ public == {"Explorer.set"}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_valid_base_call(row):
    ok, result = _capped(lambda: row.func(**row.kwargs()))
    assert ok, f"the table's valid call raised {type(result).__name__}: {result}"


@pytest.mark.parametrize(("row", "param", "cat", "label"), list(_cases()))
def test_bad_value(row, param, cat, label):
    make, clean = (dict((f[0], f[1:]) for f in FAMILIES[cat])[label] + (RAISE,))[:2]
    kwargs = row.kwargs()
    default = inspect.signature(row.func).parameters[param].default
    bad = kwargs[param] = make(kwargs.get(param, default))
    valid = _valid_anyway(row, param, label)
    ok, result = _capped(lambda: row.func(**kwargs))
    if not ok:
        message, where = str(result), traceback.extract_tb(result.__traceback__)[-1].filename
        assert not _too_much_memory(result), f"asked for too much memory: {message}"
        assert not isinstance(result, _Timeout), f"hangs: {message}"
        assert isinstance(result, (ValueError, TypeError, *row.errors)), (
            f"{type(result).__name__} instead of ValueError/TypeError: {message}")
        assert Path(where).resolve().is_relative_to(PACKAGE), (
            f"a raw message from {Path(where).name}, not from course_utils: {message}")
        assert valid or re.search(rf"(?<!\w){re.escape(param)}(?!\w)", message), (
            f"the message does not name {param}: {message}")
        assert "\n" not in message.strip(), f"not one line: {message}"
        return
    if valid:
        return
    assert clean is not RAISE, f"accepted the bad value and returned {_shown(result)}"
    assert clean is not TORCH or row.ref is not None, (
        f"accepted the bad value (no torch answer to compare with) and returned {_shown(result)}")
    clean_kwargs = {**kwargs, param: bad if clean is TORCH else clean(bad)}
    ok, expected = _capped(lambda: (row.ref or row.func)(**clean_kwargs))
    what = "torch's answer" if row.ref else "its result on the clean value"
    assert ok, f"returned {_shown(result)} where {what} is an error: {expected!r}"
    try:
        _assert_same(_norm(result), _norm(expected), loose=label == "float16")
    except (AssertionError, TypeError) as exc:
        raise AssertionError(f"returned {_shown(result)}, not {what}: {exc}") from None
