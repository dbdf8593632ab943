"""Read-side queries: poverty-status timeline and the relapse watchlist."""

from __future__ import annotations

from datetime import date

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from .models import Assessment, OfficialStatus, StatusEvent
from .timeline import years_before


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
    minimum that makes a household poor."""
    latest = Assessment.objects.filter(
        household_id=OuterRef("household_id"), standard_id=OuterRef("standard_id")
    ).order_by("-survey__survey_date", "-created_at")
    statuses = OfficialStatus.objects.filter(
        area,
        valid_to__isnull=True,
        valid_from__gte=years_before(on, years),
        event__in=[StatusEvent.ESCAPED, StatusEvent.VOLUNTARY_EXIT],
    )
    if standard_id:
        statuses = statuses.filter(standard_id=standard_id)
    if commune:
        statuses = statuses.filter(household__commune_id=commune)
    statuses = statuses.annotate(
        latest_income=Subquery(latest.values("income_per_person_month")[:1]),
        latest_line=Subquery(latest.values("line")[:1]),
        latest_deprivations=Subquery(latest.values("deprivation_count")[:1]),
        min_deprivations=F("standard__min_deprivations"),
    )
    near_income = Q(latest_income__lte=F("latest_line") * (1 + income_margin))
    near_deprivations = Q(latest_deprivations__gte=F("min_deprivations") - deprivation_margin)
    return statuses.filter(near_income | near_deprivations).select_related("household", "standard")
