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
    each parent, so the numbers match the recursive engine. Each statement is
    the operation's row of :data:`treeprop.ops.TABLE` rendered as source
    (:class:`SourceMath`): the engine holds no maths of its own. A parameter
    takes its SGD step as soon as its gradient is complete. Graphs of up to
    :data:`FUSE` computing nodes become one function; bigger ones are cut into
    functions of :data:`CHUNK` nodes that hand values on through a list, with
    everything else in local variables. No expression nests deeper than one
    operation, so ``compile()`` of the source stays linear and a 100,000-deep
    chain is fine. Every generated function is written by fresh writers whose
    settings are one frozen :class:`Options`.

When the objects are in sync with the compiled program
    * ``predict(x)`` and ``backward(d)`` called from Python, sample by sample,
      run generated functions that read and write the node objects themselves
      (inputs, parameter values, every ``node.gradient``), so after each call
      the nodes are exactly as the recursive engine leaves them. They check
      their arguments in the generated code (count, plain numbers, finite) and
      hand anything unusual (a mapping of names, numpy scalars, a leaf changed
      behind their back, a value that blew up) to the careful path, which gives
      the precise error. Graphs cut into chunks, and graphs sharing nodes with
      another compiled model, always take the careful path.
    * ``train_model`` runs each epoch as one generated loop (parameters in local
      variables, MSE and BCE written inline) and touches no node object until
      someone can look: before each ``callback`` and when it returns, every
      ``Parameter.value`` holds the trained value, the inputs hold the last
      sample and every ``node.gradient`` the gradient of that last step.
      ``model.sync()`` writes the parameters back by hand (after an interrupt);
      the next ``predict`` or ``backward`` does it too.

Node classes the engine does not know (or known classes that override ``op``,
``grad``, ``on_backward`` ...) raise :class:`UnsupportedNodeError`, unless
``compile(engine="compiled", fallback=True)`` was asked for: then the model
stays on the cached engine and a warning says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from treeprop import clock, losses
from treeprop.caching import compile_cached
from treeprop.clock import now
from treeprop.engines import attach, detach, register
from treeprop.errors import NonFiniteError, TreepropError
from treeprop.graph import backward as topological_backward
from treeprop.macros import Macro
from treeprop.nodes import Computation, Constant, Input, Leaf, Parameter
from treeprop.ops import FLOAT, OpSpec, setting
from treeprop.outputs import check_seed
from treeprop.training import check_input_values
from treeprop.walk import postorder

#: the most nodes one generated function holds (bigger graphs get several)
CHUNK = 256
#: graphs with at most this many computing nodes become one function (a fused
#: training step with everything in local variables); bigger ones are chunked
FUSE = 3000
#: the most terms one generated sum or product holds before it is split
TERMS = 64
#: the user path's SGD step leaves the gradients to be worked out when read
#: (:class:`LastGradients`) in graphs of at least this many nodes; below, handing
#: them on as one tuple costs less than the deferral
LAZY_NODES = 64
#: and checks its new parameters with ``sum()`` from this many on (below, with ``+``)
SUM_PARAMS = 16


class UnsupportedNodeError(TreepropError, TypeError):
    """The graph holds a node whose computation the engine cannot translate."""


LEAVES = ("input", "param", "const")
_LEAF_KINDS: dict[type, str] = {Input: "input", Parameter: "param", Constant: "const"}
_METHODS = ("op", "grad", "_child_derivatives", "on_backward", "_apply", "forward")


def node_kind(node: Any) -> str:
    """The engine's name for what ``node`` computes; raises for unknown classes.

    A known class is a leaf, a :class:`Macro` or one with a row (``spec``) of
    the operation table; a subclass that overrides one of its methods is refused.
    """
    cls = type(node)
    for base in cls.__mro__:
        kind = _LEAF_KINDS.get(base) or ("macro" if base is Macro else None)
        spec = base.__dict__.get("spec")
        if kind is None and isinstance(spec, OpSpec):
            kind = spec.kind
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
        self.specs: list[OpSpec | None] = [getattr(type(n), "spec", None)
                                           if k not in LEAVES and k != "macro" else None
                                           for n, k in zip(self.nodes, self.kinds)]
        self.settings = [setting(s, n) if s is not None else None
                         for s, n in zip(self.specs, self.nodes)]
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
        self.vector_chain = chain if self.nodes[chain[-1]].returns_list else []
        self.vector = bool(self.vector_chain)
        self.width = len(self.kids[chain[-1]]) if self.vector else 1
        self.computing = sum(k not in LEAVES and k != "macro" for k in self.kinds)
        inside = {id(n) for n in self.nodes}
        #: another compiled model links to some node: change them only through .value
        self.shared = any(id(p) not in inside for n in self.nodes for p in n._parents)

    def resolve(self, i: int) -> int:
        """Follow pass-through macros down to the node that computes the value."""
        while self.kinds[i] == "macro":
            i = self.kids[i][0]
        return i


def _literal(x: float) -> str:
    return f"({x!r})"


# -- the operation table as source --------------------------------------------------------
class Sym:
    """A value in generated code: arithmetic on it writes the expression's source."""

    __slots__ = ("text",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        raise TypeError("the operation table may not branch on a value; use m.where")

    def _bin(self, op: str, other: Any, swap: bool = False) -> Sym:
        a, b = (_sym(other), self) if swap else (self, _sym(other))
        return Sym(f"({a} {op} {b})")

    def __add__(self, o: Any) -> Sym:
        return self._bin("+", o)

    def __radd__(self, o: Any) -> Sym:
        return self._bin("+", o, True)

    def __sub__(self, o: Any) -> Sym:
        return self._bin("-", o)

    def __rsub__(self, o: Any) -> Sym:
        return self._bin("-", o, True)

    def __mul__(self, o: Any) -> Sym:
        if _is_number(o) and o == 1.0:
            return self
        if _is_number(o) and o == -1.0:
            return -self
        return self._bin("*", o)

    def __rmul__(self, o: Any) -> Sym:
        if _is_number(o) and o in (1.0, -1.0):
            return self * o
        return self._bin("*", o, True)

    def __truediv__(self, o: Any) -> Sym:
        return self._bin("/", o)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._bin("/", o, True)

    def __pow__(self, o: Any) -> Sym:
        return self._bin("**", float(o))

    def __neg__(self) -> Sym:
        return Sym(f"(-{self})")

    def __gt__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin(">", o)

    def __ge__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin(">=", o)

    def __lt__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin("<", o)

    def __le__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin("<=", o)

    def __eq__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin("==", o)

    def __ne__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._bin("!=", o)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _sym(x: Any) -> Sym:
    return x if isinstance(x, Sym) else Sym(_literal(float(x)))


class SourceMath:
    """The maths namespace of the operation table, writing source into ``body``.

    ``let`` names a value used more than once (``<prefix><n> = ...``); sums and
    products of many terms are cut every :data:`TERMS` terms.
    """

    def __init__(self, body: Body, prefix: str) -> None:
        self.body = body
        self.prefix = prefix
        self.count = 0

    def let(self, x: Any) -> Sym:
        name = f"{self.prefix}{self.count}"
        self.count += 1
        self.body.line(f"{name} = {_sym(x)}")
        return Sym(name)

    def _call(self, fn: str, *args: Any) -> Sym:
        return Sym(f"{fn}({', '.join(str(_sym(a)) for a in args)})")

    def exp(self, x: Any) -> Sym:
        return self._call("exp", x)

    def log(self, x: Any) -> Sym:
        return self._call("log", x)

    def tanh(self, x: Any) -> Sym:
        return self._call("tanh", x)

    def abs(self, x: Any) -> Sym:
        return self._call("abs", x)

    def maximum(self, a: Any, b: Any) -> Sym:
        return self.where(_sym(a) > b, a, b)  # a conditional: no call of max()

    def max(self, xs: list[Any]) -> Sym:
        return _sym(xs[0]) if len(xs) == 1 else self._call("max", *xs)

    def where(self, cond: Any, a: Any, b: Any) -> Sym:
        return Sym(f"({_sym(a)} if {cond} else {_sym(b)})")

    def clip(self, x: Any, low: float, high: float) -> Sym:
        low_side = self.let(self.where(_sym(x) > low, x, low))
        return self.let(self.where(low_side < high, low_side, high))  # callers use it twice

    def pow(self, x: Any, k: float) -> Sym:
        return _sym(x) ** k

    def sum(self, xs: list[Any]) -> Sym:
        return self._chain(" + ", xs)

    def prod(self, xs: list[Any]) -> Sym:
        return self._chain(" * ", xs)

    def _chain(self, op: str, xs: list[Any]) -> Sym:
        acc = Sym("(" + op.join(str(_sym(x)) for x in xs[:TERMS]) + ")")
        for k in range(TERMS, len(xs), TERMS):
            acc = Sym(f"({self.let(acc)}{op}{op.join(str(_sym(x)) for x in xs[k:k + TERMS])})")
        return acc


# -- generated functions ------------------------------------------------------------------
class Body:
    """Lines of a generated function; indentation comes from :meth:`block`."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self.depth = 1

    def line(self, text: str) -> None:
        self.lines.append((self.depth, text))

    def insert(self, index: int, text: str) -> None:
        self.lines.insert(index, (1, text))

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def extend(self, other: Body) -> None:
        """``other``'s lines at this body's current depth."""
        self.lines.extend((self.depth + d - 1, text) for d, text in other.lines)

    def render(self, name: str, args: str, result: str | None = None) -> str:
        out = [f"def {name}({args}):"]
        out += ["    " * d + text for d, text in self.lines]
        if result is not None:
            out.append(f"    return {result}")
        if len(out) == 1:
            out.append("    pass")
        return "\n".join(out) + "\n"


class Func(Body):
    """One generated function: its lines and the names it has in hand."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number
        self.have: set[str] = set()
        self.gmod: list[int] = []  # gradients assigned here, in order
        self.gmod_set: set[int] = set()
        self.count = 0


@dataclass(frozen=True)
class Options:
    """How the functions of one generated pass are written (a fresh writer each)."""

    chunk: int  # the most computing nodes per function
    #: every gradient ends up in G (or on the node objects): the public backward
    public: bool = True
    #: the parameters take their SGD step inside the generated code
    update: bool = False
    #: a gradient that arrives along a single edge is passed on by name, not copied
    inline: bool = False
    #: learning rates written as literals (else read from ``L`` or the node)
    rates: tuple[float, ...] | None = None
    #: the SGD step writes the local ``p<k>`` (the epoch loop keeps them in locals)
    param_locals: bool = False
    #: read and write the node objects themselves (the per-sample public path)
    on_nodes: bool = False
    #: learning rates from the locals ``r<k>`` (the per-sample path unpacks them)
    rate_locals: bool = False


@dataclass
class Shared:
    """What the writers of one program tell each other: values read across functions."""

    need_v: set[int] = field(default_factory=set)
    defined_in: dict[int, int] = field(default_factory=dict)


class _Names:
    """Names of values in generated code, loading them where a function lacks them."""

    def __init__(self, plan: Plan, opts: Options, shared: Shared) -> None:
        self.plan, self.opts, self.shared = plan, opts, shared

    def value(self, f: Func, j: int) -> str:
        """An expression for node j's value inside function f (loading it if needed)."""
        plan = self.plan
        j = plan.resolve(j)
        kind = plan.kinds[j]
        if kind == "const":
            return _literal(plan.nodes[j]._value)
        if kind == "input":
            k = plan.pos[j]
            name, source = f"x{k}", (f"N{j}._value" if self.opts.on_nodes else f"X[{k}]")
        elif kind == "param":
            k = plan.pos[j]
            name, source = f"p{k}", (f"N{j}._value" if self.opts.on_nodes else f"P[{k}]")
        else:
            name, source = f"v{j}", f"V[{j}]"
            if name not in f.have:
                self.shared.need_v.add(j)
        if name not in f.have:
            f.line(f"{name} = {source}")
            f.have.add(name)
        return name


class ForwardWriter(_Names):
    """Writes the forward statements of a plan: one per computing node."""

    def node(self, f: Func, i: int) -> None:
        spec = self.plan.specs[i]
        if spec is None:  # a leaf or a pass-through macro
            return
        xs = [Sym(self.value(f, c)) for c in self.plan.kids[i]]
        m = SourceMath(f, f"t{i}_")
        k = self.plan.settings[i]
        for cond, _ in spec.guard(m, xs, k):
            f.line(f"if {cond}: raise ArithmeticError")
        out = spec.forward(m, xs, k)
        if isinstance(out, list):
            names = [f"s{i}_{j}" for j in range(len(out))]
            for name, e in zip(names, out):
                f.line(f"{name} = {e}")
            f.line(f"v{i} = [{', '.join(names)}]")
            f.have.update(names)
        else:
            f.line(f"v{i} = {out}")
        f.have.add(f"v{i}")
        self.shared.defined_in[i] = f.number

    def funcs(self, fused: bool = False) -> list[Func]:
        funcs = [Func(0)]
        for i in range(len(self.plan.nodes)):
            f = funcs[-1]
            if not fused and f.count >= self.opts.chunk:
                f = Func(len(funcs))
                funcs.append(f)
            if self.plan.specs[i] is not None:
                f.count += 1
            self.node(f, i)
        return funcs


class BackwardWriter(_Names):
    """Writes the backward statements (and SGD steps) of a plan, root first."""

    def __init__(self, plan: Plan, opts: Options, shared: Shared) -> None:
        super().__init__(plan, opts, shared)
        self.edges = [0] * len(plan.nodes)
        for kids in plan.kids:
            for c in kids:
                self.edges[c] += 1
        self.remaining = list(self.edges)
        # a gradient that arrived along a single edge, known by its parent's name
        self.alias: dict[int, str] = {}
        self.started: set[int] = {plan.root}
        self.pending: list[int] = []  # parameters whose gradient just completed

    def grad_name(self, f: Func, j: int) -> str:
        if j in self.alias:
            return self.alias[j]
        name = f"g{j}"
        if name not in f.have:
            f.line(f"{name} = G[{j}]")
            f.have.add(name)
        return name

    def give(self, f: Func, j: int, expr: str) -> None:
        """Add ``expr`` to node j's gradient (the first contribution assigns)."""
        kind = self.plan.kinds[j]
        if not self.opts.public and kind in ("input", "const"):
            return
        self.remaining[j] -= 1
        # (on the nodes, a parameter's gradient is read twice: give it a name)
        if self.opts.inline and self.edges[j] == 1 and j not in self.started and (
                (kind == "param" and not self.opts.on_nodes) or expr.isidentifier()):
            self.started.add(j)
            self.alias[j] = expr if expr.isidentifier() else f"({expr})"
        elif j not in self.started:
            self.started.add(j)
            f.line(f"g{j} = {expr}")
            f.have.add(f"g{j}")
        else:
            name = self.grad_name(f, j)
            f.line(f"{name} = {name} + {expr}")
        if j not in f.gmod_set and j not in self.alias:
            f.gmod_set.add(j)
            f.gmod.append(j)
        if kind == "param" and self.opts.update and self.remaining[j] == 0:
            # its last contribution: once this parent is done, nothing reads the old value
            self.pending.append(j)

    def node(self, f: Func, i: int) -> None:
        plan = self.plan
        kind = plan.kinds[i]
        if kind in LEAVES or (plan.vector and i in plan.vector_chain[:-1]):
            return
        kids = plan.kids[i]
        if kind == "macro":
            self.give(f, kids[0], "D" if i == plan.root else self.grad_name(f, i))
            return
        spec = plan.specs[i]
        assert spec is not None
        k = plan.settings[i]
        m = SourceMath(f, f"u{i}_")
        if spec.vjp is not None:  # a list-valued operation: one derivative per entry
            d: Any = [Sym(f"d{j}") for j in range(len(kids))]
            f.line(f"{', '.join(map(str, d))}, = D")
            out: Any = self._list_value(f, i, len(kids)) if "out" in spec.needs else None
            xs: list[Any] = []
        else:
            d = Sym("D" if i == plan.root else self.grad_name(f, i))
            xs = ([Sym(self.value(f, c)) for c in kids] if "xs" in spec.needs
                  else [None] * len(kids))
            out = Sym(self.value(f, i)) if "out" in spec.needs else None
            for cond, _ in spec.slope_guard(m, xs, k):
                f.line(f"if {cond}: raise ArithmeticError")
        for c, share in zip(kids, spec.chain(m, xs, out, d, k)):
            self.give(f, c, str(_sym(share)))

    def _list_value(self, f: Func, i: int, n: int) -> list[Sym]:
        names = [f"s{i}_{j}" for j in range(n)]
        if names[0] not in f.have:
            self.shared.need_v.add(i)
            f.line(f"{', '.join(names)}, = V[{i}]")
            f.have.update(names)
        return [Sym(s) for s in names]

    def update(self, f: Func, j: int) -> None:
        """The SGD step of parameter j, once its gradient is complete."""
        k = self.plan.pos[j]
        p = self.value(f, j)
        g = self.grad_name(f, j)
        opts = self.opts
        if opts.rates is not None:
            lr = _literal(opts.rates[k])
        elif opts.rate_locals:
            lr = f"r{k}"
        else:
            lr = f"N{j}.learning_rate" if opts.on_nodes else f"L[{k}]"
        target = p if opts.param_locals else (f"q{k}" if opts.on_nodes else f"P[{k}]")
        f.line(f"{target} = {p} - {g} * {lr}")

    def funcs(self, first: Func | None = None) -> list[Func]:
        funcs = [first if first is not None else Func(0)]
        done: set[int] = set()
        for i in range(len(self.plan.nodes) - 1, -1, -1):
            f = funcs[-1]
            if first is None and f.count >= self.opts.chunk:
                f = self._next_func(f, funcs, done)
            if self.plan.kinds[i] not in LEAVES:
                f.count += 1
            self.node(f, i)
            done.add(i)
            for j in self.pending:
                self.update(f, j)
            self.pending.clear()
        if self.opts.public and not self.plan.vector and not self.opts.on_nodes:
            funcs[0].insert(0, f"G[{self.plan.root}] = D")
        if not self.opts.on_nodes:
            self._store_gradients(funcs)
        return funcs

    def _next_func(self, f: Func, funcs: list[Func], done: set[int]) -> Func:
        # a gradient known only by another variable's name: hand it on in G
        for j, name in list(self.alias.items()):
            if j not in done and name.isidentifier():
                f.line(f"G[{j}] = {name}")
                del self.alias[j]
        nxt = Func(len(funcs))
        funcs.append(nxt)
        return nxt

    def _store_gradients(self, funcs: list[Func]) -> None:
        """Gradients another function continues (or the caller reads) go to G."""
        later: set[int] = set()
        for f in reversed(funcs):
            keep = [j for j in f.gmod if self.opts.public or j in later]
            if keep:
                f.line("; ".join(f"G[{j}] = g{j}" for j in keep))
            # names loaded from G at the start of f were set in earlier functions
            later.update(int(name[1:]) for name in f.have
                         if name.startswith("g") and name[1:].isdigit())


# -- the program -----------------------------------------------------------------------------
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
        self.FAILED = [-1]
        self.AHEAD = [False]  # the program's parameters are ahead of the objects
        self.LAST = [-1]  # the clock tick at which V was last computed
        #: the gradients the per-sample path wrote: [write number, tick, G]
        self.STAMP: list[Any] = [-1, -1, ()]
        self.ns: dict[str, Any] = {
            "P": self.P, "L": self.L, "V": self.V, "G": self.G, "FAILED": self.FAILED,
            "AHEAD": self.AHEAD, "LAST": self.LAST, "STAMP": self.STAMP, "CLOCK": clock.VALUES,
            "RATE_CHANGES": clock.RATES, "WRITES": clock.GRAD_WRITES,
            "exp": math.exp, "tanh": math.tanh, "log": math.log,
        }
        self.ns.update({f"N{j}": node for j, node in enumerate(plan.nodes)})
        self._tick = now()
        self._last: list[float] | None = None  # inputs of the last careful forward pass
        self._last_at = -1  # and its clock tick
        self._checked: Any = None  # the data whose inputs were checked
        self._epochs: dict[Any, Callable] = {}
        self.chunk = chunk if plan.computing > fuse else plan.computing + 1
        self._build()

    @property
    def _training(self) -> bool:
        return self.AHEAD[0]

    @_training.setter
    def _training(self, ahead: bool) -> None:
        self.AHEAD[0] = ahead

    # -- code generation ------------------------------------------------------------
    def _build(self) -> None:
        plan, shared = self.plan, Shared()
        public = Options(chunk=self.chunk)
        fwd = ForwardWriter(plan, public, shared).funcs()
        result = ForwardWriter(plan, public, shared).value(fwd[-1], plan.root)
        bwd = BackwardWriter(plan, public, shared).funcs()
        self.chunked = len(fwd) > 1
        sources = [f.render(f"backward{f.number}", "X, D") for f in bwd]
        train: list[Func] = []
        if self.chunked:
            self._train_rates = list(self.L)
            opts = Options(chunk=self.chunk, public=False, update=True, inline=True,
                           rates=tuple(self.L))
            train = BackwardWriter(plan, opts, shared).funcs()
            sources += [f.render(f"train{f.number}", "X, D") for f in train]
        user = None if self.chunked or plan.shared else _UserPath(plan, shared)
        if user is not None:
            sources += user.sources()
        # forward functions store what other functions read from them
        for f in fwd:
            mine = sorted(j for j, k in shared.defined_in.items()
                          if k == f.number and j in shared.need_v)
            if mine:
                f.line("; ".join(f"V[{j}] = v{j}" for j in mine))
            last = f is fwd[-1]
            sources.append(f.render(f"forward{f.number}", "X", result if last else None))
        self.source = "\n".join(sources)
        self._exec(self.source, "compiled")
        ns = self.ns
        self._forward = [ns[f"forward{f.number}"] for f in fwd]
        self._backward = [ns[f"backward{f.number}"] for f in bwd]
        self._train = [ns[f"train{f.number}"] for f in train]
        if self.chunked:
            self.step = self._chunked_step
        else:
            self.step_source = self._fused("step", None, epoch=False)
            self.step = ns["step"]
        if user is not None:
            self._use_user_path(user)

    def _use_user_path(self, user: _UserPath) -> None:
        """Route predict/backward to the generated per-sample functions."""
        ns = self.ns
        ns["SLOW_PREDICT"], ns["SLOW_BACKWARD"] = self.careful_predict, self.careful_backward
        ns["SEED"] = lambda d: backward_seed(self.plan, self.model.label(), d)
        ns["GRADS"] = LastGradients(lambda: self._user_gradients(user))
        self.predict = ns["user_predict"]
        self.backward = ns["user_backward"]
        for node in self.plan.nodes:
            if not isinstance(node, Leaf):  # values are written directly: no cache to keep
                node._cached = node._valid = False
            node._direct_writer = self.leave_user_path  # see caching.compile_cached
        for j, node in enumerate(self.plan.nodes):  # node.gradient reads G (ops)
            node._grad_stamp, node._grad_index = self.STAMP, j

    def _user_gradients(self, user: _UserPath) -> Callable[..., tuple[Any, ...]]:
        """Write ``user_gradients`` when a deferred gradient is first read (most loops
        never read one, so ``compile()`` does not pay for it)."""
        self._exec(user.gradients_source(), "gradients")
        return self.ns["user_gradients"]  # type: ignore[no-any-return]

    def leave_user_path(self) -> None:
        """Another model now shares these nodes: change them only through ``.value``."""
        for node in self.plan.nodes:
            node.__dict__.pop("_direct_writer", None)
        self.__dict__.pop("predict", None)
        self.__dict__.pop("backward", None)
        model = self.model
        if model.__dict__.get("_program") is self:
            model.predict, model.backward = self.careful_predict, self.careful_backward

    def _exec(self, source: str, what: str) -> None:
        exec(compile(source, f"<treeprop {what} {self.plan.model.label()}>", "exec"), self.ns)

    def _fused(self, name: str, loss: losses.Loss | None, *, epoch: bool) -> str:
        """Write one function holding forward, loss, backward and update in locals.

        With ``epoch=True`` it is a loop over the samples of an epoch in which the
        parameters stay in local variables from the first sample to the last.
        ``loss`` (one of :mod:`treeprop.losses`' own, scalar) is written inline
        from its formula; otherwise the given functions are called.
        """
        plan, shared = self.plan, Shared()
        opts = Options(chunk=self.chunk, public=False, update=True, inline=True,
                       rates=tuple(self.L), param_locals=epoch)
        step = Func(0)
        if epoch:
            step.have.update(f"p{k}" for k in range(len(plan.params)))
        fwd = ForwardWriter(plan, opts, shared)
        for i in range(len(plan.nodes)):
            fwd.node(step, i)
        step.line(f"out = {fwd.value(step, plan.root)}")
        if not plan.vector:
            step.line("if out - out != 0.0: raise ZeroDivisionError")
        if loss is not None:
            m = SourceMath(step, "lo")
            step.line(f"lv = {_sym(loss.fn(Sym('y'), Sym('out'), m))}")
            step.line(f"D = {_sym(loss.grad(Sym('y'), Sym('out'), m))}")
        else:
            step.line("lv = loss(y, out)")
            step.line("D = dloss(y, out)")
        BackwardWriter(plan, opts, shared).funcs(first=step)
        if not epoch:
            source = step.render(name, "X, y, loss, dloss", "lv")
        else:
            source = _epoch_loop(name, len(plan.params), step)
        self._exec(source, name)
        return source

    def _epoch_function(self, loss: Callable, dloss: Callable) -> Callable:
        """The generated epoch loop for this loss (rebuilt if learning rates changed)."""
        known = losses.find(loss, dloss)
        if self.plan.vector or (known is not None and known.vector):
            known = None
        key = (known.name if known else None, tuple(self.L))
        if key not in self._epochs:
            name = "epoch_" + (known.short if known else "call")
            self._fused(name, known, epoch=True)
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
        if self.AHEAD[0] or self._tick == now():
            for p, v in zip(self.plan.params, self.P):
                if p._value != v:
                    p.value = v
        self.AHEAD[0] = False
        self._tick = now()

    def _catch_up(self) -> None:
        """Before a public call: objects first, then the flat state from them."""
        if self.AHEAD[0]:
            self.write_parameters()
        self.refresh()

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
        self._last_at = now()
        self.LAST[0] = -1  # the per-sample backward needs user_predict's leaf values
        return list(out) if self.plan.vector else out

    @contextmanager
    def _on_the_objects(self) -> Iterator[None]:
        """Let the node objects compute (cached, no recursion), e.g. for a precise error."""
        plain = [n for n in self.plan.nodes if not isinstance(n, Leaf) and not n._cached]
        for n in plain:
            n._cached, n._valid = True, False
        try:
            yield
        finally:
            for n in plain:
                n._cached = n._valid = False

    def _reference_error(self) -> None:
        """Re-run the failing pass on the node objects to raise their precise error."""
        self.write_parameters()
        with self._on_the_objects():
            Computation.forward(self.model)  # raises NonFiniteError naming the node
        raise NonFiniteError(
            f"{self.model.label()}: a value became NaN or infinite in the compiled program "
            "(a learning rate too high, an input too large, or log/divide at zero)"
        )

    # -- the public API (the careful path; see _UserPath for the fast one) -------------------
    def careful_predict(self, inputs: Sequence[float] | dict[str, float]) -> Any:
        self._catch_up()
        xs = check_input_values(self.plan.inputs, inputs)
        self._write_inputs(xs)
        return self._run_forward(xs)

    predict = careful_predict

    def forward(self) -> Any:
        self._catch_up()
        return self._run_forward([n._value for n in self.plan.inputs])

    def careful_backward(self, derivative_from_parent: Any = None, *,
                         update: bool = True) -> None:
        plan = self.plan
        self._catch_up()
        d = backward_seed(plan, self.model.label(), derivative_from_parent)
        if self._last is None or self._last_at != now():
            self.forward()  # values of the current inputs and parameters
        try:
            xs = self._last
            for f in self._backward:
                f(xs, d)
        except (ArithmeticError, ValueError):
            self.write_parameters()
            with self._on_the_objects():
                topological_backward(self.model, derivative_from_parent, update=False)
            raise NonFiniteError(
                f"{self.model.label()}: a gradient became NaN or infinite in the compiled "
                "program"
            ) from None
        self._gradients_to_objects(d, update)

    backward = careful_backward

    def _gradients_to_objects(self, d: Any, update: bool) -> None:
        plan, G = self.plan, self.G
        tick = now()
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
        if batch_size is not None or not order or not self._inputs_fit(data):
            return None
        if not self.AHEAD[0] or self._tick != now():
            self.AHEAD[0] = False
            self.refresh(learning_rates=True)
        self.AHEAD[0] = True
        body, last = (order[:-1], order[-1]) if sync else (order, None)
        try:
            total = self._run_epoch(data, body, loss, dloss)
        except (ArithmeticError, ValueError):
            self.write_parameters()
            x, y = data[self.FAILED[0]]
            self.careful_predict(x)  # the precise error, from the node objects
            raise
        if last is None:
            return total
        # the epoch's last sample through the public API: nodes and parameters in sync
        self.write_parameters()
        x, y = data[last]
        p = self.careful_predict(x)
        total += loss(y, p)
        self.careful_backward(dloss(y, p))
        return total

    def _inputs_fit(self, data: Sequence[Any]) -> bool:
        """Every sample has as many inputs as the model (raises), none by name (False)."""
        if self._checked is not data:
            n = len(self.plan.inputs)
            for x, _ in data:
                if isinstance(x, dict):
                    return False  # inputs by name: the public predict sorts them out
                if len(x) != n:
                    check_input_values(self.plan.inputs, x)  # raises InputCountError
            self._checked = data
        return True

    def _run_epoch(self, data: Sequence[Any], order: Sequence[int], loss: Callable,
                   dloss: Callable) -> float:
        if not self.chunked:
            return self._epoch_function(loss, dloss)(data, order, loss, dloss)  # type: ignore[no-any-return]
        if self.L != self._train_rates:
            self._build()  # the learning rates are written into the code
        total = 0.0
        step = self.step
        for k in order:
            self.FAILED[0] = k
            x, y = data[k]
            total += step(x, y, loss, dloss)
        return total


def _epoch_loop(name: str, n_params: int, step: Func) -> str:
    """The epoch loop around one sample's step, parameters in locals throughout."""
    names = [f"p{k}" for k in range(n_params)]
    store = "; ".join(f"P[{k}] = {p}" for k, p in enumerate(names)) or "pass"
    body = Body()
    if names:
        body.line("; ".join(f"{p} = P[{k}]" for k, p in enumerate(names)))
    body.line("total = 0.0")
    body.line("k = -1")
    with body.block("try:"):
        with body.block("for k in order:"):
            body.line("X, y = data[k]")
            body.extend(step)
            body.line("total += lv")
    with body.block("except (ArithmeticError, ValueError):"):
        body.line(store)
        body.line("FAILED[0] = k")
        body.line("raise")
    body.line(store)
    return body.render(name, "data, order, loss, dloss", "total")


class _UserPath:
    """``predict``/``backward`` for a user's own loop: generated, on the node objects.

    ``user_predict`` checks its argument (a list or tuple of as many plain finite
    numbers as the model has inputs), writes the inputs that changed, computes
    the value and leaves backward what it needs in one tuple (list values in
    ``V``). ``user_backward`` checks its seed and that nothing changed since,
    then writes every node's gradient and, with ``update``, every parameter's
    SGD step (checked finite) onto the nodes. Anything else goes to the careful
    methods, which give the clear error.

    The node objects stay the truth, current after every call; the functions
    only keep copies they can prove current: the parameter values while the
    value clock has not moved, the learning rates while no rate was set.
    """

    def __init__(self, plan: Plan, shared: Shared) -> None:
        self.plan = plan
        opts = Options(chunk=plan.computing + 1, on_nodes=True)
        self.fwd = Func(0)
        self.fwd.have.update(f"x{k}" for k in range(len(plan.inputs)))  # unpacked from X
        self.fwd.have.update(f"p{k}" for k in range(len(plan.params)))  # unpacked from PS
        writer = ForwardWriter(plan, opts, shared)
        for i in range(len(plan.nodes)):
            writer.node(self.fwd, i)
        self.result = writer.value(self.fwd, plan.root)
        self.opts = opts
        self.shared = shared
        # the values backward reads: scalars travel in predict's LEFT tuple, lists in V
        self.carried: list[int] = []
        probe, first = Shared(), Func(0)
        first.have.update(self._leaf_names() + [f"p{k}" for k in range(len(plan.params))])
        BackwardWriter(plan, Options(chunk=opts.chunk, update=True, inline=True, on_nodes=True),
                       probe).funcs(first=first)
        self.carried = sorted(j for j in probe.need_v if f"s{j}_0" not in self.fwd.have)
        self.listed = sorted(j for j in probe.need_v if f"s{j}_0" in self.fwd.have)
        #: may the SGD step leave its gradients to be worked out when read? Only if the
        #: pass reads nothing but LEFT and D: list values in V change with the next predict
        self.lazy = not self.listed and len(plan.nodes) >= LAZY_NODES

    def _leaf_names(self) -> list[str]:
        """What predict leaves backward: the parameters' tuple, the inputs, the values."""
        return (["PS"] * bool(self.plan.params) + [f"x{k}" for k in range(len(self.plan.inputs))]
                + [f"v{j}" for j in self.carried])

    def _params(self) -> list[int]:
        """The parameters' node numbers, in the order of ``p<k>``."""
        index = {id(n): j for j, n in enumerate(self.plan.nodes)}
        return [index[id(p)] for p in self.plan.params]

    def _param_names(self) -> str:
        return "".join(f"p{k}, " for k in range(len(self.plan.params)))

    def sources(self) -> list[str]:
        """Both functions as closures over their own state (cells cost less than ``L[0]``).

        ``KEPT`` holds the parameter values as of clock tick ``KEPT_AT``, ``LEFT``
        what predict leaves backward (see :meth:`_leaf_names`).
        """
        state = "KEPT = (); KEPT_AT = -1; LEFT = (); RATES = (); RATES_AT = -1"
        inner = [self._entry(), self._predict(self.shared)]
        lines = ["def user_functions():", f"    {state}"]
        for src in inner:
            head, rest = src.split("\n", 1)
            lines += [f"    {head}", "        nonlocal KEPT, KEPT_AT, LEFT, RATES, RATES_AT"]
            lines += [f"    {line}" if line else line for line in rest.split("\n")]
        lines += ["    return user_predict, user_backward",
                  "user_predict, user_backward = user_functions()"]
        return ["\n".join(lines)]

    def gradients_source(self) -> str:
        """``user_gradients(LEFT, D)``: every node's gradient, for :class:`LastGradients`.

        The same pass as ``user_backward(update=False)``, from the leaf values
        that step used, so it gives the very numbers the step computed.
        """
        step, grads = self._pass(update=False)
        step.line(f"return ({', '.join(grads)},)")
        return step.render("user_gradients", "LEFT, D")

    def _entry(self) -> str:
        """``user_backward``: the seed's check, then the pass or the careful path."""
        body = Body()
        slow = "return SLOW_BACKWARD(derivative_from_parent, update=update)"
        with body.block("if AHEAD[0] or LAST[0] != CLOCK[0]:"):
            body.line("return SLOW_BACKWARD(derivative_from_parent, update=update)")
        if self.plan.vector:
            body.line("D = SEED(derivative_from_parent)")
        else:
            body.line("D = derivative_from_parent")
            with body.block("if type(D) is not float and type(D) is not int:"):
                body.line("D = SEED(D)")  # None, a list by mistake, numpy numbers ...
        with body.block("if update:"):
            body.extend(self._backward(update=True, failed=slow))
        with body.block("else:"):
            body.extend(self._backward(update=False, failed=slow))
        return body.render("user_backward", "derivative_from_parent=None, *, update=True")

    def _predict(self, shared: Shared) -> str:
        plan, body = self.plan, Body()
        xs = [f"x{k}" for k in range(len(plan.inputs))]
        plain = " or ".join(f"(type({x}) is not float and type({x}) is not int)" for x in xs)
        finite = " or ".join(f"{x} - {x} != 0.0" for x in xs)
        with body.block("if AHEAD[0] or type(X) is not list and type(X) is not tuple:"):
            body.line("return SLOW_PREDICT(X)")
        with body.block("try:"):
            body.line(f"{', '.join(xs)}, = X" if xs else "if X: raise ValueError")
        with body.block("except ValueError:"):
            body.line("return SLOW_PREDICT(X)")  # the wrong count, worded by the careful path
        if xs:
            with body.block(f"if {plain} or {finite}:"):
                body.line("return SLOW_PREDICT(X)")
        index = {id(n): j for j, n in enumerate(plan.nodes)}
        params = self._params()
        if params:
            # the parameters as one tuple: the one kept at the last call if no leaf
            # changed since (every change of .value ticks the clock), else read anew
            with body.block("if KEPT_AT == CLOCK[0]:"):
                body.line("PS = KEPT")
            with body.block("else:"):
                body.line(f"PS = ({''.join(f'N{j}._value, ' for j in params)})")
        if xs:  # the inputs that changed, all stamped with one new tick
            body.line("t = CLOCK[0]")
            body.line("c = t + 1")
        for x, node in zip(xs, plan.inputs):
            j = index[id(node)]
            with body.block(f"if N{j}._value != {x}:"):
                body.line(f"N{j}._value = {x}")
                body.line(f"N{j}._changed_tick = t = c")
        if xs:
            body.line("CLOCK[0] = t")
        if params:
            body.line("KEPT = PS")
            body.line("KEPT_AT = t" if xs else "KEPT_AT = CLOCK[0]")  # t: the clock now
        with body.block("try:"):
            if params:
                body.line(f"{self._param_names()}= PS")
            body.extend(self.fwd)
            body.line(f"out = {self.result}")
            checks = ([f"out[{j}] - out[{j}] != 0.0" for j in range(plan.width)]
                      if plan.vector else ["out - out != 0.0"])
            body.line(f"if {' or '.join(checks)}: raise ArithmeticError")
        with body.block("except (ArithmeticError, ValueError, TypeError):"):
            body.line("return SLOW_PREDICT(X)")  # the precise error, from the objects
        mine = self.listed
        if mine:
            body.line("; ".join(f"V[{j}] = v{j}" for j in mine))
        leaves = self._leaf_names()
        if leaves:
            body.line(f"LEFT = ({', '.join(leaves)},)")
        body.line("LAST[0] = CLOCK[0]")
        return body.render("user_predict", "X", "list(out)" if plan.vector else "out")

    def _pass(self, update: bool) -> tuple[Func, list[str]]:
        """One backward pass from ``LEFT`` and ``D``, and each node's gradient's name."""
        plan = self.plan
        opts = Options(chunk=self.opts.chunk, update=update, inline=True, on_nodes=True,
                       rate_locals=True)
        step = Func(0)
        leaves = self._leaf_names()
        if leaves:  # the leaf values predict used, in one tuple (nothing changed since)
            step.line(f"{', '.join(leaves)}, = LEFT")
            step.have.update(leaves)
        if plan.params:
            step.line(f"{self._param_names()}= PS")
            step.have.update(f"p{k}" for k in range(len(plan.params)))
        if update and plan.params:  # the rates as one tuple, read anew once one was set
            with step.block("if RATES_AT != RATE_CHANGES[0]:"):
                step.line(f"RATES = ({''.join(f'N{j}.learning_rate, ' for j in self._params())})")
                step.line("RATES_AT = RATE_CHANGES[0]")
            step.line(f"{''.join(f'r{k}, ' for k in range(len(plan.params)))}= RATES")
        writer = BackwardWriter(plan, opts, self.shared)
        writer.funcs(first=step)
        grads = []
        for j in range(len(plan.nodes)):
            if j == plan.root or j in plan.vector_chain:
                grads.append("list(D)" if plan.vector else "D")
            else:  # the public pass gives every other node its gradient
                grads.append(writer.alias.get(j) or (f"g{j}" if f"g{j}" in step.have else "0.0"))
        return step, grads

    def _backward(self, update: bool, failed: str) -> Body:
        plan = self.plan
        step, grads = self._pass(update)
        body = Body()
        with body.block("try:"):
            body.extend(step)
            params = [j for j, k in enumerate(plan.kinds) if k == "param"]
            if update and params:
                # the new values as one tuple (the next predict starts from it), and
                # its sum, NaN or infinite if any new value is (or, harmlessly, if the
                # sum overflows: then the careful path redoes the step); sum() of a
                # tuple of floats is a C loop, cheaper than one + per parameter
                body.line(f"QS = ({''.join(f'q{k}, ' for k in range(len(plan.params)))})")
                body.line("chk = sum(QS)" if len(params) >= SUM_PARAMS else
                          f"chk = {' + '.join(f'q{k}' for k in range(len(params)))}")
                body.line("if chk - chk != 0.0: raise ArithmeticError")
        with body.block("except (ArithmeticError, ValueError, TypeError):"):
            body.line(failed)  # nothing was written yet: the careful path redoes it
        if update:
            body.line("CLOCK[0] += 1")
        if update and self.lazy:
            # every node's gradient, worked out only when one is read (see LastGradients):
            # the step itself needed them only in local variables
            body.line("GRADS.pending = (LEFT, D)")
            body.line("STAMP[2] = GRADS")
        else:  # every node's gradient at once: node.gradient reads them (ops)
            body.line(f"STAMP[2] = ({', '.join(grads)},)")
        body.line("STAMP[1] = CLOCK[0]")
        body.line("STAMP[0] = WRITES[0] = WRITES[0] + 1")
        if update:
            for j in params:
                k = plan.pos[j]
                # no _changed_tick: the gradients just written carry tick c, so the
                # step does not make them stale, as after the recursive engine's update
                body.line(f"N{j}._value = q{k}")
            if params:  # the next predict takes them from here (see _predict)
                body.line("KEPT = QS")
                body.line("KEPT_AT = CLOCK[0]")
        return body


class LastGradients:
    """Every node's gradient from the user path's last SGD step, worked out when read.

    The step needs its gradients only in local variables; handing all of them
    to the nodes as a tuple cost more than a tenth of a per-sample step on the
    moons MLP. So the step keeps what it started from (``pending``: the leaf
    values it used and its seed, both immutable), and the first read of any
    node's gradient runs ``user_gradients`` on them: the same pass, so the same
    numbers, and it cannot fail where the step did not.
    """

    __slots__ = ("build", "compute", "pending", "values")

    def __init__(self, build: Callable[[], Callable[..., tuple[Any, ...]]]) -> None:
        self.build = build  # writes and compiles user_gradients, on first need
        self.compute: Callable[..., tuple[Any, ...]] | None = None
        self.pending: tuple[Any, Any] | None = None
        self.values: tuple[Any, ...] = ()

    def __getitem__(self, j: int) -> Any:
        if self.pending is not None:
            if self.compute is None:
                self.compute = self.build()
            self.values = self.compute(*self.pending)
            self.pending = None
        return self.values[j]


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
    """The derivative backward starts from, checked as every engine checks it."""
    return check_seed(label, plan.width if plan.vector else None, d)


__all__ = ["CHUNK", "FLOAT", "FUSE", "TERMS", "CompiledProgram", "Options", "Plan",
           "SourceMath", "Sym", "UnsupportedNodeError", "backward_seed", "node_kind"]
