"""save/load (treeprop.saving): faithful round trips, and hostile files refused."""

from __future__ import annotations

import copy
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import dags, trees

from treeprop import (
    CCE,
    MLP,
    Add,
    Input,
    Linear,
    Multiply,
    Parameter,
    Power,
    ReLU,
    Sigmoid,
    load,
    parameters,
    postorder,
    save,
    seed,
    train_model,
)
from treeprop.graph import parents_map
from treeprop.saving import ModelFileError, from_dict, to_dict


def shape(model):
    """The graph's structure as child indices in postorder: equal shapes, equal graphs."""
    order = postorder(model)
    index = {id(n): i for i, n in enumerate(order)}
    return [(type(n).__name__, [index[id(c)] for c in n.children]) for n in order]


def roundtrip(model):
    return from_dict(json.loads(json.dumps(to_dict(model))))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees | dags)
def test_roundtrip_preserves_structure_values_and_sharing(built):
    loaded = roundtrip(built.root)
    assert shape(loaded) == shape(built.root)
    assert loaded.forward() == built.root.forward()
    # a shared node is still one node with several parents
    before = sorted(len(v) for v in parents_map(built.root).values())
    after = sorted(len(v) for v in parents_map(loaded).values())
    assert before == after
    # and the loaded model is independent of the original
    originals = {id(n) for n in postorder(built.root)}
    assert not any(id(n) in originals for n in postorder(loaded))


def test_file_roundtrip_keeps_predictions_names_and_settings(tmp_path):
    x = Input(name="celsius")
    w = Parameter(1.8, learning_rate=0.05, name="w")
    model = Add(Multiply(w, x), Power(Parameter(2.0), exponent=-0.5)).compile()
    path = tmp_path / "model.json"
    save(model, path)
    loaded = load(path)
    assert loaded.predict([20.0]) == model.predict([20.0])
    lw = loaded.find_input_nodes()[0]
    assert lw.name == "celsius"
    p = [n for n in parameters(loaded) if n.name == "w"][0]
    assert (p.value, p.learning_rate) == (1.8, 0.05)
    assert [n for n in postorder(loaded) if isinstance(n, Power)][0].exponent == -0.5


def test_trained_mlp_roundtrip_keeps_the_macros(tmp_path):
    seed(2)
    net = MLP([2, 4, 3], output="softmax", learning_rate=0.05).compile()
    data = [([0.1 * i, -0.2 * i], i % 3) for i in range(9)]
    train_model(net, CCE, data, epochs=3, print_every=None, progress=False)
    save(net, tmp_path / "net.json")
    loaded = load(tmp_path / "net.json")
    assert isinstance(loaded, MLP)
    assert loaded.sizes == [2, 4, 3] and loaded.activation is ReLU
    assert loaded.output == "softmax"
    assert [a.name for a in loaded.arguments] == ["x0", "x1"]
    assert len(loaded.parameters()) == len(net.parameters())
    assert all(n.macro is loaded for n in loaded.members())
    for x, _ in data:
        assert loaded.predict(x) == net.predict(x)
    # the loaded model keeps training like the original
    loaded.compile()
    a = train_model(net, CCE, data, epochs=2, print_every=None, progress=False)
    b = train_model(loaded, CCE, data, epochs=2, print_every=None, progress=False)
    assert a == b


def test_linear_roundtrip():
    xs = [Input(0.5), Input(-1.0)]
    layer = Linear(xs, 3)
    loaded = roundtrip(Add(Sigmoid(layer[0]), layer[2]))
    assert loaded.forward() == Add(Sigmoid(layer[0]), layer[2]).forward()


# -- hostile and malformed files -----------------------------------------------------------


def good():
    return to_dict(Add(Multiply(Parameter(0.5), Input(name="x")), Parameter(1.0)))


def test_not_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("import os; os.system('echo hi')")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError):
        load(path)
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError):
        load(path)


@pytest.mark.parametrize("data", [[], "model", 3, {"format": "pickle"}, {"nodes": []}])
def test_wrong_format(data):
    with pytest.raises(ModelFileError, match="not a treeprop model"):
        from_dict(data)


def test_wrong_version_and_empty():
    data = good()
    data["version"] = 99
    with pytest.raises(ModelFileError, match="version 99"):
        from_dict(data)
    data = good()
    data["nodes"] = []
    with pytest.raises(ModelFileError, match="no nodes"):
        from_dict(data)


@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "subprocess.Popen",
                                  "antigravity.Fly", "treeprop.nodes._check_finite", None, 3])
def test_unknown_types_are_refused_and_nothing_is_imported(kind):
    data = good()
    data["nodes"][0]["type"] = kind
    with pytest.raises(ModelFileError, match="unknown type"):
        from_dict(data)
    assert "antigravity" not in sys.modules


@pytest.mark.parametrize("children", [[3], [1], [-1], [99], ["0"], [True], "01", [0.0]])
def test_child_index_must_point_backwards(children):
    data = good()
    data["nodes"][1]["children"] = children  # node 1 is the Input x
    with pytest.raises(ModelFileError, match="bad children"):
        from_dict(data)


def test_wrong_number_of_children_is_refused():
    data = good()
    data["nodes"][1]["children"] = [0]  # an Input with a child
    with pytest.raises(ModelFileError, match="Input.* has 1 children"):
        from_dict(data)
    relu = to_dict(ReLU(Input(1.0)))
    relu["nodes"].append({"type": "treeprop.ops.ReLU", "children": [0, 1]})
    relu["root"] = 2
    with pytest.raises(ModelFileError, match="ReLU.* takes 1"):
        from_dict(relu)
    add = good()
    add["nodes"][-1]["children"] = []
    with pytest.raises(ModelFileError, match="one or more"):
        from_dict(add)


@pytest.mark.parametrize("field", ["__class__", "__dict__", "__init__", "children", "_parents",
                                   "forward", "op", "label", "value", "backward"])
def test_forbidden_fields(field):
    data = good()
    data["nodes"][0].setdefault("fields", {})[field] = {"class": "treeprop.ops.Add"}
    with pytest.raises(ModelFileError, match="forbidden field"):
        from_dict(data)


def test_nan_and_infinity_are_refused(tmp_path):
    text = json.dumps(good())
    path = tmp_path / "m.json"
    for bad in ("NaN", "Infinity", "-Infinity"):
        path.write_text(text.replace('"value": 0.5', f'"value": {bad}', 1))
        assert bad in path.read_text()
        with pytest.raises(ModelFileError, match="finite"):
            load(path)
    data = good()
    data["nodes"][0]["value"] = float("nan")
    with pytest.raises(ModelFileError, match="bad value"):
        from_dict(data)
    data = good()
    data["nodes"][0]["fields"]["learning_rate"] = float("nan")
    with pytest.raises(ModelFileError):
        from_dict(data)


@pytest.mark.parametrize("value", ["0.5", None, True, [0.5], {"node": 0}])
def test_values_must_be_numbers(value):
    data = good()
    data["nodes"][0]["value"] = value
    with pytest.raises(ModelFileError, match="bad value"):
        from_dict(data)


@pytest.mark.parametrize("rate", ["fast", None, True, [0.1], float("inf")])
def test_learning_rate_must_be_a_finite_number(rate):
    data = good()
    data["nodes"][0]["fields"]["learning_rate"] = rate
    with pytest.raises(ModelFileError):
        from_dict(data)
    del data["nodes"][0]["fields"]["learning_rate"]
    with pytest.raises(ModelFileError, match="learning_rate"):
        from_dict(data)


def test_power_exponent_must_be_a_number():
    data = to_dict(Power(Input(2.0), exponent=3))
    data["nodes"][-1]["fields"]["exponent"] = "3"
    with pytest.raises(ModelFileError, match="exponent"):
        from_dict(data)


def test_names_must_be_text():
    data = good()
    data["nodes"][1]["fields"]["name"] = {"class": "treeprop.ops.Add"}
    with pytest.raises(ModelFileError, match="name"):
        from_dict(data)


@pytest.mark.parametrize("ref", [{"node": 5}, {"nodes": [0, 9]}, {"class": "os.system"},
                                 {"eval": "1+1"}])
def test_bad_references_in_fields(ref):
    data = good()
    data["nodes"][-1].setdefault("fields", {})["extra"] = ref
    with pytest.raises(ModelFileError):
        from_dict(data)


@pytest.mark.parametrize("root", [None, -1, 7, "3", True])
def test_bad_root(root):
    data = good()
    data["root"] = root
    with pytest.raises(ModelFileError, match="root"):
        from_dict(data)


def test_a_good_file_still_loads_after_all_that():
    data = good()
    pristine = copy.deepcopy(data)
    model = from_dict(data)
    assert data == pristine
    assert model.predict([2.0]) == 0.5 * 2.0 + 1.0
