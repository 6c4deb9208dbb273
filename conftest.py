"""Settings for every test run, notebooks included (nbval's kernels inherit the environment).

Strict nbval compares printed numbers to the last digit, so the kernels use the
same vector instructions and thread count as the run that stored the outputs
(`make notebooks`, which sets the same values).
"""

import os

NUMERIC_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}

for _name, _value in NUMERIC_ENV.items():
    os.environ.setdefault(_name, _value)
