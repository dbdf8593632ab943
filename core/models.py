"""Cross-cutting tables (the change feed, background jobs, audit records), and how every
model's rows are loaded (`LoadsFast`)."""

from django.conf import settings
from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.ids import new_id


class LoadsFast:
    """A model mixin: rows read from the database become instances without `Model.__init__`.

    `Model.from_db` builds each row through `__init__`, which sets every column through its
    descriptor and sends `pre_init` and `post_init`: 5 µs a member, about a tenth of a list
    page of 50 households and their members (issue 15). Here the loaded columns are put in
    the instance's `__dict__` directly (Django documents `field_names` as the loaded columns,
    in the order of `values`; a column not loaded stays deferred, as before). While a
    receiver listens to `pre_init` or `post_init` for the model, or the model has an
    `__init__` of its own, Django's own `from_db` runs, so that they run as before.

    Every model of the project loads so, and every history table (core.audit.AuditedHistory);
    tests/test_loading.py checks that none is left out."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if (
            cls.__init__ is not models.Model.__init__
            or pre_init.has_listeners(cls)
            or post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        new.__dict__.update(zip(field_names, values, strict=True))
        return new


class FeedCounter(LoadsFast, models.Model):
    """One row: the last change-feed sequence number handed out. Writers take it with a row
    lock held to their commit, as late as they can, so sequence numbers follow commit order
    (core.feed)."""

    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("feed counter")
        verbose_name_plural = _("feed counters")

    def __str__(self) -> str:
        return str(self.value)


class ChangeEvent(LoadsFast, models.Model):
    """A create/update/delete of a household, member, survey, assessment, official status,
    assignment or disbursement, in commit order (`seq`)."""

    # Null only inside the writing transaction, on PostgreSQL: numbered at its commit (core.feed).
    seq = models.BigIntegerField(_("seq"), unique=True, null=True)
    at = models.DateTimeField(_("at"))
    entity = models.CharField(_("entity"), max_length=20)
    entity_id = models.UUIDField(_("entity ID"))
    action = models.CharField(_("action"), max_length=8)  # created | updated | deleted
    commune = models.CharField(_("commune"), max_length=5)
    village = models.UUIDField(_("village"), null=True)
    previous_commune = models.CharField(_("previous commune"), max_length=5, null=True)
    previous_village = models.UUIDField(_("previous village"), null=True)
    channel = models.CharField(_("channel"), max_length=20)
    user = models.CharField(_("user"), max_length=150, blank=True)
    payload = models.JSONField(_("payload"))

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["commune", "seq"]),
            models.Index(fields=["entity", "seq"]),
            # A transaction's own events still to be numbered at its commit (core.feed).
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="core_event_unnumbered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.entity} {self.entity_id} {self.action}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Job(LoadsFast, models.Model):
    """Background work (registry sync, what-if, exports): state, progress, counts, report.
    A job that stopped part-way resumes from `checkpoint`.

    A running job is leased (core.jobs): `lease_owner` is the one worker run allowed to
    write it, until `lease_expires_at` (renewed while it works); after that another worker
    may take it over."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("kind"), max_length=30)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    params = models.JSONField(_("params"), default=dict)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    report = models.JSONField(_("report"), default=dict)
    checkpoint = models.JSONField(_("checkpoint"), default=dict)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_owner = models.CharField(_("lease owner"), max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    access = models.CharField(
        _("access"),
        max_length=64,
        blank=True,
        default="",
        help_text=_(
            "SHA-256 of the requester's role and area the job's result was made under: it is "
            "handed out only under the same rights (empty: a job from before they were "
            "recorded, never handed out)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "id"]
        indexes = [
            # The workers' claim: the few jobs waiting or running, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="job_claimable",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"


class PersonalDataRead(LoadsFast, models.Model):
    """Who read unmasked personal data in bulk, when, through what and how many records: list
    pages of the API and the admin, the admin's search boxes, the change feed, exports and DCI
    partners' searches (core.api.views, core.admin, core.admin_site, integrations.api.changes,
    households.exports, dci.views). Single records are not logged; every change is (history)."""

    class Channel(models.TextChoices):
        LIST = "list", _("API list")
        FEED = "feed", _("Change feed")
        EXPORT = "export", _("Export")
        ADMIN = "admin", _("Admin list")
        DCI = "dci", _("DCI partner")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    resource = models.CharField(
        _("resource"), max_length=200, help_text=_("The path read, or the export kind.")
    )
    query = models.CharField(_("query"), max_length=500, blank=True, help_text=_("Its filters."))
    records = models.PositiveIntegerField(_("records"))

    class Meta:
        verbose_name = _("personal data read")
        verbose_name_plural = _("personal data reads")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.records} via {self.channel} at {self.at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(LoadsFast, models.Model):
    """The response to a create sent with an `Idempotency-Key` header, kept per user and key so
    that a retry gets the same response instead of a second record (core.api.idempotency).
    Stored in the transaction of the write (a failed request stores nothing); removed once
    `expires_at` passed (IDEMPOTENCY_KEY_HOURS after it was stored) by `manage.py
    cleanup_files`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    request_hash = models.CharField(
        _("request hash"),
        max_length=64,
        help_text=_("SHA-256 of the method, path, query and canonical JSON body."),
    )
    access = models.CharField(
        _("access"),
        max_length=64,
        help_text=_(
            "SHA-256 of the user's role and area when stored: a replay under other "
            "rights is refused, so it never shows what the user's rights no longer show."
        ),
    )
    status = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("response"), null=True)
    headers = models.JSONField(
        _("headers"), default=dict, help_text=_("Location and ETag, when sent.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.method} {self.path} → {self.status}"
