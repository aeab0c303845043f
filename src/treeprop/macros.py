"""Layer 5 — macros: one node that stands for a whole subtree.

Writing a neuron as ``Add(Multiply(w1, x1), Multiply(w2, x2), b)`` by hand gets
old fast. A :class:`Macro` builds that subtree for you (``expand``) and sits on
top of it as a pass-through node, so drawings can show it collapsed as one box
or expanded into its elementary operations. Every node a macro creates records
it in ``node.macro``; a macro created inside another records the outer one in
its own ``macro``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from treeprop.nodes import Input, NeuralNetNode, Operation, Parameter, _rng, as_node
from treeprop.ops import Add, Multiply, ReLU, Sigmoid, Tanh
from treeprop.training import parameters

__all__ = ["ACTIVATIONS", "LIST_ROOTS", "MLP", "Linear", "Macro", "outermost_macro",
           "parameters", "tag_members"]

#: the macro that created a node (``None`` for a node built by hand); see tag_members
NeuralNetNode.macro = None  # type: ignore[attr-defined]

ACTIVATIONS: dict[str, type[Operation]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}

#: how a macro builds a list-valued root: ``"list"`` (several outputs) and
#: ``"softmax"``; layer 6 (:mod:`treeprop.outputs`) registers both
LIST_ROOTS: dict[str, Callable[[list[NeuralNetNode]], NeuralNetNode]] = {}


def list_root(kind: str, units: list[NeuralNetNode]) -> NeuralNetNode:
    """A list-valued node over ``units`` (an Output or a Softmax, from layer 6)."""
    return LIST_ROOTS[kind](units)


class Macro(Operation):
    """An operation that expands into elementary nodes when it is created.

    Subclasses set their own settings, then call ``super().__init__(arguments)``;
    ``expand(arguments)`` returns the root of the subtree that computes the
    macro. The macro's value is its expansion's value (a float, or a list when
    the expansion is an :class:`Output`).
    """

    arity = 1
    passes_through = True

    def __init__(self, *arguments: Any, name: str | None = None) -> None:
        if len(arguments) == 1 and isinstance(arguments[0], (list, tuple)):
            arguments = tuple(arguments[0])
        self.arguments: list[NeuralNetNode] = [as_node(a) for a in arguments]
        super().__init__(self.expand(self.arguments), name=name)
        tag_members(self)

    def expand(self, arguments: list[NeuralNetNode]) -> NeuralNetNode:
        """Build and return the subtree this macro stands for."""
        raise NotImplementedError(f"{type(self).__name__} does not define expand()")

    @property
    def expansion(self) -> NeuralNetNode:
        return self.children[0]

    @property  # type: ignore[misc]
    def returns_list(self) -> bool:  # type: ignore[override]
        """A macro returns a list when its expansion does."""
        return self.children[0].returns_list

    def op(self, x: list[Any]) -> Any:
        return x[0]

    def grad(self) -> list[float]:
        return [1.0]

    def _child_derivatives(self, d: Any) -> Iterator[tuple[NeuralNetNode, Any]]:
        yield self.children[0], d  # a pass-through: the derivative goes on unchanged

    def backward(self, derivative_from_parent: Any = 1.0, *, update: bool = True) -> None:
        if self.returns_list and not isinstance(derivative_from_parent, (list, tuple)):
            raise TypeError(f"{self.label()} returns a list; backward needs a list too")
        super().backward(derivative_from_parent, update=update)  # layer 8's

    def members(self) -> list[NeuralNetNode]:
        """The nodes this macro created: everything between it and its arguments."""
        return _members(self)

    def parameters(self) -> list[Parameter]:
        return [n for n in self.members() if isinstance(n, Parameter)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.arguments)} arguments)"


def _members(macro: Macro) -> list[NeuralNetNode]:
    stop = {id(a) for a in macro.arguments}
    seen: set[int] = set()
    out: list[NeuralNetNode] = []
    stack = [macro.children[0]]
    while stack:
        node = stack.pop()
        if id(node) in stop or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def tag_members(macro: Macro) -> None:
    """Record ``macro`` as the creator of its members (outermost macros last)."""
    for node in _members(macro):
        inner = node.macro
        if inner is None:
            node.macro = macro
            continue
        while inner.macro is not None and inner.macro is not macro:
            inner = inner.macro
        if inner is not macro and inner.macro is None:
            inner.macro = macro


def outermost_macro(node: NeuralNetNode) -> Macro | None:
    """The outermost macro that created ``node`` (for collapsed drawings)."""
    m = node.macro
    while m is not None and m.macro is not None:
        m = m.macro
    return m


def _init_scale(init: str, fan_in: int) -> float:
    if init == "uniform":
        return 1.0  # the course's Parameter(): uniform in [-1, 1]
    if init == "he":
        return math.sqrt(6.0 / fan_in)
    if init == "xavier":
        return math.sqrt(3.0 / fan_in)
    raise ValueError(f"init must be 'uniform', 'he' or 'xavier', not {init!r}")


class Linear(Macro):
    """``outputs`` neurons, each ``w . inputs + b``, as elementary nodes.

    With one output the node's value is a float; with several it is a list,
    and ``layer[i]`` (or iterating) gives each neuron's node to build on.
    """

    def __init__(
        self,
        inputs: Sequence[Any],
        outputs: int = 1,
        *,
        bias: bool = True,
        learning_rate: float = 0.01,
        init: str = "uniform",
        name: str | None = None,
    ) -> None:
        if isinstance(outputs, bool) or not isinstance(outputs, int) or outputs < 1:
            raise ValueError(f"outputs must be a positive whole number, got {outputs!r}")
        if not inputs:
            raise ValueError("Linear needs at least one input")
        self.outputs = outputs
        self.bias = bias
        self.learning_rate = learning_rate
        self.init = init
        super().__init__(list(inputs), name=name)

    def expand(self, arguments: list[NeuralNetNode]) -> NeuralNetNode:
        scale = _init_scale(self.init, len(arguments))
        units: list[NeuralNetNode] = []
        for _ in range(self.outputs):
            terms: list[NeuralNetNode] = [
                Multiply(Parameter(_rng.uniform(-scale, scale), self.learning_rate), x)
                for x in arguments
            ]
            if self.bias:
                terms.append(Parameter(_rng.uniform(-scale, scale) if self.init == "uniform"
                                       else 0.0, self.learning_rate))
            units.append(Add(terms))
        return units[0] if self.outputs == 1 else list_root("list", units)

    def units(self) -> list[NeuralNetNode]:
        """Each neuron's node (one per output)."""
        root = self.children[0]
        return list(root.children) if root.returns_list else [root]

    def __len__(self) -> int:
        return self.outputs

    def __getitem__(self, i: int) -> NeuralNetNode:
        return self.units()[i]

    def __iter__(self) -> Iterator[NeuralNetNode]:
        return iter(self.units())

    def __repr__(self) -> str:
        return f"Linear({len(self.arguments)} -> {self.outputs})"


class MLP(Macro):
    """A multi-layer perceptron: ``Linear`` layers with an activation between.

    ``MLP([2, 16, 16, 1])`` makes its own two inputs (``x0``, ``x1``) unless
    ``inputs`` are given. ``output`` may be ``None`` (raw scores), ``"sigmoid"``
    or ``"softmax"``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | type[Operation] = "relu",
        *,
        output: str | None = None,
        inputs: Sequence[Any] | None = None,
        learning_rate: float = 0.01,
        init: str = "he",
        name: str | None = None,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                                 for s in sizes):
            raise ValueError(f"sizes must be two or more positive whole numbers, got {sizes}")
        if isinstance(activation, str):
            if activation not in ACTIVATIONS:
                raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                                 f"not {activation!r}")
            activation = ACTIVATIONS[activation]
        if output not in (None, "sigmoid", "softmax"):
            raise ValueError(f"output must be None, 'sigmoid' or 'softmax', not {output!r}")
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("a softmax output needs at least two classes")
        if inputs is None:
            inputs = [Input(name=f"x{i}") for i in range(sizes[0])]
        elif len(inputs) != sizes[0]:
            raise ValueError(f"sizes[0] is {sizes[0]} but {len(inputs)} inputs were given")
        self.sizes = sizes
        self.activation = activation
        self.output = output
        self.learning_rate = learning_rate
        self.init = init
        super().__init__(list(inputs), name=name)

    def expand(self, arguments: list[NeuralNetNode]) -> NeuralNetNode:
        h = list(arguments)
        last = len(self.sizes) - 2
        for k, width in enumerate(self.sizes[1:]):
            layer = Linear(h, width, learning_rate=self.learning_rate, init=self.init,
                           name=f"layer{k + 1}")
            h = layer.units()
            if k < last:
                h = [self.activation(u) for u in h]
        if self.output == "sigmoid":
            h = [Sigmoid(u) for u in h]
        if self.output == "softmax":
            return list_root("softmax", h)
        return h[0] if len(h) == 1 else list_root("list", h)

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, {self.activation.__name__})"
