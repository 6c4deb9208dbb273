"""A JupyterLab server and a Chromium browser for the browser tests (used by conftest.py).

The server runs from the repository's virtual environment with every Jupyter
directory (config, runtime, data, settings, workspaces, checkpoints) in a
temporary folder, so it neither reads the user's set-up nor writes anything into
the repository: autosave is off and its contents manager refuses every save.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The folder the server serves; BROWSER_TESTS_ROOT points the tests at another course tree.
ROOT = Path(os.environ.get("BROWSER_TESTS_ROOT", REPO)).resolve()
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]

SKIP_REASON = (
    "Chromium not found on the PATH: the JupyterLab browser tests are skipped. "
    "Install it with `apt-get install chromium` (Debian/Ubuntu) and run `make test` again."
)


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when none is installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def stored_widgets(nb: dict) -> list[str]:
    """The repr of every widget the notebook's cells show when run, in order.

    ``make notebooks`` stores each widget view as a one-line note whose metadata keeps the
    widget's repr (``tools/execute_notebooks.py``); a view stored as it is counts too.
    """
    found = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data, metadata = output.get("data", {}), output.get("metadata", {})
            if "course_placeholder" in metadata:
                found.append(metadata.get("widget", ""))
            elif WIDGET_VIEW in data:
                found.append("".join(data.get("text/plain", "")))
    return found


def notebooks_with_widgets(folder: Path = NOTEBOOKS) -> list[Path]:
    """Notebooks whose cells show at least one widget when run (found afresh on every run)."""
    found = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if stored_widgets(nb):
            found.append(path)
    return found


_CONTROL_REPR = re.compile(
    r"\b(\w*Slider|Play|Dropdown|Checkbox|ToggleButtons?|RadioButtons|\w*Select\w*|Button|\w*Text|Explorer)\("
)


def has_controls(path: Path) -> bool:
    """Whether a stored widget view has something to move (a slider, a Play button, a course panel...).

    Read from the views' ``text/plain`` form, which names every child widget. A
    notebook whose widgets only display things (a training progress bar) has none.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(_CONTROL_REPR.search(widget) for widget in stored_widgets(nb))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Settings the lab reads from its (temporary) user-settings folder.
_USER_SETTINGS = {
    # Never write the notebook back: the stored outputs must stay as committed.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Every cell in the DOM (no virtual scrolling), so the tests can find every panel.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news or update checks (no network here).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}

_PAGE_CONFIG = {
    "disabledExtensions": {
        "@jupyterlab/extensionmanager-extension": True,
        "@jupyterlab/apputils-extension:announcements": True,
    }
}

_SERVER_CONFIG = '''
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web


class NoSaveContentsManager(AsyncLargeFileManager):
    """Reads files; refuses (and records) every write: the browser tests leave the repository as it is."""

    def _refuse(self, what):
        with open(REFUSED, "a", encoding="utf-8") as log:
            log.write(what + "\\n")
        raise web.HTTPError(403, "the browser tests never change files: " + what)

    async def save(self, model, path=""):
        self._refuse("save " + path)

    async def rename_file(self, old_path, new_path):
        self._refuse("rename " + old_path)

    async def delete_file(self, path):
        self._refuse("delete " + path)


c.ServerApp.contents_manager_class = NoSaveContentsManager
# Checkpoints (the lab makes one when it opens a notebook) go to the temporary folder.
c.FileCheckpoints.checkpoint_dir = CHECKPOINTS
'''


@dataclass
class LabServer:
    """A running ``jupyter lab`` process."""

    process: subprocess.Popen
    url: str
    token: str
    log: Path
    refused: Path

    def refused_writes(self) -> list[str]:
        """Writes the lab asked for and was refused (there should be none)."""
        return self.refused.read_text(encoding="utf-8").splitlines() if self.refused.exists() else []

    def lab_url(self, notebook: Path, workspace: str) -> str:
        relative = notebook.resolve().relative_to(ROOT).as_posix()
        return f"{self.url}lab/workspaces/{workspace}/tree/{relative}?reset&token={self.token}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_lab(tmp: Path, *, timeout: float = 120.0, root: Path = ROOT) -> LabServer:
    """Start ``jupyter lab --no-browser`` serving ``root`` on 127.0.0.1, with a random free port and a token."""
    dirs = {name: tmp / name for name in ("config", "runtime", "data", "ipython", "settings",
                                          "workspaces", "checkpoints")}
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    for name, values in _USER_SETTINGS.items():
        target = dirs["settings"] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    (dirs["config"] / "labconfig").mkdir(exist_ok=True)
    (dirs["config"] / "labconfig" / "page_config.json").write_text(json.dumps(_PAGE_CONFIG), encoding="utf-8")
    (dirs["config"] / "jupyter_server_config.py").write_text(
        f"CHECKPOINTS = {str(dirs['checkpoints'])!r}\nREFUSED = {str(tmp / 'refused.log')!r}\n"
        + _SERVER_CONFIG, encoding="utf-8")

    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    env.pop("MPLBACKEND", None)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True", "--ServerApp.terminals_enabled=False",
        f"--LabApp.user_settings_dir={dirs['settings']}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = tmp / "jupyter-lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = LabServer(process, f"http://127.0.0.1:{port}/", token, log, tmp / "refused.log")
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        text = log.read_text(errors="replace")
        if "Exception while loading config file" in text:
            server.stop()
            raise RuntimeError(f"jupyter lab could not read the test configuration:\n{text[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}api/status?token={token}", timeout=5) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter lab did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
