"""environment.yml (conda) and pyproject.toml (pip) must describe the same environment.

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

#: pyproject names whose conda-forge package is called differently (or is split in two)
CONDA_NAMES = {
    "graphviz": ["python-graphviz"],  # the Python bindings; conda's "graphviz" is the program
    "dask[distributed]": ["dask-core", "distributed"],
    "torch": ["pytorch"],
}
#: conda entries with no pyproject counterpart, and why
CONDA_ONLY = {
    "python": "the interpreter",
    "pip": "installs the pip: section",
    "graphviz": "the dot program, which pip cannot install",
}


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


def split_pin(spec: str, sep: str) -> tuple[str, str | None]:
    name, _, version = spec.partition(sep)
    return normalise(name.strip()), (version.strip() or None)


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def requirements(pyproject):
    project = pyproject["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    pins = {}
    for spec in specs:
        name, version = split_pin(spec, "==")
        assert version, f"{spec} in pyproject.toml is not pinned with =="
        pins[name] = version
    return pins


@pytest.fixture(scope="module")
def env():
    data = read_simple_yaml((ROOT / "environment.yml").read_text())
    conda, pip = {}, {}
    for item in data["dependencies"]:
        if isinstance(item, dict):
            for spec in item["pip"]:
                if spec.startswith("-e"):
                    pip["-e"] = spec
                    continue
                name, version = split_pin(spec, "==")
                pip[name] = version
        else:
            name, version = split_pin(item, "=")
            conda[name] = version
    return data, conda, pip


def test_conda_forge_only(env):
    data, _, _ = env
    assert data["name"] == "treeprop"
    assert data["channels"] == ["conda-forge"]


def differences(requirements: dict, conda: dict, pip: dict) -> list[str]:
    """Every pyproject pin missing from, or pinned differently in, the conda environment."""
    problems = []
    for name, version in requirements.items():
        if name in pip:
            if pip[name] != version:
                problems.append(f"{name}: pip {pip[name]} vs pyproject {version}")
            continue
        for cname in (normalise(n) for n in CONDA_NAMES.get(name, [name])):
            if cname not in conda:
                problems.append(f"{name}: missing from environment.yml (as {cname})")
            elif conda[cname] != version:
                problems.append(f"{name}: conda {cname}={conda[cname]} vs pyproject {version}")
    return problems


def test_every_pyproject_dependency_is_in_environment_yml_at_the_same_version(
        requirements, env):
    _, conda, pip = env
    assert differences(requirements, conda, pip) == []


def test_environment_yml_pins_nothing_pyproject_does_not(requirements, env):
    _, conda, pip = env
    known_conda = {normalise(c) for name in requirements
                   for c in CONDA_NAMES.get(name, [name])}
    for name, version in conda.items():
        if name in CONDA_ONLY:
            continue
        assert name in known_conda, f"conda package {name} is not in pyproject.toml"
        assert version, f"conda package {name} has no version"
    for name in pip:
        assert name == "-e" or name in requirements, f"pip package {name} not in pyproject"
    # nothing is listed twice
    assert not ({n for n in pip} & {normalise(c) for c in conda})


def test_python_version_agrees(pyproject, env):
    _, conda, _ = env
    floor = re.fullmatch(r">=\s*(\d+\.\d+)", pyproject["project"]["requires-python"]).group(1)
    assert conda["python"] == floor


def test_the_environment_installs_treeprop_and_dot(env):
    _, conda, pip = env
    assert pip.get("-e") == "-e ."
    assert "graphviz" in conda and "python-graphviz" in conda


def test_makefile_installs_the_same_torch(requirements):
    makefile = (ROOT / "Makefile").read_text()
    pinned = set(re.findall(r"torch==([\w.+]+)", makefile))
    assert pinned == {requirements["torch"]}


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


def test_mismatch_would_be_caught(requirements, env):
    """The comparison is not vacuous: a changed version or a missing package is reported."""
    _, conda, pip = env
    bumped = dict(conda, numpy="0.0.1")
    assert differences(requirements, bumped, pip) == ["numpy: conda numpy=0.0.1 vs pyproject "
                                                      f"{requirements['numpy']}"]
    no_distributed = {k: v for k, v in conda.items() if k != "distributed"}
    assert differences(requirements, no_distributed, pip) == [
        "dask[distributed]: missing from environment.yml (as distributed)"]
    stale_pip = dict(pip, micrograd="0.0.9")
    assert len(differences(requirements, conda, stale_pip)) == 1
