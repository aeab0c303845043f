"""The grader run by an ordinary user: no setpriv, no cgroups, bwrap through user namespaces.

An instructor without root gets the weaker sandbox the sandbox module describes (memory
polled, processes counted per uid). The grades must not change: this grades a batch of
fixtures in a user namespace where the grader's uid is 1000 (``unshare --map-user``), the
code path an unprivileged instructor takes, and compares every score with the fixtures'
expectations and with the root batch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_sandbox

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "autograder" / "fixtures"
EXPECTED = json.loads((FIXTURES / "submissions" / "EXPECTED.json").read_text())
# Not fork_bomb: the namespace's uid 1000 is the host's root, which the kernel exempts from
# RLIMIT_NPROC, so the per-uid process limit of an ordinary instructor cannot be seen here
# (a fork bomb then runs until the cell's time limit and takes the next cell with it).
STUDENTS = ["good", "blank", "infinite_loop", "memory_bomb", "os_exit", "disk_fill",
            "output_flood", "forge_fake_agent", "forge_socket_spam", "secret_history"]

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

GRADE = """
import json, os, sys
sys.path.insert(0, {autograder!r}); sys.path.insert(0, {root!r})
from pathlib import Path
from autograder.coordinator import Coordinator
from autograder.course import Course
from autograder.executors import SerialExecutor
from autograder.sandbox import cgroup_support
from tests.autograder.test_autograder import LIMITS, autograded_score, summary_text
course = Course(root=Path({course!r}), source=Path({source!r}))
summary = Coordinator(course, SerialExecutor(), limits=LIMITS, progress=False).run()
print(json.dumps({{"uid": os.geteuid(), "cgroups": cgroup_support(),
                   "failed": [f.student for f in summary.failed],
                   "graded": {{r.student: [autograded_score(r), summary_text(r)]
                              for r in summary.graded}}}}))
"""


def test_an_unprivileged_grader_gives_the_same_grades(tmp_path):
    require_sandbox()
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed to run the grader as an ordinary user"
    course = tmp_path / "course"
    for student in STUDENTS:
        shutil.copytree(FIXTURES / "submissions" / student, course / "submitted" / student)
    script = GRADE.format(autograder=str(ROOT / "autograder"), root=str(ROOT),
                          course=str(course), source=str(FIXTURES / "source"))
    done = subprocess.run([unshare, "--user", "--map-user=1000", "--map-group=1000",
                           sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["uid"] == 1000
    assert "NOT available" in report["cgroups"], report["cgroups"]  # the weaker sandbox
    assert report["failed"] == []
    assert sorted(report["graded"]) == sorted(STUDENTS)
    for student in STUDENTS:
        score, text = report["graded"][student]
        expected_score, expected_text = EXPECTED[student]
        assert score == expected_score, (student, text)
        if expected_text:
            assert expected_text in text, (student, text)
