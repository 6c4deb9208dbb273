"""How good is the notebook's FCN after about 30 s of CPU training? (``make bench``)

Trains the model of 08_fcn_segmentation (``build_shapes_fcn`` on ``make_shapes_data``
with ``RECIPE`` and the notebook's loss, cross-entropy plus soft Dice; the notebook
trains the same model for fewer steps) on a fixed number of CPU threads, for three seeds, once with the
bilinear-initialised upsampling layers and once with PyTorch's random
initialisation, measuring the held-out mean IoU every ``--eval-every`` steps
(evaluation time is not counted as training time). Prints one line per run, then:

``fcn: mIoU 0.88 on held-out images after 19.2 s of training (500 steps); bilinear init
reached mIoU 0.75 in 200 steps, random init not within 500 steps (median of 3 seeds)``

Goal: mean IoU >= 0.85 on held-out images within 30 s of training on 2 CPU threads.
Wall-clock seconds depend on the machine's load; the CPU seconds of the process are
printed beside them.

Usage: ``python benchmarks/fcn_training.py [--steps N] [--threads T] [--seeds S] [--target 0.75]
[--eval-every E] [--no-random] [--num-train N] [--num-test N]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import torch

from course_utils import build_shapes_fcn, make_shapes_data, steps_to_reach, train_segmentation
from course_utils.fcn import RECIPE


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=RECIPE["steps"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.75)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--no-random", action="store_true", help="skip the random-init runs")
    parser.add_argument("--num-train", type=int, default=RECIPE["num_train"], help="training images")
    parser.add_argument("--num-test", type=int, default=RECIPE["num_test"], help="held-out images")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = make_shapes_data(args.num_train, args.num_test, RECIPE["size"], seed=0)
    print(f"{data}; {args.threads} threads, {args.steps} steps per run")
    runs: dict[str, list] = {"bilinear": [], "random": []}
    inits = ["bilinear"] if args.no_random else ["bilinear", "random"]
    for seed in range(args.seeds):
        for init in inits:
            model = build_shapes_fcn(data.num_classes, init, seed=seed)
            cpu = cpu_seconds()
            result = train_segmentation(model, data, steps=args.steps, batch_size=RECIPE["batch_size"],
                                        lr=RECIPE["lr"], seed=seed, eval_every=args.eval_every)
            cpu = cpu_seconds() - cpu
            reached = steps_to_reach(result, args.target) if args.eval_every else None
            runs[init].append((result, reached))
            print(f"  seed {seed} {init:>8}: mIoU {result.final_miou:.3f} after {result.seconds:.1f} s "
                  f"(process CPU {cpu:.1f} s incl. evaluation); reached {args.target} at step {reached}",
                  flush=True)

    def median_steps(init: str) -> str:
        values = [r for _, r in runs[init]]
        if any(v is None for v in values):
            values = [v if v is not None else float("inf") for v in values]
        m = statistics.median(values)
        return f"not within {args.steps} steps" if m == float("inf") else f"in {m:.0f} steps"

    bilinear = [res for res, _ in runs["bilinear"]]
    miou = statistics.median(r.final_miou for r in bilinear)
    seconds = statistics.median(r.seconds for r in bilinear)
    line = (f"fcn: mIoU {miou:.2f} on held-out images after {seconds:.1f} s of training ({args.steps} steps); "
            f"bilinear init reached mIoU {args.target:.2f} {median_steps('bilinear')}")
    if not args.no_random:
        line += f", random init {median_steps('random')}"
    print(line + f" (median of {args.seeds} seeds)")
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main(sys.argv[1:])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"(benchmark took {time.perf_counter() - start:.0f} s; peak memory {peak:.0f} MiB)")
    sys.exit(code)
