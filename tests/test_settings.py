"""The production server refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

from dci.signatures import create_signing_key

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


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_COOKIES")}
    return {**env, "SECRET_KEY": "k3y-for-this-test-only-" + "x7Qp2" * 8, **extra}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_checks_are_clean_in_production_over_https(tmp_path):
    key = tmp_path / "dci_signing_key.pem"
    create_signing_key(key)  # DCI answers signed (without a key: dci.W001)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(HTTPS="1", DCI_SIGNING_KEY_FILE=str(key)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


TRANSPORT = """
import django
django.setup()
from django.test import Client
plain = Client().get("/api/docs/", HTTP_X_FORWARDED_PROTO="https")
secure = Client().get("/api/docs/", secure=True)
print(plain.status_code, plain.get("Location"))
print(secure.status_code, secure.get("Strict-Transport-Security"))
"""


def test_https_redirects_plain_requests_and_sends_hsts():
    env = production_env(HTTPS="1", DATABASE_URL="sqlite:///:memory:", ALLOWED_HOSTS="testserver")
    result = run_python(TRANSPORT, env)
    assert result.returncode == 0, result.stderr
    plain, secure = result.stdout.splitlines()[-2:]
    # A client's own X-Forwarded-Proto is not trusted with no proxy in front.
    assert plain == "301 https://testserver/api/docs/"
    assert secure == "200 max-age=31536000; includeSubDomains; preload"
    # Behind a TLS proxy (PROXY_COUNT=1) the proxy's X-Forwarded-Proto says it was HTTPS.
    result = run_python(TRANSPORT, {**env, "PROXY_COUNT": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].startswith("200 ")


SHOW_SETTINGS = """
import django
django.setup()
from django.conf import settings as s
print(s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME,
      s.API_TOKEN_LIFETIME_DAYS, s.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1])
"""


def test_limits_come_from_the_environment():
    env = production_env(
        API_THROTTLE_RATE="20/second",
        API_ANON_THROTTLE_RATE="",
        LOGIN_FAILURE_LIMIT="4",
        LOGIN_LOCKOUT_MINUTES="90",
        API_TOKEN_LIFETIME_DAYS="30",
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    result = run_python(SHOW_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "{'client': '20/second', 'anon': None} 4 1:30:00 30 RedisCache"
    )
    bad = run_python(SHOW_SETTINGS, {**env, "API_THROTTLE_RATE": "lots"})
    assert bad.returncode != 0 and "API_THROTTLE_RATE='lots'" in bad.stderr


SHOW_POSTING = """
import django
django.setup()
from django.conf import settings as s
print(s.POVERTY_POSTING_MIN_WORKING_DAYS, [d.isoformat() for d in s.POVERTY_PUBLIC_HOLIDAYS])
"""


def test_the_posting_period_comes_from_the_environment():
    env = production_env()
    env.pop("POVERTY_POSTING_MIN_WORKING_DAYS", None)
    env.pop("POVERTY_PUBLIC_HOLIDAYS", None)
    result = run_python(SHOW_POSTING, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 []"  # Decision 24/2021/QĐ-TTg, art. 4 (to confirm)
    env.update(
        POVERTY_POSTING_MIN_WORKING_DAYS="5",
        POVERTY_PUBLIC_HOLIDAYS="2026-09-02, 2026-09-01,2026-09-02",
    )
    result = run_python(SHOW_POSTING, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5 ['2026-09-01', '2026-09-02']"
    for name, value in [
        ("POVERTY_PUBLIC_HOLIDAYS", "2026-09-31"),
        ("POVERTY_PUBLIC_HOLIDAYS", "02/09/2026"),
        ("POVERTY_POSTING_MIN_WORKING_DAYS", "0"),
    ]:
        bad = run_python(SHOW_POSTING, {**env, name: value})
        assert bad.returncode != 0 and name in bad.stderr


def test_the_demo_app_is_installed_only_when_asked_for():
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print('demo' in settings.INSTALLED_APPS)"
    env = {k: v for k, v in production_env().items() if k != "DEMO"}
    production = run_python(code, env)
    assert production.stdout.strip() == "False", production.stderr
    demo = run_python(code, {**env, "DEMO": "1"})
    assert demo.stdout.strip() == "True", demo.stderr


SHOW_PARALLEL = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW max_parallel_workers_per_gather")
    workers = cursor.fetchone()[0]
    cursor.execute("SHOW statement_timeout")
    print(workers, cursor.fetchone()[0])
"""
SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def test_postgresql_connections_run_without_parallel_workers_unless_told():
    env = production_env(DATABASE_URL=SERVER)
    env.pop("PG_PARALLEL_WORKERS", None)
    result = run_python(SHOW_PARALLEL, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "0"
    # the URL's own options are kept beside it
    given = run_python(
        SHOW_PARALLEL,
        {
            **env,
            "DATABASE_URL": f"{SERVER}?options=-c%20statement_timeout%3D5000",
            "PG_PARALLEL_WORKERS": "1",
        },
    )
    assert given.returncode == 0, given.stderr
    assert given.stdout.split() == ["1", "5s"]
    server = run_python(SHOW_PARALLEL, {**env, "PG_PARALLEL_WORKERS": ""})
    assert server.returncode == 0 and server.stdout.split()[0] != "0", server.stderr
    bad = run_python(SHOW_PARALLEL, {**env, "PG_PARALLEL_WORKERS": "many"})
    assert bad.returncode != 0 and "PG_PARALLEL_WORKERS must be a whole number" in bad.stderr


SERVER_STARTUP = """
import gc, sys, weakref
import config.wsgi
print(gc.get_freeze_count(), "households.api.views" in sys.modules, gc.isenabled())
class Node: pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up, as a request makes them
gone = weakref.ref(a)
del a, b
gc.collect()
print(gone() is None)
"""


def test_the_server_sets_what_lives_as_long_as_it_apart_from_the_garbage_collector():
    """config.wsgi freezes the objects of start-up (the views included) so that full
    collections do not walk them; what requests make later is still collected."""
    env = {**os.environ, "SECRET_KEY": "a-real-key-for-this-test-only-0123456789"}
    result = run_python(SERVER_STARTUP, env)
    assert result.returncode == 0, result.stderr
    frozen, views_loaded, enabled, collected = result.stdout.split()
    assert int(frozen) > 50_000
    assert (views_loaded, enabled, collected) == ("True", "True", "True")
