"""treeprop: a neural network is a syntax tree; forward and backward are recursions over it.

The package is laid out in the course's order, one module per layer; a module
imports only from the layers below it (``tests/test_layers.py`` checks this):

==========================  =====================================================
``treeprop.errors``,        0. the errors; the walk every layer shares (each node
``walk``, ``clock``,           once, children first); the change counters engines
``engines``                    and drawings compare; the engine registry
``treeprop.nodes``          1. nodes, leaves, forward evaluation by recursion
``treeprop.ops``            2. the table of operations, local derivatives, the
                               chain rule, the ``+ - * /`` operators
``treeprop.training``       3. predict, train_model (with ``losses``, ``datasets``)
``treeprop.caching``        4. compile(): the forward cache, the "cached" engine
``treeprop.macros``         5. Macro, Linear, MLP
``treeprop.outputs``        6. Output, Softmax (categorical cross-entropy in ``losses``)
``treeprop.formula``        7. funcify
``treeprop.graph``          8. shared nodes: backward in topological order, cycles
``treeprop.check``          9. gradcheck (and ``saving`` for save/load)
``treeprop.fast``,          the compiled and batched engines, which render and
``batched``                 evaluate the table of operations
==========================  =====================================================
"""

from treeprop.caching import STATS, count_ops, decompile
from treeprop.check import central_difference, gradcheck
from treeprop.errors import (
    ArityError,
    CycleError,
    InputCountError,
    NonFiniteError,
    TreepropError,
    TreeTooDeepError,
)
from treeprop.formula import Formula, formula, funcify
from treeprop.graph import depth, find_cycle, gradient_is_stale, postorder, topological_order
from treeprop.losses import BCE, CCE, MSE, Loss, bce, bce_grad, cce, cce_grad, mse, mse_grad
from treeprop.macros import MLP, Linear, Macro, parameters
from treeprop.nodes import (
    Computation,
    Constant,
    Input,
    Leaf,
    NeuralNetNode,
    Operation,
    Parameter,
    seed,
)
from treeprop.ops import Add, Divide, Exp, Log, Multiply, Negate, Power, ReLU, Sigmoid, Tanh
from treeprop.outputs import Output, Softmax
from treeprop.saving import load, save
from treeprop.training import accuracy, evaluate, train_model

__version__ = "0.1.0"

__all__ = [
    "Add", "ArityError", "BCE", "CCE", "Computation", "Constant", "CycleError", "Divide",
    "Exp", "Formula", "Input", "InputCountError", "Leaf", "Linear", "Log", "Loss", "MLP",
    "MSE", "Macro", "Multiply", "Negate", "NeuralNetNode", "NonFiniteError", "Operation",
    "Output", "Parameter", "Power", "ReLU", "STATS", "Sigmoid", "Softmax", "Tanh",
    "TreeTooDeepError", "TreepropError", "accuracy", "bce", "bce_grad", "cce", "cce_grad",
    "central_difference", "count_ops", "decompile", "depth", "evaluate", "find_cycle",
    "formula", "funcify", "gradcheck", "gradient_is_stale", "load", "mse", "mse_grad",
    "parameters", "postorder", "save", "seed", "topological_order", "train_model",
]
