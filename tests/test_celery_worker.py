"""Celery workers on the machine's Redis run background jobs through the same claim, lease
and execute code as the polling worker: a what-if to the end, and a registry sync whose
worker is killed mid-way, finished exactly by the next worker.

The workers are processes of their own (tests.workers) on this test's PostgreSQL database,
consuming a queue named for this test run only (other test runs share the Redis)."""

import uuid

import pytest
import redis
from django.db import connection

from config.celery import app
from core.models import Job, JobStatus
from poverty.models import PovertyStandard
from tests import factories as f
from tests import workers
from tests.poverty.conftest import submit

BROKER = "redis://127.0.0.1:6379/15"
QUEUE = f"poverty-tests-{uuid.uuid4().hex[:12]}"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process needs the test database from another process (SQLite tests "
        "use an in-memory database)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def celery(settings):
    """Jobs go to Celery (this run's queue on Redis) once committed."""
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (see the README)")
    settings.CELERY_BROKER_URL = BROKER
    before = {"broker_url": app.conf.broker_url, "task_default_queue": app.conf.task_default_queue}
    app.conf.update(broker_url=BROKER, task_default_queue=QUEUE)
    yield
    app.conf.update(before)
    workers.kill_all()
    client.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
    for tag, message in client.hgetall("unacked").items():  # a killed worker's message
        if QUEUE.encode() in message:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


def celery_worker(media, log):
    return workers.celery_worker(media, log, BROKER, QUEUE)


def test_what_if_job_runs_on_a_celery_worker(ward, celery, media, tmp_path):
    log = tmp_path / "worker.log"
    for income in (10_000_000, 200_000_000):
        submit(f.household(ward), income=income)
    officer = f.client_for(f.user("province_officer", provinces=["22"]))
    d351 = PovertyStandard.objects.get(code="VN-ND351-2025")
    worker = celery_worker(media, log)
    try:
        r = officer.post("/api/v1/what-if/", {"standard": str(d351.id)})
        assert r.status_code == 202 and r.json()["status"] == "queued"
        job_id = r.json()["id"]
        workers.wait_for(
            lambda: workers.job_status(job_id) in (JobStatus.SUCCEEDED, JobStatus.FAILED),
            "the what-if",
            log,
        )
    finally:
        workers.stop(worker)
    job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", job.error
    assert job.counts == {"households": 2, "changed": 0} and job.attempts == 1
    assert officer.get(f"/api/v1/what-if/{job.report['what_if_run']}/").status_code == 200


def test_a_killed_celery_worker_s_sync_is_finished_exactly_by_the_next(
    ward, celery, media, tmp_path
):
    log = tmp_path / "worker.log"
    workers.kill_mid_sync_then_finish(ward, media, log, lambda: celery_worker(media, log))
