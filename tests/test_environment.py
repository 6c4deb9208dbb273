"""The pins in requirements*.txt, environment.yml and the running environment agree."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)\s*==?\s*([0-9][^\s#]*)", line)
        if match and not line.lstrip().startswith("#"):
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def requirement_pins() -> dict[str, str]:
    return pins(ROOT / "requirements.txt") | pins(ROOT / "requirements-test.txt")


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for item in dep["pip"]:
                found |= pins_from_line(item)
        else:
            found |= pins_from_line(dep)
    found.pop("python", None)
    return found


def pins_from_line(line: str) -> dict[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==?\s*([0-9][^\s=]*)", line)
    return {match.group(1).lower().replace("_", "-"): match.group(2)} if match else {}


def test_environment_yml_matches_requirements():
    assert conda_pins() == requirement_pins()


def test_every_pin_is_exact_and_torch_is_pinned():
    reqs = requirement_pins()
    assert reqs["torch"] == "2.13.0"
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"not an exact pin: {line}"


def test_no_torchvision_anywhere():
    for name in ("requirements.txt", "requirements-test.txt", "environment.yml", "pyproject.toml"):
        assert "torchvision" not in (ROOT / name).read_text()


def test_installed_versions_are_the_pinned_ones():
    for name, version in requirement_pins().items():
        installed = metadata.version(name)
        assert installed.split("+")[0] == version, f"{name}: installed {installed}, pinned {version}"
