"""The layers of DESIGN.md section 5: nothing lower imports anything higher."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "empathy_gym"

# Layer of each top-level part of the package: 1 data, 2 model, 3 environments, 4 wrappers, 5 consumers.
LAYERS = {
    "_text": 1, "_machine": 1, "_progress": 1, "_arguments": 1, "_validation": 1, "_optional": 1, "vocabulary": 1, "data": 1, "profiles": 1,
    "model": 2,
    "envs": 3,
    "wrappers": 4,
    "policies": 5, "evaluation": 5, "cli": 5, "agents": 5, "integrations": 5, "sweep": 5,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "empathy_gym" and len(parts) > 1 else None


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name == "empathy_gym.__init__":
            continue  # the package root re-exports and registers; it sits above every layer
        yield name, path


def test_every_package_part_has_a_layer():
    parts = {_part(name.removesuffix(".__init__")) for name, _ in _modules()}
    assert parts - {None} <= set(LAYERS), parts - set(LAYERS)


@pytest.mark.parametrize("name, path", list(_modules()), ids=lambda value: str(value))
def test_module_imports_only_its_layer_or_lower(name, path):
    own = LAYERS[_part(name)]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
        for target in targets:
            if target == "empathy_gym":
                assert own == 5, f"{name} imports the package root, which only consumers may do"
                continue
            part = _part(target)
            if part is not None:
                assert LAYERS[part] <= own, f"{name} (layer {own}) imports {target} (layer {LAYERS[part]})"
