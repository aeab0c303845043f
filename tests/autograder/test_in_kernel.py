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
from autograder.harness import (  # noqa: E402
    Channel,
    HarnessGlobals,
    Sink,
    Wire,
    run_test_cell,
)

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
        if silent:
            wire = Wire.open(kc, km, reply["content"])
    yield km, kc, wire
    wire.close()
    kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)


def verdict(kernel, source):
    km, kc, wire = kernel
    channel = Channel(kc, km, Sink(1 << 20), deadline=time.monotonic() + 30, wire=wire)
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


# -- nodes_below: a whole graph in one request; properties of a test's own node class --------

GRAPH = '''
from treeprop.nodes import Input
from treeprop.ops import Add, Multiply

def shared_graph():
    x = Input(2.0, name="x")
    b = Add(x, x, name="b")
    return Add(b, Multiply(b, x, name="m"), name="top")

def chain(n):
    node = Input(0.0)
    for _ in range(n):
        node = Add(node, Input(1.0))
    return node
'''

SURVEY = '''
top = shared_graph()
found = nodes_below(top, "name", "nothing")
names = [name for _, _, name, _ in found]
assert names == ["top", "b", "x", "m"], names
assert all(missing is None for _, _, _, missing in found)
kids = {name: [c.name for c in children] for _, children, name, _ in found}
assert kids == {"top": ["b", "m"], "b": ["x", "x"], "x": [], "m": ["b", "x"]}, kids
assert found[0][0] is top and found[1][1][0] is found[2][0]  # handles keep their identity
'''


def _with_graph_helpers(kernel):
    from jupyter_core.utils import run_sync

    _, kc, _ = kernel
    reply = run_sync(kc.execute_interactive)(GRAPH, timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_nodes_below_describes_a_graph_as_the_notebook_helper_does(kernel):
    from treeprop.course import nodes_below

    _with_graph_helpers(kernel)
    assert verdict(kernel, SURVEY).passed, verdict(kernel, SURVEY).message
    namespace = {"nodes_below": nodes_below}
    exec(GRAPH + SURVEY, namespace)  # the same test in plain Python: the same answers


def test_nodes_below_costs_one_request_however_large_the_graph(kernel):
    _with_graph_helpers(kernel)
    small = verdict(kernel, "top = chain(5)\nassert len(nodes_below(top)) == 11")
    large = verdict(kernel, "top = chain(3000)\nassert len(nodes_below(top)) == 6001")
    assert small.passed and large.passed, (small.message, large.message)
    assert large.requests == small.requests


def forged_verdict(kernel, forged_serve: str, source: str):
    """The verdict on ``source`` while the submission's own ``_treeprop_serve`` (defined by
    ``forged_serve``, which may call the real one as ``_real``) answers the grader."""
    from jupyter_core.utils import run_sync

    _, kc, _ = kernel
    run_sync(kc.execute_interactive)("_real = _treeprop_serve\n" + forged_serve, timeout=60)
    try:
        return verdict(kernel, source)
    finally:
        run_sync(kc.execute_interactive)("_treeprop_serve = _real", timeout=60)


def test_a_malformed_description_from_the_kernel_scores_zero(kernel):
    # a submission that answers the survey itself with something that is not a graph
    forged = ("import json\n"
              "def _treeprop_serve(token):\n"
              "    while True:\n"
              "        message = json.loads(_real.socket.recv())\n"
              "        if message.get('t') != token:\n"
              "            continue\n"
              "        if 'done' in message:\n"
              "            return\n"
              "        if message['rpc']['op'] == 'survey':\n"
              "            _real.socket.send_string(json.dumps(\n"
              "                {'t': token, 'n': message['n'], 'ok': {'$l': [1, 2]}}))\n"
              "        else:\n"
              "            _real.socket.send_string(_real.answer(message, token))\n")
    _with_graph_helpers(kernel)
    caught = forged_verdict(kernel, forged, "assert len(nodes_below(shared_graph())) == 4")
    assert not caught.passed and caught.limit == "channel", caught
    assert "malformed" in caught.message


COUNTED = '''
reads = [0]

class Watched(Add):
    @property
    def children(self):
        reads[0] += 1
        return self._kids

    @children.setter
    def children(self, kids):
        self._kids = kids

node = Input(0.0)
for _ in range(6):
    node = Watched(node, node)
reads[0] = 0
order = {walk}(node)
assert len(order) == 7
assert reads[0] <= 4 * 6, reads[0]  # counted here, in the harness, for each read in the kernel
'''


def test_a_test_class_property_counts_every_read_made_in_the_kernel(kernel):
    from jupyter_core.utils import run_sync

    _, kc, _ = kernel
    walks = ("from treeprop.graph import topological_order\n"
             "def per_path(node):\n"
             "    out = [node]\n"
             "    for child in node.children:\n"
             "        out += [n for n in per_path(child) if all(n is not o for o in out)]\n"
             "    return out\n")
    run_sync(kc.execute_interactive)(GRAPH + walks, timeout=60)
    assert verdict(kernel, COUNTED.format(walk="topological_order")).passed
    caught = verdict(kernel, COUNTED.format(walk="per_path"))
    assert not caught.passed and caught.ename == "AssertionError", caught
    assert int(caught.message) >= 2**6 - 1, caught  # one read per path, each counted here


@pytest.mark.parametrize("junk", ["[" * 100_000, "{" * 10, "not json", "[1, 2]"])
def test_a_kernel_that_answers_junk_scores_zero_with_a_clear_reason(kernel, junk):
    """Whatever comes back on the grading socket, the verdict is a channel failure."""
    forged = ("def _treeprop_serve(token):\n"
              "    _real.socket.recv()\n"
              f"    _real.socket.send_string({junk!r})\n")
    caught = forged_verdict(kernel, forged, "assert careful([3, 1]) == 2")
    assert not caught.passed and caught.limit == "channel", caught
    assert "not JSON" in caught.message or "not an object" in caught.message, caught


def test_systemexit_in_the_submissions_code_during_a_test_is_named_as_such(kernel):
    """Not a channel failure: the grader ends the notebook as for a plain cell's exit."""
    from jupyter_core.utils import run_sync

    _, kc, _ = kernel
    run_sync(kc.execute_interactive)("def leave(x):\n    raise SystemExit(3)\n", timeout=60)
    caught = verdict(kernel, "assert leave(1) == 1")
    assert not caught.passed and caught.ename == "SystemExit", caught
    assert caught.limit is None and "raised SystemExit" in caught.message, caught
    assert verdict(kernel, "assert careful([3, 1]) == 2").passed  # the kernel lives on
