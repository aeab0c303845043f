"""Layer 2 — elementary operations, their local derivatives and the chain rule.

Each operation knows two things: its value given its children's values
(``op``) and how much that value moves when one child moves (``grad``, one
number per child). The chain rule (:func:`backward_recursive`, added to every
node) does the rest: a node hands each child the derivative it received times
its local derivative. ``grad`` asks the children (or the node itself) for
``forward()`` again: before ``compile()`` that recomputes whole subtrees,
which is exactly the cost layer 4 removes. This layer also gives every node
its ``gradient`` (what the chain rule leaves on it) and every parameter its
``learning_rate`` as properties whose changes the compiled engine can notice.

The table of operations
    Every operation's maths -- its value, its local derivatives and the inputs
    it refuses -- is written once, in :data:`TABLE`, as small functions of a
    *maths namespace* ``m`` (``m.exp``, ``m.where``, ``m.let`` ...). Called with
    :data:`FLOAT` they compute on numbers (this module's ``op``/``grad``); the
    compiled engine calls them with a namespace that writes Python source
    (:mod:`treeprop.fast`) and the batched engine with NumPy
    (:mod:`treeprop.batched`). A new operation is one :func:`define` call and
    one small class.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from treeprop import clock
from treeprop.errors import ArityError, NonFiniteError, TreeTooDeepError
from treeprop.nodes import (
    Leaf,
    NeuralNetNode,
    Operation,
    Parameter,
    as_node,
    method_of,
    nested_repr,
)
from treeprop.nodes import too_deep as _too_deep

#: the largest x whose e^x is still a finite float
EXP_LIMIT = 709.782712893384


# -- the table ------------------------------------------------------------------------
def _no_guard(m: Any, xs: list[Any], k: Any) -> list[tuple[Any, str]]:
    return []


@dataclass(frozen=True)
class OpSpec:
    """One operation's maths, written once for every engine.

    ``forward(m, xs, k)`` is the value from the children's values ``xs`` (``k`` is
    the node's setting, e.g. Power's exponent, else ``None``). ``local(m, xs,
    out, k)`` gives one local derivative per child (``out`` is the value), or,
    for list-valued operations, ``vjp(m, xs, out, d, k)`` gives each child's
    share of the derivatives ``d`` directly. ``guard(m, xs, k)`` lists
    ``(condition, message)`` pairs checked before the value is computed, and
    ``slope_guard`` those checked before the derivatives; a message is a format
    string over ``label``, ``x0``, ``x1`` and ``k``. ``needs`` says what the local
    derivatives read, so ``grad()`` asks for no value it does not use.
    """

    kind: str
    forward: Callable[..., Any]
    local: Callable[..., list[Any]] | None = None
    vjp: Callable[..., list[Any]] | None = None
    guard: Callable[..., list[tuple[Any, str]]] = _no_guard
    slope_guard: Callable[..., list[tuple[Any, str]]] = _no_guard
    setting: str | None = None  # the node attribute passed as ``k``
    #: what the local derivatives read: the children's values ("xs"), the value ("out")
    needs: tuple[str, ...] = ()

    def chain(self, m: Any, xs: list[Any], out: Any, d: Any, k: Any) -> list[Any]:
        """Each child's derivative: ``d`` times the local derivative (or the vjp)."""
        if self.vjp is not None:
            return self.vjp(m, xs, out, d, k)
        assert self.local is not None
        # d * 1.0 is d: hand it on as it is (no copy of an array, no extra statement)
        return [d if type(g) is float and g == 1.0 else d * g
                for g in self.local(m, xs, out, k)]


TABLE: dict[str, OpSpec] = {}


def define(spec: OpSpec) -> OpSpec:
    """Add an operation to :data:`TABLE` (layer 6 adds the list-valued ones)."""
    TABLE[spec.kind] = spec
    return spec


def _prefix_suffix(m: Any, xs: list[Any], out: Any, k: Any) -> list[Any]:
    """d(product)/d(x_i) = product of the others, by prefix and suffix products."""
    n = len(xs)
    if n == 1:
        return [1.0]
    prefix = [xs[0]]  # prefix[i] = x_0 ... x_i
    for v in xs[1:-1]:
        prefix.append(m.let(prefix[-1] * v))
    local: list[Any] = [0.0] * n
    local[n - 1] = prefix[n - 2]
    suffix = xs[n - 1]
    for i in range(n - 2, 0, -1):
        local[i] = m.let(prefix[i - 1] * suffix)
        suffix = m.let(suffix * xs[i])
    local[0] = suffix
    return local


def _sigmoid(m: Any, xs: list[Any], k: Any) -> Any:
    # e^-|x| never overflows; both branches then stay finite
    e = m.let(m.exp(-m.abs(xs[0])))
    return m.where(xs[0] >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow_guard(m: Any, xs: list[Any], k: float) -> list[tuple[Any, str]]:
    found = []
    if k < 0:
        found.append((xs[0] == 0.0, "{label}: 0 ** {k:g} divides by zero"))
    if not float(k).is_integer():
        found.append((xs[0] < 0.0, "{label}: ({x0:g}) ** {k:g} is not a real number"))
    return found


def _pow_slope_guard(m: Any, xs: list[Any], k: float) -> list[tuple[Any, str]]:
    if k == 0.0 or k >= 1.0:
        return []
    return [(xs[0] == 0.0, "{label}: the slope of x ** {k:g} at 0 is infinite")]


ADD = define(OpSpec("add", lambda m, xs, k: m.sum(xs),
                    local=lambda m, xs, out, k: [1.0] * len(xs)))
MUL = define(OpSpec("mul", lambda m, xs, k: m.prod(xs), local=_prefix_suffix, needs=("xs",)))
RELU = define(OpSpec("relu", lambda m, xs, k: m.maximum(xs[0], 0.0),
                     local=lambda m, xs, out, k: [m.where(xs[0] > 0.0, 1.0, 0.0)],
                     needs=("xs",)))
SIGMOID = define(OpSpec("sigmoid", _sigmoid,
                        local=lambda m, xs, out, k: [out * (1.0 - out)], needs=("out",)))
TANH = define(OpSpec("tanh", lambda m, xs, k: m.tanh(xs[0]),
                     local=lambda m, xs, out, k: [1.0 - out * out], needs=("out",)))
EXP = define(OpSpec(
    "exp", lambda m, xs, k: m.exp(xs[0]), local=lambda m, xs, out, k: [out], needs=("out",),
    guard=lambda m, xs, k: [(xs[0] > EXP_LIMIT, "{label}: e^{x0:g} overflows a float "
                                                "(limit is about e^709)")]))
LOG = define(OpSpec(
    "log", lambda m, xs, k: m.log(xs[0]), local=lambda m, xs, out, k: [1.0 / xs[0]],
    needs=("xs",),
    guard=lambda m, xs, k: [(xs[0] <= 0.0, "{label}: log({x0:g}) is undefined; "
                                           "the argument must be > 0")]))
POW = define(OpSpec(
    "pow", lambda m, xs, k: m.pow(xs[0], k),
    local=lambda m, xs, out, k: [0.0] if k == 0.0 else [k * m.pow(xs[0], k - 1.0)],
    guard=_pow_guard, slope_guard=_pow_slope_guard, setting="exponent", needs=("xs",)))
NEG = define(OpSpec("neg", lambda m, xs, k: -xs[0], local=lambda m, xs, out, k: [-1.0]))
DIV = define(OpSpec(
    "div", lambda m, xs, k: xs[0] / xs[1],
    local=lambda m, xs, out, k: [1.0 / xs[1], -xs[0] / (xs[1] * xs[1])],
    guard=lambda m, xs, k: [(xs[1] == 0.0, "{label}: division by zero ({x0:g} / 0)")],
    needs=("xs",)))


class _FloatMath:
    """The maths namespace on plain floats: what ``op`` and ``grad`` compute with."""

    exp, log, tanh, abs, max = math.exp, math.log, math.tanh, builtins.abs, builtins.max

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return b if b > a else a  # as max(a, b), a conditional is several times cheaper

    # a name for a value used twice; a number needs none. +x is x itself for a
    # float, and operator.pos, a C function, costs less than a call of our own
    let = operator.pos

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def clip(x: float, low: float, high: float) -> float:
        # as min(max(x, low), high), NaN included; conditionals, because the user's
        # own loop calls bce_grad once per sample and min/max cost most of its time
        return low if x < low else (high if x > high else x)

    @staticmethod
    def sum(xs: list[float]) -> float:
        return builtins.sum(xs)

    @staticmethod
    def prod(xs: list[float]) -> float:
        return math.prod(xs)

    @staticmethod
    def pow(x: float, k: float) -> float:
        return x**k


FLOAT = _FloatMath()


def message(text: str, label: str, xs: list[Any], k: Any) -> str:
    """A guard's message for the offending numbers."""
    x0 = float(xs[0]) if xs else 0.0
    x1 = float(xs[1]) if len(xs) > 1 else 0.0
    return text.format(label=label, x0=x0, x1=x1, k=k if k is not None else 0.0)


def setting(spec: OpSpec, node: Any) -> Any:
    """The node's setting that the table's functions get as ``k`` (or ``None``)."""
    return getattr(node, spec.setting) if spec.setting else None


def evaluate(spec: OpSpec, node: Any, xs: list[Any]) -> Any:
    """``spec``'s value on floats, with its guards as clear errors."""
    k = setting(spec, node)
    for cond, text in spec.guard(FLOAT, xs, k):
        if cond:
            raise NonFiniteError(message(text, node.label(), xs, k))
    try:
        return spec.forward(FLOAT, xs, k)
    except OverflowError:
        raise NonFiniteError(message("{label}: the value overflows a float (from {x0:g})",
                                     node.label(), xs, k)) from None


def local_derivatives(spec: OpSpec, node: Any, xs: list[Any], out: Any) -> list[Any]:
    """``spec``'s local derivatives on floats, with its slope guards as clear errors."""
    k = setting(spec, node)
    for cond, text in spec.slope_guard(FLOAT, xs, k):
        if cond:
            raise NonFiniteError(message(text, node.label(), xs, k))
    assert spec.local is not None
    return spec.local(FLOAT, xs, out, k)


class Elementary(Operation):
    """An operation whose maths is its row of :data:`TABLE` (``spec``)."""

    spec: OpSpec

    def op(self, x: list[float]) -> float:
        return evaluate(self.spec, self, x)  # type: ignore[no-any-return]

    def grad(self) -> list[float]:
        needs = self.spec.needs
        xs = ([c.forward() for c in self.children] if "xs" in needs
              else [None] * len(self.children))
        out = self.forward() if "out" in needs else None
        return local_derivatives(self.spec, self, xs, out)


# -- the operations ----------------------------------------------------------------------
class Add(Elementary):
    """The sum of any number of children; each local derivative is 1."""

    spec = ADD


class Multiply(Elementary):
    """The product of any number of children.

    d(product)/d(child i) is the product of all the *other* children. It is
    computed with prefix and suffix products rather than by division, so a
    child equal to zero is no problem.
    """

    spec = MUL


class ReLU(Elementary):
    """max(0, x): passes positive values, blocks negative ones."""

    arity = 1
    spec = RELU


def stable_sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large negative x."""
    return _sigmoid(FLOAT, [x], None)  # type: ignore[no-any-return]


class Sigmoid(Elementary):
    """1 / (1 + e^-x), squashing any number into (0, 1); derivative s (1 - s)."""

    arity = 1
    spec = SIGMOID


class Tanh(Elementary):
    """tanh(x), squashing into (-1, 1); derivative 1 - tanh(x)^2."""

    arity = 1
    spec = TANH


class Exp(Elementary):
    """e^x; its derivative is itself. Overflow is an error, not ``inf``."""

    arity = 1
    spec = EXP


class Log(Elementary):
    """The natural logarithm; a child at or below zero is an error, never -inf."""

    arity = 1
    spec = LOG


class Power(Elementary):
    """x ** k for a constant exponent k; derivative k x^(k-1)."""

    arity = 1
    spec = POW

    def __init__(self, *children: Any, exponent: float = 2.0, name: str | None = None) -> None:
        super().__init__(*children, name=name)
        self.exponent = float(exponent)

    def __repr__(self) -> str:
        return f"Power({nested_repr(self.children[0])}, exponent={self.exponent:g})"


class Negate(Elementary):
    """-x; derivative -1."""

    arity = 1
    spec = NEG


class Divide(Elementary):
    """a / b; derivatives 1/b and -a/b^2. Dividing by zero is an error."""

    arity = 2
    spec = DIV


# -- what the chain rule leaves on every node: its gradient ---------------------------
def _get_gradient(self: NeuralNetNode) -> Any:
    """d(root)/d(this node) from the last ``backward`` (``None`` before any)."""
    stamp = self._grad_stamp
    if stamp[0] > self._grad_seq:  # a compiled program wrote it after us
        return stamp[2][self._grad_index]
    return self._gradient


def _set_gradient(self: NeuralNetNode, value: Any) -> None:
    self._gradient = value
    clock.GRAD_WRITES[0] += 1  # the latest write wins, whoever made it
    self._grad_seq = clock.GRAD_WRITES[0]


NeuralNetNode.gradient = property(_get_gradient, _set_gradient,  # type: ignore[attr-defined]
                                  doc=_get_gradient.__doc__)
NeuralNetNode._gradient = None  # type: ignore[attr-defined]
NeuralNetNode._grad_seq = -1  # type: ignore[attr-defined]  # GRAD_WRITES at our last write
#: gradients a compiled program wrote for many nodes at once (treeprop.fast), as
#: ``[write number, clock tick, values]``; a node's is ``values[_grad_index]``
NeuralNetNode._grad_stamp = (-1, -1, None)  # type: ignore[attr-defined]
NeuralNetNode._grad_index = -1  # type: ignore[attr-defined]


# -- a parameter's learning rate: the size of its SGD step -----------------------------
def _get_learning_rate(self: Parameter) -> float:
    """The SGD step size; setting it is noticed by the compiled engine's user path."""
    try:  # kept under its own name in the instance's __dict__ (saving lists the fields)
        return self.__dict__["learning_rate"]  # type: ignore[no-any-return]
    except KeyError:  # a node being built (saving.from_dict) before its fields
        raise AttributeError("learning_rate") from None


def _set_learning_rate(self: Parameter, rate: float) -> None:
    self.__dict__["learning_rate"] = rate
    clock.RATES[0] += 1


Parameter.learning_rate = property(_get_learning_rate, _set_learning_rate,  # type: ignore[assignment]
                                   doc=_get_learning_rate.__doc__)


# -- the chain rule, for every node ---------------------------------------------------
@method_of(NeuralNetNode)
def grad(self: NeuralNetNode) -> list[float]:
    """Local derivatives: d(this node's output)/d(child i), for each child i."""
    raise NotImplementedError(f"{type(self).__name__} does not define grad()")


@method_of(NeuralNetNode)
def on_backward(self: NeuralNetNode, derivative_from_parent: Any) -> None:
    """Hook run when the derivative reaches this node; parameters learn here."""


@method_of(Leaf)
def grad(self: Leaf) -> list[float]:  # noqa: F811 - a leaf's own grad
    return []


@method_of(Parameter)
def on_backward(self: Parameter, derivative_from_parent: Any) -> None:  # noqa: F811
    """Plain stochastic gradient descent: step against the derivative."""
    self.value = self._value - derivative_from_parent * self.learning_rate


@method_of(NeuralNetNode)
def _child_derivatives(self: NeuralNetNode, d: Any) -> Any:
    """Pairs (child, d * local derivative): the chain rule for one node."""
    local = self.grad()
    if len(local) != len(self.children):
        raise ArityError(
            f"{self.label()}.grad() returned {len(local)} derivatives "
            f"for {len(self.children)} children"
        )
    return ((c, d * g) for c, g in zip(self.children, local))


@method_of(NeuralNetNode)
def backward_recursive(self: NeuralNetNode, derivative_from_parent: float = 1.0) -> None:
    """The course's first ``backward``: correct for trees, not for shared nodes.

    It calls ``on_backward`` and hands each child ``derivative * local``,
    recursively. A node with two parents is visited twice and updated twice
    (layer 8 fixes that with :meth:`backward`).
    """
    self.gradient = derivative_from_parent
    self.on_backward(derivative_from_parent)
    try:
        for child, share in self._child_derivatives(derivative_from_parent):
            child.backward_recursive(share)
    except RecursionError as err:
        if isinstance(err, TreeTooDeepError):
            raise
        raise _too_deep(self) from None


# -- operators: a + b builds Add(a, b) --------------------------------------------------
@method_of(NeuralNetNode)
def __add__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Add(self, other)


@method_of(NeuralNetNode)
def __radd__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Add(other, self)


@method_of(NeuralNetNode)
def __mul__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Multiply(self, other)


@method_of(NeuralNetNode)
def __rmul__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Multiply(other, self)


@method_of(NeuralNetNode)
def __neg__(self: NeuralNetNode) -> NeuralNetNode:
    return Negate(self)


@method_of(NeuralNetNode)
def __sub__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Add(self, Negate(as_node(other)))


@method_of(NeuralNetNode)
def __rsub__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Add(other, Negate(self))


@method_of(NeuralNetNode)
def __truediv__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Divide(self, other)


@method_of(NeuralNetNode)
def __rtruediv__(self: NeuralNetNode, other: Any) -> NeuralNetNode:
    return Divide(other, self)


@method_of(NeuralNetNode)
def __pow__(self: NeuralNetNode, exponent: float) -> NeuralNetNode:
    return Power(self, exponent=exponent)
