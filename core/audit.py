"""Who changed what, through which channel: the context every history record reads.

django-simple-history writes the rows; this module tells it the acting user and the channel
(admin, API, field app, registry sync, system command) of the change in progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.access import Perm, access_for
from core.models import LoadsFast
from core.personal import showing


class Channel(models.TextChoices):
    ADMIN = "admin", _("Admin site")
    API = "api", _("API")
    FIELD_APP = "field_app", _("Field app")
    REGISTRY_SYNC = "registry_sync", _("Home Affairs registry sync")
    SYSTEM = "system", _("System / command")


@dataclass(frozen=True)
class AuditContext:
    user: object = None
    channel: str = Channel.SYSTEM


_DEFAULT = AuditContext()
_current: ContextVar[AuditContext] = ContextVar("audit_context", default=_DEFAULT)


def current() -> AuditContext:
    return _current.get()


@contextmanager
def acting(user, channel: str) -> Iterator[None]:
    token = _current.set(AuditContext(user=user, channel=channel))
    try:
        yield
    finally:
        _current.reset(token)


def begin(user, channel: str):
    """Set the context until `end(token)`; for request cycles that cannot use `with`."""
    return _current.set(AuditContext(user=user, channel=channel))


def end(token) -> None:
    _current.reset(token)


def record_personal_read(user, channel: str, resource: str, records: int, query: str = "") -> None:
    """Note that `user` read `records` records with personal data unmasked, in bulk."""
    from core.models import PersonalDataRead

    if records and getattr(user, "pk", None):
        PersonalDataRead.objects.create(
            user=user, channel=channel, resource=resource[:200], query=query[:500], records=records
        )


def history_user(instance, request, **kwargs):
    """simple-history's `get_user`: the acting user of the current context."""
    explicit = getattr(instance, "_history_user", None)
    if explicit is not None:
        return explicit
    user = current().user
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


class AuditedHistory(LoadsFast, models.Model):
    """Extra columns on every historical table."""

    history_channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.SYSTEM
    )

    class Meta:
        abstract = True


class ChannelMiddleware:
    """Marks changes made through the admin site with the admin channel and user, and lets
    admin pages show personal data only to roles that may read it (core.personal)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            personal = access_for(request.user).can(Perm.VIEW_PERSONAL)
            with acting(request.user, Channel.ADMIN), showing(personal):
                return self.get_response(request)
        return self.get_response(request)


# The bookkeeping columns of a history record (not values of the tracked row): the feed's
# payloads, the household history and the sync's set-based history writes all leave them out.
HISTORY_BOOKKEEPING = frozenset(
    {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user",
        "history_user_id",
        "history_channel",
    }
)


class AuditedRecords(HistoricalRecords):
    """simple-history's records with our channel column and acting user, indexed only where
    history is read: by the tracked row's id, plus the fields named in `indexed`.

    simple-history copies every index of the tracked model (foreign keys, unique fields) into
    its history table; each would be written on every change and read by no query here
    (history is always looked up by row: households.selectors.household_history).
    """

    def __init__(self, *, indexed: tuple[str, ...] = (), **kwargs):
        kwargs.setdefault("bases", [AuditedHistory])
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)
        self.indexed = {"id", *indexed}

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name not in self.indexed:
                field.db_index = False
        return fields
