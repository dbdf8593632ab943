"""Shared benchmark set-up: Django against a PostgreSQL bench database, topped up with
synthetic households, and a Markdown table printer. Import this first."""

# ruff: noqa: E402  (Django is set up before the imports that need it)
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
# The benches send thousands of requests as one client: no API throttling (API_THROTTLE_RATE).
os.environ.setdefault("API_THROTTLE_RATE", "")
os.environ.setdefault("API_ANON_THROTTLE_RATE", "")  # the DCI bench asks for tokens
os.environ.setdefault("DEMO", "1")  # the demo generators' commands

import django

django.setup()

import psycopg
from django.conf import settings
from django.core.management import call_command
from psycopg import sql

from core.access import SYSTEM
from households.models import Household


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (postgres://.../poverty_bench).")
    params = {k.lower(): db[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if db.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"Created database {db['NAME']}.")
    call_command("migrate", verbosity=0)


def top_up(households: int) -> None:
    existing = Household.objects.count()
    if existing >= households:
        return
    print(f"Generating {households - existing:,} households ...", flush=True)
    started = time.perf_counter()
    call_command("generate_demo_data", households=households - existing)
    print(f"Generation took {time.perf_counter() - started:.1f} s (wall clock).")


def ensure_surveys(*, assess: bool) -> None:
    """Surveys for the households that have none (with `assess`, also assessments and a
    share of official statuses), unless most households have one already: the load bench's
    field uploads leave a few hundred, which are not the register the benches measure."""
    from poverty.models import Survey

    if Survey.objects.filter(is_latest=True).count() >= Household.objects.count() // 2:
        return
    started = time.perf_counter()
    call_command("generate_demo_surveys", assess=assess)
    print(f"Survey generation took {time.perf_counter() - started:.1f} s.")


def record(
    figure: str, value: float, unit: str, baseline: str = "", baseline_value: float | None = None
) -> None:
    """One line of `bench/all.py`'s table: a figure of this bench beside its baseline, appended
    to the file named by $BENCH_SUMMARY (nothing when it is unset)."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    line = {
        "bench": Path(sys.argv[0]).stem,
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
    }
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(line, ensure_ascii=False) + "\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")


def fresh_token(user) -> str:
    """A new API key for `user` (the bench's previous ones revoked: keys are kept hashed)."""
    from accounts.choices import TokenPurpose
    from accounts.models import ApiToken
    from accounts.services import token_issue, token_revoke

    for old in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token_revoke(token=old, actor=SYSTEM)
    _token, key = token_issue(actor=SYSTEM, user=user, name="bench", purpose=TokenPurpose.OTHER)
    return key


def client_for(username: str, role: str, *, provinces=(), communes=()):
    """An API client (token header) of the bench user `username`, given `role` and that area
    (created or reset: the benches' users)."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from accounts.models import UserAccess

    user, _ = get_user_model().objects.get_or_create(username=username)
    grant, _ = UserAccess.objects.get_or_create(user=user, defaults={"role": role})
    if grant.role != role:
        grant.role = role
        grant.save()
    grant.provinces.set(provinces)
    grant.communes.set(communes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh_token(user)}")
    return client


def officer_client():
    """A Quảng Ninh province officer's client: the user every latency bench reads as."""
    from accounts.roles import Role

    return client_for("bench-province-officer", Role.PROVINCE_OFFICER, provinces=["22"])
