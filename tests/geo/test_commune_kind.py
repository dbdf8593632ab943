"""A unit's urban or rural kind changes from a day (a xã upgraded to a phường, a province's
setting of its đặc khu), and every change is recorded with who, when and on what basis. A
survey uses the kind of its own date: one taken before a change and sent after it (a field
app's, offline) is not judged against the new income line."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.roles import Role
from core import dates
from core.access import SYSTEM
from core.errors import InvalidInput, NotAllowed
from geo.models import Commune, CommuneKindChange
from geo.services import commune_set_urban, urban_on
from tests import factories as f
from tests.poverty.conftest import submit

pytestmark = pytest.mark.django_db

DECREE07 = "VN-ND07-2021"


@pytest.fixture
def province(db):
    return f.user(Role.PROVINCE_OFFICER, provinces=["22"])


def classify(household, day: str):
    survey = submit(household, day=day, income=1_800_000 * 12)  # one person, a month
    return survey.is_urban, survey.assessments.get(standard__code=DECREE07).classification


def test_a_survey_dated_before_a_change_uses_the_kind_of_its_day(rural, province):
    household = f.household(rural, members=[f.member(with_citizen_id=False)])
    commune_set_urban(
        actor=province,
        commune=rural,
        is_urban=True,
        valid_from=date(2026, 11, 1),
        basis="Nghị quyết thành lập phường",
    )
    # Taken in October, sent in December: the rural line of 1,500,000, so above it and
    # within the average band. Before: judged urban (below 2,000,000: near poor).
    assert classify(household, "2026-10-01") == (False, "average")
    assert classify(household, "2026-11-15") == (True, "near_poor")


def test_the_kind_on_any_day_reads_the_chain_of_changes(rural, province):
    for day, urban in ((date(2026, 6, 1), True), (date(2026, 9, 1), False)):
        commune_set_urban(
            actor=province, commune=rural, is_urban=urban, valid_from=day, basis="Quyết định"
        )
    rural.refresh_from_db()
    assert (rural.is_urban, rural.is_urban_since) == (False, date(2026, 9, 1))
    assert urban_on(rural, date(2026, 5, 31)) is False  # before the first: what it replaced
    assert urban_on(rural, date(2026, 6, 1)) is True
    assert urban_on(rural, date(2026, 8, 31)) is True
    with CaptureQueriesContext(connection) as queries:
        assert urban_on(rural, date(2026, 9, 1)) is False
    assert len(queries) == 0  # on or after the latest change: the unit's own kind


def test_a_unit_whose_kind_never_changed_is_read_as_it_is(ward, rural):
    with CaptureQueriesContext(connection) as queries:
        assert urban_on(ward, date(2000, 1, 1)) is True
        assert urban_on(rural, date(2000, 1, 1)) is False
    assert len(queries) == 0


def test_a_change_is_recorded_with_who_when_and_why(rural, province):
    commune_set_urban(
        actor=province, commune=rural, is_urban=True, basis="  Nghị quyết   1234/NQ-UBTVQH  "
    )
    change = CommuneKindChange.objects.get()
    assert (change.commune_id, change.was_urban, change.is_urban) == (rural.code, False, True)
    assert change.valid_from == dates.today() and change.basis == "Nghị quyết 1234/NQ-UBTVQH"
    assert change.changed_by == province and change.changed_at is not None
    assert Commune.objects.get(pk=rural.pk).is_urban_since == dates.today()


def test_bad_changes_are_refused_naming_the_field_and_change_nothing(rural, ward, province):
    commune_set_urban(
        actor=province, commune=rural, is_urban=True, valid_from=date(2026, 6, 1), basis="QĐ 1"
    )
    refused = [
        ({"is_urban": True, "basis": "x"}, "is_urban"),  # urban already
        ({"is_urban": False, "basis": "x", "valid_from": date(2026, 6, 1)}, "valid_from"),
        ({"is_urban": False, "basis": "x", "valid_from": date(2026, 5, 1)}, "valid_from"),
        (
            {"is_urban": False, "basis": "x", "valid_from": dates.today() + timedelta(1)},
            "valid_from",
        ),
        ({"is_urban": False, "basis": "   "}, "basis"),
        ({"is_urban": False, "basis": "x" * 301}, "basis"),
    ]
    for values, field in refused:
        with pytest.raises(InvalidInput) as error:
            commune_set_urban(actor=province, commune=rural, **values)
        assert list(error.value.fields) == [field], values
    assert CommuneKindChange.objects.count() == 1
    assert Commune.objects.get(pk=rural.pk).is_urban is True


def test_only_the_province_changes_a_units_kind(rural):
    other_province = f.user(Role.PROVINCE_OFFICER, provinces=["01"])
    commune_officer = f.user(Role.COMMUNE_OFFICER, communes=[rural])
    for actor in (other_province, commune_officer):
        with pytest.raises(NotAllowed):
            commune_set_urban(actor=actor, commune=rural, is_urban=True, basis="x")
    assert not CommuneKindChange.objects.exists()


def body(response) -> str:
    return response.content.decode()


def test_the_admin_records_a_change_with_its_day_and_basis(rural):
    client = f.staff_login(Client(), Role.PROVINCE_OFFICER, provinces=["22"])
    page = f"/admin/geo/commune/{rural.code}/change/"
    form = {
        "is_urban": "on",
        "valid_from": "01/11/2026",
        "basis": "",
        "kind_changes-TOTAL_FORMS": "0",
        "kind_changes-INITIAL_FORMS": "0",
    }
    r = client.post(page, form, follow=True)
    assert escape("(basis: Name the decision or the reason for the change.)") in body(r)
    assert not CommuneKindChange.objects.exists()  # no basis: nothing saved
    assert Commune.objects.get(pk=rural.pk).is_urban is False

    r = client.post(page, {**form, "basis": "Nghị quyết thành lập phường"})
    assert r.status_code == 302, body(r)[:2000]
    change = CommuneKindChange.objects.get()
    assert (change.valid_from, change.is_urban) == (date(2026, 11, 1), True)
    assert str(change.changed_by_id) == client.session["_auth_user_id"]
    assert "Nghị quyết thành lập phường" in body(
        client.get(page)
    )  # the recorded changes, on the unit's page


def test_the_api_says_since_when_a_unit_has_its_kind(api, rural):
    assert api.get(f"/api/v1/communes/{rural.code}/").json()["is_urban_since"] is None
    commune_set_urban(
        actor=SYSTEM, commune=rural, is_urban=True, valid_from=date(2026, 11, 1), basis="QĐ"
    )
    body = api.get(f"/api/v1/communes/{rural.code}/").json()
    assert (body["is_urban"], body["is_urban_since"]) == (True, "2026-11-01")
