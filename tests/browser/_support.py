"""What the browser fixtures and tests share: the Voila process, page events, paths, probes."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

REPO_ROOT: Final = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS_DIR: Final = REPO_ROOT / "test-artifacts"
CHROMIUM_ENV_VAR: Final = "NBPREGEL_CHROMIUM"
DEFAULT_CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VOILA_START_SECONDS: Final = 60.0
"""How long Voila may take to answer its first request."""
STOP_SECONDS: Final = 15.0
"""How long Voila may take to shut its kernels down and exit."""
RENDER_TIMEOUT_MS: Final = 45_000
"""How long a page may take to show a widget: Voila starts a kernel and runs the notebook."""
KERNEL_SPEC: Final = {"name": "python3", "display_name": "Python 3", "language": "python"}

LIT_NODES_JS: Final = """
(root) => {
  const lit = {};
  const state = /^nbp-(running|done|error|interrupted|cached)$/;
  for (const g of root.querySelectorAll("g[data-node]")) {
    const found = [...g.classList].find((c) => state.test(c));
    if (found) lit[g.dataset.node] = found.slice(4);
  }
  return Object.fromEntries(Object.entries(lit).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
"""
"""The state classes lit on the node groups under ``root``, as ``{node id: state}`` sorted by id
(idle nodes are absent)."""
_INJECTED_JS: Final = """
(imageSrc) => ({
  images: [...document.images].filter((i) => !imageSrc || new RegExp(imageSrc).test(i.src)).length,
  scripts: [...document.scripts]
    .filter((s) => s.type !== "application/json" && s.textContent.includes("alert("))
    .length,
  handlers: document.querySelectorAll("[onerror], [onload], [onmouseover]").length,
})
"""


def lit_nodes(root: Any) -> dict[str, str]:
    """``{node id: state}`` of the lit node groups under ``root`` (a Playwright element)."""
    return dict(root.evaluate(LIT_NODES_JS))


def injected_markup(page: Any, image_src: str | None = None) -> dict[str, int]:
    """What markup hidden in names and values would have added to ``page``, had it run.

    Counts the images (those whose ``src`` matches the JS regex ``image_src``, or all), the
    scripts that call ``alert(``, and the elements with inline event handlers.
    """
    return dict(page.evaluate(_INJECTED_JS, image_src))


@dataclass
class VoilaServer:
    """A running ``voila`` process serving every notebook in ``root``."""

    root: pathlib.Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: pathlib.Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, notebook_name: str) -> str:
        return f"{self.base_url}/voila/render/{notebook_name}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class PageEvents:
    """What a page did that a test may want to assert on."""

    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def chromium_executable() -> str:
    """Debian's Chromium, or the one ``$NBPREGEL_CHROMIUM`` names (as ``tests/conftest.py``)."""
    return os.environ.get(CHROMIUM_ENV_VAR) or DEFAULT_CHROMIUM


def start_voila(root: pathlib.Path, log_path: pathlib.Path) -> VoilaServer:
    """Start Voila on 127.0.0.1, on a free port, without a token, serving ``root``.

    Voila is its own application (not a ``jupyter server`` extension): it has no root check, so
    no ``--allow-root`` is needed (nor accepted) when the tests run as root.
    """
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--ServerApp.token=",
        "--VoilaConfiguration.show_tracebacks=True",
        str(root),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = VoilaServer(root=root, port=port, process=process, log_path=log_path)
    try:
        _wait_until_serving(server)
    except BaseException:
        stop_voila(server)
        raise
    return server


def stop_voila(server: VoilaServer) -> None:
    """Stop Voila; it shuts its kernels down on SIGTERM. Kill any kernel it left behind."""
    process = server.process
    kernels = _children(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
    for pid in kernels:  # normally already gone; these are the kernels this Voila started
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The ids of the live processes whose parent is ``pid`` (Linux ``/proc``)."""
    children = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (field 2) may hold spaces; the parent id follows its ")".
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _wait_until_serving(server: VoilaServer) -> None:
    deadline = time.monotonic() + VOILA_START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"voila exited with code {server.process.returncode} before serving:\n"
                f"{server.log()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(server.base_url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"voila did not answer on {server.base_url} within {VOILA_START_SECONDS}s:\n{server.log()}",
        pytrace=False,
    )
