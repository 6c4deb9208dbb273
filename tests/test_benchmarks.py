"""The benchmark scripts still run and print their summary line (tiny settings: this checks the
scripts, not the figures, which `make bench` measures)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_fcn_training_benchmark_prints_its_line():
    out = _run("fcn_training.py", "--steps", "4", "--seeds", "1", "--eval-every", "2", "--threads", "1",
               "--num-train", "40", "--num-test", "8")
    last = [line for line in out.splitlines() if line.startswith("fcn: ")]
    assert len(last) == 1, out
    pattern = (r"^fcn: mIoU \d\.\d\d on held-out images after \d+\.\d s of training \(4 steps\); "
               r"bilinear init reached mIoU 0\.75 (in \d+ steps|not within 4 steps), "
               r"random init (in \d+ steps|not within 4 steps) \(median of 1 seeds\)$")
    assert re.match(pattern, last[0]), last[0]
    assert "40 training + 8 held-out images" in out


@pytest.mark.slow
def test_widget_latency_benchmark_prints_its_line():
    out = _run("widget_latency.py", "--per-control", "2", "scatter_explorer")
    assert re.search(r"^widget latency: worst median \d+ ms, worst p95 \d+ ms over 1 widgets?", out, re.M), out
