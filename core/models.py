"""Cross-cutting tables: the change feed and background jobs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.ids import new_id


class FeedCounter(models.Model):
    """One row: the last change-feed sequence number handed out. Writers take it with a row
    lock held to their commit, so sequence numbers follow commit order (core.feed)."""

    value = models.BigIntegerField(default=0, verbose_name=_("value"))

    class Meta:
        verbose_name = _("feed counter")
        verbose_name_plural = _("feed counters")

    def __str__(self) -> str:
        return str(self.value)


class ChangeEvent(models.Model):
    """A create/update/delete of a household, member, survey, assessment, official status,
    assignment or disbursement, in commit order (`seq`)."""

    seq = models.BigIntegerField(unique=True, verbose_name=_("seq"))
    at = models.DateTimeField(verbose_name=_("at"))
    entity = models.CharField(max_length=20, verbose_name=_("entity"))
    entity_id = models.UUIDField(verbose_name=_("entity id"))
    action = models.CharField(max_length=8, verbose_name=_("action"))  # created | updated | deleted
    commune = models.CharField(max_length=5, verbose_name=_("commune"))
    village = models.UUIDField(null=True, verbose_name=_("village"))
    previous_commune = models.CharField(max_length=5, null=True, verbose_name=_("previous commune"))
    previous_village = models.UUIDField(null=True, verbose_name=_("previous village"))
    channel = models.CharField(max_length=20, verbose_name=_("channel"))
    user = models.CharField(max_length=150, blank=True, verbose_name=_("user"))
    payload = models.JSONField(verbose_name=_("payload"))

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["commune", "seq"]),
            models.Index(fields=["entity", "seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.entity} {self.entity_id} {self.action}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """Background work (registry sync, what-if, exports): state, progress, counts, report.
    A job that stopped part-way resumes from `checkpoint`.

    A running job is leased (core.jobs): `lease_owner` is the one worker run allowed to
    write it, until `lease_expires_at` (renewed while it works); after that another worker
    may take it over."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    kind = models.CharField(max_length=30, verbose_name=_("kind"))
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, verbose_name=_("status")
    )
    params = models.JSONField(default=dict, verbose_name=_("params"))
    total = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("total"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    counts = models.JSONField(default=dict, verbose_name=_("counts"))
    report = models.JSONField(default=dict, verbose_name=_("report"))
    checkpoint = models.JSONField(default=dict, verbose_name=_("checkpoint"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    lease_owner = models.CharField(max_length=100, blank=True, verbose_name=_("lease owner"))
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("lease expires at")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

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


class PersonalDataRead(models.Model):
    """Who read unmasked personal data in bulk, when, through what and how many records: list
    pages of the API and the admin, the change feed and exports (core.api.views,
    core.admin, config.api.changes, households.exports). Single records are not logged;
    every change is (history)."""

    class Channel(models.TextChoices):
        LIST = "list", _("API list")
        FEED = "feed", _("Change feed")
        EXPORT = "export", _("Export")
        ADMIN = "admin", _("Admin list")

    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    resource = models.CharField(
        max_length=200,
        help_text=_("The path read, or the export kind."),
        verbose_name=_("resource"),
    )
    query = models.CharField(
        max_length=500, blank=True, help_text=_("Its filters."), verbose_name=_("query")
    )
    records = models.PositiveIntegerField(verbose_name=_("records"))

    class Meta:
        verbose_name = _("personal data read")
        verbose_name_plural = _("personal data reads")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.records} via {self.channel} at {self.at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(models.Model):
    """The response to a create sent with an `Idempotency-Key` header, kept per user and key so
    that a retry gets the same response instead of a second record (core.api.idempotency).
    Stored in the transaction of the write (a failed request stores nothing); removed once
    `expires_at` passed (IDEMPOTENCY_KEY_HOURS after it was stored) by `manage.py
    cleanup_files`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=255, verbose_name=_("key"))
    method = models.CharField(max_length=10, verbose_name=_("method"))
    path = models.CharField(max_length=255, verbose_name=_("path"))
    request_hash = models.CharField(
        max_length=64,
        help_text=_("SHA-256 of the method, path, query and canonical JSON body."),
        verbose_name=_("request hash"),
    )
    access = models.CharField(
        max_length=64,
        help_text=_(
            "SHA-256 of the user's role and area when stored: a replay under other "
            "rights is refused, so it never shows what the user's rights no longer show."
        ),
        verbose_name=_("access"),
    )
    status = models.PositiveSmallIntegerField(verbose_name=_("status"))
    response = models.JSONField(null=True, verbose_name=_("response"))
    headers = models.JSONField(
        default=dict, help_text=_("Location and ETag, when sent."), verbose_name=_("headers")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.method} {self.path} → {self.status}"
