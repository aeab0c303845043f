"""Hostile submissions outside the verdict itself, each graded in a batch with honest ones.

Classes (one batch each, built in the test from the fixture assignment ``fx01_squares``):

* **staging**: links to the gradebook, a master, another student's notebook,
  ``/etc/passwd``, a folder and link loops; a notebook that is itself a link; companion
  modules, a folder that shadows ``treeprop``, ``sitecustomize.py``, ``.pth`` files;
* **sandbox**: forks that together hold more memory than the sandbox may, many threads,
  disk filled everywhere writable, the ipc folder used as storage, and the polling
  fallback without cgroups;
* **coordinator and feedback**: broken ``timestamp.txt`` files, notebook metadata of the
  wrong types and sizes, odd folder names, outputs that are malformed or carry script;
* **LMS collection**: identities forged inside an upload, nested archives (a zip bomb),
  zip-slip paths, links, and two uploads claiming the same student's notebook;
* **verdicts forged against a course notebook**: 08's tests (which once ran in the kernel)
  attacked where they used to trust the kernel, graded with 08's mutants as the honest
  students.

Every test asserts the hostile student's points and message, and that the honest
students of the same batch are graded, untouched and recorded. Real ``python -m
autograder`` (the ``make grade/feedback/export`` commands), real nbgrader, real bwrap.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.conftest import require_sandbox

ROOT = Path(__file__).resolve().parents[2]
AUTOGRADER_DIR = ROOT / "autograder"
SOURCE = Path(__file__).resolve().parent / "fixtures" / "source"
SUBMISSIONS = Path(__file__).resolve().parent / "fixtures" / "submissions"
ASSIGNMENT = "fx01_squares"

sys.path.insert(0, str(AUTOGRADER_DIR))

from autograder.coordinator import (  # noqa: E402
    JOURNAL,
    Coordinator,
    export_rows,
    read_timestamp,
)
from autograder.course import Course  # noqa: E402
from autograder.executors import LocalProcessExecutor, SerialExecutor  # noqa: E402
from autograder.sandbox import Limits, SandboxCgroup  # noqa: E402

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hostile_batch"
LIMITS = Limits(cell_seconds=10, notebook_seconds=60, memory_bytes=1536 * 1024**2)
GOOD_NB = SUBMISSIONS / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
BLANK_NB = SUBMISSIONS / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
HONEST = {"good": 5, "blank": 0}


# -- building submissions -----------------------------------------------------------------------

def notebook(base: Path = GOOD_NB, **solutions: str):
    """The fixture notebook with some solution cells (by grade id) replaced."""
    nb = nbformat.read(base, as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return nb


def submit(course: Course, student: str, nb=None, files: dict | None = None) -> Path:
    """A submission folder; ``files`` maps relative paths to text/bytes."""
    folder = course.submitted / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    if nb is not None:
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    for rel, content in (files or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return folder


def honest(course: Course) -> None:
    submit(course, "good", notebook(GOOD_NB))
    submit(course, "blank", notebook(BLANK_NB))


def cli(course: Course, *args: str, env: dict | None = None, timeout: int = 900):
    command = [sys.executable, "-m", "autograder", "--course", str(course.root),
               "--source", str(SOURCE), *args]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(AUTOGRADER_DIR),
                                                               str(ROOT)]))
    environment.update(env or {})
    return subprocess.run(command, env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def grade(course: Course, *extra: str, env: dict | None = None):
    return cli(course, "--workers", "2", "grade", "--no-progress", "--cell-seconds", "10",
               "--notebook-seconds", "60", *extra, env=env)


def journal(course: Course) -> dict[str, dict]:
    with Coordinator(course, SerialExecutor()).gradebook() as gb:
        rows = gb.db.execute(JOURNAL.select()).mappings().all()
    return {r["student"]: dict(r) for r in rows}


def scores(course: Course) -> dict[str, float]:
    return {r["student"]: r["score"] for r in export_rows(course)
            if r["assignment"] == ASSIGNMENT}


def summary_of(course: Course, student: str) -> str:
    return journal(course)[student]["summary"].lower()


def outputs_text(course: Course, student: str) -> str:
    nb = nbformat.read(course.autograded / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    return "".join(o.get("text", "") + json.dumps(o.get("data", {}))
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def assert_honest(course: Course, rows: dict | None = None) -> None:
    rows = rows if rows is not None else journal(course)
    got = scores(course)
    for student, points in HONEST.items():
        assert rows[student]["status"] == "graded", student
        assert got[student] == points, (student, got)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


# -- 1. staging: links and files outside the notebook --------------------------------------------

@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("staging") / "course"
    course = Course(root=root, source=SOURCE)
    honest(course)
    # a first run records the honest students, so the gradebook exists to be linked to
    first = grade(course)
    assert first.returncode == 0, first.stdout + first.stderr
    gradebook = course.root / "gradebook.db"
    master = SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    peer = course.submitted / "good" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    folder = submit(course, "links", notebook(BLANK_NB, square=fixture_text("list_work.py")))
    for name, target in (("gradebook.db", gradebook), ("master.ipynb", master),
                         ("peer.ipynb", peer), ("passwd.txt", "/etc/passwd"),
                         ("everything", "/"), ("loop", "loop"), ("a", "b"), ("b", "a")):
        os.symlink(target, folder / name)
    if gradebook.stat().st_dev == folder.stat().st_dev:
        os.link(gradebook, folder / "hardlinked.db")

    # the notebook itself is a link to an honest student's notebook
    linked = course.submitted / "link_notebook" / ASSIGNMENT
    linked.mkdir(parents=True)
    os.symlink(peer, linked / f"{ASSIGNMENT}.ipynb")
    # a whole student folder that is a link to another student's
    os.symlink(course.submitted / "good", course.submitted / "link_student")

    shadow = notebook(BLANK_NB, square=fixture_text("import_companion.py"),
                      cube=fixture_text("import_shadow_treeprop.py"))
    submit(course, "companions", shadow, files={
        "helper.py": "def square(x):\n    return x * x\n",
        "treeprop/__init__.py": "def cube(x):\n    return x ** 3\n",
        "treeprop/nodes.py": "raise SystemExit('shadow')\n",
        "sitecustomize.py": "print('SITECUSTOMIZE RAN')\n",
        "usercustomize.py": "print('USERCUSTOMIZE RAN')\n",
        "evil.pth": "import builtins; builtins.PTH_RAN = True\n",
        "__init__.py": "print('INIT RAN')\n",
        "ipython_config.py": "print('IPYTHON CONFIG RAN')\n",
        ".ipython/profile_default/startup/00.py": "print('STARTUP RAN')\n",
        "notes.csv": "a,b\n1,2\n",
    })
    # the course allows CSV files; even an explicit allow never stages interpreter hooks
    run = grade(course, "--allow", "*.csv", "--allow", "sitecustomize.py", "--allow",
                "*.pth", "--allow", ".ipython/*")
    return course, run


def test_links_are_never_followed_nor_copied(staged):
    course, run = staged
    assert run.returncode == 0, run.stdout + run.stderr
    rows = journal(course)
    assert rows["links"]["status"] == "graded"
    assert scores(course)["links"] == 0
    text = summary_of(course, "links")
    for name in ("gradebook.db", "master.ipynb", "peer.ipynb", "passwd.txt", "everything",
                 "loop"):
        assert f"{name}: is a symbolic link" in text, name
    printed = outputs_text(course, "links")
    assert "WORK:" in printed
    listing = printed.split("WORK:")[1].split("\n")[0]
    for name in ("gradebook.db", "master.ipynb", "peer.ipynb", "passwd.txt", "everything",
                 "loop", "hardlinked.db"):
        assert name not in listing, (name, listing)
    assert "root:x:0:0" not in printed and "SQLite format" not in printed
    # nothing of the links reached the graded copy or the feedback
    kept = {p.name for p in (course.autograded / "links" / ASSIGNMENT).iterdir()}
    assert kept <= {f"{ASSIGNMENT}.ipynb", "timestamp.txt"}, kept
    assert_honest(course, rows)


def test_a_linked_notebook_or_student_folder_is_not_graded(staged):
    course, run = staged
    rows = journal(course)
    assert scores(course)["link_notebook"] == 0
    text = summary_of(course, "link_notebook")
    assert f"{ASSIGNMENT}.ipynb: is a symbolic link" in text and "missing notebook" in text
    assert "link_student" not in rows
    assert "REFUSED" in run.stdout and "link_student" in run.stdout
    assert_honest(course, rows)


def test_extra_files_are_not_importable_and_are_named(staged):
    course, _ = staged
    assert scores(course)["companions"] == 0  # neither helper nor the shadow imported
    printed = outputs_text(course, "companions")
    assert "companion: ModuleNotFoundError" in printed
    assert "shadow: real" in printed  # the installed treeprop, not the student's folder
    for marker in ("SITECUSTOMIZE RAN", "USERCUSTOMIZE RAN", "INIT RAN", "IPYTHON CONFIG RAN",
                   "STARTUP RAN", "PTH_RAN"):
        assert marker not in printed, marker
    listing = printed.split("WORK:")[1].split("\n")[0]
    assert "notes.csv" in listing  # allowed by the course (--allow '*.csv')
    # allowed by name too, but never staged: Python and IPython act on their presence
    assert "sitecustomize.py" not in listing and "usercustomize.py" not in listing
    assert "evil.pth" not in listing and "ipython_config.py" not in listing
    text = summary_of(course, "companions")
    assert "not given to the kernel" in text
    for name in ("sitecustomize.py", "evil.pth", "ipython_config.py", "treeprop/__init__.py"):
        assert name in text, name
    assert_honest(course)


# -- 2. sandbox: whole-sandbox limits, nothing shared ------------------------------------------

# 30 s per cell: under load the fork fixture may need 20 s, and a time-out would look like
# a limit that failed
SANDBOX_LIMITS = dict(sandbox_memory_bytes=700 * 1024**2, processes=48,
                      disk_bytes=96 * 1024**2, cell_seconds=30)


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    require_sandbox()
    if SandboxCgroup.create(Limits()) is None and os.environ.get("CI") != "true":
        pytest.skip("no cgroups here: the whole-sandbox limits cannot be tested")
    root = tmp_path_factory.mktemp("sandbox") / "course"
    course = Course(root=root, source=SOURCE)
    honest(course)
    submit(course, "fork_memory", notebook(GOOD_NB, square=fixture_text("fork_memory.py")))
    submit(course, "threads", notebook(GOOD_NB, square=fixture_text("many_threads.py")))
    submit(course, "disk_everywhere", notebook(GOOD_NB, square=fixture_text("fill_disk.py")))
    submit(course, "kernel_oom", notebook(GOOD_NB, square=fixture_text("kernel_oom.py")))
    limits = Limits(**{**LIMITS.to_dict(), **SANDBOX_LIMITS})
    summary = Coordinator(course, LocalProcessExecutor(2), limits=limits,
                          progress=False).run()
    return course, summary


def _number(printed: str, label: str) -> int:
    return int(printed.split(label)[1].split()[0])


def test_forks_cannot_hold_more_memory_than_the_sandbox(sandboxed):
    course, summary = sandboxed
    assert summary.failed == []
    printed = outputs_text(course, "fork_memory")
    # four children of 300 MiB each fit under the per-process limit, not in 700 MiB
    held = _number(printed, "HELD_MIB=")
    assert 0 < held <= 700, printed
    assert scores(course)["fork_memory"] == 5  # the sandbox went on: cube still graded
    # the student is told which limit, with its value
    assert "reached the sandbox's memory limit of 700 mib" in summary_of(course, "fork_memory")
    assert_honest(course)


def test_a_kernel_killed_by_the_sandboxs_memory_limit_is_told_so(sandboxed):
    course, _ = sandboxed
    assert scores(course)["kernel_oom"] == 0  # killed in its first exercise: nothing after
    text = summary_of(course, "kernel_oom")
    assert "kernel died in cell" in text, text
    assert "reached the sandbox's memory limit of 700 mib" in text, text
    assert "the kernel was killed (out of memory)" in text, text
    assert_honest(course)


def test_threads_and_processes_are_bounded_for_the_sandbox(sandboxed):
    course, _ = sandboxed
    printed = outputs_text(course, "threads")
    started = _number(printed, "STARTED=")
    assert 10 < started <= SANDBOX_LIMITS["processes"], printed
    assert scores(course)["threads"] == 5
    assert "hit the process limit of 48 processes and threads" in summary_of(course, "threads")
    assert_honest(course)


def test_disk_is_bounded_and_nothing_is_shared_with_the_host(sandboxed):
    course, _ = sandboxed
    printed = outputs_text(course, "disk_everywhere")
    written = _number(printed, "WROTE_MIB=")
    assert 0 < written <= SANDBOX_LIMITS["disk_bytes"] // 1024**2, printed
    assert "IPC_WRITE=denied" in printed, printed  # the socket folder is read-only
    assert "HOST_WRITABLE=[]" in printed, printed
    assert scores(course)["disk_everywhere"] == 5
    assert_honest(course)


def test_without_cgroups_the_grader_polls_and_stops_the_sandbox(tmp_path, monkeypatch):
    require_sandbox()
    monkeypatch.setenv("TREEPROP_SANDBOX_CGROUPS", "0")
    course = Course(root=tmp_path / "course", source=SOURCE)
    honest(course)
    submit(course, "fork_memory", notebook(GOOD_NB, square=fixture_text("fork_memory.py")))
    limits = Limits(**{**LIMITS.to_dict(), **SANDBOX_LIMITS})
    summary = Coordinator(course, SerialExecutor(), limits=limits, progress=False).run()
    assert summary.failed == []
    # the sandbox is killed above 700 MiB: the kernel dies, nothing after it scores
    assert scores(course)["fork_memory"] == 0
    assert "kernel died" in summary_of(course, "fork_memory")
    assert_honest(course)


# -- 3. coordinator, feedback and export: one bad value is one student's message -----------------

@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("robust") / "course"
    course = Course(root=root, source=SOURCE)
    honest(course)
    good = notebook(GOOD_NB)
    stamps = {"ts_garbage": b"yesterday-ish, honestly", "ts_future": b"9999-12-31 23:59:59",
              "ts_huge": b"2026-01-01 " + b"9" * 1_000_000, "ts_binary": b"\xff\xfe\x00\x81",
              "ts_empty_weird": b"\n\n  \t"}
    for student, data in stamps.items():
        submit(course, student, good, files={"timestamp.txt": data})
    folder = submit(course, "ts_link", good)
    os.symlink("/etc/passwd", folder / "timestamp.txt")

    meta = copy.deepcopy(good)
    meta.metadata["kernelspec"] = "python3"
    meta.metadata["language_info"] = 12
    meta.metadata["nbgrader"] = [1, 2, 3]
    meta.metadata["title"] = "<script>alert('meta')</script>"
    meta.metadata["huge"] = "m" * 3_000_000
    for cell in meta.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_square":
            cell.metadata["nbgrader"]["points"] = "a lot"
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "square":
            cell.metadata["tags"] = {"not": "a list"}
            cell.metadata["collapsed"] = "very"
            cell.metadata["huge"] = ["h" * 1000] * 2000
    submit(course, "meta_types", meta)
    raw = json.loads(nbformat.writes(good))
    raw["cells"][3]["outputs"] = [{"output_type": "display_data",
                                   "data": {"application/vnd.jupyter.widget-view+json": 7},
                                   "metadata": []}]
    raw["cells"][3]["execution_count"] = "seven"
    raw["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": "broken"}
    submit(course, "saved_outputs", files={f"{ASSIGNMENT}.ipynb": json.dumps(raw)})
    submit(course, "bad_outputs", notebook(GOOD_NB, square=fixture_text("bad_outputs.py")))
    for name in ("bad name!", "x" * 100, "-rf", "*", "élève"):
        submit(course, name, good)
    odd = os.fsencode(str(course.submitted)) + b"/caf\xe9"
    os.makedirs(odd + b"/" + ASSIGNMENT.encode())
    shutil.copy(GOOD_NB, os.fsdecode(odd + b"/" + ASSIGNMENT.encode()) + f"/{ASSIGNMENT}.ipynb")
    # misplaced: loose in submitted/, loose in a student's folder, a mistyped assignment
    shutil.copy(GOOD_NB, course.submitted / "loose.ipynb")
    (course.submitted / "flat").mkdir()
    shutil.copy(GOOD_NB, course.submitted / "flat" / f"{ASSIGNMENT}.ipynb")
    (course.submitted / "typo" / ASSIGNMENT[:-1]).mkdir(parents=True)
    shutil.copy(GOOD_NB, course.submitted / "typo" / ASSIGNMENT[:-1] / f"{ASSIGNMENT}.ipynb")
    (course.submitted / "good" / ".DS_Store").write_bytes(b"\0")  # never worth a word
    first = grade(course)
    second = grade(course)
    return course, first, second


TIMESTAMPS = ("ts_garbage", "ts_future", "ts_huge", "ts_binary", "ts_link")


@pytest.mark.parametrize("student", TIMESTAMPS)
def test_a_broken_timestamp_is_one_students_message(robust, student):
    course, first, _ = robust
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert scores(course)[student] == 5
    assert "timestamp.txt ignored" in summary_of(course, student)
    assert journal(course)[student]["timestamp"] is None
    assert_honest(course)


def test_read_timestamp_keeps_a_good_one_and_normalises_it(tmp_path):
    path = tmp_path / "timestamp.txt"
    path.write_text("2026-11-22 09:00:00.000000 UTC")
    assert read_timestamp(path) == ("2026-11-22 09:00:00.000000 UTC", None)
    path.write_text("2026-11-22T10:00:00+01:00")
    assert read_timestamp(path) == ("2026-11-22 09:00:00.000000 UTC", None)


def test_metadata_of_wrong_types_and_sizes_is_graded(robust):
    course, _, _ = robust
    rows = journal(course)
    assert rows["meta_types"]["status"] == "graded"
    assert rows["saved_outputs"]["status"] == "graded"
    assert scores(course)["saved_outputs"] == 5
    # the broken test-cell metadata is repaired from the master: both tests still count
    assert scores(course)["meta_types"] == 5
    assert_honest(course, rows)


def test_odd_folder_names_are_refused_by_name_and_the_rest_graded(robust):
    course, first, _ = robust
    rows = journal(course)
    assert rows["élève"]["status"] == "graded" and scores(course)["élève"] == 5
    for name in ("bad name!", "x" * 100, "-rf", "*"):
        assert name not in rows
    refused = [line for line in first.stdout.splitlines() if line.startswith("REFUSED")
               and "student id" in line]
    assert len(refused) == 5, first.stdout  # four odd names and one that is not UTF-8
    assert any("caf\\xe9" in line for line in refused), refused
    assert_honest(course, rows)


def test_misplaced_submissions_are_named_with_their_path(robust):
    course, first, _ = robust
    refused = [line for line in first.stdout.splitlines() if line.startswith("REFUSED")]
    said = "\n".join(refused)
    assert "loose.ipynb: a file directly in submitted/" in said, first.stdout
    assert f"flat/{ASSIGNMENT}.ipynb: a file outside any assignment folder" in said
    assert "submitted/flat/<assignment>/" in said
    assert f"typo/{ASSIGNMENT[:-1]}: not an assignment of this course (did you mean " \
           f"{ASSIGNMENT}?)" in said
    assert ".DS_Store" not in said
    assert not {"flat", "typo", "loose.ipynb"} & set(journal(course))


def test_a_rerun_converges(robust):
    course, first, second = robust
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    graded = len(journal(course))
    assert f"graded 0, failed 0, needing manual grading 0, already up to date {graded}" \
        in second.stdout
    assert first.stdout.count("REFUSED") == second.stdout.count("REFUSED") == 5 + 3


def test_feedback_survives_malformed_outputs_and_escapes_them(robust):
    course, _, _ = robust
    # an autograded notebook damaged after grading (an older grader, a hand edit)
    path = course.autograded / "saved_outputs" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    raw = json.loads(path.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [
                {"output_type": "display_data", "metadata": {},
                 "data": {"application/vnd.jupyter.widget-view+json": {"model_id": 5}}},
                {"output_type": "execute_result", "data": "not a bundle", "metadata": {},
                 "execution_count": 1},
                {"output_type": "stream", "name": "stdout", "text": 42},
                {"output_type": "teleport"},
            ]
    path.write_text(json.dumps(raw))
    run = cli(course, "feedback")
    assert run.returncode == 0, run.stdout + run.stderr
    students = [s for s, r in journal(course).items() if r["status"] == "graded"]
    for student in students:
        html = course.feedback / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert html.exists(), student
    text = (course.feedback / "bad_outputs" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    # nothing the student's code produced is live markup (their source is shown escaped)
    for live in ("<script>alert(", "<svg onload", "<img src=x onerror", "alert('js')</"):
        assert live not in text, live
    assert "output of type application/javascript not shown" in text
    # what the student printed is shown, escaped (once in the source, once as output)
    printed = text.count("&lt;script&gt;alert(&#39;printed&#39;)") + text.count(
        "&lt;script&gt;alert('printed')")
    assert printed >= 2, printed
    meta = (course.feedback / "meta_types" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "<script>alert('meta')" not in meta


def test_export_lists_everyone_once(robust, tmp_path):
    course, _, _ = robust
    out = tmp_path / "grades.csv"
    run = cli(course, "export", "--csv", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    rows = list(csv.DictReader(out.open()))
    students = {r["student"] for r in rows}
    assert students == set(journal(course))
    assert all(not r["student"].startswith(("=", "+", "-", "@")) for r in rows)


# -- 4. LMS collection ---------------------------------------------------------------------------

def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    require_sandbox()
    base = tmp_path_factory.mktemp("lms")
    course = Course(root=base / "course", source=SOURCE)
    good, blank = GOOD_NB.read_bytes(), BLANK_NB.read_bytes()
    bomb = _zip_bytes({"zeros.bin": b"\0" * (64 * 1024**2)})  # ~64 KiB -> 64 MiB
    archive = base / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"doejane_1001_5001_{ASSIGNMENT}.ipynb", good)  # Canvas
        zf.writestr(f"roebob_late_1002_5002_{ASSIGNMENT}-1.ipynb", blank)  # Canvas, late
        # Moodle folder: Ann's own upload carries a file named as Jane's submission
        zf.writestr(f"Ann Lee_2001_assignsubmission_file_/{ASSIGNMENT}.ipynb", good)
        zf.writestr(f"Ann Lee_2001_assignsubmission_file_/1001_{ASSIGNMENT}.ipynb", blank)
        zf.writestr(f"Ann Lee_2001_assignsubmission_file_/sub/doejane_1001_9_{ASSIGNMENT}"
                    ".ipynb", blank)
        # Canvas: Mallory (1003) names her file as Jane's
        zf.writestr(f"mallory_1003_5003_doejane_1001_5001_{ASSIGNMENT}.ipynb", blank)
        zf.writestr(f"bomber_1004_5004_{ASSIGNMENT}.ipynb", good)
        zf.writestr("bomber_1004_5005_data.zip", bomb)  # never extracted
        zf.writestr("bomber_1004_5006_big.bin", b"\0" * (40 * 1024**2))  # over the bound
        # two uploads claim Carl's notebook: only Carl is not collected
        zf.writestr(f"carl_1005_5007_{ASSIGNMENT}.ipynb", good)
        zf.writestr(f"carl_1005_5008_{ASSIGNMENT}.ipynb", blank)
        # zip slip, absolute paths, a symbolic link
        zf.writestr(f"../../escape_1006_1_{ASSIGNMENT}.ipynb", good)
        zf.writestr(f"/tmp/abs_1007_1_{ASSIGNMENT}.ipynb", good)
        link = zipfile.ZipInfo(f"linker_1008_5009_{ASSIGNMENT}.ipynb")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, str(course.root / "gradebook.db"))
    run = grade(course, "--lms-zip", str(archive), "--assignment", ASSIGNMENT)
    return course, run, base


def test_identity_comes_from_the_lms_record_only(collected):
    course, run, _ = collected
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    got = scores(course)
    assert got["1001"] == 5  # Jane: untouched by Ann's and Mallory's files named as hers
    assert got["1002"] == 0  # Canvas's late marker and "-1" re-upload suffix understood
    assert got["2001"] == 5  # Moodle's folder record
    assert got["1003"] == 0  # Mallory graded as herself
    assert sorted((course.submitted / "1001" / ASSIGNMENT).iterdir()) == \
        [course.submitted / "1001" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    assert "1001" in journal(course) and journal(course)["1001"]["status"] == "graded"


def test_nested_archives_are_not_extracted_and_sizes_are_bounded(collected):
    course, run, _ = collected
    assert "bomber_1004_5005_data.zip: an archive inside an upload is never extracted" \
        in run.stdout
    assert "bomber_1004_5006_big.bin: larger than" in run.stdout
    folder = course.submitted / "1004" / ASSIGNMENT
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total < 1024**2, total
    assert scores(course)["1004"] == 5


def test_unsafe_paths_and_links_are_refused(collected):
    course, run, base = collected
    assert "unsafe path" in run.stdout and "a symbolic link; refused" in run.stdout
    assert not list(base.rglob("escape_*")) and not Path("/tmp/abs_1007_1").exists()
    for student in ("1006", "1007", "1008"):
        assert not (course.submitted / student).exists()


def test_a_name_clash_affects_only_the_students_involved(collected):
    course, run, _ = collected
    assert "1005: NOT collected, two uploads claim the same file" in run.stdout
    assert "1005" not in journal(course)
    assert {"1001", "1002", "2001", "1003", "1004"} <= set(journal(course))


def test_the_safe_checksum_keeps_recorded_submissions_and_bounds_what_it_reads(tmp_path):
    from autograder.staging import scan, submission_checksum
    from autograder.worker import submission_checksum as followed

    folder = SUBMISSIONS / "good" / ASSIGNMENT
    assert submission_checksum(folder) == followed(folder)  # nothing regraded on upgrade
    hostile = tmp_path / "sub"
    hostile.mkdir()
    for index in range(260):
        (hostile / f"f{index:03}.txt").write_text("x")
    for index in range(40):
        os.symlink("/etc/passwd", hostile / f"link{index}")
    os.symlink("loop", hostile / "loop")
    found = scan(hostile, Limits())
    assert len(found.files) == Limits().submission_files
    assert len(found.notes) == 21 and found.notes[-1].startswith("... and ")
    before = submission_checksum(hostile)
    (hostile / "link0").unlink()  # a refused entry changes the checksum too
    assert submission_checksum(hostile) != before


# -- 5. verdicts forged against a course notebook (08, whose tests once ran in the kernel) -------

COURSE_NB = "08_many_parents"
COURSE_MUTANTS = ("topological_sort/wrong_visits_every_path", "topological_sort/right_kahn",
                  "accumulating_backward/wrong_update_per_share",
                  "cycle_check/wrong_recursive")


@pytest.fixture(scope="module")
def forged_08(tmp_path_factory):
    require_sandbox()
    sys.path.insert(0, str(ROOT / "tests" / "notebooks"))
    from nbharness import exercises, mutants, substitute

    base = tmp_path_factory.mktemp("forged08")
    source = base / "source"
    shutil.copytree(ROOT / "notebooks" / COURSE_NB, source / COURSE_NB,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    course = Course(root=base / "course", source=source)
    master = source / COURSE_NB / f"{COURSE_NB}.ipynb"
    found = {f"{m.exercise}/{m.path.stem}": m for ms in mutants(COURSE_NB).values() for m in ms}

    def put(student: str, exercise: str, code: str, whole: bool = False) -> None:
        nb = nbformat.read(master, as_version=4)
        index = exercises(nb)[exercise]
        nb.cells[index].source = code if whole else substitute(nb.cells[index].source, code)
        folder = course.submitted / student / COURSE_NB
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{COURSE_NB}.ipynb")

    shutil.copytree(source / COURSE_NB, course.submitted / "master" / COURSE_NB)
    for name in COURSE_MUTANTS:
        put(name.split("/")[1], found[name].exercise, found[name].code)
    put("forger", "topological_sort", fixture_text("forge_08_topo_order.py"), whole=True)
    summary = Coordinator(course, LocalProcessExecutor(2), progress=False,
                          limits=Limits(cell_seconds=120, notebook_seconds=400)).run()
    return course, summary, {r.student: r for r in summary.graded}, found


def _grades_08(result) -> dict[str, float]:
    return {gid: g["score"] for gid, g in result.notebooks[COURSE_NB]["grades"].items()
            if g["auto"]}


def test_a_verdict_forged_against_08s_old_in_kernel_tests_gains_nothing(forged_08):
    _, summary, results, _ = forged_08
    assert summary.failed == [], summary.table()
    # the topological sort is not solved: its 3 points are lost, whatever the kernel says
    assert _grades_08(results["forger"]) == {"topological_sort_test": 0,
                                            "accumulating_backward_test": 4,
                                            "cycle_check_test": 3}
    review = " ".join(results["forger"].review()).lower()
    assert "adds ipython code transformers" in review
    assert "reassigns a function of math/numpy/builtins" in review
    assert _grades_08(results["master"]) == {"topological_sort_test": 3,
                                            "accumulating_backward_test": 4,
                                            "cycle_check_test": 3}


@pytest.mark.parametrize("name", COURSE_MUTANTS)
def test_08_mutants_score_through_the_grader_as_in_the_notebook(forged_08, name):
    """The honest students of this batch: 08's mutants lose points in their own exercise
    only (wrong) or none (right), through the sandbox and the harness."""
    _, _, results, found = forged_08
    mutant = found[name]
    grades = _grades_08(results[mutant.path.stem])
    lost = {gid for gid, score in grades.items()
            if score < {"topological_sort_test": 3, "accumulating_backward_test": 4,
                        "cycle_check_test": 3}[gid]}
    assert lost == (set() if mutant.right else {f"{mutant.exercise}_test"}), (name, grades)
