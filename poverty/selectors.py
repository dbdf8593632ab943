"""Read-side queries: standards in force, the poverty-status timeline, the relapse watchlist
and what-if runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext

from core.access import Access, access_digest
from core.formatting import format_vnd
from households.choices import HouseholdStatus
from households.models import Household

from .choices import Scope, StandardStatus
from .models import Assessment, OfficialStatus, PovertyStandard, StatusEvent, WhatIfRun
from .timeline import years_before


def national_standard_in_force(on: date) -> PovertyStandard | None:
    """The published national standard in force on the date (its latest revision), if any."""
    return (
        PovertyStandard.objects.filter(
            scope=Scope.NATIONAL, status=StandardStatus.PUBLISHED, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-revision")
        .first()
    )


def status_periods(household: Household) -> QuerySet[OfficialStatus]:
    """A household's official status periods, per standard, oldest first."""
    return (
        OfficialStatus.objects.filter(household=household)
        .select_related("standard")
        .order_by("standard__code", "valid_from")
    )


def relapse_watchlist(
    *,
    area: Q,
    on: date,
    years: int,
    income_margin: float,
    deprivation_margin: int,
    standard_id=None,
    commune: str | None = None,
) -> QuerySet[OfficialStatus]:
    """Households that escaped (or left voluntarily) in the last `years` and whose latest
    assessment under the same standard is close to the line: income within `income_margin`
    (a share of the line) above it, or deprivations within `deprivation_margin` of the
    minimum that makes a household poor. The latest assessment is read under any revision
    of the status's standard (a survey after a new revision is assessed under it), with that
    revision's minimum."""
    latest = Assessment.objects.filter(
        household_id=OuterRef("household_id"), standard__code=OuterRef("standard__code")
    ).order_by("-survey__survey_date", "-created_at")
    statuses = OfficialStatus.objects.filter(
        area,
        valid_to__isnull=True,
        valid_from__gte=years_before(on, years),
        event__in=[StatusEvent.ESCAPED, StatusEvent.VOLUNTARY_EXIT],
        household__status=HouseholdStatus.ACTIVE,  # a closed household cannot fall back
    )
    if standard_id:
        statuses = statuses.filter(standard_id=standard_id)
    if commune:
        statuses = statuses.filter(household__commune_id=commune)
    statuses = statuses.annotate(
        latest_income=Subquery(latest.values("income_per_person_month")[:1]),
        latest_line=Subquery(latest.values("line")[:1]),
        latest_deprivations=Subquery(latest.values("deprivation_count")[:1]),
        min_deprivations=Subquery(latest.values("standard__min_deprivations")[:1]),
    )
    near_income = Q(latest_income__lte=F("latest_line") * (1 + income_margin))
    near_deprivations = Q(latest_deprivations__gte=F("min_deprivations") - deprivation_margin)
    return statuses.filter(near_income | near_deprivations).select_related("household", "standard")


def watchlist_entry(
    status: OfficialStatus, *, income_margin: float, deprivation_margin: int
) -> dict[str, Any]:
    """One row of the relapse watchlist (`status` as `relapse_watchlist` returns it): how far
    its latest income is above the line, and why it is on the list."""
    margin = (status.latest_income - status.latest_line) / status.latest_line
    reasons = []
    if margin <= income_margin:
        reasons.append(
            gettext(
                "income %(income)s per person per month is within %(margin)s of the line of "
                "%(line)s"
            )
            % {
                "income": format_vnd(status.latest_income),
                "margin": f"{income_margin:.0%}",
                "line": format_vnd(status.latest_line),
            }
        )
    if status.latest_deprivations >= status.min_deprivations - deprivation_margin:
        reasons.append(
            gettext("%(count)s deprivations (poor from %(minimum)s)")
            % {"count": status.latest_deprivations, "minimum": status.min_deprivations}
        )
    return {
        "household": status.household_id,
        "household_code": status.household.code,
        "commune": status.household.commune_id,
        "escaped_on": status.valid_from,
        "standard_code": status.standard.code,
        "income_per_person_month": status.latest_income,
        "line": status.latest_line,
        "income_margin": round(margin, 4),
        "deprivation_count": status.latest_deprivations,
        "min_deprivations": status.min_deprivations,
        "reasons": reasons,
    }


def whatif_runs_visible(runs: QuerySet[WhatIfRun], *, access: Access, user) -> QuerySet[WhatIfRun]:
    """The what-if runs a user sees: their own; a national administrator (everywhere) all.
    Those made under the user's rights of another time are read only under those rights
    (`whatif_runs_readable`)."""
    return runs if access.everywhere else runs.filter(requested_by=user)


def whatif_runs_readable(runs: QuerySet[WhatIfRun], *, access: Access, user) -> QuerySet[WhatIfRun]:
    """The runs of `whatif_runs_visible` whose summary and changes the user may read now: a
    run of their own only while their role and area are those it was made under
    (core.access.same_rights, the rule of core.jobs.require_same_rights)."""
    own_now = Q(requested_by=user, access=access_digest(user))
    if access.everywhere:
        return runs.filter(~Q(requested_by=user) | own_now)
    return runs.filter(own_now)
