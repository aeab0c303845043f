"""See the tree think: drawings, interactive explorers and a training playground.

``draw(model)`` draws a tree with graphviz (a text tree when ``dot`` is
missing: ``text_tree(model)``); in Jupyter a wide drawing fits the output's
width and a click shows it at full size. The widgets need ipywidgets and run in
JupyterLab: ``explore(model)`` (sliders for inputs and parameters),
``step_through(model, inputs, target)`` (the backward pass one node at a time)
and ``playground()`` (train a small network on a 2-D data set).
"""

from __future__ import annotations

from typing import Any

from treeprop.viz.draw import TreeDrawing, draw
from treeprop.viz.model import describe
from treeprop.viz.text import text_tree

__all__ = ["TreeDrawing", "describe", "draw", "draw_network", "explore", "playground",
           "step_through", "text_tree"]

_LAZY = {
    "explore": "treeprop.viz.widgets",
    "step_through": "treeprop.viz.widgets",
    "playground": "treeprop.viz.playground",
    "draw_network": "treeprop.viz.network",
}


def __getattr__(name: str) -> Any:
    # The widgets import ipywidgets (and matplotlib); load them only when used.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        # importing a submodule binds its name here (treeprop.viz.playground is
        # also a module); the function wins
        globals()[name] = value
        return value
    raise AttributeError(f"module 'treeprop.viz' has no attribute {name!r}")
