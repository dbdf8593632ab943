"""A household's history (`GET /households/{id}/history/`) read by someone whose area does not
hold every household it names: nothing of a household outside the reader's area shows — not
its id in a change, not its code in a reason, not its rows or its people's (docs/security.md
§3, `households.selectors.household_history`). Whoever's area holds them all reads it whole."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from core.access import SYSTEM
from geo.models import Village
from households import services
from households.choices import MemberStatus
from households.selectors import OUTSIDE_AREA
from tests import factories as f

pytestmark = pytest.mark.django_db


def move(member, to, relationship="other_relative", reason=""):
    return services.member_move(
        actor=SYSTEM,
        member=member,
        expected_version=member.version,
        to=to,
        relationship=relationship,
        reason=reason,
    )


def merge(source, target):
    source.refresh_from_db()
    return services.household_merge(
        actor=f.user(Role.PROVINCE_OFFICER, provinces=["22"]),
        source=source,
        target=target,
        expected_version=source.version,
        reason="Trùng hộ",
        on=date.today(),
    )


def history(client, household) -> list[dict]:
    r = client.get(f"/api/v1/households/{household.id}/history/")
    assert r.status_code == 200, r.content
    return r.json()


def changes_of(entry) -> dict[str, tuple]:
    return {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}


@pytest.fixture
def merged_across_communes(ward, rural):
    """A household of the rural commune (where one member died) merged into one of the ward
    by a province officer."""
    source = f.household(
        rural,
        address="Số 9 ngõ Bí Mật",
        members=[
            f.member("Hoàng Văn Chủ"),
            f.member("Hoàng Thị Đã Mất", relationship="mother", sex="female", dob=date(1940, 3, 3)),
        ],
    )
    dead = source.members.get(full_name="Hoàng Thị Đã Mất")
    services.member_update(
        actor=SYSTEM,
        member=dead,
        expected_version=dead.version,
        values={"status": MemberStatus.DECEASED},
    )
    target = f.household(ward, members=[f.member("Vũ Văn Đích", dob=date(1979, 9, 9))])
    merge(source, target)
    return source, target, dead


def test_a_move_out_of_the_area_does_not_name_where_the_member_went(ward, rural, ward_api):
    """The origin's history shows the move (who left, when), not the new household's id: as
    the change feed shows a move-out."""
    origin = f.household(
        ward,
        members=[
            f.member("Trần Văn Gốc"),
            f.member("Trần Thị Đi", relationship="spouse", sex="female", dob=date(1985, 2, 3)),
        ],
    )
    elsewhere = f.household(rural, members=[f.member("Lê Văn Nơi Khác", dob=date(1970, 1, 1))])
    leaving = move(origin.members.get(full_name="Trần Thị Đi"), elsewhere)
    assert ward_api.get(f"/api/v1/households/{elsewhere.id}/").status_code == 404

    entries = history(ward_api, origin)
    assert str(elsewhere.id) not in str(entries) and elsewhere.code not in str(entries)
    moved = next(
        e for e in entries if e["object_id"] == str(leaving.id) and e["change"] == "changed"
    )
    assert changes_of(moved)["household"] == (str(origin.id), None)


def test_a_move_in_does_not_name_the_household_the_member_came_from(ward, rural, ward_api):
    """The member is the reader's now: the move shows, without the code (reason) or id
    (change) of the household outside the area they came from, nor their rows from there."""
    before = f.household(
        rural,
        members=[
            f.member("Phạm Văn Cũ"),
            f.member("Phạm Thị Chuyển", relationship="spouse", sex="female", dob=date(1986, 4, 5)),
        ],
    )
    here = f.household(ward, members=[f.member("Đỗ Văn Đây", dob=date(1975, 6, 7))])
    came = move(before.members.get(full_name="Phạm Thị Chuyển"), here, reason="Kết hôn")
    assert ward_api.get(f"/api/v1/households/{before.id}/").status_code == 404

    entries = history(ward_api, here)
    assert before.code not in str(entries) and str(before.id) not in str(entries)
    rows = [e for e in entries if e["object_id"] == str(came.id)]
    assert [e["change"] for e in rows] == ["changed"]  # not her registration over there
    assert rows[0]["reason"] == f"Moved from household {OUTSIDE_AREA}: Kết hôn"
    assert changes_of(rows[0])["household"] == (None, str(here.id))


def test_a_merge_from_another_commune_shows_nothing_of_the_merged_household(
    merged_across_communes, ward_api
):
    """The target's reader does not read the merged household's rows (its address), nor the
    rows of a member who died there and never lived in their area, nor its code; the people
    who came in show from the merge."""
    source, target, dead = merged_across_communes
    assert ward_api.get(f"/api/v1/households/{source.id}/").status_code == 404

    entries = history(ward_api, target)
    text = str(entries)
    for leak in ("Số 9 ngõ Bí Mật", "Hoàng Thị Đã Mất", dead.citizen_id, source.code, source.id):
        assert str(leak) not in text, f"{leak} (outside the area) is in the history"
    assert {e["object_id"] for e in entries if e["object_type"] == "household"} == {str(target.id)}
    assert str(dead.id) not in {e["object_id"] for e in entries}
    came = target.members.get(full_name="Hoàng Văn Chủ")
    rows = [e for e in entries if e["object_id"] == str(came.id)]
    assert len(rows) == 1 and rows[0]["reason"] == f"Merged from household {OUTSIDE_AREA}: Trùng hộ"
    assert changes_of(rows[0])["household"] == (None, str(target.id))
    received = next(e for e in entries if e["object_type"] == "household" and e["reason"])
    assert received["reason"] == f"Received members of {OUTSIDE_AREA}"


def test_a_household_merged_into_another_commune_does_not_name_its_target(ward, rural, ward_api):
    source = f.household(ward, members=[f.member("Bùi Văn Nguồn")])
    target = f.household(rural, members=[f.member("Bùi Văn Đích", dob=date(1977, 7, 7))])
    merge(source, target)
    assert ward_api.get(f"/api/v1/households/{target.id}/").status_code == 404

    entries = history(ward_api, source)
    assert target.code not in str(entries) and str(target.id) not in str(entries)
    merged = next(e for e in entries if e["object_type"] == "household" and e["reason"])
    assert merged["reason"] == f"Merged into {OUTSIDE_AREA}"
    assert changes_of(merged)["merged_into"] == (None, None)
    assert changes_of(merged)["status"] == ("active", "merged")
    went = next(e for e in entries if e["object_type"] == "member" and e["change"] == "changed")
    assert went["reason"] == f"Merged from household {source.code}: Trùng hộ"  # the reader's
    assert changes_of(went)["household"] == (str(source.id), None)


@pytest.mark.parametrize("reader", ["province", "superuser"])
def test_a_reader_whose_area_holds_every_household_reads_the_history_whole(
    merged_across_communes, ward, rural, reader
):
    """The province officer who made the merge (and a national administrator) reads what the
    history always showed: the merged household's rows and people, ids and codes."""
    source, target, dead = merged_across_communes
    gone = f.household(rural, members=[f.member("Lý Văn Xa", dob=date(1971, 1, 1))])
    staying = target.members.get(full_name="Vũ Văn Đích")
    head_elsewhere = f.household(ward, members=[f.member("Đinh Văn Khác", dob=date(1972, 2, 2))])
    left = move(
        services.member_add(
            actor=SYSTEM,
            household=target,
            values=f.member("Vũ Thị Đi", relationship="child", sex="female", dob=date(2001, 1, 1)),
        ),
        gone,
    )
    user = (
        f.user(Role.PROVINCE_OFFICER, provinces=["22"])
        if reader == "province"
        else f.user(None, superuser=True)
    )
    entries = history(f.client_for(user), target)
    text = str(entries)
    for shown in ("Số 9 ngõ Bí Mật", "Hoàng Thị Đã Mất", dead.citizen_id, source.code):
        assert shown in text, f"{shown} is missing"
    assert {e["object_id"] for e in entries if e["object_type"] == "household"} == {
        str(target.id),
        str(source.id),
    }
    reasons = {e["reason"] for e in entries}
    assert {f"Received members of {source.code}", f"Merged into {target.code}"} <= reasons
    assert "Merged from household " + source.code + ": Trùng hộ" in reasons
    assert str(OUTSIDE_AREA) not in text
    out = next(e for e in entries if e["object_id"] == str(left.id) and e["change"] == "changed")
    assert changes_of(out)["household"] == (str(target.id), str(gone.id))
    assert str(staying.id) in {e["object_id"] for e in entries}
    assert head_elsewhere.code not in text  # never named here


def test_a_village_reader_reads_codes_by_where_households_are_not_by_their_prefix(ward, rural):
    """A village grant: a household of another village of the same commune (same code
    prefix) is outside the area, and a household that moved into the village from another
    commune (another prefix) is inside it."""
    here_village = Village.objects.create(commune=ward, name="Tổ 1")
    other_village = Village.objects.create(commune=ward, name="Tổ 2")
    reader = f.client_for(f.user(Role.COMMUNE_OFFICER, villages=[here_village]))
    here = f.household(
        ward, village=here_village, members=[f.member("Ngô Văn Ở", dob=date(1960, 1, 1))]
    )
    neighbour = f.household(
        ward,
        village=other_village,
        members=[
            f.member("Ngô Văn Bên"),
            f.member("Ngô Thị Sang", relationship="spouse", sex="female", dob=date(1988, 8, 8)),
        ],
    )
    assert neighbour.code.split("-")[0] == here.code.split("-")[0]
    came_from_rural = f.household(
        rural,
        members=[
            f.member("Mai Văn Đến", dob=date(1965, 5, 5)),
            f.member("Mai Thị Theo", relationship="spouse", sex="female", dob=date(1966, 6, 6)),
        ],
    )
    services.household_update(
        actor=SYSTEM,
        household=came_from_rural,
        expected_version=came_from_rural.version,
        data=services.HouseholdInput(values={"commune": ward, "village": here_village}),
    )
    assert reader.get(f"/api/v1/households/{came_from_rural.id}/").status_code == 200
    move(neighbour.members.get(full_name="Ngô Thị Sang"), here)
    came_from_rural.refresh_from_db()
    move(came_from_rural.members.get(full_name="Mai Thị Theo"), here)

    reasons = {e["reason"] for e in history(reader, here)}
    assert f"Moved from household {OUTSIDE_AREA}" in reasons  # the neighbour's
    assert f"Moved from household {came_from_rural.code}" in reasons  # in the village now
    assert neighbour.code not in str(history(reader, here))
    commune_reader = f.client_for(f.user(Role.COMMUNE_OFFICER, communes=[ward]))
    assert f"Moved from household {neighbour.code}" in {
        e["reason"] for e in history(commune_reader, here)
    }


def test_the_history_reads_a_fixed_number_of_queries(ward, rural, ward_api):
    """However many households the history names: the named ones are looked up at once."""
    here = f.household(ward, members=[f.member("Cao Văn Nhà", dob=date(1950, 1, 1))])

    def arrive(n):
        for i in range(n):
            there = f.household(
                rural,
                members=[
                    f.member(f"Cao Văn Cũ {i}", with_citizen_id=False),
                    f.member(f"Cao Thị Đến {i}", relationship="spouse", with_citizen_id=False),
                ],
            )
            move(there.members.get(full_name=f"Cao Thị Đến {i}"), here)

    def count() -> int:
        url = f"/api/v1/households/{here.id}/history/"
        assert ward_api.get(url).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert ward_api.get(url).status_code == 200
        return len(ctx.captured_queries)

    arrive(1)
    few = count()
    arrive(6)
    assert count() == few
