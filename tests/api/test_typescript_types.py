"""A second generator: openapi-typescript (npm) turns openapi.yaml into TypeScript types, and a
small integrator's use of them (clients/typescript/check.ts) compiles under `tsc --strict`."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
GENERATED = CLIENT / "schema.d.ts"  # gitignored

pytestmark = pytest.mark.skipif(
    shutil.which("npm") is None,
    reason="npm is not on PATH: the TypeScript types check needs Node.js and npm (CI has them)",
)


def run(what, *args, timeout=300):
    try:
        r = subprocess.run(
            args, cwd=CLIENT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{what} took more than {timeout} s:\n{e.stdout or ''}{e.stderr or ''}")
    if r.returncode:
        pytest.fail(
            f"{what} failed (exit {r.returncode}) in {CLIENT.relative_to(ROOT)}:\n"
            f"$ {' '.join(args)}\n{r.stdout}{r.stderr}",
            pytrace=False,
        )
    return r


def test_openapi_typescript_types_compile():
    # npm ci only when node_modules is missing or older than the lock file: npm writes
    # node_modules/.package-lock.json on every install.
    installed = CLIENT / "node_modules" / ".package-lock.json"
    lock = CLIENT / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        run("npm ci", "npm", "ci", "--no-audit", "--no-fund")

    # npx --no: the pinned local packages, never a download; `--`: the rest is the tool's.
    GENERATED.unlink(missing_ok=True)
    gen = run(
        "openapi-typescript",
        *("npx", "--no", "--", "openapi-typescript", "../../openapi.yaml", "-o", GENERATED.name),
    )
    warnings = [line for line in gen.stderr.splitlines() if "⚠" in line]
    assert not warnings, "openapi-typescript warned about openapi.yaml:\n" + "\n".join(warnings)

    run("tsc", "npx", "--no", "--", "tsc", "--noEmit", "-p", ".")
