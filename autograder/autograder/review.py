"""Review findings the harness adds: the answer key and the grader's channel.

**The answer key.** treeprop itself is installed in the student's environment (the demos
fall back to it), so an exercise could be "solved" by delegating to treeprop's own version
of it: importing it, subclassing it, wrapping it, or calling the instructor's fallback.
:func:`answer_key_findings` reads the student's own code cells (those that differ from the
master) and finds, per exercise, any use of treeprop's implementation of a name that the
exercise's solution cell defines (``Multiply`` in the Multiply exercise), or of a reference
attribute the master names in the solution cell's metadata
(``{"treeprop": {"reference": ["backward_recursive"]}}``). The exercise's tests then score 0
and are flagged for a human. Using treeprop for *other* things (the base class
``Operation``, an earlier notebook's ``Multiply``) is allowed.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import lru_cache

DYNAMIC = ("__import__", "import_module", "modules", "reload", "exec", "eval")


@lru_cache(maxsize=1)
def treeprop_exports() -> frozenset[str]:
    """Every public name defined in any treeprop module (the installed answer key)."""
    try:
        import treeprop
    except ImportError:  # pragma: no cover - the course needs treeprop
        return frozenset()
    names = set(dir(treeprop))
    for info in pkgutil.iter_modules(treeprop.__path__, "treeprop."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - an optional extra (viz without graphviz)
            continue
        names |= {n for n in dir(module) if not n.startswith("_")}
    return frozenset(names)


def defined_names(source: str, *, imports: bool = False) -> set[str]:
    """Names a cell binds at its top level (defs, classes, assignments; imports if asked)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif imports and isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return out


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def exercises(master) -> list[dict]:
    """Per solution code cell: its names, its reference attributes and its test cells."""
    found: list[dict] = []
    current = None
    for cell in master.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            extra = cell.get("metadata", {}).get("treeprop", {}).get("reference", [])
            current = {"grade_id": meta.get("grade_id"), "names": defined_names(cell.source),
                       "attrs": {str(a) for a in extra}, "tests": []}
            found.append(current)
        elif cell.cell_type == "code" and meta.get("grade") and not meta.get("solution") \
                and current is not None:
            current["tests"].append(meta.get("grade_id"))
    return found


def _treeprop_bound(tree: ast.AST, known: set[str]) -> dict[str, str]:
    """Names bound to treeprop modules or objects in ``tree`` -> what they are."""
    bound = {name: "treeprop" for name in known}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "treeprop":
                    bound[(alias.asname or alias.name).split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == \
                "treeprop":
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _uses(tree: ast.AST, bound: dict[str, str], names: set[str], attrs: set[str]) -> set[str]:
    """What in ``tree`` reaches treeprop's own version of ``names`` / ``attrs``."""
    hits: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == \
                "treeprop":
            hits |= {f"from {node.module} import {a.name}" for a in node.names
                     if a.name in names or a.name == "*"}
        elif isinstance(node, ast.Attribute):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if node.attr in attrs:
                hits.add(f".{node.attr}")
            if isinstance(root, ast.Name) and root.id in bound and node.attr in names:
                hits.add(f"{root.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "yours_or_reference":
                hits.add("yours_or_reference(...)")
            if node.func.id == "getattr" and len(node.args) >= 2 and \
                    isinstance(node.args[0], ast.Name) and node.args[0].id in bound and \
                    isinstance(node.args[1], ast.Constant) and node.args[1].value in names:
                hits.add(f"getattr({node.args[0].id}, {node.args[1].value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                "treeprop" in node.value:
            if any(isinstance(n, (ast.Name, ast.Attribute)) and
                   (getattr(n, "id", None) or getattr(n, "attr", None)) in DYNAMIC
                   for n in ast.walk(tree)):
                hits.add(f"a dynamic import of {node.value!r}")
    return hits


def answer_key_findings(nb, master) -> list[tuple[list[str], str]]:
    """(test grade ids to zero, message) for each exercise that delegates to treeprop."""
    instructor = {c.source.strip() for c in master.cells}
    known: set[str] = set()
    for cell in master.cells:  # names the instructor bound to treeprop (``reference``)
        if cell.cell_type == "code":
            try:
                known |= {n for n, what in _treeprop_bound(ast.parse(cell.source),
                                                            set()).items()
                          if what.count(".") <= 1}
            except SyntaxError:
                continue
    exports = treeprop_exports()
    findings = []
    for exercise in exercises(master):
        names = {n for n in exercise["names"] if n in exports}
        attrs = exercise["attrs"]
        if not (names or attrs) or not exercise["tests"]:
            continue
        hits: set[str] = set()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell.source.strip() in instructor:
                continue
            meta = _meta(cell)
            if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            hits |= {f"cell {index}: {h}" for h in
                     _uses(tree, _treeprop_bound(tree, known), names, attrs)}
        if hits:
            what = ", ".join(sorted(names | attrs))
            findings.append((list(exercise["tests"]),
                             f"exercise {exercise['grade_id']} delegates to treeprop's own "
                             f"{what} (the answer key: {'; '.join(sorted(hits))}); its "
                             "tests score 0"))
    return findings


def channel_findings(nb, master) -> list[str]:
    """Student cells that touch the grader's kernel-side channel (``_treeprop_*``)."""
    instructor = {c.source.strip() for c in master.cells}
    return [f"cell {index}: touches the grader's channel (_treeprop_...)"
            for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.strip() not in instructor
            and "_treeprop" in cell.source]
