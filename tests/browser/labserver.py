"""A real JupyterLab server for browser tests: loopback, free port, no token, own settings."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module", name="browser")
def browser_fixture():
    """One headless Chromium for a test module (each test opens its own page). A test
    module gets it by importing this function; its tests ask for ``browser``."""
    from conftest import require_module, require_program

    chromium = require_program("chromium", "chromium")
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield launched
        finally:
            launched.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(settings: Path, notebook: dict | None = None) -> None:
    """No news or update toasts; start the notebook's kernel unasked; extra notebook settings."""
    apputils = settings / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True, exist_ok=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True, **(notebook or {})}))


@contextlib.contextmanager
def lab_server(root: Path, tmp_path: Path, notebook_settings: dict | None = None):
    """Yield the URL of JupyterLab serving ``root``; the server is stopped afterwards."""
    write_settings(tmp_path / "settings", notebook_settings)
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_CONFIG_DIR", None)
    cmd = [
        str(Path(sys.executable).parent / "jupyter"), "lab",
        "--no-browser", "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:  # containers and CI runners often run as root
        cmd.append("--allow-root")
    log_path = tmp_path / "lab.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in the finally
    server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + log_path.read_text())
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def open_notebook(page, url: str, path: str, workspace: str | None = None) -> None:
    """Open a notebook, take its own kernel if asked, and wait until the kernel is idle.

    With ``workspace`` the notebook opens alone in a fresh workspace of that name, so no
    tab of an earlier notebook is open (or current) beside it.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    where = f"workspaces/{workspace}/tree/{path}?reset" if workspace else f"tree/{path}"
    page.goto(f"{url}/lab/{where}")
    page.locator(".jp-Notebook").first.wait_for(timeout=90_000)
    select = page.get_by_role("button", name="Select Kernel")
    try:
        select.wait_for(timeout=5_000)
        select.click()
    except PlaywrightTimeout:
        pass
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
           ).to_have_count(1, timeout=90_000)


def run_all(page) -> None:
    """Run > Run All Cells, once more if the first code cell has not started after 20 s
    (a click that lands while the kernel is still connecting does nothing)."""
    import re

    from playwright.sync_api import expect

    first = page.locator(".jp-Notebook .jp-CodeCell").first.locator(".jp-InputPrompt")
    for attempt in range(2):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            expect(first).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=20_000)
            return
        except AssertionError:
            if attempt:
                raise
