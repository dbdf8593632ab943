"""HTTP load on loopback: wrk against gunicorn and PostgreSQL at province scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/load.py [--workers 3] [--seconds 20]

Needs wrk (Debian's package `wrk`). Tops the bench database up like the other benches, issues
a province officer's token, picks 2,000 random households, the communes of province 22 and
folded full names of members, and writes the request paths of each load to a file. Then starts
gunicorn (`config.wsgi`, `--workers`, API throttling off) on 127.0.0.1:8077 against the same
database and runs wrk (2 threads) for `--seconds` per load, after 3 s of warm-up:

- the framework's floor: an unauthenticated GET of the API root (401), 8 connections;
- household detail only, 6 connections;
- the officers' mix, 8 connections: 50% household detail, 35% a commune's household list,
  15% a name search (each request picks at random, `bench/load.lua`).

Prints requests/s, p50/p99 latency and the error count (non-2xx answers and socket errors;
the floor's 401s are its expected answer) for each, with the worker count and the machine.
wrk reports latency for the whole load, not per kind of request.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import ensure_database, officer_client, print_table, top_up
from django.conf import settings
from django.db import connection
from registry_latency import province_communes

from households.models import Member

HERE = Path(__file__).resolve().parent
PORT = 8077
BASE = f"http://127.0.0.1:{PORT}"


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def write_paths(directory: Path, rng: random.Random) -> dict[str, Path]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT id FROM households_household ORDER BY random() LIMIT 2000")
        ids = [str(row[0]) for row in cursor.fetchall()]
    communes = province_communes()
    names = list(
        Member.objects.filter(household_id__in=ids[:300]).values_list("name_folded", flat=True)
    )
    detail = [f"/api/v1/households/{pk}/" for pk in ids]
    mix = (
        [rng.choice(detail) for _ in range(1000)]
        + [f"/api/v1/households/?commune={rng.choice(communes)}" for _ in range(700)]
        + [f"/api/v1/households/?q={rng.choice(names).replace(' ', '+')}" for _ in range(300)]
    )
    rng.shuffle(mix)
    files = {"floor": ["/api/v1/"], "detail": detail, "mix": mix}
    paths = {}
    for name, lines in files.items():
        paths[name] = directory / f"{name}.txt"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def start_gunicorn(workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "API_THROTTLE_RATE": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "bench-only-" + "x" * 40,
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=HERE.parent,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/api/v1/", timeout=1)
        except urllib.error.HTTPError:
            return server  # 401: up
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(paths: Path, token: str | None, connections: int, seconds: int) -> dict[str, str]:
    env = {**os.environ, "PATHS": str(paths), "TOKEN": token or ""}
    command = ["wrk", "-t2", f"-c{connections}", "--latency", "-s", str(HERE / "load.lua"), BASE]
    subprocess.run([*command[:3], "-d3s", *command[3:]], env=env, capture_output=True, check=True)
    out = subprocess.run(
        [*command[:3], f"-d{seconds}s", *command[3:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))

    def ms(key: str) -> str:
        value, unit = re.match(r"([\d.]+)(\w+)", latency[key]).groups()
        return f"{to_ms(value, unit):.1f}"

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(map(int, sockets.groups())) if sockets else 0
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    return {"rps": f"{float(rps):.1f}", "p50": ms("50"), "p99": ms("99"), "errors": str(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    client = officer_client()
    token = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    connection.close()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_paths(Path(tmp), random.Random(1))
        server = start_gunicorn(args.workers)
        try:
            loads = [
                ("floor: GET /api/v1/ unauthenticated (401)", "floor", None, 8),
                ("household detail", "detail", token, 6),
                ("officers' mix (50% detail, 35% list, 15% search)", "mix", token, 8),
            ]
            rows = []
            for label, name, key, conns in loads:
                result = wrk(paths[name], key, conns, args.seconds)
                if name == "floor":
                    result["errors"] = "-"
                rows.append(
                    (
                        label,
                        str(conns),
                        result["rps"],
                        result["p50"],
                        result["p99"],
                        result["errors"],
                    )
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(
        f"gunicorn {args.workers} sync workers, wrk 2 threads, {args.seconds} s per load; "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), PostgreSQL on the same host.\n"
    )
    print_table(("load", "connections", "requests/s", "p50 ms", "p99 ms", "errors"), rows)


if __name__ == "__main__":
    main()
