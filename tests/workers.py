"""Worker processes for tests, and the "killed mid-sync" scenario both kinds of worker must
pass.

A worker runs in a subprocess (`manage.py run_worker`, or a Celery worker on the machine's
Redis) on this test's database — PostgreSQL, in `transaction=True` tests, so that it sees
what the test committed — with a lease of LEASE_SECONDS so that a killed worker's job is
taken over within seconds.

The scenario (`kill_mid_sync_then_finish`): first an uninterrupted run of a registry file
(the reference); then, from the same register, the same file of many small chunks, one of
whose records updates a household the test keeps locked (SELECT … FOR UPDATE). The worker
commits the chunks before it, then waits on the lock in the middle of that chunk — with its
households, members, history and feed rows written but not committed — and is killed
(SIGKILL) there. A second worker takes the job over once the lease expired and finishes it.
Everything the sync produced — the register with its history rows, the change feed with its
sequence numbers, possible duplicates, the job's counts and its report — must equal what an
uninterrupted run of the same file on the same register produces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from accounts.roles import Role
from core.models import ChangeEvent, FeedCounter, Job, JobStatus
from geo.models import Commune
from households.models import DuplicateCandidate, Household, Member
from integrations import sync
from tests import factories as f
from tests.integrations.test_sync import family
from tests.jobs import run_jobs

ROOT = Path(__file__).resolve().parents[1]
LEASE_SECONDS = 2
_started: list[subprocess.Popen] = []


def database_url() -> str:
    """The test database, for another process (PostgreSQL)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def start(command: list[str], media: Path, log: Path, **env: str) -> subprocess.Popen:
    """A worker process on this test's database and files, its output to `log`."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "INFO",
        "SUPERVISION_SCAN_HOURS": "0",  # no periodic scan job among the test's jobs
        **env,
    }
    if "CELERY_BROKER_URL" not in env:
        environ.pop("CELERY_BROKER_URL", None)
    with open(log, "a") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out, stderr=out)
    _started.append(process)
    return process


def kill_all() -> None:
    """Whatever a test left running (it failed half-way) is killed."""
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)


def run_worker(media: Path, log: Path) -> subprocess.Popen:
    return start([sys.executable, "manage.py", "run_worker", "--poll", "0.1"], media, log)


def celery_worker(media: Path, log: Path, broker: str, queue: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
    command += [
        "-Q",
        queue,
        "-l",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return start(command, media, log, CELERY_BROKER_URL=broker, CELERY_QUEUE=queue)


def wait_for(predicate: Callable[[], Any], what: str, log: Path, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=60)


def job_status(job_id) -> str:
    return Job.objects.values_list("status", flat=True).get(pk=job_id)


def waiting_on_a_lock() -> bool:
    """Whether a session of this database waits for a lock (our worker, on the test's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def while_in_progress(change: Callable[[], object], request: Callable[[], object]):
    """`change()` on this connection, not committed yet; `request()` on another, which must
    wait for it (for the rows it locked, or at a unique key it also writes); then the change
    commits, and the request's answer (or the exception it raised: a server error is an
    answer too) is returned. PostgreSQL: SQLite serialises writers."""
    answers: list = []

    def run() -> None:
        try:
            answers.append(request())
        except Exception as exc:
            answers.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    with transaction.atomic():
        change()
        thread.start()
        deadline = time.monotonic() + 30
        while thread.is_alive() and not waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert thread.is_alive(), f"answered without waiting for the change: {answers}"
        assert waiting_on_a_lock(), "the request neither waited nor answered"
    thread.join(timeout=60)
    assert not thread.is_alive()
    return answers[0]


# ---------------------------------------------------------------------------- the scenario

RECORDS = 24
CHUNK = 2
LOCKED_AT = 13  # in the seventh chunk: six chunks (12 records) commit before it


def registry_file(ward: Commune) -> list[dict]:
    records = [family(f"HK-{i:02}", ward) for i in range(RECORDS)]
    records[5]["members"][0]["sex"] = "?"  # rejected: a report line
    records[LOCKED_AT] = family("HK-LOCKED", ward)  # updates the household the test locks
    records[LOCKED_AT + 4] = family("HK-00", ward, address="Số 5, Tổ 9")  # one in a later chunk
    return records


class World:
    """The register a scenario starts from: one household the registry already knows
    (registered by us; the sync adopts its head and reports conflicts)."""

    def __init__(self, ward: Commune):
        self.ward = ward
        self.user = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
        self.counter = FeedCounter.objects.get().value
        self.household_seq = Commune.objects.get(pk=ward.pk).household_seq
        self.build()

    def build(self) -> None:
        self.locked = f.household(
            self.ward,
            external_id="HK-LOCKED",
            address="Thôn 1",
            members=[f.member("Nguyễn Văn An", with_citizen_id=False)],
        )

    def reset(self) -> None:
        """Back to the start: the register emptied with plain SQL (no history, no events),
        the counters as they were, the known household registered again."""
        tables = [
            DuplicateCandidate,
            Member,
            Household,
            Member.history.model,
            Household.history.model,
            ChangeEvent,
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"DELETE FROM {model._meta.db_table}")
        FeedCounter.objects.update(value=self.counter)
        Commune.objects.filter(pk=self.ward.pk).update(household_seq=self.household_seq)
        self.build()

    def enqueue(self, records: list[dict]) -> Job:
        content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
        return sync.stage_upload(content, "ndjson", actor=self.user, chunk_size=CHUNK)


def outcome(job: Job) -> dict[str, Any]:
    """Everything a sync produced, independent of random keys and clock times: rows keyed
    by the registry's IDs, history rows per record, feed events with their sequence numbers
    and payloads, duplicates, and the job's counts, report and report lines."""
    job.refresh_from_db()
    name: dict[str, str] = {}
    for model in (Household, Member):
        for pk, external_id in model.objects.values_list("pk", "external_id"):
            name[str(pk)] = external_id or f"{model.__name__} without registry ID"

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in {"created_at", "updated_at"}}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        text = str(value) if value is not None else None
        return name.get(text, value) if text is not None else None

    household_fields = ["external_id", "code", "commune_id", "village_id", "address", "status"]
    household_fields += ["version", "search_text", "registry_snapshot"]
    member_fields = ["external_id", "household__external_id", "full_name", "date_of_birth"]
    member_fields += ["sex", "ethnicity_id", "relationship", "citizen_id", "status", "version"]
    member_fields += ["status_date", "registry_snapshot"]
    history = ["id", "history_type", "version", "history_change_reason", "history_channel"]
    history += ["history_user__username"]
    return {
        "households": sorted(map(plain, Household.objects.values_list(*household_fields)), key=str),
        "members": sorted(map(plain, Member.objects.values_list(*member_fields)), key=str),
        "history": {
            model.__name__: sorted(
                map(plain, model.history.values_list(*history).order_by("history_id")), key=str
            )
            for model in (Household, Member)
        },
        "feed": [
            (e.seq, e.entity, plain(str(e.entity_id)), e.action, e.commune, plain(e.payload))
            for e in ChangeEvent.objects.order_by("seq")
        ],
        "counter": FeedCounter.objects.get().value,
        "duplicates": sorted(
            tuple(sorted(plain(str(x)) for x in pair))
            for pair in DuplicateCandidate.objects.values_list("member_a_id", "member_b_id")
        ),
        "job": (job.status, job.done, job.total, job.counts, job.checkpoint),
        "report": plain(
            {
                k: v
                for k, v in job.report.items()
                if k not in {"report_file", "rejected_csv", "stage_seconds"}  # timings differ
            }
        ),
        "report_lines": [plain(line) for line in sync.read_report(job)],
    }


def kill_mid_sync_then_finish(
    ward: Commune, media: Path, log: Path, new_worker: Callable[[], subprocess.Popen]
) -> None:
    """The scenario: `new_worker()` starts a worker (of the kind under test)."""
    world = World(ward)
    records = registry_file(ward)

    # The uninterrupted run (the worker's code, in this process): the reference.
    reference_job = world.enqueue(records)
    assert run_jobs() == 1
    expected = outcome(reference_job)
    assert expected["job"][:3] == (JobStatus.SUCCEEDED, RECORDS, RECORDS)

    world.reset()
    job = world.enqueue(records)
    with transaction.atomic():
        Household.objects.select_for_update().get(external_id="HK-LOCKED")
        worker = new_worker()
        try:
            wait_for(
                lambda: Job.objects.get(pk=job.pk).done == LOCKED_AT - 1 and waiting_on_a_lock(),
                "the worker to wait in the middle of the locked household's chunk",
                log,
            )
        finally:
            assert stop(worker, signal.SIGKILL) == -signal.SIGKILL
        # Not done, and nothing of the chunk in flight is visible.
        killed = Job.objects.get(pk=job.pk)
        assert (killed.status, killed.done) == (JobStatus.RUNNING, LOCKED_AT - 1)
        assert killed.checkpoint == {"next_record": LOCKED_AT - 1}
        assert not Household.objects.filter(external_id=f"HK-{LOCKED_AT - 1:02}").exists()
    # The lock is released; the killed worker's transaction is rolled back by PostgreSQL.

    worker = new_worker()
    try:
        wait_for(lambda: job_status(job.pk) == JobStatus.SUCCEEDED, "the takeover", log)
    finally:
        assert stop(worker) == 0
    finished = Job.objects.get(pk=job.pk)
    assert finished.attempts == 2 and finished.lease_owner == ""
    assert outcome(job) == expected
