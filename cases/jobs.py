"""The daily case run as a background job (kind `cases_daily`): the polling worker enqueues
one a day (core.jobs.register_periodic), `manage.py cases_daily` runs it at once."""

from __future__ import annotations

from core import jobs
from core.models import Job

from .services import run_daily


def run_cases_daily(job: Job) -> None:
    result = run_daily()
    jobs.progress(
        job,
        done=1,
        total=1,
        counts={
            "opened": result.opened,
            "closed": result.closed,
            "visits_scheduled": result.visits_scheduled,
        },
    )
