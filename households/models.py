from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import personal
from core.audit import AuditedRecords
from core.ids import new_id
from core.models import LoadsFast
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
from .identity import (
    CITIZEN_ID_PATTERN,
    EXTERNAL_ID_CHECK,
    EXTERNAL_ID_MAX_LENGTH,
    PHONE_PATTERN,
)


def external_id_is_ascii() -> Q:
    """The CHECK of a registry ID (households.identity.EXTERNAL_ID_PATTERN): visible ASCII,
    1 to 64 characters, the length checked apart from the pattern (EXTERNAL_ID_CHECK)."""
    return Q(external_id__regex=EXTERNAL_ID_CHECK) & Q(
        LessThanOrEqual(Length("external_id"), EXTERNAL_ID_MAX_LENGTH)
    )


class Household(LoadsFast, models.Model):
    # What a register write may set (the code, status and version are the register's own):
    # the services, the API serializers and the admin all take this list.
    EDITABLE = ("external_id", "commune", "village", "address", "phone", "latitude", "longitude")
    PERSONAL_FIELDS = frozenset({"address", "phone", "latitude", "longitude", "external_id"})
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("Human-readable code: <commune code>-<number in the commune>."),
    )
    external_id = models.CharField(
        _("external ID"),
        max_length=EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text=_("The Home Affairs registry's household ID (unique when present)."),
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
    address = models.CharField(_("address"), max_length=255)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)
    status_date = models.DateField(_("status date"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        db_index=False,  # a partial index below: only merged households have one
        verbose_name=_("merged into"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    search_text = models.TextField(
        _("search text"),
        editable=False,
        default="",
        help_text=_("The folded words of the address, for search (households.search)."),
    )
    registry_snapshot = models.JSONField(
        _("registry snapshot"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The registry-owned values (commune, address) the Home Affairs registry sent "
            "last; a sync compares them with the current values to tell local edits apart "
            "(integrations.sync)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords(excluded_fields=["search_text", "registry_snapshot"])

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
            models.Index(fields=["phone"], name="household_phone"),  # search: the whole number
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="household_merged_into",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="household_unique_external_id"),
            models.CheckConstraint(
                condition=Q(external_id__isnull=True) | external_id_is_ascii(),
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
        """The code, and the head's name where the viewer may read personal data and the
        query annotated it (`head_name`: households.admin, no query per row here)."""
        head = getattr(self, "head_name", None)
        return f"{self.code} — {head}" if head and personal.shown() else self.code


class Member(LoadsFast, models.Model):
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
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(  # looked up through the (household, relationship) index
        Household,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
        verbose_name=_("household"),
    )
    full_name = models.CharField(_("full name"), max_length=150)
    name_folded = models.CharField(
        _("name (folded, for search)"), max_length=150, editable=False, db_index=False
    )
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    ethnicity = models.ForeignKey(  # a plain index below (codes are never matched by LIKE)
        EthnicGroup,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("ethnicity"),
    )
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    citizen_id = models.CharField(
        _("citizen ID"),
        max_length=12,
        null=True,
        blank=True,
        unique=True,
        help_text=_("12-digit citizen ID (CCCD); optional, unique when present."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.PRESENT
    )
    status_date = models.DateField(_("status date"), null=True, blank=True)
    external_id = models.CharField(
        _("external ID"),
        max_length=EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text=_("The Home Affairs registry's person ID (unique when present)."),
    )
    registry_snapshot = models.JSONField(
        _("registry snapshot"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The registry-owned values (identity, relationship, household) the Home "
            "Affairs registry sent last (integrations.sync)."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords(
        excluded_fields=["name_folded", "registry_snapshot"],
        indexed=("household",),  # a household's history includes its members'
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["id"]
        indexes = [
            # Possible duplicates (equal folded name and birth date) and, in the pattern
            # operator class, search's "the name starts with the query" (LIKE 'query%': a
            # range of this index whatever the database's collation).
            models.Index(
                fields=["name_folded", "date_of_birth"],
                opclasses=["varchar_pattern_ops", "date_ops"],
                name="member_name_birth",
            ),
            # A household's people; and, in the pattern operator class, a name search within
            # an area (the plan probes each household of the area for names starting with the
            # query inside this index, instead of reading every member: bench/plans.py).
            models.Index(
                fields=["household", "name_folded"],
                opclasses=["uuid_ops", "varchar_pattern_ops"],
                name="member_household_name",
            ),
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
                condition=Q(external_id__isnull=True) | external_id_is_ascii(),
                name="member_external_id_ascii",
            ),
        ]

    def __str__(self) -> str:
        if personal.shown():
            return self.full_name
        return gettext("member %(id)s") % {"id": str(self.pk)[:8]}


class DuplicateCandidate(LoadsFast, models.Model):
    """Two members that may be the same person, for an officer to review."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    member_a = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member A")
    )
    member_b = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member B")
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=DuplicateReason.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    detected_at = models.DateTimeField(_("detected at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.CharField(_("resolution note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-detected_at", "id"]
        indexes = [models.Index(fields=["commune", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member_a", "member_b", "reason"], name="duplicate_pair_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_a} ~ {self.member_b} ({self.get_reason_display()})"


def member_columns() -> tuple[str, ...]:
    """The columns of a member's visible facts (its household and `Member.EDITABLE`, as
    attnames, and its registry ID): what set-based writers read and compare."""
    editable = (Member._meta.get_field(name).attname for name in Member.EDITABLE)
    return ("household_id", *editable, "external_id")
