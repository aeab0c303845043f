"""environment.yml (conda) must build the environment `make lab` builds: the same lock.

environment.yml is read with a small reader for the plain YAML it uses (keys,
lists, one nested ``pip:`` list), so this check needs nothing beyond the
standard library; a test below confirms the reader agrees with PyYAML.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

def read_simple_yaml(text: str) -> dict:
    """Parse the YAML subset environment.yml uses; anything else is an error."""
    data: dict = {}
    key = None
    nested: list | None = None
    nested_indent = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        line = re.sub(r"\s+#.*$", "", raw).rstrip()
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if indent == 0:
            key, sep, value = body.partition(":")
            if not sep:
                raise ValueError(f"line {number}: expected 'key: value', got {raw!r}")
            data[key] = value.strip() if value.strip() else []
            nested = None
        elif body.startswith("- ") and key is not None and isinstance(data[key], list):
            item = body[2:].strip()
            if nested is not None and indent > nested_indent:
                nested.append(item)
            elif item.endswith(":"):
                nested, nested_indent = [], indent
                data[key].append({item[:-1]: nested})
            else:
                nested = None
                data[key].append(item)
        else:
            raise ValueError(f"line {number}: unsupported YAML {raw!r}")
    return data


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def env():
    data = read_simple_yaml((ROOT / "environment.yml").read_text())
    conda, pip = [], []
    for item in data["dependencies"]:
        if isinstance(item, dict):
            pip.extend(item["pip"])
        else:
            conda.append(item)
    return data, conda, pip


def test_conda_forge_only(env):
    data, _, _ = env
    assert data["name"] == "treeprop"
    assert data["channels"] == ["conda-forge"]


def test_conda_brings_only_what_pip_cannot(env):
    """Every Python package comes from the lock; conda adds the interpreter, pip and dot."""
    _, conda, _ = env
    names = [re.split(r"[=<>]", item)[0] for item in conda]
    assert names == ["python", "pip", "graphviz"]


def test_pip_installs_the_student_lock_and_treeprop(env):
    _, _, pip = env
    assert pip == ["-r requirements/lab.lock", "-e ."]
    assert (ROOT / "requirements" / "lab.lock").is_file()


def test_python_version_agrees(pyproject, env):
    _, conda, _ = env
    floor = re.fullmatch(r">=\s*(\d+\.\d+)", pyproject["project"]["requires-python"]).group(1)
    assert f"python={floor}" in conda
    # the locks are resolved for the same Python
    for lock in ("lab.lock", "test.lock", "torch.lock"):
        header = (ROOT / "requirements" / lock).read_text()
        assert "uv pip compile" in header, f"{lock} was not written by `make lock`"


def test_reader_agrees_with_pyyaml():
    import yaml  # always present: jupyter_server needs it (via jupyter_events)

    text = (ROOT / "environment.yml").read_text()
    assert read_simple_yaml(text) == yaml.safe_load(text)


def test_reader_refuses_what_it_does_not_understand():
    with pytest.raises(ValueError, match="unsupported"):
        read_simple_yaml("dependencies:\n  numpy: 1\n")
    with pytest.raises(ValueError, match="expected"):
        read_simple_yaml("just words\n")
    assert read_simple_yaml("a: b  # note\nc:\n  - d\n  - e:\n      - f\n") == {
        "a": "b", "c": ["d", {"e": ["f"]}]}
