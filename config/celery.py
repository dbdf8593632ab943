"""Celery: background jobs on Redis when CELERY_BROKER_URL is set (else `manage.py
run_worker` polls the Job table). Both run jobs through core.jobs (claim, lease, execute)."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poverty")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["config"])


@worker_ready.connect
def send_unfinished_jobs(**kwargs) -> None:
    """A worker starting up sends the unfinished jobs again: those of a worker that died
    (taken over once their lease expires) and any whose message was lost."""
    from core import jobs

    jobs.send_unfinished()
