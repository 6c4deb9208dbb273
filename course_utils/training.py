"""Training a segmentation network on the CPU or a GPU, with a live progress view (08_fcn_segmentation).

``train_segmentation`` minimises cross-entropy plus a soft Dice loss
(:func:`segmentation_loss`) with AdamW and a one-cycle learning-rate schedule on
random mini-batches; the batches are drawn from a seeded generator, so with a
fixed seed and a fixed number of CPU threads two runs give the same weights.
``TrainingMonitor`` is an ipywidgets progress bar with a loss curve that the
training loop updates as it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from torch import nn

from ._checks import check_int
from .plotting import COLORS, figure_to_png, new_figure
from .segmentation import ShapesData, mean_iou

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
    """What :func:`train_segmentation` returns.

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


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 100) -> torch.Tensor:
    """Class index of every pixel, ``(N, H, W)``, computed in eval mode (batch norm uses its running stats).

    Runs on the model's device; returns a CPU tensor. Introduced in 08_fcn_segmentation.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        batch = images[start: start + batch_size].to(device).contiguous(memory_format=torch.channels_last)
        out.append(model(batch).argmax(dim=1).cpu())
    model.train(was_training)
    return torch.cat(out)


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0) -> torch.Tensor:
    """1 minus the mean over classes of the soft Dice coefficient, a differentiable stand-in for mean IoU.

    ``logits`` ``(N, C, H, W)``, ``target`` ``(N, H, W)`` class indices. With ``p``
    the softmax probabilities and ``g`` the one-hot truth, class ``c`` scores
    ``(2 * sum(p_c * g_c) + smooth) / (sum(p_c) + sum(g_c) + smooth)``, summed over
    every pixel of the batch: 1 for a perfect, confident prediction, near 0 when
    the class is predicted where it is not. Every class counts equally, however
    few pixels it has, as in mean IoU. Introduced in 08_fcn_segmentation.
    """
    if logits.dim() != 4 or target.shape != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(
            f"logits must be (N, C, H, W) and target (N, H, W), got {tuple(logits.shape)} and {tuple(target.shape)}"
        )
    p = logits.softmax(dim=1)
    g = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    intersection = (p * g).sum(dim=(0, 2, 3))
    total = p.sum(dim=(0, 2, 3)) + g.sum(dim=(0, 2, 3))
    return 1 - ((2 * intersection + smooth) / (total + smooth)).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, *, dice_weight: float = 1.0) -> torch.Tensor:
    """Pixel-wise cross-entropy plus ``dice_weight`` times :func:`soft_dice_loss`.

    Cross-entropy alone is dominated by the background, most of the pixels; the
    Dice term weighs every class equally. Introduced in 08_fcn_segmentation.
    """
    loss = F.cross_entropy(logits, target)
    return loss + dice_weight * soft_dice_loss(logits, target) if dice_weight else loss


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
    learning rate rises to ``lr`` over the first 20 % of the steps and then
    anneals to nearly 0. ``eval_every > 0`` measures the held-out mean IoU
    every that many steps. ``on_step(step, loss)`` is called after each step
    (for a progress view). ``device``: where to train (default: the model's).
    The model is left in eval mode. Introduced in 08_fcn_segmentation.
    """
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(data, ShapesData):
        raise TypeError(f"data must be a ShapesData (from make_shapes_data), got {type(data).__name__}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not dice_weight >= 0:
        raise ValueError(f"dice_weight must be 0 or more, got {dice_weight!r}")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device=device, memory_format=torch.channels_last)
    images, masks = data.train_images.to(device), data.train_masks.to(device)
    # fused: one kernel for all parameters instead of a loop over them
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.2)
    generator = torch.Generator().manual_seed(seed)
    result = TrainResult()
    model.train()
    for step in range(1, steps + 1):
        start = time.perf_counter()
        index = torch.randint(0, len(images), (batch_size,), generator=generator).to(device)
        x = images[index].contiguous(memory_format=torch.channels_last)
        loss = segmentation_loss(model(x), masks[index], dice_weight=dice_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        value = loss.detach().item()
        result.seconds += time.perf_counter() - start
        result.losses.append(value)
        if eval_every and (step % eval_every == 0 or step == steps):
            prediction = predict(model, data.test_images)
            result.eval_steps.append(step)
            result.eval_miou.append(mean_iou(prediction, data.test_masks, data.num_classes))
            model.train()
        if on_step is not None:
            on_step(step, value)
    model.eval()
    return result


def steps_to_reach(result: TrainResult, target: float) -> int | None:
    """The first evaluated step at which the held-out mean IoU reached ``target`` (None if never)."""
    for step, value in zip(result.eval_steps, result.eval_miou, strict=True):
        if value >= target:
            return step
    return None


class TrainingMonitor(widgets.VBox):
    """A progress bar, a status line and a live loss curve for a training loop (08_fcn_segmentation).

    Pass ``monitor.update`` as ``on_step``; the curve is redrawn every
    ``redraw_every`` steps (and at the last), so drawing costs little of the
    training time. ``steps`` is the total number of steps expected.
    """

    def __init__(self, steps: int, *, label: str = "training", redraw_every: int = 25) -> None:
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
        self.losses.append(loss)
        self.progress.value = step
        if step % self.redraw_every == 0 or step == self.total:
            window = self.losses[-self.redraw_every:]
            self.status.value = f"&nbsp;step {step}/{self.total}, loss {np.mean(window):.3f}"
            self.redraw()

    def redraw(self) -> None:
        """Draw the loss curve (each step faint, a running mean bold) into the image."""
        self.fig.clear()
        ax = self.fig.subplots()
        losses = np.asarray(self.losses)
        ax.plot(np.arange(1, len(losses) + 1), losses, color=COLORS["input"], alpha=0.25, lw=0.8)
        if len(losses) >= 10:
            k = min(25, len(losses))
            smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
            ax.plot(np.arange(k, len(losses) + 1), smooth, color=COLORS["input"], lw=1.6)
        ax.set_xlim(0, self.total)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("loss (cross-entropy + Dice)", fontsize=8)
        ax.tick_params(labelsize=7)
        self.image.value = figure_to_png(self.fig)
