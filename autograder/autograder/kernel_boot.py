"""Code the grader runs once in every sandboxed kernel before the student's first cell.

It is sent as source text (silently, outside the kernel's history) because the autograder
package is not mounted in the sandbox. It does two things, both so that verdicts do not
depend on the kernel library's version:

* **Output is bounded where it is produced.** Every stream write (``print``,
  ``sys.stdout.write``, the pipe that carries writes to fd 1/2) and every output message
  (``display``, ``execute_result``, errors) counts against a per-request budget. Past the
  budget nothing more is buffered or sent; the kernel sends one marker message instead, and
  the grader stops the cell with "output limit". A write past the budget from the cell's
  own thread also raises ``OutputLimitExceeded`` there, so the cell ends by itself. So a
  flood never piles up in the kernel's buffers until it hits the memory limit.
* **Every way to end the kernel from Python raises SystemExit.** ``exit()``, ``quit()``,
  ``get_ipython().ask_exit()`` and the ``%exit`` magic raise ``SystemExit`` like
  ``sys.exit``; the grader treats a ``SystemExit`` (and a ``KeyboardInterrupt`` it did not
  send) exactly like a dead kernel. What ipykernel would do with them is never relied on.

This runs inside the student's interpreter, so it defends against accidents and floods,
not against a student who deliberately undoes it: that only harms the student's own cells
(the grader's own output cap and kernel-death detection still apply).
"""

# The names below are deliberately local to one function: nothing is left in the
# student's namespace.


def _treeprop_boot(budget: int, marker_mime: str) -> None:
    import builtins
    import sys
    import threading

    from ipykernel.iostream import OutStream
    from IPython import get_ipython
    from jupyter_client.session import Session

    class OutputLimitExceeded(Exception):
        """Raised by a write past the output budget in the cell's own thread."""

    shell = get_ipython()
    main = threading.main_thread()
    state = {"used": 0, "tripped": False}
    lock = threading.Lock()
    output_types = ("stream", "display_data", "execute_result", "update_display_data")
    original_send = Session.send
    original_write = OutStream.write

    def take(size: int) -> int:
        """Reserve ``size`` bytes of the budget; return how many may go out."""
        with lock:
            allowed = max(0, min(size, budget - state["used"]))
            state["used"] += allowed
            over = allowed < size and not state["tripped"]
            if over:
                state["tripped"] = True
        if over:
            trip()
        return allowed

    def trip() -> None:
        kernel = getattr(shell, "kernel", None)
        if kernel is None:
            return
        content = {"data": {marker_mime: str(budget), "text/plain": "output limit reached"},
                   "metadata": {}, "transient": {}}
        original_send(kernel.session, kernel.iopub_socket, "display_data", content,
                      parent=shell.parent_header, ident=b"display_data")

    def reset(*_args) -> None:
        with lock:
            state["used"] = 0
            state["tripped"] = False

    local = threading.local()

    class BoundedWrite:
        """``OutStream.write`` as a data descriptor: IPython 9 re-binds ``stream.write`` to
        its history tee around every cell; whatever it binds becomes the *inner* write, and
        the budget is always checked outside it (once, even when wrappers nest)."""

        def __get__(self, stream, owner=None):
            if stream is None:
                return self
            inner = stream.__dict__.get("_treeprop_inner") or original_write.__get__(stream)

            def write(string, *args, **kw):
                if getattr(local, "active", False) or not isinstance(string, str):
                    return inner(string, *args, **kw)
                allowed = take(len(string))
                if allowed:
                    local.active = True
                    try:
                        inner(string[:allowed], *args, **kw)
                    finally:
                        local.active = False
                if allowed < len(string) and threading.current_thread() is main:
                    # Stop the flood where it is written, so the cell ends by itself
                    # and never races an interrupt from the grader.
                    raise OutputLimitExceeded(f"more than {budget} bytes of output")
                return len(string)

            write._treeprop_wraps = inner
            return write

        def __set__(self, stream, value) -> None:
            while hasattr(value, "_treeprop_wraps"):
                value = value._treeprop_wraps
            stream.__dict__["_treeprop_inner"] = value

    class NoOutputHistory(dict):
        """IPython 9 keeps every cell's output in memory (``%history -o``): keep none."""

        def __contains__(self, key) -> bool:
            return False

        def __getitem__(self, key):
            return []

        def __setitem__(self, key, value) -> None:
            pass

    def size_of(content) -> int:
        if not isinstance(content, dict):
            return 0
        if "text" in content:
            return len(str(content.get("text", "")))
        total = 0
        for value in (content.get("data") or {}).values():
            total += len(value) if isinstance(value, (str, bytes)) else len(repr(value))
        return total

    def bounded_send(self, stream, msg_or_type, content=None, parent=None, *args, **kw):
        if isinstance(msg_or_type, dict):
            msg_type = msg_or_type.get("header", {}).get("msg_type")
            body = msg_or_type.get("content")
        else:
            msg_type, body = msg_or_type, content
        if msg_type in output_types:
            if isinstance(body, dict) and marker_mime in (body.get("data") or {}):
                pass  # our own marker
            elif msg_type != "stream":  # streams are bounded where they are written
                size = size_of(body)
                if take(size) < size:
                    return None
        elif msg_type == "error" and isinstance(body, dict):
            body["evalue"] = str(body.get("evalue", ""))[:4000]
            body["traceback"] = [str(line)[:4000] for line in
                                 list(body.get("traceback") or [])[:200]]
        return original_send(self, stream, msg_or_type, content, parent, *args, **kw)

    for stream in (sys.stdout, sys.stderr):  # drop the per-instance binding
        if isinstance(stream, OutStream):
            stream.__dict__.pop("write", None)
    OutStream.write = BoundedWrite()
    if hasattr(shell, "history_manager") and hasattr(shell.history_manager, "outputs"):
        shell.history_manager.outputs = NoOutputHistory()
    Session.send = bounded_send
    shell.events.register("pre_execute", reset)

    class _Exit:
        """``exit``/``quit``: always raise SystemExit (the grader ends the notebook)."""

        def __repr__(self) -> str:
            return "Use exit() or Ctrl-D to exit"

        def __call__(self, code=None):
            raise SystemExit(code)

    def ask_exit(*_args, **_kw):
        raise SystemExit(None)

    builtins.exit = builtins.quit = _Exit()
    shell.user_ns["exit"] = shell.user_ns["quit"] = builtins.exit
    shell.ask_exit = ask_exit
    shell.exit_now = False
