"""Layer 9 — save a trained model to JSON and load it back.

The file lists the nodes children-first, each with its class, its settings
and its children as indices, so shared nodes stay shared. Loading only builds
classes that are already defined (treeprop's own and any subclass the program
has imported): a file cannot make Python import or run anything.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from treeprop.engines import ROUTED
from treeprop.errors import TreepropError
from treeprop.macros import Macro, tag_members
from treeprop.nodes import Leaf, NeuralNetNode, Parameter
from treeprop.ops import Power
from treeprop.walk import postorder

FORMAT = "treeprop-model"
VERSION = 1
_SKIP = {"children", "gradient", "_gradient", "_grad_seq", "_grad_index", "_grad_tick",
         "_grad_stamp", "macro", "_cached", "_valid", "_value",
         "_parents", "_changed_tick", "inputs", "_topo", "_grad_root", "_direct_writer",
         # a fast engine's program and the methods it routes (treeprop.engines)
         "_program", *ROUTED}


class ModelFileError(TreepropError, ValueError):
    """The file is not a treeprop model this version can read."""


def _classes() -> dict[str, type]:
    found: dict[str, type] = {}
    stack = [NeuralNetNode]
    while stack:
        cls = stack.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        stack.extend(cls.__subclasses__())
    return found


def to_dict(model: NeuralNetNode) -> dict[str, Any]:
    """The model as plain JSON-ready data."""
    order = postorder(model)
    index = {id(n): i for i, n in enumerate(order)}
    nodes = []
    for node in order:
        cls = type(node)
        entry: dict[str, Any] = {"type": f"{cls.__module__}.{cls.__qualname__}",
                                 "children": [index[id(c)] for c in node.children]}
        if isinstance(node, Leaf):
            entry["value"] = node.value
        for key, v in vars(node).items():
            if key in _SKIP:
                continue
            entry.setdefault("fields", {})[key] = _encode(v, index)
        nodes.append(entry)
    return {"format": FORMAT, "version": VERSION, "root": index[id(model)], "nodes": nodes}


def _encode(v: Any, index: dict[int, int]) -> Any:
    if isinstance(v, NeuralNetNode):
        return {"node": index.get(id(v))}
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, NeuralNetNode) for x in v):
        return {"nodes": [index.get(id(x)) for x in v]}
    if isinstance(v, type):
        return {"class": f"{v.__module__}.{v.__qualname__}"}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str)) for x in v):
        return list(v)
    raise TypeError(f"cannot save a field of type {type(v).__name__}")


def from_dict(data: Any) -> NeuralNetNode:
    """Rebuild a model from :func:`to_dict` data, checking everything.

    Four steps, each refusing what it cannot trust: the header, the nodes in
    file order (each from earlier ones only, so no cycle can be built), the
    root, and the macros' record of the nodes they made.
    """
    entries = _check_header(data)
    built = _build_nodes(entries, _classes())
    root = _check_root(data.get("root"), len(built))
    _tag_macros(built)
    return built[root]


def _check_header(data: Any) -> list[Any]:
    """The file's node list, once its format and version are right."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError("this is not a treeprop model file")
    if data.get("version") != VERSION:
        raise ModelFileError(f"model file version {data.get('version')!r}; this treeprop "
                             f"reads version {VERSION}")
    entries = data.get("nodes")
    if not isinstance(entries, list) or not entries:
        raise ModelFileError("the model file lists no nodes")
    return entries


def _build_nodes(entries: list[Any], classes: dict[str, type]) -> list[NeuralNetNode]:
    """Every node of the file, in its order: node ``i`` may use nodes before it only."""
    built: list[NeuralNetNode] = []
    for i, entry in enumerate(entries):
        built.append(_build_node(i, entry, built, classes))
    return built


def _check_root(root: Any, count: int) -> int:
    """The root's index, if it names one of the ``count`` nodes."""
    if not _is_index(root) or not 0 <= root < count:
        raise ModelFileError(f"bad root index {root!r}")
    return root  # type: ignore[no-any-return]


def _tag_macros(built: list[NeuralNetNode]) -> None:
    """Each macro records itself in the nodes it made (the file does not say)."""
    for node in built:
        if isinstance(node, Macro):
            tag_members(node)


def _is_index(k: Any) -> bool:
    return isinstance(k, int) and not isinstance(k, bool)


def _build_node(i: int, entry: Any, built: list[NeuralNetNode],
                classes: dict[str, type]) -> NeuralNetNode:
    """Node ``i`` from its entry: a known class, earlier children, checked fields."""
    if not isinstance(entry, dict):
        raise ModelFileError(f"node {i} is not an object")
    cls = classes.get(entry.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ModelFileError(f"node {i} has unknown type {entry.get('type')!r}")
    kids = _check_children(i, cls, entry.get("children", []))
    node = cls.__new__(cls)
    node.name = None
    NeuralNetNode.__init__(node, children=[built[k] for k in kids])
    if issubclass(cls, Leaf):
        _set_leaf_value(i, node, entry.get("value"))
    _set_fields(i, node, cls, entry.get("fields", {}), built, classes)
    _check_settings(node, i)
    return node


def _check_children(i: int, cls: type, kids: Any) -> list[int]:
    """Children as indices of earlier nodes, as many as the class takes."""
    if not isinstance(kids, list) or any(not _is_index(k) or not 0 <= k < i for k in kids):
        raise ModelFileError(f"node {i} has bad children {kids!r}: each must be an "
                             "earlier node's index")
    want = 0 if issubclass(cls, Leaf) else getattr(cls, "arity", None)
    if (want is None and not kids) or (want is not None and len(kids) != want):
        raise ModelFileError(f"node {i} ({cls.__name__}) has {len(kids)} children, "
                             f"but takes {'one or more' if want is None else want}")
    return kids


def _set_leaf_value(i: int, node: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise ModelFileError(f"node {i} has a bad value {value!r}")
    node._value, node._changed_tick = float(value), 0  # tick 0: older than any change


def _set_fields(i: int, node: Any, cls: type, fields: Any, built: list[NeuralNetNode],
                classes: dict[str, type]) -> None:
    if not isinstance(fields, dict):
        raise ModelFileError(f"node {i} has bad fields")
    for key, v in fields.items():
        # a field may not replace a method or property (forward, op, value, ...)
        if not isinstance(key, str) or key.startswith("__") or key in _SKIP \
                or (hasattr(cls, key) and not _is_setting(cls, key)):
            raise ModelFileError(f"node {i} has a forbidden field {key!r}")
        setattr(node, key, _decode(v, built, classes, i))


def _is_setting(cls: type, key: str) -> bool:
    """A Parameter's learning rate: a property, but a plain number in the file.

    (The setter only stores it and tells the compiled engine; _check_settings
    then insists on a finite number.)
    """
    return key == "learning_rate" and issubclass(cls, Parameter)


def _check_settings(node: NeuralNetNode, i: int) -> None:
    """The settings that change what a node computes must be sound numbers."""
    name = getattr(node, "name", None)
    if name is not None and not isinstance(name, str):
        raise ModelFileError(f"node {i} has a name that is not text: {name!r}")
    wanted = {Parameter: "learning_rate", Power: "exponent"}
    for cls, key in wanted.items():
        if isinstance(node, cls):
            v = getattr(node, key, None)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ModelFileError(f"node {i} ({cls.__name__}) has a bad {key} {v!r}")
            setattr(node, key, float(v))


def _decode(v: Any, built: list[NeuralNetNode], classes: dict[str, type], i: int) -> Any:
    """A field's value from the file: a number, text, a list, or a reference."""
    if isinstance(v, float) and not math.isfinite(v):
        raise ModelFileError(f"node {i} has a field that is not a finite number: {v!r}")
    if isinstance(v, list):
        return [_decode(x, built, classes, i) for x in v]
    if isinstance(v, dict):
        return _decode_reference(v, built, classes, i)
    return v


def _decode_reference(v: dict[str, Any], built: list[NeuralNetNode],
                      classes: dict[str, type], i: int) -> Any:
    """``{"node": k}``, ``{"nodes": [...]}`` (earlier nodes) or ``{"class": name}`` (known)."""
    if "node" in v:
        return _ref(v["node"], built, i)
    if "nodes" in v and isinstance(v["nodes"], list):
        return [_ref(k, built, i) for k in v["nodes"]]
    if "class" in v and v["class"] in classes:
        return classes[v["class"]]
    raise ModelFileError(f"node {i} has a field it cannot read: {v!r}")


def _ref(k: Any, built: list[NeuralNetNode], i: int) -> NeuralNetNode:
    if not _is_index(k) or not 0 <= k < len(built):
        raise ModelFileError(f"node {i} refers to node {k!r}, which is not before it")
    return built[k]


def save(model: NeuralNetNode, path: str | Path) -> None:
    """Write the model (structure and every value) to a JSON file."""
    Path(path).write_text(json.dumps(to_dict(model), indent=1))


def load(path: str | Path) -> NeuralNetNode:
    """Read a model written by :func:`save`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:  # bad JSON, bad UTF-8, absurd nesting
        raise ModelFileError(f"{path} is not valid JSON: {err}") from None
    return from_dict(data)


def _no_constant(name: str) -> Any:
    raise ModelFileError(f"the model file contains {name}, which is not a finite number")
