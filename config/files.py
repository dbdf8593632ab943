"""The files of background jobs under MEDIA_ROOT: uploaded registry files, sync reports,
exports. They hold personal data, so:

- they are private to the server's user: directories 0700, files 0600 (`open_private`),
  whatever the umask;
- each belongs to a job: its name starts with the job's id (`registry-sync/<job>.csv`,
  `exports/<job>.csv`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from django.conf import settings

DIR_MODE = 0o700
FILE_MODE = 0o600


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
