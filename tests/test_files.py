"""Job files: private on disk."""

import os

import pytest

from config import files


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


@pytest.fixture
def loose_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_files_are_private_whatever_the_umask(media, loose_umask):
    path = files.media_path("registry-sync/deep/x.csv")
    with files.open_private(path, "w") as out:
        out.write("x")
    assert path.stat().st_mode & 0o777 == 0o600
    for directory in (media, media / "registry-sync", media / "registry-sync" / "deep"):
        assert directory.stat().st_mode & 0o777 == 0o700
    path.chmod(0o644)  # an older file is made private again when written
    with files.open_private(path, "a") as out:
        out.write("y")
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == "xy"
    with pytest.raises(ValueError):
        files.media_path("../outside.csv")
