"""Engines ``compile(engine=...)`` can choose besides the default cache.

An engine is a function ``(model, **options) -> model`` registered by name.
The fast engines live in their own modules, imported only when first asked
for, so ``import treeprop`` stays light:

============  ==========================  =====================================
name          module                      what it does
============  ==========================  =====================================
``cached``    :mod:`treeprop.caching`     the course's forward cache (default)
``compiled``  :mod:`treeprop.fast`        generated straight-line Python
``codegen``   :mod:`treeprop.fast`        another name for ``compiled``
``batched``   :mod:`treeprop.batched`     NumPy, a whole batch of samples at once
============  ==========================  =====================================

A fast engine routes the model's ``predict``, ``forward`` and ``backward`` to
its program (``model._program``); :func:`detach` undoes that, and compiling
with ``engine="cached"`` or :func:`treeprop.decompile` calls it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

ENGINES: dict[str, Callable[..., Any]] = {}

#: engines that register themselves when their module is imported
LAZY = {"compiled": "treeprop.fast", "codegen": "treeprop.fast", "batched": "treeprop.batched"}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: make ``compile(engine=name)`` call the decorated function."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        ENGINES[name] = fn
        return fn

    return wrap


def compile_with(model: Any, engine: str, **options: Any) -> Any:
    if engine not in ENGINES and engine in LAZY:
        importlib.import_module(LAZY[engine])
    if engine not in ENGINES:
        known = ", ".join(sorted({"cached", *ENGINES, *LAZY}))
        raise ValueError(f"unknown engine {engine!r}; known engines: {known}")
    return ENGINES[engine](model, **options)


_ROUTED = ("predict", "forward", "backward", "sync", "engine", "predict_batch")


def detach(model: Any) -> Any:
    """Give ``model`` back its own methods, after syncing the program's parameters."""
    program = model.__dict__.get("_program")
    if program is None:
        return model
    program.write_parameters()
    for name in (*_ROUTED, "_program"):
        model.__dict__.pop(name, None)
    return model
