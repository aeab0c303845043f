"""Layer 7 — ``funcify``: read a network back as a formula.

A tree *is* a formula; printing it only needs each operation's symbol and its
precedence, so parentheses appear exactly where they change the meaning:
``Multiply(Add(a, b), c)`` prints ``(a + b) * c`` but ``Add(Multiply(a, b), c)``
prints ``a * b + c``. The text form is valid Python (given ``relu``,
``sigmoid``, ... as functions); the LaTeX form is for display in a notebook.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from treeprop.macros import Macro
from treeprop.nodes import Constant, Input, Leaf, NeuralNetNode, Parameter
from treeprop.ops import (
    FLOAT,
    RELU,
    Add,
    Divide,
    Exp,
    Log,
    Multiply,
    Negate,
    Power,
    ReLU,
    Sigmoid,
    Tanh,
    stable_sigmoid,
)
from treeprop.outputs import Output, Softmax, stable_softmax
from treeprop.walk import postorder

ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5

_TEXT_FUNCS = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh", Exp: "exp", Log: "log"}
_LATEX_FUNCS = {ReLU: r"\operatorname{ReLU}", Sigmoid: r"\sigma", Tanh: r"\tanh",
                Log: r"\log"}


@dataclass(frozen=True)
class Formula:
    """A formula in both forms; a notebook shows it typeset."""

    text: str
    latex: str

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"$${self.latex}$$"


def funcify(model: NeuralNetNode, *, latex: bool = False, digits: int | None = 4,
            collapse_macros: bool = False) -> str:
    """The model as a readable formula: ``Add(Parameter(0.1), Parameter(0.2))`` -> ``0.1 + 0.2``.

    Inputs appear by name (``compile()`` names unnamed ones ``x0``, ``x1``, ...),
    parameters and constants by value with ``digits`` significant digits
    (``None`` keeps every digit, so the text evaluates to the model's exact value).
    ``collapse_macros`` writes a macro as one call, ``Linear(x0, x1)``.
    """
    return _Writer(latex, digits, collapse_macros).write(model)


def formula(model: NeuralNetNode, *, digits: int | None = 4,
            collapse_macros: bool = False) -> Formula:
    """Both forms at once, for display: ``formula(model)`` in a notebook cell."""
    return Formula(funcify(model, digits=digits, collapse_macros=collapse_macros),
                   funcify(model, latex=True, digits=digits, collapse_macros=collapse_macros))


class _Writer:
    def __init__(self, latex: bool, digits: int | None, collapse: bool) -> None:
        self.latex, self.digits, self.collapse = latex, digits, collapse

    def write(self, root: NeuralNetNode) -> str:
        unnamed = iter(range(10**9))
        names: dict[int, str] = {}
        done: dict[int, tuple[str, int]] = {}
        for node in postorder(root):
            if isinstance(node, Input) and not node.name:
                names[id(node)] = f"x{next(unnamed)}"
            if self.collapse and isinstance(node, Macro):
                args = [done[id(a)][0] if id(a) in done else self._leaf_or_name(a, names)
                        for a in node.arguments]
                done[id(node)] = (self._call(node.label(), args), ATOM)
                continue
            parts = [done[id(c)] for c in node.children]
            done[id(node)] = self._node(node, parts, names)
        return done[id(root)][0]

    def _leaf_or_name(self, node: NeuralNetNode, names: dict[int, str]) -> str:
        return self._node(node, [], names)[0] if isinstance(node, Leaf) else node.label()

    # -- one node -------------------------------------------------------------
    def _node(self, node: NeuralNetNode, parts: list[tuple[str, int]],
              names: dict[int, str]) -> tuple[str, int]:
        if isinstance(node, Input):
            return self._name(node.name or names[id(node)]), ATOM
        if isinstance(node, (Parameter, Constant)):
            return self._number(node.value)
        if isinstance(node, Macro):
            return parts[0]
        if isinstance(node, (Add, Multiply)) and len(parts) == 1:
            return parts[0]  # a sum or product of one term is just that term
        if isinstance(node, Add):
            return self._sum(parts), ADD
        if isinstance(node, Multiply):
            op = r" \cdot " if self.latex else " * "
            out = [self._wrap(p, MUL) for p in parts]
            return op.join(out), MUL
        if isinstance(node, Divide):
            (a, pa), (b, pb) = parts
            if self.latex:
                return rf"\frac{{{a}}}{{{b}}}", ATOM
            return f"{self._wrap((a, pa), MUL)} / {self._wrap((b, pb), MUL + 1)}", MUL
        if isinstance(node, Negate):
            text, prec = parts[0]
            if prec == MUL and not text.startswith("-"):
                # -(a * b) == -a * b (and -(a / b) == -a / b), so no parentheses needed
                return "-" + text, MUL
            return "-" + self._wrap(parts[0], NEG + 1), NEG
        if isinstance(node, Power):
            k = self._number(node.exponent)[0]
            base = self._wrap(parts[0], POW + 1)
            return (f"{{{base}}}^{{{k}}}" if self.latex else f"{base} ** {k}"), POW
        if isinstance(node, Exp) and self.latex:
            return f"e^{{{parts[0][0]}}}", POW
        if isinstance(node, Softmax):
            return self._call("softmax", [p[0] for p in parts], r"\operatorname{softmax}"), ATOM
        if isinstance(node, Output):
            inner = ", ".join(p[0] for p in parts)
            return (rf"\left[{inner}\right]" if self.latex else f"[{inner}]"), ATOM
        for cls, fname in _TEXT_FUNCS.items():
            if isinstance(node, cls):
                return self._call(fname, [parts[0][0]], _LATEX_FUNCS.get(cls)), ATOM
        name = re.sub(r"\W", "_", type(node).__name__.lower())
        return self._call(name, [p[0] for p in parts]), ATOM

    def _sum(self, parts: list[tuple[str, int]]) -> str:
        out = parts[0][0]
        for text, prec in parts[1:]:
            if text.startswith("-") and prec >= MUL:
                out += " - " + text[1:]  # a + -b reads better as a - b
            else:
                out += " + " + text
        return out

    def _wrap(self, part: tuple[str, int], need: int) -> str:
        text, prec = part
        if prec < need:
            return rf"\left({text}\right)" if self.latex else f"({text})"
        return text

    def _number(self, v: float) -> tuple[str, int]:
        text = repr(float(v)) if self.digits is None else f"{v:.{self.digits}g}"
        if self.latex:
            text = _latex_number(text)
        return text, NEG if v < 0 else ATOM

    def _name(self, name: str) -> str:
        if not self.latex:
            return name
        m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
        if m:
            return f"{m.group(1)}_{{{m.group(2)}}}"
        if len(name) == 1:
            return name
        return r"\mathrm{" + name.replace("_", r"\_") + "}"

    def _call(self, name: str, args: list[str], latex_name: str | None = None) -> str:
        inner = ", ".join(args)
        if self.latex:
            fname = latex_name or r"\operatorname{" + name.replace("_", r"\_") + "}"
            return rf"{fname}\left({inner}\right)"
        return f"{name}({inner})"


def _latex_number(text: str) -> str:
    m = re.fullmatch(r"(-?[\d.]+)e([+-]?)0*(\d+)", text)
    if m:
        sign = "-" if m.group(2) == "-" else ""
        return rf"{m.group(1)} \times 10^{{{sign}{m.group(3)}}}"
    return text


def evaluate_formula(text: str, values: dict[str, float]) -> Any:
    """Evaluate a text formula from :func:`funcify` (for checking it reads right)."""
    env = {"relu": lambda v: RELU.forward(FLOAT, [v], None), "sigmoid": stable_sigmoid,
           "tanh": math.tanh, "exp": math.exp, "log": math.log,
           "softmax": lambda *v: stable_softmax(v)}
    env.update(values)
    return eval(text, {"__builtins__": {}}, env)  # noqa: S307 - our own formula text
