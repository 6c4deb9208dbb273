"""Training a segmentation network on the CPU or a GPU, with a live progress view (08_fcn_segmentation).

``train_segmentation`` minimises cross-entropy plus a soft Dice loss
(:func:`segmentation_loss`) with AdamW and a one-cycle learning-rate schedule on
random mini-batches; the batches are drawn from a seeded generator, so with a
fixed seed and a fixed number of CPU threads two runs give the same weights.
``TrainingMonitor`` is an ipywidgets progress bar with a loss curve that the
training loop updates as it goes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from torch import nn

from ._checks import check_elements, check_int, check_number
from ._grad import autograd_on
from .draw.plots import COLORS, figure_to_png, new_figure
from .segmentation import ShapesData, _check_images, _check_labels, mean_iou

__all__ = [
    "TrainResult",
    "soft_dice_loss",
    "segmentation_loss",
    "train_segmentation",
    "predict",
    "TrainingMonitor",
    "steps_to_reach",
]


@dataclass
class TrainResult:
    """What :func:`train_segmentation` returns, filling it step by step (a record to read).

    ``losses``: the training loss of every step; ``eval_steps``/``eval_miou``: the
    held-out mean IoU measured every ``eval_every`` steps (and after the last);
    ``seconds``: wall-clock time spent in training steps (evaluations excluded).
    """

    losses: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_miou: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        """How many training steps ran."""
        return len(self.losses)

    @property
    def final_miou(self) -> float:
        """The last held-out mean IoU measured (NaN when none was)."""
        return self.eval_miou[-1] if self.eval_miou else float("nan")


def _first_parameter(model: object) -> nn.Parameter:
    """``model``'s first parameter (its device and dtype are the model's); there must be one."""
    parameter = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if parameter is None:
        raise TypeError("model must be a torch nn.Module with parameters "
                        f"(e.g. build_shapes_fcn()), got {type(model).__name__}")
    return parameter


def _check_device(device: object) -> torch.device:
    """``device`` as a ``torch.device`` that this machine has."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError("device must be 'cpu', 'cuda', 'cuda:0', 'mps' or a torch.device "
                         f"(see pick_device()), got {device!r}") from None
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available.get(device.type, False):
        raise ValueError(f"device {str(device)!r} is not available on this machine; "
                         "use pick_device() or 'cpu'")
    return device


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 100) -> torch.Tensor:
    """Class index of every pixel, ``(N, H, W)``, computed in eval mode (batch norm uses its running stats).

    ``images``: ``(N, 3, H, W)`` floats, N >= 1. Runs on the model's device, ``batch_size`` images
    at a time, and returns a CPU tensor; the model's train/eval mode is restored afterwards, even
    when it raises. Introduced in 08_fcn_segmentation.
    """
    parameter = _first_parameter(model)
    images = _check_images("images", images)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    was_training = model.training
    model.eval()
    try:
        out = []
        for start in range(0, len(images), batch_size):
            batch = images[start: start + batch_size].to(parameter.device, parameter.dtype)
            batch = batch.contiguous(memory_format=torch.channels_last)
            out.append(model(batch).argmax(dim=1).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out)


def _check_scores(logits: object, target: object) -> None:
    """``logits``: ``(N, C, H, W)`` floating-point scores; ``target``: ``(N, H, W)`` classes < C."""
    if not isinstance(logits, torch.Tensor) or not logits.dtype.is_floating_point:
        got = f"dtype {logits.dtype}" if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise TypeError(
            f"logits must be a floating-point tensor of class scores (N, C, H, W), got {got}"
        )
    if logits.dim() != 4 or logits.shape[1] == 0:
        raise ValueError(f"logits must be (N, C, H, W) with C >= 1, got {tuple(logits.shape)}")
    num_classes = logits.shape[1]
    _check_labels("target", target, num_classes,
                  f"logits have {num_classes} channels, one per class")
    if target.shape != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(f"logits must be (N, C, H, W) and target (N, H, W), got "
                         f"{tuple(logits.shape)} and {tuple(target.shape)}")


def _soft_dice(logits: torch.Tensor, target: torch.Tensor, smooth: float) -> torch.Tensor:
    p = logits.softmax(dim=1)
    g = F.one_hot(target.long(), logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    intersection = (p * g).sum(dim=(0, 2, 3))
    total = p.sum(dim=(0, 2, 3)) + g.sum(dim=(0, 2, 3))
    return 1 - ((2 * intersection + smooth) / (total + smooth)).mean()


def _cross_entropy_and_dice(logits: torch.Tensor, target: torch.Tensor,
                            dice_weight: float) -> torch.Tensor:
    loss = F.cross_entropy(logits, target.long())
    return loss + dice_weight * _soft_dice(logits, target, 1.0) if dice_weight else loss


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0) -> torch.Tensor:
    """1 minus the mean over classes of the soft Dice coefficient, a differentiable stand-in for mean IoU.

    ``logits`` ``(N, C, H, W)`` floats, ``target`` ``(N, H, W)`` classes 0 to C - 1. With ``p``
    the softmax probabilities and ``g`` the one-hot truth, class ``c`` scores
    ``(2 * sum(p_c * g_c) + smooth) / (sum(p_c) + sum(g_c) + smooth)``, summed over
    every pixel of the batch: 1 for a perfect, confident prediction, near 0 when
    the class is predicted where it is not. Every class counts equally, however
    few pixels it has, as in mean IoU. NaN logits give a NaN loss, as in PyTorch's own losses.
    Introduced in 08_fcn_segmentation.
    """
    _check_scores(logits, target)
    return _soft_dice(logits, target, check_number("smooth", smooth, minimum=0.0))


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, *, dice_weight: float = 1.0) -> torch.Tensor:
    """Pixel-wise cross-entropy plus ``dice_weight`` times :func:`soft_dice_loss`.

    Cross-entropy alone is dominated by the background, most of the pixels; the
    Dice term weighs every class equally. Introduced in 08_fcn_segmentation.
    """
    _check_scores(logits, target)
    dice_weight = check_number("dice_weight", dice_weight, minimum=0.0)
    return _cross_entropy_and_dice(logits, target, dice_weight)


def _check_model_output(model: nn.Module, data: ShapesData, device: torch.device) -> None:
    """Check that ``model`` gives a score per class of ``data`` for each pixel of an image.

    The model sees one training image in eval mode without gradients: none of its state changes.
    """
    x = data.train_images[:1].to(device).contiguous(memory_format=torch.channels_last)
    model.eval()
    with torch.no_grad():
        out = model(x)
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else None
    if shape is None or len(shape) != 4 or shape[0] != 1 or shape[2:] != x.shape[2:]:
        got = shape or type(out).__name__
        raise ValueError(f"model must map (N, 3, H, W) images to (N, C, H, W) class scores; "
                         f"for one {tuple(x.shape)} image of data it gives {got}")
    if out.shape[1] != data.num_classes:
        raise ValueError(
            f"model gives {out.shape[1]} class scores per pixel but data has "
            f"{data.num_classes} classes (data.num_classes); build the model with "
            f"num_classes={data.num_classes}"
        )


@autograd_on()  # the learner may have turned gradients off around the call
def train_segmentation(
    model: nn.Module,
    data: ShapesData,
    *,
    steps: int = 600,
    batch_size: int = 32,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    dice_weight: float = 1.0,
    seed: int = 0,
    eval_every: int = 0,
    device: torch.device | str | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``data`` with AdamW and a one-cycle schedule; return the losses and metrics.

    Each step draws ``batch_size`` training images at random (a generator seeded
    with ``seed``), computes :func:`segmentation_loss` (cross-entropy plus
    ``dice_weight`` times the soft Dice loss) and takes one AdamW step; the
    learning rate rises to ``lr`` over the first 20 % of the steps (a longer share in
    runs of fewer than 8 steps, at least 2) and then anneals to nearly 0. ``eval_every > 0`` measures the held-out mean IoU
    every that many steps. ``on_step(step, loss)`` is called after each step
    (for a progress view). ``device``: where to train (default: the model's).
    Before the first step the model's output for one image is checked against
    ``data.num_classes``; a loss that becomes NaN or infinite stops training with a
    ``FloatingPointError``. The model is left in eval mode. Introduced in 08_fcn_segmentation.

    Training starts from the model's current weights: called twice with the same model, the
    second call trains it further (its steps are numbered 1 to ``steps`` again, with a new
    schedule). To start again, build a fresh model, as notebook 08's training cell does.
    Autograd is switched on for training, so a call inside ``torch.no_grad()``,
    ``torch.inference_mode()`` or after ``torch.set_grad_enabled(False)`` trains the same way;
    the caller's mode is kept. A model built inside ``torch.inference_mode()`` cannot be trained
    and is refused.
    """
    steps = check_int("steps", steps, minimum=2)  # the learning rate rises, then falls: two steps at least
    batch_size = check_int("batch_size", batch_size, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(data, ShapesData):
        raise TypeError(f"data must be a ShapesData (from make_shapes_data), got {type(data).__name__}")
    lr = check_number("lr", lr)
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr:g}")
    weight_decay = check_number("weight_decay", weight_decay, minimum=0.0)
    dice_weight = check_number("dice_weight", dice_weight, minimum=0.0)
    if on_step is not None and not callable(on_step):
        raise TypeError("on_step must be a function on_step(step, loss) or None, "
                        f"got {type(on_step).__name__}")
    model_device = _first_parameter(model).device
    if any(p.is_inference() for p in model.parameters()):
        raise ValueError("model was built (or moved) inside torch.inference_mode(): its weights are inference tensors, "
                         "which autograd cannot train; build it outside that block")
    device = _check_device(device) if device is not None else model_device
    data._check("data.")  # again: its tensors may have been changed in place
    check_elements(f"a batch of {batch_size} images (batch_size {batch_size})",
                   batch_size * data.train_images[0].numel(), "Use a batch_size such as 32.")
    model.to(device=device, memory_format=torch.channels_last)
    _check_model_output(model, data, device)
    images, masks = data.train_images.to(device), data.train_masks.to(device)
    # fused: one kernel for all parameters instead of a loop over them
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    # warm-up over 20 % of the steps; a short run needs a longer share for its warm-up to last a step
    warm_up = max(0.2, 1.5 / steps)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=warm_up)
    generator = torch.Generator().manual_seed(seed)
    result = TrainResult()
    model.train()
    try:
        for step in range(1, steps + 1):
            start = time.perf_counter()
            index = torch.randint(0, len(images), (batch_size,), generator=generator).to(device)
            x = images[index].contiguous(memory_format=torch.channels_last)
            loss = _cross_entropy_and_dice(model(x), masks[index], dice_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            value = loss.detach().item()
            result.seconds += time.perf_counter() - start
            if not math.isfinite(value):
                raise FloatingPointError(f"the loss became {value} at step {step}; try a smaller "
                                         f"lr ({lr:g}) on a freshly built model")
            result.losses.append(value)
            if eval_every and (step % eval_every == 0 or step == steps):
                prediction = predict(model, data.test_images)
                result.eval_steps.append(step)
                result.eval_miou.append(mean_iou(prediction, data.test_masks, data.num_classes))
                model.train()
            if on_step is not None:
                on_step(step, value)
    finally:
        model.eval()
    return result


def steps_to_reach(result: TrainResult, target: float) -> int | None:
    """The first evaluated step at which the held-out mean IoU reached ``target`` (None if never).

    ``result``: what :func:`train_segmentation` returned, trained with ``eval_every > 0``;
    ``target``: a mean IoU between 0 and 1. Introduced in 08_fcn_segmentation.
    """
    if not isinstance(result, TrainResult):
        raise TypeError("result must be the TrainResult that train_segmentation returns, "
                        f"got {result!r} ({type(result).__name__})")
    target = check_number("target", target, minimum=0.0, maximum=1.0)
    steps, mious = len(result.eval_steps), len(result.eval_miou)
    if steps != mious:
        raise ValueError(f"result has {steps} eval_steps but {mious} eval_miou values; they "
                         "must pair up, as in the TrainResult that train_segmentation returns")
    if not steps:
        raise ValueError("result holds no held-out mean IoU: train with eval_every > 0 "
                         "(e.g. eval_every=50) to measure it")
    for step, value in zip(result.eval_steps, result.eval_miou, strict=True):
        if value >= target:
            return step
    return None


class TrainingMonitor(widgets.VBox):
    """A progress bar, a status line and a live loss curve for a training loop (08_fcn_segmentation).

    Pass ``monitor.update`` as ``on_step``; the curve is redrawn every
    ``redraw_every`` steps (and at the last), so drawing costs little of the
    training time. ``steps`` is the total number of steps expected. Losses that are NaN,
    infinite or not positive are left out of the (log-scale) curve, and the status line says
    when the loss is not a number; the monitor never raises because of the losses it is given.
    """

    def __init__(self, steps: int, *, label: str = "training", redraw_every: int = 25) -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str (the text before the progress bar), "
                            f"got {label!r} ({type(label).__name__})")
        self.total = check_int("steps", steps, minimum=1)
        self.redraw_every = check_int("redraw_every", redraw_every, minimum=1)
        self.progress = widgets.IntProgress(value=0, min=0, max=self.total, description=label,
                                            style={"description_width": "initial", "bar_color": COLORS["output"]},
                                            layout=widgets.Layout(width="420px"))
        self.status = widgets.HTML("")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="480px"))
        self.losses: list[float] = []
        self.fig = new_figure(4.8, 2.2, dpi=80)
        super().__init__([widgets.HBox([self.progress, self.status]), self.image])

    def update(self, step: int, loss: float) -> None:
        """Record the loss of ``step``; move the bar and redraw the curve now and then."""
        self.losses.append(float(loss))
        self.progress.value = step
        if step % self.redraw_every == 0 or step == self.total:
            window = self.losses[-self.redraw_every:]
            mean = float(np.mean(window))
            text = (f"loss {mean:.3f}" if math.isfinite(mean)
                    else f"loss is not a number (nan or inf in the last {len(window)} steps)")
            self.status.value = f"&nbsp;step {step}/{self.total}, {text}"
            self.redraw()

    def redraw(self) -> None:
        """Draw the loss curve (each step faint, a running mean bold) into the image."""
        self.fig.clear()
        ax = self.fig.subplots()
        losses = np.asarray(self.losses)
        steps = np.arange(1, len(losses) + 1)
        drawable = np.isfinite(losses) & (losses > 0)  # what a log scale can show
        steps, losses = steps[drawable], losses[drawable]
        ax.plot(steps, losses, color=COLORS["input"], alpha=0.25, lw=0.8)
        if len(losses) >= 10:
            k = min(25, len(losses))
            smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, color=COLORS["input"], lw=1.6)
        ax.set_xlim(0, self.total)
        if len(losses):
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            ax.text(0.5, 0.5, "no finite positive loss to plot", transform=ax.transAxes,
                    ha="center", fontsize=8)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("loss (cross-entropy + Dice)", fontsize=8)
        ax.tick_params(labelsize=7)
        self.image.value = figure_to_png(self.fig)
