"""The engines ``compile(engine=...)`` chooses from, registered by name.

An engine is a function ``(model, **options) -> model``. Each engine's module
registers itself here with :func:`register`, so ``compile()`` (layer 1) never
imports the layers that implement it. The fast engines are imported only when
first asked for, so ``import treeprop`` stays light:

============  ==========================  =====================================
name          module                      what it does
============  ==========================  =====================================
``cached``    :mod:`treeprop.caching`     the course's forward cache (default)
``compiled``  :mod:`treeprop.fast`        generated straight-line Python
``codegen``   :mod:`treeprop.fast`        another name for ``compiled``
``batched``   :mod:`treeprop.batched`     NumPy, a whole batch of samples at once
============  ==========================  =====================================

A fast engine routes the model's methods named in :data:`ROUTED` to its
program (``model._program``); :func:`detach` undoes that, and compiling with
``engine="cached"`` or :func:`treeprop.decompile` calls it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

ENGINES: dict[str, Callable[..., Any]] = {}

#: where each engine lives; its module registers it when first imported
LAZY = {"cached": "treeprop.caching", "compiled": "treeprop.fast", "codegen": "treeprop.fast",
        "batched": "treeprop.batched"}

#: the model attributes a fast engine replaces with its program's (the one list)
ROUTED = ("predict", "forward", "backward", "sync", "engine", "predict_batch")


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: make ``compile(engine=name)`` call the decorated function."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        ENGINES[name] = fn
        return fn

    return wrap


def compile_with(model: Any, engine: str, **options: Any) -> Any:
    """Compile ``model`` with the engine registered as ``engine``."""
    if engine not in ENGINES and engine in LAZY:
        importlib.import_module(LAZY[engine])  # the module registers the engine
    if engine not in ENGINES:
        known = ", ".join(sorted({*ENGINES, *LAZY}))
        raise ValueError(f"unknown engine {engine!r}; known engines: {known}")
    return ENGINES[engine](model, **options)


def attach(model: Any, program: Any) -> Any:
    """Route the model's :data:`ROUTED` methods to ``program`` (undone by :func:`detach`)."""
    detach(model)
    model._program = program
    for name in ROUTED:
        target = "write_parameters" if name == "sync" else name
        if hasattr(program, target):
            setattr(model, name, getattr(program, target))
    return model


def detach(model: Any) -> Any:
    """Give ``model`` back its own methods, after syncing the program's parameters."""
    program = model.__dict__.get("_program")
    if program is None:
        return model
    program.write_parameters()
    getattr(program, "release", lambda: None)()
    for name in (*ROUTED, "_program"):
        model.__dict__.pop(name, None)
    return model
