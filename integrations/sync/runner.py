"""Running a sync: records in chunks (each one transaction, started again after a concurrent
change, split when the database refuses it), the background job with its checkpoint, and
the uploaded file and report file a job keeps."""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext, ngettext

from core import files, jobs
from core.ids import new_id
from core.locking import lost_to_another_writer
from core.models import Job
from households.search import merge_pending_index_entries

from . import apart, formats
from .planner import Planner
from .records import (
    CREATED,
    OUTCOMES,
    REJECTED,
    UPDATED,
    Context,
    InHousehold,
    Outcome,
    SyncReport,
    error,
    in_file_order,
    prepare,
)
from .stages import Stages
from .state import State, load_state
from .writes import ConcurrentChange, write_plan

CHUNK_SIZE = 5000
MAX_ATTEMPTS = 3  # a chunk that met a concurrent change is started again this often

MEDIA_DIR = "registry-sync"
REPORT_SAMPLE = 100  # rejected records kept in job.report (all of them are in the report file)

ReadState = Callable[[list[InHousehold]], State]


def _sync_chunk(
    records: list[InHousehold], ctx: Context, dry_run: bool, read_state: ReadState
) -> list[Outcome]:
    """Plan the chunk (re-planning without the records found to be rejected) and write it."""
    with ctx.stages("read"):
        state = read_state(records)
    ids: dict = {}
    rejected: dict[int, Outcome] = {}
    while True:
        active = [r for r in records if r.index not in rejected]
        with ctx.stages("plan"):
            planner = Planner(ctx, state, active, ids).run()
        if not planner.rejected:
            break
        rejected.update(planner.rejected)
    if not dry_run:
        write_plan(planner, ctx)
    outcomes = list(planner.outcomes.values()) + list(rejected.values())
    if dry_run:
        for outcome in outcomes:
            if outcome.outcome == CREATED:
                outcome.household = outcome.code = None  # not issued by a dry run
    return outcomes


def _integrity_reason(exc: IntegrityError) -> str:
    """Why the database refused a record (a race lost on a unique or check constraint), in
    the active language; the constraint's name, a code, when the driver tells it."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    said = gettext(
        "The record conflicts with data written meanwhile by another change; nothing of it "
        "was written."
    )
    return f"{said} ({constraint})" if constraint else said


def _run_chunk(
    records: list[InHousehold], ctx: Context, dry_run: bool, read_state: ReadState
) -> list[Outcome]:
    """The chunk in a savepoint; started again after a concurrent change, or after the
    database stopped it for another writer (a deadlock, core.locking); split in halves when
    the database refuses it (a race lost on a unique constraint) until the record at fault
    is found and rejected."""
    if not records:
        return []
    for _ in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                outcomes = _sync_chunk(records, ctx, dry_run, read_state)
                if dry_run:
                    transaction.set_rollback(True)
                return outcomes
        except ConcurrentChange:
            continue
        except OperationalError as exc:
            if lost_to_another_writer(exc):
                continue  # the savepoint is undone, with its locks: the other writer goes on
            raise
        except IntegrityError as exc:
            if len(records) == 1:
                record = records[0]
                return [
                    Outcome(
                        record.index,
                        record.external_id,
                        REJECTED,
                        errors=[error("record", "integrity_conflict", _integrity_reason(exc))],
                    )
                ]
            half = len(records) // 2
            return _run_chunk(records[:half], ctx, dry_run, read_state) + _run_chunk(
                records[half:], ctx, dry_run, read_state
            )
    raise ConcurrentChange(
        ngettext(
            "Rows kept changing during %(attempts)s attempt; try again.",
            "Rows kept changing during %(attempts)s attempts; try again.",
            MAX_ATTEMPTS,
        )
        % {"attempts": MAX_ATTEMPTS}
    )


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for one chunk. A chunk allocates some 300,000
    containers that all live to its end (records, rows read, planned rows); each collection
    walks them again for nothing: a quarter of the chunk's Python time in a first load. What
    the chunk leaves behind is freed by reference counting, and the next collection after it
    finds any cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _prepared_here(
    items: Iterator[tuple[int, Any]], ctx: Context, chunk_size: int
) -> Iterator[apart.Prepared]:
    """(accepted, rejected, next index) per chunk, read and validated in this process."""
    while True:
        with ctx.stages("parse"):
            batch = list(itertools.islice(items, chunk_size))
        if not batch:
            return
        with ctx.stages("validate"):
            accepted, rejected = prepare(batch, ctx)
        yield accepted, rejected, batch[-1][0] + 1


# ---------------------------------------------------------------------------- entry points


def sync_records(
    records: Iterable[Any],
    *,
    actor,
    dry_run: bool = False,
    chunk_size: int | None = None,
    start: int = 0,
    on_chunk: Callable[[list[Outcome], int, dict[str, int]], None] | None = None,
    keep_outcomes: bool = True,
    read_state: ReadState = load_state,
    stages: Stages | None = None,
    validate_apart: bool = False,
) -> SyncReport:
    """Sync registry records (dicts, see the module docstring) as `actor`, chunk by chunk.

    Each chunk is one transaction (a savepoint inside an outer transaction); `on_chunk(
    outcomes, next_index, chunk_counts)` runs inside it, after its writes, so that a job's
    checkpoint commits with the chunk. Records are numbered from `start`. Records that repeat
    each other's IDs are applied in the file's order, wherever chunks begin (`in_file_order`).
    A dry run plans and reports as a real run but writes nothing, so a record that repeats an
    earlier record's IDs is planned without that record's changes. `chunk_size` records make
    a chunk (default CHUNK_SIZE). `read_state(records)` is the chunk's read of the register
    (load_state); a test passes a wrapper of it to play a writer that races the chunk.
    The seconds each stage took are added to `stages` (integrations.sync.stages), which the
    report keeps (`report.stages`). `validate_apart`: the records are read and validated by
    a second process, ahead of the writes (integrations.sync.apart; for a job's large file).
    """
    ctx = Context.build(actor)
    if stages is not None:
        ctx.stages = stages
    report = SyncReport(dry_run=dry_run, stages=ctx.stages)
    items = enumerate(records, start)
    chunk_size = chunk_size or CHUNK_SIZE

    if validate_apart:
        chunks = apart.prepared_apart(items, ctx, chunk_size, jobs.check_stop)
    else:
        chunks = _prepared_here(items, ctx, chunk_size)
    try:
        while True:
            with _no_cyclic_gc():
                prepared = next(chunks, None)
                if prepared is None:
                    break
                accepted, rejected, next_index = prepared
                with transaction.atomic():
                    outcomes = list(rejected)
                    for records in in_file_order(accepted):
                        outcomes += _run_chunk(records, ctx, dry_run, read_state)
                    outcomes.sort(key=lambda o: o.index)
                    counts = Counter(o.outcome for o in outcomes)
                    chunk_counts = {name: counts.get(name, 0) for name in OUTCOMES}
                    for name, value in chunk_counts.items():
                        report.counts[name] += value
                    if keep_outcomes:
                        report.outcomes.extend(outcomes)
                    if on_chunk is not None:
                        with ctx.stages("checkpoint"):
                            on_chunk(outcomes, next_index, chunk_counts)
                    written = time.perf_counter()
                ctx.stages.add("commit", time.perf_counter() - written)
    finally:
        chunks.close()  # a second process stops with the job
    return report


def upload_path(job_id, fmt: str) -> str:
    """Where an uploaded registry file is kept (under MEDIA_ROOT), named after its job."""
    return f"{MEDIA_DIR}/{job_id}.{fmt}"


def stage_upload(
    content: bytes | Iterable[bytes],
    fmt: str,
    *,
    actor,
    dry_run: bool = False,
    chunk_size: int | None = None,
) -> Job:
    """Keep a registry file (bytes, or the chunks of an upload) where its job reads it, named
    after the job (core.files), and queue the "registry_sync" job that syncs it as
    `actor`. `chunk_size` records make a chunk (default CHUNK_SIZE). The job reports in the
    active language (the request's), kept in its params."""
    if fmt not in formats.FORMATS:
        raise formats.MalformedFile(
            gettext("Unknown format %(fmt)s; one of %(join)s.")
            % {"fmt": f"{fmt!r}", "join": ", ".join(formats.FORMATS)}
        )
    jobs.require_room(actor)  # before the file is written
    job_id = new_id()
    relative = upload_path(job_id, fmt)
    with files.open_private(files.media_path(relative), "wb") as stream:
        for part in [content] if isinstance(content, bytes) else content:
            stream.write(part)
    params: dict[str, Any] = {
        "path": relative,
        "format": fmt,
        "dry_run": dry_run,
    }
    if chunk_size is not None:
        params["chunk_size"] = chunk_size
    return jobs.enqueue("registry_sync", params, actor, job_id=job_id)


def report_path(job: Job) -> Path:
    """The job's report (NDJSON: every rejected record, and every record with conflicts or
    notes), next to the uploaded file."""
    return files.media_path(f"{MEDIA_DIR}/{job.pk}.report.ndjson")


def _keep_report_lines_before(path: Path, next_record: int) -> None:
    """On resume: drop what a chunk that did not commit had written to the report."""
    with open(path, encoding="utf-8") as stream:
        kept = [line for line in stream if line.strip() and json.loads(line)["index"] < next_record]
    with files.open_private(path, "w", encoding="utf-8") as stream:
        stream.writelines(kept)


def read_report(job: Job) -> Iterator[dict[str, Any]]:
    path = report_path(job)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def run_job(job: Job) -> None:
    """core.jobs handler for "registry_sync": params {path (under MEDIA_ROOT), format
    (json | ndjson | csv), dry_run, chunk_size (default CHUNK_SIZE)}. The report, its
    rejected records' reasons and notes, and the error of a failed run are in the language
    of the request that started it (core.jobs runs every handler so). Resumes from
    checkpoint["next_record"]. Each chunk commits on its own with its checkpoint (fenced by
    the job's lease: a run that lost it rolls the chunk back and stops); the chunk's report
    lines are appended once the checkpoint is saved, and a resumed run first drops the lines
    of a chunk that never committed."""
    params = job.params
    path = files.media_path(params["path"])
    fmt = params.get("format") or formats.detect_format(path.name)
    dry_run = bool(params.get("dry_run"))
    start = int((job.checkpoint or {}).get("next_record", 0))
    counts = {name: int((job.counts or {}).get(name, 0)) if start else 0 for name in OUTCOMES}
    total = job.total
    stages = Stages()
    if total is None:
        with stages("count"):
            total = formats.count_records(path, fmt)
        jobs.progress(job, total=total)
    report_file = report_path(job)
    files.open_private(report_file, "a").close()
    _keep_report_lines_before(report_file, start)

    def on_chunk(outcomes: list[Outcome], next_index: int, chunk_counts: dict[str, int]) -> None:
        for name, value in chunk_counts.items():
            counts[name] += value
        jobs.progress(
            job,
            done=next_index,
            total=total,
            counts=dict(counts),
            checkpoint={"next_record": next_index},
        )
        lines = [
            json.dumps(o.as_dict(), ensure_ascii=False, default=str) + "\n"
            for o in outcomes
            if o.outcome == REJECTED or o.conflicts or o.notes
        ]
        if lines:
            with files.open_private(report_file, "a", encoding="utf-8") as stream:
                stream.writelines(lines)

    def records() -> Iterator[Any]:
        for record in itertools.islice(formats.read_records(path, fmt), start, None):
            jobs.check_stop()  # between records: outside the chunks' transactions
            yield record

    sync_records(
        records(),
        actor=job.created_by,
        dry_run=dry_run,
        chunk_size=params.get("chunk_size"),
        start=start,
        on_chunk=on_chunk,
        keep_outcomes=False,
        stages=stages,
        validate_apart=apart.available() and total - start >= apart.APART_MIN_RECORDS,
    )
    if not dry_run and (counts[CREATED] or counts[UPDATED]):
        with stages("search indexes"):
            merge_pending_index_entries()  # searchable at once, not after autovacuum
    rejected = [r for r in read_report(job) if r["outcome"] == REJECTED]
    conflicts = sum(1 for r in read_report(job) if r["conflicts"])
    jobs.progress(
        job,
        done=total,
        report={
            "dry_run": dry_run,
            "format": fmt,
            "counts": dict(counts),
            "rejected_total": len(rejected),
            "rejected": rejected[:REPORT_SAMPLE],
            "records_with_conflicts": conflicts,
            "report_file": files.relative(report_file),
            "rejected_csv": f"/api/v1/registry-sync/{job.pk}/rejected.csv",
            # wall-clock seconds per stage (integrations.sync.stages) of this run: since it
            # resumed, for a job that was interrupted
            "stage_seconds": stages.as_dict(),
        },
    )
