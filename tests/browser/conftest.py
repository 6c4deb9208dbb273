"""Fixtures of the browser tests: one JupyterLab server and one Chromium for the whole run.

Both are started only when a browser test runs, and stopped at the end. The lab
refuses every write (autosave is off too), and the run fails if it tried one.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

import pytest

from .lab import CHROMIUM_ARGS, NOTEBOOKS, REPO, chromium_path, start_lab

RESULTS_KEY = pytest.StashKey[list]()
TIMINGS_KEY = pytest.StashKey[list]()
ARTIFACTS = REPO / "tests" / "browser" / "artifacts"


@pytest.fixture(scope="session")
def lab_server():
    """``jupyter lab --no-browser`` serving the repository; it cannot write into it."""
    with tempfile.TemporaryDirectory(prefix="course-lab-") as tmp:
        server = start_lab(Path(tmp))
        try:
            yield server
        finally:
            server.stop()
        refused = server.refused_writes()
    assert not refused, f"the lab tried to change files in the repository: {refused}"
    leftovers = sorted(str(p) for p in NOTEBOOKS.glob("**/.ipynb_checkpoints"))
    assert not leftovers, f"the lab wrote checkpoints into notebooks/: {leftovers}"


@pytest.fixture(scope="session")
def browser_context():
    """A fresh Chromium profile driven by Playwright."""
    executable = chromium_path()
    if executable is None:  # the tests are skipped before this; kept for direct use
        pytest.skip("Chromium not found: install it with `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="course-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 1000},
            device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def latency_results(request) -> list:
    """Rows of ``(notebook, panel, control, kind, [ms, ...])`` collected by the tests."""
    return request.config.stash.setdefault(RESULTS_KEY, [])


@pytest.fixture(scope="session")
def notebook_timings(request) -> list:
    """Rows of ``(notebook, seconds to run all cells, panels, seconds in all)``."""
    return request.config.stash.setdefault(TIMINGS_KEY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    write = terminalreporter.write_line
    timings = config.stash.get(TIMINGS_KEY, [])
    if timings:
        terminalreporter.section("notebooks in JupyterLab")
        for name, run_all, panels, total in timings:
            write(f"{name:38} run all cells {run_all:5.1f} s, {panels} panel(s), {total:5.1f} s in all")
    rows = config.stash.get(RESULTS_KEY, [])
    if not rows:
        return
    terminalreporter.section("widget redraw in JupyterLab (control moved -> new drawing or text shown)")
    write(f"{'notebook':32} {'panel':>5}  {'control':24} {'kind':9} {'median ms':>9} {'max ms':>7} {'n':>3}")
    medians = []
    for notebook, panel, control, kind, times in rows:
        if not times:
            write(f"{notebook:32} {panel:>5}  {control[:24]:24} {kind:9} {'-':>9} {'-':>7} {0:>3}")
            continue
        median = statistics.median(times)
        medians.append(median)
        write(f"{notebook:32} {panel:>5}  {control[:24]:24} {kind:9} {median:9.0f} {max(times):7.0f} "
              f"{len(times):>3}")
    if medians:
        write(f"browser redraw: median of medians {statistics.median(medians):.0f} ms, "
              f"worst median {max(medians):.0f} ms over {len(medians)} controls")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "latency.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
