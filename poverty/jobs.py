"""Background handlers of the poverty app (run by core.jobs)."""

from __future__ import annotations

from django.db import transaction

from core import jobs
from core.models import Job
from geo.models import Commune

from . import services
from .models import PovertyStandard


@transaction.atomic
def run_what_if(job: Job) -> None:
    """What-if for the job's requester, within their area: the run and the job's result
    commit together, only while the job's lease holds (core.jobs.progress)."""
    params = job.params
    commune = Commune.objects.get(pk=params["commune"]) if params.get("commune") else None
    run = services.whatif_run(
        actor=job.created_by,
        standard=PovertyStandard.objects.get(pk=params["standard"]),
        baseline=PovertyStandard.objects.get(pk=params["baseline"]),
        commune=commune,
    )
    jobs.progress(
        job,
        done=run.households,
        total=run.households,
        counts={"households": run.households, "changed": run.changed},
        report={"what_if_run": str(run.pk), "seconds": run.seconds},
    )
