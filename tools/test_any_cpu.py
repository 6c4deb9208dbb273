"""Run every notebook under strict nbval in other numeric environments (``make test-any-cpu``).

Stored outputs are compared to the last digit, and a learner's CPU may sum floats in another
order than the machine that stored them: another vector width (no AVX, AVX2, AVX-512) or
another thread count. Each environment below makes PyTorch, oneDNN, MKL and NumPy behave like
such a machine; the notebooks must pass in every one.

Usage: ``python tools/test_any_cpu.py [no-avx] [avx2] [avx512]`` (all three when none is given).
An environment the CPU cannot run (AVX-512 on a CPU without it, AVX on ARM) is reported as
skipped, never as passed.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Name -> (the capability it needs, the environment variables that select it).
ENVIRONMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "no-avx": ("DEFAULT", {
        "ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    }),
    "avx2": ("AVX2", {
        "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    }),
    "avx512": ("AVX512", {
        "ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2",
    }),
}
_RANK = {"DEFAULT": 0, "AVX2": 1, "AVX512": 2}
#: One notebook per worker, on every core (at most 4), as in `make test`.
PARALLEL = ("-n", "auto", "--maxprocesses", "4", "--dist", "loadscope")


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo does not exist."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()[2:]}


def best_capability() -> str:
    """The widest of DEFAULT / AVX2 / AVX512 this CPU can run."""
    flags = cpu_flags()
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX512"
    return "AVX2" if "avx2" in flags else "DEFAULT"


def reported(variables: dict[str, str]) -> str:
    """What PyTorch says it uses under ``variables`` (a fresh interpreter)."""
    code = "import torch; print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **variables},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main(names: list[str]) -> int:
    names = names or list(ENVIRONMENTS)
    unknown = [n for n in names if n not in ENVIRONMENTS]
    if unknown:
        print(f"unknown environment(s) {unknown}; choose from {list(ENVIRONMENTS)}")
        return 2
    best = best_capability()
    results = []
    for name in names:
        needed, variables = ENVIRONMENTS[name]
        if platform.machine().lower() not in ("x86_64", "amd64"):
            # NumPy's x86 feature names mean nothing elsewhere
            variables = {k: v for k, v in variables.items() if k != "NPY_DISABLE_CPU_FEATURES"}
        if _RANK[needed] > _RANK[best]:
            results.append((name, f"skipped: this CPU runs at most {best}"))
            continue
        print(f"== {name}: {' '.join(f'{k}={v}' for k, v in variables.items())}", flush=True)
        print(f"   PyTorch reports: capability, threads = {reported(variables)}", flush=True)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", *PARALLEL, "notebooks"], cwd=ROOT,
                             env={**os.environ, **variables})
        verdict = "passed" if run.returncode == 0 else f"FAILED (pytest exit {run.returncode})"
        results.append((name, f"{verdict} in {time.perf_counter() - start:.0f} s"))
    print("\nstrict nbval in other numeric environments:")
    for name, verdict in results:
        print(f"  {name:7} {verdict}")
    return 1 if any("FAILED" in verdict for _, verdict in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
