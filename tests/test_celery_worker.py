"""A real Celery worker against the machine's Redis runs a background job to the end."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test import override_settings

from config.celery import app
from config.models import Job
from poverty.models import PovertyStandard
from tests import factories as f
from tests.poverty.conftest import submit

BROKER = "redis://127.0.0.1:6379/15"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_what_if_job_runs_on_a_real_worker(ward):
    if connection.vendor != "postgresql":
        pytest.skip("the worker thread needs a database shared between connections")
    try:
        redis.Redis.from_url(BROKER).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (see the README)")
    for income in (10_000_000, 200_000_000):
        submit(f.household(ward), income=income)
    officer = f.client_for(f.user("province_officer", provinces=["22"]))
    d351 = PovertyStandard.objects.get(code="VN-ND351-2025")
    app.conf.update(broker_url=BROKER, task_always_eager=False)
    try:
        with (
            override_settings(CELERY_TASK_ALWAYS_EAGER=False),
            start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20),
        ):
            r = officer.post("/api/v1/what-if/", {"standard": str(d351.id)})
            assert r.status_code == 202 and r.json()["status"] == "queued"
            job_id = r.json()["id"]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                job = Job.objects.get(pk=job_id)
                if job.status in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
    finally:
        app.conf.update(task_always_eager=True)
    assert job.status == "succeeded", job.error
    assert job.counts == {"households": 2, "changed": 0}
    assert officer.get(f"/api/v1/what-if/{job.report['what_if_run']}/").status_code == 200
