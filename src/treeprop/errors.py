"""The errors treeprop raises, so callers can catch exactly what went wrong.

Every error is a subclass of :class:`TreepropError` *and* of the built-in
exception a Python programmer would expect (``ValueError`` for a wrong count,
``RecursionError`` for a tree that is too deep), so both kinds of ``except``
clause work.
"""

from __future__ import annotations


class TreepropError(Exception):
    """Base class of every error raised by treeprop."""


class InputCountError(TreepropError, ValueError):
    """``predict`` got a different number of values than the model has inputs."""


class NonFiniteError(TreepropError, ArithmeticError):
    """A value became NaN or infinite, which would silently poison training."""


class TreeTooDeepError(TreepropError, RecursionError):
    """The teaching recursion would pass Python's recursion limit."""


class CycleError(TreepropError, ValueError):
    """The graph has a cycle, so it is not a function of its inputs."""


class ArityError(TreepropError, ValueError):
    """An operation got the wrong number of children."""
