"""The rules modules are pure: no Django, no database (docs/architecture.md, "Inside an app")."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ["poverty/rules.py", "poverty/timeline.py", "poverty/workflow.py", "support/rules.py"]


@pytest.mark.parametrize("module", PURE)
def test_rules_import_only_the_standard_library_and_each_other(module):
    tree = ast.parse((ROOT / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    pure_modules = {m.removesuffix(".py").replace("/", ".") for m in PURE}
    stdlib = {name for name in imported if name.split(".")[0] in sys.stdlib_module_names}
    assert imported - stdlib - {"__future__"} <= pure_modules, imported
