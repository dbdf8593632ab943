"""The house plan holds: imports point one way, and no module grows past what one reads.

`core` ← `geo` ← `accounts` ← `households` ← `poverty` ← `support` ← `cases` ←
`reports` ← `integrations` ← `dci` ← `dashboard` (docs/architecture.md). An app may import only from
its own layer and the ones below it; `demo` and `config` sit on top and nothing imports them.
Every import counts, also those inside functions, since a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core",
    "geo",
    "accounts",
    "households",
    "poverty",
    "support",
    "cases",
    "reports",
    "integrations",
    "dci",
    "dashboard",
]
TOP = {"demo": len(LAYERS), "config": len(LAYERS) + 1}
RANK = {app: i for i, app in enumerate(LAYERS)} | TOP
MAX_LINES = 600


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_apps(path: Path, app: str) -> set[tuple[str, int]]:
    """(app, line) for every import of another of our apps in the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue  # relative imports stay inside the app
        for name in names:
            top = name.split(".")[0]
            if top in RANK and top != app:
                found.add((top, node.lineno))
    return found


def _apps() -> list[str]:
    return [app for app in RANK if (ROOT / app).is_dir()]


@pytest.mark.parametrize("app", _apps())
def test_imports_point_one_way(app):
    against = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in _modules(app)
        for other, line in sorted(_imported_apps(path, app))
        if RANK[other] >= RANK[app]
    ]
    assert not against, "imports against the layers:\n" + "\n".join(against)


def test_demo_and_config_sit_on_top():
    """Production code never needs the demo generators, and settings are read through
    django.conf, never by importing config."""
    users = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for app in LAYERS
        if (ROOT / app).is_dir()
        for path in _modules(app)
        for other, line in sorted(_imported_apps(path, app))
        if other in TOP
    ]
    assert users == []


@pytest.mark.parametrize("app", _apps())
def test_no_module_is_longer_than_one_reads(app):
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules(app)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
