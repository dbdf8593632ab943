"""survey_check (the admin form's early check) asks role and area first: a household outside
the actor's area is answered as an unknown one, before anything about it is checked."""

import uuid
from datetime import date

import pytest

from accounts.roles import Role
from core.errors import InvalidInput, NotAllowed
from households.models import Household
from poverty import services
from tests import factories as f

from .conftest import family  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

VALUES = {"survey_date": date(2026, 10, 1)}


def refusal(actor, household) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        services.survey_check(actor=actor, household=household, values=VALUES, members=[])
    return caught.value


def test_a_household_outside_the_area_is_an_unknown_one(ward, rural, family):  # noqa: F811
    officer = f.user(Role.COMMUNE_OFFICER, communes=[rural])
    outside = refusal(officer, family)
    nobody = uuid.uuid4()
    unknown = refusal(officer, Household(pk=nobody))

    def said(error, pk):
        return error.detail.replace(str(pk), "<id>"), {
            k: [r.replace(str(pk), "<id>") for r in v] for k, v in error.fields.items()
        }

    assert said(outside, family.pk) == said(unknown, nobody)
    assert list(outside.fields) == ["household"]
    assert family.code not in outside.detail and "missing" not in outside.detail
    # inside the area the survey itself is checked (every present member is surveyed)
    inside = refusal(f.user(Role.COMMUNE_OFFICER, communes=[ward]), family)
    assert "Every present member is surveyed" in inside.detail


def test_a_role_without_survey_submit_is_refused_first(ward, family):  # noqa: F811
    with pytest.raises(NotAllowed):
        services.survey_check(
            actor=f.user(Role.AUDITOR, communes=[ward]), household=family, values=VALUES, members=[]
        )
