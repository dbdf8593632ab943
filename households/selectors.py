"""Read-side queries shared by the API and the admin."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

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


# A household code (`<commune>-<number>`, households.twins) in a history reason: "Moved from
# household 01234-000001", "Merged into …", "Received members of …", or in the free text an
# officer gave.
HOUSEHOLD_CODE = re.compile(r"\b\d{5}-\d{6}\b")
# What a reason says instead of the code of a household outside the reader's area.
OUTSIDE_AREA = gettext_lazy("[outside your area]")
# The fields of the history rows that hold a household's id (a member's household, the
# household a merged one went into).
HOUSEHOLD_FIELDS = {
    model: {f.attname for f in model._meta.fields if f.related_model is Household}
    for model in (Household, Member)
}


def households_in_area(access: Access, ids: set[Any], codes: set[str]) -> tuple[set[Any], set[str]]:
    """Which of these households (by id, by code) are in the reader's area, by where they are
    now (a household keeps its code when it moves commune; a village grant is not its
    commune): one query. A code or id that names no household is not in it either (hidden
    like one elsewhere)."""
    if not ids and not codes:
        return set(), set()
    rows = Household.objects.filter(Q(pk__in=ids) | Q(code__in=codes)).filter(
        access.area_q("commune", "village")
    )
    found = list(rows.values_list("pk", "code"))
    return {pk for pk, _ in found}, {code for _, code in found}


def outside_area(access: Access | None, ids: set[Any]) -> set[Any]:
    """Which of these household ids name a household outside the reader's area (by where it
    is now): a link that reads null for them, as another area's household reads in a
    history's change (docs/security.md §3). Ids as UUIDs or as text (a feed's payload). No
    query for a national reader or no ids."""
    ids = {pk for pk in ids if pk is not None}
    if access is None or access.everywhere or not ids:
        return set()
    inside, _ = households_in_area(access, ids, set())
    inside_text = {str(pk) for pk in inside}
    return {pk for pk in ids if str(pk) not in inside_text}


def redact_codes(reason: str | None, inside_codes: set[str] | None) -> str | None:
    """A history reason with every household code not in `inside_codes` (None: all are)
    replaced by `OUTSIDE_AREA`. Reasons are stored as written; this is read time."""
    if not reason or inside_codes is None:
        return reason
    return HOUSEHOLD_CODE.sub(
        lambda m: m.group(0) if m.group(0) in inside_codes else str(OUTSIDE_AREA), reason
    )


def household_history(household: Household, access: Access) -> list[dict[str, Any]]:
    """Every recorded change to the household, to the households merged into it, and to
    anyone while they were a member of one of them; newest first, each with who, when,
    channel, reason and old → new per field.

    Read for `access`, it shows nothing of a household outside the reader's area (docs/
    security.md §3): not the rows of a household merged into this one from another area, nor
    those of its people while they lived there (a member who died there never shows), not
    another area's household's id in a change (null, as the change feed shows no move-out's
    destination) nor its code in a reason (`OUTSIDE_AREA` instead). People who came in from
    there (moved, merged) show from the change that brought them. Whoever's area holds every
    household named reads the history whole. A fixed number of queries: the family (one per
    level of merges), the history rows, and one look-up of every household they name."""
    family = _merged_family(household)
    loaded: list[tuple[str, Any, Any, list[str]]] = []
    member_ids = set(Member.history.filter(household_id__in=family).values_list("id", flat=True))
    sources = [
        ("household", Household.history.filter(id__in=family)),
        ("member", Member.history.filter(id__in=member_ids)),
    ]
    for object_type, records in sources:
        model = records.model
        fields = [f.attname for f in model._meta.fields if f.attname not in _SKIP]
        previous: dict[Any, Any] = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            old = previous.get(record.id)
            previous[record.id] = record
            loaded.append((object_type, record, old, fields))

    if access.everywhere:
        visible, inside_codes, named = family, None, set()
    else:
        named_ids, codes = set(family), set()
        for _, record, old, _ in loaded:
            for name in HOUSEHOLD_FIELDS[record.instance_type]:
                named_ids |= {getattr(r, name) for r in (old, record) if r is not None}
            codes.update(HOUSEHOLD_CODE.findall(record.history_change_reason or ""))
        named_ids.discard(None)
        inside_ids, inside_codes = households_in_area(access, named_ids, codes)
        visible, named = family & inside_ids, {str(pk) for pk in named_ids - inside_ids}

    entries: list[dict[str, Any]] = []
    for object_type, record, old, fields in loaded:
        if object_type == "household":
            if record.id not in visible:
                continue  # a household merged into this one from another area
        elif record.household_id not in visible and (
            old is None or old.household_id not in visible
        ):
            continue  # a change made while the person lived in another household
        changes = _diff(old, record, fields)
        if named:
            household_fields = {
                n.removesuffix("_id") for n in HOUSEHOLD_FIELDS[record.instance_type]
            }
            for change in changes:
                if change["field"] in household_fields:
                    for side in ("old", "new"):
                        if change[side] in named:
                            change[side] = None  # another area's household: not named
        entries.append(
            {
                "at": record.history_date,
                "object_type": object_type,
                "object_id": record.id,
                "change": _HISTORY_TYPES[record.history_type],
                "user": record.history_user.username if record.history_user else None,
                "channel": record.history_channel,
                "reason": redact_codes(record.history_change_reason, inside_codes),
                "changes": changes,
            }
        )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries
