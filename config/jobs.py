"""Background jobs: one mechanism for registry sync, what-if re-assessment and exports.

A job row records state, progress, counts, a report and a checkpoint. Handlers are plain
functions `handler(job)` (named by dotted path per kind) that work in chunks, each chunk
committed with its checkpoint, so a job that dies part-way is resumed, not restarted, and
a task delivered twice (Celery is at-least-once) does no harm.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus

log = logging.getLogger(__name__)

HANDLERS = {
    "what_if": "poverty.jobs.run_what_if",
    "registry_sync": "households.sync.run_job",
    "export_households": "households.exports.run_job",
}


def enqueue(kind: str, params: dict[str, Any], user=None) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, params=params, created_by=user)
    start(job)
    return job


def start(job: Job) -> None:
    """Run the job: inline without a broker, else on a worker after this transaction."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        execute(job.pk)
        job.refresh_from_db()
    else:
        job_id = str(job.pk)
        transaction.on_commit(lambda: run_job.delay(job_id))


@shared_task(name="config.run_job")
def run_job(job_id: str) -> None:
    execute(job_id)


def execute(job_id) -> None:
    job = Job.objects.get(pk=job_id)
    if job.status == JobStatus.SUCCEEDED:
        return  # delivered twice
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        error="",
        attempts=job.attempts + 1,
        started_at=job.started_at or timezone.now(),
    )
    job.refresh_from_db()
    module, name = HANDLERS[job.kind].rsplit(".", 1)
    try:
        getattr(import_module(module), name)(job)
    except Exception as exc:
        log.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        raise
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, finished_at=timezone.now())


def progress(job: Job, **fields: Any) -> None:
    """Save progress (done, total, counts, report, checkpoint) right away."""
    for name, value in fields.items():
        setattr(job, name, value)
    Job.objects.filter(pk=job.pk).update(**fields)
