"""Shared hypothesis strategies: random numbers and random trees/DAGs built from a seed.

A random graph is grown bottom-up from a ``random.Random(seed)``: leaves first,
then operations whose children are drawn from what exists so far. In tree mode
a node can be used once; in DAG mode any node may be reused, so shared nodes
(several parents) appear often. Operations with a restricted domain get an
argument that is safe by construction (``Log`` of something >= 0.5, a divisor
in [0.5, 1.5], a fractional power of something positive), so almost every
graph is smooth and finite where it is evaluated.

Every graph comes back as a :class:`Built` record so tests can reach its
leaves and compare with another engine (PyTorch, the formula text).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from hypothesis import assume, settings
from hypothesis import strategies as st

from treeprop import (
    Add,
    Constant,
    Divide,
    Exp,
    Input,
    Log,
    Multiply,
    Negate,
    NeuralNetNode,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    Tanh,
)
from treeprop.errors import NonFiniteError
from treeprop.graph import postorder

# A busy CI machine must not turn a slow example into a failure (timing is not
# what these tests check), and a failure should print how to reproduce it.
settings.register_profile("treeprop", deadline=None, print_blob=True)
settings.load_profile("treeprop")

#: every operation kind the generator knows
ALL_KINDS = ("add", "mul", "relu", "sigmoid", "tanh", "exp", "log", "pow", "neg", "div")
#: the kinds that only involve precedence (+, *, unary -, /, **): used by the formula tests
ARITHMETIC_KINDS = ("add", "mul", "neg", "div", "pow")

#: exponents Power is tried with; fractional and negative ones get a positive base
INTEGER_EXPONENTS = (2.0, 3.0)
OTHER_EXPONENTS = (-2.0, -1.0, -0.5, 0.5, 1.5)

# numbers with no special algebraic role (no 0, no +-1), for the formula tests
GENERIC_VALUES = (0.37, -1.3, 2.1, 0.71, -0.53, 1.9, -0.29, 1.17, -2.3, 0.83)

finite = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.05, max_value=5.0)
away_from_zero = finite.filter(lambda v: abs(v) > 1e-3)


@dataclass
class Built:
    """A random graph and its leaves."""

    root: NeuralNetNode
    inputs: list[Input] = field(default_factory=list)
    params: list[Parameter] = field(default_factory=list)
    constants: list[Constant] = field(default_factory=list)
    seed: int = 0

    @property
    def nodes(self) -> list[NeuralNetNode]:
        return postorder(self.root)


def build_graph(
    seed: int,
    n_ops: int = 8,
    *,
    dag: bool = False,
    kinds: tuple[str, ...] = ALL_KINDS,
    n_inputs: int = 2,
    n_params: int = 3,
    n_constants: int = 1,
    values: tuple[float, ...] | None = None,
    safe_domains: bool = True,
) -> Built:
    """A random graph with ``n_ops`` operations (plus a joining root), grown from ``seed``.

    ``values``: draw every leaf value from this tuple instead of +-[0.1, 1.5].
    ``safe_domains=False`` gives Divide and Power their raw arguments (the caller
    then rejects graphs that divide by zero).
    """
    rng = random.Random(seed)

    def number() -> float:
        if values is not None:
            return rng.choice(values)
        v = rng.uniform(0.1, 1.5)
        return v if rng.random() < 0.5 else -v

    inputs = [Input(number(), name=f"x{i}") for i in range(n_inputs)]
    params = [Parameter(number(), learning_rate=0.01) for _ in range(n_params)]
    constants = [Constant(number()) for _ in range(n_constants)]
    pool: list[NeuralNetNode] = [*inputs, *params, *constants]
    rng.shuffle(pool)

    def take() -> NeuralNetNode:
        if dag:
            # prefer recent nodes so graphs get deep, but reuse anything
            i = len(pool) - 1 - min(int(rng.expovariate(0.5)), len(pool) - 1)
            return pool[i]
        if not pool:  # a tree uses every node once: make a fresh leaf when none is left
            leaf = Parameter(number(), learning_rate=0.01)
            params.append(leaf)
            return leaf
        return pool.pop(rng.randrange(len(pool)))

    def positive_of(x: NeuralNetNode) -> NeuralNetNode:
        # something in (0.5, 1.5): safe for log, divide and fractional powers
        return Add(Sigmoid(x), Constant(0.5)) if safe_domains else x

    for _ in range(n_ops):
        kind = rng.choice(kinds)
        node: NeuralNetNode
        if kind in ("add", "mul"):
            children = [take() for _ in range(rng.randint(1, 4))]
            node = (Add if kind == "add" else Multiply)(children)
        elif kind == "div":
            a = take()
            node = Divide(a, positive_of(take()))
        elif kind == "pow":
            x = take()
            if rng.random() < 0.5:
                node = Power(x, exponent=rng.choice(INTEGER_EXPONENTS))
            else:
                node = Power(positive_of(x), exponent=rng.choice(OTHER_EXPONENTS))
        elif kind == "log":
            node = Log(positive_of(take()))
        else:
            cls = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "exp": Exp,
                   "neg": Negate}[kind]
            node = cls(take())
        pool.append(node)
    if dag:
        # the newest node is the root; fold in recent nodes it does not reach
        root = pool[-1]
        reach = {id(n) for n in postorder(root)}
        unused = [n for n in pool[-6:] if id(n) not in reach]
        if unused:
            root = Add([root, *unused])
    else:
        root = pool[0] if len(pool) == 1 else Add(pool)
    if not root.children:
        root = Add(root)  # a bare leaf: wrap it so it is a model
    reach = {id(n) for n in postorder(root)}
    return Built(
        root,
        [n for n in inputs if id(n) in reach],
        [n for n in params if id(n) in reach],
        [n for n in constants if id(n) in reach],
        seed,
    )


def well_behaved(built: Built, *, limit: float = 1e4, kink: float = 1e-3) -> bool:
    """True if every value is finite and moderate and no ReLU sits at its kink.

    Central differences are only meaningful where the function is smooth; a
    ReLU whose input is within ``kink`` of 0 or values beyond ``limit`` make a
    finite-difference check ill-posed rather than wrong.
    """
    try:
        for node in built.nodes:
            v = node.forward()
            if not math.isfinite(v) or abs(v) > limit:
                return False
            if isinstance(node, ReLU) and abs(node.children[0].forward()) < kink:
                return False
    except (NonFiniteError, OverflowError, ZeroDivisionError):
        return False
    return True


@st.composite
def graphs(draw, *, dag: bool | None = None, kinds: tuple[str, ...] = ALL_KINDS,
           max_ops: int = 10, values: tuple[float, ...] | None = None,
           safe_domains: bool = True, require_smooth: bool = True) -> Built:
    """A random graph (tree, or DAG when ``dag``; either when ``None``)."""
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    n_ops = draw(st.integers(min_value=1, max_value=max_ops))
    is_dag = draw(st.booleans()) if dag is None else dag
    built = build_graph(seed, n_ops, dag=is_dag, kinds=kinds, values=values,
                        safe_domains=safe_domains)
    if require_smooth:
        assume(well_behaved(built))
    return built


trees = graphs(dag=False)
dags = graphs(dag=True)
