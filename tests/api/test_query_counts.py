"""List endpoints run a fixed number of queries, however many rows the page holds."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geo.models import Village
from households.services import detect_all_duplicates
from tests import factories as f

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/households/",
    "/api/v1/households/?q=nguyen",
    "/api/v1/members/",
    "/api/v1/villages/",
    "/api/v1/duplicates/",
    "/api/v1/communes/",
]


def add_rows(commune, n: int) -> None:
    for i in range(n):
        v = Village.objects.create(commune=commune, name=f"Thôn {Village.objects.count() + 1}")
        f.household(
            commune,
            village=v,
            members=[
                f.member("Nguyễn Văn Trùng", with_citizen_id=False),
                f.member(f"Nguyễn Thị {i}", relationship="spouse", sex="female"),
            ],
        )
    detect_all_duplicates()


def captured(api, url: str) -> list[dict]:
    """The queries of a GET, its token's last use already recorded (a token's first request
    records it)."""
    assert api.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return ctx.captured_queries


def count_queries(api, url: str) -> int:
    return len(captured(api, url))


@pytest.mark.parametrize("url", ENDPOINTS)
def test_query_count_flat_as_rows_grow(ward_api, ward, url):
    add_rows(ward, 2)
    small = count_queries(ward_api, url)
    add_rows(ward, 12)
    large = count_queries(ward_api, url)
    assert large == small
    # a ranked search whose matches fit on one page reads each of its four ranks in turn
    # (households.search): 3 more queries
    extra = 3 if "q=" in url else 0
    assert small <= 10 + extra, f"{url}: {small} queries"


def test_detail_query_count(ward_api, ward):
    h = f.household(ward, members=[f.member(), f.member("B", relationship="child")])
    assert count_queries(ward_api, f"/api/v1/households/{h.id}/") <= 10


def statements(api, url: str) -> list[str]:
    """The SQL statements of a GET, without the test's own savepoints."""
    return [q["sql"] for q in captured(api, url) if "SAVEPOINT" not in q["sql"]]


def main_table(sql: str) -> str:
    """The table a statement reads (its first column's) or writes (INSERT INTO)."""
    return re.match(r'(?:INSERT INTO|SELECT) "(\w+)"', sql).group(1)


def test_households_and_members_are_read_with_their_duplicate_flags(ward_api, ward):
    """After the token: the household (or the page), then its members with their duplicate
    flags in the same query; a list page also records the personal data it showed."""
    h = f.household(ward, members=[f.member(), f.member("B", relationship="child")])
    add_rows(ward, 3)
    detail = statements(ward_api, f"/api/v1/households/{h.id}/")
    assert [main_table(sql) for sql in detail] == [
        "accounts_apitoken",
        "households_household",
        "households_member",
    ], detail
    assert "households_duplicatecandidate" in detail[2]
    page = statements(ward_api, "/api/v1/households/")
    assert [main_table(sql) for sql in page] == [
        "accounts_apitoken",
        "households_household",
        "households_member",
        "core_personaldataread",  # INSERT
    ], page
    assert "households_duplicatecandidate" in page[2]
