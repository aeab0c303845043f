"""Layer 1 — a network is a tree of nodes, and forward evaluation is a recursion.

Leaves hold numbers (:class:`Input`, :class:`Parameter`, :class:`Constant`);
inner nodes (:class:`Operation`) combine the values of their children. The
value of the whole network is ``root.forward()``: each node asks its children
for their values and applies its own ``op`` to them.

This module also carries the machinery later layers switch on: the chain rule
(``grad``/``backward``, layer 2), ``predict`` (layer 3), ``compile`` and the
forward cache (layer 4). Each of those is explained in its own module; the
methods live here because every node needs them.
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from treeprop.errors import (
    ArityError,
    InputCountError,
    NonFiniteError,
    TreeTooDeepError,
)

Value = float | list[float]

# One seeded generator for every Parameter's starting value: runs repeat exactly.
_rng = random.Random(0)


def seed(n: int) -> None:
    """Reseed the generator that draws new parameters' starting values."""
    _rng.seed(n)


class OpCounter:
    """Counts how often any node's ``op`` ran: the cost the cache removes."""

    def __init__(self) -> None:
        self.ops = 0

    def reset(self) -> None:
        self.ops = 0


STATS = OpCounter()


@contextmanager
def count_ops() -> Iterator[OpCounter]:
    """Count ``op`` evaluations inside a ``with`` block.

    >>> with count_ops() as c:
    ...     model.forward()
    >>> c.ops
    """
    counter = OpCounter()
    start = STATS.ops
    try:
        yield counter
    finally:
        counter.ops = STATS.ops - start


# A global clock that ticks whenever a leaf value changes; gradients remember
# the tick at which they were computed, so drawings can tell stale from fresh.
_CLOCK = [0]


def _tick() -> int:
    _CLOCK[0] += 1
    return _CLOCK[0]


def now() -> int:
    """The current value-change tick (see :func:`gradient_is_stale`)."""
    return _CLOCK[0]


def _check_finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise NonFiniteError(f"{what} must be finite, got {value}")
    return float(value)


def as_node(x: Any) -> NeuralNetNode:
    """A node as it is, or a plain number wrapped in a :class:`Constant`."""
    if isinstance(x, NeuralNetNode):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Constant(x)
    raise TypeError(
        f"a child must be a NeuralNetNode or a number, got {type(x).__name__} {x!r}"
    )


@dataclass(eq=False, repr=False)
class NeuralNetNode:
    """A node of the network's syntax tree.

    Subclasses say what they compute (``op``) and how that changes with each
    child (``grad``); this base class turns those two facts into forward
    evaluation and backpropagation. Nodes compare by identity, so the same
    node object used twice is one node used twice.
    """

    children: list[NeuralNetNode] = field(default_factory=list)

    #: how many children the node takes; ``None`` means one or more.
    arity: ClassVar[int | None] = None

    def __post_init__(self) -> None:
        self.children = [as_node(c) for c in self.children]
        self.name: str | None = getattr(self, "name", None)
        #: dOutput/dNode from the last ``backward`` (``None`` before any).
        self.gradient: Value | None = None
        self._grad_tick = -1
        #: the innermost macro this node was created by (layer 5), if any.
        self.macro: Any = getattr(self, "macro", None)
        # forward cache (layer 4), switched on by ``compile``
        self._cached = False
        self._valid = False
        self._value: Any = None
        self._parents: list[NeuralNetNode] = []

    # -- what a node computes ------------------------------------------------
    def op(self, x: list[float]) -> Value:
        """The node's value, given its children's values ``x``."""
        raise NotImplementedError(f"{type(self).__name__} does not define op()")

    def grad(self) -> list[float]:
        """Local derivatives: d(this node's output)/d(child i), for each child i."""
        raise NotImplementedError(f"{type(self).__name__} does not define grad()")

    def on_backward(self, derivative_from_parent: Value) -> None:
        """Hook run when the derivative reaches this node; parameters learn here."""

    # -- forward ---------------------------------------------------------------
    def forward(self) -> Value:
        """This node's value: ``op`` applied to the children's values.

        Before ``compile()`` this is the plain recursion of the course, and it
        recomputes everything on every call. After ``compile()`` values are
        cached and only what changed is recomputed, without recursion.
        """
        if self._cached:
            if not self._valid:
                _evaluate_cached(self)
            return self._value
        try:
            values = [child.forward() for child in self.children]
        except RecursionError as err:
            if isinstance(err, TreeTooDeepError):
                raise
            raise _too_deep(self) from None
        return self._apply(values)

    def __call__(self) -> Value:
        return self.forward()

    def _apply(self, values: list[Any]) -> Value:
        STATS.ops += 1
        out = self.op(values)
        if isinstance(out, list):
            for v in out:
                if v - v != 0:
                    raise self._nonfinite(out, values)
        elif out - out != 0:  # NaN or +-inf, without a function call
            raise self._nonfinite(out, values)
        return out

    def _nonfinite(self, out: Any, values: list[Any]) -> NonFiniteError:
        return NonFiniteError(
            f"{self.label()} produced {out} from its children's values {values}; "
            "a value overflowed or became undefined (a learning rate too high, "
            "an input too large, or log/divide at zero)"
        )

    # -- backward (layer 2, made safe for shared nodes in layer 8) --------------
    def backward(self, derivative_from_parent: Value = 1.0, *, update: bool = True) -> None:
        """Backpropagate: give every node below its derivative, then let leaves learn.

        Each node's ``gradient`` becomes d(root)/d(node) times the derivative the
        root was handed. Nodes are visited in topological order and derivatives
        from several parents are summed, so a node used twice is counted twice,
        correctly. ``on_backward`` (the SGD step of a :class:`Parameter`) runs
        once per node, after every derivative is known. ``update=False`` only
        computes gradients.
        """
        order = self.__dict__.get("_topo") if self._cached else None
        if order is None:
            from treeprop.graph import topological_order

            order = topological_order(self)
        pending: dict[int, Any] = {id(self): derivative_from_parent}
        tick = now()
        for node in order:
            d = pending.pop(id(node), 0.0)
            node.gradient = d
            node._grad_tick = tick
            node._grad_root = self
            if node.children:
                for child, share in node._child_derivatives(d):
                    key = id(child)
                    # a macro standing for an Output passes a list on unchanged
                    pending[key] = pending[key] + share if key in pending else share
        if update:
            for node in order:
                node.on_backward(node.gradient)
            tick = now()
            for node in order:
                node._grad_tick = tick

    def _child_derivatives(self, d: Any) -> Iterator[tuple[NeuralNetNode, float]]:
        """Pairs (child, d * local derivative): the chain rule for one node."""
        local = self.grad()
        if len(local) != len(self.children):
            raise ArityError(
                f"{self.label()}.grad() returned {len(local)} derivatives "
                f"for {len(self.children)} children"
            )
        return ((c, d * g) for c, g in zip(self.children, local))

    def backward_recursive(self, derivative_from_parent: float = 1.0) -> None:
        """The course's first ``backward``: correct for trees, not for shared nodes.

        It calls ``on_backward`` and hands each child ``derivative * local``,
        recursively. A node with two parents is visited twice and updated twice
        (see layer 8). Kept as the baseline the later layers improve on.
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

    # -- naming and printing -----------------------------------------------------
    def label(self) -> str:
        """A short human name: the node's ``name`` or its class."""
        return self.name or type(self).__name__

    def __repr__(self) -> str:
        inner = ", ".join(nested_repr(c) for c in self.children[:4])
        if len(self.children) > 4:
            inner += f", ... ({len(self.children)} children)"
        return f"{type(self).__name__}({inner})"

    # -- operators: a + b builds Add(a, b) ----------------------------------------
    def __add__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Add

        return Add(self, other)

    def __radd__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Add

        return Add(other, self)

    def __mul__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Multiply

        return Multiply(self, other)

    def __rmul__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Multiply

        return Multiply(other, self)

    def __neg__(self) -> NeuralNetNode:
        from treeprop.ops import Negate

        return Negate(self)

    def __sub__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Add, Negate

        return Add(self, Negate(as_node(other)))

    def __rsub__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Add, Negate

        return Add(other, Negate(self))

    def __truediv__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Divide

        return Divide(self, other)

    def __rtruediv__(self, other: Any) -> NeuralNetNode:
        from treeprop.ops import Divide

        return Divide(other, self)

    def __pow__(self, exponent: float) -> NeuralNetNode:
        from treeprop.ops import Power

        return Power(self, exponent=exponent)


_REPR_DEPTH = [0]  # how deep the current repr() is nested
REPR_LIMIT = 6


def nested_repr(child: NeuralNetNode) -> str:
    """A child's repr inside its parent's, cut short below ``REPR_LIMIT`` levels.

    Without the limit a 10,000-deep chain (or a graph with a cycle) makes
    ``repr`` -- and so a notebook showing the model -- fail with RecursionError.
    """
    if _REPR_DEPTH[0] >= REPR_LIMIT and not isinstance(child, Leaf):
        return f"{type(child).__name__}(...)"
    _REPR_DEPTH[0] += 1
    try:
        return repr(child)
    finally:
        _REPR_DEPTH[0] -= 1


def _too_deep(node: NeuralNetNode) -> Exception:
    from treeprop.graph import find_cycle

    cycle = find_cycle(node)
    if cycle is not None:
        from treeprop.graph import postorder

        try:
            postorder(node)
        except Exception as err:  # the CycleError with the cycle's names
            return err
    return TreeTooDeepError(
        f"the tree below {node.label()} is deeper than Python's recursion limit "
        f"({sys.getrecursionlimit()}) allows for the teaching recursion; call "
        "model.compile() first, which evaluates and backpropagates without recursion"
    )


def _evaluate_cached(root: NeuralNetNode) -> None:
    """Recompute the invalid nodes below ``root``, children first, no recursion."""
    stack: list[tuple[NeuralNetNode, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node._valid:
            continue
        if ready:
            node._value = node._apply(
                [c._value if c._cached else c.forward() for c in node.children]
            )
            node._valid = True
        else:
            stack.append((node, True))
            for child in reversed(node.children):
                if child._cached and not child._valid:
                    stack.append((child, False))


class Leaf(NeuralNetNode):
    """A node with no children whose value is set from outside."""

    arity = 0

    def __init__(self, value: float, name: str | None = None) -> None:
        self.name = name
        super().__init__(children=[])
        self._value = _check_finite(value, f"the value of {self.label()}")
        self._valid = True
        self._cached = True  # a leaf's value is always current
        self._changed_tick = _tick()

    @property
    def value(self) -> float:
        """The leaf's number; setting it invalidates every cached value above it."""
        return self._value

    @value.setter
    def value(self, new: float) -> None:
        self._value = _check_finite(new, f"the value of {self.label()}")
        self._changed_tick = _tick()
        _invalidate_parents(self)

    def op(self, x: list[float]) -> float:
        return self._value

    def forward(self) -> float:
        return self._value

    def grad(self) -> list[float]:
        return []

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({self._value:g}{named})"


def _invalidate_parents(node: NeuralNetNode) -> None:
    stack = list(node._parents)
    while stack:
        parent = stack.pop()
        if parent._valid:
            parent._valid = False
            stack.extend(parent._parents)


class Input(Leaf):
    """A value fed in from outside at prediction time (``x`` in ``f(x)``)."""

    def __init__(self, value: float = 0.0, name: str | None = None) -> None:
        super().__init__(value, name)


class Constant(Leaf):
    """A fixed number inside the formula; it never learns."""

    def __init__(self, value: float, name: str | None = None) -> None:
        super().__init__(value, name)

    @Leaf.value.setter  # type: ignore[attr-defined]
    def value(self, new: float) -> None:  # pragma: no cover - guard
        raise AttributeError("a Constant cannot change; use a Parameter or an Input")


class Parameter(Leaf):
    """A number the network learns: on the way back it takes one SGD step.

    ``Parameter()`` starts at a seeded random value in [-1, 1] (see :func:`seed`).
    """

    def __init__(
        self,
        value: float | None = None,
        learning_rate: float = 0.01,
        name: str | None = None,
    ) -> None:
        if value is None:
            value = _rng.uniform(-1.0, 1.0)
        super().__init__(value, name)
        self.learning_rate = _check_finite(learning_rate, "learning_rate")

    def on_backward(self, derivative_from_parent: Value) -> None:
        """Plain stochastic gradient descent: step against the derivative."""
        self.value = self._value - derivative_from_parent * self.learning_rate

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"Parameter({self._value:.4g}{named})"


class Computation(NeuralNetNode):
    """What every inner node shares, scalar (:class:`Operation`) or list-valued
    (:class:`treeprop.outputs.Output`): finding inputs, ``predict``, ``compile``.
    """

    def __init__(self, *children: Any, name: str | None = None) -> None:
        if len(children) == 1 and isinstance(children[0], (list, tuple)):
            children = tuple(children[0])
        self.name = name
        super().__init__(children=list(children))
        want = type(self).arity
        if want is None and not self.children:
            raise ArityError(f"{type(self).__name__} needs at least one child")
        if want is not None and len(self.children) != want:
            raise ArityError(
                f"{type(self).__name__} takes exactly {want} child"
                f"{'ren' if want != 1 else ''}, got {len(self.children)}"
            )
        self.inputs: list[Input] | None = None  # set by compile()

    # -- layer 3: inputs and predict ------------------------------------------------
    def find_input_nodes(self) -> list[Input]:
        """The :class:`Input` leaves below this node, left to right, each once."""
        from treeprop.graph import postorder

        return [n for n in postorder(self) if isinstance(n, Input)]

    def predict(self, inputs: Sequence[float] | dict[str, float]) -> Value:
        """Write ``inputs`` into the input leaves, then evaluate the model.

        ``inputs`` is a sequence in the order of :meth:`find_input_nodes`, or a
        mapping from input names to values.
        """
        nodes = self.inputs if self.inputs is not None else self.find_input_nodes()
        inputs = check_input_values(nodes, inputs)
        for node, value in zip(nodes, inputs):
            if node._value != value:
                node.value = value
            else:
                _check_finite(value, f"the value of {node.label()}")
        return self.forward()

    # -- layer 4: compile -------------------------------------------------------------
    def compile(self, *, engine: str = "cached", **options: Any) -> Computation:
        """Prepare the model for repeated use; returns the model itself.

        Finds and names the inputs once (``x0``, ``x1``, ... unless named), checks
        the graph has no cycle, and switches on the forward cache: a value is
        recomputed only when an input or parameter below it changed. Other
        engines (see :mod:`treeprop.fast`) are chosen by name.
        """
        from treeprop.caching import compile_cached

        if engine == "cached":
            from treeprop.engines import detach

            return compile_cached(detach(self))
        from treeprop import engines

        return engines.compile_with(self, engine, **options)


def check_input_values(nodes: list[Input], inputs: Any) -> list[Any]:
    """``inputs`` as a list in the order of ``nodes``, or a clear error.

    Accepts a sequence or a mapping from input names; every engine's
    ``predict`` goes through here, so they all refuse the same mistakes.
    """
    if isinstance(inputs, dict):
        inputs = _order_by_name(nodes, inputs)
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise TypeError(
            f"predict takes a list of {len(nodes)} numbers, got {type(inputs).__name__}"
        )
    if len(inputs) != len(nodes):
        names = ", ".join(n.label() for n in nodes) or "none"
        raise InputCountError(
            f"this model has {len(nodes)} input{'s' if len(nodes) != 1 else ''} "
            f"({names}) but predict got {len(inputs)} value"
            f"{'s' if len(inputs) != 1 else ''}"
        )
    return list(inputs)


def _order_by_name(nodes: list[Input], values: dict[str, float]) -> list[float]:
    names = [n.name for n in nodes]
    if None in names:
        raise InputCountError(
            f"predict got values by name, but {names.count(None)} of the {len(names)} inputs "
            "have no name; call model.compile() to name them x0, x1, ... or pass a list"
        )
    missing = [n for n in names if n not in values]
    extra = [k for k in values if k not in names]
    if missing or extra:
        raise InputCountError(
            f"predict got values for {sorted(values)} but the inputs are {names}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {extra}" if extra else "")
        )
    return [values[n] for n in names]  # type: ignore[index]


class Operation(Computation):
    """An inner node whose value is one float: the base of Add, ReLU, ..."""


def gradient_is_stale(node: NeuralNetNode, root: NeuralNetNode | None = None) -> bool:
    """True if ``node.gradient`` may no longer be current.

    d(root)/d(node) depends on every leaf of the root's graph, not only on the
    leaves below ``node`` (for ``y = w * x`` the gradient of ``w`` is ``x``), so
    this checks the leaves below ``root``: by default the root of the backward
    pass that computed the gradient.
    """
    from treeprop.graph import postorder

    if node.gradient is None:
        return True
    top = root or node.__dict__.get("_grad_root") or node
    return any(
        isinstance(n, Leaf) and n._changed_tick > node._grad_tick for n in postorder(top)
    )
