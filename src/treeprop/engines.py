"""Engines ``compile(engine=...)`` can choose besides the default cache.

An engine is a function ``(model, **options) -> model`` registered by name;
faster engines (straight-line code, batched NumPy) register themselves here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ENGINES: dict[str, Callable[..., Any]] = {}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: make ``compile(engine=name)`` call the decorated function."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        ENGINES[name] = fn
        return fn

    return wrap


def compile_with(model: Any, engine: str, **options: Any) -> Any:
    if engine not in ENGINES:
        known = ", ".join(["cached", *sorted(ENGINES)])
        raise ValueError(f"unknown engine {engine!r}; known engines: {known}")
    return ENGINES[engine](model, **options)
