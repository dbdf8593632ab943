"""Read-side queries shared by the API and the admin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.access import Access
from core.audit import HISTORY_BOOKKEEPING
from core.feed import Area

from .models import DuplicateCandidate, Household, Member

_HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
_SKIP = HISTORY_BOOKKEEPING | {"id", "version", "updated_at", "created_at"}


def household_area(household_id) -> Area:
    """Where a household is (its commune and village): where its records' changes happen."""
    commune, village = Household.objects.values_list("commune_id", "village_id").get(
        pk=household_id
    )
    return Area(commune, village)


def duplicates_in_area(queryset: QuerySet[DuplicateCandidate], access: Access) -> QuerySet:
    """The possible duplicates `access` may see: found in its area, with both people still in
    it. A pair shows both people's personal data side by side; once one of them has moved out
    of the area (a member moved, a household moved, a registry sync), the pair is for those
    whose area holds both (the API and the admin list it so; dismissing checks it too)."""
    return queryset.filter(
        access.area_q("commune", None),
        access.area_q("member_a__household__commune", "member_a__household__village"),
        access.area_q("member_b__household__commune", "member_b__household__village"),
    )


def _diff(old: Any, new: Any, fields: list[str]) -> list[dict[str, Any]]:
    changes = []
    for name in fields:
        before = getattr(old, name, None) if old is not None else None
        after = getattr(new, name)
        if old is None and after in (None, ""):
            continue
        if before != after:
            changes.append(
                {"field": name.removesuffix("_id"), "old": _plain(before), "new": _plain(after)}
            )
    return changes


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _merged_family(household: Household) -> set[Any]:
    """The household and every household merged into it (directly or through others)."""
    ids, frontier = {household.pk}, {household.pk}
    while frontier:
        frontier = (
            set(Household.objects.filter(merged_into__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return ids


def household_history(household: Household) -> list[dict[str, Any]]:
    """Every recorded change to the household, to the households merged into it, and to
    anyone while they were a member of one of them; newest first, each with who, when,
    channel, reason and old → new per field."""
    household_ids = _merged_family(household)
    entries: list[dict[str, Any]] = []
    member_ids = set(
        Member.history.filter(household_id__in=household_ids).values_list("id", flat=True)
    )
    sources = [
        ("household", Household.history.filter(id__in=household_ids)),
        ("member", Member.history.filter(id__in=member_ids)),
    ]
    for object_type, records in sources:
        model = records.model
        fields = [f.attname for f in model._meta.fields if f.attname not in _SKIP]
        previous: dict[Any, Any] = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            old = previous.get(record.id)
            previous[record.id] = record
            if (
                object_type == "member"
                and record.household_id not in household_ids
                and (old is None or old.household_id not in household_ids)
            ):
                continue  # a change made while the person lived in another household
            entries.append(
                {
                    "at": record.history_date,
                    "object_type": object_type,
                    "object_id": record.id,
                    "change": _HISTORY_TYPES[record.history_type],
                    "user": record.history_user.username if record.history_user else None,
                    "channel": record.history_channel,
                    "reason": record.history_change_reason,
                    "changes": _diff(old, record, fields),
                }
            )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries
