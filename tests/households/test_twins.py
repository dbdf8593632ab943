"""The register's ORM/SQL twins (households.twins, core.feed) give the same output for the
same input through both paths: search text, possible duplicates, household codes, primary
keys and change-feed payloads."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from core.feed import payload_of, payload_sql
from core.ids import new_id
from geo.models import Commune
from households import services, twins
from households.models import DuplicateCandidate, Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db


def both_ways(orm, sql):
    """Run each path on the same starting data (each in a transaction rolled back)."""
    results = []
    for path in (orm, sql):
        with transaction.atomic():
            results.append(path())
            transaction.set_rollback(True)
    return results


# ---------------------------------------------------------------------------- search text


@pytest.mark.parametrize(
    "address, phone, names",
    [
        ("Số 12, Tổ 3", "0912345678", ["Đặng Thị Hoà", "Nguyễn  Văn   An"]),
        ("  Thôn\tĐồng   Bằng  ", "", ["ĐẶNG THỊ HOÀ ", " Lê Minh Khôi"]),
        ("Khu 5 – Phường Hồng Gai", "", ["Hoa\u0300ng Thi\u0323 Mai"]),  # decomposed marks
    ],
)
def test_search_text_orm_and_rows_agree(ward, address, phone, names):
    members = [f.member(names[0])] + [
        f.member(name, relationship="child", dob=date(2010, 1, i + 1), with_citizen_id=i % 2 == 0)
        for i, name in enumerate(names[1:])
    ]
    household = f.household(ward, address=address, phone=phone, members=members)
    Household.objects.filter(pk=household.pk).update(external_id="HK-Ab-01")
    services.refresh_search_text(household := Household.objects.get(pk=household.pk))
    row = Household.objects.values().get(pk=household.pk)
    assert twins.search_text_of_rows(row) == row["search_text"]
    assert twins.search_text(household) == row["search_text"]


# ---------------------------------------------------------------------------- duplicates


def test_duplicate_detection_orm_and_sql_agree(ward, rural):
    dob = date(1975, 3, 4)
    f.household(ward, members=[f.member("Trần Văn Bình", dob=dob)])
    f.household(ward, members=[f.member("TRẦN VĂN BÌNH", dob=dob)])
    f.household(rural, members=[f.member("Trần Văn Bình", dob=dob)])  # another commune
    f.household(ward, members=[f.member("Trần Văn Bình", dob=date(1975, 3, 5))])
    newcomer = f.household(ward, members=[f.member("Tran Van Binh", dob=dob)]).members.get()
    DuplicateCandidate.objects.all().delete()

    def rows():
        return {
            (c.member_a_id, c.member_b_id, c.commune_id, c.reason, c.status, c.resolution_note)
            for c in DuplicateCandidate.objects.all()
        }

    def orm():
        return twins.detect_duplicates([newcomer]), rows()

    def sql():
        pk = Member._meta.pk.get_db_prep_value(newcomer.pk, connection)
        with connection.cursor() as cursor:
            added = twins.record_duplicates(
                cursor,
                f"""(SELECT m.id, m.name_folded, m.date_of_birth, h.commune_id
                    FROM {Member._meta.db_table} m
                    JOIN {Household._meta.db_table} h ON h.id = m.household_id
                    WHERE m.id = %s)""",
                [pk],
            )
        ids = list(DuplicateCandidate.objects.values_list("id", flat=True))
        assert ids and all(i.version == 7 for i in ids)
        return added, rows()

    (orm_added, orm_rows), (sql_added, sql_rows) = both_ways(orm, sql)
    assert orm_added == sql_added == 2
    assert orm_rows == sql_rows
    # Recorded once: a second pass through either path adds nothing.
    twins.detect_duplicates([newcomer])
    assert twins.detect_duplicates([newcomer]) == 0
    assert twins.detect_all_duplicates() == 1  # the pair of the two earlier members


def test_the_whole_register_scan_finds_what_the_orm_finds(ward):
    dob = date(1990, 6, 7)
    people = [
        f.household(ward, members=[f.member(name, dob=dob)]).members.get()
        for name in ("Phạm Thu Hà", "Pham Thu Ha", "PHẠM THU HÀ")
    ]
    DuplicateCandidate.objects.all().delete()

    def rows():
        return set(DuplicateCandidate.objects.values_list("member_a_id", "member_b_id", "commune"))

    orm, sql = both_ways(
        lambda: (twins.detect_duplicates(people), rows()),
        lambda: (twins.detect_all_duplicates(), rows()),
    )
    assert orm == sql and orm[0] == 3


# ---------------------------------------------------------------------------- household codes


def test_household_codes_orm_and_sql_agree(ward):
    def orm():
        return [twins.next_household_code(ward) for _ in range(3)]

    def sql():
        with connection.cursor() as cursor:
            return twins.reserve_household_codes(cursor, ward.code, 3)

    orm_codes, sql_codes = both_ways(orm, sql)
    assert orm_codes == sql_codes
    assert orm_codes[0].startswith(f"{ward.code}-") and len(orm_codes[0]) == len(ward.code) + 7
    # One counter: the two paths continue each other's numbers.
    first = twins.next_household_code(ward)
    with connection.cursor() as cursor:
        second, third = twins.reserve_household_codes(cursor, ward.code, 2)
    assert [first, second, third] == orm_codes
    assert Commune.objects.get(pk=ward.pk).household_seq == int(third.rsplit("-", 1)[1])


# ---------------------------------------------------------------------------- keys


def test_keys_made_in_sql_are_uuid7_like_config_ids():
    before = new_id()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {twins.new_id_sql()} FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL "
            "SELECT 3) AS t"
        )
        made = [uuid.UUID(str(value)) for (value,) in cursor.fetchall()]
    after = new_id()
    assert len(set(made)) == 3
    for key in [before, *made, after]:
        assert key.version == 7 and key.variant == uuid.RFC_4122

    def ms(key: uuid.UUID) -> int:
        return key.int >> 80

    assert all(ms(before) <= ms(key) <= ms(after) for key in made)


# ---------------------------------------------------------------------------- feed payload


def test_feed_payload_orm_and_sql_agree(ward):
    """core.feed.payload_of (the event of a change made through the models) and
    core.feed.payload_sql (what the sync writes set-based) of the same history rows."""
    household = f.household(
        ward,
        members=[
            f.member("Vũ Thị Lan", sex="female"),
            f.member("Vũ Minh", relationship="child", dob=date(2015, 2, 3), with_citizen_id=False),
        ],
        latitude=Decimal("21.1"),
        longitude=Decimal("107.123456"),
        phone="0912000111",
    )
    household.members.filter(relationship="child").update(full_name="Vũ Minh Đức")
    changes = [*household.history.all(), *Member.history.filter(household_id=household.pk)]
    assert len(changes) >= 3
    for change in changes:
        table = change._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {payload_sql(change.instance_type, 't')} FROM {table} AS t "
                "WHERE t.history_id = %s",
                [change._meta.pk.get_db_prep_value(change.pk, connection)],
            )
            (value,) = cursor.fetchone()
        payload = json.loads(value) if isinstance(value, str) else value
        assert payload == payload_of(change)
