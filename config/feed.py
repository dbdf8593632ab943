"""The change feed: every change to the records consumers follow, in commit order.

Sequence numbers come from one counter row that a writing transaction locks (UPDATE …
RETURNING) when it records its first event and keeps locked until it commits. Writers of
the feed are therefore serialised, and a later commit always gets higher numbers than every
earlier one: a reader asking for `seq > cursor` can never pass over a transaction that is
still running (the trap of plain sequences, architecture.md). Reads are not blocked.
SQLite serialises writers anyway.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from config import audit

from .bulk import write_rows
from .models import ChangeEvent, FeedCounter

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}


@dataclass(frozen=True)
class Area:
    commune: str
    village: Any = None


def _household_area(household_id) -> Area:
    from households.models import Household

    commune, village = Household.objects.values_list("commune_id", "village_id").get(
        pk=household_id
    )
    return Area(commune, village)


# Which models feed, under which name, and where each change happened.
FEED: dict[str, tuple[str, Callable[[Any], Area]]] = {
    "households.household": ("household", lambda o: Area(o.commune_id, o.village_id)),
    "households.member": ("member", lambda o: _household_area(o.household_id)),
    "poverty.survey": ("survey", lambda o: _household_area(o.household_id)),
    "poverty.assessment": ("assessment", lambda o: _household_area(o.household_id)),
    "poverty.officialstatus": ("official_status", lambda o: _household_area(o.household_id)),
    "support.assignment": ("assignment", lambda o: _household_area(o.household_id)),
    "support.disbursement": ("disbursement", lambda o: _household_area(o.assignment.household_id)),
}


def reserve(count: int) -> int:
    """Take `count` sequence numbers (locking the counter to the end of the transaction);
    returns the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {FeedCounter._meta.db_table} SET value = value + %s WHERE id = 1 "
            "RETURNING value",
            [count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def payload_of(history_instance) -> dict[str, Any]:
    skip = {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user",
        "history_user_id",
        "history_channel",
        "search_text",
        "name_folded",
        "submitted",
    }
    values = {
        f.attname: getattr(history_instance, f.attname)
        for f in history_instance._meta.fields
        if f.attname not in skip
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def on_history_record(sender, instance, history_instance, **kwargs) -> None:
    """simple-history hook: one feed event per recorded change of a followed model."""
    label = instance._meta.label_lower
    if label not in FEED:
        return
    entity, area_of = FEED[label]
    area = area_of(instance)
    previous = _previous_area(label, history_instance)
    context = audit.current()
    ChangeEvent.objects.create(
        seq=reserve(1),
        at=history_instance.history_date,
        entity=entity,
        entity_id=instance.pk,
        action=ACTIONS[history_instance.history_type],
        commune=area.commune,
        village=area.village,
        previous_commune=previous.commune if previous and previous != area else None,
        previous_village=previous.village if previous and previous != area else None,
        channel=context.channel,
        user=getattr(context.user, "username", "") or "",
        payload=payload_of(history_instance),
    )


def _previous_area(label: str, history_instance) -> Area | None:
    """Where the record was before this change, for moves (members, households)."""
    if label not in ("households.household", "households.member") or (
        history_instance.history_type != "~"
    ):
        return None
    before = history_instance.prev_record
    if before is None:
        return None
    if label == "households.household":
        return Area(before.commune_id, before.village_id)
    return _household_area(before.household_id)


FEED_COLUMNS = (
    "seq",
    "at",
    "entity",
    "entity_id",
    "action",
    "commune",
    "village",
    "previous_commune",
    "previous_village",
    "channel",
    "user",
    "payload",
)


def _uuid(value: Any) -> Any:
    return value.hex if isinstance(value, uuid.UUID) else value


def publish_rows(rows: Sequence[dict[str, Any]]) -> None:
    """Bulk events (for set-based writers such as the registry sync): numbered in one
    reservation, written with COPY (about 1.5× faster than bulk_create for JSON payloads)."""
    if not rows:
        return
    first = reserve(len(rows))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    write_rows(ChangeEvent, FEED_COLUMNS, (
        (first + i,
         connection.ops.adapt_datetimefield_value(row["at"]) if "at" in row else now,
         row["entity"], _uuid(row["entity_id"]), row["action"], row["commune"],
         _uuid(row.get("village")), row.get("previous_commune"),
         _uuid(row.get("previous_village")), row["channel"], row.get("user", ""),
         json.dumps(row["payload"], cls=DjangoJSONEncoder, ensure_ascii=False))
        for i, row in enumerate(rows)
    ))  # fmt: skip
