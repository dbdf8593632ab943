"""A feed position is a place to resume from only under the role and area it was read under:
each feed page and field download hands out `rights` with its position, and a position sent
back with other rights is refused with 409 `feed_rights_changed` (read again from 0). Without
it, a reader whose area widened resumed past the new communes' earlier records and never
received them, and one whose area shrank got a 400 that did not say why."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import UserAccess
from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def feed(client, **params):
    return client.get("/api/v1/changes/", params)


def read_to_end(client, after=0, rights=None) -> tuple[list[dict], int, str]:
    seen: list[dict] = []
    while True:
        r = feed(client, after=after, **({"rights": rights} if rights else {}))
        assert r.status_code == 200, r.content
        page = r.json()
        seen += page["results"]
        after, rights = page["next_after"], page["rights"]
        if not page["has_more"]:
            return seen, after, rights


@pytest.fixture
def officer(ward):
    return f.user(Role.COMMUNE_OFFICER, communes=[ward])


def test_the_same_rights_resume_where_they_left_off(ward, officer):
    client = f.client_for(officer)
    f.household(ward, members=[f.member("Lò Văn Một")])
    _, after, rights = read_to_end(client)
    assert len(rights) == 64
    f.household(ward, members=[f.member("Lò Văn Hai", dob=date(1981, 1, 1))])
    newer, _, again = read_to_end(client, after, rights)
    assert {e["entity"] for e in newer} == {"household", "member"} and again == rights


def test_a_wider_area_is_told_to_read_again_from_0(ward, rural, officer):
    client = f.client_for(officer)
    earlier = f.household(rural, members=[f.member("Sầm Văn Trước")])  # before the grant
    f.household(ward, members=[f.member("Lò Văn Một")])
    _, after, rights = read_to_end(client)

    UserAccess.objects.get(user=officer).communes.set([ward, rural])
    f.household(ward, members=[f.member("Lò Văn Hai", dob=date(1981, 1, 1))])
    r = feed(client, after=after, rights=rights)
    assert r.status_code == 409, r.content
    problem = r.json()
    assert problem["code"] == "feed_rights_changed"
    assert [e["field"] for e in problem["errors"]] == ["rights"]
    # Resumed from the old position, the rural household registered before would be lost:
    assert str(earlier.id) not in {e["entity_id"] for e in read_to_end(client, after)[0]}
    # From 0, it is there.
    everything, _, now = read_to_end(client)
    assert str(earlier.id) in {e["entity_id"] for e in everything} and now != rights


def test_a_narrower_area_is_told_why_its_position_is_refused(ward, rural):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward, rural])
    client = f.client_for(officer)
    f.household(ward, members=[f.member("Lò Văn Một")])
    f.household(rural, members=[f.member("Sầm Văn Sau")])  # the last event read is rural's
    _, after, rights = read_to_end(client)

    UserAccess.objects.get(user=officer).communes.set([ward])
    before = feed(client, after=after)  # without rights: as before, a 400, naming the likely why
    assert before.status_code == 400 and before.json()["errors"][0]["code"] == "past_the_end"
    assert "role or area changed" in before.json()["errors"][0]["reason"]
    r = feed(client, after=after, rights=rights)
    assert r.status_code == 409 and r.json()["code"] == "feed_rights_changed"
    assert feed(client, after=0, rights=rights).status_code == 200  # from 0: not checked


def test_a_download_spanning_a_change_of_area_is_refused_and_its_rights_follow_the_feed(
    ward, rural, officer
):
    client = f.client_for(officer)
    for n in range(3):
        f.household(ward, members=[f.member(f"Lò Văn Số {n}", dob=date(1980 + n, 1, 1))])
    first = client.get("/api/v1/field/households/", {"page_size": 2})
    assert first.status_code == 200, first.content
    page = first.json()
    assert "rights=" + page["rights"] in page["next"]
    assert feed(client, after=page["changes_after"], rights=page["rights"]).status_code == 200

    UserAccess.objects.get(user=officer).communes.set([ward, rural])
    r = client.get(page["next"])
    assert r.status_code == 409 and r.json()["code"] == "feed_rights_changed"
    restarted = client.get("/api/v1/field/households/", {"page_size": 2})
    assert restarted.status_code == 200 and restarted.json()["rights"] != page["rights"]
