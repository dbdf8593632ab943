"""Registry sync through the HTTP API in the default set-up (gunicorn + the job worker),
beside raw bulk loading of the same rows.

    .venv/bin/python bench/sync_http.py [--households 20000] [--seed 1] [--bind 127.0.0.1:8011]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_sync_bench \\
        .venv/bin/python bench/sync_http.py --households 20000

Default database: SQLite at var/bench/sync_http.sqlite3 (as `./dev serve` uses SQLite);
with DATABASE_URL, a PostgreSQL database whose name ends in `sync_bench`. Either is emptied
of households first. In one run:

1. builds the registry file (NDJSON) with bench/sync_throughput.py's generator;
2. the baseline: the same household and member rows loaded raw, in one transaction, into
   bare copies of the two tables and into copies with the register's indexes — PostgreSQL
   COPY (bench/sync_throughput.raw_copy), SQLite executemany (it has no COPY);
3. starts gunicorn (WORKERS, default 3) and `manage.py run_worker` on that database, as
   `./dev serve` does;
4. uploads the file (`POST /api/v1/registry-sync/`, multipart, a province officer's token)
   and times the answer (202, the job queued);
5. follows `GET /api/v1/jobs/{id}/` until the job finished, and meanwhile edits a household
   through the API (`PATCH`, If-Match) every half second: how long other writes wait while
   the sync runs.
Prints the figures; asserts only the outcome counts.
"""

# ruff: noqa: E402  (the database is chosen before Django is set up)
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH / 'sync_http.sqlite3'}")
BENCH.mkdir(parents=True, exist_ok=True)

from common import ensure_database, fresh_token, print_table
from django.core.management import call_command
from django.db import connection, transaction
from sync_throughput import MEMBER_COLUMNS, bench_user, empty_register, generate, raw_copy
from sync_throughput import write_file as write_registry_file

from core.models import Job
from demo import households as demo


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def prepare_database() -> None:
    if is_postgresql():
        ensure_database()
        empty_register()
    else:
        call_command("migrate", verbosity=0)
        with transaction.atomic(), connection.cursor() as cursor:
            for table in (
                "households_duplicatecandidate",
                "households_member",
                "households_household",
                "households_historicalmember",
                "households_historicalhousehold",
                "core_changeevent",
            ):
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("UPDATE geo_commune SET household_seq = 0")
    Job.objects.all().delete()


def raw_insert(households: list[tuple], members: list[tuple], *, indexes: bool) -> float:
    """SQLite's bulk load: executemany into copies of the two tables (bare, or with the
    real tables' indexes), one transaction; seconds."""
    copies = []
    with connection.cursor() as cursor:
        for table, columns, rows in (
            ("households_household", demo.HOUSEHOLD_COLUMNS, households),
            ("households_member", MEMBER_COLUMNS, members),
        ):
            copy = f"bench_copy_{table.split('_')[1]}"
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table} WHERE 0")
            if indexes:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL",
                    [table],
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(
                        sql.replace(f'"{name}"', f'"bench_{name}"').replace(
                            f'"{table}"', f'"{copy}"'
                        )
                    )
            copies.append((copy, columns, rows))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for copy, columns, rows in copies:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {copy} ({', '.join(columns)}) VALUES ({marks})", rows)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for copy, _, _ in copies:
            cursor.execute(f"DROP TABLE {copy}")
    return seconds


class Api:
    def __init__(self, bind: str, token: str):
        self.host, port = bind.rsplit(":", 1)
        self.port = int(port)
        self.headers = {"Authorization": f"Token {token}"}

    def request(self, method: str, path: str, body=None, headers=None, timeout=300):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data
        finally:
            conn.close()

    def json(self, method: str, path: str, payload=None, headers=None):
        body = None if payload is None else json.dumps(payload).encode()
        status, head, data = self.request(
            method, path, body, {"Content-Type": "application/json", **(headers or {})}
        )
        return status, head, json.loads(data) if data else None


def start_servers(bind: str, media: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    log = open(BENCH / "sync_http.servers.log", "w")  # noqa: SIM115 (kept for the run)
    web = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application"]
    web += ["--bind", bind, "--workers", os.environ.get("WORKERS", "3")]
    worker = [sys.executable, "manage.py", "run_worker", "--poll", "0.2"]
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        for command in (web, worker)
    ]


def wait_until_serving(api: Api) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if api.request("GET", "/api/v1/ethnic-groups/?page_size=1", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer; see {BENCH / 'sync_http.servers.log'}")


def multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: application/x-ndjson\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), boundary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8011"))
    args = parser.parse_args()
    n = args.households
    db = connection.settings_dict["NAME"]

    load_before = os.getloadavg()[0]
    prepare_database()
    user = bench_user()
    token = fresh_token(user)
    print(f"Database {connection.vendor} {db}. Generating {n:,} registry households ...")
    households, members = generate(n, args.seed)
    path = BENCH / f"registry-{n}.ndjson"
    write_registry_file(path, households, members)
    member_count = len(members)
    print(f"{n:,} households, {member_count:,} members, {path.stat().st_size / 1e6:.0f} MB.")

    print("Baseline: the same rows loaded raw ...", flush=True)
    if is_postgresql():
        bare = raw_copy(households, members, indexes=False).seconds
        indexed = raw_copy(households, members, indexes=True).seconds
        baseline = "COPY"
    else:
        bare = raw_insert(households, members, indexes=False)
        indexed = raw_insert(households, members, indexes=True)
        baseline = "executemany"
    del households, members
    connection.close()  # the servers write now

    api = Api(args.bind, token)
    servers = start_servers(args.bind, BENCH / "files")
    try:
        wait_until_serving(api)
        status, _, home = api.json(
            "POST",
            "/api/v1/households/",
            {
                "commune": "06652",
                "address": "Bench, Tổ 1",
                "members": [
                    {
                        "full_name": "Bench Người Sửa",
                        "date_of_birth": "1980-01-01",
                        "sex": "male",
                        "ethnicity": "01",
                        "relationship": "head",
                    }
                ],
            },
        )
        assert status == 201, home
        body, boundary = multipart(path)
        print("Uploading through the API ...", flush=True)
        started = time.perf_counter()
        status, _, data = api.request(
            "POST",
            "/api/v1/registry-sync/",
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        to_202 = time.perf_counter() - started
        job = json.loads(data)
        assert status == 202, job
        edits: list[float] = []
        version = home["version"]
        while True:
            edit_started = time.perf_counter()
            status, _, edited = api.json(
                "PATCH",
                f"/api/v1/households/{home['id']}/",
                {"phone": f"09{len(edits):08d}"},
                {"If-Match": f'"{version}"'},
            )
            edits.append(time.perf_counter() - edit_started)
            assert status == 200, edited
            version = edited["version"]
            _, _, job = api.json("GET", f"/api/v1/jobs/{job['id']}/")
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        job_wall = time.perf_counter() - started
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            process.wait(timeout=120)
    assert job["status"] == "succeeded", job["error"]
    assert job["counts"]["created"] == n, job["counts"]

    def seconds(name: str) -> float:
        from django.utils.dateparse import parse_datetime

        return parse_datetime(job[name]).timestamp()

    run = seconds("finished_at") - seconds("started_at")
    waited = seconds("started_at") - seconds("created_at")
    print(
        f"\n{n:,} households, {member_count:,} members on {connection.vendor}; gunicorn + "
        f"run_worker; chunks of 5,000 records. Load average (1 min) {load_before:.2f} at the "
        f"start, {os.getloadavg()[0]:.2f} at the end.\n"
    )
    print_table(
        ("step", "seconds", "households/s", f"vs raw {baseline}", f"vs {baseline} with indexes"),
        [
            (f"raw {baseline}, bare tables", f"{bare:.1f}", f"{n / bare:,.0f}", "1.00", ""),
            (
                f"raw {baseline}, the register's indexes",
                f"{indexed:.1f}",
                f"{n / indexed:,.0f}",
                f"{bare / indexed:.2f}",
                "1.00",
            ),
            ("upload: POST to the 202", f"{to_202:.2f}", "", "", ""),
            ("queued until a worker took it", f"{waited:.2f}", "", "", ""),
            (
                "the job (started → finished)",
                f"{run:.1f}",
                f"{n / run:,.0f}",
                f"{bare / run:.2f}",
                f"{indexed / run:.2f}",
            ),
            (
                "upload to finished (as a client sees it)",
                f"{job_wall:.1f}",
                f"{n / job_wall:,.0f}",
                f"{bare / job_wall:.2f}",
                f"{indexed / job_wall:.2f}",
            ),
        ],
    )
    print(
        f"\nA household edited through the API during the sync ({len(edits)} PATCHes): median "
        f"{statistics.median(edits) * 1000:.0f} ms, slowest {max(edits) * 1000:.0f} ms."
    )


if __name__ == "__main__":
    main()
