"""HTTP load on loopback: wrk against gunicorn and PostgreSQL at province scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_bench \\
        .venv/bin/python bench/load.py [--workers 3] [--seconds 20] [--sync 10000]

Needs wrk (Debian's package `wrk`). Tops the bench database up like the other benches, issues
a province officer's token, picks 2,000 random households, the communes of province 22 and
folded full names of members, and writes the requests of each load to files. Then starts
gunicorn (`config.wsgi`, `--workers`, API throttling off) on 127.0.0.1:8077 and the job worker
(`manage.py run_worker`, as `./dev serve` does) against the same database, and runs, each for
`--seconds` after 3 s of warm-up:

- the framework's floor: an unauthenticated GET of the API root (401), 8 connections;
- household detail only, 6 connections;
- the officers' mix, 8 connections: 50% household detail, 35% a commune's household list,
  15% a name search (each request picks at random, `bench/load.lua`);
- the whole mix, with latency per operation: one wrk per operation, all at once (8
  connections in all): household detail (3), a commune's household list (2), a name search
  (1), a field-app upload of a survey (1; a new client UUID each, `bench/load.lua`) and a
  change-feed consumer reading 100 events after a random cursor of the feed (1); while a
  registry sync of `--sync` households runs as a background job, uploaded through the API
  just before (the same households each run, their address changed: created the first time,
  updated after).

Prints requests/s, p50/p99 latency and the error count (non-2xx answers and socket errors;
the floor's 401s are its expected answer) for each, with the worker count and the machine,
and the sync's records/s beside its rate when run alone (the previous run's job of the same
size, when there is one); then what the errors were (status and problem code, socket errors
by kind).
"""

from __future__ import annotations

import argparse
import json
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
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from common import ensure_database, officer_client, print_table, record, top_up
from django.conf import settings
from django.db import connection
from django.utils import timezone
from registry_latency import province_communes
from sync_throughput import generate, write_file

from core.access import FULL_ACCESS
from households.models import Household, Member
from poverty.api.serializers import SurveySerializer
from poverty.services import age_on

HERE = Path(__file__).resolve().parent
PORT = 8077
BASE = f"http://127.0.0.1:{PORT}"


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def survey_bodies(ids: list[str]) -> list[str]:
    """A field-app survey upload for each household (every present member, well-off facts),
    checked by the API's survey serializer; `__CLIENT_ID__` stands for the device's UUID."""
    today = timezone.localdate()
    captured = (timezone.now() - timedelta(hours=1)).isoformat()
    versions = dict(Household.objects.filter(id__in=ids).values_list("id", "version"))
    members: dict = {}
    for household, member, born in Member.objects.filter(
        household_id__in=ids, status="present"
    ).values_list("household_id", "id", "date_of_birth"):
        age = age_on(born, today) if born else 40
        members.setdefault(household, []).append(
            {
                "member": str(member),
                "has_health_insurance": True,
                "schooling": (
                    None if age < 3 or age > 30 else "attending" if age < 16 else "not_attending"
                ),
                "education_level": "upper_secondary" if age >= 16 else "primary",
                "employment": "wage_contract" if age >= 15 else "not_in_labour_force",
                "receives_social_allowance": False,
                "nutrition": "normal" if age < 16 else None,
            }
        )
    bodies = []
    for household, people in members.items():
        survey = {
            "household": str(household),
            "survey_date": today.isoformat(),
            "form": "b2",
            "enumerator_name": "Bench",
            "income_wages": 90_000_000,
            "income_agriculture": 0,
            "wall_material": "brick_stone",
            "frame_material": "concrete",
            "roof_material": "tile",
            "floor_area_m2": "80.00",
            "water_source": "tap",
            "latrine": "septic",
            "uses_internet": True,
            "devices": ["tv", "smartphone"],
            "waste_treatment": "collected",
            "members": people,
        }
        if not SurveySerializer(data=survey, context={"access": FULL_ACCESS}).is_valid():
            continue
        upload = {
            "client_id": "__CLIENT_ID__",
            "kind": "survey",
            "based_on_version": versions[household],
            "captured_at": captured,
            "body": survey,
        }
        bodies.append(json.dumps(upload, ensure_ascii=False))
    return bodies


def write_files(directory: Path, rng: random.Random) -> dict[str, Path]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT id FROM households_household ORDER BY random() LIMIT 2000")
        ids = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute("SELECT coalesce(max(seq), 0) FROM core_changeevent")
        (last_seq,) = cursor.fetchone()
    communes = province_communes()
    names = list(
        Member.objects.filter(household_id__in=ids[:300]).values_list("name_folded", flat=True)
    )
    detail = [f"/api/v1/households/{pk}/" for pk in ids]
    lists = [f"/api/v1/households/?commune={rng.choice(communes)}" for _ in range(700)]
    search = [f"/api/v1/households/?q={rng.choice(names).replace(' ', '+')}" for _ in range(300)]
    mix = [rng.choice(detail) for _ in range(1000)] + lists + search
    rng.shuffle(mix)
    feed = [f"/api/v1/changes/?after={rng.randint(0, last_seq)}&limit=100" for _ in range(1000)]
    files = {
        "floor": ["/api/v1/"],
        "detail": detail,
        "mix": mix,
        "list": lists,
        "search": search,
        "feed": feed,
        "uploads": survey_bodies(ids[1000:1500]),
    }
    paths = {}
    for name, lines in files.items():
        paths[name] = directory / f"{name}.txt"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a bench's gunicorn: API throttling off, loopback only."""
    env = {**os.environ, "API_THROTTLE_RATE": "", "ALLOWED_HOSTS": "127.0.0.1"}
    return {**env, "SECRET_KEY": "bench-only-" + "x" * 40, **extra}


def gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    """gunicorn serving `config.wsgi` on 127.0.0.1:`port`."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(command, cwd=HERE.parent, env=env)


def answers(port: int) -> bool:
    """Whether the server on `port` answers (a 401 at the API root) within about 20 s."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=1)
        except urllib.error.HTTPError:
            return True  # 401: up
        except OSError:
            time.sleep(0.2)
    return False


def start_servers(workers: int, media: Path) -> list[subprocess.Popen]:
    """gunicorn and the job worker (as `./dev serve` starts them), on the bench database."""
    env = server_env(DATABASE_URL=database_url(), MEDIA_ROOT=str(media))
    env.pop("CELERY_BROKER_URL", None)
    worker = [sys.executable, "manage.py", "run_worker", "--poll", "0.2"]
    servers = [gunicorn(PORT, workers, env), subprocess.Popen(worker, cwd=HERE.parent, env=env)]
    if answers(PORT):
        return servers
    for server in servers:
        server.kill()
    sys.exit("gunicorn did not start")


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk_command(connections: int, seconds: int) -> list[str]:
    threads = min(2, connections)
    script = str(HERE / "load.lua")
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script]


def wrk_env(file: Path, token: str | None) -> dict[str, str]:
    env = {**os.environ, "TOKEN": token or "", "PATHS": str(file), "BODIES": "", "POST_PATH": ""}
    env["SEED"] = str(random.SystemRandom().randrange(2**31))
    if file.name == "uploads.txt":
        env.update(BODIES=str(file), POST_PATH="/api/v1/field/uploads/")
    return env


SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse(out: str) -> dict[str, str]:
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))

    def ms(key: str) -> str:
        value, unit = re.match(r"([\d.]+)(\w+)", latency[key]).groups()
        return f"{to_ms(value, unit):.1f}"

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = SOCKET_ERRORS.search(out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(map(int, sockets.groups())) if sockets else 0
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    return {"rps": f"{float(rps):.1f}", "p50": ms("50"), "p99": ms("99"), "errors": str(errors)}


FAILURES: Counter = Counter()  # (operation, status, problem code) of every 4xx/5xx answer


def note_failures(label: str, out: str, err: str) -> None:
    """What load.lua wrote of each 4xx/5xx answer (its status and problem `code`), and the
    socket errors wrk counted (a timeout: no answer within wrk's 2 s)."""
    sockets = SOCKET_ERRORS.search(out)
    if sockets:
        for kind, count in zip(
            ("connect", "read", "write", "timeout"), sockets.groups(), strict=True
        ):
            if int(count):
                FAILURES[(label, "socket error", kind)] += int(count)
    for line in err.splitlines():
        if line.startswith("non-2xx "):
            _, status, body = [*line.split(" ", 2), ""][:3]
            found = re.search(r'"code":\s*"([^"]+)"', body)
            FAILURES[(label, status, found.group(1) if found else body[:80])] += 1


def row(label: str, connections: int, result: dict[str, str]) -> tuple[str, ...]:
    return (label, str(connections), *(result[k] for k in ("rps", "p50", "p99", "errors")))


def wrk(file: Path, token: str | None, connections: int, seconds: int) -> dict[str, str]:
    env = wrk_env(file, token)
    command = wrk_command(connections, seconds)
    warm = [*command[:3], "-d3s", *command[4:], BASE]
    subprocess.run(warm, env=env, capture_output=True, check=True)
    done = subprocess.run([*command, BASE], env=env, capture_output=True, text=True, check=True)
    note_failures(file.stem, done.stdout, done.stderr)
    return parse(done.stdout)


class Api:
    def __init__(self, token: str):
        self.headers = {"Authorization": f"Token {token}"}

    def call(self, method: str, path: str, body: bytes | None = None, **headers) -> dict:
        request = urllib.request.Request(
            BASE + path, data=body, method=method, headers={**self.headers, **headers}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def queue_sync(api: Api, path: Path) -> str:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: application/x-ndjson\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    job = api.call(
        "POST",
        "/api/v1/registry-sync/",
        body,
        **{"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return job["id"]


def registry_file(path: Path, records: int) -> None:
    """`records` registry households (the same each run), their addresses marked with this
    run's time: created by the first run's sync, updated by each later one."""
    households, members = generate(records, seed=7)
    mark = timezone.now().strftime("%Y%m%d%H%M%S")
    # Registry IDs of their own (the bench register's households have HK-…), the members'
    # stable from run to run.
    households = [(*h[:2], f"LOAD-{h[1]}", *h[3:5], f"{h[5]} · {mark}", *h[6:]) for h in households]
    code_of = {h[0]: h[1] for h in households}
    position: dict = {}
    renamed = []
    for m in members:
        position[m[1]] = position.get(m[1], 0) + 1
        renamed.append((*m[:14], f"LOAD-{code_of[m[1]]}-{position[m[1]]}"))
    write_file(path, households, renamed)


def whole_mix(api: Api, files: dict[str, Path], token: str, seconds: int, sync: Path):
    """Every operation at once, one wrk each, with the registry sync running beside them."""
    operations = [
        ("household detail", "detail", 3),
        ("commune household list", "list", 2),
        ("name search", "search", 1),
        ("field upload (survey)", "uploads", 1),
        ("change feed read (100 events)", "feed", 1),
    ]
    for _label, name, conns in operations:  # warm-up, one after another
        command = wrk_command(conns, 3)
        subprocess.run([*command, BASE], env=wrk_env(files[name], token), capture_output=True)
    job_id = queue_sync(api, sync)
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            [*wrk_command(conns, seconds), BASE],
            env=wrk_env(files[name], token),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _label, name, conns in operations
    ]
    outputs = []
    for (label, _name, _conns), process in zip(operations, running, strict=True):
        out, err = process.communicate()
        note_failures(f"whole mix: {label}", out, err)
        outputs.append(out)
    done_in_window = api.call("GET", f"/api/v1/jobs/{job_id}/")["done"]
    while (job := api.call("GET", f"/api/v1/jobs/{job_id}/"))["status"] in ("queued", "running"):
        time.sleep(0.5)
    sync_seconds = time.perf_counter() - started
    rows, total = [], 0.0
    for (label, _name, conns), out in zip(operations, outputs, strict=True):
        result = parse(out)
        total += float(result["rps"])
        rows.append(row(label, conns, result))
    rows.append(("all operations", "8", f"{total:.1f}", "", "", ""))
    return rows, job, done_in_window, sync_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--sync", type=int, default=10_000, help="registry records synced")
    args = parser.parse_args()
    ensure_database()
    top_up(args.households)
    client = officer_client()
    token = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), random.Random(1))
        sync_file = Path(tmp) / "media" / "registry.ndjson"
        registry_file(sync_file, args.sync)
        connection.close()
        servers = start_servers(args.workers, Path(tmp) / "media")
        try:
            loads = [
                ("floor: GET /api/v1/ unauthenticated (401)", "floor", None, 8),
                ("household detail", "detail", token, 6),
                ("officers' mix (50% detail, 35% list, 15% search)", "mix", token, 8),
            ]
            rows = []
            for label, name, key, conns in loads:
                result = wrk(files[name], key, conns, args.seconds)
                if name == "floor":
                    result["errors"] = "-"
                rows.append(row(label, conns, result))
            mixed, job, done_in_window, sync_seconds = whole_mix(
                Api(token), files, token, args.seconds, sync_file
            )
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
            for server in servers:
                server.wait(timeout=60)
    print(
        f"gunicorn {args.workers} sync workers and the job worker, wrk, {args.seconds} s per "
        f"load; {os.cpu_count()} CPU cores ({platform.machine()}), PostgreSQL on the same host.\n"
    )
    floor = float(rows[0][2])
    for label, conns, rps, p50, p99, errors in rows[1:]:
        figure = f"HTTP {label}, {conns} connections (p50 {p50}, p99 {p99} ms; {errors} errors)"
        record(figure, float(rps), "requests/s", "floor (401)", floor)
    for label, _conns, rps, p50, p99, errors in mixed[:-1]:
        figure = f"whole mix: {label} ({rps} requests/s, p99 {p99} ms; {errors} errors)"
        record(figure, float(p50), "ms p50")
    record("whole mix: all operations", float(mixed[-1][2]), "requests/s", "floor (401)", floor)
    if job["status"] == "succeeded":
        record("registry sync beside the whole mix", args.sync / sync_seconds, "records/s")
    else:  # no rate for a job that did not finish: its status, and the exit status 1
        record(f"registry sync beside the whole mix: {job['status'].upper()}", 0, "records/s")
    header = ("load", "connections", "requests/s", "p50 ms", "p99 ms", "errors")
    print_table(header, rows)
    print("\nThe whole mix, all at once, latency per operation:\n")
    print_table(header, mixed)
    for (label, status, code), count in sorted(FAILURES.items()):
        print(f"\n{label}: {status} {code}, {count} times.")
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(job["counts"].items()))
    if job["status"] != "succeeded":
        print(f"\nRegistry sync beside it: {job['status']}: {job.get('error')}")
        sys.exit(1)
    print(
        f"\nRegistry sync beside it: {job['status']}, {args.sync:,} records ({counts}); "
        f"{done_in_window:,} done within the {args.seconds} s window, all in {sync_seconds:.1f} s "
        f"({args.sync / sync_seconds:,.0f} records/s)."
    )


if __name__ == "__main__":
    main()
