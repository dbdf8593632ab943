"""Cross-cutting tables: the change feed and background jobs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.ids import new_id


class FeedCounter(models.Model):
    """One row: the last change-feed sequence number handed out. Writers take it with a row
    lock held to their commit, so sequence numbers follow commit order (core.feed)."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class ChangeEvent(models.Model):
    """A create/update/delete of a household, member, survey, assessment, official status,
    assignment or disbursement, in commit order (`seq`)."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    entity = models.CharField(max_length=20)
    entity_id = models.UUIDField()
    action = models.CharField(max_length=8)  # created | updated | deleted
    commune = models.CharField(max_length=5)
    village = models.UUIDField(null=True)
    previous_commune = models.CharField(max_length=5, null=True)
    previous_village = models.UUIDField(null=True)
    channel = models.CharField(max_length=20)
    user = models.CharField(max_length=150, blank=True)
    payload = models.JSONField()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["commune", "seq"]),
            models.Index(fields=["entity", "seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.entity} {self.entity_id} {self.action}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """Background work (registry sync, what-if, exports): state, progress, counts, report.
    A job that stopped part-way resumes from `checkpoint`.

    A running job is leased (core.jobs): `lease_owner` is the one worker run allowed to
    write it, until `lease_expires_at` (renewed while it works); after that another worker
    may take it over."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict)
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    checkpoint = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        LIST = "list", "API list"
        FEED = "feed", "Change feed"
        EXPORT = "export", "Export"
        ADMIN = "admin", "Admin list"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    resource = models.CharField(max_length=200, help_text="The path read, or the export kind.")
    query = models.CharField(max_length=500, blank=True, help_text="Its filters.")
    records = models.PositiveIntegerField()

    class Meta:
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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path, query and canonical JSON body."
    )
    access = models.CharField(
        max_length=64,
        help_text="SHA-256 of the user's role and area when stored: a replay under other "
        "rights is refused, so it never shows what the user's rights no longer show.",
    )
    status = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True)
    headers = models.JSONField(default=dict, help_text="Location and ETag, when sent.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.method} {self.path} → {self.status}"
