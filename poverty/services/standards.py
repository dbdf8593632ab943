"""Poverty standards as versioned data: drafts, publication, revisions, and the engine's view
of a standard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access, Perm, require, require_province
from core.errors import Conflict, DomainError, InvalidInput

from .. import rules
from ..choices import Scope, StandardStatus
from ..fields import INDICATOR_FIELDS
from ..models import Indicator, PovertyStandard

_SPEC_CACHE: dict[Any, rules.StandardSpec] = {}


def standard_spec(standard: PovertyStandard, *, checked: bool = True) -> rules.StandardSpec:
    """The engine's view of a standard. Published standards never change, so it is cached.
    `checked`: every indicator's rule compiles with its parameters, or the standard is
    refused (409, naming the indicator and the parameter); reproducing a decision of engine
    1.0.0 reads its parameters as that engine did, unchecked."""
    if standard.status == StandardStatus.PUBLISHED and standard.pk in _SPEC_CACHE:
        spec = _SPEC_CACHE[standard.pk]
        if checked:
            _check_spec(standard, spec)
        return spec
    spec = rules.StandardSpec(
        code=standard.code,
        rural_line=standard.rural_line,
        urban_line=standard.urban_line,
        rural_average_max=standard.rural_average_max,
        urban_average_max=standard.urban_average_max,
        min_deprivations=standard.min_deprivations,
        average_band_unknown=standard.average_band_unknown,
        indicators=tuple(
            rules.IndicatorSpec(
                code=i.code,
                dimension=i.dimension,
                name_vi=i.name_vi,
                name_en=i.name_en,
                rule=i.rule,
                params=i.params,
            )
            for i in standard.indicators.order_by("position", "code")
        ),
    )
    if standard.status == StandardStatus.PUBLISHED:
        _SPEC_CACHE[standard.pk] = spec
    if checked:
        _check_spec(standard, spec)
    return spec


def _check_spec(
    standard: PovertyStandard, spec: rules.StandardSpec, error: type[DomainError] = Conflict
) -> None:
    """Each indicator's rule compiles with its parameters (once per spec), or `error` names
    the first indicator and parameter at fault."""
    for position, indicator in enumerate(spec.indicators):
        try:
            indicator.check  # noqa: B018  (compiles, and caches the compiled rule)
        except rules.ParamError as exc:
            reason = exc.render(gettext)
            raise error(
                gettext(
                    "Standard %(standard)s cannot be evaluated: indicator %(indicator)s, "
                    "parameter %(name)s: %(reason)s."
                )
                % {
                    "standard": standard,
                    "indicator": indicator.code,
                    "name": exc.name,
                    "reason": reason,
                },
                fields={f"indicators.{position}.params.{exc.name}": reason},
                code="standard_not_evaluable",
            ) from None


def applicable_standards(*, province_code: str, on: date) -> list[PovertyStandard]:
    """Published standards in force on the date for a household of the province: the
    national one and any provincial one, each at its latest published revision."""
    candidates = (
        PovertyStandard.objects.filter(
            Q(scope=Scope.NATIONAL) | Q(scope=Scope.PROVINCIAL, province_id=province_code),
            status=StandardStatus.PUBLISHED,
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("code", "-revision")
    )
    latest: dict[str, PovertyStandard] = {}
    for standard in candidates:
        latest.setdefault(standard.code, standard)
    return list(latest.values())


def _require_draft(standard: PovertyStandard) -> None:
    if standard.status != StandardStatus.DRAFT:
        raise Conflict(
            (
                gettext(
                    "Standard %(standard)s is published and immutable; publish a "
                    "correction as a new revision instead."
                )
                % {"standard": standard}
            ),
            code="standard_published",
        )


def _standard_province(values: Mapping[str, Any]) -> str | None:
    province = values.get("province")
    return province.code if province and values.get("scope") == Scope.PROVINCIAL else None


def _require_standards(actor, standard: PovertyStandard | None = None) -> Access:
    access = require(actor, Perm.STANDARDS_MANAGE)
    if standard is not None:
        require_province(access, standard.province_id)
    return access


def _assert_code_free(code: str) -> None:
    """A code names one standard and its revisions (new surveys use a code's latest
    revision): a new standard, or a draft renamed, cannot take a code in use, whichever
    standard holds it (the answer does not say which). A correction is a new revision."""
    if PovertyStandard.objects.filter(code=code).exists():
        raise Conflict(
            gettext(
                "Standard code %(code)s is already used; to correct a standard, make a new "
                "revision of it."
            )
            % {"code": code},
            fields={"code": gettext("Already used.")},
            code="standard_exists",
        )


@transaction.atomic
def standard_create(
    *, actor, values: dict[str, Any], indicators: Sequence[dict[str, Any]]
) -> PovertyStandard:
    require_province(_require_standards(actor), _standard_province(values))
    _validate_standard(values, indicators)
    _assert_code_free(values["code"])
    standard = PovertyStandard(revision=1, status=StandardStatus.DRAFT, **values)
    try:
        with transaction.atomic():
            standard.save()
    except IntegrityError:  # the code taken at the same moment: answered as when after it
        _assert_code_free(values["code"])
        raise
    _write_indicators(standard, indicators)
    return standard


@transaction.atomic
def standard_update(
    *,
    actor,
    standard: PovertyStandard,
    values: dict[str, Any],
    indicators: Sequence[dict[str, Any]] | None,
) -> PovertyStandard:
    standard = PovertyStandard.objects.select_for_update().get(pk=standard.pk)
    access = _require_standards(actor, standard)
    _require_draft(standard)
    merged = {
        f: getattr(standard, f)
        for f in (
            "scope",
            "province",
            "valid_from",
            "valid_to",
            "rural_line",
            "urban_line",
            "rural_average_max",
            "urban_average_max",
            "average_band_unknown",
        )
    }
    merged.update(values)
    require_province(access, _standard_province(merged))
    _validate_standard(merged, indicators)
    if values.get("code", standard.code) != standard.code:
        _assert_code_free(values["code"])
    for name, value in values.items():
        setattr(standard, name, value)
    standard.save()
    if indicators is not None:
        standard.indicators.all().delete()
        _write_indicators(standard, indicators)
    return standard


@transaction.atomic
def standard_publish(*, actor, standard: PovertyStandard) -> PovertyStandard:
    standard = PovertyStandard.objects.select_for_update().get(pk=standard.pk)
    _require_standards(actor, standard)
    _require_draft(standard)
    if not standard.indicators.exists():
        raise InvalidInput(
            gettext("A standard needs at least one indicator before it is published."),
            fields={"indicators": gettext("No indicators.")},
        )
    _check_spec(standard, standard_spec(standard, checked=False), InvalidInput)
    standard.status = StandardStatus.PUBLISHED
    standard.published_at = timezone.now()
    standard.save()
    return standard


@transaction.atomic
def standard_new_revision(*, actor, standard: PovertyStandard) -> PovertyStandard:
    """A draft copy of a standard (indicators included) to correct and publish; the new
    revision supersedes the old one from publication on. One draft at a time: asked again
    (a retry) while a revision is a draft, the answer is 409 `draft_exists`, naming it."""
    _require_standards(actor, standard)
    # The code's revisions locked, then read afresh: a new revision made at the same moment
    # is waited for and seen.
    revisions = PovertyStandard.objects.filter(code=standard.code)
    list(revisions.select_for_update().order_by("pk").values_list("pk", flat=True))
    draft = revisions.filter(status=StandardStatus.DRAFT).order_by("-revision").first()
    if draft is not None:
        raise Conflict(
            gettext("Revision %(revision)s of %(code)s is a draft: correct and publish that one.")
            % {"revision": draft.revision, "code": draft.code},
            code="draft_exists",
        )
    latest = revisions.order_by("-revision").first()
    copy = PovertyStandard.objects.get(pk=standard.pk)
    copy.pk = None
    copy.id = None
    copy._state.adding = True
    copy.revision = latest.revision + 1
    copy.status = StandardStatus.DRAFT
    copy.published_at = None
    copy.supersedes = standard
    copy.save()
    Indicator.objects.bulk_create(
        Indicator(standard=copy, **{name: getattr(i, name) for name in INDICATOR_FIELDS})
        for i in standard.indicators.all()
    )
    return copy


def _validate_standard(values: Mapping[str, Any], indicators) -> None:
    errors: dict[str, str] = {}
    if values.get("scope") == Scope.PROVINCIAL and not values.get("province"):
        errors["province"] = gettext("A provincial standard names its province.")
    if values.get("scope") == Scope.NATIONAL and values.get("province"):
        errors["province"] = gettext("A national standard has no province.")
    if values.get("valid_to") and values["valid_to"] < values["valid_from"]:
        errors["valid_to"] = gettext("Ends before it starts.")
    for area in ("rural", "urban"):
        top = values.get(f"{area}_average_max")
        if top is not None and top <= values[f"{area}_line"]:
            errors[f"{area}_average_max"] = gettext(
                "The average band's top must be above the line."
            )
    if values.get("average_band_unknown") and (
        values.get("rural_average_max") is not None or values.get("urban_average_max") is not None
    ):
        errors["average_band_unknown"] = gettext(
            "A band whose figures are not known has no band tops: empty them, or untick this."
        )
    if indicators is not None:
        codes = [i["code"] for i in indicators]
        if len(codes) != len(set(codes)):
            errors["indicators"] = gettext("Indicator codes must be unique within a standard.")
    if errors:
        raise InvalidInput(
            gettext("The standard is not consistent: %(problems)s")
            % {"problems": "; ".join(f"{k}: {v}" for k, v in errors.items())},
            fields=errors,
        )


def _write_indicators(standard: PovertyStandard, indicators: Sequence[dict[str, Any]]) -> None:
    """Write the indicators; their parameters' sources default to the rule's own (a draft's
    changed values are to be sourced by whoever changes them)."""
    Indicator.objects.bulk_create(
        Indicator(
            standard=standard,
            position=i.get("position") or n,
            **{k: v for k, v in i.items() if k not in ("position", "sources")},
            sources=i.get("sources") or rules.param_sources(i["rule"]),
        )
        for n, i in enumerate(indicators, start=1)
    )
    _SPEC_CACHE.pop(standard.pk, None)
