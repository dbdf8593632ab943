"""Home Affairs registry sync: outcomes, idempotency, ownership, history, feed, jobs, API."""

from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection

from accounts.roles import Role
from core import jobs
from core.access import SYSTEM
from core.feed import payload_of
from core.models import ChangeEvent, Job, JobStatus
from core.text import fold
from geo.models import Commune, Village
from households import services
from households.choices import MemberStatus, Source
from households.models import DuplicateCandidate, Household, Member
from integrations import sync
from integrations.sync import apart as sync_apart
from integrations.sync import db
from tests import factories as f
from tests.jobs import run_jobs

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- helpers


def citizen_id(ext: str, dob: str, sex: str) -> str:
    """A valid citizen ID that is the same every time for the same person."""
    year = int(dob[:4])
    century_sex = (year // 100 - 19) * 2 + (0 if sex == "male" else 1)
    return f"034{century_sex}{year % 100:02d}{zlib.crc32(ext.encode()) % 1_000_000:06d}"


def person(ext, name, dob="1980-05-01", sex="male", relationship="head", *, cid=True, eth="01"):
    return {
        "external_id": ext,
        "full_name": name,
        "date_of_birth": dob,
        "sex": sex,
        "ethnicity": eth,
        "relationship": relationship,
        "citizen_id": citizen_id(ext, dob, sex) if cid is True else cid,
    }


def record(ext, commune, *members, address="Số 1, Tổ 1"):
    return {"external_id": ext, "commune": commune.code, "address": address, "members": [*members]}


def family(ext, commune, surname="Nguyễn", address="Số 1, Tổ 1"):
    return record(
        ext,
        commune,
        person(f"{ext}-1", f"{surname} Văn An"),
        person(f"{ext}-2", f"Trần Thị {surname[:2]}a", "1982-03-04", "female", "spouse"),
        person(f"{ext}-3", f"{surname} Minh Khôi", "2010-07-08", "male", "child", cid=None),
        address=address,
    )


def outcomes(report):
    return [o.outcome for o in report.outcomes]


def counts():
    return (
        Household.history.count(),
        Member.history.count(),
        ChangeEvent.objects.count(),
    )


def expected_search_text(household: Household) -> str:
    """The folded words of the address (households.search)."""
    return " ".join(re.findall("[0-9a-z]+", fold(household.address)))


@pytest.fixture
def officer(province_officer):
    return province_officer


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ---------------------------------------------------------------------------- outcomes


def test_mixed_batch_outcomes(officer, ward, rural):
    first = [family("HK-A", ward), family("HK-B", ward, "Lê")]
    assert outcomes(sync.sync_records(first, actor=officer)) == ["created", "created"]
    changed = family("HK-B", ward, "Lê", address="Số 9, Tổ 2")
    changed["members"][1]["full_name"] = "Trần Thị Lệ"
    invalid = family("HK-D", rural)
    invalid["members"][1]["citizen_id"] = "022099000001"  # says 1999 and male: both wrong
    batch = [family("HK-A", ward), changed, family("HK-C", rural, "Phạm"), invalid]

    report = sync.sync_records(batch, actor=officer)

    assert outcomes(report) == ["unchanged", "updated", "created", "rejected"]
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    [error] = report.outcomes[3].errors
    assert error["field"] == "members.1.citizen_id" and error["code"] == "invalid_citizen_id"
    assert "female" in error["reason"] and "1982" in error["reason"]
    # nothing of the rejected record was written
    assert not Household.objects.filter(external_id="HK-D").exists()
    assert not Member.objects.filter(external_id__startswith="HK-D").exists()
    # the update
    b = Household.objects.get(external_id="HK-B")
    assert (b.address, b.version) == ("Số 9, Tổ 2", 2)
    spouse = Member.objects.get(external_id="HK-B-2")
    assert (spouse.full_name, spouse.name_folded, spouse.version) == (
        "Trần Thị Lệ",
        "tran thi le",
        2,
    )
    assert Member.objects.get(external_id="HK-B-1").version == 1  # untouched member
    assert b.search_text == expected_search_text(b)
    # the creation: code from the commune's sequence, derived columns as the services write
    c = Household.objects.get(external_id="HK-C")
    assert report.outcomes[2].code == c.code and report.outcomes[2].household == str(c.id)
    assert c.code == f"{rural.code}-{Commune.objects.get(pk=rural.pk).household_seq:06d}"
    assert (c.source, c.status, c.version, c.phone, c.village_id) == (
        Source.REGISTRY_SYNC,
        "active",
        1,
        "",
        None,
    )
    assert c.search_text == expected_search_text(c)
    assert c.members.count() == 3
    assert all(m.name_folded == fold(m.full_name) for m in c.members.all())
    assert c.members.get(relationship="head").full_name == "Phạm Văn An"
    a = Household.objects.get(external_id="HK-A")
    assert a.version == 1


def test_replay_changes_nothing(officer, ward):
    batch = [family(f"HK-{i}", ward) for i in range(4)]
    sync.sync_records(batch, actor=officer)
    before = counts()
    versions = dict(Household.objects.values_list("external_id", "version"))
    report = sync.sync_records(batch, actor=officer)
    assert outcomes(report) == ["unchanged"] * 4
    assert counts() == before
    assert dict(Household.objects.values_list("external_id", "version")) == versions


def test_validation_errors_report_field_paths(officer, ward):
    future = date.today().replace(year=date.today().year + 1).isoformat()
    bad = [
        "not an object",
        record("HK-1", ward),  # no members
        {**family("HK-2", ward), "commune": "99999"},
        record("HK-3", ward, person("P-3a", "A B", relationship="spouse")),  # no head
        record("HK-4", ward, person("P-4", "A B", dob="2001-02-30", cid=None)),
        record("HK-5", ward, person("P-5", "A B", dob=future, cid=None)),
        record("HK-6", ward, {**person("P-6", "A B"), "sex": "x", "ethnicity": "77"}),
        record(
            "HK-7", ward, person("P-7", "A B"), person("P-7", "C D", relationship="child", cid=None)
        ),
    ]
    report = sync.sync_records(bad, actor=officer)
    assert outcomes(report) == ["rejected"] * len(bad)
    fields = [sorted(e["field"] for e in o.errors) for o in report.outcomes]
    assert fields == [
        ["record"],
        ["members"],
        ["commune"],
        ["members"],
        ["members.0.date_of_birth"],
        ["members.0.date_of_birth"],
        ["members.0.ethnicity", "members.0.sex"],
        ["members.1.external_id"],
    ]
    assert report.outcomes[5].errors[0]["code"] == "future_date"
    assert not Household.objects.exists()


def test_citizen_id_held_by_another_person_is_rejected(officer, ward):
    local = f.household(ward, members=[f.member("Hà Văn Một")])
    held = local.members.get().citizen_id
    taken = family("HK-X", ward)
    taken["members"][0]["citizen_id"] = held
    report = sync.sync_records([taken, family("HK-Y", ward)], actor=officer)
    assert outcomes(report) == ["rejected", "created"]
    [error] = report.outcomes[0].errors
    assert (error["field"], error["code"]) == ("members.0.citizen_id", "duplicate_citizen_id")
    assert local.code in error["reason"]


# A file that names a household, a person or a citizen ID twice gives the same result
# whether the two records fall in one chunk (None: 5,000 records), in two chunks (1) or
# straddle a chunk's boundary (2): the records are applied in the file's order.
CHUNKINGS = pytest.mark.parametrize("chunk_size", [None, 1, 2])


@CHUNKINGS
def test_a_household_named_twice_is_applied_in_file_order(officer, ward, chunk_size):
    first, later = family("HK-1", ward), family("HK-1", ward, address="Số 9, Tổ 9")
    report = sync.sync_records(
        [first, family("HK-2", ward), later], actor=officer, chunk_size=chunk_size
    )
    assert outcomes(report) == ["created", "created", "updated"]
    household = Household.objects.get(external_id="HK-1")
    assert household.address == "Số 9, Tổ 9"
    assert [h.address for h in household.history.order_by("history_date")] == [
        "Số 1, Tổ 1",
        "Số 9, Tổ 9",
    ]
    events = ChangeEvent.objects.filter(entity="household", entity_id=household.pk)
    assert list(events.order_by("seq").values_list("action", flat=True)) == ["created", "updated"]
    again = sync.sync_records([first, later], actor=officer, chunk_size=chunk_size)
    assert outcomes(again) == ["updated", "updated"]  # back to the first, then the later
    assert Household.objects.get(external_id="HK-1").address == "Số 9, Tổ 9"


@CHUNKINGS
def test_a_person_listed_by_two_households_moves_to_the_later(officer, ward, chunk_size):
    first = family("HK-1", ward)
    later = record(
        "HK-2",
        ward,
        person("HK-2-1", "Lê Văn Bình"),
        {**first["members"][2], "relationship": "grandchild"},
    )
    report = sync.sync_records([first, later], actor=officer, chunk_size=chunk_size)
    assert outcomes(report) == ["created", "created"]
    moved = Member.objects.get(external_id="HK-1-3")
    assert (moved.household.external_id, moved.relationship) == ("HK-2", "grandchild")
    assert Member.objects.filter(household__external_id="HK-1").count() == 2


@CHUNKINGS
def test_a_citizen_id_given_twice_rejects_the_later_record(officer, ward, chunk_size):
    first, later = family("HK-1", ward), family("HK-2", ward)
    later["members"][0]["citizen_id"] = first["members"][0]["citizen_id"]
    report = sync.sync_records([first, later], actor=officer, chunk_size=chunk_size)
    assert outcomes(report) == ["created", "rejected"]
    [problem] = report.outcomes[1].errors
    assert (problem["field"], problem["code"]) == ("members.0.citizen_id", "duplicate_citizen_id")
    assert not Household.objects.filter(external_id="HK-2").exists()


def test_a_household_named_three_times_in_a_chunk_ends_as_the_last_says(officer, ward):
    records = [family("HK-1", ward, address=f"Số {n}, Tổ 1") for n in (1, 2, 3)]
    report = sync.sync_records([*records, family("HK-2", ward)], actor=officer)
    assert outcomes(report) == ["created", "updated", "updated", "created"]
    assert Household.objects.get(external_id="HK-1").address == "Số 3, Tổ 1"
    assert Household.objects.get(external_id="HK-1").history.count() == 3


def test_a_dry_run_plans_a_repeated_household_without_the_earlier_record(officer, ward):
    records = [family("HK-1", ward), family("HK-1", ward, address="Số 9, Tổ 9")]
    report = sync.sync_records(records, actor=officer, dry_run=True)
    assert outcomes(report) == ["created", "created"]
    assert not Household.objects.exists()


# ---------------------------------------------------------------------------- ownership


def test_sync_never_overwrites_local_fields(officer, ward):
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    village = Village.objects.create(commune=ward, name="Khu 7")
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"phone": "0912345678", "village": village}),
    )
    moved = family("HK-1", ward, address="Số 99, Tổ 9")
    report = sync.sync_records([moved], actor=officer)
    assert outcomes(report) == ["updated"] and report.outcomes[0].conflicts == []
    household.refresh_from_db()
    assert (household.phone, household.village_id, household.address) == (
        "0912345678",
        village.id,
        "Số 99, Tổ 9",
    )
    assert household.search_text == expected_search_text(household)


def test_local_edit_of_registry_field_conflict_and_three_way_merge(officer, ward):
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    head = household.members.get(relationship="head")
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"address": "Số 5 (sửa tại xã)"}),
    )
    services.member_update(
        actor=SYSTEM, member=head, expected_version=1, values={"full_name": "Nguyễn Văn Ân"}
    )

    # The registry sends what it sent before: the local edits stand.
    report = sync.sync_records([family("HK-1", ward)], actor=officer)
    assert outcomes(report) == ["unchanged"] and report.outcomes[0].conflicts == []
    household.refresh_from_db()
    head.refresh_from_db()
    assert (household.address, head.full_name) == ("Số 5 (sửa tại xã)", "Nguyễn Văn Ân")

    # The registry changes both: its values apply, the local ones are reported.
    changed = family("HK-1", ward, address="Số 7, Tổ 1")
    changed["members"][0]["full_name"] = "Nguyễn Văn Anh"
    report = sync.sync_records([changed], actor=officer)
    assert outcomes(report) == ["updated"]
    assert report.outcomes[0].conflicts == [
        {
            "field": "address",
            "local": "Số 5 (sửa tại xã)",
            "registry": "Số 7, Tổ 1",
            "previous_registry": "Số 1, Tổ 1",
        },
        {
            "field": "members.0.full_name",
            "local": "Nguyễn Văn Ân",
            "registry": "Nguyễn Văn Anh",
            "previous_registry": "Nguyễn Văn An",
        },
    ]
    household.refresh_from_db()
    head.refresh_from_db()
    assert (household.address, head.full_name) == ("Số 7, Tổ 1", "Nguyễn Văn Anh")


def test_membership_moves_heads_and_absent_people(officer, ward):
    a, b = family("HK-A", ward), family("HK-B", ward, "Lê")
    sync.sync_records([a, b], actor=officer)
    # The registry: A's child leaves (not listed any more), B's head moves to A as a
    # grandparent, B's spouse becomes B's head, A's spouse becomes A's head.
    mover = b["members"][0]
    a2 = record(
        "HK-A",
        ward,
        {**a["members"][0], "relationship": "spouse"},
        {**a["members"][1], "relationship": "head"},
        {**mover, "relationship": "grandparent"},
    )
    b2 = record("HK-B", ward, {**b["members"][1], "relationship": "head"}, b["members"][2])
    report = sync.sync_records([a2, b2], actor=officer)
    assert outcomes(report) == ["updated", "updated"]
    child = Member.objects.get(external_id="HK-A-3")
    assert (child.status, child.status_date) == (MemberStatus.MOVED_OUT, date.today())
    moved = Member.objects.get(external_id=mover["external_id"])
    household_a = Household.objects.get(external_id="HK-A")
    assert (moved.household_id, moved.relationship) == (household_a.id, "grandparent")
    for ext in ("HK-A", "HK-B"):
        heads = Member.objects.filter(
            household__external_id=ext, relationship="head", status="present"
        )
        assert heads.count() == 1
    assert any("moved here" in n for n in report.outcomes[0].notes)
    assert any("moved out" in n for n in report.outcomes[0].notes)
    history = moved.history.order_by("-history_id").first()
    assert history.history_change_reason.startswith("Moved from household")
    event = ChangeEvent.objects.filter(entity_id=moved.id).order_by("-seq").first()
    assert event.action == "updated" and event.payload["household_id"] == str(household_a.id)
    # replayed: nothing moves again
    before = counts()
    assert outcomes(sync.sync_records([a2, b2], actor=officer)) == ["unchanged", "unchanged"]
    assert counts() == before


def test_locally_registered_people_are_adopted_by_citizen_id(officer, ward):
    local = f.household(
        ward,
        members=[f.member("Hoàng Văn Lâm", dob=date(1970, 1, 2))],
        external_id="HK-L",
    )
    head = local.members.get()
    incoming = record(
        "HK-L",
        ward,
        person("P-L1", "Hoàng Văn Lâm", "1970-01-02", cid=head.citizen_id),
        person("P-L2", "Vi Thị Hoa", "1972-02-03", "female", "spouse"),
        address=local.address,
    )
    report = sync.sync_records([incoming], actor=officer)
    assert outcomes(report) == ["updated"]
    head.refresh_from_db()
    assert head.external_id == "P-L1" and local.members.count() == 2


def test_locally_registered_people_without_citizen_id_are_adopted_by_name_and_birth(officer, ward):
    local = f.household(
        ward,
        members=[
            f.member("Hoàng Văn Lâm", dob=date(1970, 1, 2)),
            f.member(
                "Hoàng Minh Đức", relationship="child", dob=date(2015, 6, 7), with_citizen_id=False
            ),
        ],
        external_id="HK-L",
    )
    head = local.members.get(relationship="head")
    incoming = record(
        "HK-L",
        ward,
        person("P-L1", "Hoàng Văn Lâm", "1970-01-02", cid=head.citizen_id),
        person("P-L2", "HOÀNG Minh Đức", "2015-06-07", relationship="child", cid=None),
        address=local.address,
    )
    report = sync.sync_records([incoming], actor=officer)
    assert outcomes(report) == ["updated"]
    assert local.members.count() == 2
    child = local.members.get(relationship="child")
    assert (child.external_id, child.full_name) == ("P-L2", "HOÀNG Minh Đức")
    assert [c["field"] for c in report.outcomes[0].conflicts] == ["members.1.full_name"]
    assert not DuplicateCandidate.objects.exists()


def test_a_second_head_registered_locally_rejects_the_record(officer, ward):
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    head = household.members.get(relationship="head")
    # locally the spouse became head and the head a parent
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(
            values={},
            members=[
                services.MemberInput(id=head.id, values={"relationship": "parent"}),
                services.MemberInput(
                    id=household.members.get(relationship="spouse").id,
                    values={"relationship": "head"},
                ),
            ],
        ),
    )
    # the registry now says a third person is the head (both local and registry changed)
    changed = family("HK-1", ward)
    changed["members"][0]["relationship"] = "spouse"
    changed["members"][2]["relationship"] = "head"
    report = sync.sync_records([changed, family("HK-2", ward)], actor=officer)
    assert outcomes(report) == ["rejected", "created"]
    assert report.outcomes[0].errors[0]["code"] == "one_head_required"


# ---------------------------------------------------------------------------- dry run


def test_dry_run_writes_nothing(officer, ward):
    sync.sync_records([family("HK-1", ward)], actor=officer)
    before = (*counts(), Household.objects.count(), Member.objects.count())
    seq = Commune.objects.get(pk=ward.pk).household_seq
    batch = [family("HK-1", ward, address="Số 2"), family("HK-2", ward), {"bad": 1}]
    report = sync.sync_records(batch, actor=officer, dry_run=True)
    assert report.dry_run and outcomes(report) == ["updated", "created", "rejected"]
    assert report.outcomes[1].code is None
    assert (*counts(), Household.objects.count(), Member.objects.count()) == before
    assert Household.objects.get(external_id="HK-1").address == "Số 1, Tổ 1"
    assert Commune.objects.get(pk=ward.pk).household_seq == seq


# ---------------------------------------------------------------------------- history, feed


def test_history_feed_and_duplicates(officer, ward, api):
    local = f.household(ward, members=[f.member("Nguyễn Văn An", dob=date(1980, 5, 1))])
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    rows = household.history.all()
    assert [(r.history_type, r.history_channel, r.history_user_id) for r in rows] == [
        ("+", "registry_sync", officer.id)
    ]
    assert rows[0].code == household.code and rows[0].address == household.address
    members = Member.history.filter(household_id=household.id)
    assert members.count() == 3 and {m.history_type for m in members} == {"+"}
    events = ChangeEvent.objects.filter(channel="registry_sync").order_by("seq")
    assert [(e.entity, e.action) for e in events] == [("household", "created")] + [
        ("member", "created")
    ] * 3
    assert events[0].commune == ward.code and events[0].user == officer.username
    assert events[0].payload["code"] == household.code
    assert events[0].payload["address"] == "Số 1, Tổ 1"
    assert {e.payload["external_id"] for e in events[1:]} == {"HK-1-1", "HK-1-2", "HK-1-3"}
    # same name and birth date as a member registered locally in the same commune
    new_head = household.members.get(relationship="head")
    [candidate] = DuplicateCandidate.objects.all()
    assert {candidate.member_a_id, candidate.member_b_id} == {new_head.id, local.members.get().id}

    sync.sync_records([family("HK-1", ward, address="Số 3")], actor=officer)
    entries = api.get(f"/api/v1/households/{household.id}/history/").json()
    latest = entries[0]
    assert (latest["change"], latest["channel"], latest["user"]) == (
        "changed",
        "registry_sync",
        officer.username,
    )
    assert {"field": "address", "old": "Số 1, Tổ 1", "new": "Số 3"} in latest["changes"]
    assert ChangeEvent.objects.filter(channel="registry_sync").count() == 5
    assert DuplicateCandidate.objects.count() == 1


# ---------------------------------------------------------------------------- area


def test_feed_events_carry_the_payload_of_a_change_made_through_the_models(officer, ward, rural):
    """The sync writes its events set-based (core.feed.payload_sql): each must say what
    core.feed.payload_of says of the same change, whatever the values' types."""
    a, b = family("HK-A", ward), family("HK-B", ward, "Lê")
    sync.sync_records([a, b], actor=officer)
    village = Village.objects.create(commune=ward, name="Khu 3")
    Household.objects.filter(external_id="HK-B").update(
        village=village,
        latitude=Decimal("21.1"),
        longitude=Decimal("107.123456"),
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),  # no fraction of a second
    )
    for ext, micro in (("HK-B-2", 500), ("HK-B-3", 999_999)):
        Member.objects.filter(external_id=ext).update(
            created_at=datetime(2025, 1, 2, 3, 4, 5, micro, tzinfo=UTC)
        )
    mover, *rest = b["members"]
    a2 = record("HK-A", ward, *a["members"], {**mover, "relationship": "grandparent"})
    b2 = record(
        "HK-B",
        rural,
        {**rest[0], "relationship": "head"},
        {**rest[1], "full_name": "Lê Minh Khang"},
        address="Thôn 5",
    )
    assert outcomes(sync.sync_records([a2, b2], actor=officer)) == ["updated", "updated"]

    events = list(ChangeEvent.objects.filter(channel="registry_sync").order_by("seq"))
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))
    # 2 households and 6 people created; then A (a person moved in: a new version), B and
    # B's 3 people
    assert len(events) == 8 + 5
    for event in events:
        model = Household if event.entity == "household" else Member
        change = model.history.get(id=event.entity_id, history_date=event.at)
        assert event.payload == payload_of(change)
        assert event.action == {"+": "created", "~": "updated"}[change.history_type]
    by_id = {(e.entity_id, e.action): e for e in events}
    household_b = Household.objects.get(external_id="HK-B")
    moved = by_id[(household_b.id, "updated")]
    assert moved.payload["latitude"] == "21.100000" and moved.payload["created_at"] == (
        "2025-01-02T03:04:05Z"
    )
    assert (moved.commune, moved.village, moved.previous_commune, moved.previous_village) == (
        rural.code,
        None,
        ward.code,
        village.id,
    )
    # Where each person was before the chunk: HK-B-3 with HK-B in the ward's village, which
    # moved (the ward learns they left); the grandparent there too, now in HK-A (the ward, no
    # village): never in the rural commune, whose readers are not told of them.
    renamed = by_id[(Member.objects.get(external_id="HK-B-3").id, "updated")]
    assert renamed.payload["created_at"] == "2025-01-02T03:04:05.999Z"
    assert (renamed.commune, renamed.previous_commune) == (rural.code, ward.code)
    grandparent = by_id[(Member.objects.get(external_id=mover["external_id"]).id, "updated")]
    assert (grandparent.commune, grandparent.previous_commune) == (ward.code, ward.code)
    assert (grandparent.village, grandparent.previous_village) == (None, village.id)


def test_registry_user_of_one_commune_cannot_sync_another(ward, rural, officer):
    sync.sync_records([family("HK-R", rural)], actor=officer)
    registry = f.user(Role.REGISTRY_SYSTEM, communes=[ward])
    moved_in = family("HK-R", ward)  # an existing household of the rural commune
    report = sync.sync_records(
        [family("HK-W", ward), family("HK-R2", rural), moved_in], actor=registry
    )
    assert outcomes(report) == ["created", "rejected", "rejected"]
    assert report.outcomes[1].errors[0] == {
        "field": "commune",
        "code": "outside_area",
        "reason": f"Commune {rural.code} is outside your area.",
    }
    assert report.outcomes[2].errors[0]["field"] == "external_id"
    assert Household.objects.get(external_id="HK-R").commune_id == rural.code


# ---------------------------------------------------------------------------- moves


def moving_batch(ward) -> list[dict]:
    """After HK-A, HK-B and HK-D are synced: B's child listed in A (with A's new address), B's
    spouse heading a new household HK-E (both moves), and two records that move nobody: a new
    household HK-C and HK-D's new address."""
    a, b = family("HK-A", ward), family("HK-B", ward, "Lê")
    spouse, child = b["members"][1], b["members"][2]
    return [
        record(
            "HK-A",
            ward,
            *a["members"],
            {**child, "relationship": "grandchild"},
            address="Số 9, Tổ 9",
        ),
        family("HK-C", ward, "Vũ"),
        family("HK-D", ward, "Phạm", address="Số 2, Tổ 2"),
        record("HK-E", ward, {**spouse, "relationship": "head"}),
    ]


def test_a_field_enumerator_cannot_move_people_through_the_sync(officer, ward, media):
    """The API's move (households.services.member_move) needs registry_lifecycle, which an
    enumerator lacks: a record that would move someone from another household is refused,
    nothing of it is written, and the file's other records apply."""
    sync.sync_records(
        [family("HK-A", ward), family("HK-B", ward, "Lê"), family("HK-D", ward, "Phạm")],
        actor=officer,
    )
    household_b = Household.objects.get(external_id="HK-B")
    people = Member.objects.filter(external_id__in=["HK-B-2", "HK-B-3"])
    before = {m.external_id: (m.household_id, m.status, m.version) for m in people}
    moved_history = Member.history.filter(external_id__in=["HK-B-2", "HK-B-3"]).count()
    enumerator = f.user(Role.FIELD_ENUMERATOR, communes=[ward])
    client = f.client_for(enumerator)

    r = client.post(
        "/api/v1/registry-sync/", moving_batch(ward), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 200, r.content
    records = r.json()["records"]
    assert [x["outcome"] for x in records] == ["rejected", "created", "updated", "rejected"]
    refusal = (
        "Your role does not allow this (registry_lifecycle). Allowed: province_officer, "
        "commune_leader, commune_officer, registry_system."
    )
    assert records[0]["errors"] == [
        {
            "field": "members.3.external_id",
            "code": "permission_denied",
            "reason": "Person HK-B-3 is registered in another household: moving them to this "
            f"one was refused. {refusal}",
        }
    ]
    assert [(e["field"], e["code"]) for e in records[3]["errors"]] == [
        ("members.0.external_id", "permission_denied")
    ]
    assert household_b.code not in json.dumps(records)  # where they are is not told
    # The people stay where they were, untouched; nothing of the refused records is written.
    people = Member.objects.filter(external_id__in=["HK-B-2", "HK-B-3"])
    assert {m.external_id: (m.household_id, m.status, m.version) for m in people} == before
    assert Member.history.filter(external_id__in=["HK-B-2", "HK-B-3"]).count() == moved_history
    household_a = Household.objects.get(external_id="HK-A")
    assert (household_a.address, household_a.version, household_a.members.count()) == (
        "Số 1, Tổ 1",
        1,
        3,
    )
    assert not Household.objects.filter(external_id="HK-E").exists()
    # The records that move nobody apply.
    assert Household.objects.get(external_id="HK-C").members.count() == 3
    assert Household.objects.get(external_id="HK-D").address == "Số 2, Tổ 2"

    # The same file as a background job (a dry run, then for real) is refused the same way.
    for dry_run in (True, False):
        job = ndjson_job(moving_batch(ward), enumerator, dry_run=dry_run)
        run_jobs()
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED
        assert job.counts == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 2}
        assert [r["index"] for r in job.report["rejected"]] == [0, 3]
    people = Member.objects.filter(external_id__in=["HK-B-2", "HK-B-3"])
    assert {m.external_id: (m.household_id, m.status, m.version) for m in people} == before


@pytest.mark.parametrize(
    ("role", "area"),
    [
        (Role.REGISTRY_SYSTEM, {"communes": "ward"}),
        (Role.PROVINCE_OFFICER, {"provinces": ["22"]}),
        (Role.COMMUNE_OFFICER, {"communes": "ward"}),
    ],
)
def test_roles_that_may_move_members_still_move_them_through_the_sync(officer, ward, role, area):
    sync.sync_records(
        [family("HK-A", ward), family("HK-B", ward, "Lê"), family("HK-D", ward, "Phạm")],
        actor=officer,
    )
    household_b = Household.objects.get(external_id="HK-B")
    area = {k: [ward] if v == "ward" else v for k, v in area.items()}
    user = f.user(role, **area)
    report = sync.sync_records(moving_batch(ward), actor=user)
    assert outcomes(report) == ["updated", "created", "updated", "created"]
    assert not any(o.errors for o in report.outcomes)
    household_a = Household.objects.get(external_id="HK-A")
    household_e = Household.objects.get(external_id="HK-E")
    child = Member.objects.get(external_id="HK-B-3")
    spouse = Member.objects.get(external_id="HK-B-2")
    assert (child.household_id, child.relationship, child.status) == (
        household_a.id,
        "grandchild",
        MemberStatus.PRESENT,
    )
    assert (spouse.household_id, spouse.relationship) == (household_e.id, "head")
    assert household_a.address == "Số 9, Tổ 9"
    assert report.outcomes[0].notes == [
        f"Member HK-B-3 moved here from household {household_b.code}."
    ]
    history = child.history.order_by("-history_id").first()
    assert history.history_change_reason == (
        f"Moved from household {household_b.code} by the registry"
    )
    assert list(household_b.members.values_list("external_id", flat=True)) == ["HK-B-1"]


# ---------------------------------------------------------------------------- API


def test_api_inline_json_and_ndjson(ward):
    registry = f.user(Role.REGISTRY_SYSTEM, communes=[ward])
    client = f.client_for(registry)
    r = client.post("/api/v1/registry-sync/", [family("HK-1", ward)], format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert body["records"][0]["code"].startswith(ward.code)
    lines = "\n".join(json.dumps(x) for x in [family("HK-1", ward), family("HK-2", ward)])
    r = client.post(
        "/api/v1/registry-sync/?dry_run=true", lines, content_type="application/x-ndjson"
    )
    assert r.status_code == 200, r.content
    assert [x["outcome"] for x in r.json()["records"]] == ["unchanged", "created"]
    assert r.json()["dry_run"] is True and not Household.objects.filter(external_id="HK-2")
    household = Household.objects.get(external_id="HK-1")
    assert household.history.get().history_channel == "registry_sync"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('[{"external_id": ', "application/json"),
        ('{"external_id": "HK-1"}', "application/json"),
        ('{"external_id": "HK-1"}\n{not json\n', "application/x-ndjson"),
    ],
)
def test_api_bad_bodies_are_400_problems(api, body, content_type):
    r = api.post("/api/v1/registry-sync/", body, content_type=content_type)
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"


def test_api_body_limits(api, ward, media, monkeypatch):
    from integrations.api import sync as view

    monkeypatch.setattr(view, "INLINE_LIMIT", 1)
    monkeypatch.setattr(view, "BODY_LIMIT", 2)
    r = api.post("/api/v1/registry-sync/", [family(f"HK-{i}", ward) for i in range(3)])
    assert r.status_code == 400 and r.json()["code"] == "too_many_records"
    r = api.post("/api/v1/registry-sync/", [family(f"HK-{i}", ward) for i in range(2)])
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "queued" and not Household.objects.exists()
    run_jobs()
    job = api.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["counts"]["created"] == 2


def test_api_needs_registry_edit(ward):
    for role in (Role.AUDITOR, Role.ANALYST):
        client = f.client_for(f.user(role, communes=[ward]))
        r = client.post("/api/v1/registry-sync/", [family("HK-1", ward)], format="json")
        assert r.status_code == 403
    assert not Household.objects.exists()


def csv_file(records, name="registry.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sync.CSV_COLUMNS)
    for rec in records:
        for m in rec["members"]:
            writer.writerow(
                [
                    rec["external_id"],
                    rec["commune"],
                    rec["address"],
                    m["external_id"],
                    m["full_name"],
                    m["date_of_birth"],
                    m["sex"],
                    m["ethnicity"],
                    m["relationship"],
                    m["citizen_id"] or "",
                ]
            )
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def test_api_csv_file_job_and_rejected_csv(api, ward, media):
    bad = family("HK-3", ward)
    bad["members"][0]["date_of_birth"] = "1980-13-01"
    records = [family("HK-1", ward), family("HK-2", ward), bad]
    r = api.post("/api/v1/registry-sync/", {"file": csv_file(records)}, format="multipart")
    assert r.status_code == 202, r.content
    assert (r.json()["status"], r.json()["done"], r.json()["total"]) == ("queued", 0, None)
    run_jobs()
    job = api.get(f"/api/v1/jobs/{r.json()['id']}/").json()
    assert (job["status"], job["kind"], job["done"], job["total"]) == (
        "succeeded",
        "registry_sync",
        3,
        3,
    )
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert job["report"]["rejected_total"] == 1
    assert job["report"]["rejected"][0]["errors"][0]["field"] == "members.0.date_of_birth"
    upload = media / job["params"]["path"]
    assert upload.name == f"{job['id']}.csv" and upload.stat().st_mode & 0o777 == 0o600
    created = Household.objects.get(external_id="HK-2")
    assert created.members.count() == 3 and created.search_text == expected_search_text(created)
    assert created.members.filter(citizen_id__isnull=True).count() == 1

    r = api.get(f"/api/v1/registry-sync/{job['id']}/rejected.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for spreadsheets
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == list(sync_view_columns())
    assert rows[1][:4] == ["2", "HK-3", "members.0.date_of_birth", "invalid_date"]
    other = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    assert other.get(f"/api/v1/registry-sync/{job['id']}/rejected.csv").status_code == 404


def sync_view_columns():
    from integrations.api.sync import REJECTED_CSV_COLUMNS

    return REJECTED_CSV_COLUMNS


def test_csv_rows_of_a_household_must_agree(officer, ward, media):
    path = media / "x.csv"
    content = csv_file([family("HK-1", ward)]).read().decode()
    path.write_text(content.replace("Số 1, Tổ 1", "Elsewhere", 1), encoding="utf-8")
    report = sync.sync_records(sync.read_records(path, "csv"), actor=officer)
    assert outcomes(report) == ["rejected"]
    assert report.outcomes[0].errors[0]["code"] == "inconsistent_rows"


@CHUNKINGS
def test_csv_rows_of_a_household_apart_reject_the_later_rows(officer, ward, media, chunk_size):
    """A household's rows split by another's would otherwise be two records, the later one a
    household without the people of the earlier rows."""
    path = media / "apart.csv"
    whole = family("HK-1", ward)
    first, later = (
        dict(whole, members=whole["members"][:2]),
        dict(whole, members=whole["members"][2:]),
    )
    path.write_bytes(csv_file([first, family("HK-2", ward), later]).read())
    records = sync.read_records(path, "csv")
    report = sync.sync_records(records, actor=officer, chunk_size=chunk_size)
    assert outcomes(report) == ["created", "created", "rejected"]
    [problem] = report.outcomes[2].errors
    assert (problem["field"], problem["code"]) == ("external_id", "rows_apart")
    assert "record 0" in problem["reason"]
    assert Household.objects.get(external_id="HK-1").members.count() == 2


def test_json_array_file_streaming(officer, ward, media):
    path = media / "batch.json"
    path.write_text(
        json.dumps([family(f"HK-{i}", ward) for i in range(5)], ensure_ascii=False, indent=1)
    )
    with open(path, encoding="utf-8") as stream:
        records = list(sync.iter_json_array(stream, bufsize=64))
    assert [r["external_id"] for r in records] == [f"HK-{i}" for i in range(5)]
    path.write_text('[{"a": 1}, oops]')
    with pytest.raises(sync.MalformedFile) as refused:
        list(sync.read_records(path, "json"))
    # Records count from 0, as in the job's report; where in the buffer it broke says nothing.
    assert str(refused.value) == "Invalid JSON in record 1: a value was expected."


def ndjson_job(records, user, **params) -> Job:
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    return sync.stage_upload(content, "ndjson", actor=user, **params)


def test_failed_job_resumes_without_duplicates(api, officer, ward, media, monkeypatch):
    records = [family(f"HK-{i}", ward) for i in range(5)]
    records[3]["members"][0]["sex"] = "?"
    job = ndjson_job(records, officer, chunk_size=2)
    real_progress = jobs.progress
    calls = []

    def failing_progress(job, **fields):
        if "checkpoint" in fields:
            calls.append(fields["checkpoint"])
            if len(calls) == 2:  # the second chunk fails while being committed
                raise RuntimeError("disk full")
        real_progress(job, **fields)

    monkeypatch.setattr(jobs, "progress", failing_progress)
    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.checkpoint == {"next_record": 2}
    assert job.error.startswith("An unexpected error (RuntimeError) stopped the job")
    assert "disk full" not in job.error and job.lease_owner == ""  # the log has it
    assert job.counts == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert Household.objects.count() == 2  # the second chunk was rolled back
    monkeypatch.setattr(jobs, "progress", real_progress)

    r = api.post(f"/api/v1/jobs/{job.pk}/resume/")
    assert r.status_code == 202 and r.json()["status"] == "queued", r.content
    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.counts == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert job.done == job.total == 5 and job.attempts == 2
    assert Household.objects.count() == 4
    assert Member.objects.count() == 12
    assert Member.objects.values("external_id").distinct().count() == 12
    assert [r["index"] for r in sync.read_report(job)] == [3]

    # A checkpoint lost entirely: the whole file again is harmless.
    before = counts()
    replay = ndjson_job(records, officer)
    run_jobs()
    replay.refresh_from_db()
    assert replay.counts == {"created": 0, "updated": 0, "unchanged": 4, "rejected": 1}
    assert counts() == before


def test_the_garbage_collector_runs_again_after_a_sync(officer, ward, monkeypatch):
    """It is paused for each chunk only (integrations.sync.runner), also when one fails."""
    assert gc.isenabled()
    sync.sync_records([family("HK-1", ward)], actor=officer)
    assert gc.isenabled()

    def broken(records):
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        sync.sync_records([family("HK-2", ward)], actor=officer, read_state=broken)
    assert gc.isenabled()


def test_a_job_reports_where_its_time_went(officer, ward, media):
    """An operator reads in the job's report how long each stage took (seconds, summed over
    the chunks): a first load writes, a replay only reads."""
    records = [family(f"HK-{i}", ward) for i in range(5)]
    job = ndjson_job(records, officer, chunk_size=2)
    run_jobs()
    job.refresh_from_db()
    stages = job.report["stage_seconds"]
    assert set(stages) == {
        "count",
        "parse",
        "validate",
        "read",
        "plan",
        "codes",
        "staging",
        "households",
        "members",
        "history",
        "duplicates",
        "events",
        *(["checks"] if connection.vendor == "postgresql" else []),  # foreign keys, before the feed
        "feed",
        "checkpoint",
        "commit",
        "search indexes",
    }
    took = (job.finished_at - job.started_at).total_seconds()
    assert all(seconds >= 0 for seconds in stages.values())
    assert 0 < sum(stages.values()) <= took + 0.01

    replay = ndjson_job(records, officer)
    run_jobs()
    replay.refresh_from_db()
    assert replay.counts["unchanged"] == 5
    assert set(replay.report["stage_seconds"]) == {
        "count",
        "parse",
        "validate",
        "read",
        "plan",
        "checkpoint",
        "commit",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN pending lists: PostgreSQL")
def test_a_synced_register_is_searchable_without_waiting_for_autovacuum(officer, ward, media):
    """The sync writes with a large GIN pending list; the job merges it into the trigram
    indexes when it ends, so that a search right after a sync does not read the new names and
    addresses one by one (bench/README.md: 131 ms against 0.9 ms)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")

    def pending() -> dict[str, int]:
        with connection.cursor() as cursor:
            found = {}
            for name in ("member_name_words_trgm", "household_address_words_trgm"):
                cursor.execute("SELECT pending_tuples FROM pgstatginindex(%s::regclass)", [name])
                found[name] = cursor.fetchone()[0]
            return found

    records = [family(f"GIN-{i}", ward, address=f"Thôn Bản Lầy {i}") for i in range(30)]
    sync.sync_records(records, actor=officer)  # the synchronous door leaves them pending
    assert all(count > 0 for count in pending().values()), pending()

    job = ndjson_job([family(f"GIN-{i}", ward) for i in range(30, 60)], officer)
    run_jobs()
    job.refresh_from_db()
    assert job.counts["created"] == 30
    assert pending() == {"member_name_words_trgm": 0, "household_address_words_trgm": 0}
    found = f.client_for(officer).get("/api/v1/households/", {"q": "ban lay 7"}).json()
    assert [h["external_id"] for h in found["results"]] == ["GIN-7"]


@pytest.fixture
def apart(monkeypatch):
    """Every job file is read and validated by a second process (integrations.sync.apart)."""
    monkeypatch.setattr(sync_apart, "APART_MIN_RECORDS", 1)


def test_a_file_validated_by_a_second_process_gives_the_same_outcomes(officer, ward, media, apart):
    records = [family(f"HK-{i}", ward) for i in range(7)]
    records[3]["members"][0]["sex"] = "?"
    records[5]["members"][1]["date_of_birth"] = "2999-01-01"
    job = ndjson_job(records, officer, chunk_size=2)
    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.counts == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 2}
    assert Household.objects.count() == 5 and Member.objects.count() == 15
    assert {"parse", "validate", "wait"} <= set(job.report["stage_seconds"])
    assert multiprocessing.active_children() == []
    rejected = [line for line in sync.read_report(job)]
    assert [(r["index"], r["errors"][0]["field"]) for r in rejected] == [
        (3, "members.0.sex"),
        (5, "members.1.date_of_birth"),
    ]

    # The same file read in this process: the same rejection, word for word.
    before = counts()
    replay = ndjson_job(records, officer, chunk_size=2)
    sync_apart.APART_MIN_RECORDS = 1000
    run_jobs()
    replay.refresh_from_db()
    assert replay.counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 2}
    assert "wait" not in replay.report["stage_seconds"]
    assert [line for line in sync.read_report(replay)] == rejected
    assert counts() == before


def test_a_file_validated_apart_fails_or_stops_as_one_read_here(officer, ward, media, apart):
    broken = sync.stage_upload(b'{"not": "an array"}', "json", actor=officer)
    run_jobs()
    broken.refresh_from_db()
    assert broken.status == JobStatus.FAILED
    assert broken.error == "The file is not a JSON array of records."
    assert multiprocessing.active_children() == []

    # A worker asked to stop puts the job back before its next chunk; nothing is left running.
    job = ndjson_job([family(f"HK-{i}", ward) for i in range(4)], officer, chunk_size=2)
    run = jobs.claim(job.pk)
    jobs.request_stop()
    try:
        jobs.execute(run, heartbeat=False)
    finally:
        jobs._stopping.clear()
    job.refresh_from_db()
    assert (job.status, job.done, Household.objects.count()) == (JobStatus.QUEUED, 0, 0)
    assert multiprocessing.active_children() == []
    run_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.counts["created"] == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_a_chunk_looks_its_people_up_through_the_indexes(officer, ward):
    """A chunk of new people looks up thousands of IDs that match nothing; left to itself
    PostgreSQL reads the whole member table for that, once per chunk."""
    sync.sync_records([family(f"HK-{i}", ward) for i in range(30)], actor=officer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_member")
    people = [f"CD-new-{i}" for i in range(5000)]
    citizen_ids = [citizen_id(p, "1990-01-01", "male") for p in people]
    where, params = db.or_(db.any_of("external_id", people), db.any_of("citizen_id", citizen_ids))
    explain = f"EXPLAIN SELECT id FROM households_member WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(explain, params)
        assert "Seq Scan" in str(cursor.fetchall())  # what the guard is for
        with db.index_lookups():
            cursor.execute(explain, params)
            plan = str(cursor.fetchall())
    assert "Seq Scan" not in plan and "Index Scan on member_unique_external_id" in plan


# ---------------------------------------------------------------------------- races


def test_a_race_lost_on_a_unique_constraint_rejects_only_that_record(officer, ward):
    """Another writer takes a citizen ID between the chunk's read and its write (simulated: the
    read does not see the holder): the database refuses the chunk, which is split until the
    record at fault is found; the others are written."""
    taken = family("HK-2", ward)
    citizen_id = taken["members"][0]["citizen_id"]
    f.household(ward, members=[f.member("Người Khác", citizen_id=citizen_id)])

    def load_missing_the_holder(records):
        state = sync.load_state(records)
        state.member_by_citizen_id.pop(citizen_id, None)
        return state

    batch = [family("HK-1", ward), taken, family("HK-3", ward)]
    report = sync.sync_records(batch, actor=officer, read_state=load_missing_the_holder)
    assert outcomes(report) == ["created", "rejected", "created"]
    assert report.outcomes[1].errors[0]["code"] == "integrity_conflict"
    assert not Household.objects.filter(external_id="HK-2").exists()
    assert Member.objects.filter(household__external_id__in=["HK-1", "HK-3"]).count() == 6


def test_a_concurrent_edit_makes_the_chunk_start_again(officer, ward):
    """The household changed after the chunk read it (simulated: the first read is stale):
    the version guard refuses the write and the chunk starts again from a fresh read."""
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"phone": "0987654321"}),
    )
    reads = []

    def stale_first_read(records):
        state = sync.load_state(records)
        reads.append(1)
        if len(reads) == 1:
            state.households[household.id].update(version=1, phone="")
        return state

    report = sync.sync_records(
        [family("HK-1", ward, address="Số 4")], actor=officer, read_state=stale_first_read
    )
    assert outcomes(report) == ["updated"] and len(reads) == 2
    household.refresh_from_db()
    assert (household.address, household.phone, household.version) == ("Số 4", "0987654321", 3)
    assert household.search_text == expected_search_text(household)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deadlock error")
def test_a_chunk_that_loses_a_deadlock_is_started_again(officer, ward):
    """PostgreSQL stops one of two deadlocked transactions (bench/README.md: a sync chunk and
    a field upload on the change feed's counter). The chunk it stopped is started again and
    writes its records once; another database error still fails the chunk."""
    reads = []

    def deadlocked_first(records):
        reads.append(1)
        if len(reads) == 1:
            with connection.cursor() as cursor:  # the database's own deadlock error
                cursor.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' "
                    "USING ERRCODE = 'deadlock_detected'; END $$"
                )
        return sync.load_state(records)

    batch = [family("DL-1", ward), family("DL-2", ward)]
    report = sync.sync_records(batch, actor=officer, read_state=deadlocked_first)
    assert outcomes(report) == ["created", "created"] and len(reads) == 2
    ids = list(Household.objects.filter(external_id__startswith="DL-").values_list("id", flat=True))
    assert len(ids) == 2
    assert ChangeEvent.objects.filter(entity="household", entity_id__in=ids).count() == 2

    def other_error(records):
        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$"
            )
        return sync.load_state(records)

    with pytest.raises(OperationalError):
        sync.sync_records([family("DL-3", ward)], actor=officer, read_state=other_error)
    assert not Household.objects.filter(external_id="DL-3").exists()


# ---------------------------------------------------------------------------- lifecycle


def test_closed_households_and_deceased_people_are_left_to_officers(officer, ward):
    batch = [family("HK-1", ward), family("HK-2", ward)]
    sync.sync_records(batch, actor=officer)
    closed = Household.objects.get(external_id="HK-1")
    services.household_close(
        actor=SYSTEM,
        household=closed,
        expected_version=1,
        status="dissolved",
        reason="x",
        on=date.today(),
    )
    child = Member.objects.get(external_id="HK-2-3")
    services.member_update(
        actor=SYSTEM,
        member=child,
        expected_version=1,
        values={"status": "deceased", "status_date": date.today()},
    )
    # The registry drops the child, then lists it again; HK-1 keeps coming.
    without_child = record("HK-2", ward, *batch[1]["members"][:2])
    report = sync.sync_records([batch[0], without_child], actor=officer)
    assert outcomes(report) == ["rejected", "unchanged"]
    assert report.outcomes[0].errors[0]["code"] == "household_not_active"
    report = sync.sync_records([batch[1]], actor=officer)
    assert outcomes(report) == ["unchanged"]
    [conflict] = report.outcomes[0].conflicts
    assert conflict["field"] == "members.2.household"
    assert conflict["local"]["status"] == "deceased"
    assert any("deceased" in note for note in report.outcomes[0].notes)
    child.refresh_from_db()
    assert child.status == "deceased"


def test_the_people_of_a_closed_household_move_where_the_registry_lists_them(officer, ward):
    """As the API's member move: out of a household we closed, to the household the registry
    lists them in; the closed household's own record is still refused, and it stays closed."""
    batch = [family("HK-1", ward), family("HK-2", ward, "Lê")]
    sync.sync_records(batch, actor=officer)
    closed = f.close(Household.objects.get(external_id="HK-1"), "dissolved")
    stayed, left, child = batch[0]["members"]
    report = sync.sync_records(
        [
            record("HK-1", ward, stayed, child),
            record("HK-2", ward, *batch[1]["members"], {**left, "relationship": "grandparent"}),
        ],
        actor=officer,
    )
    assert outcomes(report) == ["rejected", "updated"]
    assert report.outcomes[0].errors[0]["code"] == "household_not_active"
    moved = Member.objects.select_related("household").get(external_id="HK-1-2")
    assert (moved.household.external_id, moved.status) == ("HK-2", "present")
    closed.refresh_from_db()
    assert closed.status == "dissolved" and closed.members.count() == 2


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "active"])
def test_a_person_left_in_a_closed_household_is_not_changed(officer, ward, closed):
    """As the API (households.services._assert_active): a member of a closed household is
    read-only. An officer moved HK-2's child to HK-1, then HK-1 was closed; the registry still
    lists the child in HK-2 (the local move stands) with a new name and birth date: they are
    reported, not applied, until the child is in an active household again."""
    batch = [family("HK-1", ward), family("HK-2", ward, "Lê")]
    sync.sync_records(batch, actor=officer)
    h1 = Household.objects.get(external_id="HK-1")
    child = services.member_move(
        actor=SYSTEM,
        member=Member.objects.get(external_id="HK-2-3"),
        expected_version=1,
        to=h1,
        relationship="grandchild",
    )
    if closed:
        h1.refresh_from_db()  # touched by the move
        h1 = f.close(h1, "dissolved")
    before = (
        counts(),
        child.history.count(),
        ChangeEvent.objects.filter(entity_id=child.id).count(),
    )
    changed = family("HK-2", ward, "Lê")
    changed["members"][2].update(full_name="Lê Minh Khang", date_of_birth="2010-07-09")

    report = sync.sync_records([changed], actor=officer)

    fresh = Member.objects.get(pk=child.pk)
    assert fresh.household_id == h1.id  # the local move stands
    if not closed:
        assert outcomes(report) == ["updated"] and report.outcomes[0].conflicts == []
        assert (fresh.full_name, fresh.date_of_birth, fresh.version) == (
            "Lê Minh Khang",
            date(2010, 7, 9),
            child.version + 1,
        )
        return
    assert outcomes(report) == ["unchanged"]
    assert report.outcomes[0].conflicts == [
        {
            "field": "members.2.full_name",
            "local": "Lê Minh Khôi",
            "registry": "Lê Minh Khang",
            "previous_registry": "Lê Minh Khôi",
        },
        {
            "field": "members.2.date_of_birth",
            "local": "2010-07-08",
            "registry": "2010-07-09",
            "previous_registry": "2010-07-08",
        },
    ]
    assert report.outcomes[0].notes == [
        f"Member HK-2-3 is in closed household {h1.code}: the registry's values were not applied."
    ]
    assert (fresh.full_name, fresh.date_of_birth, fresh.version, fresh.updated_at) == (
        child.full_name,
        child.date_of_birth,
        child.version,
        child.updated_at,
    )
    after = (
        counts(),
        child.history.count(),
        ChangeEvent.objects.filter(entity_id=child.id).count(),
    )
    assert after == before
    # Replayed: the same report. Moved out to an active household, the child takes the
    # registry's values (its snapshot kept the ones sent before: not mistaken for local edits).
    assert sync.sync_records([changed], actor=officer).outcomes[0].as_dict() == (
        report.outcomes[0].as_dict()
    )
    services.member_move(
        actor=SYSTEM,
        member=fresh,
        expected_version=fresh.version,
        to=Household.objects.get(external_id="HK-2"),
        relationship="child",
    )
    report = sync.sync_records([changed], actor=officer)
    assert outcomes(report) == ["updated"] and report.outcomes[0].conflicts == []
    fresh.refresh_from_db()
    assert (fresh.full_name, fresh.date_of_birth) == ("Lê Minh Khang", date(2010, 7, 9))


def test_a_deceased_person_of_a_closed_household_is_not_changed(officer, ward):
    """Not made present again, nor renamed: their household is closed. The membership
    conflict is reported once (the snapshot takes the household sent), the refused name at
    each sync (the snapshot keeps the name sent before)."""
    batch = [family("HK-1", ward), family("HK-2", ward, "Lê")]
    sync.sync_records(batch, actor=officer)
    child = Member.objects.get(external_id="HK-1-3")
    services.member_update(
        actor=SYSTEM,
        member=child,
        expected_version=1,
        values={"status": "deceased", "status_date": date.today()},
    )
    f.close(Household.objects.get(external_id="HK-1"), "dissolved")
    listed = record(
        "HK-2",
        ward,
        *batch[1]["members"],
        {**batch[0]["members"][2], "full_name": "Nguyễn Minh Khang"},
    )
    before = counts()

    first = sync.sync_records([listed], actor=officer).outcomes[0]
    again = sync.sync_records([listed], actor=officer).outcomes[0]

    assert [c["field"] for c in first.conflicts] == ["members.3.household", "members.3.full_name"]
    assert [c["field"] for c in again.conflicts] == ["members.3.full_name"]
    assert (first.outcome, again.outcome, len(first.notes), len(again.notes)) == (
        "unchanged",
        "unchanged",
        2,
        1,
    )
    assert "closed household" in again.notes[0]
    child.refresh_from_db()
    assert (child.full_name, child.status, child.version) == ("Nguyễn Minh Khôi", "deceased", 2)
    assert counts() == before


def test_registry_moves_a_household_to_another_commune(officer, ward, rural):
    sync.sync_records([family("HK-1", ward)], actor=officer)
    household = Household.objects.get(external_id="HK-1")
    village = Village.objects.create(commune=ward, name="Khu 3")
    services.household_update(
        actor=SYSTEM,
        household=household,
        expected_version=1,
        data=services.HouseholdInput(values={"village": village}),
    )
    report = sync.sync_records([family("HK-1", rural, address="Thôn 5")], actor=officer)
    assert outcomes(report) == ["updated"]
    assert any("Village cleared" in note for note in report.outcomes[0].notes)
    household.refresh_from_db()
    assert (household.commune_id, household.village_id, household.version) == (rural.code, None, 3)
    assert household.code.startswith(ward.code)  # a household keeps its code
    event = ChangeEvent.objects.filter(entity="household").order_by("-seq").first()
    assert (event.commune, event.previous_commune, event.previous_village) == (
        rural.code,
        ward.code,
        village.id,
    )
