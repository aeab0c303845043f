"""Layer 1 — a network is a tree of nodes, and forward evaluation is a recursion.

Leaves hold numbers (:class:`Input`, :class:`Parameter`, :class:`Constant`);
inner nodes (:class:`Operation`) combine the values of their children. The
value of the whole network is ``root.forward()``: each node asks its children
for their values and applies its own ``op`` to them.

That is all this file teaches. Later layers add what they teach to these
classes with :func:`method_of`: the chain rule and the ``+ - * /`` operators
(:mod:`treeprop.ops`), ``predict`` (:mod:`treeprop.training`), the forward cache
(:mod:`treeprop.caching`) and backpropagation through shared nodes
(:mod:`treeprop.graph`). ``import treeprop`` loads every layer, so a node
always has all of them. The state those layers keep on a node (its gradient,
its cached value and parents, the macro that made it) each declares on these
classes itself, with a default, so this file sets none of it. A leaf's new value
ticks the value clock (:mod:`treeprop.clock`, below this layer), which engines
and drawings read to notice the change.
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from treeprop import engines
from treeprop.clock import tick
from treeprop.errors import ArityError, CycleError, NonFiniteError, TreeTooDeepError
from treeprop.walk import postorder

Value = float | list[float]
F = TypeVar("F", bound=Callable[..., Any])

# One seeded generator for every Parameter's starting value: runs repeat exactly.
_rng = random.Random(0)


def seed(n: int) -> None:
    """Reseed the generator that draws new parameters' starting values."""
    _rng.seed(n)


def method_of(*classes: type) -> Callable[[F], F]:
    """Decorator for later layers: add the function to ``classes`` as a method.

    A layer teaches a method (``backward``, ``predict`` ...) in its own module
    and attaches it here, so this file never imports the layers above it.
    """

    def put(fn: F) -> F:
        for cls in classes:
            setattr(cls, fn.__name__, fn)
        return fn

    return put


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

    Subclasses say what they compute (``op``); this class turns that into
    forward evaluation by recursion. Nodes compare by identity, so the same
    node object used twice is one node used twice.
    """

    children: list[NeuralNetNode] = field(default_factory=list)

    #: how many children the node takes; ``None`` means one or more.
    arity: ClassVar[int | None] = None
    #: True for nodes whose value is a list of floats (layer 6's outputs).
    returns_list: ClassVar[bool] = False
    #: True for nodes that hand their one child's value on unchanged (layer 5's macros).
    passes_through: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self.children = [as_node(c) for c in self.children]
        self.name: str | None = getattr(self, "name", None)

    def op(self, x: list[float]) -> Value:
        """The node's value, given its children's values ``x``."""
        raise NotImplementedError(f"{type(self).__name__} does not define op()")

    def forward(self) -> Value:
        """This node's value: ``op`` applied to the children's values, by recursion."""
        try:
            values = [child.forward() for child in self.children]
        except RecursionError as err:
            if isinstance(err, TreeTooDeepError):
                raise
            raise too_deep(self) from None
        return self._apply(values)

    def __call__(self) -> Value:
        return self.forward()

    def _apply(self, values: list[Any]) -> Value:
        """``op`` on the children's values, checked finite (layer 4 counts these calls)."""
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

    def label(self) -> str:
        """A short human name: the node's ``name`` or its class."""
        return self.name or type(self).__name__

    def __repr__(self) -> str:
        inner = ", ".join(nested_repr(c) for c in self.children[:4])
        if len(self.children) > 4:
            inner += f", ... ({len(self.children)} children)"
        return f"{type(self).__name__}({inner})"


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


def too_deep(node: NeuralNetNode) -> Exception:
    """The error for a recursion that ran out of stack: a cycle, or a tree too deep."""
    try:
        postorder(node)
    except CycleError as err:  # it names the cycle
        return err
    return TreeTooDeepError(
        f"the tree below {node.label()} is deeper than Python's recursion limit "
        f"({sys.getrecursionlimit()}) allows for the teaching recursion; call "
        "model.compile() first, which evaluates and backpropagates without recursion"
    )


class Leaf(NeuralNetNode):
    """A node with no children whose value is set from outside."""

    arity = 0

    def __init__(self, value: float, name: str | None = None) -> None:
        self.name = name
        super().__init__(children=[])
        self._value = _check_finite(value, f"the value of {self.label()}")
        self._changed_tick = tick()  # see treeprop.clock

    @property
    def value(self) -> float:
        """The leaf's number; setting it invalidates every cached value above it."""
        return self._value

    @value.setter
    def value(self, new: float) -> None:
        self._value = _check_finite(new, f"the value of {self.label()}")
        self._changed_tick = tick()
        self._value_changed()

    def _value_changed(self) -> None:
        """Hook run after every new value: what depends on it hears of the change.

        Layer 1 keeps nothing that could go stale; layer 4's forward cache marks
        the nodes above this leaf invalid here (``treeprop.caching._invalidate_parents``).
        """

    def op(self, x: list[float]) -> float:
        return self._value

    def forward(self) -> float:
        return self._value

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({self._value:g}{named})"


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
    """A number the network learns (layer 2 gives it its SGD step).

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

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"Parameter({self._value:.4g}{named})"


class Computation(NeuralNetNode):
    """What every inner node shares, scalar (:class:`Operation`) or list-valued
    (:class:`treeprop.outputs.Output`): children given as arguments, an arity check.
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

    def compile(self, *, engine: str = "cached", **options: Any) -> Computation:
        """Prepare the model for repeated use (layer 4); returns the model itself.

        The engines register themselves by name in :mod:`treeprop.engines`:
        ``"cached"`` (layer 4's forward cache, the default), ``"compiled"`` and
        ``"batched"``.
        """
        return engines.compile_with(self, engine, **options)  # type: ignore[no-any-return]


class Operation(Computation):
    """An inner node whose value is one float: the base of Add, ReLU, ..."""
