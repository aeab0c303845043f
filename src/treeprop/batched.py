"""The batched engine: the same graph for a whole batch of samples at once, with NumPy.

``model.compile(engine="batched")`` turns the graph into a short list of NumPy
instructions in which every node's value is an array with one entry per
sample. Two patterns are lowered to matrix operations:

* a :class:`~treeprop.macros.Linear` macro whose nodes are as it built them
  (each unit ``sum_j w_ij x_j + b_i``, every weight used only there) becomes
  one product ``Z = A @ W.T + b`` over the batch, with ``W`` and ``b`` kept as
  matrices;
* the same activation (ReLU, sigmoid, tanh) applied to every unit of such a
  layer becomes one elementwise operation on the matrix, and a Softmax or
  Output over a layer's units works on the matrix directly.

So an :class:`~treeprop.macros.MLP` runs as a few matrix products per layer,
and every other node is one vectorised NumPy operation. Any node class the
compiled engine knows works here too (see :func:`treeprop.fast.node_kind`).

Use it through ``train_model(model, loss, data, batch_size=k)`` (``k`` samples
per step, or ``"full"``), which takes one gradient-descent step per batch with
the *mean* gradient, or directly with :meth:`BatchedProgram.predict_batch`.
``predict``/``backward`` for one sample keep their usual meaning (a batch of
one). When the objects are in sync: parameter values are written back to the
:class:`Parameter` objects after every public ``backward``, and by
``train_model`` before each callback and when it returns (``model.sync()`` by
hand); they are reloaded whenever a leaf was changed through ``.value``.
After ``backward`` the parameters' and the root's ``gradient`` are set (summed
over the batch); inner nodes keep theirs from before, since here a node's
gradient is a whole array per sample.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from treeprop import losses
from treeprop.caching import compile_cached
from treeprop.clock import now
from treeprop.engines import attach, detach, register
from treeprop.errors import InputCountError, NonFiniteError
from treeprop.fast import Plan, UnsupportedNodeError, backward_seed
from treeprop.macros import Linear
from treeprop.nodes import Computation
from treeprop.ops import TABLE, OpSpec, message
from treeprop.training import check_input_values

ACTIVATIONS = ("relu", "sigmoid", "tanh")


class NumpyMath:
    """The maths namespace of the operation table on NumPy arrays (one entry per sample)."""

    exp, log, tanh, abs, maximum = np.exp, np.log, np.tanh, np.abs, np.maximum
    clip = staticmethod(np.clip)  # a plain function: not a method of this class

    @staticmethod
    def let(x: Any) -> Any:
        return x

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)

    @staticmethod
    def sum(xs: list[Any]) -> Any:
        return functools.reduce(operator.add, xs)

    @staticmethod
    def prod(xs: list[Any]) -> Any:
        return functools.reduce(operator.mul, xs)

    @staticmethod
    def max(xs: list[Any]) -> Any:
        return functools.reduce(np.maximum, xs)

    @staticmethod
    def pow(x: Any, k: float) -> Any:
        return np.asarray(x, dtype=float) ** k


NP = NumpyMath()


def _guarded(spec: OpSpec, guards: list[tuple[Any, str]], label: str, xs: list[Any],
             k: Any) -> None:
    """Raise the first guard that holds for some sample, with that sample's numbers."""
    for cond, text in guards:
        hit = np.asarray(cond)
        if hit.any():
            row = int(np.argmax(hit.reshape(-1))) if hit.ndim else 0
            at = [np.asarray(x).reshape(-1)[row] if np.ndim(x) else x for x in xs]
            raise NonFiniteError(message(text, label, at, k))


def _activate(kind: str, z: Any) -> Any:
    return TABLE[kind].forward(NP, [z], None)


def _slope(kind: str, z: Any, a: Any) -> Any:
    """d(activation)/dz, from the input z and the output a."""
    local = TABLE[kind].local
    assert local is not None
    return local(NP, [z], a, None)[0]


def _columns(M: Any) -> list[Any]:
    return [M[:, j] for j in range(M.shape[1])]


class Layer:
    """A lowered Linear macro: weights as a matrix, its units as one block."""

    def __init__(self, units: list[int], weights: list[list[int]], bias: list[int] | None,
                 args: list[int]) -> None:
        self.units = units  # node indices of the unit Adds
        self.weights = weights  # node indices of the weight parameters, [unit][input]
        self.bias = bias
        self.args = args


class BatchedProgram:
    """A graph as NumPy instructions over a batch, and its parameters as arrays."""

    engine = "batched"

    def __init__(self, model: Computation) -> None:
        self.model = model
        self.plan = plan = Plan(model)
        n = len(plan.nodes)
        self.parents: list[list[int]] = [[] for _ in range(n)]
        for i, kids in enumerate(plan.kids):
            for c in kids:
                self.parents[c].append(i)
        self.member: dict[int, tuple[int, int]] = {}  # node -> (block, column)
        self.blocks: list[list[int]] = []  # the nodes of each block, column by column
        self.layers: list[tuple[Layer, int, Any]] = []  # (layer, out block, input spec)
        self.lowered: set[int] = set()  # nodes computed inside a lowered layer
        self._lower_linears()
        self._group_activations()
        self._instructions()
        self._loose = [j for j, k in enumerate(plan.kinds) if k == "param"
                       and j not in self.lowered]
        self._loose_pos = {j: k for k, j in enumerate(self._loose)}
        self._load()

    # -- lowering -------------------------------------------------------------------
    def _block(self, nodes: list[int]) -> int:
        bid = len(self.blocks)
        self.blocks.append(nodes)
        for col, j in enumerate(nodes):
            self.member[j] = (bid, col)
        return bid

    def _lower_linears(self) -> None:
        plan = self.plan
        index = {id(node): i for i, node in enumerate(plan.nodes)}
        seen: set[int] = set()
        for i, node in enumerate(plan.nodes):
            macro = node.macro
            if plan.kinds[i] != "add" or not isinstance(macro, Linear) or id(macro) in seen:
                continue
            seen.add(id(macro))
            layer = self._match_linear(macro, index)
            if layer is None:
                continue
            bid = self._block(layer.units)
            self.layers.append((layer, bid, None))
            self.lowered.update(j for row in layer.weights for j in row)
            self.lowered.update(layer.bias or [])
            for u in layer.units:
                self.lowered.update(plan.kids[u])

    def _match_linear(self, macro: Linear, index: dict[int, int]) -> Layer | None:
        """The layer if its nodes are exactly as Linear built them, else ``None``."""
        plan = self.plan
        args = [index.get(id(a)) for a in macro.arguments]
        units = [index.get(id(u)) for u in macro.units()]
        if None in args or None in units:
            return None
        weights, bias = [], []
        for u in units:
            kids = plan.kids[u]
            if plan.kinds[u] != "add" or len(kids) != len(args) + macro.bias:
                return None
            row = []
            for k, arg in enumerate(args):
                m = kids[k]
                mk = plan.kids[m]
                if (plan.kinds[m] != "mul" or len(mk) != 2 or mk[1] != arg
                        or plan.kinds[mk[0]] != "param" or len(self.parents[m]) != 1
                        or len(self.parents[mk[0]]) != 1):
                    return None
                row.append(mk[0])
            weights.append(row)
            if macro.bias:
                b = kids[-1]
                if plan.kinds[b] != "param" or len(self.parents[b]) != 1:
                    return None
                bias.append(b)
        return Layer(units, weights, bias if macro.bias else None, args)

    def _group_activations(self) -> None:
        """The same activation on every unit of a layer: one operation on the block."""
        plan = self.plan
        self.acts: list[tuple[str, int, int]] = []  # (kind, in block, out block)
        for _, bid, _ in list(self.layers):
            units = self.blocks[bid]
            found = []
            for u in units:
                act = [p for p in self.parents[u] if plan.kinds[p] in ACTIVATIONS
                       and p not in self.member]
                if not act:
                    break
                found.append(act[0])
            if len(found) != len(units) or len({plan.kinds[a] for a in found}) != 1:
                continue
            out = self._block(found)
            self.acts.append((plan.kinds[found[0]], bid, out))

    def _spec(self, nodes: list[int]) -> Any:
        """How to get a matrix whose columns are these nodes' values."""
        plan = self.plan
        nodes = [plan.resolve(j) for j in nodes]
        first = self.member.get(nodes[0])
        if first is not None and first[1] == 0:
            bid = first[0]
            if self.blocks[bid] == nodes:
                return ("block", bid)
        if all(plan.kinds[j] == "input" for j in nodes) and \
                [plan.pos[j] for j in nodes] == list(range(len(plan.inputs))):
            return ("inputs",)
        return ("columns", nodes)

    def _instructions(self) -> None:
        """Instructions in postorder; a block is computed where its first node is met."""
        plan = self.plan
        owner: dict[int, tuple[str, Any]] = {}
        for layer, bid, _ in self.layers:
            owner[bid] = ("linear", layer)
        for kind, src, out in self.acts:
            owner[out] = ("act", (kind, src))
        self.layers = [(layer, bid, self._spec(layer.args)) for layer, bid, _ in self.layers]
        spec_of = {bid: spec for _, bid, spec in self.layers}
        layer_no = {bid: k for k, (_, bid, _) in enumerate(self.layers)}
        code: list[tuple] = []
        done: set[int] = set()
        for i, kind in enumerate(plan.kinds):
            if kind in ("input", "param", "const", "macro") or i in self.lowered:
                continue
            if i in self.member:
                bid = self.member[i][0]
                if bid in done:
                    continue
                done.add(bid)
                what, detail = owner[bid]
                if what == "linear":
                    code.append(("linear", bid, layer_no[bid], spec_of[bid]))
                else:
                    code.append(("act", bid, detail[0], detail[1]))
                continue
            if kind in ("output", "softmax"):
                code.append((kind, i, self._spec(plan.kids[i])))
            else:
                code.append(("node", i, kind))
        self.code = code

    # -- parameters ------------------------------------------------------------------
    def _load(self) -> None:
        """Read parameter values and learning rates from the Parameter objects."""
        nodes = self.plan.nodes
        self.W, self.Wlr, self.b, self.blr = [], [], [], []
        for layer, _, _ in self.layers:
            self.W.append(np.array([[nodes[j]._value for j in row] for row in layer.weights]))
            self.Wlr.append(_rates([[nodes[j].learning_rate for j in row]
                                    for row in layer.weights]))
            bias = layer.bias or []
            self.b.append(np.array([nodes[j]._value for j in bias]) if bias else None)
            self.blr.append(_rates([nodes[j].learning_rate for j in bias]) if bias else None)
        self._training = False
        self.p = np.array([nodes[j]._value for j in self._loose], dtype=float)
        self.plr = np.array([nodes[j].learning_rate for j in self._loose], dtype=float)
        self._tick = now()

    def refresh(self, learning_rates: bool = False) -> None:
        if learning_rates or self._tick != now():
            self._load()

    def write_parameters(self) -> None:
        """Write the arrays' values into the Parameter objects."""
        nodes = self.plan.nodes
        for (layer, _, _), W, b in zip(self.layers, self.W, self.b):
            for row, values in zip(layer.weights, W.tolist()):
                for j, v in zip(row, values):
                    if nodes[j]._value != v:
                        nodes[j].value = v
            if layer.bias:
                for j, v in zip(layer.bias, b.tolist()):
                    if nodes[j]._value != v:
                        nodes[j].value = v
        for j, v in zip(self._loose, self.p.tolist()):
            if nodes[j]._value != v:
                nodes[j].value = v
        self._tick = now()

    # -- forward ------------------------------------------------------------------------
    def _get(self, j: int) -> Any:
        """Node j's value: an array over the batch, or a plain number."""
        plan = self.plan
        j = plan.resolve(j)
        kind = plan.kinds[j]
        if kind == "input":
            return self._X[:, plan.pos[j]]
        if kind == "const":
            return plan.nodes[j]._value
        if kind == "param":
            return self.p[self._loose_pos[j]]
        where = self.member.get(j)
        if where is not None:
            return self._blocks[where[0]][:, where[1]]
        return self._vals[j]

    def _matrix(self, spec: Any) -> Any:
        if spec[0] == "block":
            return self._blocks[spec[1]]
        if spec[0] == "inputs":
            return self._X
        n = self._X.shape[0]
        return np.stack([np.broadcast_to(self._get(j), (n,)) for j in spec[1]], axis=1)

    def forward_batch(self, X: Any) -> Any:
        """Values of the root for every row of ``X``: shape (n,) or (n, outputs)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.plan.inputs):
            raise InputCountError(
                f"this model has {len(self.plan.inputs)} inputs; forward_batch needs an "
                f"array of shape (samples, {len(self.plan.inputs)}), got {X.shape}"
            )
        self.refresh()
        self._X = X
        self._vals: dict[int, Any] = {}
        self._blocks: list[Any] = [None] * len(self.blocks)
        plan = self.plan
        with np.errstate(all="ignore"):
            for ins in self.code:
                op = ins[0]
                if op == "linear":
                    _, bid, k, spec = ins
                    z = self._matrix(spec) @ self.W[k].T
                    if self.b[k] is not None:
                        z += self.b[k]
                    self._blocks[bid] = z
                elif op == "act":
                    _, bid, kind, src = ins
                    self._blocks[bid] = _activate(kind, self._blocks[src])
                elif op == "node":
                    self._vals[ins[1]] = self._op(ins[1], ins[2])
                elif op == "output":
                    self._vals[ins[1]] = self._matrix(ins[2])
                else:  # softmax, column by column from the table
                    cols = TABLE["softmax"].forward(NP, _columns(self._matrix(ins[2])), None)
                    self._vals[ins[1]] = np.stack(cols, axis=1)
        out = self._get(plan.vector_chain[-1] if plan.vector else plan.root)
        if np.shape(out)[:1] != (X.shape[0],):  # a root that does not depend on the inputs
            out = np.array(np.broadcast_to(out, (X.shape[0],) + np.shape(out)[1:]), dtype=float)
        if not np.isfinite(out).all():
            raise NonFiniteError(
                f"{self.model.label()}: a value became NaN or infinite in the batched "
                "program (a learning rate too high, an input too large, or log/divide at 0)"
            )
        self._out = out
        return out

    def _op(self, i: int, kind: str) -> Any:
        """One node over the batch: its row of the operation table, on arrays."""
        spec = self.plan.specs[i]
        if spec is None:  # pragma: no cover - leaves and macros have no instruction
            raise UnsupportedNodeError(f"the batched engine cannot compute a {kind!r} node")
        xs = [self._get(c) for c in self.plan.kids[i]]
        k = self.plan.settings[i]
        _guarded(spec, spec.guard(NP, xs, k), self.plan.nodes[i].label(), xs, k)
        if kind in ACTIVATIONS:
            xs = [np.asarray(x, dtype=float) for x in xs]
        return spec.forward(NP, xs, k)

    # -- backward ------------------------------------------------------------------------
    def backward_batch(self, D: Any) -> None:
        """Gradients of sum_n D[n] * root[n] for every parameter (after forward_batch)."""
        plan = self.plan
        n = self._X.shape[0]
        self._g: dict[int, Any] = {}
        self._gblocks: list[Any] = [None] * len(self.blocks)
        self.gW: list[Any] = [None] * len(self.W)  # None: no gradient arrived (zero)
        self.gb: list[Any] = [None] * len(self.b)
        self.gp = np.zeros_like(self.p)
        D = np.asarray(D, dtype=float)
        if plan.vector:
            self._g[plan.vector_chain[-1]] = D.reshape(n, plan.width)
        else:
            self._give(plan.root, np.broadcast_to(D, (n,)))
        with np.errstate(all="ignore"):
            for ins in reversed(self.code):
                op = ins[0]
                if op == "linear":
                    _, bid, k, spec = ins
                    G = self._gblocks[bid]
                    if G is None:
                        continue
                    A = self._matrix(spec)
                    self.gW[k] = G.T @ A
                    if self.b[k] is not None:
                        self.gb[k] = G.sum(axis=0)
                    if spec[0] != "inputs":  # nobody needs the inputs' gradients
                        self._give_matrix(spec, G @ self.W[k])
                elif op == "act":
                    _, bid, kind, src = ins
                    G = self._gblocks[bid]
                    if G is not None:
                        self._give_matrix(("block", src),
                                          G * _slope(kind, self._blocks[src], self._blocks[bid]))
                elif op in ("output", "softmax"):
                    G = self._g.pop(ins[1], None)
                    if G is None:
                        continue
                    if op == "softmax":
                        shares = TABLE["softmax"].chain(NP, [], _columns(self._vals[ins[1]]),
                                                        _columns(G), None)
                        G = np.stack(shares, axis=1)
                    self._give_matrix(ins[2], G, fresh=op == "softmax")
                else:
                    g = self._g.pop(ins[1], None)
                    if g is not None:
                        self._node_backward(ins[1], ins[2], g)

    def _give(self, j: int, g: Any) -> None:
        plan = self.plan
        while plan.kinds[j] == "macro":
            j = plan.kids[j][0]
        kind = plan.kinds[j]
        if kind in ("input", "const"):
            return
        if kind == "param":
            self.gp[self._loose_pos[j]] += np.sum(g)
            return
        where = self.member.get(j)
        if where is not None:
            bid, col = where
            if self._gblocks[bid] is None:
                self._gblocks[bid] = np.zeros((self._X.shape[0], len(self.blocks[bid])))
            self._gblocks[bid][:, col] += g
            return
        old = self._g.get(j)
        self._g[j] = g if old is None else old + g

    def _give_matrix(self, spec: Any, G: Any, fresh: bool = True) -> None:
        """Add G's columns to the gradients of spec's nodes (``fresh``: G is ours to keep)."""
        if spec[0] == "block":
            bid = spec[1]
            if self._gblocks[bid] is None:
                self._gblocks[bid] = G if fresh else G.copy()
            else:
                self._gblocks[bid] += G
        elif spec[0] == "columns":
            for col, j in enumerate(spec[1]):
                self._give(j, G[:, col])
        # gradients of the inputs are not needed

    def _node_backward(self, i: int, kind: str, g: Any) -> None:
        """The chain rule for one node over the batch, from the operation table."""
        plan = self.plan
        spec, k, kids = plan.specs[i], plan.settings[i], plan.kids[i]
        assert spec is not None
        xs = ([np.asarray(self._get(c), dtype=float) for c in kids] if "xs" in spec.needs
              else [None] * len(kids))
        out = self._vals[i] if "out" in spec.needs else None
        if "xs" in spec.needs:
            _guarded(spec, spec.slope_guard(NP, xs, k), plan.nodes[i].label(), xs, k)
        for c, share in zip(kids, spec.chain(NP, xs, out, g, k)):
            self._give(c, share)

    def step(self, scale: float = 1.0) -> None:
        """Gradient descent: every parameter -= learning rate * scale * gradient."""
        for k in range(len(self.W)):
            if self.gW[k] is not None:
                self.W[k] -= (self.Wlr[k] * scale) * self.gW[k]
            if self.gb[k] is not None:
                self.b[k] -= (self.blr[k] * scale) * self.gb[k]
        if len(self.p):
            self.p -= self.plr * (scale * self.gp)

    def _write_gradients(self) -> None:
        nodes = self.plan.nodes
        tick = now()
        for (layer, _, _), W, gW, gb in zip(self.layers, self.W, self.gW, self.gb):
            if gW is None:
                gW = np.zeros_like(W)
            for row, values in zip(layer.weights, gW.tolist()):
                for j, v in zip(row, values):
                    nodes[j].gradient = v
                    nodes[j]._grad_tick = tick
            for j, v in zip(layer.bias or [], [0.0] * len(layer.bias or []) if gb is None
                            else gb.tolist()):
                nodes[j].gradient = v
                nodes[j]._grad_tick = tick
        for j, v in zip(self._loose, self.gp.tolist()):
            nodes[j].gradient = v
            nodes[j]._grad_tick = tick

    # -- the public API (one sample, or a batch) ---------------------------------------------
    def predict_batch(self, X: Any) -> Any:
        """The model's value for every row of ``X`` (an array; rows are samples)."""
        return np.array(self.forward_batch(X), dtype=float)

    def predict(self, inputs: Sequence[float] | dict[str, float]) -> Any:
        xs = check_input_values(self.plan.inputs, inputs)
        synced = self._tick == now()
        for node, v in zip(self.plan.inputs, xs):
            if node._value != v:
                node.value = v
        if synced:
            self._tick = now()  # only inputs changed: the parameters are still current
        out = self.forward_batch([xs])[0]
        return out.tolist() if self.plan.vector else float(out)

    def forward(self) -> Any:
        return self.predict([n._value for n in self.plan.inputs])

    def backward(self, derivative_from_parent: Any = None, *, update: bool = True) -> None:
        plan = self.plan
        d = backward_seed(plan, self.model.label(), derivative_from_parent)
        if getattr(self, "_X", None) is None or self._X.shape[0] != 1 or self._tick != now():
            self.forward()
        self.backward_batch(np.asarray([d], dtype=float))
        self._write_gradients()
        for j in [plan.root, *plan.vector_chain]:
            plan.nodes[j].gradient = list(d) if plan.vector else d
        if update:
            self.refresh(learning_rates=True)
            self.step()
            self.write_parameters()

    # -- training (called by train_model) ------------------------------------------------------
    def train_epoch(self, data: Sequence[Any], order: Sequence[int], loss: Callable,
                    dloss: Callable, batch_size: int | None = None, *,
                    sync: bool = True) -> float | None:
        """One epoch of mini-batch gradient descent; ``None`` = per-sample (train_model's).

        With ``sync=False`` the Parameter objects are left behind until the next
        epoch that syncs (train_model syncs before a callback and at the end).
        """
        if batch_size is None:
            return None
        X, Y = self._arrays(data)
        vec = _vector_loss(loss, dloss)
        if not self._training or self._tick != now():
            self.refresh(learning_rates=True)
        self._training = True
        total = 0.0
        order = np.asarray(order)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            if len(idx) == len(order):  # the full batch: the order does not matter
                Xb, Yb, idx = X, Y, np.arange(len(order))
            else:
                Xb, Yb = X[idx], Y[idx]
            P = self.forward_batch(Xb)
            if vec is not None:
                L, G = vec(Yb, P)
            else:  # a loss we do not know: call it sample by sample
                ys = [data[i][1] for i in idx.tolist()]
                rows = P.tolist()
                L = np.array([loss(y, p) for y, p in zip(ys, rows)])
                G = np.array([dloss(y, p) for y, p in zip(ys, rows)], dtype=float)
            total += float(L.sum())
            self.backward_batch(G)
            self.step(1.0 / len(idx))
        if sync:
            self.write_parameters()
            self._write_gradients()
            self._training = False
        return total

    def _arrays(self, data: Sequence[Any]) -> tuple[Any, Any]:
        cached = getattr(self, "_data", None)
        if cached is not None and cached[0] is data:
            return cached[1], cached[2]
        rows = [check_input_values(self.plan.inputs, x) for x, _ in data]
        X = np.array(rows, dtype=float)
        ys = [y for _, y in data]
        if self.plan.vector:
            k = self.plan.width
            Y = np.array([losses._target(y, k) for y in ys], dtype=float)
        else:
            Y = np.array(ys, dtype=float)
        self._data = (data, X, Y)
        return X, Y


def _rates(values: Any) -> Any:
    """Learning rates as one number when they are all equal (one multiply less)."""
    arr = np.array(values, dtype=float)
    return float(arr.flat[0]) if arr.size and (arr == arr.flat[0]).all() else arr


def _vector_loss(loss: Callable, dloss: Callable) -> Callable | None:
    """One of treeprop's own losses evaluated with NumPy (its own formula), or ``None``."""
    known = losses.find(loss, dloss)
    if known is None:
        return None
    if known.vector:  # one column per class
        def by_columns(y: Any, p: Any) -> tuple[Any, Any]:
            ys, ps = _columns(y), _columns(p)
            return known.fn(ys, ps, NP), np.stack(known.grad(ys, ps, NP), axis=1)
        return by_columns
    return lambda y, p: (known.fn(y, p, NP), known.grad(y, p, NP))


@register("batched")
def compile_batched(model: Computation, *, fallback: bool = False) -> Computation:
    """``model.compile(engine="batched")``: NumPy over a batch, layers as matrices."""
    detach(model)
    compile_cached(model)
    try:
        program = BatchedProgram(model)
    except UnsupportedNodeError as err:
        if not fallback:
            raise
        warnings.warn(f"{err}; staying on the cached engine", stacklevel=3)
        return model
    return attach(model, program)
