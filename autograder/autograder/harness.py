"""The trusted harness: test cells are run here, in the grader's process, never in the kernel.

The student's notebook runs in the sandboxed kernel. A test cell (visible and hidden
tests) is *not* sent there: the harness executes its source in its own interpreter, where
every name the cell does not define itself resolves, in this order, to

1. the harness's own builtins (a student's ``float`` or ``len`` is never used),
2. the instructor's helpers: imports of trusted modules and ``def`` statements of the
   notebook's locked cells, run here (a student's ``check_close`` or ``math`` never is),
3. a :class:`Remote` handle to the object of that name in the kernel.

Every use of a handle (attribute, call, item, ``len``, ``float``, ...) is one request over
the grader's own socket to the kernel's agent, carrying only JSON (see
:mod:`autograder.kernel_agent`).
Answers come back as plain values (numbers, strings, lists, tuples, dicts, sets, numpy
arrays) or as new handles. A handle can be compared only with itself (identity): ``==``
or ``<`` against a value, ``bool()`` and ``hash`` by value are refused, so an object with
a lying ``__eq__``, ``__float__`` or ``__bool__`` cannot pass a test; the comparison always
happens here, on plain values. Functions of the test passed to student code (a callback)
stay here too: the kernel calls them back over the same socket.

What the kernel sees is only requests (the names, attributes and arguments of the calls):
the test's source, its expected values and its asserts never leave this process, so the
kernel's history, hooks, input transformers and tracing see none of it, and a verdict is
decided where the student has no code.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import io
import json
import math
import secrets
import time
from dataclasses import dataclass, field

import zmq
from jupyter_core.utils import run_sync

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# Modules a test may use by the notebook's name (``math``, ``np``): always the harness's own.
TRUSTED_MODULES = frozenset({
    "math", "cmath", "numpy", "random", "itertools", "functools", "operator", "statistics",
    "collections", "fractions", "decimal", "json", "re", "string", "copy", "time",
})
MAX_REPLY = 16 * 1024**2
RCVHWM = 8  # messages the grader queues from one kernel (the kernel's sends wait past it)


class GraderChannelError(Exception):
    """The kernel's answer broke the protocol (tampered agent, unreadable reply)."""


class KernelGone(Exception):
    """The kernel died while the harness waited for it."""


class TestTimeLimit(Exception):
    """The test cell used up its time."""


class KernelEnded(Exception):
    """The submission's code raised SystemExit or KeyboardInterrupt while a test ran."""


class OutputFlood(Exception):
    """The submission's code kept printing past the output limit and was interrupted."""


# How long the submission's code may go on after passing the output limit before the
# grader interrupts it, in a test or in a plain cell (the kernel stops a flood written from
# its own thread at once).
FLOOD_GRACE_SECONDS = 1.0


class RemoteException(Exception):
    """Base of the harness-side copies of exceptions raised in the kernel."""


class NotPlain(TypeError):
    """A test compared or tested the truth of a kernel object that is not a plain value."""


def _not_plain(remote: Remote) -> NotPlain:
    return NotPlain(
        f"got an object of type {remote._type} where the test needs a plain value (a "
        "number, string, list, tuple or dict); the grader compares only plain values")


class Remote:
    """A handle to an object in the kernel; every use is one request (see the module doc)."""

    __slots__ = ("_ch", "_hid", "_type", "__weakref__")

    def __init__(self, channel: Channel, hid: int, type_name: str):
        object.__setattr__(self, "_ch", channel)
        object.__setattr__(self, "_hid", hid)
        object.__setattr__(self, "_type", type_name)

    def _ask(self, op: str, *args, **extra):
        return self._ch.request({"op": op, "target": {"$h": self._hid},
                                 "args": self._ch.encode(list(args)), **extra})

    def __getattribute__(self, name: str):
        if name in ("__new__", "__init__"):  # ``Base.__init__(self, ...)`` in a test class
            return object.__getattribute__(self, "_ask")("getattr", name=name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str):
        if name in _PROBES:  # protocol probes of numpy, copy, pickle: not kernel questions
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __mro_entries__(self, bases):
        """``class T(KernelClass)`` in a test: the class is made in the kernel."""
        return (_RemoteClassMaker,)

    def __setattr__(self, name: str, value) -> None:
        self._ask("setattr", value, name=name)

    def __call__(self, *args, **kwargs):
        return self._ask("call", *args, kwargs=self._ch.encode(kwargs))

    def __getitem__(self, key):
        return self._ask("getitem", key)

    def __setitem__(self, key, value) -> None:
        self._ask("setitem", key, value)

    def __len__(self) -> int:
        return _expect(self._ask("len"), int, "len()")

    def __iter__(self):
        items = self._ask("iter")
        return iter(items if isinstance(items, list) else [])

    def __contains__(self, item) -> bool:
        return _expect(self._ask("contains", item), bool, "in")

    def __float__(self) -> float:
        value = self._ask("float")
        return float(_expect(value, (float, int), "float()"))

    def __int__(self) -> int:
        return _expect(self._ask("int"), int, "int()")

    def __index__(self) -> int:
        return _expect(self._ask("int"), int, "an index")

    def __str__(self) -> str:
        return _expect(self._ask("str"), str, "str()")

    def __repr__(self) -> str:
        return _expect(self._ask("repr"), str, "repr()")

    def __format__(self, spec: str) -> str:
        return _expect(self._ask("format", spec), str, "format()")

    def __instancecheck__(self, obj) -> bool:
        if not isinstance(obj, Remote):
            return False
        return _expect(obj._ask("isinstance", self), bool, "isinstance()")

    def __subclasscheck__(self, cls) -> bool:
        if not isinstance(cls, Remote):
            return False
        return _expect(cls._ask("issubclass", self), bool, "issubclass()")

    def __eq__(self, other):
        if isinstance(other, Remote):
            return self is other
        raise _not_plain(self)

    def __ne__(self, other):
        if isinstance(other, Remote):
            return self is not other
        raise _not_plain(self)

    def __lt__(self, other):
        raise _not_plain(self)

    __le__ = __gt__ = __ge__ = __lt__

    def __bool__(self):
        raise _not_plain(self)

    def __hash__(self) -> int:
        return object.__hash__(self)

    def _binop(self, name, *args):
        return self._ask("binop", *args, name=name)

    def __add__(self, other):
        return self._binop("add", other)

    def __sub__(self, other):
        return self._binop("sub", other)

    def __mul__(self, other):
        return self._binop("mul", other)

    def __truediv__(self, other):
        return self._binop("truediv", other)

    def __pow__(self, other):
        return self._binop("pow", other)

    def __neg__(self):
        return self._binop("neg")

    def __abs__(self):
        return self._binop("abs")

    def __radd__(self, other):
        return self._ch.request({"op": "binop", "name": "add", "target": self._ch.encode(other),
                                 "args": self._ch.encode([self])})

    def __rmul__(self, other):
        return self._ch.request({"op": "binop", "name": "mul", "target": self._ch.encode(other),
                                 "args": self._ch.encode([self])})

    def __rsub__(self, other):
        return self._ch.request({"op": "binop", "name": "sub", "target": self._ch.encode(other),
                                 "args": self._ch.encode([self])})


_PROBES = frozenset({
    "__array__", "__array_interface__", "__array_struct__", "__array_priority__",
    "__array_function__", "__array_ufunc__", "__deepcopy__", "__copy__", "__reduce__",
    "__reduce_ex__", "__getstate__", "__setstate__", "__length_hint__", "__fspath__",
    "__await__", "__aiter__", "__iter__", "__next__", "__enter__", "__exit__",
    "__bool__", "__len__", "__float__", "__int__", "__index__", "__complex__",
    "__wrapped__", "__signature__", "__origin__", "_fields", "__dataclass_fields__",
})


class _RemoteClassMeta(type):
    """Builds a test's class in the kernel; its methods stay here, called back."""

    def __new__(mcls, name, bases, namespace, **kwargs):
        if namespace.get("_maker"):  # the maker itself
            return super().__new__(mcls, name, bases, namespace)
        originals = namespace.get("__orig_bases__", ())
        remotes = [b for b in originals if isinstance(b, Remote)]
        if not remotes or len(remotes) != len(originals):
            raise TypeError("a test class can derive from kernel classes only")
        channel = remotes[0]._ch
        body = {k: v for k, v in namespace.items()
                if k not in ("__module__", "__qualname__", "__orig_bases__", "__classcell__")}
        return channel.request({"op": "mkclass", "name": name, "target": None,
                                "args": channel.encode(list(remotes)),
                                "namespace": channel.encode(body)})


class _RemoteClassMaker(metaclass=_RemoteClassMeta):
    _maker = True


def _expect(value, kinds, what: str):
    if isinstance(value, bool) and kinds is not bool and bool not in (
            kinds if isinstance(kinds, tuple) else (kinds,)):
        value = int(value)
    if not isinstance(value, kinds):
        if isinstance(value, Remote):
            raise _not_plain(value)
        raise NotPlain(f"the kernel answered {what} with a {type(value).__name__}")
    return value


class LiveList(list):
    """A kernel list read from an attribute or item: a plain copy whose changes are also
    made to the kernel's list (``child._parents.append(node)`` in a test works)."""

    def __init__(self, items, channel: Channel, ref: int):
        super().__init__(items)
        self._channel, self._ref = channel, ref

    def _kernel(self, method: str, *args):
        self._channel.request({"op": "callattr", "name": method, "target": {"$h": self._ref},
                               "args": self._channel.encode(list(args))})

    def append(self, item) -> None:
        self._kernel("append", item)
        super().append(item)

    def extend(self, items) -> None:
        items = list(items)
        self._kernel("extend", items)
        super().extend(items)

    def insert(self, index, item) -> None:
        self._kernel("insert", index, item)
        super().insert(index, item)

    def remove(self, item) -> None:
        self._kernel("remove", item)
        super().remove(item)

    def pop(self, index=-1):
        self._kernel("pop", index)
        return super().pop(index)

    def clear(self) -> None:
        self._kernel("clear")
        super().clear()

    def __setitem__(self, index, item) -> None:
        self._kernel("__setitem__", index, item)
        super().__setitem__(index, item)


@dataclass
class Sink:
    """What the student's own code printed while the harness called it (bounded)."""

    limit: int
    outputs: list = field(default_factory=list)
    size: int = 0
    flooded: bool = False

    def add(self, output: dict) -> None:
        size = len(json.dumps(output, default=str))
        if self.flooded or self.size + size > self.limit:
            self.flooded = True
            return
        self.size += size
        if output.get("output_type") == "stream" and self.outputs and \
                self.outputs[-1].get("output_type") == "stream":
            self.outputs[-1]["text"] += output["text"]
            return
        self.outputs.append(output)


class Channel:
    """The harness's end of the grading channel to one kernel (see the module doc)."""

    def __init__(self, kc, km, sink: Sink, deadline: float, wire: Wire):
        self.kc, self.km, self.sink, self.deadline, self.wire = kc, km, sink, deadline, wire
        self.token = secrets.token_hex(8)  # this test cell's session
        self.session: str | None = None  # msg_id of the serve execute
        self.session_reply: dict | None = None
        self.session_idle = False
        self.timed_out = False
        self.remotes: dict[int, Remote] = {}
        self.exceptions: dict[int, type] = {}
        self.callbacks: dict[int, object] = {}
        self.names: dict[str, object] = {}
        self.flood_since: float | None = None
        self.flood_interrupted = False
        self.requests = 0

    # -- values --------------------------------------------------------------------------
    def encode(self, value, depth: int = 0):
        if depth > 60:
            raise TypeError("a value nested too deeply to send to the kernel")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if isinstance(value, Remote):
            return {"$h": value._hid}
        if isinstance(value, LiveList) and type(value._ref) is int:
            return {"$h": value._ref}  # a list the test read from the kernel: that list
        if isinstance(value, property):  # a property of a test class: both sides called back
            return {"$p": [self.encode(value.fget, depth + 1),
                           self.encode(value.fset, depth + 1)]}
        if isinstance(value, type) and getattr(value, "_hid", None) is not None:
            return {"$x": value._hid}
        if kind is list:
            return {"$l": [self.encode(v, depth + 1) for v in value]}
        if kind is tuple:
            return {"$t": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {"$d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                           for k, v in value.items()]}
        if kind in (set, frozenset):
            return {"$s": [self.encode(v, depth + 1) for v in value]}
        import numpy

        if isinstance(value, numpy.ndarray):
            return {"$nd": self.encode(value.tolist()), "dtype": str(value.dtype)}
        if isinstance(value, numpy.generic):
            return self.encode(value.item())
        if callable(value):
            cid = len(self.callbacks) + 1
            self.callbacks[cid] = value
            return {"$cb": cid}
        raise TypeError(f"the test tried to send a {kind.__name__} to the kernel; only plain "
                        "values, kernel objects and functions can be sent")

    def decode(self, value, depth: int = 0):
        if depth > 200:
            raise GraderChannelError("a reply nested too deeply")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if not isinstance(value, dict) or len(value) == 0:
            raise GraderChannelError("a malformed value in the kernel's reply")
        if "$l" in value and isinstance(value["$l"], list):
            items = [self.decode(v, depth + 1) for v in value["$l"]]
            ref = value.get("$ref")
            return LiveList(items, self, ref) if type(ref) is int else items
        if "$t" in value and isinstance(value["$t"], list):
            return tuple(self.decode(v, depth + 1) for v in value["$t"])
        if "$d" in value and isinstance(value["$d"], list):
            out = {}
            for pair in value["$d"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise GraderChannelError("a malformed dict in the kernel's reply")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError as error:
                    raise GraderChannelError("an unhashable dict key") from error
            return out
        if "$s" in value and isinstance(value["$s"], list):
            try:
                return {self.decode(v, depth + 1) for v in value["$s"]}
            except TypeError as error:
                raise GraderChannelError("an unhashable set member") from error
        if "$f" in value and value["$f"] in ("nan", "inf", "-inf"):
            return float(value["$f"])
        if "$nd" in value:
            import numpy

            dtype = value.get("dtype")
            if not isinstance(dtype, str) or dtype[:1] not in "biuf" and not \
                    dtype.startswith(("float", "int", "uint", "bool")):
                raise GraderChannelError("a malformed array in the kernel's reply")
            data = self.decode(value["$nd"], depth + 1)
            return numpy.array(data, dtype=dtype)
        if "$h" in value and type(value["$h"]) is int:
            hid = value["$h"]
            if hid not in self.remotes:
                self.remotes[hid] = Remote(self, hid, str(value.get("type", "object"))[:80])
            return self.remotes[hid]
        if "$x" in value and type(value["$x"]) is int:
            return self._exception_class(value)
        raise GraderChannelError("a malformed value in the kernel's reply")

    def _exception_class(self, info: dict) -> type:
        hid = info["$x"]
        if hid in self.exceptions:
            return self.exceptions[hid]
        name = str(info.get("name", "Error"))[:80]
        base = _builtin_exception(info.get("base"))
        trusted = _treeprop_exception(info.get("module"), info.get("qualname"))
        if getattr(builtins, name, None) is base:
            cls = base  # a builtin exception is the harness's own builtin
        elif trusted is not None:  # treeprop's own (CycleError): the harness's copy
            cls = type(name, (RemoteException, trusted), {"_hid": hid})
        else:
            cls = type(name, (RemoteException, base), {"_hid": hid})
        self.exceptions[hid] = cls
        return cls

    def raise_remote(self, error: dict):
        if not isinstance(error, dict):
            raise GraderChannelError("a malformed error in the kernel's reply")
        classes = [c for c in error.get("classes", []) if isinstance(c, dict) and "$x" in c]
        message = str(error.get("message", ""))[:4000]
        cls = None
        for info in reversed(classes):  # build the chain from the root down
            known = self._exception_class(info)
            if cls is not None and known is not cls and not issubclass(known, cls) and \
                    issubclass(known, RemoteException):
                known = type(known.__name__, (known, cls), {"_hid": info["$x"]}) \
                    if _compatible(known, cls) else known
            cls = known
        if cls is None:
            cls = _builtin_exception(error.get("base"))
        exc = cls(message) if cls is not KeyError else cls(message)
        exc.remote_type = str(error.get("type", cls.__name__))[:80]
        raise exc

    # -- requests ------------------------------------------------------------------------
    def request(self, request: dict):
        """One question to the kernel's agent, answered over the grading socket."""
        self.requests += 1
        if self.session is None:
            self._open_session()
        self.wire.sequence += 1
        number = self.wire.sequence
        self.wire.send({"t": self.token, "n": number, "rpc": request})
        reply = self._wait(number)
        if "error" in reply:
            self.raise_remote(reply["error"])
        if "ok" not in reply:
            raise GraderChannelError("the kernel's reply has no value")
        return self.decode(reply["ok"])

    def _open_session(self) -> None:
        """Start the kernel's serve loop for this test cell: one execute for all its requests."""
        self.session = self.kc.execute(f"_treeprop_serve({self.token!r})", silent=True,
                                       store_history=False, allow_stdin=False)

    def close(self) -> None:
        """End this test cell's session and collect what it printed (bounded wait)."""
        if self.session is None or self.session_reply is not None and self.session_idle:
            return
        with contextlib.suppress(Exception):
            self.wire.send({"t": self.token, "done": True})
        self.deadline = min(self.deadline, time.monotonic() + 5) if not self.timed_out \
            else time.monotonic() + 2
        with contextlib.suppress(Exception):
            self._wait(None)

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            if not self.timed_out:
                self.timed_out = True
                self._interrupt()
            raise TestTimeLimit()
        return left

    def _interrupt(self) -> None:
        with contextlib.suppress(Exception):
            run_sync(self.km.interrupt_kernel)()

    def _stop_flood(self) -> None:
        """Interrupt a flood that goes on past the grace time (once per flood)."""
        if not self.sink.flooded or self.flood_interrupted:
            return
        now = time.monotonic()
        if self.flood_since is None:
            self.flood_since = now
        elif now - self.flood_since >= FLOOD_GRACE_SECONDS:
            self.flood_interrupted = True
            self._interrupt()

    def _wait(self, number: int | None) -> dict:
        """The reply to request ``number`` (None: the session's end), serving callbacks and
        keeping the student's output meanwhile."""
        quiet = 0.0
        wire = self.wire
        while True:
            self._stop_flood()
            if self.session_reply is not None and self.session_idle:
                if number is None:
                    return {}
                for _ in range(RCVHWM + 1):  # a reply that came before the session's end
                    message = wire.receive(self.token, block=False)
                    if message is None or message.get("n") == number:
                        break
                if message is not None and message.get("n") == number:
                    return message
                raise self._session_ended()
            left = self._left()
            ready = wire.poll(min(left, 1.0))
            if not ready:
                quiet += 1.0
                if quiet >= 2 and not run_sync(self.km.is_alive)():
                    raise KernelGone()
                continue
            quiet = 0.0
            if wire.socket in ready:
                message = wire.receive(self.token, block=False)
                if message is not None:
                    if "callback" in message:
                        self._callback(message)
                    elif number is not None and message.get("n") == number and (
                            "ok" in message or "error" in message):
                        return message
            if wire.iopub in ready:
                for msg in wire.drain(wire.iopub):
                    if msg.get("parent_header", {}).get("msg_id") != self.session:
                        continue
                    content = msg.get("content", {})
                    self._output(msg.get("msg_type"), content)
                    if msg.get("msg_type") == "status" and \
                            content.get("execution_state") == "idle":
                        self.session_idle = True
            if wire.shell in ready:
                for msg in wire.drain(wire.shell):
                    if msg.get("parent_header", {}).get("msg_id") == self.session and \
                            msg.get("msg_type") == "execute_reply":
                        self.session_reply = msg.get("content", {}) or {"status": "?"}

    def _session_ended(self) -> Exception:
        """The serve loop ended before it answered: why, as the test's failure."""
        if self.flood_interrupted:
            return OutputFlood("the submission's code printed past the output limit")
        ename = str(self.session_reply.get("ename", ""))
        if self.session_reply.get("status") == "error" and not self.timed_out and \
                ename in ("SystemExit", "KeyboardInterrupt"):
            error = KernelEnded(f"the submission's code raised {ename} during the test")
            error.remote_type = ename
            return error
        return GraderChannelError(
            "the kernel did not answer the grader (its channel was altered or removed)")

    def _callback(self, message: dict) -> None:
        function = self.callbacks.get(message.get("callback"))
        try:
            if function is None:
                raise GraderChannelError("the kernel called back an unknown function")
            args = self.decode(message.get("args", {"$l": []}))
            kwargs = self.decode(message.get("kwargs", {"$d": []}))
            if not isinstance(args, list) or not isinstance(kwargs, dict) or \
                    not all(isinstance(k, str) for k in kwargs):
                raise GraderChannelError("the kernel called back with malformed arguments")
            result = {"ok": self.encode(function(*args, **kwargs))}
        except (KernelGone, TestTimeLimit, GraderChannelError):
            raise
        except Exception as error:  # noqa: BLE001 - handed to the student's code
            result = {"error": {"base": _builtin_exception(type(error).__name__).__name__,
                                "message": str(error)[:2000]}}
        self.wire.send({"t": self.token, "reply": result})

    def _output(self, kind: str, content: dict) -> None:
        """Keep what the student's code printed or displayed (never a result or error)."""
        if kind == "stream":
            self.sink.add({"output_type": "stream", "name": "stdout",
                           "text": str(content.get("text", ""))})
        elif kind == "display_data":
            data = content.get("data", {})
            if isinstance(data, dict):
                if any(str(k).startswith("application/x-treeprop") for k in data):
                    self.sink.flooded = self.sink.flooded or \
                        "application/x-treeprop-output-limit" in data
                    return
                self.sink.add({"output_type": "display_data",
                               "data": {str(k): v for k, v in data.items()},
                               "metadata": {}})



class Wire:
    """The grader's socket to one kernel's agent, and synchronous views of the kernel's
    shell and iopub sockets: a request is one send and one receive, with no event loop and
    no execute of its own (the harness's share of a request is tens of microseconds)."""

    BATCH = 256

    def __init__(self, kc, endpoint: str):
        self.session = kc.session
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PAIR)
        self.socket.setsockopt(zmq.LINGER, 0)
        # A larger message is dropped by zmq; past RCVHWM the kernel's sends wait: what a
        # kernel can make the grader hold is bounded (RCVHWM x MAX_REPLY).
        self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_REPLY)
        self.socket.setsockopt(zmq.RCVHWM, RCVHWM)
        # Connected once, never again: a socket the kernel later puts at that path (where
        # its folder stays writable, without root) is never reached.
        self.socket.setsockopt(zmq.RECONNECT_IVL, -1)
        self.socket.connect(endpoint)
        self.iopub = zmq.Socket.shadow(kc.iopub_channel.socket.underlying)
        self.shell = zmq.Socket.shadow(kc.shell_channel.socket.underlying)
        self.poller = zmq.Poller()
        for socket in (self.socket, self.iopub, self.shell):
            self.poller.register(socket, zmq.POLLIN)
        self.sequence = 0

    @classmethod
    def open(cls, kc, km, boot_reply: dict) -> Wire:
        """Connect to the agent installed by the boot execute whose reply is ``boot_reply``.
        Only where the agent said it listens, and only before any student code ran."""
        endpoint = None
        for payload in (boot_reply or {}).get("payload", []) or []:
            if isinstance(payload, dict) and payload.get("source") == "treeprop-endpoint":
                endpoint = payload.get("data")
        if not isinstance(endpoint, str):
            raise GraderChannelError("the kernel's agent did not say where it listens")
        if endpoint.startswith("ipc://"):
            # the kernel's path, seen from here (inside the sandbox's own root if any)
            root = getattr(km, "sandbox_root", None) or ""
            endpoint = "ipc://" + root + endpoint[len("ipc://"):]
        elif not endpoint.startswith("tcp://"):
            raise GraderChannelError("the kernel's agent listens on an unknown transport")
        return cls(kc, endpoint)

    def send(self, message: dict) -> None:
        self.socket.send(json.dumps(message).encode())

    def poll(self, timeout: float) -> set:
        return {socket for socket, _ in self.poller.poll(int(max(0.0, timeout) * 1000))}

    def receive(self, token: str, block: bool = True) -> dict | None:
        """The next message on the grading socket that belongs to session ``token``; None
        if there is none yet (after at most ``BATCH`` stale ones, so a kernel that sends
        without end never keeps the harness from its deadline)."""
        for _ in range(self.BATCH):
            try:
                data = self.socket.recv(0 if block else zmq.NOBLOCK)
            except zmq.Again:
                return None
            try:
                message = json.loads(data)
            except (ValueError, RecursionError) as error:  # RecursionError: "[[[[..."
                raise GraderChannelError("the kernel's reply is not JSON") from error
            if not isinstance(message, dict):
                raise GraderChannelError("the kernel's reply is not an object")
            if message.get("t") == token:
                return message
        return None

    def drain(self, socket) -> list[dict]:
        """The messages waiting on one of the kernel's own sockets (at most ``BATCH``),
        parsed and their signatures checked."""
        found = []
        for _ in range(self.BATCH):
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            with contextlib.suppress(Exception):  # a bad signature: not the kernel's
                _, frames = self.session.feed_identities(frames)
                found.append(self.session.deserialize(frames))
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.socket.close(linger=0)
            self.context.term()


def _builtin_exception(name) -> type:
    cls = getattr(builtins, str(name), None) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls
    return Exception


def _treeprop_exception(module, qualname) -> type | None:
    if not isinstance(module, str) or not isinstance(qualname, str) or \
            module.split(".")[0] != "treeprop" or "." in qualname:
        return None
    try:
        cls = getattr(importlib.import_module(module), qualname, None)
    except Exception:  # noqa: BLE001 - unknown module: no mapping
        return None
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None


def _harness_type(*args):
    """``type(x)``: for a kernel object, a handle to its kernel class (``type(n) is Add``)."""
    if len(args) == 1 and isinstance(args[0], Remote):
        return args[0]._ask("type")
    return builtins.type(*args)


def _compatible(a: type, b: type) -> bool:
    try:
        type("probe", (a, b), {})
    except TypeError:
        return False
    return True


class HarnessGlobals(dict):
    """Globals of harness code: builtins, then helpers, then the kernel's names."""

    def __init__(self, channel: Channel, helpers: dict | None = None):
        super().__init__()
        self.channel = channel
        self.helpers = helpers if helpers is not None else {}
        self._in_kernel = _in_kernel_of(channel)
        self._nodes_below = _nodes_below_of(channel)
        self["__builtins__"] = builtins
        self["__name__"] = "__treeprop_test__"

    def __missing__(self, name: str):
        if name == "type":
            return _harness_type
        if name == "in_kernel":
            return self._in_kernel
        if name == "nodes_below":
            return self._nodes_below
        if hasattr(builtins, name):
            return getattr(builtins, name)
        if name in self.helpers:
            return self.helpers[name]
        cache = self.channel.names
        if name not in cache:
            value = self.channel.request({"op": "get", "name": name})
            if isinstance(value, Remote) and value._type == "module":
                module = value._ask("getattr", name="__name__")
                if isinstance(module, str) and module.split(".")[0] in TRUSTED_MODULES:
                    value = importlib.import_module(module)
            cache[name] = value
        return cache[name]


def _in_kernel_of(channel):
    def in_kernel(value):
        """``value`` built in the kernel, as a handle: the submission gets the kernel's own
        object (a list it may change in place), and the test reads it back afterwards."""
        return channel.request({"op": "keep", "args": channel.encode([value])})
    return in_kernel


def _nodes_below_of(channel):
    def nodes_below(root, *attributes):
        """Every node below ``root`` once, as ``(node, children, *values)``: one request for
        the whole graph instead of one per node (``treeprop.course.nodes_below`` in the
        notebook). The kernel's answer is only a description; its shape is checked here."""
        names = list(attributes)
        if not all(isinstance(name, str) for name in names):
            raise TypeError("nodes_below takes attribute names (strings)")
        found = channel.request({"op": "survey", "target": channel.encode(root),
                                 "args": channel.encode(names)})
        width = 2 + len(names)
        if not isinstance(found, list) or not all(
                isinstance(entry, tuple) and len(entry) == width and isinstance(entry[1], list)
                for entry in found):
            raise GraderChannelError("the kernel's description of a graph is malformed")
        return found
    return nodes_below


def helper_statements(source: str) -> str | None:
    """The parts of a locked instructor cell the harness runs too: trusted imports and defs."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    keep = []
    for node in tree.body:
        if isinstance(node, ast.Import) and all(
                a.name.split(".")[0] in TRUSTED_MODULES for a in node.names):
            keep.append(node)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in \
                TRUSTED_MODULES and node.level == 0:
            keep.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            keep.append(node)
    if not keep:
        return None
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


def hidden_lines(source: str) -> set[int]:
    """Line numbers (1-based) inside the hidden-test markers."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


@dataclass
class Verdict:
    """The harness's decision on one test cell."""

    passed: bool
    ename: str = ""
    message: str = ""
    limit: str | None = None  # "time", "kernel", "output", "channel"
    outputs: list = field(default_factory=list)
    requests: int = 0

    def cell_outputs(self) -> list[dict]:
        """nbgrader reads the outputs: a failure is an error *first* (score 0, whatever
        follows); a pass has no error, no stderr and never an execute_result."""
        outputs = list(self.outputs)
        if not self.passed:
            outputs.insert(0, {"output_type": "error", "ename": self.ename,
                               "evalue": self.message,
                               "traceback": [f"{self.ename}: {self.message}"]})
        return outputs


def run_test_cell(source: str, channel: Channel, helpers: dict, label: str) -> Verdict:
    """Execute one test cell in the harness; the verdict never depends on kernel code."""
    channel.names.clear()
    secret = hidden_lines(source)
    printed = io.StringIO()
    namespace = HarnessGlobals(channel, helpers)
    try:
        code = compile(source, label, "exec")
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)  # noqa: S102 - the instructor's test, in the harness
        finally:
            channel.close()
    except TestTimeLimit:
        return _finish(channel, printed, False, "CellTimeoutError",
                       "the test cell used up its time limit", "time")
    except KernelEnded as error:
        return _finish(channel, printed, False, error.remote_type, str(error), None)
    except KernelGone:
        return _finish(channel, printed, False, "KernelDied",
                       "the kernel died while the test called the submission's code", "kernel")
    except GraderChannelError as error:
        return _finish(channel, printed, False, "GraderChannelError",
                       f"{error}; the test scores 0", "channel")
    except Exception as error:  # noqa: BLE001 - any failure of the test is its verdict
        line = _failing_line(error, label)
        ename = getattr(error, "remote_type", None) or type(error).__name__
        message = str(error)
        if line in secret:
            message = (f"a hidden test failed ({ename}"
                       + (f": {message}" if isinstance(error, RemoteException) or
                          hasattr(error, "remote_type") else "") + ")")
            ename = "HiddenTestFailed"
        elif isinstance(error, AssertionError) and not message:
            message = f"an assertion failed (line {line} of the test cell)"
        return _finish(channel, printed, False, ename, message[:4000], None)
    return _finish(channel, printed, True, "", "", None)


def _finish(channel, printed, passed, ename, message, limit) -> Verdict:
    if channel.sink.flooded:
        passed, ename, limit = False, "OutputLimitExceeded", "output"
        message = "the submission's code printed more than the output limit during the test"
    outputs = list(channel.sink.outputs)
    text = printed.getvalue()
    if text:
        outputs.append({"output_type": "stream", "name": "stdout", "text": text[:100_000]})
    return Verdict(passed, ename, message, limit, outputs, channel.requests)


def _failing_line(error: BaseException, label: str) -> int:
    tb = error.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == label:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
