"""The admin's add-survey page is a door like the API's (docs/security.md §2): a household or
member outside the user's area reads as one that does not exist, before any check that would
tell something about it, and the page shows nothing of it (code, names, birth dates)."""

import re
import uuid
from datetime import date

import pytest

from accounts.roles import Role
from poverty.models import Survey
from tests import factories as f
from tests.poverty.conftest import family  # noqa: F401 (fixture)
from tests.poverty.test_lists_and_admin import _admin_survey_form

pytestmark = pytest.mark.django_db

ADD = "/admin/poverty/survey/add/"

OUTSIDE_NAMES = ("Hoàng Văn Ngoài", "Vi Thị Vùng Khác")
OUTSIDE_BIRTHS = (date(1971, 7, 13), date(1974, 9, 21))


@pytest.fixture
def officer(client, ward):
    """A commune officer of the ward (survey_submit there), logged in to the admin."""
    user = f.user(Role.COMMUNE_OFFICER, communes=[ward])
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def outside(rural):
    """A household of another commune, outside the ward officer's area."""
    return f.household(
        rural,
        members=[
            f.member(OUTSIDE_NAMES[0], dob=OUTSIDE_BIRTHS[0]),
            f.member(OUTSIDE_NAMES[1], relationship="spouse", sex="female", dob=OUTSIDE_BIRTHS[1]),
        ],
    )


class Unknown:
    """Stands for a household or member that does not exist (a random id)."""

    def __init__(self, dob=date(1990, 1, 1)):
        self.pk = uuid.uuid4()
        self.date_of_birth = dob


def answer(response, *ids) -> list[str]:
    """The errors a page answers with, the ids the caller sent replaced by `<id>`."""
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    for pk in ids:
        text = text.replace(str(pk), "<id>")
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', text, re.S)
    assert errors  # the form was refused
    return errors


def reveals(response, household) -> list[str]:
    """What the page shows of `household` and its members."""
    text = response.content.decode()
    shown = [household.code] if household.code in text else []
    for m in household.members.all():
        born = m.date_of_birth
        shown += [
            s
            for s in (m.full_name, born.isoformat(), born.strftime("%d/%m/%Y"), str(born.year))
            if s in text
        ]
    return shown + [s for s in ("missing", "not a present member", "Born ") if s in text]


def test_a_household_outside_the_area_is_answered_as_an_unknown_one(officer, outside):
    members = list(outside.members.all())
    for sent in (members, members[:1]):  # all its members, or some ("missing: ...")
        r = officer.post(ADD, _admin_survey_form(outside, sent))
        nobody, strangers = Unknown(), [Unknown(m.date_of_birth) for m in sent]
        r_unknown = officer.post(ADD, _admin_survey_form(nobody, strangers))
        assert answer(r, outside.pk, *(m.pk for m in sent)) == answer(
            r_unknown, nobody.pk, *(m.pk for m in strangers)
        )
        assert reveals(r, outside) == []
    assert not Survey.objects.exists()


def test_members_outside_the_area_are_answered_as_unknown_ones(officer, family, outside):  # noqa: F811
    strangers = list(outside.members.all())
    unknown = [Unknown(m.date_of_birth) for m in strangers]
    r = officer.post(ADD, _admin_survey_form(family, strangers))
    r_unknown = officer.post(ADD, _admin_survey_form(family, unknown))
    assert answer(r, *(m.pk for m in strangers)) == answer(r_unknown, *(m.pk for m in unknown))
    assert reveals(r, outside) == []
    assert not Survey.objects.exists()


def test_the_officer_surveys_households_of_the_area(officer, family):  # noqa: F811
    members = list(family.members.all())
    r = officer.post(ADD, _admin_survey_form(family, members[:2]))
    assert r.status_code == 200 and "Every present member is surveyed" in r.content.decode()
    assert members[0].full_name in r.content.decode()  # the area's own members are labelled
    r = officer.post(ADD, _admin_survey_form(family, members))
    assert r.status_code == 302
    assert Survey.objects.get().household == family
