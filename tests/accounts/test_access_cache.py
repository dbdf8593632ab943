"""A grant's resolved area is kept between requests (accounts.roles), and every change of the
grant, by any path, takes effect at the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserAccess
from accounts.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def _codes(client) -> set[str]:
    r = client.get("/api/v1/households/")
    assert r.status_code == 200, r.content
    return {h["commune"] for h in r.json()["results"]}


@pytest.fixture
def two_wards(ward, rural):
    f.household(ward)
    f.household(rural)
    return ward, rural


def test_the_area_is_resolved_once_then_kept(two_wards):
    ward, _ = two_wards
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    with CaptureQueriesContext(connection) as first:
        assert _codes(client) == {ward.code}
    with CaptureQueriesContext(connection) as second:
        assert _codes(client) == {ward.code}
    # the grant comes with the token; its provinces, communes and villages are read once
    assert len(first.captured_queries) - len(second.captured_queries) == 4


def test_communes_added_or_removed_take_effect_at_the_next_request(two_wards):
    ward, rural = two_wards
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    assert _codes(client) == {ward.code}
    grant = UserAccess.objects.get(user=officer)  # another instance, as the admin would
    grant.communes.add(rural)
    assert _codes(client) == {ward.code, rural.code}
    grant.communes.remove(ward)
    assert _codes(client) == {rural.code}
    grant.communes.clear()
    assert _codes(client) == set()


def test_a_new_role_or_a_removed_grant_takes_effect_at_the_next_request(two_wards):
    ward, _ = two_wards
    officer = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    client = f.client_for(officer)
    assert client.get("/api/v1/households/").status_code == 200
    grant = UserAccess.objects.get(user=officer)
    grant.role = Role.ANALYST  # no personal data
    grant.save()
    result = client.get("/api/v1/members/").json()["results"]
    assert result and all(m["full_name"] is None for m in result)
    grant.delete()
    assert client.get("/api/v1/households/").status_code == 403


def test_a_province_grant_narrowed_to_a_commune_takes_effect_at_once(two_wards):
    ward, rural = two_wards
    officer = f.user(Role.PROVINCE_OFFICER, provinces=["22"])
    client = f.client_for(officer)
    assert _codes(client) == {ward.code, rural.code}
    grant = UserAccess.objects.get(user=officer)
    grant.provinces.set([])  # what the admin's form does with the fields it is sent
    grant.communes.set([rural])
    assert _codes(client) == {rural.code}
