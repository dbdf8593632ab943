from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import personal
from core.audit import AuditedRecords
from core.ids import new_id
from geo.models import Commune, EthnicGroup, Village

from .choices import (
    DuplicateReason,
    DuplicateStatus,
    HouseholdStatus,
    MemberStatus,
    Relationship,
    Sex,
    Source,
)
from .identity import CITIZEN_ID_PATTERN, EXTERNAL_ID_PATTERN, PHONE_PATTERN


class Household(models.Model):
    # What a register write may set (the code, status and version are the register's own):
    # the services, the API serializers and the admin all take this list.
    EDITABLE = ("external_id", "commune", "village", "address", "phone", "latitude", "longitude")
    PERSONAL_FIELDS = frozenset({"address", "phone", "latitude", "longitude", "external_id"})
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    code = models.CharField(
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("Human-readable code: <commune code>-<number in the commune>."),
        verbose_name=_("code"),
    )
    external_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text=_("The Home Affairs registry's household ID (unique when present)."),
        verbose_name=_("external id"),
    )
    # Looked up through the (commune, code) and (village, code) indexes below.
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,
        verbose_name=_("commune"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        db_index=False,
        verbose_name=_("village"),
    )
    address = models.CharField(max_length=255, verbose_name=_("address"))
    phone = models.CharField(max_length=20, blank=True, verbose_name=_("phone"))
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        verbose_name=_("latitude"),
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        verbose_name=_("longitude"),
    )
    source = models.CharField(max_length=20, choices=Source.choices, verbose_name=_("source"))
    status = models.CharField(
        max_length=12,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.ACTIVE,
        verbose_name=_("status"),
    )
    status_reason = models.CharField(max_length=255, blank=True, verbose_name=_("status reason"))
    status_date = models.DateField(null=True, blank=True, verbose_name=_("status date"))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        db_index=False,  # a partial index below: only merged households have one
        verbose_name=_("merged into"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    search_text = models.TextField(
        editable=False,
        default="",
        help_text=_("Folded code, address, member names and citizen IDs, for search."),
        verbose_name=_("search text"),
    )
    registry_snapshot = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The registry-owned values (commune, address) the Home Affairs registry sent "
            "last; a sync compares them with the current values to tell local edits apart "
            "(integrations.sync)."
        ),
        verbose_name=_("registry snapshot"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords(
        excluded_fields=["search_text", "registry_snapshot"],
    )

    # Indexes are written on every insert (a province's registry sync writes 400,000 rows):
    # each one here is read by a query, and unique keys that are only matched exactly are
    # constraints, which PostgreSQL indexes without the extra LIKE index Django adds to a
    # unique CharField (`code` keeps it: the code filter matches by prefix).
    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["commune", "code"]),
            models.Index(fields=["village", "code"]),
            models.Index(fields=["updated_at"]),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="household_merged_into",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="household_unique_external_id"),
            models.CheckConstraint(
                condition=Q(external_id__isnull=True)
                | Q(external_id__regex=EXTERNAL_ID_PATTERN.pattern),
                name="household_external_id_ascii",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN.pattern),
                name="household_phone_ascii_digits",
            ),
            models.CheckConstraint(
                condition=Q(status=HouseholdStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=HouseholdStatus.MERGED) & Q(merged_into__isnull=True)),
                name="household_merged_into_iff_merged",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="household_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="household_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Member(models.Model):
    EDITABLE = (  # what a register write may set: services, serializers and admin
        "full_name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "relationship",
        "citizen_id",
        "status",
        "status_date",
    )
    PERSONAL_FIELDS = frozenset({"full_name", "date_of_birth", "citizen_id", "external_id"})
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    household = models.ForeignKey(  # looked up through the (household, relationship) index
        Household,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
        verbose_name=_("household"),
    )
    full_name = models.CharField(max_length=150, verbose_name=_("full name"))
    name_folded = models.CharField(
        max_length=150, editable=False, db_index=False, verbose_name=_("name folded")
    )
    date_of_birth = models.DateField(verbose_name=_("date of birth"))
    sex = models.CharField(max_length=6, choices=Sex.choices, verbose_name=_("sex"))
    ethnicity = models.ForeignKey(  # a plain index below (codes are never matched by LIKE)
        EthnicGroup,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("ethnicity"),
    )
    relationship = models.CharField(
        max_length=16, choices=Relationship.choices, verbose_name=_("relationship")
    )
    citizen_id = models.CharField(
        max_length=12,
        null=True,
        blank=True,
        unique=True,
        help_text=_("12-digit citizen ID (CCCD); optional, unique when present."),
        verbose_name=_("citizen id"),
    )
    status = models.CharField(
        max_length=10,
        choices=MemberStatus.choices,
        default=MemberStatus.PRESENT,
        verbose_name=_("status"),
    )
    status_date = models.DateField(null=True, blank=True, verbose_name=_("status date"))
    external_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text=_("The Home Affairs registry's person ID (unique when present)."),
        verbose_name=_("external id"),
    )
    registry_snapshot = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The registry-owned values (identity, relationship, household) the Home "
            "Affairs registry sent last (integrations.sync)."
        ),
        verbose_name=_("registry snapshot"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords(
        excluded_fields=["name_folded", "registry_snapshot"],
        indexed=("household",),  # a household's history includes its members'
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["name_folded", "date_of_birth"]),
            models.Index(fields=["household", "relationship"]),
            models.Index(fields=["ethnicity"]),  # the member list's ethnicity filter
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="member_unique_external_id"),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relationship=Relationship.HEAD, status=MemberStatus.PRESENT),
                name="member_one_present_head",
            ),
            models.CheckConstraint(
                condition=Q(citizen_id__isnull=True)
                | Q(citizen_id__regex=CITIZEN_ID_PATTERN.pattern),
                name="member_citizen_id_ascii_digits",
            ),
            models.CheckConstraint(
                condition=Q(external_id__isnull=True)
                | Q(external_id__regex=EXTERNAL_ID_PATTERN.pattern),
                name="member_external_id_ascii",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name if personal.shown() else f"member {str(self.pk)[:8]}"


class DuplicateCandidate(models.Model):
    """Two members that may be the same person, for an officer to review."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    member_a = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member a")
    )
    member_b = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member b")
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    reason = models.CharField(
        max_length=20, choices=DuplicateReason.choices, verbose_name=_("reason")
    )
    status = models.CharField(
        max_length=10,
        choices=DuplicateStatus.choices,
        default=DuplicateStatus.OPEN,
        verbose_name=_("status"),
    )
    detected_at = models.DateTimeField(auto_now_add=True, verbose_name=_("detected at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.CharField(
        max_length=255, blank=True, verbose_name=_("resolution note")
    )

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-detected_at", "id"]
        indexes = [models.Index(fields=["commune", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member_a", "member_b", "reason"], name="duplicate_pair_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id} ~ {self.member_b_id} ({self.reason})"


def member_columns() -> tuple[str, ...]:
    """The columns of a member's visible facts (its household and `Member.EDITABLE`, as
    attnames, and its registry ID): what set-based writers read and compare."""
    editable = (Member._meta.get_field(name).attname for name in Member.EDITABLE)
    return ("household_id", *editable, "external_id")
