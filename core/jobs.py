"""Background jobs: one mechanism for registry sync, what-if re-assessment and exports.

A job row records state, progress, counts, a report and a checkpoint. Handlers are plain
functions `handler(job)` (named by dotted path per kind) that work in chunks, each chunk
committed with its checkpoint, so a job that stops part-way is resumed, not restarted.

Jobs never run inside an HTTP request: `enqueue` records the job (queued) and a worker runs
it. Two kinds of worker share everything below (`claim`, `execute`, `progress`):

- `manage.py run_worker` (`work`), started by `./dev serve`: polls the Job table;
- Celery on Redis when CELERY_BROKER_URL is set: `enqueue` sends the job's id after the
  commit, and the task `run_job` claims that job.

Exclusive runs. A worker takes a job with one conditional UPDATE (`claim`: queued, or
running with an expired lease) that makes it the lease owner until `lease_expires_at`. The
lease is renewed by a heartbeat thread and by every `progress` save; a worker that died
stops renewing it, and once it expires another worker takes the job over and resumes it
from its checkpoint. Every write of a run to its job row is fenced by the owner: a
`progress` save that finds the job owned by another run raises LeaseLost, which rolls back
the transaction it is in — a sync chunk saves its checkpoint inside the chunk's transaction,
so a run that lost its lease commits nothing more.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import nullcontext
from datetime import timedelta
from importlib import import_module
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from . import files
from .access import access_digest, same_rights
from .api import idempotency
from .errors import Conflict, DomainError
from .ids import new_id
from .models import Job, JobStatus

log = logging.getLogger(__name__)

# Job kinds and the dotted path of each one's handler, filled by the apps
# (AppConfig.ready → `register`): the queue names no app, and a handler is imported only
# when a job of its kind runs.
HANDLERS: dict[str, str] = {}
CLEANUP_EVERY = timedelta(hours=1)  # the polling worker's file cleanup (core.files)
# How often the polling worker looks for due periodic jobs (after its first hour): the
# shortest interval registered (the DCI notifications, 5 minutes) must not wait for an hourly
# round.
PERIODIC_CHECK = timedelta(minutes=1)
MAX_RUNS = 5  # a job whose workers died this often fails instead of being taken over again


def register(kind: str, handler: str) -> None:
    """Jobs of `kind` run `handler` (a dotted path to `handler(job)`)."""
    HANDLERS[kind] = handler


def clean_params(kind: str, params: dict[str, Any], user) -> dict[str, Any]:
    """The parameters of a job about to be queued, as its app checks them: a
    `clean_params(params, user)` beside the handler, when it has one (it raises a domain
    error, a 400, on a bad value)."""
    module, _name = HANDLERS[kind].rsplit(".", 1)
    cleaner = getattr(import_module(module), "clean_params", None)
    return cleaner(params, user) if cleaner else params


# Kinds the polling worker enqueues itself, each this often, or once a day (None), by the
# apps.
PERIODIC: dict[str, timedelta | None] = {}


def register_periodic(kind: str, *, every: timedelta | None = None) -> None:
    """The polling worker enqueues a job of `kind` (registered) every `every`; without it,
    once each day of TIME_ZONE (Vietnam's), at its first check after midnight: a day's run
    reads that day's date, and no day is skipped or run twice, whenever the worker started."""
    PERIODIC[kind] = every


def _recent(every: timedelta | None, now) -> Q:
    """Jobs created within the kind's current period: since `every` ago, or since today's
    midnight (TIME_ZONE)."""
    if every is not None:
        return Q(created_at__gt=now - every)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return Q(created_at__gte=midnight)


def enqueue_periodic(now=None) -> list[Job]:
    """A job of each periodic kind with none created in its current period (`_recent`),
    unless one is waiting or running (several workers do not pile them up)."""
    now = now or timezone.now()
    queued = []
    for kind, every in PERIODIC.items():
        with transaction.atomic():
            recent = Job.objects.filter(kind=kind).filter(
                Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]) | _recent(every, now)
            )
            if not recent.exists():
                queued.append(enqueue(kind, {}))
    return queued


class LeaseLost(Exception):
    """Another worker run took the job over (this run's lease expired): stop, write nothing."""


class Stopping(Exception):
    """The worker is stopping (SIGTERM): the job goes back to the queue at its checkpoint."""


_stopping = threading.Event()


def lease() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def new_owner() -> str:
    """A name for one run of one job: host, process, and a token of its own."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _abandoned(now) -> Q:
    """Running, but its worker stopped renewing the lease."""
    return Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)


# ---------------------------------------------------------------------------- queueing


def require_room(user) -> None:
    """409 `too_many_jobs` when `user` already has JOBS_MAX_PENDING_PER_USER jobs queued or
    running: one caller cannot fill the workers' queue (exports of a whole area, registry
    files, what-ifs, scans). Jobs without a requester (the worker's own) are not counted.
    In a transaction (always so in `enqueue`), the user's row is locked to its end first, so
    that two requests at the same moment count one after the other: the second sees the
    first's job."""
    if user is None or getattr(user, "pk", None) is None:
        return
    if connection.in_atomic_block:
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    limit = settings.JOBS_MAX_PENDING_PER_USER
    pending = Job.objects.filter(
        created_by=user, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).count()
    if pending >= limit:
        raise Conflict(
            gettext(
                "You have %(count)s background jobs queued or running; at most %(limit)s. "
                "Wait for one to finish (GET /api/v1/jobs/) and start this again."
            )
            % {"count": pending, "limit": limit},
            code="too_many_jobs",
        )


def enqueue(kind: str, params: dict[str, Any], user=None, *, job_id=None) -> Job:
    """Record a queued job (with `job_id` when its files are already named after it), with
    the rights of its requester (`access`, see `require_same_rights`) and its language
    (`params["language"]`: the request's, Vietnamese for the worker's own jobs). A requester
    may have no more than JOBS_MAX_PENDING_PER_USER queued or running (`require_room`)."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    # The worker has no request: the job's messages (its report's reasons, its error) are
    # written in the language of the one that queued it (`execute`).
    language = params.get("language") or translation.get_language() or settings.LANGUAGE_CODE
    params = {**params, "language": language}
    with transaction.atomic():  # the lock of require_room held until the job is written
        require_room(user)
        job = Job.objects.create(
            id=job_id or new_id(),
            kind=kind,
            params=params,
            created_by=user,
            access=access_digest(user) if user is not None else "",
        )
    wake(job)
    return job


def wake(job: Job) -> None:
    """Tell a worker about a queued job: Celery gets its id after the commit; the polling
    worker finds it by itself."""
    if settings.CELERY_BROKER_URL:
        job_id = str(job.pk)
        transaction.on_commit(lambda: run_job.delay(job_id))


def requeue(job: Job) -> bool:
    """Put a failed job, or one whose worker's lease expired, back in the queue (it resumes
    from its checkpoint). False when a live run holds it or it already succeeded."""
    requeued = (
        Job.objects.filter(pk=job.pk)
        .filter(Q(status=JobStatus.FAILED) | _abandoned(timezone.now()))
        .update(status=JobStatus.QUEUED, lease_owner="", lease_expires_at=None, finished_at=None)
    )
    job.refresh_from_db()
    if requeued or job.status == JobStatus.QUEUED:
        wake(job)
        return True
    return False


# ---------------------------------------------------------------------------- results


def require_same_rights(user, *, owner_id, digest: str, again: str) -> None:
    """409 `job_rights_changed` unless a result that the user `owner_id` had computed under
    the rights `digest` (core.access.access_digest: a job's `access`, a what-if run's) may
    be handed to `user` now (core.access.same_rights): a result made under other rights
    never shows what the user's rights no longer show, as an idempotent replay does not.
    `again`: where to run it again, for the message."""
    if not same_rights(user, owner_id=owner_id, digest=digest):
        raise Conflict(
            gettext(
                "Your role or area changed since this was computed: its result is no longer "
                "handed out. Run it again (%(again)s)."
            )
            % {"again": again},
            code="job_rights_changed",
        )


def rights_changed(job: Job, user) -> bool:
    """True when the job's result (file, report, counts) is not for `user` now (above)."""
    return not same_rights(user, owner_id=job.created_by_id, digest=job.access)


def _record_rights_of_run(job: Job) -> None:
    """The rights a job's result is made under are its requester's when a worker runs it
    (the handler reads them), not necessarily when it was queued: a first run records those;
    a later run (resumed, taken over) under rights other than the earlier run's would make a
    result of two rights, recorded as none (never handed out to its requester)."""
    if job.created_by is None:
        return
    now = access_digest(job.created_by)
    if now == job.access:
        return
    job.access = now if job.attempts <= 1 else ""
    Job.objects.filter(pk=job.pk, lease_owner=job.lease_owner).update(access=job.access)


# ---------------------------------------------------------------------------- running


class JobError(Exception):
    """A failure whose message is written for the job's reader (a partner's callback that
    refused the answer, ...): stored as the job's error as it is, as a domain error's is.
    Any other exception is a defect or an outage: logged whole, and the job's error names
    only its kind (its text may be a database's, quoting rows of any area)."""


def _language(params: dict[str, Any]) -> str:
    """The job's language: that of the request that queued it (Vietnamese for a job queued
    before jobs recorded it)."""
    return params.get("language") or settings.LANGUAGE_CODE


def _in_requesters_language(params: dict[str, Any], message: str, **values: Any) -> str:
    """`message` translated into the job's language, as its handler would write it."""
    with translation.override(_language(params)):
        return gettext(message) % values


def _worker_lost(params: dict[str, Any]) -> str:
    """The error of a job whose workers died MAX_RUNS times."""
    return _in_requesters_language(
        params,
        gettext_noop("Its worker stopped answering %(count)s times; resume it to try again."),
        count=MAX_RUNS,
    )


def _crashed(params: dict[str, Any], exc: Exception) -> str:
    """The error of a job its handler did not expect: what the requester may read of it."""
    return _in_requesters_language(
        params,
        gettext_noop(
            "An unexpected error (%(kind)s) stopped the job; the administrators can read it "
            "in the server's log. Resume the job to try again."
        ),
        kind=type(exc).__name__,
    )


def claim(job_id=None, *, owner: str | None = None) -> Job | None:
    """Take a job for one run: the given one, or the oldest waiting. One conditional UPDATE
    (queued, or abandoned by its worker), so two workers never both get it. A job whose
    workers died MAX_RUNS times (out of memory?) fails instead, not to block the queue."""
    owner = owner or new_owner()
    waiting = Job.objects.filter(Q(status=JobStatus.QUEUED) | _abandoned(timezone.now()))
    if job_id is not None:
        waiting = waiting.filter(pk=job_id)
    for pk, params in list(waiting.order_by("created_at", "id").values_list("pk", "params")[:10]):
        now = timezone.now()
        if Job.objects.filter(_abandoned(now), pk=pk, attempts__gte=MAX_RUNS).update(
            status=JobStatus.FAILED,
            error=_worker_lost(params),
            finished_at=now,
            lease_owner="",
            lease_expires_at=None,
        ):
            continue
        taken = Job.objects.filter(Q(status=JobStatus.QUEUED) | _abandoned(now), pk=pk).update(
            status=JobStatus.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + lease(),
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
            error="",
        )
        if taken:
            return Job.objects.select_related("created_by").get(pk=pk)
    return None


def execute(job: Job, *, heartbeat: bool = True) -> None:
    """Run a job this run has claimed, to success, failure, or back to the queue."""
    module, name = HANDLERS[job.kind].rsplit(".", 1)
    handler = getattr(import_module(module), name)
    log.info("job %s (%s): run %s, attempt %s", job.pk, job.kind, job.lease_owner, job.attempts)
    try:
        _record_rights_of_run(job)
        beat = _Heartbeat(job) if heartbeat else nullcontext()
        with beat, translation.override(_language(job.params)):
            handler(job)
    except LeaseLost:
        log.warning("job %s: lease lost to another worker; this run stops", job.pk)
    except Stopping:
        log.info("job %s: worker stopping; back to the queue at its checkpoint", job.pk)
        _release(job, status=JobStatus.QUEUED)
    except (DomainError, JobError) as exc:
        log.warning("job %s failed: %s", job.pk, exc)
        _release(job, status=JobStatus.FAILED, error=str(exc)[:2000])
    except Exception as exc:
        log.exception("job %s failed", job.pk)
        _release(job, status=JobStatus.FAILED, error=_crashed(job.params, exc))
    else:
        _release(job, status=JobStatus.SUCCEEDED)


def _release(job: Job, *, status: str, error: str = "") -> None:
    """The run's last write to its job (fenced like every other)."""
    finished = None if status == JobStatus.QUEUED else timezone.now()
    Job.objects.filter(pk=job.pk, lease_owner=job.lease_owner).update(
        status=status, error=error, finished_at=finished, lease_owner="", lease_expires_at=None
    )


def progress(job: Job, **fields: Any) -> None:
    """Save progress (done, total, counts, report, checkpoint) and renew the lease. Inside
    a transaction it commits with it. Raises LeaseLost (rolling that transaction back) when
    another run owns the job now."""
    saved = Job.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, lease_owner=job.lease_owner
    ).update(**fields, lease_expires_at=timezone.now() + lease())
    if not saved:
        raise LeaseLost(f"job {job.pk} is no longer owned by {job.lease_owner!r}")
    for name, value in fields.items():
        setattr(job, name, value)


def check_stop() -> None:
    """Raise Stopping if the worker was asked to stop. Handlers call it between units of
    work, outside their transactions (a chunk in flight is not lost)."""
    if _stopping.is_set():
        raise Stopping()


def request_stop() -> None:
    _stopping.set()


class _Heartbeat:
    """Renews the lease every third of it from a thread of its own (its own connection),
    so that a long step between progress saves does not lose the job."""

    def __init__(self, job: Job):
        self.job = job
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat {job.pk}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def _run(self) -> None:
        try:
            while not self.done.wait(lease().total_seconds() / 3):
                try:
                    renewed = Job.objects.filter(
                        pk=self.job.pk, status=JobStatus.RUNNING, lease_owner=self.job.lease_owner
                    ).update(lease_expires_at=timezone.now() + lease())
                except DatabaseError:
                    log.warning("job %s: heartbeat failed; trying again", self.job.pk)
                    continue
                if not renewed:
                    return  # taken over; the run's next progress save stops it
        finally:
            connection.close()


# ---------------------------------------------------------------------------- workers


def work(*, poll: float = 1.0, heartbeat: bool = True, until_empty: bool = False) -> int:
    """The polling worker (`manage.py run_worker`): claim the oldest waiting job, run it,
    again, until asked to stop (`request_stop`) or, with `until_empty`, until no job is
    waiting. Removes expired files and idempotency keys every CLEANUP_EVERY, and, from
    CLEANUP_EVERY after it starts, every PERIODIC_CHECK queues the periodic jobs that are due
    (`register_periodic`; each kind at most once per its own interval, whatever the number of
    workers). Returns the number of runs."""
    runs = 0
    next_cleanup = timezone.now()
    # The first periodic jobs an hour after the worker starts: a worker started to drain the
    # queue (or restarted often) does not add work of its own.
    next_periodic = next_cleanup + CLEANUP_EVERY
    while not _stopping.is_set():
        if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
            close_old_connections()
        if not until_empty and timezone.now() >= next_cleanup:
            next_cleanup = timezone.now() + CLEANUP_EVERY
            try:
                files.cleanup()
                idempotency.purge()
            except Exception:
                log.exception("worker: the file cleanup failed; next time in an hour")
        if not until_empty and timezone.now() >= next_periodic:
            next_periodic = timezone.now() + PERIODIC_CHECK
            try:
                enqueue_periodic()
            except Exception:
                log.exception("worker: the periodic jobs could not be queued; trying again")
        try:
            job = claim()
        except DatabaseError:
            if until_empty:
                raise
            log.exception("worker: cannot reach the database; trying again")
            _stopping.wait(poll)
            continue
        if job is None:
            if until_empty:
                break
            _stopping.wait(poll)
            continue
        try:
            execute(job, heartbeat=heartbeat)
        except DatabaseError:  # its lease runs out; the job is taken over
            if until_empty:
                raise
            log.exception("worker: job %s: cannot reach the database", job.pk)
        runs += 1
    return runs


@shared_task(bind=True, name="config.run_job", max_retries=None)
def run_job(self, job_id: str) -> None:
    """Celery: run the job if it can be claimed. While another run holds a live lease, look
    again when it would expire (that run may have died); a finished job is left alone (the
    message came twice)."""
    job = claim(job_id)
    if job is not None:
        execute(job)
        return
    held = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).values_list(
        "lease_expires_at", flat=True
    )
    if held and held[0] is not None:
        wait = (held[0] - timezone.now()).total_seconds()
        raise self.retry(countdown=max(wait, 0) + 1)


def send_unfinished() -> int:
    """Celery: send every queued or running job again (a worker starting up does this, for
    the jobs of a worker that died and messages that were lost). Claims keep runs
    exclusive."""
    ids = list(
        Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        run_job.delay(str(pk))
    return len(ids)
