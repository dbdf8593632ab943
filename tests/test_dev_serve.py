"""`./dev serve`, the embedded default: gunicorn with the job worker beside it, both stopped
together."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what: str, log: Path, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="./dev serve's own database is a fresh SQLite file (the embedded default): once, "
    "in the SQLite run, is enough",
)
def test_dev_serve_runs_jobs_in_a_worker_beside_gunicorn(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "files"),
        "SECRET_KEY": "a-key-for-this-test-only-0123456789-abcdefghij",
        "BIND": f"127.0.0.1:{port}",
        "WORKERS": "1",
        "DEMO_HOUSEHOLDS": "20",
    }
    env.pop("CELERY_BROKER_URL", None)
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        serve = subprocess.Popen(
            ["./dev", "serve"], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        token = wait_for(
            lambda: (
                "Booting worker" in log.read_text()
                and re.search(r"^\s*province\s.*Token (pvk_\S+)", log.read_text(), re.M)
            ),
            "the server",
            log,
        ).group(1)

        def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1{path}",
                data=None if body is None else json.dumps(body).encode(),
                method=method,
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())

        status, job = call("POST", "/jobs/", {"kind": "export_households"})
        assert status == 202 and job["status"] == "queued"
        done = wait_for(
            lambda: call("GET", f"/jobs/{job['id']}/")[1]["status"] == "succeeded",
            "the worker to run the export",
            log,
        )
        assert done
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)  # as a process manager stops it
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    output = log.read_text()
    # The web server and the worker both stopped (the script waits for them).
    assert "Shutting down: Master" in output
    assert "worker stopped after 1 job run(s)" in output
