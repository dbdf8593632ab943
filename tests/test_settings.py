"""The production server refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def import_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Load the production entry point (config.wsgi) in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wsgi_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = import_wsgi(env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    env["SECRET_KEY"] = "a-real-key-for-this-test-only-0123456789"
    ok = import_wsgi(env)
    assert ok.returncode == 0, ok.stderr
