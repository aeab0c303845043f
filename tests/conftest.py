"""Shared test helpers: system parts that must exist under CI."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"


def require_program(program: str, package: str) -> str:
    """The path of ``program``; outside CI a missing one skips, under CI it fails.

    ``make test`` installs system parts where it can, so under CI a missing
    program is a broken set-up, never a reason to skip.
    """
    path = shutil.which(program)
    if path:
        return path
    message = f"{program} not found: install the {package} package (make system-{package})"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str, hint: str) -> object:
    """Import ``name``; outside CI a missing module skips, under CI it fails."""
    try:
        return __import__(name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"{name} is not installed under CI: {hint}")
        pytest.skip(f"{name} is not installed: {hint}")


def require_sandbox() -> None:
    """bwrap and a working grading sandbox; outside CI a missing one skips, under CI it fails."""
    from autograder.sandbox import check_sandbox  # the grader's own check of this machine

    require_program("bwrap", "bubblewrap")
    problem = check_sandbox()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
