"""Registry sync throughput at province scale, beside raw COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/poverty_sync_bench \\
        .venv/bin/python bench/sync_throughput.py [--households 400000] [--seed 1]

In one run, on a dedicated database (its name must end in `sync_bench`: the register is
emptied first):
1. builds a province-size registry file (NDJSON, one household per line) with the demo
   generator (demo.households: Vietnamese names, families, valid citizen IDs, ~3.7 people per
   household), keeping the same rows in memory as the register would store them;
2. (a) raw COPY: those household and member rows, COPYed from memory (psycopg `cursor.copy`,
   as core.bulk.write_rows) into UNLOGGED copies of the two tables' columns with no index,
   then again into copies with the real tables' indexes (trigram GIN included), one
   transaction each;
3. (b) sync of the file into the empty register (every household created), as a worker
   runs the background job (core.jobs.claim and execute, in this process): counting the
   records, then reading and parsing the file and validation (in a second process for a
   file this large: integrations.sync.apart), planning, COPY to staging, INSERT … SELECT,
   history rows, one change-feed event per row, the duplicate scan, chunk by chunk (5,000
   records, each committed with the job's checkpoint);
4. (c) the same file again (every household unchanged: nothing written).
Prints households/s side by side and the ratio to raw COPY, with the CPU seconds spent by the
database backend (read from /proc: the database must run on this host) and by this process
and its child in each run; then each stage's seconds and share of (b) and (c), from the job's
report (integrations.sync.stages); asserts only the outcome counts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from random import Random

from common import ensure_database, print_table, record
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import UserAccess
from accounts.roles import Role
from core import jobs
from core.models import ChangeEvent, Job, JobStatus
from demo import households as demo
from geo.models import Commune, EthnicGroup
from households.models import Household, Member
from integrations import sync
from integrations.sync import apart as sync_apart

ROOT = Path(__file__).resolve().parent.parent
# The generator's member tuple (demo.MEMBER_COLUMNS) plus the registry's person ID.
MEMBER_COLUMNS = (*demo.MEMBER_COLUMNS, "external_id")


def backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process (read from
    /proc: the database runs on this host), or None where that cannot be read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def python_cpu() -> float:
    """CPU seconds of this process and of its children that ended (the second process that
    validates a large file: integrations.sync.apart)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Measure:
    """Wall-clock seconds of a run, with the CPU seconds the database backend and this
    process spent in it: where the work is."""

    seconds: float = 0.0
    database_cpu: float | None = None
    python_cpu: float = 0.0
    stages: dict[str, float] | None = None  # a sync job's report["stage_seconds"]

    @contextmanager
    def run(self):
        db, cpu, started = backend_cpu(), python_cpu(), time.perf_counter()
        yield
        self.seconds = time.perf_counter() - started
        self.python_cpu = python_cpu() - cpu
        end = backend_cpu()
        self.database_cpu = None if db is None or end is None else end - db


def empty_register() -> None:
    name = settings.DATABASES["default"]["NAME"]
    if not name.endswith("sync_bench"):
        raise SystemExit(f"Refusing to empty {name}: use a database named *sync_bench.")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE households_household, households_member, households_historicalhousehold,"
            " households_historicalmember, households_duplicatecandidate, core_changeevent "
            "CASCADE"
        )
        cursor.execute("UPDATE geo_commune SET household_seq = 0")
        cursor.execute("ANALYZE households_household")
        cursor.execute("ANALYZE households_member")


def bench_user():
    user, _ = get_user_model().objects.get_or_create(username="bench-registry-sync")
    grant, _ = UserAccess.objects.get_or_create(user=user, defaults={"role": Role.PROVINCE_OFFICER})
    grant.provinces.set(["22"])
    return get_user_model().objects.get(pk=user.pk)


def generate(households: int, seed: int) -> tuple[list[tuple], list[tuple]]:
    """Household and member rows (as stored), from the demo generator, numbered 1.. per
    commune: the codes the sync will issue into the empty register."""
    ethnic_codes = dict(
        EthnicGroup.objects.filter(name__in=[demo.KINH, *demo.MINORITY_GROUPS]).values_list(
            "name", "code"
        )
    )
    communes = list(Commune.objects.filter(province_id=demo.PROVINCE).order_by("code"))
    villages, _ = demo.ensure_villages(communes, demo.DEFAULT_VILLAGES_PER_COMMUNE)
    profiles = demo.commune_profiles(communes, villages)
    rng = Random(seed)
    per_commune = Counter(rng.choices(profiles, [p.weight for p in profiles], k=households))
    generator = demo.RegisterGenerator(rng, ethnic_codes, timezone.localdate())
    household_rows, member_rows = [], []
    for profile in profiles:
        for household, members in generator.households(profile, 1, per_commune[profile]):
            # every household and person is known to the registry; no village (ours)
            household = list(household)
            household[2] = f"HK-{household[1]}"
            household[4] = None
            household[9] = "registry_sync"
            household_rows.append(tuple(household))
            member_rows.extend((*m, f"CD-{m[0]}") for m in members)
    return household_rows, member_rows


def write_file(path: Path, households: list[tuple], members: list[tuple]) -> None:
    """One registry record per household, members in the order the generator made them."""
    by_household: dict[str, list[tuple]] = {}
    for m in members:
        by_household.setdefault(m[1], []).append(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        for h in households:
            record = {
                "external_id": h[2],
                "commune": h[3],
                "address": h[5],
                "members": [
                    {
                        "external_id": m[14],
                        "full_name": m[2],
                        "date_of_birth": m[4],
                        "sex": m[5],
                        "ethnicity": m[6],
                        "relationship": m[7],
                        "citizen_id": m[8],
                    }
                    for m in by_household[h[0]]
                ],
            }
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def raw_copy(households: list[tuple], members: list[tuple], *, indexes: bool) -> Measure:
    """COPY the rows into unlogged copies of the real tables (columns only, or with their
    indexes), measured from the first row to the commit."""
    like = "INCLUDING INDEXES" if indexes else ""
    names = {
        "households_household": "bench_copy_household",
        "households_member": "bench_copy_member",
    }
    with connection.cursor() as cursor:
        for table, copy in names.items():
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE UNLOGGED TABLE {copy} (LIKE {table} {like})")
    measure = Measure()
    with measure.run(), transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in (
            ("bench_copy_household", demo.HOUSEHOLD_COLUMNS, households),
            ("bench_copy_member", MEMBER_COLUMNS, members),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    with connection.cursor() as cursor:
        for copy in names.values():
            cursor.execute(f"DROP TABLE {copy}")
    return measure


def run_sync(path: Path, user, expected: str, total: int) -> Measure:
    """The file synced as a worker runs the background job (core.jobs.claim and execute,
    in this process): counting its records, then integrations.sync.run_job chunk by chunk,
    each chunk committed with its checkpoint and report lines."""
    settings.MEDIA_ROOT = path.parent
    job = Job.objects.create(
        kind="registry_sync", params={"path": path.name, "format": "ndjson"}, created_by=user
    )
    measure = Measure()
    with measure.run():
        jobs.execute(jobs.claim(job.pk))
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED or job.counts[expected] != total:
        raise SystemExit(f"Expected {total:,} {expected}, got {job.status} {job.counts}")
    measure.stages = job.report["stage_seconds"]
    return measure


def stage_rows(created: Measure, unchanged: Measure, copy_indexed: Measure) -> list[tuple]:
    """Each stage of the job (integrations.sync.stages) in (b) and (c): seconds and share of
    the run, and (b)'s seconds beside the COPY with indexes (a')."""

    def cells(m: Measure, seconds: float | None) -> tuple[str, str]:
        if seconds is None:
            return "", ""
        return f"{seconds:.1f}", f"{100 * seconds / m.seconds:.1f}%"

    def beside(m: Measure, stage: str) -> bool:
        """Parsed and validated by the second process, beside the other stages."""
        return stage in ("parse", "validate") and "wait" in m.stages

    rows = []
    for stage in sync.STAGES:
        b, c = created.stages.get(stage), unchanged.stages.get(stage)
        if b is None and c is None:
            continue
        rows.append(
            (
                f"{stage} (second process)" if beside(created, stage) else stage,
                *cells(created, b),
                "" if b is None else f"{b / copy_indexed.seconds:.2f}",
                *cells(unchanged, c),
            )
        )

    def rest(m: Measure) -> float:
        return m.seconds - sum(v for k, v in m.stages.items() if not beside(m, k))

    rest_b, rest_c = rest(created), rest(unchanged)
    rows.append(
        (
            "(rest: job bookkeeping)",
            *cells(created, rest_b),
            f"{rest_b / copy_indexed.seconds:.2f}",
            *cells(unchanged, rest_c),
        )
    )
    rows.append(
        (
            "the whole job",
            *cells(created, created.seconds),
            f"{created.seconds / copy_indexed.seconds:.2f}",
            *cells(unchanged, unchanged.seconds),
        )
    )
    rows.append(("(a') COPY with indexes", f"{copy_indexed.seconds:.1f}", "", "1.00", "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=400_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--validate-here",
        action="store_true",
        help="read and validate the file in the job's process (no second process)",
    )
    args = parser.parse_args()
    n = args.households
    if args.validate_here:
        sync_apart.APART_MIN_RECORDS = n + 1

    load_before = os.getloadavg()[0]
    ensure_database()
    empty_register()
    user = bench_user()
    print(f"Generating {n:,} registry households ...", flush=True)
    started = time.perf_counter()
    households, members = generate(n, args.seed)
    path = ROOT / "var" / "bench" / f"registry-{n}.ndjson"
    write_file(path, households, members)
    print(
        f"{len(households):,} households, {len(members):,} members, "
        f"{path.stat().st_size / 1e6:,.0f} MB NDJSON in {time.perf_counter() - started:.1f} s."
    )

    print("(a) raw COPY ...", flush=True)
    copy_plain = raw_copy(households, members, indexes=False)
    copy_indexed = raw_copy(households, members, indexes=True)
    member_count = len(members)
    del households, members

    print("(b) sync into the empty register ...", flush=True)
    created = run_sync(path, user, sync.CREATED, n)
    assert Household.objects.count() == n and Member.objects.count() == member_count
    events = ChangeEvent.objects.count()
    history = Household.history.count() + Member.history.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print("(c) the same file again ...", flush=True)
    unchanged = run_sync(path, user, sync.UNCHANGED, n)
    assert ChangeEvent.objects.count() == events
    assert Household.history.count() + Member.history.count() == history

    def row(name: str, m: Measure) -> tuple[str, ...]:
        return (
            name,
            f"{m.seconds:.1f}",
            f"{n / m.seconds:,.0f}",
            f"{copy_plain.seconds / m.seconds:.2f}",
            f"{copy_indexed.seconds / m.seconds:.2f}",
            "n/a" if m.database_cpu is None else f"{m.database_cpu:.1f}",
            f"{m.python_cpu:.1f}",
        )

    print(
        f"\n{n:,} households, {member_count:,} members; chunks of {sync.CHUNK_SIZE:,} records; "
        f"{events:,} change events and {history:,} history rows written by (b). Load average "
        f"(1 min) {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end. The "
        "file read and validated "
        + ("by a second process" if "wait" in created.stages else "in the job's process")
        + ".\n"
    )
    print_table(
        (
            "run",
            "seconds",
            "households/s",
            "vs raw COPY",
            "vs COPY with indexes",
            "database CPU (s)",
            "Python CPU (s)",
        ),
        [
            row("(a) raw COPY, no indexes", copy_plain),
            row("(a') raw COPY, the real tables' indexes", copy_indexed),
            row("(b) sync, all created", created),
            row("(c) sync again, all unchanged", unchanged),
        ],
    )
    for label, m in (("first load", created), ("replay, unchanged", unchanged)):
        record(
            f"registry sync {n:,}, {label}",
            n / m.seconds,
            "households/s",
            "COPY with indexes",
            n / copy_indexed.seconds,
        )
    print("\nWhere the job's time goes (wall clock per stage, summed over the chunks):\n")
    print_table(
        (
            "stage",
            "(b) s",
            "(b) share",
            "(b) s / (a') s",
            "(c) s",
            "(c) share",
        ),
        stage_rows(created, unchanged, copy_indexed),
    )


if __name__ == "__main__":
    main()
