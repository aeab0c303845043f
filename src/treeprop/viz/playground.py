"""A training playground in the spirit of TensorFlow Playground, built on treeprop.

Choose a data set, the hidden layers, the activation and the learning rate;
press play (or step) and watch the decision boundary, the train and test loss
curves and the weights of the network change. The settings go to and come back
from JSON, so a configuration can be shared. The network is a
``treeprop.macros.MLP`` with a sigmoid output trained on binary cross-entropy
by ``train_model``; every method works without a browser.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import time
from typing import Any

import ipywidgets as widgets

from treeprop.datasets import GENERATORS, split
from treeprop.graph import postorder
from treeprop.losses import BCE
from treeprop.macros import MLP
from treeprop.nodes import Constant, Input, Parameter, seed
from treeprop.training import set_learning_rate, train_model
from treeprop.viz.model import fmt
from treeprop.viz.network import draw_network
from treeprop.viz.widgets import _frame, svg_markup

DEFAULTS: dict[str, Any] = {
    "dataset": "circles",
    "noise": 0.1,
    "samples": 200,
    "test_fraction": 0.3,
    "hidden": [4, 4],
    "activation": "tanh",
    "learning_rate": 0.03,
    "seed": 0,
}
ACTIVATION_NAMES = ["tanh", "relu", "sigmoid"]
LIMIT = 1.6  # the heat map covers [-LIMIT, LIMIT]^2


def parse_hidden(text: str) -> list[int]:
    """``"4, 4"`` -> ``[4, 4]``; between 0 and 6 layers of 1 to 16 neurons."""
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"hidden layers must be whole numbers like '4, 4', not {text!r}") \
            from None
    if len(sizes) > 6 or any(not 1 <= s <= 16 for s in sizes):
        raise ValueError("use at most 6 hidden layers of 1 to 16 neurons each")
    return sizes


def grid_values(model: Any, xs: Any, ys: Any) -> Any:
    """The model's output at every point of a grid, all points at once (numpy).

    The tree is evaluated once over whole arrays, node by node; a node kind this
    function does not know makes it fall back to one ``predict`` per point.
    """
    import numpy as np  # only when a playground draws: import treeprop.viz stays light

    inputs = model.inputs if getattr(model, "inputs", None) else model.find_input_nodes()
    columns = [xs, ys]
    vals: dict[int, Any] = {}
    for node in postorder(model):
        kind = type(node).__name__
        c = [vals[id(ch)] for ch in node.children]
        if isinstance(node, Input):
            vals[id(node)] = columns[inputs.index(node)]
        elif isinstance(node, (Parameter, Constant)):
            vals[id(node)] = node.value
        elif kind == "Add":
            vals[id(node)] = sum(c[1:], c[0])
        elif kind == "Multiply":
            out = c[0]
            for v in c[1:]:
                out = out * v
            vals[id(node)] = out
        elif kind == "ReLU":
            vals[id(node)] = np.maximum(c[0], 0.0)
        elif kind == "Tanh":
            vals[id(node)] = np.tanh(c[0])
        elif kind == "Sigmoid":
            vals[id(node)] = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(c[0])))
        elif kind == "Negate":
            vals[id(node)] = -c[0]
        elif kind in ("MLP", "Linear") or (len(c) == 1 and kind.endswith("Macro")):
            vals[id(node)] = c[0]
        else:
            return np.array([[model.predict([x, y]) for x, y in zip(rx, ry)]
                             for rx, ry in zip(xs, ys)])
    return np.broadcast_to(vals[id(model)], np.shape(xs))


def _colormap() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("tp", ["#e66101", "#f7f7f7", "#2166ac"])


class Playground(widgets.VBox):
    """Train a small MLP on a 2-D data set and watch it learn."""

    def __init__(self, *, frame_epochs: int = 5, max_epochs: int = 2000, grid: int = 50,
                 **settings: Any) -> None:
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown playground settings {sorted(unknown)}; "
                            f"known: {sorted(DEFAULTS)}")
        s = {**DEFAULTS, **settings}
        for name, value in (("frame_epochs", frame_epochs), ("max_epochs", max_epochs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        self.frame_epochs = frame_epochs
        self.max_epochs = max_epochs
        self.grid = grid
        self._quiet = False
        self._task: Any = None
        lay = widgets.Layout
        self.dataset = widgets.Dropdown(options=list(GENERATORS), value=s["dataset"],
                                        description="data", layout=lay(width="190px"),
                                        tooltip="the 2-D data set to classify (a new one resets)")
        self.noise = widgets.FloatSlider(value=s["noise"], min=0.0, max=0.5, step=0.05,
                                         description="noise", layout=lay(width="260px"),
                                         tooltip="how far points scatter from their shape")
        self.hidden = widgets.Text(value=", ".join(str(h) for h in s["hidden"]),
                                   description="hidden", layout=lay(width="190px"),
                                   tooltip="neurons per hidden layer, e.g. 4, 4 (empty: none)")
        self.activation = widgets.Dropdown(options=ACTIVATION_NAMES, value=s["activation"],
                                           description="activation",
                                           layout=lay(width="190px"),
                                           tooltip="the hidden layers' activation function")
        self.learning_rate = widgets.FloatLogSlider(value=s["learning_rate"], base=10,
                                                    min=-3, max=0, step=0.1,
                                                    description="learn rate",
                                                    readout_format=".3f",
                                                    layout=lay(width="300px"),
                                                    tooltip="the SGD step size (applies at "
                                                            "once, no reset)")
        self.play = widgets.ToggleButton(value=False, description="▶ play",
                                         tooltip="train until paused, "
                                                 f"{frame_epochs} epochs per frame",
                                         layout=lay(width="90px"))
        self.step_button = widgets.Button(description="step", layout=lay(width="70px"),
                                          tooltip="train one epoch")
        self.reset_button = widgets.Button(description="reset", layout=lay(width="70px"),
                                           tooltip="new data and a freshly initialised "
                                                   "network from these settings")
        self.progress = widgets.IntProgress(value=0, min=0, max=max_epochs,
                                            description="epochs",
                                            tooltip=f"epochs trained of the {max_epochs} "
                                                    "that play runs to",
                                            layout=lay(width="240px"))
        self.rate = widgets.HTML(layout=lay(width="260px"))
        self.epochs_per_second: float | None = None  # measured over the last train()
        self.train_seconds: float | None = None
        self.status = widgets.HTML()
        self.plots = widgets.Image(format="png", layout=lay(width="720px"))
        self.network = widgets.HTML()
        self.settings_text = widgets.Textarea(layout=lay(width="520px", height="70px"),
                                             tooltip="the settings as JSON: copy them, "
                                                     "or paste and import")
        self.export_button = widgets.Button(description="export settings",
                                            tooltip="write the settings as JSON into the box")
        self.import_button = widgets.Button(description="import settings",
                                            tooltip="apply the JSON settings in the box "
                                                    "and start afresh")
        self.samples = s["samples"]
        self.test_fraction = s["test_fraction"]
        self.seed = s["seed"]
        for w, css in [(self.dataset, "dataset"), (self.noise, "noise"),
                       (self.hidden, "hidden"), (self.activation, "activation"),
                       (self.learning_rate, "learning-rate"), (self.play, "play"),
                       (self.step_button, "step"), (self.reset_button, "reset"),
                       (self.progress, "progress"), (self.rate, "rate"),
                       (self.status, "status"),
                       (self.plots, "plots"), (self.network, "network"),
                       (self.settings_text, "settings"), (self.export_button, "export"),
                       (self.import_button, "import")]:
            w.add_class(f"tp-pg-{css}")
        for w in (self.dataset, self.noise, self.hidden, self.activation):
            w.observe(lambda _c: self._changed(), names="value")
        self.learning_rate.observe(lambda c: self._set_rate(c["new"]), names="value")
        self.play.observe(lambda c: self.start() if c["new"] else self.pause(), names="value")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self.export_button.on_click(lambda _b: self.export_settings())
        self.import_button.on_click(lambda _b: self.import_settings(self.settings_text.value))
        super().__init__([
            widgets.HBox([self.dataset, self.noise, self.hidden]),
            widgets.HBox([self.activation, self.learning_rate]),
            widgets.HBox([self.play, self.step_button, self.reset_button, self.progress,
                          self.rate]),
            self.status,
            widgets.HBox([self.plots]),
            self.network,
            widgets.HBox([self.settings_text,
                          widgets.VBox([self.export_button, self.import_button])]),
        ])
        self.add_class("tp-playground")
        self.reset()

    # -- settings --------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The current settings as a plain dict (what :meth:`export_settings` writes)."""
        return {
            "dataset": self.dataset.value,
            "noise": round(float(self.noise.value), 4),
            "samples": self.samples,
            "test_fraction": self.test_fraction,
            "hidden": parse_hidden(self.hidden.value),
            "activation": self.activation.value,
            "learning_rate": round(float(self.learning_rate.value), 6),
            "seed": self.seed,
        }

    def export_settings(self) -> str:
        """The settings as JSON, also put in the settings box for copying."""
        text = json.dumps(self.settings(), sort_keys=True)
        self.settings_text.value = text
        return text

    def import_settings(self, text: str) -> None:
        """Apply settings from JSON (unknown keys are an error) and start afresh."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            self.status.value = f'<span class="tp-error">not JSON: {err}</span>'
            raise ValueError(f"settings must be JSON: {err}") from None
        unknown = set(data) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        s = {**self.settings(), **data}
        if s["dataset"] not in GENERATORS or s["activation"] not in ACTIVATION_NAMES:
            raise ValueError(f"dataset must be one of {list(GENERATORS)} and activation one of "
                             f"{ACTIVATION_NAMES}")
        parse_hidden(",".join(str(h) for h in s["hidden"]))
        self._quiet = True
        try:
            self.dataset.value = s["dataset"]
            self.noise.value = s["noise"]
            self.hidden.value = ", ".join(str(h) for h in s["hidden"])
            self.activation.value = s["activation"]
            self.learning_rate.value = s["learning_rate"]
            self.samples = int(s["samples"])
            self.test_fraction = float(s["test_fraction"])
            self.seed = int(s["seed"])
        finally:
            self._quiet = False
        self.reset()
        self.settings_text.value = json.dumps(self.settings(), sort_keys=True)

    # -- the model and its data ---------------------------------------------------------
    def _changed(self) -> None:
        if not self._quiet:
            self.reset()

    def _set_rate(self, rate: float) -> None:
        if not self._quiet and getattr(self, "model", None) is not None:
            set_learning_rate(self.model, float(rate))

    def reset(self) -> None:
        """New data and a freshly initialised network from the current settings."""
        self.pause()
        try:
            hidden = parse_hidden(self.hidden.value)
        except ValueError as err:
            self.status.value = f'<span class="tp-error">{err}</span>'
            return
        gen = GENERATORS[self.dataset.value]
        data = gen(n=self.samples, seed=self.seed) if self.dataset.value == "line" else \
            gen(n=self.samples, noise=float(self.noise.value), seed=self.seed)
        self.train_data, self.test_data = split(data, self.test_fraction, seed=self.seed)
        seed(self.seed)
        self.model = MLP([2, *hidden, 1], self.activation.value, output="sigmoid",
                         learning_rate=float(self.learning_rate.value),
                         init="xavier" if self.activation.value != "relu" else "he")
        self.model.compile()
        self.epoch = 0
        self.train_history: list[float] = []
        self.test_history: list[float] = []
        self.epochs_per_second = None
        self.show_progress()
        self.refresh()

    def losses(self) -> tuple[float, float]:
        """Mean binary cross-entropy on the training and the test data."""
        out = []
        for data in (self.train_data, self.test_data):
            out.append(sum(BCE(y, self.model.predict(x)) for x, y in data) / len(data))
        return out[0], out[1]

    def accuracy(self, data: Any) -> float:
        return sum((self.model.predict(x) > 0.5) == (y > 0.5) for x, y in data) / len(data)

    # -- training -----------------------------------------------------------------------
    def show_progress(self, training: bool = False) -> None:
        """The bar and the readout: epochs done of ``max_epochs``, and epochs per second."""
        self.progress.value = min(self.epoch, self.max_epochs)
        rate = "" if self.epochs_per_second is None else \
            f" · {self.epochs_per_second:.1f} epochs/s"
        state = " · training" if training else \
            " · done" if self.epoch >= self.max_epochs else ""
        self.rate.value = f"{self.epoch} / {self.max_epochs} epochs{rate}{state}"

    def train(self, epochs: int) -> None:
        """Train ``epochs`` epochs, moving the bar after each, then redraw.

        The epochs per second shown are measured over this call: training, the
        losses after each epoch and the final redraw, as the user waits for them.
        """
        start = time.perf_counter()
        first = self.epoch

        def tick(done: int, _mean: float) -> bool:
            train, test = self.losses()
            self.train_history.append(train)
            self.test_history.append(test)
            self.epoch += 1
            self.epochs_per_second = done / max(time.perf_counter() - start, 1e-9)
            self.show_progress(training=True)
            self.status.value = self._status_text("training")
            return True

        try:
            train_model(self.model, BCE, data=self.train_data, epochs=epochs,
                        print_every=None, progress=False, shuffle=True,
                        seed=self.seed + self.epoch, callback=tick)
        except ArithmeticError as err:
            self.pause()
            self.status.value = f'<span class="tp-error">{err}</span>'
            return
        self.refresh()
        self.train_seconds = time.perf_counter() - start
        if self.epoch > first:
            self.epochs_per_second = (self.epoch - first) / max(self.train_seconds, 1e-9)
        self.show_progress()

    def step(self) -> None:
        """One epoch."""
        self.train(1)

    def start(self) -> None:
        """Train in the background, a few epochs per frame, until paused."""
        self.play.description = "❚❚ pause"
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): one frame, then stop
            self.train(self._frame())
            self.play.value = False
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while self.play.value and self.epoch < self.max_epochs:
            self.train(self._frame())
            await asyncio.sleep(0.02)  # let the kernel handle widget messages (pause)
        self.play.value = False

    def _frame(self) -> int:
        """Epochs for the next frame of play: never past ``max_epochs``."""
        return max(0, min(self.frame_epochs, self.max_epochs - self.epoch))

    def pause(self) -> None:
        if self.play.value:
            self.play.value = False
        self.play.description = "▶ play"

    # -- drawing --------------------------------------------------------------------------
    def _status_text(self, what: str = "") -> str:
        if not self.train_history:
            train, test = self.losses()
        else:
            train, test = self.train_history[-1], self.test_history[-1]
        return (f"epoch <b>{self.epoch}</b> · train loss <b>{fmt(train, 3)}</b> · test loss "
                f"<b>{fmt(test, 3)}</b> · test accuracy "
                f"<b>{100 * self.accuracy(self.test_data):.0f}%</b>"
                + (f" · {what}" if what else ""))

    def refresh(self) -> None:
        """Redraw the heat map, the loss curves and the network."""
        self.status.value = self._status_text()
        self.plots.value = self.figure_png()
        self.network.value = _frame(svg_markup(draw_network(self.model)))

    def figure_png(self) -> bytes:
        """The decision boundary (left) and the loss curves (right) as a PNG."""
        import numpy as np  # heavy, and only needed for the picture
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9.0, 3.6), dpi=80)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        axis = np.linspace(-LIMIT, LIMIT, self.grid)
        gx, gy = np.meshgrid(axis, axis)
        z = grid_values(self.model, gx, gy)
        left.imshow(z, origin="lower", extent=(-LIMIT, LIMIT, -LIMIT, LIMIT), vmin=0, vmax=1,
                    cmap=_colormap(), alpha=0.85, interpolation="bilinear")
        left.contour(gx, gy, z, levels=[0.5], colors="#333333", linewidths=1)
        for data, edge, label in ((self.train_data, "white", "train"),
                                  (self.test_data, "black", "test")):
            xs = np.array([x for x, _ in data])
            ys = np.array([y for _, y in data])
            left.scatter(xs[:, 0], xs[:, 1], c=ys, cmap=_colormap(), vmin=0, vmax=1, s=14,
                         edgecolors=edge, linewidths=0.6, label=label)
        left.set_xlim(-LIMIT, LIMIT)
        left.set_ylim(-LIMIT, LIMIT)
        left.set_title(f"{self.dataset.value}: output of the network", fontsize=10)
        left.legend(loc="lower right", fontsize=7)
        left.set_aspect("equal")
        epochs = range(1, len(self.train_history) + 1)
        if self.train_history:
            right.plot(epochs, self.train_history, label="train", color="#2166ac")
            right.plot(epochs, self.test_history, label="test", color="#e66101")
            right.legend(fontsize=8)
        else:
            right.text(0.5, 0.5, "press play or step", ha="center", va="center",
                       transform=right.transAxes, color="#777777")
        right.set_xlabel("epoch")
        right.set_ylabel("binary cross-entropy")
        right.set_title("loss", fontsize=10)
        top = max(self.train_history + self.test_history, default=1.0)
        right.set_ylim(0, max(0.1, min(top, 2.0)) * 1.05 if math.isfinite(top) else 1.0)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.9, wspace=0.22)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()


def playground(**settings: Any) -> Playground:
    """The training playground; settings as in :data:`DEFAULTS` (``hidden=[4, 4]``, ...).

    Data sets: line, xor, circles, moons, spirals. Buttons: play/pause (trains
    a few epochs per frame), step (one epoch), reset; export and import the
    settings as JSON. ``frame_epochs``, ``max_epochs`` and ``grid`` tune speed.
    """
    return Playground(**settings)
