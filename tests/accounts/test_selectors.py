"""Whose credentials an officer manages (`accounts.selectors`): users whose whole grant lies
inside the officer's area, answered by one statement whatever the number of users."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from accounts.selectors import users_in_area, users_token_issuable
from core.access import access_for
from geo.models import Commune, Village
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def area():
    """Two communes of province 22, one of province 01, a village in each 22 commune."""
    ours, other = Commune.objects.filter(province_id="22").order_by("code")[:2]
    far = Commune.objects.filter(province_id="01").order_by("code").first()
    return {
        "ours": ours,
        "other": other,
        "far": far,
        "our_village": Village.objects.create(commune=ours, name="Thôn 1"),
        "other_village": Village.objects.create(commune=other, name="Thôn 2"),
        "far_village": Village.objects.create(commune=far, name="Thôn 3"),
    }


def names(queryset) -> set[str]:
    return set(queryset.values_list("username", flat=True))


def test_a_commune_officer_manages_only_users_wholly_inside_the_commune(area):
    officer = f.user(Role.COMMUNE_OFFICER, communes=[area["ours"]])
    inside = {
        f.user(Role.FIELD_ENUMERATOR, communes=[area["ours"]], username="same-commune"),
        f.user(Role.FIELD_ENUMERATOR, villages=[area["our_village"]], username="our-village"),
        f.user(Role.FIELD_ENUMERATOR, username="empty-grant"),  # a grant of no area at all
    }
    outside = {
        f.user(Role.FIELD_ENUMERATOR, communes=[area["other"]], username="other-commune"),
        f.user(
            Role.FIELD_ENUMERATOR,
            communes=[area["ours"], area["other"]],
            username="straddles-two-communes",
        ),
        f.user(Role.FIELD_ENUMERATOR, villages=[area["other_village"]], username="other-village"),
        f.user(Role.PROVINCE_OFFICER, provinces=["22"], username="the-province"),
        f.user(None, username="no-grant"),
        f.user(None, superuser=True, username="a-superuser"),
    }

    found = names(users_in_area(access_for(officer)))

    assert {u.username for u in inside} | {officer.username} == found
    assert not found & {u.username for u in outside}


def test_a_province_officer_manages_the_province_but_not_a_grant_reaching_beyond_it(area):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    f.user(Role.COMMUNE_OFFICER, communes=[area["ours"], area["other"]], username="two-communes")
    f.user(Role.FIELD_ENUMERATOR, villages=[area["other_village"]], username="a-village")
    f.user(Role.PROVINCE_OFFICER, provinces=["22"], username="peer")
    f.user(Role.COMMUNE_OFFICER, communes=[area["ours"], area["far"]], username="reaches-01")
    f.user(Role.FIELD_ENUMERATOR, villages=[area["far_village"]], username="village-in-01")
    f.user(Role.PROVINCE_OFFICER, provinces=["22", "01"], username="two-provinces")

    found = names(users_in_area(access_for(officer)))

    assert found == {officer.username, "two-communes", "a-village", "peer"}


def test_a_village_grant_manages_its_village_not_the_rest_of_the_commune(area):
    leader = f.user(Role.FIELD_ENUMERATOR, villages=[area["our_village"]])
    f.user(Role.FIELD_ENUMERATOR, villages=[area["our_village"]], username="same-village")
    f.user(Role.FIELD_ENUMERATOR, communes=[area["ours"]], username="whole-commune")

    assert names(users_in_area(access_for(leader))) == {leader.username, "same-village"}


def test_who_acts_everywhere_manages_everyone(area):
    admin = f.user(None, superuser=True)
    f.user(Role.FIELD_ENUMERATOR, communes=[area["far"]], username="far-away")

    assert {"far-away", admin.username} <= names(users_in_area(access_for(admin)))


def test_one_statement_however_many_users(area):
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    for _ in range(30):
        f.user(Role.FIELD_ENUMERATOR, communes=[area["ours"]], villages=[area["our_village"]])
    access = access_for(officer)
    with CaptureQueriesContext(connection) as queries:
        assert len(names(users_token_issuable(access))) == 31  # and the officer
    assert len(queries) == 1
