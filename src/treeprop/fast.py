"""The compiled engine: a graph turned into straight-line Python.

``model.compile(engine="compiled")`` first does what the cached engine does
(names the inputs, links parents, checks for cycles), then writes the whole
forward and backward pass for one sample as Python source, one statement per
node, and compiles it. Running the model is then a handful of calls into that
generated code: no recursion, no per-node method calls, no dictionaries.

How it works
    The nodes are numbered in postorder. Forward code assigns ``v<i>`` for node
    ``i`` in that order; backward code walks the reverse (topological) order,
    the order of :meth:`NeuralNetNode.backward`, and accumulates ``g<i>`` from
    each parent, so the numbers match the recursive engine. A parameter takes
    its SGD step as soon as its gradient is complete. Graphs of up to
    :data:`FUSE` computing nodes become one function; bigger ones are cut into
    functions of :data:`CHUNK` nodes that hand values on through a list, with
    everything else in local variables. No expression nests, so ``compile()``
    of the source stays linear and a 100,000-deep chain is fine.

When the objects are in sync with the compiled program
    * Parameter values live in the program's flat list while it runs. Any change
      to a leaf made through ``.value`` (or a new leaf) is noticed on the next
      ``predict``/``forward``/``backward`` and reloaded; learning rates are
      reloaded on every ``backward`` and at the start of ``train_model``.
    * ``predict(x)`` writes ``x`` into the :class:`Input` leaves, like the other
      engines, so ``forward()`` afterwards gives the same value.
    * ``backward(d, update=...)`` sets ``node.gradient`` on every node and writes
      updated parameter values back through ``Parameter.value``, exactly as the
      recursive engine does.
    * ``train_model`` runs each epoch as one generated loop (parameters in local
      variables, MSE and BCE written inline) and touches no node object until
      someone can look: before each ``callback`` and when it returns, every
      ``Parameter.value`` holds the trained value, the inputs hold the last
      sample and every ``node.gradient`` the gradient of that last step.
      ``model.sync()`` writes the parameters back by hand (after an interrupt).

Node classes the engine does not know (or known classes that override ``op``,
``grad``, ``on_backward`` ...) raise :class:`UnsupportedNodeError`, unless
``compile(engine="compiled", fallback=True)`` was asked for: then the model
stays on the cached engine and a warning says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from treeprop import losses, ops
from treeprop.caching import compile_cached
from treeprop.engines import attach, detach, register
from treeprop.errors import InputCountError, NonFiniteError, TreepropError
from treeprop.graph import backward as topological_backward
from treeprop.losses import EPS
from treeprop.macros import Macro
from treeprop.nodes import Computation, Constant, Input, Parameter, now
from treeprop.outputs import Output, Softmax
from treeprop.training import check_input_values
from treeprop.walk import postorder

#: the most nodes one generated function holds (bigger graphs get several)
CHUNK = 256
#: graphs with at most this many computing nodes become one function (a fused
#: training step with everything in local variables); bigger ones are chunked
FUSE = 3000
#: the most terms one generated sum or product holds before it is split
TERMS = 64


class UnsupportedNodeError(TreepropError, TypeError):
    """The graph holds a node whose computation the engine cannot translate."""


KINDS: dict[type, str] = {
    ops.Add: "add", ops.Multiply: "mul", ops.ReLU: "relu", ops.Sigmoid: "sigmoid",
    ops.Tanh: "tanh", ops.Exp: "exp", ops.Log: "log", ops.Power: "pow",
    ops.Negate: "neg", ops.Divide: "div", Output: "output", Softmax: "softmax",
    Macro: "macro", Input: "input", Parameter: "param", Constant: "const",
}
LEAVES = ("input", "param", "const")
_METHODS = ("op", "grad", "_child_derivatives", "on_backward", "_apply", "forward")


def node_kind(node: Any) -> str:
    """The engine's name for what ``node`` computes; raises for unknown classes."""
    cls = type(node)
    for base in cls.__mro__:
        kind = KINDS.get(base)
        if kind is not None:
            break
    else:
        raise UnsupportedNodeError(
            f"{node.label()} is a {cls.__name__}, which the fast engines cannot translate; "
            "build it from treeprop's operations (or a Macro), or compile with "
            "fallback=True to keep this model on the cached engine"
        )
    for name in _METHODS:
        if getattr(cls, name, None) is not getattr(base, name, None):
            raise UnsupportedNodeError(
                f"{node.label()} is a {cls.__name__}, which overrides {name}() of "
                f"{base.__name__}; the fast engines would silently ignore that, so they "
                "refuse it (compile with fallback=True to keep the cached engine)"
            )
    return kind


class Plan:
    """The graph as numbered nodes: what each computes and which nodes it reads."""

    def __init__(self, model: Computation) -> None:
        self.model = model
        self.nodes = postorder(model)
        index = {id(n): i for i, n in enumerate(self.nodes)}
        self.kinds = [node_kind(n) for n in self.nodes]
        self.kids = [[index[id(c)] for c in n.children] for n in self.nodes]
        self.root = len(self.nodes) - 1
        self.inputs: list[Input] = list(model.inputs or [])
        self.params: list[Parameter] = [n for n, k in zip(self.nodes, self.kinds)
                                        if k == "param"]
        where = {id(n): k for k, n in enumerate(self.inputs)}
        where.update({id(n): k for k, n in enumerate(self.params)})
        self.pos = [where.get(id(n), -1) for n in self.nodes]
        # A list-valued root: macros standing for an Output/Softmax at the top.
        chain = [self.root]
        while self.kinds[chain[-1]] == "macro":
            chain.append(self.kids[chain[-1]][0])
        self.vector_chain = chain if self.kinds[chain[-1]] in ("output", "softmax") else []
        self.vector = bool(self.vector_chain)
        self.width = len(self.kids[chain[-1]]) if self.vector else 1

    def resolve(self, i: int) -> int:
        """Follow pass-through macros down to the node that computes the value."""
        while self.kinds[i] == "macro":
            i = self.kids[i][0]
        return i


def _literal(x: float) -> str:
    return f"({x!r})"


class _Func:
    """One generated function: its lines and the names it has in hand."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.lines: list[str] = []
        self.have: set[str] = set()
        self.gmod: list[int] = []  # gradients assigned here, in order
        self.gmod_set: set[int] = set()
        self.count = 0


class _Writer:
    """Writes the forward and backward code of a :class:`Plan`."""

    def __init__(self, plan: Plan, chunk: int) -> None:
        self.plan = plan
        self.chunk = max(1, chunk)
        self.need_v: set[int] = set()  # values some other function reads from V
        self.defined_in: dict[int, int] = {}
        # In the one-function training step a gradient that arrives along a single
        # edge is not copied into a variable of its own: its uses read the
        # parent's name (or, for a parameter, the expression) directly.
        self.inline = False
        self.alias: dict[int, str] = {}
        self.learning_rates: list[float] | None = None  # literals in the update
        self.param_locals = False  # the update writes local variables (epoch loop)
        self.edges = [0] * len(plan.nodes)
        for kids in plan.kids:
            for c in kids:
                self.edges[c] += 1

    # -- names -------------------------------------------------------------
    def value(self, f: _Func, j: int) -> str:
        """An expression for node j's value inside function f (loading it if needed)."""
        plan = self.plan
        j = plan.resolve(j)
        kind = plan.kinds[j]
        if kind == "const":
            return _literal(plan.nodes[j]._value)
        if kind == "input":
            name, source = f"x{plan.pos[j]}", f"X[{plan.pos[j]}]"
        elif kind == "param":
            name, source = f"p{plan.pos[j]}", f"P[{plan.pos[j]}]"
        else:
            name, source = f"v{j}", f"V[{j}]"
            if name not in f.have:
                self.need_v.add(j)
        if name not in f.have:
            f.lines.append(f"    {name} = {source}")
            f.have.add(name)
        return name

    # -- forward -------------------------------------------------------------
    def forward(self, f: _Func, i: int) -> None:
        plan = self.plan
        kind = plan.kinds[i]
        if kind in LEAVES or kind == "macro":
            return
        xs = [self.value(f, c) for c in plan.kids[i]]
        v = f"v{i}"
        out = f.lines
        if kind == "add" or kind == "mul":
            sign = " + " if kind == "add" else " * "
            out.append(f"    {v} = {sign.join(xs[:TERMS])}")
            for k in range(TERMS, len(xs), TERMS):
                out.append(f"    {v} = {v}{sign}{sign.join(xs[k:k + TERMS])}")
        elif kind == "relu":
            out.append(f"    {v} = {xs[0]} if {xs[0]} > 0.0 else 0.0")
        elif kind == "sigmoid":
            a = xs[0]
            out.append(f"    if {a} >= 0.0:\n        {v} = 1.0 / (1.0 + exp(-{a}))\n"
                       f"    else:\n        {v} = exp({a})\n        {v} = {v} / (1.0 + {v})")
        elif kind in ("tanh", "exp", "log"):
            out.append(f"    {v} = {kind}({xs[0]})")
        elif kind == "neg":
            out.append(f"    {v} = -{xs[0]}")
        elif kind == "div":
            out.append(f"    {v} = {xs[0]} / {xs[1]}")
        elif kind == "pow":
            k = plan.nodes[i].exponent
            if k.is_integer():
                out.append(f"    {v} = {xs[0]} ** {_literal(k)}")
            else:
                out.append(f"    {v} = fpow({xs[0]}, {_literal(k)})")
        elif kind == "output":
            out.append(f"    {v} = [{', '.join(xs)}]")
        elif kind == "softmax":
            s = [f"s{i}_{j}" for j in range(len(xs))]
            m = xs[0] if len(xs) == 1 else f"max({', '.join(xs)})"
            out.append(f"    m{i} = {m}")
            for name, x in zip(s, xs):
                out.append(f"    {name} = exp({x} - m{i})")
            self._sum(f, f"t{i}", s)
            for name in s:
                out.append(f"    {name} = {name} / t{i}")
            out.append(f"    {v} = [{', '.join(s)}]")
            f.have.update(s)
        else:  # pragma: no cover - node_kind() only returns the kinds above
            raise AssertionError(kind)
        f.have.add(v)
        self.defined_in[i] = f.number

    def _sum(self, f: _Func, name: str, terms: list[str]) -> None:
        f.lines.append(f"    {name} = {' + '.join(terms[:TERMS])}")
        for k in range(TERMS, len(terms), TERMS):
            f.lines.append(f"    {name} = {name} + {' + '.join(terms[k:k + TERMS])}")

    # -- backward --------------------------------------------------------------
    def grad_name(self, f: _Func, j: int) -> str:
        if j in self.alias:
            return self.alias[j]
        name = f"g{j}"
        if name not in f.have:
            f.lines.append(f"    {name} = G[{j}]")
            f.have.add(name)
        return name

    def give(self, f: _Func, j: int, expr: str, started: set[int], public: bool) -> None:
        """Add ``expr`` to node j's gradient (the first contribution assigns)."""
        kind = self.plan.kinds[j]
        if not public and kind in ("input", "const"):
            return
        self.remaining[j] -= 1
        if self.inline and self.edges[j] == 1 and j not in started and (
                kind == "param" or expr.isidentifier()):
            started.add(j)
            self.alias[j] = expr if expr.isidentifier() else f"({expr})"
        else:
            self._add(f, j, expr, started)
        if kind == "param" and self.updating and self.remaining[j] == 0:
            # its last contribution: once this parent is done, nothing reads the old value
            self.pending.append(j)

    def _add(self, f: _Func, j: int, expr: str, started: set[int]) -> None:
        if j not in started:
            started.add(j)
            f.lines.append(f"    g{j} = {expr}")
            f.have.add(f"g{j}")
        else:
            name = self.grad_name(f, j)
            f.lines.append(f"    {name} = {name} + {expr}")
        if j not in f.gmod_set:
            f.gmod_set.add(j)
            f.gmod.append(j)

    def backward(self, f: _Func, i: int, started: set[int], public: bool) -> None:
        plan = self.plan
        kind = plan.kinds[i]
        if kind in LEAVES or (plan.vector and i in plan.vector_chain[:-1]):
            return
        kids = plan.kids[i]
        if kind in ("output", "softmax"):
            d = [f"d{j}" for j in range(len(kids))]
            f.lines.append(f"    {', '.join(d)}, = D")
            if kind == "output":
                for c, dj in zip(kids, d):
                    self.give(f, c, dj, started, public)
                return
            s = [f"s{i}_{j}" for j in range(len(kids))]
            if s[0] not in f.have:
                self.need_v.add(i)
                f.lines.append(f"    {', '.join(s)}, = V[{i}]")
                f.have.update(s)
            self._sum(f, f"q{i}", [f"{dj} * {sj}" for dj, sj in zip(d, s)])
            for c, dj, sj in zip(kids, d, s):
                self.give(f, c, f"{sj} * ({dj} - q{i})", started, public)
            return
        g = "D" if i == plan.root else self.grad_name(f, i)
        if kind in ("add", "macro"):
            for c in kids:
                self.give(f, c, g, started, public)
        elif kind == "neg":
            self.give(f, kids[0], f"-{g}", started, public)
        elif kind == "mul":
            xs = [self.value(f, c) for c in kids]
            if len(xs) == 1:
                self.give(f, kids[0], f"{g} * 1.0", started, public)
            elif len(xs) == 2:
                self.give(f, kids[0], f"{g} * {xs[1]}", started, public)
                self.give(f, kids[1], f"{g} * {xs[0]}", started, public)
            else:  # prefix and suffix products, as Multiply.grad computes them
                n = len(xs)
                f.lines.append(f"    a{i}_1 = {xs[0]}")
                for k in range(1, n - 1):
                    f.lines.append(f"    a{i}_{k + 1} = a{i}_{k} * {xs[k]}")
                f.lines.append(f"    b{i} = {xs[n - 1]}")
                local = [f"b{i}_0"] + [f"c{i}_{k}" for k in range(1, n)]
                f.lines.append(f"    c{i}_{n - 1} = a{i}_{n - 1}")
                for k in range(n - 2, 0, -1):
                    f.lines.append(f"    c{i}_{k} = a{i}_{k} * b{i}")
                    f.lines.append(f"    b{i} = b{i} * {xs[k]}")
                f.lines.append(f"    b{i}_0 = b{i}")
                for c, loc in zip(kids, local):
                    self.give(f, c, f"{g} * {loc}", started, public)
        elif kind == "relu":
            x = self.value(f, kids[0])
            self.give(f, kids[0], f"({g} if {x} > 0.0 else 0.0 * {g})", started, public)
        elif kind in ("sigmoid", "tanh", "exp"):
            v = self.value(f, i)
            local = {"sigmoid": f"({v} * (1.0 - {v}))", "tanh": f"(1.0 - {v} * {v})",
                     "exp": v}[kind]
            self.give(f, kids[0], f"{g} * {local}", started, public)
        elif kind == "log":
            x = self.value(f, kids[0])
            self.give(f, kids[0], f"{g} * (1.0 / {x})", started, public)
        elif kind == "pow":
            k = plan.nodes[i].exponent
            if k == 0.0:
                self.give(f, kids[0], f"{g} * 0.0", started, public)
            else:
                x = self.value(f, kids[0])
                if k < 1.0:  # x ** (k - 1) at 0: the slope is infinite, as in Power.grad
                    f.lines.append(f"    if {x} == 0.0: raise ZeroDivisionError")
                e = k - 1.0
                p = f"{x} ** {_literal(e)}" if e.is_integer() else f"fpow({x}, {_literal(e)})"
                self.give(f, kids[0], f"{g} * ({_literal(k)} * {p})", started, public)
        elif kind == "div":
            a, b = self.value(f, kids[0]), self.value(f, kids[1])
            self.give(f, kids[0], f"{g} * (1.0 / {b})", started, public)
            self.give(f, kids[1], f"{g} * (-{a} / ({b} * {b}))", started, public)
        else:  # pragma: no cover
            raise AssertionError(kind)

    def _update(self, f: _Func, j: int) -> None:
        """The SGD step of parameter j, once its gradient is complete."""
        k = self.plan.pos[j]
        p = self.value(f, j)
        g = self.grad_name(f, j)
        lr = f"L[{k}]" if self.learning_rates is None else _literal(self.learning_rates[k])
        target = p if self.param_locals else f"P[{k}]"
        f.lines.append(f"    {target} = {p} - {g} * {lr}")

    # -- whole programs -----------------------------------------------------------
    def forward_funcs(self, fused: bool = False) -> list[_Func]:
        funcs = [_Func(0)]
        for i in range(len(self.plan.nodes)):
            f = funcs[-1]
            if not fused and f.count >= self.chunk:
                f = _Func(len(funcs))
                funcs.append(f)
            if self.plan.kinds[i] not in LEAVES and self.plan.kinds[i] != "macro":
                f.count += 1
            self.forward(f, i)
        return funcs

    def backward_funcs(self, public: bool, first: _Func | None = None,
                       update: bool = False) -> list[_Func]:
        funcs = [first if first is not None else _Func(0)]
        started: set[int] = {self.plan.root}
        self.remaining = list(self.edges)
        self.updating = update
        self.pending: list[int] = []
        done: set[int] = set()
        for i in range(len(self.plan.nodes) - 1, -1, -1):
            f = funcs[-1]
            if first is None and f.count >= self.chunk:
                # a gradient known only by another variable's name: hand it on in G
                for j, name in list(self.alias.items()):
                    if j not in done and name.isidentifier():
                        f.lines.append(f"    G[{j}] = {name}")
                        del self.alias[j]
                f = _Func(len(funcs))
                funcs.append(f)
            if self.plan.kinds[i] not in LEAVES:
                f.count += 1
            self.backward(f, i, started, public)
            done.add(i)
            for j in self.pending:
                self._update(f, j)
            self.pending.clear()
        if public and not self.plan.vector:
            funcs[0].lines.insert(0, f"    G[{self.plan.root}] = D")
        # gradients that another function continues (or the caller reads) go to G
        later: set[int] = set()
        for f in reversed(funcs):
            keep = [j for j in f.gmod if public or j in later]
            if keep:
                f.lines.append("    " + "; ".join(f"G[{j}] = g{j}" for j in keep))
            later.update(int(name[1:]) for name in f.have
                         if name.startswith("g") and name[1:].isdigit())
            # names loaded from G at the start of f were set in earlier functions
        return funcs


def _render(name: str, args: str, lines: list[str], result: str | None) -> str:
    body = lines + ([f"    return {result}"] if result else []) or ["    pass"]
    return f"def {name}({args}):\n" + "\n".join(body) + "\n"


def _fpow(x: float, k: float) -> float:
    return math.pow(x, k)  # raises ValueError where x ** k would be complex


class CompiledProgram:
    """Generated forward/backward code for one model, and its flat state."""

    engine = "compiled"

    def __init__(self, model: Computation, *, chunk: int = CHUNK, fuse: int = FUSE) -> None:
        self.model = model
        self.plan = plan = Plan(model)
        n = len(plan.nodes)
        self.P = [p._value for p in plan.params]
        self.L = [p.learning_rate for p in plan.params]
        self.V: list[Any] = [0.0] * n
        self.G: list[Any] = [0.0] * n
        self.ns: dict[str, Any] = {
            "P": self.P, "L": self.L, "V": self.V, "G": self.G,
            "exp": math.exp, "tanh": math.tanh, "log": math.log, "fpow": _fpow,
        }
        self.ns["FAILED"] = self.FAILED = [-1]
        self._tick = now()
        self._last: list[float] | None = None  # inputs of the last forward pass
        self._training = False  # inside train_model, between syncs
        self._checked: Any = None  # the data whose inputs were checked
        self._epochs: dict[Any, Callable] = {}
        computing = sum(k not in LEAVES and k != "macro" for k in plan.kinds)
        self._build(chunk if computing > fuse else computing + 1)

    # -- code generation ------------------------------------------------------------
    def _build(self, chunk: int) -> None:
        plan = self.plan
        root = plan.root
        sources: list[str] = []
        self.chunk = chunk
        w = _Writer(plan, chunk)
        fwd = w.forward_funcs()
        result = w.value(fwd[-1], root)
        bwd_public = w.backward_funcs(public=True)
        self.chunked = len(fwd) > 1
        if self.chunked:
            w.inline = True
            w.learning_rates = list(self.L)
            bwd_train = w.backward_funcs(public=False, update=True)
            self._train_rates = list(self.L)
        # forward functions store what other functions read from them
        for f in fwd:
            mine = sorted(j for j, k in w.defined_in.items() if k == f.number and j in w.need_v)
            if mine:
                f.lines.append("    " + "; ".join(f"V[{j}] = v{j}" for j in mine))
            last = f is fwd[-1]
            sources.append(_render(f"forward{f.number}", "X", f.lines, result if last else None))
        for f in bwd_public:
            sources.append(_render(f"backward{f.number}", "X, D", f.lines, None))
        if self.chunked:
            for f in bwd_train:
                sources.append(_render(f"train{f.number}", "X, D", f.lines, None))
        code = compile("\n".join(sources), f"<treeprop compiled {plan.model.label()}>", "exec")
        exec(code, self.ns)
        ns = self.ns
        self._forward = [ns[f"forward{f.number}"] for f in fwd]
        self._backward = [ns[f"backward{f.number}"] for f in bwd_public]
        self.source = "\n".join(sources)
        if self.chunked:
            self._train = [ns[f"train{f.number}"] for f in bwd_train]
            self.step = self._chunked_step
        else:
            self._build_step()

    def _build_step(self) -> None:
        """``step(X, y, loss, dloss)``: one sample's forward, loss, backward and update."""
        source = self._fused("step", None, epoch=False)
        self.step = self.ns["step"]
        self.step_source = source
        self._step_rates = list(self.L)

    def _fused(self, name: str, loss_kind: str | None, *, epoch: bool) -> str:
        """Write one function holding forward, loss, backward and update in locals.

        With ``epoch=True`` it is a loop over the samples of an epoch in which the
        parameters stay in local variables from the first sample to the last.
        ``loss_kind`` ("mse", "bce") writes that loss and its gradient inline,
        with the same arithmetic as :mod:`treeprop.losses`; otherwise the given
        functions are called.
        """
        plan = self.plan
        w = _Writer(plan, self.chunk)
        w.inline = True
        w.learning_rates = list(self.L)
        w.param_locals = epoch
        f = _Func(0)
        if epoch:
            for k in range(len(plan.params)):
                f.have.add(f"p{k}")
        for i in range(len(plan.nodes)):
            w.forward(f, i)
        f.lines.append(f"    out = {w.value(f, plan.root)}")
        if not plan.vector:
            f.lines.append("    if out - out != 0.0: raise ZeroDivisionError")
        lo, hi = _literal(EPS), _literal(1.0 - EPS)
        if loss_kind == "mse":
            f.lines.append("    lv = (y - out) ** 2\n    D = -2.0 * (y - out)")
        elif loss_kind == "bce":
            f.lines.append(f"    q = out if out > {lo} else {lo}\n"
                           f"    q = q if q < {hi} else {hi}\n"
                           "    lv = -(y * log(q) + (1.0 - y) * log(1.0 - q))\n"
                           "    D = (q - y) / (q * (1.0 - q))")
        else:
            f.lines.append("    lv = loss(y, out)\n    D = dloss(y, out)")
        w.backward_funcs(public=False, first=f, update=True)
        if not epoch:
            source = _render(name, "X, y, loss, dloss", f.lines, "lv")
        else:
            names = [f"p{k}" for k in range(len(plan.params))]
            load = "    " + "; ".join(f"{p} = P[{k}]" for k, p in enumerate(names))
            store = "; ".join(f"P[{k}] = {p}" for k, p in enumerate(names)) or "pass"
            body = "\n".join("        " + line for line in "\n".join(f.lines).split("\n"))
            source = (
                f"def {name}(data, order, loss, dloss):\n"
                + (load + "\n" if names else "")
                + "    total = 0.0\n    k = -1\n    try:\n"
                + "        for k in order:\n            X, y = data[k]\n"
                + body + "\n            total += lv\n"
                + "    except (ArithmeticError, ValueError):\n"
                + f"        {store}\n        FAILED[0] = k\n        raise\n"
                + f"    {store}\n    return total\n"
            )
        exec(compile(source, f"<treeprop {name} {plan.model.label()}>", "exec"), self.ns)
        return source

    def _epoch_function(self, loss: Callable, dloss: Callable) -> Callable:
        """The generated epoch loop for this loss (rebuilt if learning rates changed)."""
        fn = getattr(loss, "fn", loss)
        kind = ("mse" if fn is losses.mse and dloss is losses.mse_grad else
                "bce" if fn is losses.bce and dloss is losses.bce_grad else None)
        if self.plan.vector:
            kind = None
        key = (kind, tuple(self.L))
        if key not in self._epochs:
            name = f"epoch_{kind or 'call'}"
            self._fused(name, kind, epoch=True)
            self._epochs = {key: self.ns[name]}  # keep one: rates rarely change back
        return self._epochs[key]

    def _chunked_step(self, x: Sequence[float], y: Any, loss: Callable, dloss: Callable) -> float:
        *head, last = self._forward
        for f in head:
            f(x)
        out = last(x)
        if not self.plan.vector and out - out != 0.0:
            raise ZeroDivisionError
        d = dloss(y, out)
        for f in self._train:
            f(x, d)
        return loss(y, out)

    # -- keeping the node objects and the flat state in step ------------------------
    def refresh(self, learning_rates: bool = False) -> None:
        """Reload parameter values if any leaf changed since the last sync."""
        if self._tick != now():
            self.P[:] = [p._value for p in self.plan.params]
            self._tick = now()
        if learning_rates:
            self.L[:] = [p.learning_rate for p in self.plan.params]

    def write_parameters(self) -> None:
        """Write the program's parameter values into the Parameter objects."""
        for p, v in zip(self.plan.params, self.P):
            if p._value != v:
                p.value = v
        self._tick = now()

    def _write_inputs(self, xs: Sequence[float]) -> None:
        for node, v in zip(self.plan.inputs, xs):
            if node._value != v:
                node.value = v
        self._tick = now()

    def _run_forward(self, xs: list[float]) -> Any:
        *head, last = self._forward
        try:
            for f in head:
                f(xs)
            out = last(xs)
            if self.plan.vector:
                for v in out:
                    if v - v != 0.0:
                        raise ZeroDivisionError
            elif out - out != 0.0:
                raise ZeroDivisionError
        except (ArithmeticError, ValueError):
            self._reference_error()
            raise
        self._last = xs
        return list(out) if self.plan.vector else out

    def _reference_error(self) -> None:
        """Re-run the failing pass on the node objects to raise their precise error."""
        self.write_parameters()
        Computation.forward(self.model)  # raises NonFiniteError naming the node
        raise NonFiniteError(
            f"{self.model.label()}: a value became NaN or infinite in the compiled program "
            "(a learning rate too high, an input too large, or log/divide at zero)"
        )

    # -- the public API -------------------------------------------------------------------
    def predict(self, inputs: Sequence[float] | dict[str, float]) -> Any:
        self.refresh()
        xs = check_input_values(self.plan.inputs, inputs)
        self._write_inputs(xs)
        return self._run_forward(xs)

    def forward(self) -> Any:
        self.refresh()
        return self._run_forward([n._value for n in self.plan.inputs])

    def backward(self, derivative_from_parent: Any = None, *, update: bool = True) -> None:
        plan = self.plan
        d = backward_seed(plan, self.model.label(), derivative_from_parent)
        if self._last is None or self._tick != now():
            self.forward()  # values of the current inputs and parameters
        try:
            xs = self._last
            for f in self._backward:
                f(xs, d)
        except (ArithmeticError, ValueError):
            self.write_parameters()
            topological_backward(self.model, derivative_from_parent, update=False)
            raise NonFiniteError(
                f"{self.model.label()}: a gradient became NaN or infinite in the compiled "
                "program"
            ) from None
        tick = now()
        G = self.G
        for j, node in enumerate(plan.nodes):
            node.gradient = G[j]
            node._grad_tick = tick
        for j in plan.vector_chain:
            plan.nodes[j].gradient = list(d)
        if update:
            self.refresh(learning_rates=True)
            P, L = self.P, self.L
            for j in range(len(plan.nodes)):
                if plan.kinds[j] == "param":
                    k = plan.pos[j]
                    P[k] = P[k] - G[j] * L[k]
            self.write_parameters()
            tick = now()
            for node in plan.nodes:
                node._grad_tick = tick

    # -- training (called by train_model) -------------------------------------------------
    def train_epoch(self, data: Sequence[Any], order: Sequence[int], loss: Callable,
                    dloss: Callable, batch_size: int | None = None, *,
                    sync: bool = True) -> float | None:
        """One epoch of per-sample SGD; ``None`` asks train_model to do it instead.

        With ``sync=False`` the node objects are left behind until an epoch that
        syncs (train_model syncs before a callback and at the end).
        """
        if batch_size is not None or not order:
            return None
        if self._checked is not data:
            n = len(self.plan.inputs)
            for x, _ in data:
                if isinstance(x, dict):
                    return None  # inputs by name: the public predict sorts them out
                if len(x) != n:
                    check_input_values(self.plan.inputs, x)  # raises InputCountError
            self._checked = data
        if not self._training or self._tick != now():
            self.refresh(learning_rates=True)
        self._training = True
        if sync:
            *body, last = order
        else:
            body, last = order, None
        total = 0.0
        try:
            if self.chunked:
                if self.L != self._train_rates:
                    self._build(self.chunk)  # the learning rates are written into the code
                step = self.step
                for k in body:
                    self.FAILED[0] = k
                    x, y = data[k]
                    total += step(x, y, loss, dloss)
            else:
                total = self._epoch_function(loss, dloss)(data, body, loss, dloss)
        except (ArithmeticError, ValueError):
            self.write_parameters()
            x, y = data[self.FAILED[0]]
            self.model.predict(x)  # the precise error, from the node objects
            raise
        if last is None:
            return total
        # the epoch's last sample through the public API: nodes and parameters in sync
        self._training = False
        x, y = data[last]
        p = self.predict(x)
        total += loss(y, p)
        self.backward(dloss(y, p))
        return total


@register("compiled")
def compile_compiled(model: Computation, *, fallback: bool = False,
                     chunk: int = CHUNK, fuse: int = FUSE) -> Computation:
    """``model.compile(engine="compiled")``: generated straight-line code."""
    detach(model)
    compile_cached(model)
    try:
        program = CompiledProgram(model, chunk=chunk, fuse=fuse)
    except UnsupportedNodeError as err:
        if not fallback:
            raise
        warnings.warn(f"{err}; staying on the cached engine", stacklevel=3)
        return model
    return attach(model, program)


register("codegen")(compile_compiled)


def backward_seed(plan: Plan, label: str, d: Any) -> Any:
    """The derivative backward starts from, checked against the model's output.

    A list of ``plan.width`` floats for a list-valued model, one float (1.0 by
    default) otherwise; both fast engines start their backward pass here.
    """
    if plan.vector:
        if d is None or isinstance(d, (str, bytes)) or not isinstance(d, Sequence):
            raise TypeError(
                f"{label} returns {plan.width} values, so backward needs a "
                "list of as many derivatives (for example from a loss gradient)"
            )
        if len(d) != plan.width:
            raise InputCountError(
                f"{label} has {plan.width} outputs but backward got {len(d)} derivatives"
            )
        return [float(v) for v in d]
    if d is None:
        return 1.0
    if isinstance(d, (list, tuple)):
        raise TypeError(f"{label} returns one number; backward needs one")
    return d
