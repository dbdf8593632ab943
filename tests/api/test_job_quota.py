"""A user has at most `JOBS_MAX_PENDING_PER_USER` background jobs queued or running: one more
export, registry file, what-if or scan is a 409 `too_many_jobs`, and nothing is queued or kept
(a registry file is not written). Before, one officer could queue an export of their whole
area 600 times a minute (the throttle) and hold the worker queue for everyone."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import jobs
from core.models import Job, JobStatus
from tests.jobs import run_jobs

from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.JOBS_MAX_PENDING_PER_USER = 3
    return settings.MEDIA_ROOT


def post_export(client):
    return client.post("/api/v1/jobs/", {"kind": "export_households"})


def test_exports_beyond_the_quota_are_409_and_queue_nothing(ward_api):
    for _ in range(3):
        assert post_export(ward_api).status_code == 202
    p = assert_problem(post_export(ward_api), 409, code="too_many_jobs")
    assert "3" in p["detail"]
    assert Job.objects.count() == 3
    run_jobs()  # once they have run, there is room again
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() == 3
    assert post_export(ward_api).status_code == 202


def test_the_quota_is_per_user(ward_api, api):
    for _ in range(3):
        assert post_export(ward_api).status_code == 202
    assert post_export(api).status_code == 202


def test_a_registry_file_beyond_the_quota_is_not_kept(api, media, ward):
    for _ in range(3):
        assert post_export(api).status_code == 202
    upload = SimpleUploadedFile("registry.ndjson", b"{}\n")
    r = api.post("/api/v1/registry-sync/", {"file": upload}, format="multipart")
    assert_problem(r, 409, code="too_many_jobs")
    assert Job.objects.count() == 3
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_failed_job_is_not_resumed_beyond_the_quota(ward_api):
    for _ in range(3):
        assert post_export(ward_api).status_code == 202
    failed = Job.objects.order_by("created_at").first()
    Job.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)
    assert post_export(ward_api).status_code == 202
    r = ward_api.post(f"/api/v1/jobs/{failed.pk}/resume/")
    assert_problem(r, 409, code="too_many_jobs")
    assert Job.objects.get(pk=failed.pk).status == JobStatus.FAILED


def test_jobs_without_a_requester_are_not_counted(ward_api):
    for _ in range(5):
        jobs.enqueue("export_households", {"commune": None})
    assert post_export(ward_api).status_code == 202


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_asked_for_while_another_is_being_queued_counts_it(ward, media):
    """Two requests at the same moment are counted one after the other: the second waits for
    the first's job and is refused when that one fills the quota (PostgreSQL: SQLite
    serialises writers)."""
    from django.db import connection

    from accounts.roles import Role
    from tests import factories as f
    from tests.workers import while_in_progress

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    for _ in range(2):
        assert post_export(client).status_code == 202
    r = while_in_progress(
        lambda: jobs.enqueue("export_households", {}, officer),  # the third, not yet committed
        lambda: post_export(client),
    )
    assert_problem(r, 409, code="too_many_jobs")
    assert Job.objects.filter(created_by=officer).count() == 3
