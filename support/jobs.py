"""Background handlers of the support app (run by core.jobs)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction

from core import jobs
from core.models import Job
from geo.models import Commune

from . import services
from .models import SupportPackage

# Households proposed per transaction: a chunk's proposals commit with the job's checkpoint
# (the results so far), so a job that stops part-way resumes after its last whole chunk.
CHUNK = 100


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(row["outcome"] for row in rows)
    return {outcome: counted[outcome] for outcome in ("proposed", "skipped", "rejected")}


def run_bulk_propose(job: Job) -> None:
    """A bulk proposal for the job's requester, within their area: the finished job's
    report holds one row per household (`results`: the qualifying households by code, then
    those that held the package already), its counts how many were proposed, skipped and
    rejected. A job resumed after a stop proposes to no household twice: the households of
    its committed chunks are in its checkpoint, and are not proposed to again."""
    actor = job.created_by
    params = job.params
    wanted = {
        "actor": actor,
        "package": SupportPackage.objects.get(pk=params["package"]),
        "commune": Commune.objects.get(pk=params["commune"]),
        "period": params["period"],
    }
    state = job.checkpoint or {"already": services.bulk_already(**wanted), "results": []}
    results: list[dict[str, Any]] = state["results"]
    done = {row["household"] for row in results}
    todo = [h for h in services.bulk_candidates(**wanted) if str(h.pk) not in done]
    total = len(results) + len(todo)
    del wanted["commune"]
    for start in range(0, len(todo), CHUNK):
        jobs.check_stop()
        with transaction.atomic():
            results += [
                services.bulk_propose_one(household=h, **wanted)
                for h in todo[start : start + CHUNK]
            ]
            jobs.progress(
                job,
                done=len(results),
                total=total,
                counts=_counts(results),
                checkpoint={"already": state["already"], "results": results},
            )
    rows = results + state["already"]
    jobs.progress(job, done=total, total=total, counts=_counts(rows), report={"results": rows})
