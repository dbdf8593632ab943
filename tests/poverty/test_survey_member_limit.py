"""A survey lists at most `households.limits.MAX_MEMBERS` members (the registry's limit on a
request): each listed member is looked up before the survey service checks the list, so a
5 MiB body of ~23,000 member references cost ~23,000 queries before its 400. More is a 400
naming `members`, answered before any member is looked up; nothing is stored."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.limits import MAX_MEMBERS
from poverty.models import Survey

from ..api.test_errors import assert_problem
from .conftest import survey_body

pytestmark = pytest.mark.django_db


def test_a_survey_listing_too_many_members_is_400_before_any_is_looked_up(ward_api, family):
    body = survey_body(family)
    body["members"] = (body["members"] * MAX_MEMBERS)[: MAX_MEMBERS + 1]
    with CaptureQueriesContext(connection) as queries:
        r = ward_api.post("/api/v1/surveys/", body, format="json")
    p = assert_problem(r, 400, field="members")
    assert str(MAX_MEMBERS) in p["detail"]
    assert len(queries) < 20  # was 116 for these 101 (about one per member)
    assert not Survey.objects.exists()


def test_a_survey_of_every_member_is_taken(ward_api, family):
    r = ward_api.post("/api/v1/surveys/", survey_body(family), format="json")
    assert r.status_code == 201, r.content
