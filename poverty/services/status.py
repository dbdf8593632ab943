"""Official statuses: set only by an approved assessment, as periods with their event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from core.errors import Conflict

from .. import timeline
from ..choices import Classification
from ..models import Application, Assessment, OfficialStatus, StatusEvent

# Called with each new official status, in its transaction: the apps above (cases) react to
# a household becoming poor, escaping or relapsing without this app knowing them.
_listeners: list[Callable[[OfficialStatus], None]] = []


def on_official_status(listener: Callable[[OfficialStatus], None]) -> None:
    """Register `listener` to be called with every official status recorded."""
    if listener not in _listeners:
        _listeners.append(listener)


MAX_INDICATORS = 63  # the bits of OfficialStatus.deprived_mask


def indicator_columns(indicators: list[dict[str, Any]]) -> dict[str, Any]:
    """An assessment's `indicators` as its official status's copy: `indicator_codes` and
    `deprived_mask`."""
    if len(indicators) > MAX_INDICATORS:
        raise ValueError(f"More than {MAX_INDICATORS} indicators.")
    if any("," in i["code"] for i in indicators):
        raise ValueError("An indicator code holds a comma.")
    return {
        "indicator_codes": ",".join(i["code"] for i in indicators),
        "deprived_mask": sum(1 << n for n, i in enumerate(indicators) if i["deprived"] is True),
    }


def _apply_official_status(a: Assessment) -> OfficialStatus:
    on = a.decision_date
    current = (
        OfficialStatus.objects.select_for_update()
        .filter(household_id=a.household_id, standard_id=a.standard_id, valid_to__isnull=True)
        .first()
    )
    if current is not None and on <= current.valid_from:
        raise Conflict(
            (
                gettext(
                    "A later decision (%(valid_from)s) already sets this household's "
                    "status under this standard."
                )
                % {"valid_from": current.valid_from}
            ),
            code="superseded",
        )
    voluntary = a.application == Application.VOLUNTARY_EXIT
    new_class = Classification.NOT_POOR if voluntary else a.classification
    window_start = timeline.years_before(on, settings.POVERTY_RELAPSE_YEARS)
    escaped_recently = OfficialStatus.objects.filter(
        household_id=a.household_id,
        standard_id=a.standard_id,
        event__in=[StatusEvent.ESCAPED, StatusEvent.VOLUNTARY_EXIT],
        valid_from__gte=window_start,
    ).exists()
    event = timeline.status_event(
        previous=current.classification if current else None,
        new=new_class,
        voluntary=voluntary,
        escaped_within_window=escaped_recently,
    )
    if current is not None:
        current.valid_to = on
        current.save(update_fields=["valid_to"])
    status = OfficialStatus.objects.create(
        household_id=a.household_id,
        standard_id=a.standard_id,
        classification=new_class,
        valid_from=on,
        assessment=a,
        event=event,
        deprivation_count=a.deprivation_count,
        **indicator_columns(a.indicators),
    )
    for listener in _listeners:
        listener(status)
    return status
