"""The layers of course_utils (DESIGN.md, "Inside course_utils"): the engine and the scenes load
neither matplotlib nor ipywidgets, and the package loads a module only when a name is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import course_utils

DRAWING = ("matplotlib", "ipywidgets", "anywidget", "IPython")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.parametrize("statement", [
    "import course_utils",
    "import course_utils.conv",
    "from course_utils import conv_output_size, conv2d_matrix, conv_transpose2d_scatter, coverage_map",
    "from course_utils.conv import *",
    "import course_utils.scenes",
])
def test_engine_loads_no_drawing_library(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "torch" in loaded or statement == "import course_utils"
    assert not [m for m in DRAWING if m in loaded], loaded


def test_every_public_name_resolves_to_its_module() -> None:
    for name in course_utils.__all__:
        value = getattr(course_utils, name)
        assert value is not None, name
    assert sorted(dir(course_utils)) == sorted(set(dir(course_utils)))
    assert set(course_utils.__all__) <= set(dir(course_utils))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        course_utils.nothing_here  # noqa: B018
