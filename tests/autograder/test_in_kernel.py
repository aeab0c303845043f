"""``in_kernel``: a test hands the submission the kernel's own list and sees what it did to it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "autograder") not in sys.path:
    sys.path.insert(0, str(ROOT / "autograder"))

from autograder.execute import BOOT_SOURCE  # noqa: E402
from autograder.harness import Channel, HarnessGlobals, Sink, run_test_cell  # noqa: E402

pytestmark = [pytest.mark.autograder, pytest.mark.slow]

STUDENT = '''
def tidy(rows):
    rows.sort()          # changes the caller's list
    return len(rows)

def careful(rows):
    return len(sorted(rows))
'''


@pytest.fixture(scope="module")
def kernel():
    """A real kernel with the grader's boot code and agent, as SandboxExecute starts it
    (asynchronous client, as nbclient's), and a student's two functions."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)()
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)
    code = (f"exec(compile({BOOT_SOURCE + chr(10) + '_treeprop_boot(1048576, chr(120))'!r}, "
            f"'<boot>', 'exec'), {{}})")
    for source, silent in ((code, True), (STUDENT, False)):
        reply = run_sync(kc.execute_interactive)(source, silent=silent, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    yield km, kc
    kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)


def verdict(kernel, source):
    km, kc = kernel
    channel = Channel(kc, km, Sink(1 << 20), deadline=time.monotonic() + 30)
    return run_test_cell(source, channel, HarnessGlobals(channel), "<test>")


CHECK = '''
rows = in_kernel([[3, 1], [1, 2], [2, 0]])
before = list(rows)
assert {name}(rows) == 3
assert list(rows) == before, "the caller's rows were changed"
'''


def test_a_change_to_the_callers_list_is_seen(kernel):
    caught = verdict(kernel, CHECK.format(name="tidy"))
    assert not caught.passed and "the caller's rows were changed" in caught.message


def test_code_that_leaves_it_alone_passes(kernel):
    assert verdict(kernel, CHECK.format(name="careful")).passed


def test_a_plain_list_is_still_a_copy(kernel):
    """Without in_kernel the submission gets a copy: the change is invisible (why it exists)."""
    copy = verdict(kernel, "rows = [[3, 1], [1, 2]]\nbefore = list(rows)\ntidy(rows)\n"
                           "assert rows == before")
    assert copy.passed


def test_in_the_notebook_it_is_the_value_itself():
    from treeprop.course import in_kernel

    rows = [[3, 1]]
    assert in_kernel(rows) is rows
