"""The framework's modules import only downwards, and no import circle remains.

Every module of ``src/treeprop`` has a layer; a module may import from its own
layer or the layers below it, never from one above. The imports are read from
the source with ``ast`` (all of them: module level, inside functions and under
``TYPE_CHECKING``), so the test sees what a reader sees.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "treeprop"

# The layer order, written once: the course's notebooks 01..09, with the walk and
# the registries below them and the fast engines and tools above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("errors", "walk", "clock", "engines")),
    ("01 functions as trees", ("nodes",)),
    ("02 chain rule", ("ops",)),
    ("03 training", ("losses", "datasets", "training")),
    ("04 compile and cache", ("caching",)),
    ("05 macros", ("macros",)),
    ("06 outputs", ("outputs",)),
    ("07 formulas", ("formula",)),
    ("08 many parents", ("graph",)),
    ("09 capstone", ("check", "saving")),
    ("compiled engine", ("fast",)),
    ("batched engine", ("batched",)),
    ("tools", ("viz", "course", "checks", "__init__")),
]
LAYER_OF = {module: k for k, (_, modules) in enumerate(LAYERS) for module in modules}


def module_name(path: Path) -> str:
    """``nodes`` for nodes.py, ``viz`` for every file of the viz package."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_modules(path: Path) -> list[tuple[str, int, bool]]:
    """(treeprop module, line, at module level?) for each import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "treeprop":  # from treeprop import ops, losses
                names = [f"treeprop.{a.name}" for a in node.names]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] != "treeprop":
                continue
            target = parts[1] if len(parts) > 1 else "__init__"
            if target not in LAYER_OF and (PACKAGE / f"{target}.py").exists() is False \
                    and not (PACKAGE / target).is_dir():
                target = "__init__"  # a name from the package, not a module
            found.append((target, node.lineno, id(node) in top))
    return found


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    missing = sorted({module_name(p) for p in sources()} - set(LAYER_OF))
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_from_a_layer_above_it(path):
    here = module_name(path)
    upward = [
        f"{path.relative_to(PACKAGE)}:{line} imports treeprop.{target} "
        f"({LAYERS[LAYER_OF[target]][0]}) from {LAYERS[LAYER_OF[here]][0]}"
        for target, line, _ in imported_modules(path)
        if target != here and target in LAYER_OF and LAYER_OF[target] > LAYER_OF[here]
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    graph: dict[str, set[str]] = {}
    for path in sources():
        if module_name(path) == "viz":  # the package's files are modules of their own
            here = "viz." + str(path.relative_to(PACKAGE / "viz").with_suffix(""))
        else:
            here = module_name(path)
        deps = graph.setdefault(here, set())
        for target, _, _ in imported_modules(path):
            deps.add(target)
        if here.startswith("viz."):  # inside viz, follow its own modules
            text = path.read_text(encoding="utf-8")
            for other in (PACKAGE / "viz").glob("*.py"):
                if f"treeprop.viz.{other.stem} import" in text:
                    deps.add("viz." + other.stem)
            deps.discard("viz")
    cycle = _find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt == "__init__":
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else path + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The test itself can fail: a layer-1 file importing layer 8 is reported."""
    fake = tmp_path / "nodes.py"
    fake.write_text("def f():\n    from treeprop.graph import postorder\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    assert imported_modules(fake) == [("graph", 2, False)]
    with pytest.raises(AssertionError, match="imports treeprop.graph"):
        test_no_module_imports_from_a_layer_above_it(fake)


def test_the_checker_sees_a_circle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def _nodes_tree() -> ast.Module:
    return ast.parse((PACKAGE / "nodes.py").read_text(encoding="utf-8"))


def test_nodes_holds_layer_one_only():
    """nodes.py teaches op and forward; backward, predict and the operators live above."""
    tree = _nodes_tree()
    defined = {f.name for cls in tree.body if isinstance(cls, ast.ClassDef)
               for f in cls.body if isinstance(f, ast.FunctionDef)}
    for later in ("backward", "backward_recursive", "grad", "predict", "find_input_nodes",
                  "__add__", "__mul__", "_child_derivatives",
                  # layer 2 (the chain rule's result, SGD's step size) and layer 4's count
                  "gradient", "learning_rate", "_invalidate_parents"):
        assert later not in defined, f"nodes.py defines {later}, which a later layer teaches"


# What once lived in nodes.py and belongs elsewhere: the change counters
# (treeprop.clock), layer 4's op counting and cache invalidation (treeprop.caching).
NOT_IN_NODES = {"_CLOCK", "_tick", "tick", "now", "_RATE_CHANGES", "_GRAD_WRITES", "VALUES",
                "RATES", "GRAD_WRITES", "count_ops", "STATS", "OpCounter",
                "_invalidate_parents"}
# The attributes layer 1 itself sets on a node; every other piece of per-node state
# (gradient, cache, parents, macro, inputs ...) is declared by the layer that uses it.
LAYER_ONE_STATE = {"children", "name", "_value", "_changed_tick", "learning_rate"}


def test_nodes_defines_no_other_layers_names():
    tree = _nodes_tree()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    found = sorted(names & NOT_IN_NODES)
    assert not found, f"nodes.py defines {found}, which belong to another layer"
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not used & {"STATS", "_invalidate_parents"}, "layer 1 counts or invalidates"


def test_nodes_sets_only_layer_one_state():
    """Every ``self.x = ...`` in nodes.py is layer 1's own (no state of later layers)."""
    tree = _nodes_tree()
    assigned = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            for part in ast.walk(t):
                if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) \
                        and part.value.id == "self":
                    assigned.add(part.attr)
    extra = sorted(assigned - LAYER_ONE_STATE)
    assert not extra, f"nodes.py sets {extra} on nodes: declare them in the layer that uses them"
    classvars = {t.target.id for cls in tree.body if isinstance(cls, ast.ClassDef)
                 for t in cls.body if isinstance(t, ast.AnnAssign)
                 and isinstance(t.target, ast.Name)}
    assert not classvars & {"_grad_stamp", "_grad_index", "_grad_tick", "macro", "inputs"}


def test_moved_names_still_import_from_where_they_were():
    """Old imports keep working: notebook 04 imports count_ops from treeprop.nodes."""
    import treeprop
    from treeprop import caching
    from treeprop.nodes import STATS, OpCounter, _invalidate_parents, count_ops

    assert count_ops is caching.count_ops is treeprop.count_ops
    assert STATS is caching.STATS is treeprop.STATS and OpCounter is caching.OpCounter
    assert _invalidate_parents is caching._invalidate_parents


def test_every_function_local_import_says_why():
    """The few imports left inside functions each carry a comment on their line or above."""
    silent = []
    for path in sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line, top in imported_modules(path):
            if top:
                continue
            here, above = lines[line - 1], lines[line - 2] if line > 1 else ""
            if "#" not in here and not above.strip().startswith("#"):
                silent.append(f"{path.relative_to(PACKAGE)}:{line} (treeprop.{target})")
    assert not silent, "function-local imports without a reason: " + ", ".join(silent)
