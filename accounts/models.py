"""API tokens: one per client (a device or a system) and purpose, stored hashed.

The key is shown once, when the token is issued. The database keeps only the SHA-256 digest
of the key (a 256-bit random secret, so a plain hash is enough: there is nothing to guess)
and its first characters, which tell an officer which token is which.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.models import LoadsFast
from geo.models import Commune, Province, Village

from .choices import TokenPurpose
from .roles import Role

KEY_MARKER = "pvk_"  # makes a leaked key recognisable to secret scanners and people
PREFIX_LENGTH = len(KEY_MARKER) + 8  # kept in clear: the marker and 8 random characters


def new_key() -> str:
    """A fresh key: the marker and 256 random bits, URL-safe (no spaces: header-friendly)."""
    return KEY_MARKER + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class IssuedKey(models.Model):
    """A secret handed out once and kept as its SHA-256 digest (`key_digest`), with its first
    characters in clear, a lifetime and a revocation: an API token (ApiToken) and a DCI
    partner's access token (dci.PartnerToken)."""

    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"


class ApiToken(LoadsFast, IssuedKey):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("client"),
        max_length=100,
        help_text=_("The device or system that uses the token, e.g. “Tablet 07, Hà Lầm”."),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=TokenPurpose.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name", "purpose"],
                condition=Q(revoked_at__isnull=True),
                name="accounts_one_token_per_client_and_purpose",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="accounts_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name} ({self.get_purpose_display()})"


class UserAccess(LoadsFast, models.Model):
    """A user's role and the area they act in (provinces, communes and/or villages)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="area_access",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    provinces = models.ManyToManyField(
        Province, blank=True, related_name="+", verbose_name=_("provinces")
    )
    communes = models.ManyToManyField(
        Commune, blank=True, related_name="+", verbose_name=_("communes")
    )
    villages = models.ManyToManyField(
        Village, blank=True, related_name="+", verbose_name=_("villages")
    )
    # A new value on every change of the grant (accounts.signals): the key under which
    # accounts.roles keeps the grant's resolved area between requests.
    stamp = models.UUIDField(
        _("change stamp"),
        default=uuid.uuid4,
        editable=False,
        help_text=_("Changes with every change of the grant."),
    )
    history = AuditedRecords(m2m_fields=[provinces, communes, villages], excluded_fields=["stamp"])

    class Meta:
        verbose_name = _("user area and role")
        verbose_name_plural = _("user areas and roles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
