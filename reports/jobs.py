"""The daily compaction of the maintained household counts (kind `report_counts_compact`):
the polling worker enqueues one a day (core.jobs.register_periodic); `manage.py
report_counts` runs it at once."""

from __future__ import annotations

from core import jobs
from core.models import Job

from . import counts


def run_compact(job: Job) -> None:
    before, after = counts.compact() if counts.maintained() else (0, 0)
    jobs.progress(job, done=1, total=1, counts={"rows_before": before, "rows_after": after})
