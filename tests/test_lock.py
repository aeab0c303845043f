"""The locks in requirements/ describe the whole environment, and the environment obeys them.

A machine set up next month must get the same program as this one: every package
`make setup` installs, transitive ones included, is pinned in a lock, and the
installed environment is checked against it here (nothing missing, nothing at
another version, nothing unlocked). The student set (`make lab`) is a strict subset
of the instructor's and tester's set (`make test`), at the same versions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
#: installed but deliberately not in any lock: treeprop itself (editable, from this folder)
NOT_LOCKED = {"treeprop"}
#: what the student set must never bring (the instructor's and tester's tools)
NOT_FOR_STUDENTS = {"torch", "playwright", "dask", "distributed", "psycopg2-binary", "pytest",
                    "hypothesis", "micrograd", "ruff", "uv"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """``{name: version}`` of a lock; any line that is not an exact pin is an error."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
        if not match:
            raise ValueError(f"{path.name}:{number}: not an exact pin: {raw!r}")
        name = normalise(match.group(1))
        if name in pins and pins[name] != match.group(2):
            raise ValueError(f"{path.name}:{number}: {name} pinned twice")
        pins[name] = match.group(2)
    return pins


def merged(*names: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for name in names:
        for package, version in read_lock(LOCKS / name).items():
            assert pins.get(package, version) == version, f"{package}: the locks disagree"
            pins[package] = version
    return pins


def lock_differences(locked: dict[str, str], installed: dict[str, str]) -> list[str]:
    """What makes ``installed`` differ from ``locked``, one line per package."""
    problems = []
    for name, version in sorted(locked.items()):
        if name not in installed:
            problems.append(f"{name}=={version} is locked but not installed")
        elif installed[name] != version:
            problems.append(f"{name} is {installed[name]}, the lock says {version}")
    for name in sorted(set(installed) - set(locked) - NOT_LOCKED):
        problems.append(f"{name}=={installed[name]} is installed but in no lock")
    return problems


#: run by a venv's own interpreter: the distributions in its site-packages.
#: Only site-packages counts: once imported, setuptools puts its vendored copies
#: (``setuptools/_vendor``, with their dist-info) on ``sys.path``, and those belong to
#: the locked setuptools, they are not installed packages.
INSTALLED_PROBE = """
import json, re, sysconfig
from importlib import metadata
paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
print(json.dumps({re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
                  for d in metadata.distributions(path=paths)}))
"""


def installed_in(python: str | Path) -> dict[str, str]:
    """``{name: version}`` of what pip installed into the venv of ``python``."""
    return json.loads(subprocess.check_output([str(python), "-c", INSTALLED_PROBE], text=True))


@pytest.fixture(scope="module")
def locks():
    return {name: read_lock(LOCKS / f"{name}.lock") for name in ("lab", "test", "torch")}


def test_the_student_set_is_part_of_the_test_set_at_the_same_versions(locks):
    lab, test = locks["lab"], locks["test"]
    assert set(lab) < set(test)
    assert {n: v for n, v in test.items() if n in lab} == lab


def test_the_student_set_has_no_instructor_or_tester_tools(locks):
    assert not NOT_FOR_STUDENTS & set(locks["lab"])
    assert NOT_FOR_STUDENTS - {"torch"} <= set(locks["test"])


def test_every_pyproject_pin_is_the_locked_version(locks):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for spec_list, lock in ((project["dependencies"], "lab"), (extras["dev"], "test"),
                            (extras["torch"], "torch")):
        for spec in spec_list:
            name, version = re.fullmatch(r"([\w.-]+)(?:\[[\w,]+\])?==(\S+)", spec).groups()
            locked = locks[lock][normalise(name)]
            # the CPU build of torch carries a local label (+cpu) that pyproject leaves open
            assert locked.split("+")[0] == version, f"{spec}: {lock}.lock has {locked}"


def test_the_locks_pin_the_installers_too(locks):
    for lock in ("lab", "test"):
        assert {"pip", "setuptools"} <= set(locks[lock])


def test_the_installed_environment_is_the_lock():
    """This interpreter (make test's .venv) holds exactly test.lock (+ torch.lock)."""
    installed = installed_in(sys.executable)
    names = ["test.lock"] + (["torch.lock"] if "torch" in installed or IN_CI else [])
    assert lock_differences(merged(*names), installed) == []


def test_a_drift_would_be_caught(locks):
    """The comparison is not vacuous: each kind of drift is named."""
    installed = dict(locks["lab"], numpy="0.0.1", extra_pkg="1.0")
    del installed["tornado"]
    assert lock_differences(locks["lab"], installed) == [
        f"numpy is 0.0.1, the lock says {locks['lab']['numpy']}",
        f"tornado=={locks['lab']['tornado']} is locked but not installed",
        "extra_pkg==1.0 is installed but in no lock",
    ]
    with pytest.raises(ValueError, match="not an exact pin"):
        bad = LOCKS.parent / "build" / "bad.lock"
        bad.parent.mkdir(exist_ok=True)
        bad.write_text("numpy>=2\n")
        read_lock(bad)


@pytest.mark.slow
def test_make_setup_lab_installs_the_student_set_only(tmp_path):
    """`make lab`'s set-up on a new venv: exactly lab.lock, and the course still works."""
    venv = tmp_path / "lab-venv"
    run = subprocess.run(["make", "--no-print-directory", "setup-lab", f"VENV={venv}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200,
                         env=dict(os.environ, PIP_NO_INPUT="1"))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    python = venv / "bin" / "python"
    installed = installed_in(python)
    assert lock_differences(read_lock(LOCKS / "lab.lock"), installed) == []
    # what a student does with it: import the course, draw a tree, and make student versions
    use = ("import treeprop, treeprop.viz, ipywidgets, matplotlib, nbgrader\n"
           "from treeprop import Add, Input, Parameter\n"
           "print(type(treeprop.viz.draw(Add(Input(1.0), Parameter(2.0)))).__name__)")
    out = subprocess.run([str(python), "-c", use], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    course = tmp_path / "course"
    made = subprocess.run([str(python), "-m", "autograder", "--course", str(course),
                           "--source", str(ROOT / "notebooks"), "students"],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT / "autograder")))
    assert made.returncode == 0, made.stdout[-1500:] + made.stderr[-2500:]
    assert sorted(p.name for p in (course / "release").glob("0*")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("0*"))
    assert sys.executable != str(python)
