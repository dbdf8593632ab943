"""The change feed: every change, in commit order, resumable, area-scoped."""

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from accounts.roles import Role
from core.access import SYSTEM
from core.models import ChangeEvent
from households import services
from households.models import Household
from tests import factories as f


def read_all(client, after=0, **params):
    seen = []
    while True:
        page = client.get("/api/v1/changes/", {"after": after, **params}).json()
        seen += page["results"]
        after = page["next_after"]
        if not page["has_more"]:
            return seen, after


@pytest.mark.django_db
def test_changes_in_order_and_resumable(api, ward):
    r = api.post(
        "/api/v1/households/",
        {
            "commune": ward.code,
            "address": "Tổ 1",
            "members": [
                {
                    "full_name": "Hà Văn Một",
                    "date_of_birth": "1970-01-01",
                    "sex": "male",
                    "ethnicity": "01",
                    "relationship": "head",
                }
            ],
        },
    )
    hid = r.json()["id"]
    events, cursor = read_all(api)
    assert [(e["entity"], e["action"]) for e in events] == [
        ("household", "created"),
        ("member", "created"),
    ]
    assert events[0]["payload"]["address"] == "Tổ 1" and events[0]["channel"] == "api"
    assert events[0]["seq"] < events[1]["seq"]
    api.patch(f"/api/v1/households/{hid}/", {"address": "Tổ 2"}, HTTP_IF_MATCH='"1"')
    newer, cursor2 = read_all(api, after=cursor)
    assert [(e["entity"], e["action"], e["payload"]["address"]) for e in newer] == [
        ("household", "updated", "Tổ 2")
    ]
    assert read_all(api, after=cursor2)[0] == []
    assert len(read_all(api, types="member")[0]) == 1


@pytest.mark.django_db
def test_feed_is_area_scoped_and_reports_moves_out(ward, rural):
    mine = f.household(
        ward,
        members=[f.member("Người Đi"), f.member("Người Ở", relationship="spouse", sex="female")],
    )
    theirs = f.household(rural)
    officer = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    events, cursor = read_all(officer)
    assert {e["entity_id"] for e in events if e["entity"] == "household"} == {str(mine.id)}
    mover = mine.members.get(full_name="Người Đi")
    # the head moves to the rural household; the spouse becomes head first
    spouse = mine.members.get(full_name="Người Ở")
    services.household_update(
        actor=SYSTEM,
        household=mine,
        expected_version=1,
        data=services.HouseholdInput(
            values={},
            members=[
                services.MemberInput(id=mover.id, values={"relationship": "parent"}),
                services.MemberInput(id=spouse.id, values={"relationship": "head"}),
            ],
        ),
    )
    mover.refresh_from_db()
    services.member_move(
        actor=SYSTEM,
        member=mover,
        expected_version=mover.version,
        to=theirs,
        relationship="other_relative",
    )
    events, _ = read_all(officer, after=cursor)
    moved = [e for e in events if e["entity_id"] == str(mover.id)][-1]
    # The old area learns that the person left, not where to: no new commune, no payload
    # (which named the new household).
    assert (moved["action"], moved["previous_commune"]) == ("updated", ward.code)
    assert (moved["commune"], moved["village"], moved["payload"]) == (None, None, None)
    assert rural.code not in {e["commune"] for e in events} and str(theirs.id) not in str(events)
    # Whoever may read both communes reads the move whole.
    both = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward, rural]))
    whole = [e for e in read_all(both, after=cursor)[0] if e["entity_id"] == str(mover.id)][-1]
    assert (whole["seq"], whole["commune"], whole["previous_commune"]) == (
        moved["seq"],
        rural.code,
        ward.code,
    )
    assert whole["payload"]["household_id"] == str(theirs.id)
    analyst = f.client_for(f.user(Role.ANALYST, communes=[ward]))
    seen = [e for e in read_all(analyst)[0] if e["entity"] == "member"]
    payloads = [e["payload"] for e in seen if e["seq"] != moved["seq"]]
    assert payloads and all(p["full_name"] is None and p["citizen_id"] is None for p in payloads)
    assert [e["payload"] for e in seen if e["seq"] == moved["seq"]] == [None]


@pytest.mark.django_db
def test_a_household_that_moved_out_is_not_followed_to_its_new_place(ward, rural):
    """The move-out event of a household says where it was, not its new commune or address;
    `commune=` cannot find the new place either, and the cursor still passes every event."""
    from core.models import PersonalDataRead

    leaving = f.household(ward, address="Tổ 3, phường cũ")
    f.household(ward)
    reader = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    officer = f.client_for(reader)
    _, cursor = read_all(officer)
    services.household_update(
        actor=SYSTEM,
        household=leaving,
        expected_version=1,
        data=services.HouseholdInput(values={"commune": rural, "address": "Số 9, xã mới"}),
    )
    reads = PersonalDataRead.objects.filter(user=reader).count()
    page = officer.get("/api/v1/changes/", {"after": cursor}).json()
    # the household's move-out, and its member's, who left with it (core.feed: carries)
    event, member = page["results"]
    assert (event["entity"], event["entity_id"], event["previous_commune"]) == (
        "household",
        str(leaving.id),
        ward.code,
    )
    assert (member["entity"], member["entity_id"], member["previous_commune"]) == (
        "member",
        str(leaving.members.get().id),
        ward.code,
    )
    for moved in (event, member):
        assert (moved["commune"], moved["village"], moved["payload"]) == (None, None, None)
    assert "Số 9" not in str(page)
    assert (page["next_after"], page["has_more"]) == (member["seq"], False)
    # Filtering by the new commune finds nothing; by the old one, the move-out.
    by_new = officer.get("/api/v1/changes/", {"after": cursor, "commune": rural.code}).json()
    assert (by_new["results"], by_new["has_more"]) == ([], False)
    by_old = officer.get("/api/v1/changes/", {"after": cursor, "commune": ward.code}).json()
    assert by_old["results"] == page["results"]
    # Pages of move-outs only carry no personal data: no bulk read is recorded for them.
    assert PersonalDataRead.objects.filter(user=reader).count() == reads
    # Page by page, the same events in the same order, nothing twice, nothing missed.
    everything, end = read_all(officer)
    assert read_all(officer, limit=1) == (everything, end)
    assert event in everything


@pytest.mark.django_db
def test_a_village_reader_does_not_see_the_village_a_household_moved_to(ward):
    from geo import services as geo

    old, new = (
        geo.village_save(actor=SYSTEM, village=None, values={"commune": ward, "name": name})
        for name in ("Khu Cũ", "Khu Mới")
    )
    household = f.household(ward, village=old)
    village_reader = f.client_for(f.user(Role.COMMUNE_OFFICER, villages=[old]))
    commune_reader = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    _, cursor = read_all(commune_reader)
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"village": new}),
    )
    # the household and its member, who moved with it (core.feed: carries)
    for moved in read_all(village_reader, after=cursor)[0]:
        assert (moved["previous_commune"], moved["previous_village"]) == (ward.code, str(old.id))
        assert (moved["commune"], moved["village"], moved["payload"]) == (None, None, None)
    assert str(new.id) not in str(read_all(village_reader)[0])
    whole, member = read_all(commune_reader, after=cursor)[0]
    assert (whole["commune"], whole["village"]) == (ward.code, str(new.id))
    assert whole["payload"]["village_id"] == str(new.id)
    assert (member["entity"], member["village"]) == ("member", str(new.id))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_consumer_reading_during_concurrent_writes_sees_every_change_once(ward):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    households = [f.household(ward, address="0") for _ in range(4)]
    reader = f.client_for(f.user(None, superuser=True))
    _, start = read_all(reader)
    stop = threading.Event()
    seen: list[int] = []

    def write(h) -> None:
        try:
            for i in range(1, 11):
                services.household_update(
                    actor=SYSTEM,
                    household=h,
                    expected_version=i,
                    data=services.HouseholdInput(values={"address": str(i)}),
                )
                time.sleep(0.001)
        finally:
            connection.close()

    def consume() -> None:
        after = start
        try:
            while True:
                done = stop.is_set()
                page = reader.get("/api/v1/changes/", {"after": after, "limit": 7}).json()
                seen.extend(e["seq"] for e in page["results"])
                after = page["next_after"]
                if done and not page["has_more"]:
                    return
        finally:
            connection.close()

    consumer = threading.Thread(target=consume)
    writers = [threading.Thread(target=write, args=(h,)) for h in households]
    consumer.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    consumer.join()
    expected = list(ChangeEvent.objects.filter(seq__gt=start).values_list("seq", flat=True))
    assert len(expected) == 40
    assert seen == sorted(seen) and len(seen) == len(set(seen))  # in order, no duplicates
    assert set(seen) == set(expected)  # no gaps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_waiting_for_a_row_does_not_hold_the_feed(ward):
    """The deadlock the load bench found (bench/README.md): a writer records its event, then
    waits for a row that a registry sync chunk holds, and the chunk, last, takes the feed's
    counter. While events were numbered when they were recorded, the writer held the counter
    and PostgreSQL stopped one of the two. Events are numbered at the commit: both commit, and
    the numbers still follow commit order."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL")
    first, held = f.household(ward, address="0"), f.household(ward, address="0")
    chunk = psycopg.connect(**connection.get_connection_params())
    chunk.execute("UPDATE households_household SET address = 'chunk' WHERE id = %s", [held.id])
    errors: list[Exception] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                services.household_update(
                    actor=SYSTEM,
                    household=first,
                    expected_version=1,
                    data=services.HouseholdInput(values={"address": "writer"}),
                )
                Household.objects.filter(id=held.id).update(address="writer")  # waits
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
    for _ in range(500):
        if chunk.execute(waiting).fetchone()[0]:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the writer never waited for the chunk's row")
    chunk.execute("SET lock_timeout = '10s'")  # beyond deadlock_timeout (1 s)
    (chunk_seq,) = chunk.execute(
        "UPDATE core_feedcounter SET value = value + 1 WHERE id = 1 RETURNING value"
    ).fetchone()
    chunk.commit()
    chunk.close()
    thread.join(10)
    assert not thread.is_alive() and errors == []
    assert Household.objects.get(id=held.id).address == "writer"
    event = ChangeEvent.objects.get(entity="household", entity_id=first.id, action="updated")
    assert event.seq > chunk_seq  # committed after the chunk, numbered after it


def test_a_decimal_in_an_event_is_written_with_its_column_places():
    """A multiplier saved as 1.5 reads back as 1.500: its created event says 1.500 too, as the
    events of its later changes (written from the database) do."""
    from decimal import Decimal

    from core.feed import payload_of
    from support.models import Assignment

    row = Assignment.history.model(multiplier=Decimal("1.5"))
    assert payload_of(row)["multiplier"] == "1.500"
