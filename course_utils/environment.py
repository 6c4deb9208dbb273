"""The environment check of 00_start_here: are the pinned packages installed?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["PackageCheck", "check_environment", "REQUIREMENTS"]

#: The course's pins (present in a clone; an installed copy without it reports no pins).
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


@dataclass(frozen=True)
class PackageCheck:
    """One row of the environment report."""

    name: str
    pinned: str
    installed: str | None

    @property
    def ok(self) -> bool:
        """True when the installed version is the pinned one (a local tag like +cpu is ignored)."""
        return self.installed is not None and self.installed.split("+")[0] == self.pinned

    def __str__(self) -> str:
        status = "ok" if self.ok else ("MISSING" if self.installed is None else "DIFFERENT")
        return f"{self.name:12} pinned {self.pinned:10} installed {self.installed or '-':14} {status}"


def check_environment(requirements: Path | str = REQUIREMENTS) -> list[PackageCheck]:
    """Compare the exact pins of ``requirements`` with what is installed."""
    path = Path(requirements)
    if not path.exists():
        raise FileNotFoundError(f"requirements {str(path)!r} not found; run from a clone of the course")
    rows = []
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if not match:
            continue
        name, pinned = match.groups()
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        rows.append(PackageCheck(name, pinned, installed))
    return rows
