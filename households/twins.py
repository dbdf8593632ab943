"""Rules the register writes two ways: row by row through the ORM (households.services) and
set-based in SQL or over plain rows (the registry sync, integrations.sync; the demo load's
duplicate scan). Each twin is kept here side by side, and tests/households/test_twins.py
pins them equal: the same input gives the same output through both paths.

- search text: `search_text` (a Household, through the ORM) and `search_text_of_rows` (a
  row as a dict);
- possible duplicates: `detect_duplicates` (ORM, per member), `record_duplicates` (SQL, the
  members of any relation, e.g. a sync's plan table) and `detect_all_duplicates` (SQL, the
  whole register);
- household codes: `next_household_code` (ORM, one) and `reserve_household_codes` (SQL, a
  range in one UPDATE);
- primary keys: core.ids.new_id (Python) and `new_id_sql` (SQL), both UUIDv7.

The change-feed payload has its twins side by side in core.feed (payload_of, payload_sql).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from geo.models import Commune

from .choices import DuplicateReason, DuplicateStatus
from .models import DuplicateCandidate, Household, Member
from .search import address_search_text

# ---------------------------------------------------------------------------- search text


def search_text(household: Household) -> str:
    """What `Household.search_text` holds: the folded words of the address (households.search;
    names are searched in `Member.name_folded`, codes, IDs and phones in their columns)."""
    return address_search_text(household.address)


def search_text_of_rows(household: dict[str, Any]) -> str:
    """`search_text` of a household row (a dict of column values), as a set-based writer has
    it."""
    return address_search_text(household["address"])


# ---------------------------------------------------------------------------- duplicates


def detect_duplicates(members: Iterable[Member]) -> int:
    """Record possible duplicates of these members: same folded name and date of birth in the
    same commune. Returns how many new candidates were recorded."""
    created = 0
    for member in members:
        commune_id = member.household.commune_id
        others = (
            Member.objects.filter(
                name_folded=member.name_folded,
                date_of_birth=member.date_of_birth,
                household__commune_id=commune_id,
            )
            .exclude(pk=member.pk)
            .values_list("pk", flat=True)
        )
        for other in others:
            a, b = sorted([member.pk, other], key=str)
            _, new = DuplicateCandidate.objects.get_or_create(
                member_a_id=a,
                member_b_id=b,
                reason=DuplicateReason.NAME_BIRTH_DATE,
                defaults={"commune_id": commune_id},
            )
            created += new
    return created


def record_duplicates(cursor, written: str, params: list | tuple = ()) -> int:
    """`detect_duplicates`, set-based: `written` is SQL for a relation of the members
    written, with columns (id, name_folded, date_of_birth, commune_id), the commune their
    household is in now; `params` its parameters. Returns how many candidates were added."""
    m, h = _quote(Member._meta.db_table), _quote(Household._meta.db_table)
    d = _quote(DuplicateCandidate._meta.db_table)
    cursor.execute(
        f"""INSERT INTO {d} (id, member_a_id, member_b_id, commune_id, reason, status,
                detected_at, resolution_note)
        SELECT {new_id_sql()}, x.a, x.b, x.commune_id, %s, %s, %s, ''
        FROM (
            SELECT DISTINCT
                CASE WHEN p.id < o.id THEN p.id ELSE o.id END AS a,
                CASE WHEN p.id < o.id THEN o.id ELSE p.id END AS b,
                p.commune_id AS commune_id
            FROM {written} AS p
            JOIN {m} AS o ON o.name_folded = p.name_folded
                AND o.date_of_birth = p.date_of_birth AND o.id <> p.id
            JOIN {h} AS oh ON oh.id = o.household_id AND oh.commune_id = p.commune_id
        ) AS x
        WHERE NOT EXISTS (
            SELECT 1 FROM {d} AS c
            WHERE c.member_a_id = x.a AND c.member_b_id = x.b AND c.reason = %s)""",
        [
            DuplicateReason.NAME_BIRTH_DATE,
            DuplicateStatus.OPEN,
            connection.ops.adapt_datetimefield_value(timezone.now()),
            *params,
            DuplicateReason.NAME_BIRTH_DATE,
        ],
    )
    return cursor.rowcount


def detect_all_duplicates() -> int:
    """Set-based scan of the whole register (after bulk loads). Returns rows added."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {DuplicateCandidate._meta.db_table}
                (id, member_a_id, member_b_id, commune_id, reason, status, detected_at,
                 resolution_note)
            SELECT {new_id_sql()}, a.id, b.id, ha.commune_id, %s, %s, %s, ''
            FROM {Member._meta.db_table} a
            JOIN {Household._meta.db_table} ha ON ha.id = a.household_id
            JOIN {Member._meta.db_table} b
              ON b.name_folded = a.name_folded AND b.date_of_birth = a.date_of_birth
             AND b.id > a.id
            JOIN {Household._meta.db_table} hb ON hb.id = b.household_id
             AND hb.commune_id = ha.commune_id
            WHERE NOT EXISTS (
                SELECT 1 FROM {DuplicateCandidate._meta.db_table} d
                WHERE d.member_a_id = a.id AND d.member_b_id = b.id AND d.reason = %s)
            """,
            [
                DuplicateReason.NAME_BIRTH_DATE,
                DuplicateStatus.OPEN,
                timezone.now(),
                DuplicateReason.NAME_BIRTH_DATE,
            ],
        )
        return cursor.rowcount


# ---------------------------------------------------------------------------- household codes


def household_code(commune_code: str, number: int) -> str:
    """A household's human-readable code: <commune code>-<number in the commune>."""
    return f"{commune_code}-{number:06d}"


def next_household_code(commune: Commune) -> str:
    """The next code of the commune (its counter row locked to the end of the transaction)."""
    locked = Commune.objects.select_for_update().get(pk=commune.pk)
    Commune.objects.filter(pk=commune.pk).update(household_seq=F("household_seq") + 1)
    return household_code(commune.code, locked.household_seq + 1)


def reserve_household_codes(cursor, commune_code: str, count: int) -> list[str]:
    """The next `count` codes of the commune in one UPDATE … RETURNING (the counter row
    locked to the end of the transaction)."""
    cursor.execute(
        f"UPDATE {_quote(Commune._meta.db_table)} SET household_seq = household_seq + %s "
        "WHERE code = %s RETURNING household_seq",
        [count, commune_code],
    )
    last = cursor.fetchone()[0]
    return [household_code(commune_code, n) for n in range(last - count + 1, last + 1)]


# ---------------------------------------------------------------------------- keys


def new_id_sql() -> str:
    """SQL for a new primary key, a UUIDv7 as core.ids.new_id makes (RFC 9562): the
    statement's time in milliseconds (this process's clock, as new_id), the version, then
    random bits (the variant set). One expression per row, so each row gets its own."""
    ms = time.time_ns() // 1_000_000
    if connection.vendor == "postgresql":
        # gen_random_uuid() is a v4: its first 48 bits replaced by the time, version 4 -> 7
        # (bits 52 and 53 of set_bit's numbering: the version nibble's two low bits).
        return (
            "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) "
            f"placing substring(int8send({ms}::bigint) from 3) from 1 for 6), 52, 1), 53, 1), "
            "'hex')::uuid"
        )
    # SQLite keeps a UUID as 32 hex digits.
    return (
        f"('{ms:012x}' || '7' || substr(lower(hex(randomblob(2))), 2) "
        "|| substr('89ab', 1 + (random() & 3), 1) "
        "|| substr(lower(hex(randomblob(8))), 2))"
    )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
