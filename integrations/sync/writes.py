"""The SQL writes of a planned chunk: plan tables (COPY on PostgreSQL, executemany on
SQLite), one INSERT … SELECT and one UPDATE … FROM per table guarded by the version read,
history rows, change-feed events and possible duplicates, all set-based."""

from __future__ import annotations

import operator
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection
from django.utils.translation import gettext

from core.audit import HISTORY_BOOKKEEPING, Channel
from core.errors import Conflict
from core.feed import ACTIONS, payload_sql, reserve
from core.models import ChangeEvent
from households.choices import Relationship
from households.models import Household, Member
from households.twins import record_duplicates, reserve_household_codes

from .db import concrete_fields, is_pg, quote
from .planner import Planner
from .records import CREATED, Context


class ConcurrentChange(Conflict):
    """Rows changed between a chunk's read and its write (the chunk is started again)."""

    code = "concurrent_change"


# Extra columns of the plan tables: what to do with the row.
_PLAN_EXTRA = [
    ("op", "varchar(10)", "text"),
    ("history_type", "varchar(1)", "text"),
    ("reason", "varchar(100)", "text"),
    ("old_version", "integer", "integer"),
    # where an updated row was before, when the update moved it (its change-feed event says so)
    ("prev_commune", "varchar(5)", "varchar(5)"),
    ("prev_village", "uuid", "char(32)"),
]
_MEMBER_PLAN_EXTRA = [
    *_PLAN_EXTRA,
    ("promote", "boolean", "bool"),
    ("dup", "boolean", "bool"),
    # the member's household's commune and village after the chunk
    ("area_commune", "varchar(5)", "varchar(5)"),
    ("area_village", "uuid", "char(32)"),
]


def _tracked_columns(model) -> list[str]:
    """The live table's columns that its django-simple-history table records."""
    return [
        f.column
        for f in model.history.model._meta.concrete_fields
        if f.name not in HISTORY_BOOKKEEPING
    ]


class _PlanTable:
    """A temporary table of a chunk's rows: the model's columns plus extra ones (what to do
    with each planned row; the order of the chunk's change events)."""

    def __init__(self, name: str, model, extra: list[tuple[str, str, str]]):
        self.name = name
        self.fields = concrete_fields(model)
        self.extra = extra
        self.names = [f.attname for f in self.fields] + [name for name, _, _ in extra]

    @property
    def qualified(self) -> str:
        """The temporary table, never a regular one of the same name."""
        return f"{'pg_temp' if is_pg() else 'temp'}.{self.name}"

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE {self.qualified}")

    def create(self, cursor) -> None:
        pg = is_pg()
        columns = [f"{quote(f.column)} {f.db_type(connection)}" for f in self.fields]
        columns += [f"{name} {pg_type if pg else lite}" for name, pg_type, lite in self.extra]
        cursor.execute(f"DROP TABLE IF EXISTS {self.qualified}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.name} ({', '.join(columns)})"
            + (" ON COMMIT DROP" if pg else "")
        )

    def write(self, cursor, rows: list[dict[str, Any]]) -> None:
        """COPY on PostgreSQL, executemany on SQLite. Rows to create have every column; rows
        to update only those they change (the others go as NULL and are not used)."""
        get = operator.itemgetter(*self.names)

        def values(row: dict[str, Any]) -> tuple:
            try:
                return get(row)
            except KeyError:
                return tuple(row.get(n) for n in self.names)

        columns = ", ".join(quote(f.column) for f in self.fields) + ", "
        columns += ", ".join(name for name, _, _ in self.extra)
        if is_pg():
            with cursor.copy(f"COPY {self.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        adapters = [_sqlite_adapter(f) for f in self.fields]
        adapters += [_UUID_HEX if lite == "char(32)" else None for _, _, lite in self.extra]
        tuples = [
            [
                v if a is None or v is None else a(v)
                for v, a in zip(values(row), adapters, strict=True)
            ]
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(self.names))
        cursor.executemany(f"INSERT INTO {self.name} ({columns}) VALUES ({marks})", tuples)


_UUID_HEX = operator.attrgetter("hex")


def _sqlite_adapter(f) -> Callable[[Any], Any] | None:
    kind = (f.target_field if f.is_relation else f).get_internal_type()
    if kind == "UUIDField":
        return _UUID_HEX
    if f.get_internal_type() == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if f.get_internal_type() == "DateField":
        return date.isoformat
    return None


H_PLAN = _PlanTable("sync_plan_household", Household, _PLAN_EXTRA)
M_PLAN = _PlanTable("sync_plan_member", Member, _MEMBER_PLAN_EXTRA)
# A chunk's change-feed events before they are numbered (`_stage_events`); `n`: their order.
EVENTS = _PlanTable("sync_events", ChangeEvent, [("n", "integer", "integer")])
_EVENT_COLUMNS = (
    "entity, entity_id, action, commune, village, previous_commune, previous_village, payload"
)


def _reserve_codes(planner: Planner) -> None:
    """Household numbers for the new households: one range per commune, one UPDATE each,
    communes in code order (a fixed lock order)."""
    by_commune: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in planner.households.values():
        if row["op"] == "create":
            by_commune[row["commune_id"]].append(row)
    with connection.cursor() as cursor:
        for commune in sorted(by_commune):
            rows = by_commune[commune]
            codes = reserve_household_codes(cursor, commune, len(rows))
            for code, row in zip(codes, rows, strict=True):
                row["code"] = code


def write_plan(planner: Planner, ctx: Context) -> None:
    households = [r for r in planner.households.values() if r["op"]]
    members = [r for r in planner.members.values() if r["op"]]
    if not households and not members:
        return
    stage = ctx.stages
    with stage("codes"):
        _reserve_codes(planner)
        planner.search_texts()
        for record in planner.records:
            outcome = planner.outcomes[record.index]
            if outcome.outcome == CREATED:
                outcome.code = planner.households[uuid.UUID(outcome.household)]["code"]
    h, m = quote(Household._meta.db_table), quote(Member._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(planner.now)
    user_id = getattr(ctx.actor, "pk", None)
    with connection.cursor() as cursor:
        with stage("staging"):
            if is_pg():
                # Fewer, larger merges of the trigram indexes' pending lists (as the demo load).
                cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            for row in members:
                row["area_commune"], row["area_village"] = planner.area(row["household_id"])
            H_PLAN.create(cursor)
            M_PLAN.create(cursor)
            H_PLAN.write(cursor, households)
            M_PLAN.write(cursor, members)
        h_cols = ", ".join(quote(f.column) for f in H_PLAN.fields)
        m_cols = ", ".join(quote(f.column) for f in M_PLAN.fields)
        with stage("households"):
            cursor.execute(
                f"INSERT INTO {h} ({h_cols}) SELECT {h_cols} FROM {H_PLAN.name} WHERE op = 'create'"
            )
            cursor.execute(
                f"""UPDATE {h} AS t SET commune_id = p.commune_id, village_id = p.village_id,
                    address = p.address, search_text = COALESCE(p.search_text, t.search_text),
                    registry_snapshot = p.registry_snapshot, version = p.version,
                    updated_at = COALESCE(p.updated_at, t.updated_at)
                FROM {H_PLAN.name} AS p
                WHERE t.id = p.id AND p.op <> 'create' AND t.version = p.old_version"""
            )
            if cursor.rowcount != sum(1 for r in households if r["op"] != "create"):
                raise ConcurrentChange(
                    gettext("A household changed while the chunk was being synced.")
                )
        with stage("members"):
            # Pass 1: every update, a new head not yet (whoever steps down goes first, so the
            # one-present-head constraint holds after each row); pass 2: the new heads.
            cursor.execute(
                f"""UPDATE {m} AS t SET household_id = p.household_id, full_name = p.full_name,
                    name_folded = p.name_folded, date_of_birth = p.date_of_birth, sex = p.sex,
                    ethnicity_id = p.ethnicity_id,
                    relationship = CASE WHEN p.promote THEN %s ELSE p.relationship END,
                    citizen_id = p.citizen_id, status = p.status, status_date = p.status_date,
                    external_id = p.external_id, registry_snapshot = p.registry_snapshot,
                    version = p.version, updated_at = COALESCE(p.updated_at, t.updated_at)
                FROM {M_PLAN.name} AS p
                WHERE t.id = p.id AND p.op <> 'create' AND t.version = p.old_version""",
                [Relationship.OTHER_RELATIVE],
            )
            if cursor.rowcount != sum(1 for r in members if r["op"] != "create"):
                raise ConcurrentChange(
                    gettext("A member changed while the chunk was being synced.")
                )
            cursor.execute(
                f"""UPDATE {m} AS t SET relationship = %s FROM {M_PLAN.name} AS p
                WHERE t.id = p.id AND p.promote""",
                [Relationship.HEAD],
            )
            cursor.execute(
                f"INSERT INTO {m} ({m_cols}) SELECT {m_cols} FROM {M_PLAN.name} WHERE op = 'create'"
            )
        with stage("history"):
            # History rows: new rows as planned, updated ones as they now are.
            for model, plan in ((Household, H_PLAN), (Member, M_PLAN)):
                columns = _tracked_columns(model)
                for history_type, source, alias in (("+", "", "p"), ("~", _live_join(model), "t")):
                    cursor.execute(
                        f"""INSERT INTO {quote(model.history.model._meta.db_table)}
                            ({", ".join(quote(c) for c in columns)}, history_date,
                             history_change_reason, history_type, history_user_id,
                             history_channel)
                        SELECT {", ".join(f"{alias}.{quote(c)}" for c in columns)}, %s,
                            p.reason, p.history_type, %s, %s
                        FROM {plan.name} AS p {source} WHERE p.history_type = %s""",
                        [now, user_id, Channel.REGISTRY_SYNC, history_type],
                    )
        with stage("duplicates"):
            _record_duplicates(cursor)
        with stage("events"):
            events = _stage_events(cursor, households, members)
            if any(r.get("history_type") == "~" and r.get("prev_commune") for r in households):
                events += _stage_carried(cursor, events)
        if is_pg():
            with stage("checks"):
                # The deferred foreign-key checks of the rows written, now rather than at the
                # commit: the feed's counter row, locked from the next stage to the commit,
                # is then held for the events and the log flush alone (every other writer of
                # the feed waits for it: an officer's save, a field upload). The feed's own
                # deferred trigger numbers only events without a number: the sync's have one.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with stage("feed"):
            # Last, so that the feed's counter row (core.feed) is held only to the commit.
            _publish_events(cursor, planner, ctx, events)
        with stage("staging"):
            H_PLAN.drop(cursor)
            M_PLAN.drop(cursor)


def _live_join(model) -> str:
    """The rows a plan updates, as they are after the update (`t`)."""
    return f"JOIN {quote(model._meta.db_table)} AS t ON t.id = p.id"


def _stage_events(cursor, households, members) -> int:
    """The chunk's change-feed events, unnumbered, in a temporary table (EVENTS): one per
    created or updated household and member, with the payload core.feed.payload_of gives for
    a change made through the models (new rows as planned, updated ones as they now are). A
    member's area is its household's; a move gives the area it left (Planner.previous_area).
    `n` orders them: households then members, created then updated. Returns how many.

    Built before the feed's counter is taken, so that the counter is held only to copy them
    (`_publish_events`): every other writer of the feed waits for it (an officer's save, a
    field upload). Built under the counter, they held it twice as long: 11.6-12.0 s of a
    first load of 100,000 households against 5.2 s (bench/README.md)."""
    parts = [
        (kind, model, plan, history_type, sum(1 for r in rows if r["history_type"] == history_type))
        for kind, model, plan, rows in (
            ("household", Household, H_PLAN, households),
            ("member", Member, M_PLAN, members),
        )
        for history_type in ("+", "~")
    ]
    EVENTS.create(cursor)
    staged = 0
    for kind, model, plan, history_type, count in parts:
        if not count:
            continue
        source, alias = ("", "p") if history_type == "+" else (_live_join(model), "t")
        area = (
            "p.commune_id, p.village_id"
            if kind == "household"
            else "p.area_commune, p.area_village"
        )
        cursor.execute(
            f"""INSERT INTO {EVENTS.name} (n, {_EVENT_COLUMNS})
            SELECT %s + row_number() OVER (), %s, p.id, %s, {area},
                p.prev_commune, p.prev_village, {payload_sql(model, alias)}
            FROM {plan.name} AS p {source} WHERE p.history_type = %s""",
            [staged, kind, ACTIONS[history_type], history_type],
        )
        staged += count
    return staged


def _stage_carried(cursor, staged: int) -> int:
    """The events of the people a moved household takes along, after the chunk's own
    (core.feed: `Followed.carries`, as a move through households.services): one "updated"
    event per member of each household whose update moved it, in its new area with the area
    it left, and its values now. Not for the people the chunk writes: their own event says
    where they were before the chunk (Planner.previous_area). Returns how many."""
    cursor.execute(
        f"""INSERT INTO {EVENTS.name} (n, {_EVENT_COLUMNS})
        SELECT %s + row_number() OVER (ORDER BY t.id), %s, t.id, %s, p.commune_id,
            p.village_id, p.prev_commune, p.prev_village, {payload_sql(Member, "t")}
        FROM {H_PLAN.name} AS p JOIN {quote(Member._meta.db_table)} AS t
            ON t.household_id = p.id
        WHERE p.history_type = '~' AND p.prev_commune IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {M_PLAN.name} AS m WHERE m.id = t.id AND m.history_type IS NOT NULL
        )""",
        [staged, "member", ACTIONS["~"]],
    )
    return max(cursor.rowcount, 0)


def _publish_events(cursor, planner: Planner, ctx: Context, count: int) -> None:
    """The staged events (`_stage_events`) into the feed, numbered in one reservation
    (core.feed.reserve): the counter is held from here to the chunk's commit."""
    if count:
        seq = reserve(count)
        cursor.execute(
            f"""INSERT INTO {quote(ChangeEvent._meta.db_table)}
                (seq, at, channel, {quote("user")}, {_EVENT_COLUMNS})
            SELECT %s + n, %s, %s, %s, {_EVENT_COLUMNS} FROM {EVENTS.name}""",
            [
                seq - 1,
                connection.ops.adapt_datetimefield_value(planner.now),
                Channel.REGISTRY_SYNC,
                getattr(ctx.actor, "username", "") or "",
            ],
        )
    EVENTS.drop(cursor)


def _record_duplicates(cursor) -> None:
    """Possible duplicates of the members written: same folded name and date of birth in the
    same commune (households.twins.record_duplicates, the twin of detect_duplicates)."""
    record_duplicates(
        cursor,
        f"(SELECT id, name_folded, date_of_birth, area_commune AS commune_id "
        f"FROM {M_PLAN.name} WHERE dup)",
    )
