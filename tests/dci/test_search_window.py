"""A DCI search pages through its first `DCI_MAX_RESULT_WINDOW` records only: a page beyond
them is `rjct.pagination.invalid`, answered before any record is read. Before, page_number
could be up to 1,000,000 (OFFSET 99,999,900 at 100 a page): the database walked that many
rows of the register in code order, then counted every match — ten such requests a message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f

from .conftest import make_partner
from .test_search import codes, expr, one, rejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(ward):
    return make_partner(communes=[ward])


def households_read(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "households_household"' in q["sql"]]


@pytest.mark.parametrize(
    "pagination",
    [
        {"page_size": 100, "page_number": 1_000_000},
        {"page_size": 100, "page_number": 101},  # records 10,001 to 10,100
        {"page_size": 1, "page_number": 10_001},
    ],
)
def test_a_page_beyond_the_window_is_rejected_before_anything_is_read(partner, ward, pagination):
    f.household(ward)
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]
    with CaptureQueriesContext(connection) as queries:
        answer = one(partner, "predicate", query, pagination=pagination)
    rejected(answer, "rjct.pagination.invalid")
    assert "10000" in answer["status_reason_message"].replace(",", "")
    assert households_read(queries) == []  # was: OFFSET 99999900, then a COUNT


def test_the_last_pages_of_the_window_are_served(partner, ward, settings):
    settings.DCI_MAX_RESULT_WINDOW = 4
    made = sorted(f.household(ward).code for _ in range(5))
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]
    page = one(partner, "predicate", query, pagination={"page_size": 2, "page_number": 2})
    assert codes(page) == made[2:4] and page["pagination"]["total_count"] == 5
    beyond = one(partner, "predicate", query, pagination={"page_size": 2, "page_number": 3})
    rejected(beyond, "rjct.pagination.invalid")


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_page_number_or_size_too_large_for_a_float_is_rejected(partner, ward, number):
    """JSON's 1e400 is a float infinity, which no integer equals: rejected, not a 500."""
    import json

    from .conftest import client, post, search_envelope, search_item

    p, secret = partner
    query = [{"expression1": expr("commune_code", "eq", ward.code)}]
    for field in ("page_size", "page_number"):
        body = search_envelope(p, search_item("predicate", query, pagination={field: 0}))
        text = json.dumps(body).replace(f'"{field}": 0', f'"{field}": {number}')
        r = post(client(p, secret), "registry/sync/search", json.loads(text))
        assert r.status_code == 200, r.content
        [answer] = r.json()["message"]["search_response"]
        rejected(answer, "rjct.pagination.invalid")
