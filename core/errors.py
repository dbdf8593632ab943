"""Domain errors: raised by services, turned into problem-details responses in one place
(core.api.errors). Services never raise HTTP exceptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """`extra`: members the problem-details body carries beside the standard ones (e.g. the
    steps `allowed` after a refused workflow step); documented in core.api.schema."""

    status = 400
    code = "invalid"
    title = _("Invalid request")

    def __init__(
        self,
        detail: str,
        *,
        fields: dict[str, list[str] | str] | None = None,
        code: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.fields = {
            k: [v] if isinstance(v, str | Promise) else list(v) for k, v in (fields or {}).items()
        }
        self.extra = dict(extra or {})
        if code:
            self.code = code


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (400)."""


class NotAllowed(DomainError):
    status = 403
    code = "permission_denied"
    title = _("Not allowed")


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""

    status = 409
    code = "conflict"
    title = _("Conflict")


class VersionRequired(DomainError):
    """An update did not say which version it was based on (428)."""

    status = 428
    code = "version_required"
    title = _("Version required")

    def __init__(self):
        super().__init__(
            _(
                "Updates must say which version they are based on: an If-Match header "
                '(`If-Match: "3"`) or a `version` field.'
            ),
            fields={"version": _("Required for updates.")},
        )


class StaleVersion(Conflict):
    """The record changed since the version the update was based on.

    409 when the version came in the body; the API answers 412 when it came in If-Match.
    """

    code = "stale_version"
    title = _("The record has changed")

    def __init__(self, *, expected: int, current: int):
        super().__init__(
            _(
                "The update was based on version %(expected)s, but the record is at version "
                "%(current)s. Re-read it and apply your change again."
            )
            % {"expected": expected, "current": current},
            fields={"version": _("Current version is %(current)s.") % {"current": current}},
        )
        self.current = current


def check_version(current: int, expected: int | None) -> None:
    """Optimistic concurrency: every update names the version it was based on."""
    if expected is None:
        raise VersionRequired()
    if current != expected:
        raise StaleVersion(expected=expected, current=current)


class Gone(DomainError):
    """The resource existed but is kept no longer, e.g. an expired export (410)."""

    status = 410
    code = "gone"
    title = _("Gone")
