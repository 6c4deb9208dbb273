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


@pytest.mark.slow
def test_fcn_ablation_benchmark_prints_its_line_and_saves_the_plot(tmp_path):
    out = tmp_path / "ablation.png"
    printed = _run("fcn_ablation.py", "--steps", "6", "--seeds", "2", "--eval-every", "3", "--threads", "1",
                   "--num-train", "40", "--num-test", "8", "--out", str(out)).splitlines()
    pattern = (r"^fcn ablation: default \d\.\d\d, scaled random \d\.\d\d, bilinear \d\.\d\d, "
               r"frozen bilinear \d\.\d\d \(median mIoU of 2 seeds after 6 steps\)$")
    assert re.match(pattern, printed[-2]), printed[-2:]
    assert re.match(r"^\(benchmark took \d+ s; peak memory \d+ MiB\)$", printed[-1]), printed[-1]
    assert sum(line.startswith("fcn ablation: ") for line in printed) == 1
    assert sum(line.startswith("  seed ") for line in printed) == 8  # 2 seeds x 4 initialisations
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.browser
def test_browser_latency_benchmark_prints_its_line():
    from tests.browser.lab import chromium_path

    if chromium_path() is None:
        pytest.skip("Chromium not found: apt-get install chromium")
    out = _run("browser_latency.py", "--presses", "2", "--hovers", "3", "scatter_explorer")
    pattern = (r"^browser latency: slider median \d+ ms, worst control median \d+ ms over 6 controls; "
               r"hover median \d+\.\d ms; play step median \d+\.\d ms$")
    assert re.search(pattern, out, re.M), out
