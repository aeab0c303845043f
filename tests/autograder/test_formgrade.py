"""``make formgrade`` end to end: grade a small batch, start the formgrader on loopback, grade a
written answer and comment on it through nbgrader's REST API, and find both in export and feedback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.autograder.fixtures.report.batch import ASSIGNMENT, SOURCE, graded_course

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "formgrade-test-token"
COMMENT = "Right: an odd number of minus signs. Say why in one more line."

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

from autograder.cli import main  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Two graded submissions; the masters' folder also holds an ``extras/`` notebook folder."""
    base = tmp_path_factory.mktemp("formgrade")
    source = base / "masters"
    shutil.copytree(SOURCE, source)
    (source / "extras").mkdir()
    demo = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("a demo")])
    nbformat.write(demo, source / "extras" / "demo.ipynb")
    return graded_course(base / "course", ["blank", "good"], source=source,
                         prepare=add_maths)


MATHS = (r"The loss is $L = \frac{1}{n}\sum_i (y_i - \hat y_i)^2$ and "
         r"$$\frac{\partial L}{\partial w}$$")


def add_maths(course) -> None:
    """good's notebook gets a markdown cell with TeX, as every course notebook has."""
    path = course.submitted / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(MATHS))
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def formgrader(course, tmp_path_factory):
    """The command ``make formgrade`` runs, on a free loopback port; yields its URL."""
    tmp_path = tmp_path_factory.mktemp("formgrade-server")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "autograder"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_CONFIG_DIR", None)
    log = open(tmp_path / "formgrade.log", "w")  # noqa: SIM115 - closed in the teardown
    server = subprocess.Popen(
        [sys.executable, "-m", "autograder", "--course", str(course.root), "--source",
         str(course.source), "formgrade", "--port", str(port), "--token", TOKEN],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if api(f"{url}/formgrader/api/status")["status"]:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("formgrade did not start:\n" + (tmp_path / "formgrade.log")
                            .read_text()[-4000:])
            time.sleep(0.5)
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
        text = (tmp_path / "formgrade.log").read_text()
        assert "No nbgrader_config.py file found" not in text
        assert "Unwritable directory" not in text


def test_make_formgrade_runs_this_command(course):
    done = subprocess.run(["make", "-n", "formgrade", f"COURSE={course.root}",
                           f"SOURCE={course.source}", "FORMGRADE_PORT=8899"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (f"-m autograder --course {course.root} --source '{course.source}' formgrade "
            "--port 8899") in " ".join(done.stdout.split())


@pytest.mark.browser
def test_formgrader_pages_render_in_chromium(course, formgrader):
    """What the instructor sees: the assignment list, then good's notebook with a score box."""
    from tests.conftest import require_module, require_program

    chromium = require_program("chromium", "chromium")
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import expect, sync_playwright

    output = ROOT / "test-output" / "formgrade"
    output.mkdir(parents=True, exist_ok=True)
    notebooks = api(f"{formgrader}/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    good = next(n for n in notebooks if n["student"] == "good")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{formgrader}/?token={TOKEN}")  # the default URL is the formgrader
            page.wait_for_url("**/formgrader/manage_assignments", timeout=60_000)
            rows = page.locator("#main-table tr")
            expect(page.locator("#main-table")).to_contain_text(ASSIGNMENT, timeout=60_000)
            names = [r.locator("td").first.inner_text().strip() for r in rows.all()]
            assert names == [ASSIGNMENT], names  # one row: no extras, no loading placeholder
            page.screenshot(path=str(output / "manage_assignments.png"))
            page.goto(f"{formgrader}/formgrader/submissions/{good['id']}/?index=0")
            score = page.locator("input.score").first
            expect(score).to_be_visible(timeout=60_000)
            expect(page.locator("body")).to_contain_text("an odd number of minus signs")
            page.screenshot(path=str(output / "submission.png"), full_page=True)
        finally:
            browser.close()


def test_hand_grade_and_comment_reach_export_and_feedback(course, formgrader):
    # only the real assignment is listed (not extras/), with the course's gradebook behind it
    assignments = api(f"{formgrader}/formgrader/api/assignments")
    assert [a["name"] for a in assignments] == [ASSIGNMENT]
    assert assignments[0]["num_submissions"] == 2
    assert assignments[0]["max_written_score"] == 1.0
    config = (course.root / "nbgrader_config.py").read_text()
    assert f"c.CourseDirectory.db_url = {course.db_url!r}" in config
    assert "c.CourseDirectory.source_directory = 'source'" in config
    assert sorted(p.name for p in (course.root / "source").iterdir()
                  if not p.name.startswith(".")) == [ASSIGNMENT]
    assert (course.root / ".formgrade" / "workspaces").is_dir()  # its own, not the lab's

    # the rubric of the written answer: question, points, model answer, served to the lab
    rubric = api(f"{formgrader}/api/contents/rubrics/{ASSIGNMENT}.ipynb")["content"]
    texts = [c["source"] for c in rubric["cells"]]
    assert f"## `explain` in {ASSIGNMENT}.ipynb: 1 point(s)" in texts
    assert any("Why is the cube of a negative number negative?" in t for t in texts)
    assert "**Model answer**\n\nAn odd number of negative factors." in texts
    assert not (course.release / ASSIGNMENT / "rubrics").exists()

    # good's written answer awaits a hand grade; blank's untouched one does not
    notebooks = api(f"{formgrader}/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    by_student = {n["student"]: n for n in notebooks}
    assert sorted(by_student) == ["blank", "good"]
    assert by_student["good"]["needs_manual_grade"] is True
    assert by_student["blank"]["needs_manual_grade"] is False
    submission = by_student["good"]["id"]
    grades = api(f"{formgrader}/formgrader/api/grades?submission_id={submission}")
    (explain,) = [g for g in grades if g["name"] == "explain"]
    assert explain["needs_manual_grade"] is True and explain["max_score"] == 1.0
    assert explain["auto_score"] is None and explain["manual_score"] is None

    # the formgrader's page for the submission shows the student's answer and, right
    # below it, the master's rubric (once)
    with urllib.request.urlopen(urllib.request.Request(
            f"{formgrader}/formgrader/submissions/{submission}/?index=0",
            headers={"Authorization": f"token {TOKEN}"}), timeout=30) as page:
        html = page.read().decode()
    assert "an odd number of minus signs" in html
    assert html.count("rubric for <code>explain</code>") == 1, html[:2000]
    assert html.index("an odd number of minus signs") < html.index("rubric for <code>explain")
    assert "An odd number of negative factors." in html

    # feedback before the hand grade: the answer is marked pending, and the command says so
    code, out, err = run_cli("--course", str(course.root), "--source", str(course.source),
                             "feedback")
    assert code == 0, err
    assert "pending: 1 hand-graded answer(s) or task(s) await a grade" in out
    early = (course.feedback / "good" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "has not been graded by hand yet" in early
    assert "has not been graded by hand yet" not in (
        course.feedback / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()

    saved = api(f"{formgrader}/formgrader/api/grade/{explain['id']}", "PUT",
                {"manual_score": 0.5, "extra_credit": None})
    assert saved["manual_score"] == 0.5 and saved["needs_manual_grade"] is False
    comments = api(f"{formgrader}/formgrader/api/comments?submission_id={submission}")
    (comment,) = [c for c in comments if c["name"] == "explain"]
    saved = api(f"{formgrader}/formgrader/api/comment/{comment['id']}", "PUT",
                {"manual_comment": COMMENT})
    assert saved["manual_comment"] == COMMENT
    after = api(f"{formgrader}/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    assert {n["student"]: n["score"] for n in after} == {"good": 5.5, "blank": 0.0}

    # export: the hand grade is in the plain CSV and, nothing pending now, in Canvas's layout
    out = course.root / "grades.csv"
    code, _, err = run_cli("--course", str(course.root), "--source", str(course.source),
                           "export", "--csv", str(out))
    assert code == 0, err
    lines = out.read_text().splitlines()
    assert f"good,{ASSIGNMENT},{ASSIGNMENT},5.5,6.0,False,graded" in lines
    canvas = course.root / "grades-canvas.csv"
    code, _, err = run_cli("--course", str(course.root), "--source", str(course.source),
                           "export", "--format", "canvas", "--csv", str(canvas))
    assert code == 0, err
    assert canvas.read_text().splitlines()[2:] == ["blank,,,blank,,0", "good,,,good,,5.5"]

    # feedback: the student sees the hand grade and the comment
    code, out, err = run_cli("--course", str(course.root), "--source", str(course.source),
                             "feedback")
    assert code == 0, err
    feedback = (course.feedback / "good" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert COMMENT in feedback
    assert "5.5" in feedback
    assert "has not been graded by hand yet" not in feedback  # graded now
    assert "pending" not in out
    # ... never the grader's rubric, which stays in the formgrader's notebook
    assert "rubric for" not in feedback.lower()
    assert "An odd number of negative factors." not in feedback
    graded = nbformat.read(course.autograded / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    assert [c.metadata["treeprop"]["role"] for c in graded.cells
            if "treeprop" in c.metadata] == ["rubric"]



@pytest.mark.browser
def test_feedback_shows_its_maths_offline(course):
    """The feedback page typesets TeX in Chromium with every network request refused."""
    from tests.conftest import require_module, require_program

    chromium = require_program("chromium", "chromium")
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import expect, sync_playwright

    code, _, err = run_cli("--course", str(course.root), "--source", str(course.source),
                           "feedback")
    assert code == 0, err
    page_path = course.feedback / "good" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    html = page_path.read_text()
    assert "cdnjs.cloudflare.com" not in html
    assert ('src="../../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe,'
            'treeprop-offline"') in html
    assert (course.feedback / "mathjax" / "config" / "treeprop-offline.js").is_file()
    requested = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("http*://**", lambda route: (requested.append(route.request.url),
                                                     route.abort()))
            page.goto(page_path.as_uri())
            display = page.locator(".MathJax_Display")  # typeset by MathJax, not raw TeX
            expect(display.first).to_be_visible(timeout=60_000)
            assert page.locator("span.MathJax").count() >= 2
            assert "\\frac" not in page.locator("body").inner_text()  # no raw TeX left
            output = ROOT / "test-output" / "formgrade"
            output.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output / "feedback_maths.png"))
        finally:
            browser.close()
    assert requested == []  # nothing was fetched from the network
