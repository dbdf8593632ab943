"""The rules modules are pure: no Django, no database (docs/architecture.md, "Inside an app")."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = [
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "poverty/rules").glob("*.py")),
    "poverty/timeline.py",
    "poverty/workflow.py",
    "support/rules.py",
]


def _name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


@pytest.mark.parametrize("module", PURE)
def test_rules_import_only_the_standard_library_and_each_other(module):
    tree = ast.parse((ROOT / module).read_text())
    # A relative import names a module of the package: `from .codes import ...` in
    # poverty/rules/params.py imports poverty.rules.codes.
    package = _name(module) if module.endswith("__init__.py") else _name(module).rpartition(".")[0]
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0]
            imported.add(f"{base}.{node.module}" if node.module else base)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    pure_modules = {_name(m) for m in PURE}
    stdlib = {name for name in imported if name.split(".")[0] in sys.stdlib_module_names}
    assert imported - stdlib - {"__future__"} <= pure_modules, imported
