"""DCI partners (client systems), their access tokens, and the log of every DCI call.

A partner is bound to a service user: the user's grant (`accounts.UserAccess`: role and
area) decides what the partner may read, exactly as for any other client. The partner adds
what the DCI protocol needs: scopes, the callback URIs it registered, and its signing key.
Client secrets and access tokens are kept only as SHA-256 digests (like `accounts.ApiToken`:
256-bit random secrets, nothing to guess) with a short prefix in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import IssuedKey
from core.ids import new_id
from core.models import LoadsFast


class Scope(models.TextChoices):
    SEARCH = "registry.search", _("Search (sync and async, transaction status)")
    SUBSCRIBE = "registry.subscribe", _("Subscribe to changes (notify)")


class Partner(LoadsFast, models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    client_id = models.CharField(_("OAuth client ID"), max_length=64, unique=True, editable=False)
    secret_prefix = models.CharField(_("secret prefix"), max_length=12, editable=False)
    secret_digest = models.CharField(_("secret digest"), max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dci_partner",
        verbose_name=_("service user"),
        help_text=_("The partner reads what this user's role and area allow."),
    )
    sender_id = models.CharField(
        _("sender ID"),
        max_length=100,
        unique=True,
        help_text=_("The `sender_id` the partner puts in its message headers."),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    callback_uris = models.JSONField(
        _("callback URIs"),
        default=list,
        blank=True,
        help_text=_("The only addresses answers are sent to (exact match of sender_uri)."),
    )
    public_key = models.TextField(
        _("public key"),
        blank=True,
        help_text=_("The partner's Ed25519 signing key (PEM). Signatures are checked when set."),
    )
    signature_required = models.BooleanField(_("signature required"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("DCI partner")
        verbose_name_plural = _("DCI partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signature_required=False) | ~Q(public_key=""),
                name="dci_signature_required_needs_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class PartnerToken(LoadsFast, IssuedKey):
    """A bearer token from `/dci/oauth2/client/token` (client credentials), expiring."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("partner")
    )
    scopes = models.JSONField(_("scopes"), default=list)

    class Meta:
        verbose_name = _("DCI access token")
        verbose_name_plural = _("DCI access tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.partner.name}"


class Transaction(LoadsFast, models.Model):
    """One DCI call, as received and as answered: who, what, and what was returned (counts
    and record ids, never the records). Its id is the `correlation_id` of the answer."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("partner")
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20)
    sync = models.BooleanField(_("sync"), default=True)
    message_id = models.CharField(_("message ID"), max_length=100)
    transaction_id = models.CharField(_("transaction ID"), max_length=99, blank=True)
    # ack (accepted, answer to follow), succ (answered), err (refused as a whole)
    status = models.CharField(_("status"), max_length=4)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    sender_uri = models.CharField(_("callback URI"), max_length=500, blank=True)
    # Per request of the batch: reference_id, status, status_reason_code, total_count.
    outcomes = models.JSONField(_("outcomes"), default=list)
    records = models.PositiveIntegerField(_("records returned"), default=0)
    record_ids = models.JSONField(_("record IDs returned"), default=list)
    # The message of an async call, kept until its answer was delivered (then emptied).
    request = models.JSONField(_("request"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("answer delivered"), null=True, blank=True)
    job = models.ForeignKey(
        "core.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("callback job"),
    )

    class Meta:
        verbose_name = _("DCI transaction")
        verbose_name_plural = _("DCI transactions")
        ordering = ["-at"]
        indexes = [models.Index(fields=["partner", "transaction_id"])]
        constraints = [
            # A message is acted on once: a repeated message_id is refused, not run again.
            models.UniqueConstraint(
                fields=["partner", "message_id"],
                condition=~Q(status="err"),
                name="dci_message_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.action} {self.transaction_id} ({self.status})"


class Subscription(LoadsFast, models.Model):
    """A partner following households: those a filter names (an identifier or a predicate,
    as in a search), notified on `registry/notify` when one of them changes. Its id is the
    subscription code the partner unsubscribes with."""

    id = models.UUIDField(_("code"), primary_key=True, default=new_id, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("partner")
    )
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="+", verbose_name=_("subscribed by")
    )
    reference_id = models.CharField(_("reference ID"), max_length=99, blank=True)
    reg_event_type = models.CharField(_("event type"), max_length=40, blank=True)
    filter_type = models.CharField(_("filter type"), max_length=20)
    filter = models.JSONField(_("filter"))
    notify_record_type = models.CharField(_("record type"), max_length=20, default="Group")
    callback_uri = models.CharField(_("notify URI"), max_length=500)
    # The change feed's last sequence number already considered (core.feed).
    cursor = models.BigIntegerField(_("feed cursor"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("DCI subscription")
        verbose_name_plural = _("DCI subscriptions")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.pk} ({self.partner_id})"
