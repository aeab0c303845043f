"""nbgrader preprocessors that execute a submission safely.

* :class:`SandboxExecute`: nbgrader's Execute with a per-notebook time budget, an output
  cap that interrupts a flooding cell, stray-process cleanup (fork bombs) and a kernel
  death that marks the remaining cells instead of failing the notebook. Test cells are
  never sent to the kernel: every one of them, in every notebook, is decided by the trusted
  harness (:mod:`autograder.harness`). No master and no submission can opt out.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import nbformat
import zmq
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

from .harness import FLOOD_GRACE_SECONDS
from .sandbox import Limits, process_tree

REPORT_KEY = "treeprop_grading"
OUTPUT_LIMIT_MIME = "application/x-treeprop-output-limit"


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _report(nb) -> dict:
    return nb.metadata.setdefault(REPORT_KEY, {"flags": [], "messages": [], "review": []})


def _is_locked_code(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("locked")) and not meta.get("grade") \
        and not meta.get("solution")


def _fail(cell, ename: str, message: str) -> None:
    cell.outputs.append(new_output("error", ename=ename, evalue=message,
                                   traceback=[f"{ename}: {message}"]))


class SandboxExecute(Execute):
    """nbgrader's Execute with a notebook time budget, an output cap and crash handling."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._limits = {}

    def _limit(self, name, default):
        km_cfg = self.config.get("SandboxKernelManager", {})
        return km_cfg.get("sandbox_limits", {}).get(name, default)

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        report = _report(nb)
        budget = float(self._limit("notebook_seconds", 300))
        cell_seconds = float(self._limit("cell_seconds", 30))
        self._out_cap = int(self._limit("output_bytes", 1024**2))
        self._nb_out_cap = int(self._limit("notebook_output_bytes", 8 * 1024**2))
        self._nb_out = 0
        deadline = time.monotonic() + budget
        self.timeout_func = None
        stop_reason = None
        self._wire = None
        try:
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                if info:
                    nb.metadata["language_info"] = info["content"]["language_info"]
                problem = self._boot_kernel()
                if problem:
                    report["messages"].append(problem)
                pid = self.km.kernel_host_pid() if hasattr(self.km, "kernel_host_pid") else None
                keep = self._sandbox_pids(pid)
                self._limits_now = Limits.from_dict(
                    self.config.get("SandboxKernelManager", {}).get("sandbox_limits", {}))
                self._events_seen = self._sandbox_events()
                self._killed_said = False
                if problem:
                    raise RuntimeError(f"the grading channel could not be set up: {problem}")
                from .harness import HarnessGlobals

                helpers = HarnessGlobals(None)
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if stop_reason:
                        self._mark_not_run(cell, stop_reason)
                        continue
                    left = deadline - time.monotonic()
                    if left <= 1:
                        stop_reason = (f"the notebook used up its time limit of {budget:g} s; "
                                       "this cell was not run")
                        report["messages"].append(f"notebook time limit ({budget:g} s) reached")
                        self._mark_not_run(cell, stop_reason)
                        continue
                    self.timeout = int(max(1, min(cell_seconds, left)))
                    if is_test_cell(cell):
                        stop_reason = self._harness_cell(cell, index, helpers, report, keep, pid)
                        continue
                    self._cell_out = 0
                    self._flooded = False
                    self._flood_interrupted = False
                    timed_out = False
                    started = time.monotonic()
                    try:
                        self.preprocess_cell(cell, resources, index)
                    except DeadKernelError:
                        self._cancel_late_interrupt()
                        _fail(cell, "KernelDied", KERNEL_ENDED_CELL)
                        report["messages"].append(self._death_message(index))
                        stop_reason = NOT_RUN_AFTER_END
                        continue
                    except CellTimeoutError:
                        timed_out = True
                        _fail(cell, "CellTimeoutError", f"cell exceeded {self.timeout} s")
                    self._cancel_late_interrupt()
                    timed_out = (timed_out or time.monotonic() - started >= self.timeout - 0.5
                                 or any(o.get("ename") == "CellTimeoutError"
                                        for o in cell.get("outputs", [])))
                    how = _ended_by_itself(cell,
                                           interrupted_by_us=timed_out or self._flood_interrupted)
                    if how:
                        report["messages"].append(kernel_ended_message(index, how))
                        stop_reason = NOT_RUN_AFTER_END
                    if self._flood_interrupted:
                        # Wait for the kernel here, so the interrupt reaches this cell (or an
                        # idle kernel, which ignores it) and never lands in the next cell.
                        self._responsive()
                    if keep is not None:
                        strays = _kill_descendants(pid, keep)
                        if strays:
                            report["messages"].append(
                                f"cell {index} left {strays} stray processes (killed)")
                    if self._flooded:
                        report["messages"].append(f"cell {index} exceeded the output limit")
                    for note in _limit_notes(cell, self._limits_now) + self._sandbox_notes():
                        report["messages"].append(f"cell {index} {note}")
                    if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                        report["messages"].append(
                            f"cell {index} exceeded the time limit of {self.timeout} s")
                        if not self._responsive():
                            stop_reason = ("the kernel stopped responding after a cell timed "
                                           "out; this cell was not run")
                    if not stop_reason and _is_locked_code(cell):
                        self._learn_helpers(cell, helpers, report)
        finally:
            if self._wire is not None:
                self._wire.close()
        return nb, self.resources

    # -- the trusted harness -------------------------------------------------------------
    def _learn_helpers(self, cell, helpers, report) -> None:
        """Run the instructor's trusted imports and defs of a locked cell in the harness."""
        from .harness import helper_statements

        code = helper_statements(cell.source)
        if not code:
            return
        try:
            exec(compile(code, "<instructor helpers>", "exec"), helpers)  # noqa: S102
        except Exception as error:  # noqa: BLE001 - the master's own code
            report["messages"].append(f"instructor helper code failed in the harness: "
                                      f"{type(error).__name__}: {error}"[:300])

    def _harness_cell(self, cell, index, helpers, report, keep, pid) -> str | None:
        """Decide one test cell in the harness; returns a stop reason or None."""
        from .harness import Channel, Sink, run_test_cell

        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        channel = Channel(self.kc, self.km, Sink(self._out_cap),
                          deadline=time.monotonic() + self.timeout, wire=self._wire)
        helpers.channel = channel
        verdict = run_test_cell(cell.source, channel, helpers, f"<test {grade_id}>")
        cell.outputs = [nbformat.from_dict(o) for o in verdict.cell_outputs()]
        cell.execution_count = (cell.get("execution_count") or 0) or index
        if keep is not None:
            strays = _kill_descendants(pid, keep)
            if strays:
                report["messages"].append(f"cell {index} left {strays} stray processes "
                                          "(killed)")
        if verdict.ename == "NotPlain":
            report["flags"].append({"grade_id": grade_id, "reason": verdict.message})
        if verdict.limit == "channel":
            report["flags"].append({"grade_id": grade_id, "reason": verdict.message})
        elif verdict.limit == "output":
            report["messages"].append(f"cell {index} exceeded the output limit")
        elif verdict.limit == "time":
            report["messages"].append(f"cell {index} exceeded the time limit of "
                                      f"{self.timeout} s")
            if not self._responsive():
                return ("the kernel stopped responding after a cell timed out; this cell "
                        "was not run")
        elif verdict.limit == "kernel":
            report["messages"].append(self._death_message(index))
            return NOT_RUN_AFTER_END
        if verdict.ename in ("SystemExit", "KeyboardInterrupt"):
            report["messages"].append(kernel_ended_message(
                index, "exit" if verdict.ename == "SystemExit" else "interrupt"))
            return NOT_RUN_AFTER_END
        for note in _limit_notes(cell, self._limits_now) + self._sandbox_notes():
            report["messages"].append(f"cell {index} {note}")
        return None

    # -- limits by name ------------------------------------------------------------------
    def _sandbox_events(self) -> dict:
        try:
            return dict(self.km.sandbox_events()) if hasattr(self.km, "sandbox_events") else {}
        except OSError:  # the cgroup is already gone
            return {}

    def _sandbox_notes(self, died: bool = False) -> list[str]:
        """What the sandbox's own counters saw since the last cell, each limit by name and
        value (the cgroup's OOM kills and refused forks; the grader's memory poll)."""
        now = self._sandbox_events()
        seen, self._events_seen = self._events_seen, now or self._events_seen
        limits, notes = self._limits_now, []
        if now.get("oom_kills", 0) > seen.get("oom_kills", 0):
            notes.append(f"reached the sandbox's memory limit of "
                         f"{_mib(limits.sandbox_memory_bytes)} (all its processes and files "
                         "together): " + ("the kernel was killed (out of memory)" if died
                                          else "a process was killed (out of memory)"))
        if now.get("fork_refused", 0) > seen.get("fork_refused", 0):
            notes.append(f"hit the process limit of {limits.processes} processes and threads "
                         "for the sandbox (a new one was refused)")
        killed = getattr(self.km, "sandbox_killed", None)
        if killed and not self._killed_said:
            self._killed_said = True
            notes.append(f"was stopped by the grader: {killed}")
        return notes

    def _death_message(self, index: int) -> str:
        """The kernel died in cell ``index``: the limit that killed it if a counter says so."""
        notes = self._sandbox_notes(died=True)
        if notes:
            return (f"kernel died in cell {index}: it " + "; it ".join(notes) +
                    "; the cells after it were not run and score 0")
        limits = self._limits_now
        return kernel_ended_message(index, "died").replace(
            "a CPU or memory limit", f"a limit ({limits.cpu_seconds:g} s of CPU time, "
            f"{_mib(limits.memory_bytes)} of memory per process, "
            f"{_mib(limits.sandbox_memory_bytes)} for the sandbox)")

    # -- helpers -------------------------------------------------------------------------
    def _boot_kernel(self) -> str | None:
        """Run :mod:`autograder.kernel_boot` silently in the fresh kernel (None if it worked)."""
        # Its own globals: names the student later shadows (``len``, ``float``, ``list``)
        # in the notebook's namespace never reach the grader's kernel-side code.
        source = BOOT_SOURCE + (f"\n_treeprop_boot({int(self._out_cap)}, "
                                f"{OUTPUT_LIMIT_MIME!r})\n")
        code = f"exec(compile({source!r}, '<treeprop grader>', 'exec'), {{}})"
        saved = self.timeout
        self.timeout = 30
        try:
            msg_id = self.kc.execute(code, silent=True, store_history=False)
            reply = self.wait_for_reply(msg_id)
        except Exception as error:  # noqa: BLE001 - reported, grading goes on
            return (f"kernel set-up failed ({type(error).__name__}); output bounded by the "
                    "grader only")
        finally:
            self.timeout = saved
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            return (f"kernel set-up failed ({content.get('ename')}: "
                    f"{str(content.get('evalue'))[:200]}); output bounded by the grader only")
        from .harness import GraderChannelError, Wire

        try:
            self._wire = Wire.open(self.kc, self.km, content)
        except (GraderChannelError, zmq.ZMQError) as error:
            return f"the grading channel could not be opened ({error})"
        if hasattr(self.km, "wait_ipc_locked") and not self.km.wait_ipc_locked():
            return "the kernel's socket folder could not be made read-only"
        return None

    def _mark_not_run(self, cell, reason: str) -> None:
        cell.outputs = []
        cell.metadata["treeprop_not_run"] = True
        _fail(cell, "NotRun", reason)

    def _responsive(self) -> bool:
        saved = self.timeout
        self.timeout = 5
        try:
            reply = self.wait_for_reply(self.kc.kernel_info())
        except Exception:
            return False
        finally:
            self.timeout = saved
        return reply is not None

    @staticmethod
    def _sandbox_pids(pid) -> set[int] | None:
        """bwrap, the sandbox's init and the kernel: every process before student code ran."""
        if pid is None:
            return None
        for _ in range(50):
            found = _descendants(pid)
            if len(found) >= 2:
                return {pid, *found}
            time.sleep(0.05)
        return None

    def _interrupt_flood(self) -> None:
        self._late_interrupt = None
        self._flood_interrupted = True
        asyncio.ensure_future(self.km.interrupt_kernel())

    def _cancel_late_interrupt(self) -> None:
        handle = getattr(self, "_late_interrupt", None)
        if handle is not None:
            handle.cancel()
            self._late_interrupt = None

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        cell_out = getattr(self, "_cell_out", 0) + size
        marker = isinstance(content.get("data"), dict) and OUTPUT_LIMIT_MIME in content["data"]
        if self._flooded or marker or cell_out > self._out_cap or \
                self._nb_out + size > self._nb_out_cap:
            if not self._flooded:
                self._flooded = True
                outs.append(new_output("error", ename="OutputLimitExceeded",
                                       evalue=f"more than {self._out_cap} bytes of output; "
                                       "the cell was interrupted",
                                       traceback=["OutputLimitExceeded"]))
                # Not at once: a cell that flooded in one write and then ended would be
                # hit while the kernel sends its reply, and the reply would be lost (a
                # false time-out). The kernel stops a flood in the cell itself; this is
                # the backstop for one that keeps going (a thread, a caught exception).
                self._late_interrupt = asyncio.get_running_loop().call_later(
                    FLOOD_GRACE_SECONDS, self._interrupt_flood)
            return None  # dropped: floods never pile up in memory
        self._cell_out = cell_out
        self._nb_out += size
        return super().output(outs, msg, display_id, cell_index)


BOOT_SOURCE = (Path(__file__).with_name("kernel_boot.py").read_text()
               + Path(__file__).with_name("kernel_agent.py").read_text()
               + "\n_treeprop_agent_install()\n")
KERNEL_ENDED_CELL = ("the kernel ended while running this cell (exit, os._exit, a signal, "
                     "os.abort, a crash, or a CPU or memory limit)")
NOT_RUN_AFTER_END = ("the kernel died or was ended by the submission in an earlier cell; "
                     "this cell was not run and scores 0")
_ENDED_HOW = {
    "exit": "it raised SystemExit: exit(), quit(), sys.exit() or raise SystemExit",
    "interrupt": "it interrupted itself: SIGINT or KeyboardInterrupt",
    "died": "the kernel process ended: os._exit, a signal such as SIGKILL or SIGTERM, "
            "os.abort, a crash, or a CPU or memory limit",
}


def kernel_ended_message(index: int, how: str) -> str:
    """The one message for every way a submission ends its kernel (see ``_ENDED_HOW``)."""
    return (f"kernel died in cell {index}: {_ENDED_HOW[how]}; the cells after it were not "
            "run and score 0")


def _ended_by_itself(cell, interrupted_by_us: bool) -> str | None:
    """'exit' / 'interrupt' when a cell ended its kernel from Python, else None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        if output.get("ename") == "SystemExit":
            return "exit"
        if output.get("ename") == "KeyboardInterrupt" and not interrupted_by_us:
            return "interrupt"
    return None


def _mib(size: float) -> str:
    size = float(size)
    return f"{size / 1024**3:g} GiB" if size >= 1024**3 and size % 1024**3 == 0 \
        else f"{size / 1024**2:.0f} MiB"


# (exception name or "", text in its message or "", what the student is told with the value)
_LIMIT_PATTERNS = [
    ("MemoryError", "", lambda lim: (f"hit the memory limit ({_mib(lim.memory_bytes)} per "
                                     f"process, {_mib(lim.sandbox_memory_bytes)} for the "
                                     "whole sandbox)")),
    ("", "No space left on device",
     lambda lim: f"filled its disk quota ({_mib(lim.disk_bytes)} for all its files)"),
    ("", "Disk quota exceeded",
     lambda lim: f"filled its disk quota ({_mib(lim.disk_bytes)} for all its files)"),
    ("", "File too large",
     lambda lim: f"hit the file size limit ({_mib(lim.file_bytes)} per file)"),
    ("BlockingIOError", "Resource temporarily unavailable",
     lambda lim: f"hit the process limit ({lim.processes} processes and threads)"),
    ("RuntimeError", "can't start new thread",
     lambda lim: f"hit the process limit ({lim.processes} processes and threads)"),
    ("", "Too many open files",
     lambda lim: f"hit the open-file limit ({lim.open_files} files at once)"),
    ("", "Network is unreachable", lambda lim: "tried to use the network (blocked)"),
    ("PermissionError", "", lambda lim: "was denied access to a file"),
]


def _limit_notes(cell, limits: Limits | None = None) -> list[str]:
    """A limit named, with its value, for each error a sandbox limit explains."""
    limits = limits or Limits()
    notes = []
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
        for name, text, note in _LIMIT_PATTERNS:
            if (not name or name == ename) and (not text or text in evalue):
                notes.append(f"{note(limits)} ({ename})")
                break
    return notes


def _kill_descendants(pid: int, keep: set[int]) -> int:
    """Kill every process under the sandbox (bwrap ``pid``) except ``keep``: fork bombs.

    Orphans are adopted by the sandbox's own init (a pid namespace), so every process the
    student started is a descendant of bwrap; nothing outside the sandbox is touched.
    """
    import signal

    killed = 0
    for child in _descendants(pid):
        if child in keep:
            continue
        try:
            os.kill(child, signal.SIGKILL)
            killed += 1
        except OSError:
            pass
    return killed


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (not ``pid`` itself)."""
    return [member for member in process_tree(pid) if member != pid]
