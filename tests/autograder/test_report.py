"""``make report`` end to end: a really graded batch, the page's numbers against the gradebook,
the page rendered in headless Chromium (plots decoded, no network, student text escaped)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.autograder.fixtures.report.batch import (
    ASSIGNMENT,
    HTML_MESSAGE,
    SOURCE,
    STUDENTS,
    graded_course,
)
from tests.conftest import require_module, require_program

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "report"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

from autograder.coordinator import JOURNAL, Coordinator  # noqa: E402
from autograder.executors import SerialExecutor  # noqa: E402
from autograder.report import _exercise_map, is_untouched, write_reports  # noqa: E402


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return graded_course(tmp_path_factory.mktemp("report") / "course")


def run_report(course, *extra: str) -> subprocess.CompletedProcess:
    """The command ``make report`` runs, as a subprocess."""
    env = {"PYTHONPATH": str(ROOT / "autograder"), "PATH": str(Path(sys.executable).parent)
           + ":/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                           "--source", str(SOURCE), "report", *extra], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def gradebook_figures(course, students=STUDENTS) -> dict[str, dict]:
    """What the page must say, computed straight from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        totals = {s: 0.0 for s in students}
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                scores, pending = [], 0
                for student in students:
                    grade = gb.find_grade(cell.name, notebook.name, ASSIGNMENT, student)
                    if grade.needs_manual_grade and grade.manual_score is None:
                        pending += 1
                        continue
                    scores.append(grade.score)
                    totals[student] += grade.score
                out[f"{notebook.name}/{cell.name}"] = {
                    "max": cell.max_score, "graded": len(scores), "pending": pending,
                    "mean": statistics.fmean(scores) if scores else None,
                    "full": sum(1 for s in scores if s >= cell.max_score),
                    "zero": sum(1 for s in scores if s == 0)}
        out["TOTAL"] = {"max": assignment.max_score, "mean": statistics.fmean(totals.values()),
                        "graded": len(students)}
    return out


def number(text: str) -> float:
    return float(text.strip())


def test_untouched_means_the_released_stub():
    stub = '# YOUR CODE HERE\nraise NotImplementedError("Exercise not done yet")'
    released = f"def square(x):\n    {stub.replace(chr(10), chr(10) + '    ')}"
    assert is_untouched(released, released, "code")
    assert is_untouched("def square(x):\n    raise NotImplementedError()", released, "code")
    assert is_untouched("def square(x):\n    '''todo'''\n    raise NotImplementedError",
                        released, "code")
    assert not is_untouched("def square(x):\n    return x * x", released, "code")
    assert not is_untouched("def square(x):\n    return x *", released, "code")  # an attempt
    assert not is_untouched("def sq(x):\n    raise NotImplementedError", released, "code")
    assert is_untouched(None, released, "code")  # the cell is gone
    assert is_untouched("YOUR ANSWER  HERE\n", "YOUR ANSWER HERE", "markdown")
    assert not is_untouched("Odd number of minus signs.", "YOUR ANSWER HERE", "markdown")


@pytest.mark.browser
def test_each_grade_cell_belongs_to_the_answers_above_it():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    def cell(gid, *, grade=False, solution=False, markdown=False):
        made = (new_markdown_cell if markdown else new_code_cell)(gid)
        made.metadata["nbgrader"] = {"grade_id": gid, "grade": grade, "solution": solution}
        return made

    master = new_notebook(cells=[
        cell("helpers"), cell("a"), cell("b", solution=True), cell("c", solution=True),
        cell("test_bc", grade=True), cell("test_bc_more", grade=True),
        cell("essay", grade=True, solution=True, markdown=True), cell("test_orphan", grade=True)])
    found = {k: v[0] for k, v in _exercise_map(master).items()}
    assert found == {"test_bc": ["b", "c"], "test_bc_more": ["b", "c"], "essay": ["essay"],
                     "test_orphan": []}


def test_report_numbers_match_the_gradebook_and_render_in_chromium(course):
    done = run_report(course)
    assert done.returncode == 0, done.stderr
    page_path = course.root / "reports" / f"{ASSIGNMENT}.html"
    index_path = course.root / "reports" / "index.html"
    assert page_path.is_file() and index_path.is_file()
    text = page_path.read_text()
    # what a student wrote is escaped: the message is there as text, never as markup
    assert "<script" not in text.lower() and "<b>bold" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in text
    assert "http://" not in text and "https://" not in text  # nothing fetched from a network

    chromium = require_program("chromium", "chromium")
    require_module("playwright", "pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    expected = gradebook_figures(course)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            fetched = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(index_path.as_uri())
            row = page.locator(f"#assignments tr[data-assignment='{ASSIGNMENT}']")
            assert number(row.locator(".submissions").text_content()) == len(STUDENTS)
            assert number(row.locator(".mean").text_content()) == pytest.approx(
                expected["TOTAL"]["mean"], abs=0.005)
            row.locator("a").click()
            page.wait_for_load_state("load")
            assert page.url == page_path.as_uri()

            # every number of the summary table against the gradebook
            for key, want in expected.items():
                tr = page.locator(f"#summary tr[data-cell='{key}']")
                assert number(tr.locator(".max").text_content()) == want["max"], key
                assert number(tr.locator(".graded").text_content()) == want["graded"], key
                assert number(tr.locator(".mean").text_content()) == pytest.approx(
                    want["mean"], abs=0.005), key
                if key != "TOTAL":
                    assert number(tr.locator(".full").text_content()) == want["full"], key
                    assert number(tr.locator(".zero").text_content()) == want["zero"], key
                    assert number(tr.locator(".pending").text_content()) == want["pending"]
            # only the blank submission left the exercises (and the answer) untouched
            for key in ("fx01_squares/test_square", "fx01_squares/test_cube",
                        "fx01_squares/explain"):
                cell = page.locator(f"#summary tr[data-cell='{key}'] .untouched")
                assert cell.get_attribute("data-count") == "1", key
                assert cell.text_content().startswith("25%"), key
            # three students wrote answers the autograder cannot judge: awaiting a hand grade
            assert expected["fx01_squares/explain"]["pending"] == 3

            # the most frequent failing messages of square's tests, the student's HTML as text
            failures = page.locator("section[data-cell='fx01_squares/test_square'] "
                                    "table.failures td code").all_text_contents()
            assert f"ValueError: {HTML_MESSAGE}" in failures
            assert "NotImplementedError" in failures
            # the hidden test's failure is counted, its code and message never shown
            assert any("hidden test failed" in f for f in failures), failures
            assert "SENTINEL" not in text and "square(-4)" not in text
            assert page.locator("b", has_text="bold").count() == 0

            # plots: one per graded cell with scores, plus the totals; all decoded by Chromium
            plots = page.locator("img.plot")
            assert plots.count() == 2 + sum(1 for k, v in expected.items()
                                            if k != "TOTAL" and v["graded"])  # + totals, time
            sizes = page.evaluate("Array.from(document.querySelectorAll('img.plot'))"
                                  ".map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            assert all(done and w > 100 and h > 50 for done, w, h in sizes), sizes
            page.screenshot(path=str(OUTPUT / "report_page.png"), full_page=True)
            # grading time: the grader records each submission's seconds in the journal
            timing = page.locator("#timing").text_content()
            assert "not recorded" not in timing and "median" in timing.lower(), timing
            assert page.locator('figure[data-plot="seconds"] img.plot').count() == 1
            assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
        finally:
            browser.close()


def test_grading_time_from_the_journal(course, tmp_path):
    """Seconds in the journal's summary (as a grader that records them writes them) are shown."""
    seconds = {"blank": 2.5, "good": 4.0, "html_error": 3.0, "test_edited": 10.5}
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        for row in gb.db.execute(JOURNAL.select()).mappings().all():
            summary = json.loads(row["summary"])
            summary["seconds"] = seconds[row["student"]]
            gb.db.execute(JOURNAL.update().where(
                (JOURNAL.c.student == row["student"])
                & (JOURNAL.c.assignment == row["assignment"])).values(
                summary=json.dumps(summary)))
        gb.db.commit()
    out = tmp_path / "pages"
    done = run_report(course, "--out", str(out), ASSIGNMENT)
    assert done.returncode == 0, done.stderr
    text = (out / f"{ASSIGNMENT}.html").read_text()
    assert '<td class="num count">4</td>' in text
    assert f'<td class="num median">{statistics.median(seconds.values()):.2f}</td>' in text
    assert '<td class="num max">10.50</td>' in text and '<td class="num total">20.00</td>' in text
    assert 'data-plot="seconds"' in text


def test_without_the_masters_untouched_is_unknown_not_zero(course, tmp_path):
    from autograder.course import Course

    elsewhere = Course(root=course.root, source=tmp_path / "no_masters")
    (page,) = write_reports(elsewhere, tmp_path / "pages")[1:]
    text = page.read_text()
    assert "not found (SOURCE=?)" in text
    for key in ("fx01_squares/test_square", "fx01_squares/test_cube"):
        assert (f'<tr data-cell="{key}">' in text and
                text.split(f'<tr data-cell="{key}">')[1].split("</tr>")[0].count(
                    '<td class="num untouched" data-count="">n/a</td>') == 1), key
    # a written answer is its own answer cell: still known from the gradebook
    explain = text.split('<tr data-cell="fx01_squares/explain">')[1].split("</tr>")[0]
    assert 'data-count="1"' in explain


def test_report_refuses_an_unknown_assignment(course, tmp_path):
    done = run_report(course, "--out", str(tmp_path), "no_such_assignment")
    assert done.returncode == 2
    assert "no graded submissions of no_such_assignment" in done.stderr


@pytest.mark.postgres
def test_report_on_a_postgresql_gradebook(tmp_path):
    """The same page from a PostgreSQL gradebook (journal read by reflection, not SQLite)."""
    import re

    from tests.autograder.pg import postgres_server

    with postgres_server(tmp_path / "pg") as url:
        students = ["blank", "good"]
        course = graded_course(tmp_path / "course", students, db_url=url)
        (page,) = write_reports(course)[1:]
        text = page.read_text()
        for key, want in gradebook_figures(course, students).items():
            row = re.search(rf'<tr data-cell="{re.escape(key)}">(.*?)</tr>', text).group(1)
            assert f'<td class="num graded">{want["graded"]}</td>' in row, key
            mean = re.search(r'<td class="num mean">([^<]*)</td>', row).group(1)
            assert float(mean) == pytest.approx(want["mean"], abs=0.005), key
        assert 'data-count="1"' in text  # blank left the exercises untouched
