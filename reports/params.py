"""The filters every report takes, validated strictly (a bad value is a 400 naming the field),
and what they resolve to: the standards to show side by side, and the households counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from core.access import Access
from core.api.fields import CharField, date_problem
from geo.models import Commune, EthnicGroup
from households.choices import HouseholdStatus, MemberStatus, Relationship, Sex
from households.models import Member
from poverty.choices import Scope, StandardStatus
from poverty.models import PovertyStandard

MAX_YEARS = 30  # the longest series a `group_by=year` report draws


class DateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        problem = date_problem(day)
        if problem:
            raise serializers.ValidationError(problem)
        return day


def year_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1990, max_value=2100, **kwargs)


class FilterParams(serializers.Serializer):
    """Filters of the households a report counts (all optional)."""

    standard = CharField(
        required=False,
        max_length=40,
        help_text="Code of a poverty standard (default: the national standard in force and "
        "the province's own, side by side).",
    )
    commune = CharField(required=False, max_length=5, help_text="A commune code.")
    village = serializers.UUIDField(required=False, help_text="A village id.")
    ethnicity = CharField(
        required=False, max_length=2, help_text="Ethnic group code of the household's head."
    )
    head_sex = serializers.ChoiceField(
        choices=Sex.choices, required=False, help_text="Sex of the household's head."
    )

    def validate_standard(self, value: str) -> str:
        if not PovertyStandard.objects.filter(code=value, status=StandardStatus.PUBLISHED).exists():
            raise serializers.ValidationError(gettext("No published standard has this code."))
        return value

    def validate_commune(self, value: str) -> str:
        if not Commune.objects.filter(code=value).exists():
            raise serializers.ValidationError(gettext("No commune has this code."))
        return value

    def validate_ethnicity(self, value: str) -> str:
        if not EthnicGroup.objects.filter(code=value).exists():
            raise serializers.ValidationError(gettext("No ethnic group has this code."))
        return value


class StockParams(FilterParams):
    as_of = DateField(required=False, help_text="The date of the figures (default: today).")


class FlowParams(FilterParams):
    date_from = DateField(required=False, help_text="Start of the period (default: 1 January).")
    date_to = DateField(
        required=False, help_text="End of the period, included (default: 31 December)."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # default: the calendar year of the date given, or else of today
        year = (attrs.get("date_from") or attrs.get("date_to") or timezone.localdate()).year
        attrs.setdefault("date_from", date(year, 1, 1))
        attrs.setdefault("date_to", date(year, 12, 31))
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError(
                {"date_to": [gettext("Must not be before date_from.")]}
            )
        return attrs


def group_by_field(choices: list[str], default: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, default=default, help_text=f"Rows per: {', '.join(choices)}."
    )


# ---------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class Selection:
    """What a report's filters resolve to for one caller."""

    access: Access
    values: dict[str, Any]
    standards: list[PovertyStandard] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.standards]

    @property
    def by_head(self) -> bool:
        """Whether the households are chosen by their head (ethnic group, sex)."""
        return bool(self.values.get("ethnicity") or self.values.get("head_sex"))

    def households_q(self, prefix: str = "") -> Q:
        """Households of the caller's area matching the filters; `prefix` leads from the
        counted row to its household (`household__`, or "" on households)."""
        v = self.values
        q = self.access.area_q(f"{prefix}commune", f"{prefix}village")
        if v.get("commune"):
            q &= Q(**{f"{prefix}commune_id": v["commune"]})
        if v.get("village"):
            q &= Q(**{f"{prefix}village_id": v["village"]})
        heads = {}
        if v.get("ethnicity"):
            heads["ethnicity_id"] = v["ethnicity"]
        if v.get("head_sex"):
            heads["sex"] = v["head_sex"]
        if heads:
            head = Member.objects.filter(
                relationship=Relationship.HEAD, status=MemberStatus.PRESENT, **heads
            ).values("household_id")
            q &= Q(**{f"{prefix}id__in": head})
        return q

    def standards_json(self) -> list[dict[str, str]]:
        return [{"code": s.code, "name": s.name, "scope": s.scope} for s in self.standards]


def in_register_q(on: date, prefix: str = "") -> Q:
    """Households in the register on the date: active, or closed (moved out, merged,
    dissolved) after it."""
    return Q(**{f"{prefix}status": HouseholdStatus.ACTIVE}) | Q(**{f"{prefix}status_date__gt": on})


def status_on_q(on: date, prefix: str = "") -> Q:
    """Official status periods in force on the date: a period runs from its `valid_from` up to,
    not including, its `valid_to` (the day the next decision took effect)."""
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": on})
    )


def _provinces(access: Access) -> set[str] | None:
    """The provinces of the caller's area (None: everywhere)."""
    if access.everywhere:
        return None
    provinces = set(access.province_codes)
    provinces |= set(
        Commune.objects.filter(code__in=access.commune_codes).values_list("province_id", flat=True)
    )
    if access.village_ids:
        provinces |= set(
            Commune.objects.filter(villages__id__in=access.village_ids).values_list(
                "province_id", flat=True
            )
        )
    return provinces


def default_standards(access: Access, on: date) -> list[PovertyStandard]:
    """The national standard in force on the date, and each province's own: the latest
    published provincial standard of the caller's provinces that had started by the date
    (still in force or not: a province keeps reporting under its own until it adopts a new
    one). Of each code its latest revision."""
    published = PovertyStandard.objects.filter(status=StandardStatus.PUBLISHED, valid_from__lte=on)
    national = (
        published.filter(scope=Scope.NATIONAL)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from", "-revision")
        .first()
    )
    provincial = published.filter(scope=Scope.PROVINCIAL)
    provinces = _provinces(access)
    if provinces is not None:
        provincial = provincial.filter(province_id__in=provinces)
    own: dict[str, PovertyStandard] = {}
    for s in provincial.order_by("province_id", "-valid_from", "-revision"):
        own.setdefault(s.province_id, s)
    return ([national] if national else []) + sorted(own.values(), key=lambda s: s.code)


def standards_by_code(code: str) -> list[PovertyStandard]:
    s = (
        PovertyStandard.objects.filter(code=code, status=StandardStatus.PUBLISHED)
        .order_by("-revision")
        .first()
    )
    return [s] if s else []


def select(
    access: Access, values: dict[str, Any], *, on: date, standards: bool = True
) -> Selection:
    """The selection of a report's filters; `standards`: resolve the standards shown."""
    if not standards:
        return Selection(access=access, values=values)
    chosen = (
        standards_by_code(values["standard"])
        if values.get("standard")
        else default_standards(access, on)
    )
    return Selection(access=access, values=values, standards=chosen)


def echo(values: dict[str, Any]) -> dict[str, Any]:
    """The applied filters as JSON values."""
    out = {}
    for k, v in values.items():
        out[k] = v.isoformat() if isinstance(v, date) else str(v) if k == "village" else v
    return out
