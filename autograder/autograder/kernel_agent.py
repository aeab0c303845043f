"""The kernel side of the grading channel: answers the harness's requests with plain data.

Sent as source text once per kernel (silently, outside the history), like
:mod:`autograder.kernel_boot`. It is *untrusted* by design: it runs in the student's
interpreter, so the student may replace it. The harness (:mod:`autograder.harness`)
therefore trusts nothing it says beyond its JSON shape; a lying agent can only give wrong
answers, which the harness judges like any wrong answer.

Requests and replies are JSON. Values: JSON scalars; ``{"$l": [...]}`` list,
``{"$t": [...]}`` tuple, ``{"$d": [[k, v], ...]}`` dict, ``{"$s": [...]}`` set,
``{"$f": "nan"|"inf"|"-inf"}``, ``{"$nd": nested, "dtype": str}`` numpy array,
``{"$h": id, "type": name}`` a handle to any other kernel object,
``{"$x": id, "name": name, "base": builtin}`` an exception class,
``{"$cb": id}`` a harness function (called back through the stdin channel),
``{"$p": [getter, setter]}`` a property of a test's class (both harness functions).
A reply is ``{"ok": value}`` or ``{"error": {"type", "base", "classes", "message"}}``.
The ``keep`` request builds its argument in the kernel and answers with a handle to it, so a
test can hand the submission a list of the kernel's own and see afterwards whether it changed.
The ``survey`` request describes a whole graph at once (every node below the target once, with
its children and the attributes asked for), so a test of a 6,000-node graph is one request.

Transport: the agent binds its own zmq PAIR socket next to the kernel's sockets (inside the
sandbox's private ipc folder) and the harness connects to it. A test cell is one *session*:
the harness runs ``_treeprop_serve(token)`` once (a silent execute) and then sends requests
``{"t": token, "n": k, "rpc": request}``; the agent answers each with ``{"t", "n", "ok" |
"error"}``, calls a harness function back with ``{"t", "callback": id, "args", "kwargs"}``
(answered by ``{"t", "reply": ...}``, with nested requests in between), and returns on
``{"t", "done": true}``. So a request costs one message each way, not one execute of its
own; a message carrying another session's token is stale and ignored.
"""


MAX_MESSAGE = 16 * 1024**2  # the harness's limit too (zmq drops anything larger)


def _treeprop_agent_install() -> None:
    import builtins
    import json
    import math
    import operator
    import sys

    import zmq
    from IPython import get_ipython

    shell = get_ipython()
    objects: dict = {}
    ids: dict = {}
    plain_exceptions = {name: getattr(builtins, name) for name in dir(builtins)
                        if isinstance(getattr(builtins, name), type)
                        and issubclass(getattr(builtins, name), Exception)}

    def handle(obj) -> int:
        key = id(obj)
        if key not in ids:
            ids[key] = len(objects) + 1
            objects[ids[key]] = obj
        return ids[key]

    def builtin_base(cls) -> str:
        for klass in cls.__mro__:
            if klass.__name__ in plain_exceptions and plain_exceptions[klass.__name__] is klass:
                return klass.__name__
        return "Exception"

    def enc(value, depth=0):
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if depth < 60:
            if kind is list:
                return {"$l": [enc(v, depth + 1) for v in value]}
            if kind is tuple:
                return {"$t": [enc(v, depth + 1) for v in value]}
            if kind is dict:
                return {"$d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in value.items()]}
            if kind in (set, frozenset):
                return {"$s": [enc(v, depth + 1) for v in value]}
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            if kind is numpy.ndarray and value.dtype.kind in "biuf":
                return {"$nd": enc(value.tolist()), "dtype": str(value.dtype)}
            if kind in (numpy.float64, numpy.float32, numpy.float16):
                return enc(float(value))
            if kind in (numpy.int64, numpy.int32, numpy.int16, numpy.int8, numpy.uint8):
                return int(value)
            if kind is numpy.bool_:
                return bool(value)
        if isinstance(value, type) and issubclass(value, BaseException):
            return {"$x": handle(value), "name": value.__name__, "base": builtin_base(value),
                    "module": str(getattr(value, "__module__", "")),
                    "qualname": str(getattr(value, "__qualname__", ""))}
        return {"$h": handle(value), "type": kind.__name__}

    def callback(cid):
        def call_harness(*args, **kwargs):
            token = state["token"]
            if token is None or state["done"]:
                raise RuntimeError("a function of the grader's test was called after its test "
                                   "ended")
            send({"t": token, "callback": cid, "args": enc(list(args)), "kwargs": enc(kwargs)})
            while True:  # the harness may ask things while we wait for its answer
                message = receive(token)
                if "rpc" in message:
                    send(answer(message, token))
                elif "reply" in message:
                    reply = message["reply"] if isinstance(message["reply"], dict) else {}
                    break
                elif "done" in message:
                    state["done"] = True
                    raise RuntimeError("the grader's test ended while its function ran")
            if "error" in reply:
                raise plain_exceptions.get(reply["error"].get("base"), RuntimeError)(
                    reply["error"].get("message", "the grader's function failed"))
            return dec(reply.get("ok"))
        return call_harness

    def dec(value):
        if isinstance(value, list):
            return [dec(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$l" in value:
            return [dec(v) for v in value["$l"]]
        if "$t" in value:
            return tuple(dec(v) for v in value["$t"])
        if "$d" in value:
            return {dec(k): dec(v) for k, v in value["$d"]}
        if "$s" in value:
            return {dec(v) for v in value["$s"]}
        if "$f" in value:
            return float(value["$f"])
        if "$h" in value:
            return objects[value["$h"]]
        if "$x" in value:
            return objects[value["$x"]]
        if "$cb" in value:
            return callback(value["$cb"])
        if "$p" in value:  # a property of a test's class: getter and setter in the harness
            getter, setter = (dec(v) for v in value["$p"])
            return property(getter, setter)
        if "$nd" in value:
            import numpy

            return numpy.array(dec(value["$nd"]), dtype=value.get("dtype"))
        raise ValueError("bad value")

    binary = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
              "truediv": operator.truediv, "floordiv": operator.floordiv,
              "mod": operator.mod, "pow": operator.pow, "matmul": operator.matmul,
              "neg": operator.neg, "pos": operator.pos, "abs": operator.abs}

    def run(request):
        op = request["op"]
        if op == "get":
            name = request["name"]
            if name not in shell.user_ns:
                raise NameError(f"name {name!r} is not defined")
            return shell.user_ns[name]
        target = dec(request.get("target"))
        args = dec(request.get("args", []))
        if op == "getattr":
            return getattr(target, request["name"])
        if op == "setattr":
            setattr(target, request["name"], args[0])
            return None
        if op == "call":
            return target(*args, **dec(request.get("kwargs", {"$d": []})))
        if op == "callattr":
            return getattr(target, request["name"])(*args,
                                                    **dec(request.get("kwargs", {"$d": []})))
        if op == "getitem":
            return target[args[0]]
        if op == "setitem":
            target[args[0]] = args[1]
            return None
        if op == "len":
            return len(target)
        if op == "iter":
            return list(target)
        if op == "contains":
            return args[0] in target
        if op == "float":
            return float(target)
        if op == "int":
            return int(target)
        if op == "str":
            return str(target)
        if op == "repr":
            return repr(target)
        if op == "format":
            return format(target, args[0])
        if op == "isinstance":
            return isinstance(target, args[0])
        if op == "issubclass":
            return isinstance(target, type) and issubclass(target, args[0])
        if op == "typename":
            return type(target).__name__
        if op == "hasattr":
            return hasattr(target, request["name"])
        if op == "type":
            return type(target)
        if op == "mkclass":
            namespace = dec(request.get("namespace", {"$d": []}))
            bases = tuple(args)

            def method(function):
                def call(self, *a, **k):
                    return function(self, *a, **k)
                return call

            body = {key: method(value) if callable(value) else value
                    for key, value in namespace.items()}
            return type(request["name"], bases, body)
        if op == "binop":
            function = binary[request["name"]]
            return function(target, *args)
        if op == "survey":  # every node below target once: (node, children, *attributes)
            found, seen, stack = [], set(), [target]
            while stack:
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                children = list(node.children)
                found.append(tuple([node, children]
                                   + [getattr(node, name, None) for name in args]))
                stack.extend(reversed(children))
            return found
        if op == "keep":  # build a value here and answer with a handle to it
            return Kept(args[0])
        raise ValueError(f"unknown request {op!r}")

    class Kept:
        """Marks a value to be answered by handle, never copied back."""

        def __init__(self, value):
            self.value = value

    def serve(request):
        try:
            value = run(request)
            if isinstance(value, Kept):
                return {"ok": {"$h": handle(value.value), "type": type(value.value).__name__}}
            out = enc(value)
            if type(value) is list and request["op"] in ("getattr", "getitem") and \
                    isinstance(out, dict):
                out["$ref"] = handle(value)  # the harness may change it in place
            return {"ok": out}
        except Exception as error:  # noqa: BLE001 - every failure goes back as data
            classes = [enc(klass) for klass in type(error).__mro__
                       if issubclass(klass, BaseException)]
            try:
                message = str(error)
            except Exception:  # noqa: BLE001
                message = "(unprintable error)"
            return {"error": {"type": type(error).__name__, "base": builtin_base(type(error)),
                              "classes": classes, "message": message[:4000],
                              "args": enc(list(error.args)) if all(
                                  type(a) in (str, int, float, bool) for a in error.args)
                              else {"$l": []}}}

    context = zmq.Context()
    socket = context.socket(zmq.PAIR)
    socket.setsockopt(zmq.LINGER, 0)
    state = {"token": None, "done": False}
    try:
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance() if IPKernelApp.initialized() else None
    except Exception:  # noqa: BLE001 - not an ipykernel: tcp on loopback
        app = None
    if app is not None and app.transport == "ipc":
        endpoint = f"ipc://{app.ip}-grader"
        socket.bind(endpoint)
    else:
        host = app.ip if app is not None and app.ip else "127.0.0.1"
        endpoint = f"tcp://{host}:{socket.bind_to_random_port(f'tcp://{host}')}"

    def send(message) -> None:
        socket.send((message if isinstance(message, str) else json.dumps(message)).encode())

    def receive(token):
        """The next message of this session (stale ones dropped); polls so that an
        interrupt from the grader is felt at once."""
        while True:
            while not socket.poll(50):
                pass
            try:
                message = json.loads(socket.recv())
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("t") == token:
                return message

    def answer(message, token) -> str:
        """The reply to one request, as JSON text (an error reply if it cannot be sent)."""
        try:
            reply = serve(message["rpc"])
            text = json.dumps({"t": token, "n": message.get("n"), **reply})
        except Exception as error:  # noqa: BLE001 - e.g. a value JSON cannot carry
            text = None
            problem = f"{type(error).__name__}: {error}"
        else:
            problem = "the value is too large to send to the grader"
        if text is None or len(text) > MAX_MESSAGE:
            text = json.dumps({"t": token, "n": message.get("n"), "error": {
                "type": "TypeError", "base": "TypeError", "classes": [],
                "message": problem[:2000], "args": {"$l": []}}})
        return text

    def serve_session(token: str) -> None:
        """One test cell: answer the harness's requests until it says done."""
        state["token"], state["done"] = token, False
        try:
            while not state["done"]:
                message = receive(token)
                if "rpc" in message:
                    send(answer(message, token))
                elif "done" in message:
                    return
        finally:
            state["token"] = None

    serve_session.socket = socket  # untrusted side: nothing here is a secret
    serve_session.answer = answer
    shell.user_ns["_treeprop_serve"] = serve_session
    shell.user_ns_hidden["_treeprop_serve"] = serve_session
    shell.payload_manager.write_payload({"source": "treeprop-endpoint", "data": endpoint})
