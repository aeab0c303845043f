"""`make lab` is the student's first command: it must serve the student versions."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_student_versions_on_localhost_with_a_token():
    port = free_port()
    log = ROOT / "build" / "make-lab-test.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"PORT={port}"], cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, BROWSER="true"),  # no browser window from a test
        )
    try:
        url = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            m = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", log.read_text())
            if m:
                url, token = m.group(0), m.group(1)
                break
            time.sleep(1)
        assert url, f"make lab printed no URL with a token:\n{log.read_text()[-3000:]}"
        # without the token the server refuses the contents API: the token is kept on
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/")
        assert refused.value.code in (401, 403)
        api = f"http://127.0.0.1:{port}/api/contents/02_chain_rule/02_chain_rule.ipynb"
        with urllib.request.urlopen(f"{api}?token={token}") as reply:
            notebook = json.load(reply)["content"]
        sources = "\n".join("".join(c["source"]) for c in notebook["cells"])
        assert "class Multiply" in sources  # it is the course notebook ...
        assert "BEGIN SOLUTION" not in sources and "BEGIN HIDDEN TESTS" not in sources
        assert "raise NotImplementedError" in sources  # ... in its student version
        # the drawing tour is in the lab too, beside the assignments
        tour = f"http://127.0.0.1:{port}/api/contents/extras/viz_demo.ipynb?token={token}"
        with urllib.request.urlopen(tour) as reply:
            cells = json.load(reply)["content"]["cells"]
        assert any("explore(" in "".join(c["source"]) for c in cells)
        # the lab page the student's browser loads: nbgrader's instructor UI is off, Validate on
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as reply:
            page = reply.read().decode()
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                      r"(.*?)</script>", page, re.S).group(1))
        disabled = set(config.get("disabledExtensions", []))
        for plugin in ("menu", "formgrader", "assignment-list", "course-list",
                       "create-assignment"):
            assert f"@jupyter/nbgrader:{plugin}" in disabled, sorted(disabled)
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        log_text = log.read_text()
        assert "[E " not in log_text, f"the student lab logged an error:\n{log_text[-2000:]}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
