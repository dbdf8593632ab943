"""The files of background jobs under MEDIA_ROOT: uploaded registry files, sync reports,
exports. They hold personal data, so:

- they are private to the server's user: directories 0700, files 0600 (`open_private`),
  whatever the umask;
- each belongs to a job: its name starts with the job's id (`registry-sync/<job>.csv`,
  `exports/<job>.csv`), or the job's `params.path` names it;
- they expire FILE_RETENTION_HOURS after their job finished (`expired`): downloads answer
  410 from then on, and `cleanup()` (`manage.py cleanup_files`, also run by the worker)
  removes them, with orphans — files no job refers to, e.g. an upload whose request failed
  — once they are older than ORPHAN_GRACE (a request may still be committing its job).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from .errors import Gone
from .models import Job

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
ORPHAN_GRACE = timedelta(hours=1)


def root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def media_path(relative: str) -> Path:
    """`relative` under MEDIA_ROOT (never outside it)."""
    base = root()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError(f"{relative} is not under MEDIA_ROOT.")
    return path


def relative(path: Path) -> str:
    return str(path.resolve().relative_to(root()))


def private_dir(directory: Path) -> Path:
    """Create `directory` (under MEDIA_ROOT) and the directories between, each 0700."""
    current = root()
    for part in ("", *directory.resolve().relative_to(current).parts):
        current = current / part
        current.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if current.stat().st_mode & 0o777 != DIR_MODE:
            current.chmod(DIR_MODE)
    return directory


def open_private(path: Path, mode: str = "w", **kwargs) -> IO:
    """Open `path` for writing (`w`, `wb`, `a`, `ab`), created 0600 in a private directory."""
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an older file, or a umask that took bits away
    return os.fdopen(fd, mode, **kwargs)


def retention() -> timedelta:
    return timedelta(hours=settings.FILE_RETENTION_HOURS)


def expired(job: Job, now: datetime | None = None) -> bool:
    """Whether the job's files are past their retention (kept while the job is unfinished)."""
    return job.finished_at is not None and job.finished_at + retention() <= (now or timezone.now())


def require_kept(job: Job) -> None:
    """410 once the job's files expired."""
    if expired(job):
        raise Gone(
            (
                ngettext(
                    "This job's files were kept %(hours)s hour after it "
                    "finished and have been removed; start it again.",
                    "This job's files were kept %(hours)s hours after it "
                    "finished and have been removed; start it again.",
                    round(settings.FILE_RETENTION_HOURS),
                )
                % {"hours": f"{settings.FILE_RETENTION_HOURS:g}"}
            ),
            code="file_expired",
        )


def job_file(job: Job, path: Path) -> Path:
    """A file of the job, to hand out: 410 once it expired (or was removed)."""
    require_kept(job)
    if not path.is_file():
        raise Gone(
            gettext("This job's file has been removed; start it again."), code="file_expired"
        )
    return path


@dataclass
class Cleaned:
    expired: int = 0
    orphans: int = 0


def _job_id(path: Path) -> uuid.UUID | None:
    try:
        return uuid.UUID(path.name.split(".", 1)[0])
    except ValueError:
        return None


def cleanup(now: datetime | None = None) -> Cleaned:
    """Remove the files of jobs past their retention, and orphans older than ORPHAN_GRACE."""
    now = now or timezone.now()
    base = root()
    if not base.is_dir():
        return Cleaned()
    files = [p for p in base.rglob("*") if p.is_file()]
    ids = {p: _job_id(p) for p in files}
    finished = dict(
        Job.objects.filter(pk__in={i for i in ids.values() if i}).values_list("pk", "finished_at")
    )
    owned = {p: finished[ids[p]] for p in files if ids[p] in finished}  # file: finished_at
    rest = {relative(p): p for p in files if p not in owned}
    named = Job.objects.filter(params__path__in=list(rest))
    for rel, done in named.values_list("params__path", "finished_at"):
        owned[rest[rel]] = done
    cleaned = Cleaned()
    for path in files:
        if path in owned:
            done = owned[path]
            if done is None or done + retention() > now:
                continue
            cleaned.expired += 1
        else:
            if datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) > now - ORPHAN_GRACE:
                continue
            cleaned.orphans += 1
        path.unlink(missing_ok=True)
        log.info("removed %s", path)
    return cleaned
