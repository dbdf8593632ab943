"""A search query is at most `MAX_QUERY_CHARS` characters and `MAX_QUERY_WORDS` words: each
word is a LIKE in several conditions of the search, so a query of 2,000 short words made SQL
of 750,000 characters and took seconds on a register of 30 households. Beyond the limits:
400 naming `q` on the API lists (nothing searched), a message and nothing found in the
admin's search box."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.search import MAX_QUERY_CHARS, MAX_QUERY_WORDS
from tests import factories as f

from ..api.test_errors import assert_problem

pytestmark = pytest.mark.django_db

MANY_WORDS = " ".join(f"w{i}" for i in range(MAX_QUERY_WORDS + 1))
LONG = "a" * (MAX_QUERY_CHARS + 1)


@pytest.mark.parametrize("url", ["/api/v1/households/", "/api/v1/members/"])
@pytest.mark.parametrize("query", [MANY_WORDS, LONG, " ".join(["a"] * 2000)])
def test_a_query_beyond_the_limits_is_400_naming_q(api, ward, url, query):
    f.household(ward)
    with CaptureQueriesContext(connection) as queries:
        r = api.get(url, {"q": query})
    assert_problem(r, 400, field="q")
    sql = sum(len(q["sql"]) for q in queries.captured_queries)
    assert sql < 5_000  # the 2,000 words: 743,291 characters of SQL


@pytest.mark.parametrize("url", ["/api/v1/households/", "/api/v1/members/"])
def test_a_query_at_the_limits_is_searched(api, ward, url):
    f.household(ward, members=[f.member("Đặng Thị Hoà")])
    words = " ".join(["dang", "thi", "hoa"] * (MAX_QUERY_WORDS // 3))
    r = api.get(url, {"q": words})
    assert r.status_code == 200 and len(r.json()["results"]) == 1


@pytest.mark.parametrize("model", ["household", "member"])
def test_the_admin_search_box_says_why_and_finds_nothing(client, ward, model):
    client.force_login(f.user(None, superuser=True))
    f.household(ward, members=[f.member("Đặng Thị Hoà")])
    r = client.get(f"/admin/households/{model}/", {"q": MANY_WORDS})
    assert r.status_code == 200
    assert f"At most {MAX_QUERY_WORDS} words" in r.content.decode()
    assert r.context["cl"].result_count == 0


def test_an_export_filtered_by_such_a_query_is_400_and_not_queued(api, settings, tmp_path):
    from core.models import Job

    settings.MEDIA_ROOT = tmp_path
    body = {"kind": "export_households", "filters": {"q": MANY_WORDS}}
    r = api.post("/api/v1/jobs/", body, format="json")
    assert_problem(r, 400, field="filters.q")
    assert not Job.objects.exists()


def test_a_whole_address_is_searched(api, ward):
    """An officer pasting a household's whole address (18 words) finds it."""
    address = "Số 5, Tổ 9, Khu 3, Phường Hồng Hà, Thành phố Hạ Long, Tỉnh Quảng Ninh, Việt Nam"
    household = f.household(ward, address=address)
    r = api.get("/api/v1/households/", {"q": address})
    assert r.status_code == 200, r.content
    assert [h["id"] for h in r.json()["results"]] == [str(household.id)]


def test_an_export_with_an_unknown_filter_is_refused_in_the_callers_language(
    api, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    body = {"kind": "export_households", "filters": {"colour": "red"}}
    r = api.post("/api/v1/jobs/", body, format="json", HTTP_ACCEPT_LANGUAGE="vi")
    p = assert_problem(r, 400, field="filters.colour")
    assert p["detail"] == "Điều kiện lọc hộ không hợp lệ."
    assert p["errors"][0]["reason"] == "Điều kiện lọc không xác định."
    r = api.post("/api/v1/jobs/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["detail"] == "Invalid household filters."
    assert r.json()["errors"][0]["reason"] == "Unknown filter."
