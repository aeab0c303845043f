"""Layer 3 — training: predict, compare with the target, backpropagate, repeat.

``train_model`` is the course's loop: for every epoch and every sample it
predicts, adds the loss to the epoch's total and calls ``backward`` with the
loss gradient, which makes every parameter take one SGD step.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from treeprop.errors import InputCountError, NonFiniteError
from treeprop.nodes import Computation, Input, Parameter, _check_finite, method_of
from treeprop.walk import postorder

Sample = tuple[Sequence[float], Any]
Value = float | list[float]

#: the model's inputs in the order ``predict`` takes them, once ``compile()`` (layer 4)
#: has found and named them; before that ``predict`` finds them itself
Computation.inputs = None  # type: ignore[attr-defined]


# -- predict: inputs in, a value out -----------------------------------------------------
@method_of(Computation)
def find_input_nodes(self: Computation) -> list[Input]:
    """The :class:`Input` leaves below this node, left to right, each once."""
    return [n for n in postorder(self) if isinstance(n, Input)]


@method_of(Computation)
def predict(self: Computation, inputs: Sequence[float] | dict[str, float]) -> Value:
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
        raise input_count_error(nodes, len(inputs))
    return list(inputs)


def input_count_error(nodes: list[Input], got: int) -> InputCountError:
    """The error for ``got`` values given to a model with inputs ``nodes``."""
    names = ", ".join(n.label() for n in nodes) or "none"
    return InputCountError(
        f"this model has {len(nodes)} input{'s' if len(nodes) != 1 else ''} "
        f"({names}) but predict got {got} value{'s' if got != 1 else ''}"
    )


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


def parameters(model: Computation) -> list[Parameter]:
    """Every parameter below ``model``, each once, in a fixed order."""
    return [n for n in postorder(model) if isinstance(n, Parameter)]


# -- training ---------------------------------------------------------------------------
def set_learning_rate(model: Computation, learning_rate: float) -> None:
    """Give every parameter below ``model`` the same learning rate."""
    for p in parameters(model):
        p.learning_rate = learning_rate


def train_model(
    model: Computation,
    loss_fn: Callable[[Any, Any], float],
    loss_grad_fn: Callable[[Any, Any], Any] | None = None,
    data: Sequence[Sample] | None = None,
    epochs: int = 1000,
    print_every: int | None = 100,
    *,
    learning_rate: float | None = None,
    shuffle: bool = False,
    seed: int | None = 0,
    progress: bool = True,
    callback: Callable[[int, float], Any] | None = None,
    batch_size: int | str | None = None,
) -> list[float]:
    """Train ``model`` by per-sample SGD and return the mean loss of every epoch.

    ``loss_fn`` may be a :class:`treeprop.losses.Loss`, which carries its own
    gradient (then ``loss_grad_fn`` may be left out). ``print_every=None``
    silences the printout and ``progress=False`` the progress bar.
    ``callback(epoch, mean_loss)`` runs after each epoch; returning ``False``
    stops training early.

    ``batch_size=None`` is the course's per-sample SGD. A whole number ``k``
    (or ``"full"`` for all the data) does mini-batch gradient descent instead:
    every parameter steps by its learning rate times the *mean* gradient over
    ``k`` samples. A model compiled with a fast engine (``engine="compiled"``
    or ``"batched"``, see :mod:`treeprop.engines`) runs each epoch in its own
    program and writes the parameters back before each callback and at the end.
    """
    if loss_grad_fn is not None and not callable(loss_grad_fn) and data is None:
        loss_grad_fn, data = None, loss_grad_fn  # train_model(model, MSE, data)
    if loss_grad_fn is None:
        loss_grad_fn = getattr(loss_fn, "grad", None)
        if loss_grad_fn is None:
            raise TypeError("give loss_grad_fn, or a Loss that carries its gradient")
    data = _check_data(data)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    batch = _check_batch_size(batch_size, len(data))
    if learning_rate is not None:
        set_learning_rate(model, learning_rate)
    program = getattr(model, "_program", None)  # set by a fast engine
    order = list(range(len(data)))
    rng = random.Random(seed)
    history: list[float] = []
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            if shuffle:
                rng.shuffle(order)
            total = None
            if program is not None or batch is not None:
                try:
                    if program is not None:
                        # the program syncs the node objects only when someone looks
                        sync = callback is not None or epoch == epochs
                        total = program.train_epoch(data, order, loss_fn, loss_grad_fn, batch,
                                                    sync=sync)
                    if total is None and batch is not None:
                        total = _minibatch_epoch(model, data, order, loss_fn, loss_grad_fn,
                                                 batch)
                except (NonFiniteError, OverflowError) as err:
                    raise _diverged(err, f"epoch {epoch}") from err
            if total is None:  # the course's loop: one sample at a time
                total = 0.0
                for i in order:
                    x, y = data[i]
                    try:
                        p = model.predict(x)
                        total += loss_fn(y, p)
                        model.backward(loss_grad_fn(y, p))
                    except (NonFiniteError, OverflowError) as err:
                        # the data were checked above, so a value blew up inside the model
                        raise _diverged(err, f"epoch {epoch} at sample {i}") from err
            mean = total / len(data)
            if not math.isfinite(mean):
                raise NonFiniteError(
                    f"the mean loss became {mean} in epoch {epoch}: training diverged "
                    "(try a smaller learning rate)"
                )
            history.append(mean)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{mean:.4g}", refresh=False)
            if print_every and epoch % print_every == 0:
                _say(bar, f"epoch {epoch}: mean loss {mean:.6g}")
            if callback is not None and callback(epoch, mean) is False:
                break
    finally:
        if bar is not None:
            bar.close()
    return history


def _check_batch_size(batch_size: Any, n: int) -> int | None:
    if batch_size is None:
        return None
    if batch_size == "full":
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            f"batch_size must be None, a whole number >= 1 or 'full', got {batch_size!r}"
        )
    return min(batch_size, n)


def _minibatch_epoch(model: Computation, data: Sequence[Sample], order: Sequence[int],
                     loss_fn: Callable, loss_grad_fn: Callable, size: int) -> float:
    """One epoch of mini-batch gradient descent through the public API (any engine)."""
    params = parameters(model)
    total = 0.0
    for start in range(0, len(order), size):
        batch = order[start:start + size]
        sums = [0.0] * len(params)
        for i in batch:
            x, y = data[i]
            p = model.predict(x)
            total += loss_fn(y, p)
            model.backward(loss_grad_fn(y, p), update=False)
            for k, q in enumerate(params):
                sums[k] += q.gradient
        for q, s in zip(params, sums):
            q.value = q.value - q.learning_rate * (s / len(batch))
    return total


def _diverged(err: Exception, where: str) -> NonFiniteError:
    what = err if isinstance(err, NonFiniteError) else "a value overflowed"
    return NonFiniteError(f"training diverged in {where}: {what} (try a smaller learning rate)")


def _check_data(data: Any) -> list[Sample]:
    if data is None:
        raise TypeError("train_model needs data: a list of (inputs, target) pairs")
    data = list(data)
    if not data:
        raise ValueError("train_model got no data")
    for k, sample in enumerate(data):
        if not isinstance(sample, (tuple, list)) or len(sample) != 2:
            raise ValueError(f"sample {k} is {sample!r}, not an (inputs, target) pair")
        x, y = sample
        if not isinstance(x, dict) and not _finite_numbers(x):
            raise ValueError(f"sample {k} has inputs {x!r}: they must be a list of finite "
                             "numbers")
        if not (_finite_number(y) or _finite_numbers(y)):
            raise ValueError(f"sample {k} has target {y!r}: it must be a finite number, a "
                             "class index or a list of numbers")
    return data


def _finite_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _finite_numbers(xs: Any) -> bool:
    return (hasattr(xs, "__len__") and not isinstance(xs, (str, bytes))
            and all(_finite_number(v) for v in xs))


def _progress_bar(total: int, wanted: bool) -> Any:
    if not wanted or total < 2:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="training", unit="epoch", leave=False)


def _say(bar: Any, text: str) -> None:
    if bar is not None:
        bar.write(text)
    else:
        print(text)


def evaluate(model: Computation, loss_fn: Callable[[Any, Any], float],
             data: Sequence[Sample]) -> float:
    """The mean loss over ``data`` without changing the model."""
    data = _check_data(data)
    return sum(loss_fn(y, model.predict(x)) for x, y in data) / len(data)


def accuracy(model: Computation, data: Sequence[Sample], threshold: float = 0.5) -> float:
    """Share of samples classified right: by threshold (one output) or argmax (several)."""
    data = _check_data(data)
    right = 0
    for x, y in data:
        p = model.predict(x)
        if isinstance(p, list):
            guess = max(range(len(p)), key=p.__getitem__)
            label = y if isinstance(y, numbers.Integral) else max(range(len(y)),
                                                                  key=y.__getitem__)
        else:
            guess, label = int(p > threshold), int(y > threshold)
        right += guess == label
    return right / len(data)


