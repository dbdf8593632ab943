"""What supervision registers when the cases app is ready (CasesConfig.ready): its job
kind, run by the worker every SUPERVISION_SCAN_HOURS (0: never), and its admin page."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def ready() -> None:
    from core import jobs

    from . import admin  # noqa: F401  (registers the findings page)
    from .services import JOB_KIND

    jobs.register(JOB_KIND, "cases.supervision.services.run_scan_job")
    if settings.SUPERVISION_SCAN_HOURS > 0:  # 0: no periodic scan
        jobs.register_periodic(JOB_KIND, every=timedelta(hours=settings.SUPERVISION_SCAN_HOURS))
