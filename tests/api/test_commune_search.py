"""`?q=` on /communes/ compares the folded query with every commune's folded name in Python:
a query of 4,000 non-ASCII characters took 2 s of a worker's CPU per request (the query was
folded again for each of the 3,321 communes). A commune name is at most 100 characters, so
a longer query can match nothing: it is a 400 naming `q`, and the query is folded once."""

import pytest

from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


def test_a_query_longer_than_any_name_is_400_naming_q(api):
    assert_problem(api.get("/api/v1/communes/", {"q": "hồng " * 800}), 400, field="q")
    assert_problem(api.get("/api/v1/communes/", {"q": "x" * 101}), 400, field="q")


def test_a_query_of_a_name_still_finds_it(api):
    r = api.get("/api/v1/communes/", {"q": "ha long"})
    assert r.status_code == 200
    assert r.json()["results"], "Hạ Long wards"
