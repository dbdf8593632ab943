"""The job worker: claims under a lease, fenced writes, takeover of a dead worker's job,
stopping, and a sync that does not hold up other writes."""

import json
import signal
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from core import jobs
from core.models import Job, JobStatus
from households.models import Household
from integrations import sync
from integrations.sync import formats
from tests import factories as f
from tests import workers
from tests.integrations.test_sync import family
from tests.jobs import run_jobs

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process needs the test database from another process (SQLite tests use "
    "an in-memory database) and a row lock to be held at mid-chunk (SQLite has none); the "
    "same takeover is tested in-process on both databases",
)


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    yield
    workers.kill_all()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def sync_job(user, records, **params) -> Job:
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    return sync.stage_upload(content, "ndjson", actor=user, **params)


def pause_reading_at(monkeypatch, index: int, during):
    """The sync job reads its file record by record, between its chunks' transactions:
    call `during()` when it is about to read record `index`."""
    real = formats.read_records

    def reading(path, fmt):
        for i, record in enumerate(real(path, fmt)):
            if i == index:
                during()
            yield record

    monkeypatch.setattr(formats, "read_records", reading)


@pytest.mark.django_db
def test_claims_are_exclusive_and_progress_is_fenced(province_officer, media):
    first = jobs.enqueue("export_households", {}, province_officer)
    second = jobs.enqueue("export_households", {}, province_officer)
    a = jobs.claim(owner="worker-a")
    b = jobs.claim(owner="worker-b")
    assert (a.pk, b.pk) == (first.pk, second.pk)  # oldest first, each to one worker
    assert jobs.claim() is None and jobs.claim(first.pk) is None
    assert (a.status, a.attempts, a.lease_owner) == (JobStatus.RUNNING, 1, "worker-a")
    jobs.progress(a, done=5)
    assert Job.objects.get(pk=a.pk).done == 5
    # a's lease expires (its worker died): the job is taken over, a can write nothing more
    Job.objects.filter(pk=a.pk).update(lease_expires_at=timezone.now())
    taken = jobs.claim(owner="worker-c")
    assert taken.pk == a.pk and taken.attempts == 2
    with pytest.raises(jobs.LeaseLost):
        jobs.progress(a, done=6)
    assert Job.objects.get(pk=a.pk).done == 5


@pytest.mark.django_db
def test_a_job_that_keeps_killing_its_workers_fails_instead_of_blocking_the_queue(
    province_officer, media
):
    job = jobs.enqueue("export_households", {"language": "en"}, province_officer)
    later = jobs.enqueue("export_households", {}, province_officer)
    for _ in range(jobs.MAX_RUNS):
        assert jobs.claim().pk == job.pk  # ... and its worker dies
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert jobs.claim().pk == later.pk
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_owner) == (JobStatus.FAILED, 5, "")
    assert "stopped answering 5 times" in job.error and job.finished_at is not None


@pytest.mark.django_db
def test_a_job_that_killed_its_workers_says_so_in_its_requesters_language(province_officer, media):
    job = jobs.enqueue("export_households", {"language": "vi"}, province_officer)
    for _ in range(jobs.MAX_RUNS):
        assert jobs.claim().pk == job.pk
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert jobs.claim() is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "Tiến trình chạy công việc này đã ngừng phản hồi 5 lần; hãy cho công việc chạy tiếp "
        "để thử lại."
    )


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_commits_no_further_chunk(
    province_officer, ward, media, monkeypatch
):
    """Run A stalls between two chunks past its lease; B takes the job over. A's next
    chunk is rolled back at its checkpoint and A stops; B finishes from the checkpoint."""
    records = [family(f"HK-{i}", ward) for i in range(6)]
    records[3]["members"][0]["sex"] = "?"
    job = sync_job(province_officer, records, chunk_size=2)
    a = jobs.claim(job.pk, owner="worker-a")
    runs = {}

    def taken_over():
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
        runs["b"] = jobs.claim(job.pk, owner="worker-b")

    pause_reading_at(monkeypatch, 2, taken_over)
    jobs.execute(a, heartbeat=False)
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.done) == (JobStatus.RUNNING, "worker-b", 2)
    assert job.checkpoint == {"next_record": 2}
    assert Household.objects.count() == 2  # A's second chunk did not commit
    assert list(sync.read_report(job)) == []  # nor its report line

    monkeypatch.undo()
    jobs.execute(runs["b"], heartbeat=False)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.SUCCEEDED, 6, 6, 2)
    assert job.counts == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 1}
    assert Household.objects.count() == 5
    assert [line["index"] for line in sync.read_report(job)] == [3]


@pytest.mark.django_db
def test_a_stopping_worker_puts_its_job_back_at_the_checkpoint(
    province_officer, ward, media, monkeypatch
):
    monkeypatch.setattr(jobs, "_stopping", threading.Event())
    job = sync_job(province_officer, [family(f"HK-{i}", ward) for i in range(6)], chunk_size=2)
    pause_reading_at(monkeypatch, 4, jobs.request_stop)
    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.lease_owner, job.finished_at) == ("queued", 4, "", None)
    assert Household.objects.count() == 4
    monkeypatch.undo()  # a worker that is not stopping
    run_jobs()
    job.refresh_from_db()
    assert (job.status, job.counts["created"], job.attempts) == ("succeeded", 6, 2)
    assert Household.objects.count() == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_sync_does_not_hold_up_other_writes(ward, media, monkeypatch):
    """The worker commits each chunk on its own: while a sync is half-way, a household
    edit through the API goes through (it writes a change-feed event, whose counter the
    sync's chunks lock until they commit), and the job shows its progress."""
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    api = f.client_for(officer)
    household = f.household(ward, address="Thôn 1")
    job = sync_job(officer, [family(f"HK-{i}", ward) for i in range(8)], chunk_size=2)
    halfway, go_on = threading.Event(), threading.Event()

    def wait_halfway():
        halfway.set()
        assert go_on.wait(60)

    pause_reading_at(monkeypatch, 4, wait_halfway)

    def worker():
        try:
            run_jobs()
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert halfway.wait(60)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fail, rather than wait for the sync
                cursor.execute("SET lock_timeout = '10s'")
        progress = api.get(f"/api/v1/jobs/{job.pk}/").json()
        assert (progress["status"], progress["done"], progress["total"]) == ("running", 4, 8)
        r = api.patch(
            f"/api/v1/households/{household.pk}/", {"address": "Thôn 2"}, HTTP_IF_MATCH='"1"'
        )
        assert r.status_code == 200, r.content
    finally:
        go_on.set()
        thread.join()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.counts["created"] == 8
    assert Household.objects.get(pk=household.pk).address == "Thôn 2"


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_s_sync_is_finished_exactly_by_the_next(ward, media, tmp_path):
    log = tmp_path / "worker.log"
    workers.kill_mid_sync_then_finish(ward, media, log, lambda: workers.run_worker(media, log))


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sigterm_stops_the_worker_after_the_chunk_in_hand(ward, media, tmp_path):
    log = tmp_path / "worker.log"
    world = workers.World(ward)
    job = world.enqueue(workers.registry_file(ward))
    with transaction.atomic():
        Household.objects.select_for_update().get(external_id="HK-LOCKED")
        worker = workers.run_worker(media, log)
        workers.wait_for(workers.waiting_on_a_lock, "the worker to wait on the lock", log)
        worker.send_signal(signal.SIGTERM)
    # The chunk in hand commits; the worker stops before the next and exits cleanly.
    assert worker.wait(timeout=60) == 0, log.read_text()
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.finished_at) == (JobStatus.QUEUED, "", None)
    assert job.done == job.checkpoint["next_record"] == workers.LOCKED_AT + 1
    assert Household.objects.filter(external_id="HK-LOCKED", address="Số 1, Tổ 1").exists()
    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (JobStatus.SUCCEEDED, workers.RECORDS, 2)


@pytest.mark.django_db
def test_queue_periodic_queues_each_due_kind_once(monkeypatch):
    """`manage.py queue_periodic` (cron, with Celery; the polling worker does the same every
    minute): each due periodic kind once, and nothing while one is waiting."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("queue_periodic", stdout=out)
    queued = Job.objects.filter(kind__in=jobs.PERIODIC).values_list("kind", flat=True)
    assert sorted(queued) == sorted(jobs.PERIODIC)
    assert "dci_notify" in out.getvalue()
    call_command("queue_periodic", stdout=(again := StringIO()))
    assert "queued 0 periodic job(s): none due" in again.getvalue()
    assert Job.objects.filter(kind__in=jobs.PERIODIC).count() == len(jobs.PERIODIC)


def test_the_polling_worker_looks_for_due_periodic_jobs_every_minute():
    assert min(every for every in jobs.PERIODIC.values() if every) >= jobs.PERIODIC_CHECK


def test_the_daily_jobs_run_once_each_day_of_vietnam(db, monkeypatch):
    """The daily case run reads the day's date: it runs at the first check after Vietnam's
    midnight, once that day, whenever the last one ran (before, 24 hours after the last one:
    a run at 00:30 made the next one wait until 00:30, and slow drift skipped a day)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    monkeypatch.setattr(jobs, "PERIODIC", {"cases_daily": jobs.PERIODIC["cases_daily"]})
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    first = datetime(2026, 12, 1, 0, 30, tzinfo=vn)
    [job] = jobs.enqueue_periodic(now=first)
    Job.objects.filter(pk=job.pk).update(created_at=first, status=JobStatus.SUCCEEDED)
    assert jobs.enqueue_periodic(now=datetime(2026, 12, 1, 23, 59, tzinfo=vn)) == []
    # 00:01 on 2 December in Vietnam is still 1 December in UTC (17:01), 23.5 hours later
    [again] = jobs.enqueue_periodic(now=datetime(2026, 12, 2, 0, 1, tzinfo=vn))
    assert again.kind == "cases_daily"
