"""Interactive explorers (ipywidgets 8): move sliders, watch values and gradients.

``explore(model)`` gives a slider to every input and parameter and redraws the
tree as they move; ``step_through(model, inputs, target)`` replays one backward
pass a node at a time. Both are widgets (``ipywidgets.VBox``) whose logic is
plain methods, so tests can set a slider and read the new SVG without a
browser. Drawings go into an ``HTML`` widget as SVG, so a saved notebook keeps
them, and every part carries a stable CSS class (``tp-...``) for browser tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import ipywidgets as widgets

from treeprop.clock import now
from treeprop.graph import postorder, topological_order
from treeprop.losses import BCE, CCE, MSE, Loss
from treeprop.macros import Macro
from treeprop.nodes import Input, Leaf, Parameter
from treeprop.outputs import Output, is_vector
from treeprop.viz.draw import draw, fit_markup
from treeprop.viz.model import box_names, describe, fmt, leaves_changed_since, title_of

LOSSES: dict[str, Loss | None] = {"none": None, "MSE": MSE, "BCE": BCE, "CCE": CCE}


def svg_markup(drawing: Any) -> str:
    """The drawing's SVG without the XML prologue, ready for an HTML widget.

    Without ``dot`` it is the text tree in a ``<pre>`` block instead.
    """
    svg = drawing.svg()
    if not svg:
        from treeprop.viz.text import INSTALL_HINT  # only without graphviz

        return f'<pre class="tp-text-tree">{escape(drawing.text)}\n{escape(INSTALL_HINT)}</pre>'
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _frame(svg: str) -> str:
    """A drawing for an HTML widget: fitted to the width (click: full size), at most
    640 px high (scrolling beyond)."""
    if not svg.startswith("<svg"):  # the text tree, without graphviz
        return f'<div style="overflow:auto; max-height:640px">{svg}</div>'
    return fit_markup(svg, max_height="640px")


class Debouncer:
    """Run ``action`` now, or, if it ran less than ``wait`` seconds ago, once later.

    The first change after a pause redraws at once (and synchronously, so code
    that sets a slider sees the new drawing straight away); a burst of changes
    from dragging collapses into one trailing redraw. Without a running event
    loop (plain Python, tests) every call runs at once.
    """

    def __init__(self, action: Callable[[], Any], wait: float = 0.15) -> None:
        self.action = action
        self.wait = wait
        self.last = float("-inf")
        self.pending: Any = None
        self.runs = 0

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.wait:
            self._run()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._run()
            return
        if self.pending is None:
            self.pending = loop.call_later(self.wait - (now - self.last), self._run)

    def _run(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        self.last = time.monotonic()
        self.runs += 1
        self.action()

    def flush(self) -> None:
        """Run a pending trailing call now."""
        if self.pending is not None:
            self._run()

    def now(self) -> None:
        """Run at once (dropping a pending trailing call, which this one replaces)."""
        self._run()


def leaf_names(model: Any) -> list[tuple[str, Any]]:
    """(name, leaf) for every input, then every parameter, each name unique.

    Inputs keep their names; an unnamed parameter is called ``w<id>`` after its
    node id (``w3`` is node ``n3``), and the explorer's drawing heads its box so.
    """
    order = postorder(model)
    out: list[tuple[str, Any]] = []
    taken: set[str] = set()
    inputs = [(i, n) for i, n in enumerate(order) if isinstance(n, Input)]
    params = [(i, n) for i, n in enumerate(order) if isinstance(n, Parameter)]
    for i, node in inputs + params:
        name = node.name or (f"x{len([o for o in out if isinstance(o[1], Input)])}"
                             if isinstance(node, Input) else f"w{i}")
        if name in taken:
            name = f"{name}_n{i}"
        taken.add(name)
        out.append((name, node))
    return out


def _slider(name: str, value: float, css: str, tooltip: str) -> widgets.FloatSlider:
    span = max(3.0, 2.0 * abs(value))
    s = widgets.FloatSlider(value=value, min=-span, max=span, step=0.01, description=name,
                            tooltip=tooltip, continuous_update=True, readout_format=".2f",
                            layout=widgets.Layout(width="340px"),
                            style={"description_width": "60px"})
    s.add_class("tp-slider")
    s.add_class(f"tp-slider-{css}")
    return s


class Explorer(widgets.VBox):
    """Sliders for every input and parameter, the loss settings, and the drawing."""

    def __init__(self, model: Any, *, loss: str | Loss | None = None, target: Any = 0.0,
                 collapse_macros: Any = False, edge_labels: bool = False,
                 max_sliders: int = 40, debounce: float = 0.15, title: str | None = None
                 ) -> None:
        self.model = model
        self.collapse_macros = collapse_macros
        self.title = title
        self.leaves = leaf_names(model)
        self.sliders: dict[str, widgets.FloatSlider] = {}
        shown = self.leaves[:max_sliders]
        for name, leaf in shown:
            what = "input" if isinstance(leaf, Input) else "parameter"
            s = _slider(name, leaf.value, name, f"the value of {what} {name}: drag, or click "
                        "and use the arrow keys")
            s.observe(self._on_slider, names="value")
            self.sliders[name] = s
        self._by_slider = {id(self.sliders[n]): leaf for n, leaf in shown}
        loss_name = loss if isinstance(loss, str) or loss is None else _loss_key(loss)
        options = ["none", "CCE"] if is_vector(model) else ["none", "MSE", "BCE"]
        if loss_name is not None and loss_name not in options:
            raise ValueError(f"loss must be one of {options} for this model, not {loss_name!r}")
        self.loss = widgets.Dropdown(options=options, value=loss_name or "none",
                                     description="loss", layout=widgets.Layout(width="200px"),
                                     tooltip="none: gradients of the output; a loss: "
                                             "gradients of the loss at the target")
        self.loss.add_class("tp-loss")
        if is_vector(model):
            self.target = widgets.BoundedIntText(value=int(target), min=0,
                                                 max=len(model.forward()) - 1,
                                                 description="class",
                                                 tooltip="the true class, for the loss",
                                                 layout=widgets.Layout(width="160px"))
        else:
            self.target = widgets.FloatText(value=float(target), description="target",
                                            tooltip="the value the output should have, "
                                                    "for the loss",
                                            layout=widgets.Layout(width="160px"))
        self.target.add_class("tp-target")
        self.edge_labels = widgets.Checkbox(value=edge_labels, description="edge labels",
                                            indent=False, layout=widgets.Layout(width="120px"),
                                            tooltip="write the local derivative and the "
                                                    "chain-rule product on every edge")
        self.edge_labels.add_class("tp-edge-labels")
        for w in (self.loss, self.target, self.edge_labels):
            w.observe(self._on_setting, names="value")
        self.status = widgets.HTML()
        self.status.add_class("tp-status")
        self.warning: str | None = None
        self.drawing = widgets.HTML()
        self.drawing.add_class("tp-drawing")
        note = []
        if len(self.leaves) > max_sliders:
            note.append(widgets.HTML(f"<i>sliders for the first {max_sliders} of "
                                     f"{len(self.leaves)} inputs and parameters</i>"))
        boxes = widgets.Box(list(self.sliders.values()),
                            layout=widgets.Layout(flex_flow="row wrap", max_height="220px",
                                                  overflow="auto"))
        controls = widgets.HBox([self.loss, self.target, self.edge_labels])
        super().__init__([boxes, *note, controls, self.status, self.drawing])
        self.add_class("tp-explore")
        self.debouncer = Debouncer(self.redraw, debounce)
        self._syncing = False
        self.redraw()

    def _on_slider(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        leaf = self._by_slider[id(change["owner"])]
        leaf.value = float(change["new"])
        self.schedule(change["owner"])

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.schedule(change["owner"])

    def schedule(self, owner: Any = None) -> None:
        """Redraw: debounced when the browser moved a control, at once when code did."""
        from_browser = owner is not None and bool(getattr(owner, "_property_lock", None))
        if from_browser:
            self.debouncer()
        else:
            self.debouncer.now()

    def set(self, name: str, value: float) -> None:
        """Move slider ``name`` to ``value`` (and redraw, as a user's move would)."""
        self.sliders[name].value = value
        self.debouncer.flush()

    def compute(self) -> tuple[Any, float | None]:
        """Forward, then (with a loss) backward without updates: (prediction, loss)."""
        p = self.model.forward()
        loss = LOSSES[self.loss.value]
        if loss is None:
            if not is_vector(self.model):
                self.model.backward(1.0, update=False)
            return p, None
        y = self.target.value
        self.model.backward(loss.grad(y, p), update=False)
        return p, loss(y, p)

    def sync_sliders(self) -> None:
        """Move sliders to their leaves' values (code may have changed a leaf)."""
        self._syncing = True
        try:
            for s in self.sliders.values():
                v = self._by_slider[id(s)].value
                if s.value != v:
                    s.min, s.max = min(s.min, v), max(s.max, v)
                    s.value = v
        finally:
            self._syncing = False

    def redraw(self) -> None:
        """Recompute, then redraw the tree and the status line (and sync the sliders)."""
        self.sync_sliders()
        try:
            p, value = self.compute()
        except (ArithmeticError, ValueError) as err:
            self.status.value = f'<span class="tp-error">{err}</span>'
            p, value = None, None
        else:
            if value is None:
                what = "gradients are d(output)/d(node)" if not is_vector(self.model) else \
                    "choose a loss to see gradients"
                self.status.value = f"output <b>{fmt(p)}</b>; {what}"
            else:
                self.status.value = (f"output <b>{fmt(p)}</b>, {self.loss.value} loss "
                                     f"<b>{fmt(value)}</b>; gradients are d(loss)/d(node)")
        self.warning = None if p is None else \
            domain_problem(self.loss.value, self.target.value, p)
        if self.warning:
            self.status.value += ('<div class="tp-warning" style="color:#b35806; '
                                  'font-weight:bold">⚠ ' + escape(self.warning) + "</div>")
        # a box is headed by its slider's name, so "w3" is findable in the drawing
        d = draw(self.model, collapse_macros=self.collapse_macros,
                 edge_labels=self.edge_labels.value, title=self.title,
                 names={id(leaf): name for name, leaf in self.leaves if leaf.name != name})
        self.drawing.value = _frame(svg_markup(d))
        self.last_drawing = d


def domain_problem(loss: str, y: Any, p: Any) -> str | None:
    """Why ``loss(y, p)`` means nothing here, or ``None``.

    Cross-entropies take probabilities. Outside (0, 1) BCE's log is clamped at
    1e-8, so an output of 3 gives a loss of 18.4 and gradients of 1e8 that say
    nothing about the model; a target outside [0, 1] can make the loss negative.
    """
    if loss == "BCE":
        if not 0.0 < p < 1.0:
            fix = " Put a Sigmoid on the output, or choose MSE." if not 0.0 <= p <= 1.0 \
                else ""
            return (f"binary cross-entropy takes a probability strictly between 0 and 1, but "
                    f"the output is {fmt(p)}: there its log is clamped at 1e-8, so this loss "
                    f"and these gradients come from the clamp, not from the model.{fix}")
        if not 0.0 <= y <= 1.0:
            return (f"binary cross-entropy takes a target between 0 and 1 (a label or a "
                    f"probability), not {fmt(y)}: the loss can go negative and is smallest "
                    "at 0 or 1, not at the target.")
    if loss == "CCE":
        total = sum(p)
        if any(not 0.0 <= q <= 1.0 for q in p) or abs(total - 1.0) > 1e-6:
            return (f"categorical cross-entropy takes probabilities that add up to 1, but the "
                    f"outputs are {fmt(p)} (sum {fmt(total)}): this loss and these gradients "
                    "mean nothing. Put a Softmax on the output.")
    return None


def _loss_key(loss: Loss) -> str:
    for k, v in LOSSES.items():
        if v is loss:
            return k
    raise ValueError(f"unknown loss {loss!r}; use one of {list(LOSSES)[1:]}")


def explore(model: Any, **options: Any) -> Explorer:
    """Sliders for every input and parameter of ``model`` and a live drawing.

    Moving a slider changes that leaf's value and redraws the tree (debounced)
    with the new values and gradients. Choose a ``loss`` and ``target`` to see
    d(loss)/d(node) instead of d(output)/d(node). Options: ``loss``, ``target``,
    ``collapse_macros``, ``edge_labels``, ``max_sliders``, ``debounce``, ``title``.
    """
    return Explorer(model, **options)


# -- the backward pass, one node at a time -------------------------------------------


class Step:
    """One step of the backward pass: a node receives its derivative and passes it on."""

    def __init__(self, node: Any, nid: str, incoming: Any,
                 sends: list[tuple[Any, str, float | None, float]]) -> None:
        self.node = node
        self.id = nid
        self.incoming = incoming  # the sum of what its parents sent
        self.sends = sends  # (child, child id, local derivative, product)

    def describe(self, names: dict[int, str] | None = None) -> str:
        """The step in words, naming nodes as the drawing does (``names``: id(node) ->
        the name on its box); without ``names``, by heading and id."""
        def name(node: Any, nid: str) -> str:
            return names[id(node)] if names else f"{title_of(node)} [{nid}]"

        head = f"{name(self.node, self.id)} receives d = {fmt(self.incoming)}"
        if not self.sends:
            return head + " (a leaf: the chain stops here)"
        parts = []
        for child, cid, local, product in self.sends:
            if local is None:
                parts.append(f"to {name(child, cid)}: sends {fmt(product)}")
            else:
                parts.append(f"to {name(child, cid)}: local {fmt(local)} × "
                             f"{fmt(self.incoming)} = {fmt(product)}")
        return head + "; " + "; ".join(parts)


def backward_steps(model: Any, seed_derivative: Any = 1.0) -> list[Step]:
    """The steps of ``model.backward(seed)``, computed without changing the model.

    Nodes come in topological order (each after all of its parents), so by the
    time a node is reached every parent has added its share.
    """
    order = postorder(model)
    ids = {id(n): f"n{i}" for i, n in enumerate(order)}
    pending: dict[int, Any] = {id(model): seed_derivative}
    steps = []
    for node in topological_order(model):
        d = pending.pop(id(node), 0.0)
        sends = []
        if node.children:
            local: list[Any] = [None] * len(node.children)
            if not isinstance(node, (Output, Macro)):
                local = list(node.grad())
            for i, (child, share) in enumerate(node._child_derivatives(d)):
                sends.append((child, ids[id(child)], local[i], share))
                key = id(child)
                pending[key] = pending[key] + share if key in pending else share
        steps.append(Step(node, ids[id(node)], d, sends))
    return steps


class StepThrough(widgets.VBox):
    """Replay the backward pass: play, step, back, with the chain rule spelt out."""

    def __init__(self, model: Any, inputs: Sequence[float] | dict[str, float] | None = None,
                 target: Any = None, *, loss: Loss | None = MSE, interval: int = 1200,
                 edge_labels: bool = False) -> None:
        self.model = model
        self.edge_labels = edge_labels
        if inputs is not None:
            model.predict(inputs)
        if (target is None or loss is None) and is_vector(model):
            raise ValueError("a model with a list output needs a target and a loss")
        self.target, self.loss = target, loss
        self.note = ""
        self.compute()
        n = len(self.steps)
        self.step = widgets.IntSlider(value=0, min=0, max=n, description="step",
                                      tooltip="go to any step (0: before the backward pass)",
                                      layout=widgets.Layout(width="420px"))
        self.step.add_class("tp-step")
        # no description: with one, ipywidgets puts the tooltip on a label Play never shows
        self.play = widgets.Play(value=0, min=0, max=n, interval=interval,
                                 tooltip="play the backward pass one step every "
                                         f"{interval / 1000:g} s (pause, stop, repeat)")
        self.play.add_class("tp-play")
        widgets.jslink((self.play, "value"), (self.step, "value"))
        self.back_button = widgets.Button(description="◀ back", tooltip="one step back",
                                          layout=widgets.Layout(width="90px"))
        self.back_button.add_class("tp-back")
        self.next_button = widgets.Button(description="step ▶",
                                          tooltip="one step on: the next node receives its "
                                                  "derivative",
                                          layout=widgets.Layout(width="90px"))
        self.next_button.add_class("tp-next")
        self.back_button.on_click(lambda _b: self.back())
        self.next_button.on_click(lambda _b: self.forward())
        self.explanation = widgets.HTML()
        self.explanation.add_class("tp-explanation")
        self.drawing = widgets.HTML()
        self.drawing.add_class("tp-drawing")
        self.step.observe(lambda _c: self.show(), names="value")
        super().__init__([widgets.HBox([self.play, self.back_button, self.next_button,
                                        self.step]), self.explanation, self.drawing])
        self.add_class("tp-step-through")
        self.show()

    def compute(self) -> None:
        """The prediction, the loss and every step at the leaves' current values.

        Remembers the value clock, so :meth:`show` can tell when an input or a
        parameter moved since (an ``explore`` slider on the same model, code).
        """
        self.prediction = self.model.forward()
        if self.target is None or self.loss is None:
            self.seed, self.loss_value = 1.0, None
            start = "start: d(output)/d(output) = 1"
        else:
            self.seed = self.loss.grad(self.target, self.prediction)
            self.loss_value = self.loss(self.target, self.prediction)
            start = (f"start: prediction {fmt(self.prediction)}, target {fmt(self.target)}, "
                     f"{self.loss.name} {fmt(self.loss_value)}; d(loss)/d(prediction) = "
                     f"{fmt(self.seed)}")
            key = next((k for k, v in LOSSES.items() if v is self.loss), "")
            problem = domain_problem(key, self.target, self.prediction)
            if problem:
                start += ('<div class="tp-warning" style="color:#b35806; font-weight:bold">'
                          f"⚠ {escape(problem)}</div>")
        self.start_text = start
        self.steps = backward_steps(self.model, self.seed)
        self.tick = now()
        self.values = {id(n): n.value for n in postorder(self.model) if isinstance(n, Leaf)}

    def refresh_if_changed(self) -> bool:
        """Recompute the pass if a leaf changed since it was computed; True if so.

        Otherwise the drawing would put today's values beside gradients of the old
        ones (the values are read live from the tree).
        """
        moved = leaves_changed_since(postorder(self.model), self.tick)
        if not moved:
            return False
        # a slider in the browser may write back its own rounding of the same number:
        # name the leaves whose shown value changed (recompute for any write)
        shown = [leaf for leaf in moved
                 if fmt(self.values.get(id(leaf))) != fmt(leaf.value)] or moved
        names = ", ".join(f"{title_of(leaf)} = {fmt(leaf.value)}" for leaf in shown[:4])
        more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
        self.compute()
        self.note = (f'<div class="tp-recomputed"><b>recomputed</b>: {names}{more} changed '
                     "since the last step, so every step now uses the current values</div>")
        return True

    def forward(self) -> None:
        self.step.value = min(self.step.max, self.step.value + 1)

    def back(self) -> None:
        self.step.value = max(0, self.step.value - 1)

    def gradients_at(self, k: int) -> dict[int, Any]:
        """id(node) -> gradient for the nodes finished after ``k`` steps."""
        return {id(s.node): s.incoming for s in self.steps[:k]}

    def show(self) -> None:
        """Draw step ``self.step.value`` (recomputing first if a leaf moved)."""
        if not self.refresh_if_changed():
            self.note = ""
        k = self.step.value
        view = describe(self.model, gradient_of=self.gradients_at(k),
                        gradient_tick=self.tick, local_derivatives=True)
        # name nodes as their boxes do; where two boxes would read alike, both
        # carry their id, in the drawing and in the text
        boxes = box_names(view, "ambiguous")
        names = {key: boxes[nv.id] for key, nv in view.by_node.items()}
        if k == 0:
            text = self.start_text
            mark: tuple[str, ...] = ()
        else:
            s = self.steps[k - 1]
            text = f"step {k} of {len(self.steps)}: {escape(s.describe(names))}"
            mark = (s.id,)
        self.explanation.value = self.note + text
        d = draw(self.model, view=view, highlight=mark, edge_labels=self.edge_labels,
                 ids="ambiguous")
        self.drawing.value = _frame(svg_markup(d))
        self.last_drawing = d


def step_through(model: Any, inputs: Any = None, target: Any = None, *,
                 loss: Loss | None = MSE, **options: Any) -> StepThrough:
    """The backward pass of ``loss(target, model(inputs))``, one node per step.

    Each step shows the node that receives its derivative (outlined in red),
    the local derivative to each child, the incoming derivative and their
    product. Use play, step and back, or move the step slider. The model's
    parameters do not change. ``target=None`` backpropagates d(output) = 1.
    """
    return StepThrough(model, inputs, target, loss=loss, **options)
