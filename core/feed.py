"""The change feed: every change to the records consumers follow, in commit order.

Sequence numbers come from one counter row that a writing transaction locks (UPDATE …
RETURNING) and keeps locked until it commits. The commits of the feed's writers are therefore
serialised, and a later commit always gets higher numbers than every earlier one: a reader
asking for `seq > cursor` can never pass over a transaction that is still running (the trap of
plain sequences, docs/architecture.md). Reads are not blocked.

A writer takes the counter last, so that it never waits for another row while holding it:
- an event recorded from a model's history (`on_history_record`: API, admin, field apps) is
  inserted without a number on PostgreSQL, and a deferred trigger numbers the transaction's
  events at its commit (migration core 0006);
- a set-based writer (the registry sync) reserves its numbers (`reserve`) after writing its
  rows, just before its commit.
SQLite serialises writers anyway: there, events are numbered when recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Field, Model

from core import audit

from .models import ChangeEvent, FeedCounter

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}


@dataclass(frozen=True)
class Area:
    commune: str
    village: Any = None


@dataclass(frozen=True)
class Followed:
    """A model the feed follows: the entity name consumers see, where a change happened, and
    (for records that move) where the record was before the change."""

    entity: str
    area_of: Callable[[Any], Area]
    moved_from: Callable[[Any], Area] | None = None  # from the previous history record
    # the followed records that move with it (a household's members): each gets an event of
    # its own when it moves, so that the new area receives them and the old one learns they left
    carries: Callable[[Any], Iterable[Model]] | None = None


# Filled by the apps (AppConfig.ready → `follow`): the feed names no app.
FEED: dict[str, Followed] = {}


def follow(
    label: str,
    entity: str,
    area_of: Callable[[Any], Area],
    moved_from: Callable[[Any], Area] | None = None,
    carries: Callable[[Any], Iterable[Model]] | None = None,
) -> None:
    """Record every change of the model `label` (`app.model`) in the feed as `entity`."""
    FEED[label.lower()] = Followed(entity, area_of, moved_from, carries)


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


# What a payload leaves out: the history bookkeeping and the derived search columns.
PAYLOAD_SKIP = audit.HISTORY_BOOKKEEPING | {"search_text", "name_folded", "submitted"}


def payload_of(history_instance, history: type[Model] | None = None) -> dict[str, Any]:
    """The event's payload: the recorded row's values as JSON. A decimal is written with its
    column's places (`1.500`), as it reads back from the database, also when the row was
    saved with a shorter value (`1.5`). With `history` (a history model), the values of the
    columns it records, read from a tracked row (a record carried along, `Followed.carries`,
    has no history record of its own for the change)."""
    fields = (history or history_instance)._meta.fields
    values = {
        f.attname: _as_stored(f, getattr(history_instance, f.attname))
        for f in fields
        if f.attname not in PAYLOAD_SKIP
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _as_stored(field: Field, value: Any) -> Any:
    if isinstance(value, Decimal) and field.get_internal_type() == "DecimalField":
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def payload_sql(model: type[Model], alias: str) -> str:
    """SQL giving, for the row `alias` of `model`'s table, the payload `payload_of` gives for
    its history row (for set-based writers: the registry sync). Values are written as
    DjangoJSONEncoder writes them: UUIDs and decimals as strings, dates ISO, date-times in
    UTC to the millisecond with a Z. A fragment for a statement with parameters (% doubled).
    """
    fields = [f for f in model.history.model._meta.fields if f.attname not in PAYLOAD_SKIP]
    pairs = ", ".join(f"'{f.attname}', {_json_value_sql(f, f'{alias}.{f.column}')}" for f in fields)
    builder = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{builder}({pairs})"


_AS_STORED = {"CharField", "TextField", "IntegerField", "PositiveIntegerField", "BigIntegerField"}


def _json_value_sql(field: Field, column: str) -> str:
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    pg = connection.vendor == "postgresql"
    if kind in _AS_STORED:
        return column
    if kind == "UUIDField":  # stored as 32 hex digits on SQLite
        if pg:
            return f"{column}::text"
        parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        return " || '-' || ".join(f"substr({column}, {a}, {n})" for a, n in parts)
    if kind == "DateField":
        return f"to_char({column}, 'YYYY-MM-DD')" if pg else column
    if kind == "DateTimeField":  # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC
        if pg:
            utc = f"{column} AT TIME ZONE 'UTC'"
            return (
                f"CASE WHEN date_trunc('second', {column}) = {column} "
                f"""THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
                f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END"""
            )
        return (
            f"CASE WHEN length({column}) > 19 THEN replace(substr({column}, 1, 23), ' ', 'T') "
            f"|| 'Z' ELSE replace({column}, ' ', 'T') || 'Z' END"
        )
    if kind == "DecimalField":
        if pg:
            return f"{column}::text"
        places = field.decimal_places
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE printf('%%.{places}f', {column}) END"
    raise ImproperlyConfigured(f"payload_sql cannot write a {kind} ({field.attname}).")


def on_history_record(sender, instance, history_instance, **kwargs) -> None:
    """simple-history hook: one feed event per recorded change of a followed model; when
    the change moved it, one more for each record it carries along (`Followed.carries`)."""
    label = instance._meta.label_lower
    if label not in FEED:
        return
    followed = FEED[label]
    area = followed.area_of(instance)
    previous = _previous_area(followed, history_instance)
    moved = previous is not None and previous != area
    at = history_instance.history_date
    action = ACTIONS[history_instance.history_type]
    payload = payload_of(history_instance)
    _record(followed, instance, at, action, area, previous if moved else None, payload)
    if moved and followed.carries is not None:
        for carried in followed.carries(instance):
            along = FEED[carried._meta.label_lower]
            payload = payload_of(carried, history=type(carried).history.model)
            _record(along, carried, at, ACTIONS["~"], area, previous, payload)


def _record(
    followed: Followed,
    instance,
    at,
    action: str,
    area: Area,
    previous: Area | None,
    payload: dict[str, Any],
) -> None:
    context = audit.current()
    ChangeEvent.objects.create(
        seq=None if connection.vendor == "postgresql" else reserve(1),  # numbered at the commit
        at=at,
        entity=followed.entity,
        entity_id=instance.pk,
        action=action,
        commune=area.commune,
        village=area.village,
        previous_commune=previous.commune if previous else None,
        previous_village=previous.village if previous else None,
        channel=context.channel,
        user=getattr(context.user, "username", "") or "",
        payload=payload,
    )


def _previous_area(followed: Followed, history_instance) -> Area | None:
    """Where the record was before this change, for records that move (members, households)."""
    if followed.moved_from is None or history_instance.history_type != "~":
        return None
    before = history_instance.prev_record
    return None if before is None else followed.moved_from(before)
