"""Does the bilinear start of the FCN's upsampling layers matter against a fair random one? (``make bench``)

Trains the model of 08_fcn_segmentation (``build_shapes_fcn`` on ``make_shapes_data`` with
``RECIPE``: same steps, batch size and peak learning rate) from four initialisations of its
three x2 ``ConvTranspose2d`` layers, ``--seeds`` seeds each (the seed draws the model's
weights and the batches):

- default: PyTorch's default (``init="random"``), which shrinks each layer's output to a
  standard deviation of about 0.29 of its input's (0.024 over the three layers);
- scaled random: random with the variance-preserving scale (``init="scaled"``);
- bilinear: bilinear kernels, trained with the rest (``init="bilinear"``, the notebook's);
- frozen bilinear: bilinear kernels that are not trained (``init="frozen"``).

The held-out mean IoU is measured before training (step 0) and every ``--eval-every`` steps.
Prints one line per run, a table (median and [min-max] over the seeds) of the mean IoU at
step 0 and at the end and of the steps taken to reach 0.5 and 0.75, saves the curves
(median line and min-max band per initialisation) to ``--out``, and ends with:

``fcn ablation: default A, scaled random B, bilinear C, frozen bilinear D (median mIoU of N seeds
after S steps)``

then how long it took: 561 s with the defaults on 2 CPU threads of a quiet 2-core machine.

Usage: ``python benchmarks/fcn_ablation.py [--seeds N] [--steps S] [--threads T] [--eval-every E]
[--num-train N] [--num-test N] [--out images/fcn_ablation.png]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from course_utils import (
    COLORS,
    build_shapes_fcn,
    make_shapes_data,
    mean_iou,
    new_figure,
    predict,
    steps_to_reach,
    train_segmentation,
)
from course_utils.fcn import RECIPE

#: The ``init`` of each run, its name in the output and its colour in the plot.
INITS = {
    "random": ("default", COLORS["highlight"]),
    "scaled": ("scaled random", COLORS["kernel"]),
    "bilinear": ("bilinear", COLORS["input"]),
    "frozen": ("frozen bilinear", COLORS["output"]),
}
TARGETS = (0.5, 0.75)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "images" / "fcn_ablation.png"


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return value


def spread(values: list[float], fmt: str) -> str:
    """``median [min-max]`` of ``values``; ``inf`` (a target never reached) is written as "never"."""
    def show(v: float) -> str:
        return "never" if v == float("inf") else format(v, fmt)
    return f"{show(statistics.median(values))} [{show(min(values))}-{show(max(values))}]"


def plot(curves: dict[str, np.ndarray], steps: list[int], seeds: int, out: Path) -> None:
    """Median line and min-max band of the held-out mean IoU against the step, per initialisation."""
    fig = new_figure(7.0, 4.0, dpi=100)
    ax = fig.subplots()
    for init, runs in curves.items():
        label, color = INITS[init]
        ax.fill_between(steps, runs.min(axis=0), runs.max(axis=0), color=color, alpha=0.18, lw=0)
        ax.plot(steps, np.median(runs, axis=0), color=color, lw=2, label=label)
    ax.set_xlim(0, steps[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out mean IoU")
    ax.set_title(f"ShapesFCN, by start of the x2 layers (median, min-max of {seeds} seeds)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=positive, default=5, help="seeds per initialisation")
    parser.add_argument("--steps", type=positive, default=RECIPE["steps"])
    parser.add_argument("--threads", type=positive, default=2)
    parser.add_argument("--eval-every", type=positive, default=50)
    parser.add_argument("--num-train", type=positive, default=RECIPE["num_train"], help="training images")
    parser.add_argument("--num-test", type=positive, default=RECIPE["num_test"], help="held-out images")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the plot (PNG)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = make_shapes_data(args.num_train, args.num_test, RECIPE["size"], seed=0)
    print(f"{data}; {args.threads} threads, {args.steps} steps per run, lr {RECIPE['lr']}, "
          f"batch {RECIPE['batch_size']}")
    curves: dict[str, list[list[float]]] = {init: [] for init in INITS}
    reached: dict[tuple[str, float], list[float]] = {(i, t): [] for i in INITS for t in TARGETS}
    steps: list[int] = []
    for seed in range(args.seeds):
        for init, (label, _) in INITS.items():
            model = build_shapes_fcn(data.num_classes, init, seed=seed)
            start = mean_iou(predict(model, data.test_images), data.test_masks, data.num_classes)
            result = train_segmentation(model, data, steps=args.steps, batch_size=RECIPE["batch_size"],
                                        lr=RECIPE["lr"], seed=seed, eval_every=args.eval_every)
            steps = [0, *result.eval_steps]
            curves[init].append([start, *result.eval_miou])
            when = []
            for target in TARGETS:
                step = 0 if start >= target else steps_to_reach(result, target)
                reached[init, target].append(float("inf") if step is None else step)
                when.append(f"{target} at step {step}" if step is not None else f"{target} never")
            print(f"  seed {seed} {label:>15}: mIoU {start:.3f} -> {result.final_miou:.3f}; "
                  f"{', '.join(when)} ({result.seconds:.1f} s of training)", flush=True)
    arrays = {init: np.array(runs) for init, runs in curves.items()}

    print(f"\n{'initialisation':<16} {'mIoU at step 0':<22} {f'mIoU at step {args.steps}':<22} "
          + " ".join(f"{f'steps to {t}':<20}" for t in TARGETS))
    for init, (label, _) in INITS.items():
        print(f"{label:<16} {spread(list(arrays[init][:, 0]), '.3f'):<22} "
              f"{spread(list(arrays[init][:, -1]), '.3f'):<22} "
              + " ".join(f"{spread(reached[init, t], '.0f'):<20}" for t in TARGETS))
    print(f"(median [min-max] of {args.seeds} seeds; held-out mIoU every {args.eval_every} steps)")
    plot(arrays, steps, args.seeds, args.out)
    print(f"plot saved to {args.out}")
    finals = ", ".join(f"{label} {np.median(arrays[init][:, -1]):.2f}" for init, (label, _) in INITS.items())
    print(f"fcn ablation: {finals} (median mIoU of {args.seeds} seeds after {args.steps} steps)")
    return 0


if __name__ == "__main__":
    began = time.perf_counter()
    code = main(sys.argv[1:])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"(benchmark took {time.perf_counter() - began:.0f} s; peak memory {peak:.0f} MiB)")
    sys.exit(code)
