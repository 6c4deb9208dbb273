"""Settings for every test run, notebooks included (nbval's kernels inherit the environment).

Strict nbval compares printed numbers to the last digit, so the kernels use the
same vector instructions and thread count as the run that stored the outputs
(`make notebooks`, which sets the same values).

Every notebook kernel also runs with warnings as errors (``KERNEL_ENV``): a cell that warns
(a tensor handed to matplotlib, a deprecated call) fails its test, where a learner would see a
red box in the middle of the lesson.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

NUMERIC_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}

#: Set while nbval starts a notebook's kernel (only then: the test processes keep pytest's filters).
#: Every warning is an error but one: ipykernel 7.4 warns about its own shutdown handler at every
#: kernel shutdown (a PendingDeprecationWarning from ipykernel.kernelbase, never from a notebook).
KERNEL_ENV = {"PYTHONWARNINGS": "error,ignore::PendingDeprecationWarning:ipykernel.kernelbase"}

for _name, _value in NUMERIC_ENV.items():
    os.environ.setdefault(_name, _value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """nbval starts a notebook's kernel while it sets up the notebook's first cell: with KERNEL_ENV."""
    if item.path.suffix != ".ipynb":
        return (yield)
    saved = {name: os.environ.get(name) for name in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        return (yield)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
